"""The Textual app: owns the state, runs the workers, routes messages. Wiring only.

Flow: the source worker turns file or cluster events into a new `Inventory` (parsed
off the UI thread) and posts `InventoryChanged`; the app swaps it in and starts an
evaluation worker for the selected mesh, which posts `EvaluationReady`; the app then
asks `present` for view models and hands them to the widgets. Widgets post their
user's choices back (`Highlighted`, `Chosen`, `Jump`, ...), which change `UIState`.
"""

from __future__ import annotations

import argparse
import functools
import gc
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

from rich.console import RenderableType
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Static

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index_from_groups
from meshtui.errors import SourceError
from meshtui.inventory import Diff, Inventory
from meshtui.messages import (
    AffectedCountsReady,
    EvaluationReady,
    InventoryChanged,
    SourceStatusReceived,
)
from meshtui.model import ResourceKey
from meshtui.parse import ContextOptions
from meshtui.present import (
    Highlights,
    UIState,
    header_view,
    namespaces_view,
    roles_view,
    waiting_text,
)
from meshtui.present.commands import run_command
from meshtui.present.screen import detail_for, table_for, tree_changes
from meshtui.sources import ChangesReady, Source, StatusChanged
from meshtui.views import DetailView
from meshtui.widgets.detail import DetailPane, RulesTree
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.help import HelpScreen
from meshtui.widgets.sidelist import SideList
from meshtui.widgets.table import ResourceTable

Clock = Callable[[], datetime]
F = TypeVar("F", bound=Callable[..., None])


def _while_mounted(method: F) -> F:
    """Skip a view update that arrives while the app is shutting down.

    Workers may still deliver results while Textual tears the screen down; the widgets
    they would update are then gone, and there is nothing left to show.
    """

    @functools.wraps(method)
    def guarded(self: MeshtuiApp, *args: object, **kwargs: object) -> None:
        try:
            method(self, *args, **kwargs)
        except NoMatches:
            self.log.warning(f"{method.__name__} skipped: widgets are gone (shutting down)")

    return cast(F, guarded)


