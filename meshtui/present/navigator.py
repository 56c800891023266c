"""Where the user is: what the dashboard shows, what is selected, and how they got there.

Textual-free. The dashboard screen calls a `Navigator` from its handlers and renders
what its `state` says; the selection lives here only (the table's cursor is drawn from
it). History holds the views the user left, for `esc`; jumps (an origin line, an
affected dataplane) go through `jump`, which remembers where they came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from meshtui.views import ResourceRow, RowKey

HISTORY_LIMIT = 50
"""How many views `esc` can go back through."""


@dataclass(frozen=True, slots=True)
class NavState:
    """What is shown, selected and filtered; replaced whole on every change."""

    mesh: str = ""
    view: str = "dataplanes"
    """One of `views.VIEWS`: what the central table lists."""
    namespaces: frozenset[str] = frozenset()
    """Selected namespaces; empty means all."""
    role: str = ""
    """Policy role filter; empty means all roles."""
    kind: str = ""
    """Policy kind filter (from `:mt` and the like); empty means all kinds."""
    filter: str = ""
    """The live `/` filter text."""
    selected: Mapping[str, RowKey] = field(default_factory=dict)
    """Selected row per view."""
    detail_mode: str = "tree"
    """`tree`, `yaml`, `explain` (`e`) or `why` (`w`)."""

    def with_selected(self, key: RowKey) -> NavState:
        """Select `key` in the current view."""
        return replace(self, selected={**self.selected, self.view: key})

    @property
    def selected_key(self) -> RowKey | None:
        """The selected row of the current view (`None` when none)."""
        return self.selected.get(self.view)


class Navigator:
    """Owns the `NavState`, the history of views left, and the detail sections opened."""

    def __init__(self, state: NavState | None = None) -> None:
        self._state = state if state is not None else NavState()
        self._history: list[NavState] = []
        self._shown: dict[str, Sequence[RowKey]] = {}
        """The rows each view listed last, to find the place of a row that went away."""
        self._opened: tuple[RowKey | None, frozenset[str]] = (None, frozenset())

    @property
    def state(self) -> NavState:
        return self._state

    @property
    def history(self) -> tuple[NavState, ...]:
        """The views `back` returns to, the most recent last."""
        return tuple(self._history)

    @property
    def opened(self) -> frozenset[str]:
        """Folded detail sections the user opened, for the subject shown now."""
        subject, node_ids = self._opened
        return node_ids if subject == self._state.selected_key else frozenset()

    def go(self, state: NavState, *, remember: bool = False) -> None:
        """Show `state`; with `remember`, `back` returns to the current one."""
        if remember and state != self._state:
            self._history.append(self._state)
            del self._history[:-HISTORY_LIMIT]
        self._state = state

    def select(self, key: RowKey) -> None:
        """The user moved to `key` in the current view."""
        if key != self._state.selected_key:
            self._state = self._state.with_selected(key)

    def open_section(self, node_id: str) -> None:
        """The user opened a folded detail section: build its lines from now on."""
        self._opened = (self._state.selected_key, self.opened | {node_id})

    def show(self, view: str) -> None:
        """Switch the central table (the filter belongs to the table left)."""
        self.go(replace(self._state, view=view, filter=""), remember=True)

    def set_filter(self, text: str) -> None:
        self._state = replace(self._state, filter=text)

    def set_detail_mode(self, mode: str) -> None:
        """Draw the detail as `mode` (see `NavState.detail_mode`)."""
        self._state = replace(self._state, detail_mode=mode)

    def toggle_detail_mode(self) -> None:
        """`y`: the YAML, or back to the tree from it."""
        mode = "tree" if self._state.detail_mode == "yaml" else "yaml"
        self._state = replace(self._state, detail_mode=mode)

    def choose_namespace(self, name: str) -> None:
        """Only `name` (all of them for ``""``)."""
        self.go(replace(self._state, namespaces=frozenset({name}) if name else frozenset()))

    def toggle_namespace(self, name: str) -> None:
        """`name` in or out of the selection (``""``: all of them)."""
        chosen = frozenset(self._state.namespaces ^ {name}) if name else frozenset()
        self.go(replace(self._state, namespaces=chosen))

    def choose_role(self, role: str) -> None:
        """Only policies of `role` (all for ``""``), shown in the policies table."""
        view = "policies" if role else self._state.view
        self.go(replace(self._state, role=role, view=view))

    def ensure_mesh(self, meshes: Sequence[str]) -> None:
        """Keep the mesh if it still exists, else show `default`, else the first."""
        if self._state.mesh not in meshes:
            mesh = "default" if "default" in meshes else (meshes[0] if meshes else "")
            self._state = replace(self._state, mesh=mesh)

    def next_mesh(self, meshes: Sequence[str]) -> bool:
        """Show the mesh after the current one; False when there is no other."""
        if len(meshes) < 2:
            return False
        current = self._state.mesh
        following = (
            meshes[(meshes.index(current) + 1) % len(meshes)] if current in meshes else meshes[0]
        )
        self.go(replace(self._state, mesh=following, namespaces=frozenset(), selected={}))
        return True

    def jump(self, target: ResourceRow) -> None:
        """Show what `target` names, in its table, unfiltered, as a tree; `back` returns
        here (to an explanation too).

        A jump to a policy keeps the kind filter if the policy is of that kind, and clears
        the role filter (the policy may have another role).
        """
        state = replace(
            self._state, view=target.view, filter="", namespaces=frozenset(), detail_mode="tree"
        )
        if target.view == "policies":
            kind = target.type if self._state.kind == target.type else ""
            state = replace(state, kind=kind, role="")
        self.go(state.with_selected(target), remember=True)

    def back(self) -> bool:
        """Return to the view left last; False when there is none."""
        if not self._history:
            return False
        self._state = self._history.pop()
        return True

    def follow(self, view: str, keys: Sequence[RowKey]) -> None:
        """Keep `view`'s selection on a row it lists: the same row while it is there,
        else the row now at its place (the last one if the list got shorter)."""
        previous = self._shown.get(view, ())
        self._shown[view] = keys
        if not keys:
            return
        selected = self._state.selected.get(view)
        if selected is not None and selected in keys:
            return
        place = previous.index(selected) if selected is not None and selected in previous else 0
        chosen = keys[min(place, len(keys) - 1)]
        self._state = replace(self._state, selected={**self._state.selected, view: chosen})
