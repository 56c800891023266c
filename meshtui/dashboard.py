"""The dashboard screen: the layout, the keys, and what the widgets' messages do.

It draws what the app knows (a `Snapshot`, handed over whole by the app) the way the
`Navigator` says, and asks the app for the work behind it (`EvaluationWanted`,
`CountsWanted`, `DetailWanted`); the app runs it in workers and hands results back
(`detail_built`, `detail_failed`). Nothing here calls the engine: tables and side lists
are formatted from data already computed, and the detail is built in a worker, one
build at a time, the latest wanted (`present.requests.DetailFeed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, HelpPanel, Input, Static

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Diff, Inventory
from meshtui.messages import CountsWanted, DetailWanted, DraftWanted, EvaluationWanted
from meshtui.present.commands import run_command
from meshtui.present.detail import DetailBuilt, DetailRequest
from meshtui.present.explaining import EXPLAIN, EXPLAINED_VIEWS, WHY, subject, unavailable
from meshtui.present.highlights import Highlights
from meshtui.present.navigator import Navigator, NavState
from meshtui.present.requests import DetailFeed
from meshtui.present.snapshot import Snapshot, header_of, sides_of, table_of
from meshtui.present.text import literal
from meshtui.views import ResourceRow
from meshtui.widgets.detail import DetailPane, RulesTree, copyable
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.help import HelpScreen, ProfileHelpPanel
from meshtui.widgets.sidelist import SideList
from meshtui.widgets.table import ResourceTable

Clock = Callable[[], datetime]
COUNTED_VIEWS = ("policies", "services")
"""Tables with a column counted by a worker (AFFECTS, POLICIES)."""


class DashboardScreen(Screen[None]):
    """Header, side lists, the table over the detail, the command line and the footer."""

    BINDINGS = [
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        # Priority: run before the keys typed after them are handed to the focused widget
        # (see `_focus`); `check_action` lets them through to an input field.
        Binding("slash", "filter", "Filter", priority=True),
        Binding("colon", "command", "Command", priority=True),
        Binding("y", "toggle_yaml", "YAML"),
        Binding("e", "explain", "Explain"),
        Binding("w", "why", "Why (not)"),
        Binding("c", "copy", "Copy"),
        Binding("f", "toggle_full_screen", "Full screen"),
        Binding("escape", "go_back", "Back"),
        Binding("1", "show('dataplanes')", "Dataplanes", show=False),
        Binding("2", "show('policies')", "Policies", show=False),
        Binding("3", "show('services')", "Services", show=False),
        Binding("4", "show('changes')", "Changes", show=False),
        Binding("exclamation_mark", "show('problems')", "Problems"),
        Binding("m", "next_mesh", "Mesh", show=False),
        Binding("f1", "toggle_keys", "Keys", show=False),
    ]

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        mode: str,
        source: str,
        clock: Clock,
        state: NavState,
        highlight_seconds: float,
    ) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.nav = Navigator(state)
        self.highlights = Highlights()
        self._mode, self._source = mode, source
        self._clock = clock
        self._highlight_seconds = highlight_seconds
        self._details = DetailFeed()
        self._detail_asked = False
        self._asked_evaluation: tuple[str, Inventory] | None = None
        self._counting: dict[str, MeshEvaluation] = {}
        self._explain_focus = ""
        """The rules tree line `e` was pressed on (``""``: the whole dataplane)."""

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
            id="command",
            placeholder=":command  (dp, pol, svc, changes, ns NAME, mesh NAME, mt, draft PATH)",
        )
        yield Footer()

    @property
    def state(self) -> NavState:
        return self.nav.state

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#table", ResourceTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    def _input(self, name: str) -> Input:
        return self.query_one(f"#{name}", Input)

    def _sidelist(self, name: str) -> SideList:
        return self.query_one(f"#{name}", SideList)

    def on_mount(self) -> None:
        self._sidelist("namespaces").border_title = "Namespaces"
        self._sidelist("roles").border_title = "Policy roles"
        self.detail.border_title = "Detail"
        self.table.focus()
        self._fit(self.app.size.width)
        self.set_interval(0.5, self._tick)
        self._ensure_mesh()
        self._refresh()

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width < 120, "-narrow")
        self.set_class(width < 90, "-tiny")

    # ------------------------------------------------------------------ from the app

    def show_snapshot(self, snapshot: Snapshot, diff: Diff | None = None) -> None:
        """What the app knows changed; `diff`: what an inventory change added or changed."""
        old, self.snapshot = self.snapshot, snapshot
        if diff is not None:
            self.highlights = self.highlights.with_diff(diff, self._until())
        if not self.is_mounted:
            return  # `on_mount` shows the latest
        before = self.nav.state
        self._ensure_mesh()
        if old.differs_only_in_status(snapshot) and before == self.nav.state:
            self._refresh_header()  # only the source's health changed
            if self._evaluation() is None:
                self._refresh_table()  # the empty table says why
            return
        self._refresh()

    def detail_built(self, built: DetailBuilt) -> None:
        """A detail the screen asked for is built: shown if nothing newer was asked."""
        self._detail_done(*self._details.built(built))

    def detail_failed(self, error: str) -> None:
        """Building the detail failed: the pane says so, and the next request goes on."""
        self._detail_done(*self._details.failed(error))

    def _detail_done(self, shown: DetailBuilt | None, following: DetailRequest | None) -> None:
        if following is not None:
            self.post_message(DetailWanted(following))
        if shown is not None:
            self._show_detail(shown)

    # ------------------------------------------------------------------ messages from widgets

    @on(SideList.Chosen, "#namespaces")
    def _namespace_chosen(self, message: SideList.Chosen) -> None:
        self._navigate(lambda: self.nav.choose_namespace(message.key))

    @on(SideList.Toggled, "#namespaces")
    def _namespace_toggled(self, message: SideList.Toggled) -> None:
        self._navigate(lambda: self.nav.toggle_namespace(message.key))

    @on(SideList.Toggled, "#roles")  # roles are single-choice: space chooses, like enter
    @on(SideList.Chosen, "#roles")
    def _role_chosen(self, message: SideList.Chosen | SideList.Toggled) -> None:
        self._navigate(lambda: self.nav.choose_role(message.key))

    @on(SideList.Highlighted, "#roles")
    def _role_highlighted(self, message: SideList.Highlighted) -> None:
        """Say, under the roles pane, what the highlighted role means."""
        view = self._sidelist("roles").view
        hint = next((i.hint for i in view.items if i.key == message.key), "") if view else ""
        self.query_one("#role-hint", Static).update(hint)

    def on_resource_table_highlighted(self, message: ResourceTable.Highlighted) -> None:
        # A move the cursor has made since (or the screen has) overrides this one.
        if message.key == self.table.current_key():
            self._navigate(lambda: self.nav.select(message.key), moved_by_table=True)

    def on_resource_table_chosen(self, message: ResourceTable.Chosen) -> None:
        self._navigate(lambda: self.nav.select(message.key))
        self._focus(self.detail.rules_tree)

    def on_rules_tree_jump(self, message: RulesTree.Jump) -> None:
        self.jump(message.target)

    def on_rules_tree_opened(self, message: RulesTree.Opened) -> None:
        self.open_section(message.node_id)

    def open_section(self, node_id: str) -> None:
        """Build the lines of a folded detail section from now on (the user opened it)."""
        self.nav.open_section(node_id)
        self._want_detail()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        self._navigate(lambda: self.nav.set_filter(message.value))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        self._focus(self.table)

    @on(Input.Submitted, "#command")
    def _command_submitted(self, message: Input.Submitted) -> None:
        self._close_field("command")
        listed = self._sidelist("namespaces").view
        result = run_command(
            message.value,
            self.nav.state,
            meshes=self.snapshot.inventory.mesh_names,
            namespaces=[item.key for item in listed.items if item.key] if listed else [],
        )
        if result.error:
            self.say(result.error, severity="error")
        if result.action == "quit":
            self.app.exit()
        elif result.action == "help":
            self.action_help()
        elif result.action == "draft":
            self.post_message(DraftWanted(result.argument))
        if result.state is not None:
            state = result.state
            self._navigate(lambda: self.nav.go(state, remember=True))

    # ------------------------------------------------------------------ actions

    def say(self, text: str, *, severity: SeverityLevel = "information") -> None:
        """A notification; `text` is escaped and never parsed as markup."""
        self.notify(literal(text), severity=severity, markup=False)

    def _focus(self, widget: Widget) -> None:
        """Focus `widget` now, before the next key is handled (`Widget.focus()` would
        only schedule it behind the keys already queued: a fast `/prod` would type `prod`
        into the table)."""
        self.set_focus(widget)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "command"):
            # `/` and `:` are priority bindings: in a field they are typed, and over the
            # help screen they do nothing
            return self.app.screen is self and not isinstance(self.focused, Input)
        if action in ("explain", "why"):
            return self.nav.state.view in EXPLAINED_VIEWS  # not offered over services, problems
        return True

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.snapshot.profile_how))

    def action_toggle_keys(self) -> None:
        """F1: the keys of the focused pane, and what it shows, in a side panel."""
        if self.query(HelpPanel):
            self.app.action_hide_help_panel()
        else:
            self.mount(ProfileHelpPanel(f"Answering as {self.snapshot.profile}"))

    def action_copy(self) -> None:
        """`c`: the KRI or conf under the detail's cursor, the YAML shown, else the KRI
        of the selection."""
        item = copyable(self.detail.view, self.detail.rules_tree)
        if item is None:
            self.say("nothing to copy here")
            return
        self.app.copy_to_clipboard(item.text)
        self.say(f"copied {item.what}")

    def action_toggle_full_screen(self) -> None:
        """`f`: the focused pane fills the screen (the detail pane as a whole), or stops."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_filter(self) -> None:
        self._open_field("filter")

    def action_command(self) -> None:
        self._open_field("command")

    def _open_field(self, name: str) -> None:
        self.minimize()  # the fields belong to the whole screen
        field = self._input(name)
        field.add_class("-active")
        self._focus(field)

    def _close_field(self, name: str) -> None:
        field = self._input(name)
        field.value = ""
        field.remove_class("-active")
        self._focus(self.table)

    def action_show(self, view: str) -> None:
        self._navigate(lambda: self.nav.show(view))

    def action_toggle_yaml(self) -> None:
        self._navigate(self.nav.toggle_detail_mode)

    def action_explain(self) -> None:
        """`e`: explain the conf under the rules tree's cursor (the whole dataplane when
        the tree is not focused): who set each field, what it overrode, the merge order.
        Again: back to the tree."""
        self._explaining(EXPLAIN)

    def action_why(self) -> None:
        """`w`: why the selected policy does (not) apply to the dataplane selected last, or
        the selected dataplane to the policy selected last. Again: back to the tree."""
        self._explaining(WHY)

    def _explaining(self, mode: str) -> None:
        if self.nav.state.detail_mode == mode:
            self._navigate(lambda: self.nav.set_detail_mode("tree"))
            return
        problem = unavailable(self.nav.state, mode)
        if problem:
            self.say(problem)
            return
        if mode == EXPLAIN:
            tree = self.detail.rules_tree
            line = tree.cursor_node.data if tree.cursor_node is not None else None
            on_rules = self.nav.state.detail_mode == "tree" and tree.has_focus
            self._explain_focus = line.node_id if on_rules and line is not None else ""
        self._navigate(lambda: self.nav.set_detail_mode(mode))

    def action_next_mesh(self) -> None:
        if not self._navigate(lambda: self.nav.next_mesh(self.snapshot.inventory.mesh_names)):
            self.say("this source has only one mesh")

    def action_go_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self._input("command").has_class("-active"):
            self._close_field("command")
        elif self._input("filter").has_class("-active") or self.nav.state.filter:
            self._close_field("filter")
            self._navigate(lambda: self.nav.set_filter(""))
        elif self.nav.state.detail_mode != "tree":
            self._navigate(lambda: self.nav.set_detail_mode("tree"))
        elif self.detail.rules_tree.has_focus:
            self._focus(self.table)  # drilling into a row (enter) is not a history step
        elif self._navigate(self.nav.back):
            self._focus(self.table)

    def jump(self, target: ResourceRow) -> None:
        """Show what `target` names, selected in its table; `esc` comes back."""
        self._navigate(lambda: self.nav.jump(target))
        self._focus(self.table)

    # ------------------------------------------------------------------ state → views

    def _navigate(self, change: Callable[[], object], *, moved_by_table: bool = False) -> bool:
        """Apply a navigation `change`, then redraw what it affects; returns its result."""
        before = self.nav.state
        result = change()
        state = self.nav.state
        if state.mesh != before.mesh:
            self._ask_evaluation()
        if state.view != before.view:
            self.refresh_bindings()
        if replace(state, selected=before.selected, detail_mode=before.detail_mode) != before:
            self._sync_filter_field()
            if (state.mesh, state.namespaces, state.role) != (
                before.mesh,
                before.namespaces,
                before.role,
            ):
                self._refresh_sides()
            self._refresh_table(select=True)
            self._want_counts()
        elif state.selected_key != before.selected_key and not moved_by_table:
            key = state.selected_key
            if key is not None:
                self.table.select_key(key)
        self._want_detail()
        return bool(result)

    def _sync_filter_field(self) -> None:
        """Keep the `/` field in step with the state's filter (a view switch clears it,
        `esc` back through the history may restore one)."""
        field = self._input("filter")
        if field.value != self.nav.state.filter:
            with field.prevent(Input.Changed):
                field.value = self.nav.state.filter
        field.set_class(bool(self.nav.state.filter) or self.focused is field, "-active")

    def _now(self) -> float:
        return self._clock().timestamp()

    def _until(self) -> float:
        return self._now() + self._highlight_seconds

    def _evaluation(self) -> MeshEvaluation | None:
        return self.snapshot.evaluation_of(self.nav.state.mesh)

    def _ensure_mesh(self) -> None:
        """Once the source has loaded, show a mesh it has (the one asked for if it can),
        and ask for its evaluation."""
        if self.snapshot.loaded:
            self.nav.ensure_mesh(self.snapshot.inventory.mesh_names)
            self._ask_evaluation()

    def _ask_evaluation(self) -> None:
        wanted = (self.nav.state.mesh, self.snapshot.inventory)
        asked = self._asked_evaluation
        if asked is None or asked[0] != wanted[0] or asked[1] is not wanted[1]:
            self._asked_evaluation = wanted
            self.post_message(EvaluationWanted(*wanted))

    def _want_counts(self) -> None:
        """Ask for the counts of the table shown, once per evaluation, after this frame."""
        self.call_after_refresh(self._ask_counts)

    def _ask_counts(self) -> None:
        view, ev = self.nav.state.view, self._evaluation()
        if view in COUNTED_VIEWS and ev is not None and self._counting.get(view) is not ev:
            self._counting[view] = ev
            self.post_message(CountsWanted(ev, view))

    def _want_detail(self) -> None:
        """Ask for the detail once the messages queued now are handled: cursor moves of a
        held key are folded into one request."""
        if not self._detail_asked:
            self._detail_asked = True
            self.call_after_refresh(self._ask_detail)

    def _ask_detail(self) -> None:
        self._detail_asked = False
        state, snapshot = self.nav.state, self.snapshot
        focus, other = subject(state, self._explain_focus)
        request = self._details.ask(
            state.selected_key,
            state.detail_mode,
            self.nav.opened,
            self._evaluation(),
            snapshot.inventory,
            snapshot.problems,
            focus=focus,
            other=other,
            check=snapshot.check_of(state.selected_key, state.detail_mode),
            journal=snapshot.journal,
            whatif=snapshot.whatif,
        )
        if request is not None:
            self.post_message(DetailWanted(request))

    @property
    def detail_pending(self) -> bool:
        """Whether a detail is wanted that is not shown yet."""
        return self._detail_asked or self._details.building

    def _show_detail(self, built: DetailBuilt) -> None:
        if not self._details.show(built):
            self.highlights = self.highlights.without_nodes()
        elif built.changed:
            self.highlights = self.highlights.with_nodes(built.changed, self._until())
        self.detail.changed = self.highlights.nodes_shown(self._now())
        self.detail.view = built.view

    def _tick(self) -> None:
        if self.highlights.empty:
            return
        now = self._now()
        expired = self.highlights.expired(now)
        if expired != self.highlights:
            rows_changed = expired.rows != self.highlights.rows
            self.highlights = expired
            if rows_changed:
                self._refresh_table()
            self.detail.changed = expired.nodes_shown(now)

    def _refresh(self) -> None:
        self._refresh_header()
        self._refresh_sides()
        self._refresh_table()
        self._want_counts()
        self._want_detail()

    def _refresh_sides(self) -> None:
        namespaces, roles = sides_of(self.snapshot, self.nav.state)
        self._sidelist("namespaces").view = namespaces
        self._sidelist("roles").view = roles

    def _refresh_header(self) -> None:
        header = header_of(self.snapshot, self.nav.state, mode=self._mode, source=self._source)
        self.query_one(StatusHeader).view = header

    def _refresh_table(self, *, select: bool = False) -> None:
        """Show the table; with `select`, put the cursor on the selection (a navigation,
        not the table's own move, changed it)."""
        before = self.nav.state.selected_key
        view = table_of(self.snapshot, self.nav.state, self.highlights, self._now())
        table = self.table
        other_kind = table.view is None or table.view.kind != view.kind
        table.view = view
        self.nav.follow(view.kind, [row.key for row in view.rows])
        key = self.nav.state.selected_key
        if key is not None and (select or other_kind or key != before):
            table.select_key(key)