class MeshtuiApp(App[None]):
    """The meshtui dashboard."""

    CSS_PATH = "meshtui.tcss"
    TITLE = "meshtui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        # Priority: run before the keys typed after them are handed to the focused widget
        # (see `_focus`); `check_action` lets them through to an input field.
        Binding("slash", "filter", "Filter", priority=True),
        Binding("colon", "command", "Command", priority=True),
        Binding("y", "toggle_yaml", "YAML"),
        Binding("f", "toggle_full_screen", "Full screen"),
        Binding("escape", "go_back", "Back"),
        Binding("1", "show('dataplanes')", "Dataplanes", show=False),
        Binding("2", "show('policies')", "Policies", show=False),
        Binding("3", "show('services')", "Services", show=False),
        Binding("exclamation_mark", "show('problems')", "Problems"),
        Binding("m", "next_mesh", "Mesh", show=False),
    ]

    def __init__(
        self,
        source: Source,
        options: ContextOptions,
        *,
        clock: Clock = datetime.now,
        mesh: str = "",
        namespace: str = "",
        highlight_seconds: float = 3.0,
    ) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        self.inventory = Inventory.empty(options)
        self.evaluation: MeshEvaluation | None = None
        self.ui = UIState(
            mesh=mesh, namespaces=frozenset({namespace}) if namespace else frozenset()
        )
        self.highlights = Highlights()
        self.highlight_seconds = highlight_seconds
        self.affected: Mapping[ResourceKey, int] = {}
        self.status = StatusChanged(synced=False, message="starting")
        self.updated = ""
        self.loaded = False
        self._stop = threading.Event()
        self._history: list[UIState] = []
        self._shown_detail: DetailView | None = None
        self._shown_detail_key = ""
        self._frozen = False
        self._counting: MeshEvaluation | None = None
        """The evaluation whose affected counts are being (or were) computed."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield SideList(id="namespaces")
                yield SideList(id="roles")
                yield Static(id="role-hint", markup=False)
            with Vertical(id="center"):
                yield Input(id="filter", placeholder="filter…  (esc clears)")
                yield ResourceTable(id="table")
            yield DetailPane(id="detail")
        yield Input(
            id="command", placeholder=":command  (dp, pol, svc, ns NAME, mesh NAME, mt, help)"
        )
        yield Footer()

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#table", ResourceTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    def on_mount(self) -> None:
        self.query_one("#namespaces", SideList).border_title = "Namespaces"
        self.query_one("#roles", SideList).border_title = "Policy roles"
        self.detail.border_title = "Detail"
        self.table.focus()
        self._apply_size(self.size.width)
        self._run_source()
        self.set_interval(0.5, self._tick)
        self._refresh()

    def on_unmount(self) -> None:
        self._stop.set()

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        """Quit: the sources are told to stop at once, before Textual closes the screens
        (which can take a moment on a big tree), so no loop outlives the app."""
        self._stop.set()
        super().exit(result, return_code, message)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width)

    def _apply_size(self, width: int) -> None:
        self.screen.set_class(width < 120, "-narrow")
        self.screen.set_class(width < 90, "-tiny")

    # ------------------------------------------------------------------ workers

    @work(thread=True, exclusive=True, group="source", exit_on_error=False, description="source")
    def _run_source(self) -> None:
        inventory = self.inventory

        def emit(event: ChangesReady | StatusChanged) -> None:
            nonlocal inventory
            if isinstance(event, StatusChanged):
                self.post_message(SourceStatusReceived(event))
                return
            before = inventory
            inventory, diff = inventory.apply(event.changes)
            if event.initial or inventory is not before:
                self.post_message(InventoryChanged(inventory, diff, event.initial))

        try:
            self.source.run(emit, self._stop)
        except Exception as err:  # a source crash becomes a status, not a dead app
            self.post_message(
                SourceStatusReceived(StatusChanged(synced=False, message=f"source failed: {err}"))
            )

    @work(
        thread=True, exclusive=True, group="evaluate", exit_on_error=False, description="evaluate"
    )
    def _evaluate(self, inventory: Inventory, mesh: str) -> None:
        previous = (
            self.evaluation
            if self.evaluation is not None and self.evaluation.mesh == mesh
            else None
        )
        index = build_index_from_groups(
            inventory.groups_of(mesh),
            inventory.groups_of("").get("Mesh", {}).values(),
            mesh,
            previous=previous.index if previous else None,
            version=inventory.control_plane.version,
        )
        evaluation = MeshEvaluation.following(previous, index)
        self.post_message(EvaluationReady(mesh, inventory.version, evaluation))

    @work(
        thread=True,
        exclusive=True,
        group="affected",
        exit_on_error=False,
        description="affected counts",
    )
    def _count_affected(self, evaluation: MeshEvaluation) -> None:
        counts = {}
        index = evaluation.index
        for policy in (
            *index.all_policies(),
            *(p for ps in index.shadow_policies.values() for p in ps),
        ):
            counts[policy.key] = evaluation.affected_count(policy)
        self.post_message(AffectedCountsReady(evaluation, counts))

    # ------------------------------------------------------------------ messages from workers

    def on_inventory_changed(self, message: InventoryChanged) -> None:
        self.inventory = message.inventory
        self.loaded = True
        self.updated = self.clock().strftime("%H:%M:%S")
        if not message.initial:
            self._highlight(message.diff)
        meshes = self.inventory.mesh_names
        if self.ui.mesh not in meshes:
            mesh = "default" if "default" in meshes else (meshes[0] if meshes else "")
            self.ui = replace(self.ui, mesh=mesh)
        if self.ui.mesh:
            self._evaluate(self.inventory, self.ui.mesh)
        else:
            self.evaluation = None
            self._refresh()

    def on_source_status_received(self, message: SourceStatusReceived) -> None:
        self.status = message.status
        self._refresh_header()
        if self.evaluation is None:  # the empty table says why (see `_why_empty`)
            self._refresh_table()

    def on_evaluation_ready(self, message: EvaluationReady) -> None:
        if message.mesh != self.ui.mesh or message.version != self.inventory.version:
            return
        self.evaluation = message.evaluation
        self._refresh()
        # After this frame is painted, so counting does not slow the frame down.
        self.call_after_refresh(self._count_if_shown)
        if not self._frozen and self.status.synced:
            # The first load made millions of long-lived objects: left to the cyclic
            # collector, each of its full passes would stall the screen for 100+ ms.
            gc.freeze()
            self._frozen = True

    @_while_mounted
    def _count_if_shown(self) -> None:
        """Count each policy's dataplanes when the policies table (which shows them) is up.

        Counting every policy of a big mesh takes a while; it is not done for a view
        that does not show it. Counts of unchanged policies carry over between
        evaluations (`MeshEvaluation.following`), so a recount after an edit is quick.
        """
        ev = self.evaluation
        if ev is not None and self.ui.view == "policies" and self._counting is not ev:
            self._counting = ev
            self._count_affected(ev)

    @_while_mounted
    def on_affected_counts_ready(self, message: AffectedCountsReady) -> None:
        if message.evaluation is self.evaluation:
            self.affected = message.counts
            self._refresh_table()

    # ------------------------------------------------------------------ messages from widgets

    @on(SideList.Chosen, "#namespaces")
    def _namespace_chosen(self, message: SideList.Chosen) -> None:
        name = message.key.removeprefix("ns:")
        self._set_ui(replace(self.ui, namespaces=frozenset({name}) if name else frozenset()))

    @on(OptionList.OptionHighlighted, "#roles")
    def _role_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        """Say, under the roles pane, what the highlighted role means."""
        view = self.query_one("#roles", SideList).view
        hint = next((i.hint for i in view.items if i.key == message.option.id), "") if view else ""
        self.query_one("#role-hint", Static).update(hint)

    @on(SideList.Toggled, "#namespaces")
    def _namespace_toggled(self, message: SideList.Toggled) -> None:
        name = message.key.removeprefix("ns:")
        if not name:
            self._set_ui(replace(self.ui, namespaces=frozenset()))
            return
        chosen = set(self.ui.namespaces) ^ {name}
        self._set_ui(replace(self.ui, namespaces=frozenset(chosen)))

    # Fix: the footer offers `space Select` in the roles pane too, but only the namespaces
    # pane handled `Toggled`, so space did nothing there. Roles are single-choice: space
    # chooses, like enter.
    @on(SideList.Toggled, "#roles")
    @on(SideList.Chosen, "#roles")
    def _role_chosen(self, message: SideList.Chosen | SideList.Toggled) -> None:
        role = message.key.removeprefix("role:")
        self._set_ui(replace(self.ui, role=role, view="policies" if role else self.ui.view))

    def on_resource_table_highlighted(self, message: ResourceTable.Highlighted) -> None:
        if self.table.pending_key == message.key:
            self.table.pending_key = ""
        self.ui = self.ui.with_selected(message.key)
        self._refresh_detail()

    def on_resource_table_chosen(self, message: ResourceTable.Chosen) -> None:
        self.ui = self.ui.with_selected(message.key)
        self._refresh_detail()
        self._focus(self.detail.rules_tree)

    def on_rules_tree_jump(self, message: RulesTree.Jump) -> None:
        self.jump(message.target)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        self.ui = replace(self.ui, filter=message.value)
        self._refresh_table()
        self._refresh_detail()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        self._focus(self.table)

    @on(Input.Submitted, "#command")
    def _command_submitted(self, message: Input.Submitted) -> None:
        command = self.query_one("#command", Input)
        command.value = ""
        command.remove_class("-active")
        self._focus(self.table)
        namespaces = namespaces_view(self.evaluation, self.inventory.namespaces, self.ui).items
        result = run_command(
            message.value,
            self.ui,
            meshes=self.inventory.mesh_names,
            namespaces=[item.key.removeprefix("ns:") for item in namespaces if item.key != "ns:"],
        )
        if result.error:
            self.notify(result.error, severity="error", markup=False)
        if result.action == "quit":
            self.exit()
        elif result.action == "help":
            self.action_help()
        if result.state is not None:
            self._set_ui(result.state, remember=True)

    # ------------------------------------------------------------------ actions

    def _focus(self, widget: Widget) -> None:
        """Focus `widget` now, before the next key is handled.

        Fix: `Widget.focus()` only schedules the move, behind the keys already queued, and
        the keys of a non-priority binding are handed on only after those queued after
        it, so a fast `/prod` or `:mt⏎` (or typing while a big mesh is redrawn) sent
        `prod` to the table and lost it.
        """
        self.screen.set_focus(widget)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "command"):
            # `/` and `:` are priority bindings: in a field (the filter, the command line,
            # the palette) they are typed, and over the help screen they do nothing.
            return self.screen is self.screen_stack[0] and not isinstance(self.focused, Input)
        return True

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_full_screen(self) -> None:
        """`f`: the focused pane fills the screen (the detail pane as a whole), or stops."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def action_filter(self) -> None:
        self.screen.minimize()  # the filter line belongs to the table's column
        field = self.query_one("#filter", Input)
        field.add_class("-active")
        self._focus(field)

    def action_command(self) -> None:
        self.screen.minimize()
        field = self.query_one("#command", Input)
        field.add_class("-active")
        self._focus(field)

    def action_show(self, view: str) -> None:
        self._set_ui(replace(self.ui, view=view, filter=""), remember=True)

    def action_toggle_yaml(self) -> None:
        mode = "yaml" if self.ui.detail_mode == "tree" else "tree"
        self.ui = replace(self.ui, detail_mode=mode)
        self._refresh_detail()

    def action_next_mesh(self) -> None:
        meshes = self.inventory.mesh_names
        if len(meshes) < 2:
            self.notify("this source has only one mesh", markup=False)
            return
        following = (
            meshes[(meshes.index(self.ui.mesh) + 1) % len(meshes)]
            if self.ui.mesh in meshes
            else meshes[0]
        )
        self._set_ui(replace(self.ui, mesh=following, namespaces=frozenset(), selected={}))

    def action_go_back(self) -> None:
        command = self.query_one("#command", Input)
        field = self.query_one("#filter", Input)
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif command.has_class("-active"):
            command.value = ""
            command.remove_class("-active")
            self._focus(self.table)
        elif field.has_class("-active") or self.ui.filter:
            field.value = ""
            field.remove_class("-active")
            self.ui = replace(self.ui, filter="")
            self._focus(self.table)
            self._refresh()
        elif self.ui.detail_mode == "yaml":
            self.action_toggle_yaml()
        elif self.detail.rules_tree.has_focus:
            # Fix: drilling into a row (enter) is not a history step, so esc from the tree
            # returns to the table; it used to pop `_history` (a view the user had left
            # earlier) whenever there was one.
            self._focus(self.table)
        elif self._history:
            self._set_ui(self._history.pop())
            self._focus(self.table)

    def jump(self, target: str) -> None:
        """Show what `target` (`policy:T/name`, `dataplane:name`, `service:T/name`) names."""
        view = {"policy": "policies", "dataplane": "dataplanes", "service": "services"}.get(
            target.split(":")[0]
        )
        if view is None:
            return
        state = replace(self.ui, view=view, filter="")
        if view == "policies":
            kind = target.split(":", 1)[1].split("/", 1)[0]
            state = replace(state, kind=kind if self.ui.kind == kind else "", role="")
        self._set_ui(replace(state, namespaces=frozenset()).with_selected(target), remember=True)
        self.query_one("#filter", Input).value = ""
        self.table.select_key(target)
        self._focus(self.table)

    # ------------------------------------------------------------------ state → views

    def _set_ui(self, state: UIState, *, remember: bool = False) -> None:
        if remember and state != self.ui:
            self._history.append(self.ui)
            del self._history[:-50]
        mesh_changed = state.mesh != self.ui.mesh
        self.ui = state
        self.table.pending_key = ""  # a new state the user asked for: its selection rules
        self._sync_filter_field()
        if mesh_changed:
            self.evaluation = None
            self.affected = {}
            self._evaluate(self.inventory, state.mesh)
        self._refresh()
        self._count_if_shown()

    def _sync_filter_field(self) -> None:
        """Fix: keep the `/` field in step with `ui.filter`.

        A view switch (1/2/3/!, `:dp`, a jump) clears the filter in the state, but the
        field used to stay open showing the old text (and the next `/` appended to it);
        `esc` back through the history may also restore a filter.
        """
        field = self.query_one("#filter", Input)
        if field.value != self.ui.filter:
            with field.prevent(Input.Changed):
                field.value = self.ui.filter
        field.set_class(bool(self.ui.filter) or field.has_focus, "-active")

    def _highlight(self, diff: Diff) -> None:
        until = self.clock().timestamp() + self.highlight_seconds
        rows = dict(self.highlights.rows)
        from meshtui.present.tables import row_key

        resources = self.inventory.resource_map
        for key in diff.added | diff.changed:
            resource = resources.get(key)
            if resource is not None:
                rows[row_key(resource)] = ("added" if key in diff.added else "changed", until)
        self.highlights = Highlights(rows, self.highlights.nodes)

    @_while_mounted
    def _tick(self) -> None:
        if self.highlights.empty:
            return
        now = self.clock().timestamp()
        expired = self.highlights.expired(now)
        if expired != self.highlights:
            self.highlights = expired
            self._refresh_table()
            self._refresh_detail()

    @_while_mounted
    def _refresh(self) -> None:
        self._refresh_header()
        ev = self.evaluation
        self.query_one("#namespaces", SideList).view = namespaces_view(
            ev, self.inventory.namespaces, self.ui
        )
        self.query_one("#roles", SideList).view = roles_view(ev, self.ui)
        self._refresh_table()
        self._refresh_detail()

    @_while_mounted
    def _refresh_header(self) -> None:
        self.query_one(StatusHeader).view = header_view(
            mode=self.source.mode,
            source=self.source.description,
            ev=self.evaluation,
            meshes=self.inventory.mesh_names,
            problems=self.inventory.problems,
            updated=self.updated,
            status=self.status.message,
            kinds={k: (s.state, s.since) for k, s in self.status.kinds.items()},
            loading=not self.loaded,
        )

    @_while_mounted
    def _refresh_table(self) -> None:
        now = self.clock().timestamp()
        view = table_for(
            self.ui, self.evaluation, self.inventory, self.highlights, now, self.affected
        )
        if self.evaluation is None and not view.rows and self.ui.view != "problems":
            has_meshes = bool(self.inventory.mesh_names)
            why = waiting_text(
                loaded=self.loaded, status=self.status.message, has_meshes=has_meshes
            )
            view = replace(view, empty_text=why)
        pending = self.table.pending_key
        self.table.view = view
        keys = [row.key for row in view.rows]
        if pending and pending in keys and view.kind == self.ui.view:
            # the user moved the cursor and its message is still on the way: keep the move
            self.ui = self.ui.with_selected(pending)
        if keys and self.ui.selected_key not in keys:
            current = self.table.current_key()
            self.ui = self.ui.with_selected(current if current in keys else keys[0])
        if self.ui.selected_key:
            self.table.select_key(self.ui.selected_key)

    @_while_mounted
    def _refresh_detail(self) -> None:
        key = self.ui.selected_key
        view = detail_for(self.ui, self.evaluation, self.inventory)
        now = self.clock().timestamp()
        if (
            key == self._shown_detail_key
            and self._shown_detail is not None
            and view != self._shown_detail
        ):
            until = now + self.highlight_seconds
            nodes = dict(self.highlights.nodes)
            nodes.update(
                {node_id: ("changed", until) for node_id in tree_changes(self._shown_detail, view)}
            )
            self.highlights = Highlights(self.highlights.rows, nodes)
        elif key != self._shown_detail_key:
            self.highlights = Highlights(self.highlights.rows, {})
        self._shown_detail, self._shown_detail_key = view, key
        changed = frozenset(
            n for n in self.highlights.nodes if self.highlights.style_of_node(n, now)
        )
        self.detail.changed = changed
        self.detail.view = view


def first_namespace(args: argparse.Namespace, source: Source) -> str:
    """The namespace to focus first: `-n`, else the source's (in cluster mode the one
    kubectl would use without `-n`: the context's, or the pod's; a folder has none)."""
    if args.namespace is not None:  # `-n ''`: all namespaces whatever the context says
        return str(args.namespace)
    return source.default_namespace


def run_dashboard(args: argparse.Namespace, options: ContextOptions) -> int:
    """Build the source from the command line and run the app until the user quits."""
    source: Source
    if args.path is not None:
        path: Path = args.path
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        from meshtui.sources.files import FolderSource

        source = FolderSource(path, poll=args.poll)
    else:
        from meshtui.sources.kube import KubeSource

        source = KubeSource(kubeconfig=args.kubeconfig, context=args.context)
    app = MeshtuiApp(source, options, mesh=args.mesh or "", namespace=first_namespace(args, source))
    app.run()
    return 0
