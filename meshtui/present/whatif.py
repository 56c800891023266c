"""What-if mode: draft files overlaid on the live state, and how the panes show it (pure).

The app reads the drafts with a folder source and keeps them as inventory origins of
their own, `whatif:…`, which sort after the live ones (`file:…`, `kube:…`): the inventory
shows the last definition of a key in origin order, so a draft resource is added, or
replaces the live one with the same store key, as `meshtui diff --with` does. Drafts are
parsed with the live state's control-plane context pinned, so they are labelled as the
live resources are.

Every pane then shows the overlay. Rows of drafted resources are marked (`+ draft` not
in the live state, `~ draft` replacing it), so are proxies whose merged rules differ
from the live state's (`Δ rules`), and a proxy's detail starts with its diff against
the live state (computed in a worker: `journal.mesh_changes`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from meshtui.engine.diff import MeshDiff
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Change, Diff, Inventory, OriginUpdate, ScopeReplaced
from meshtui.model import ResourceKey
from meshtui.parse import ContextOptions
from meshtui.present.changes import rule_nodes
from meshtui.present.text import literal
from meshtui.views import DetailNode, DetailView, ResourceRow, Row, TableView

DRAFT_PREFIX = "whatif:"
"""Origin keys of draft files: after `file:` and `kube:` in origin order."""

DRAFTED_MARKS = {"added": "  + draft", "changed": "  ~ draft"}
"""After the name of a resource the drafts add, or replace."""

RULES_MARK = "  Δ rules"
"""After the name of a proxy whose merged rules differ from the live state's."""

NAME_COLUMN = {"dataplanes": 0, "policies": 1, "services": 1}

_OVERLAYS = itertools.count(1)


class DraftFiles:
    """The draft files as a folder source reports them, renamed into `whatif:` origins.

    Fed by one worker thread (the draft source's); each `apply` returns the drafts whole.
    """

    def __init__(self) -> None:
        self._updates: dict[str, OriginUpdate] = {}

    def apply(self, changes: Sequence[Change]) -> tuple[OriginUpdate, ...]:
        """The drafts after `changes` (a rescan, or files re-read or gone)."""
        for change in changes:
            if isinstance(change, ScopeReplaced):
                scope = DRAFT_PREFIX + change.scope
                self._updates = {k: u for k, u in self._updates.items() if not k.startswith(scope)}
                for update in change.updates:
                    self._set(update)
            else:
                self._set(change)
        return tuple(self._updates[key] for key in sorted(self._updates))

    def _set(self, update: OriginUpdate) -> None:
        origin = DRAFT_PREFIX + update.origin
        if update.documents is None:
            self._updates.pop(origin, None)
        else:
            self._updates[origin] = replace(update, origin=origin)


def pinned(live: Inventory) -> ContextOptions:
    """Options that give the live state's control-plane context, whatever the drafts hold."""
    cp = live.control_plane
    return ContextOptions(
        cp_mode=cp.mode,
        zone=cp.zone if cp.mode == "zone" else None,
        env=cp.env,
        system_namespace=cp.system_namespace,
        version=cp.version,
    )


def overlay(live: Inventory, drafts: tuple[OriginUpdate, ...]) -> tuple[Inventory, Diff]:
    """The live inventory with the drafts on top, and which resources they add or replace.

    Only the drafts are parsed. The overlay's `version` is negative and unique: an
    evaluation of an overlay is never taken for one of the live state.
    """
    base = replace(live, options=pinned(live))
    drafted, diff = base.apply([ScopeReplaced(DRAFT_PREFIX, drafts)])
    return (
        replace(
            drafted,
            options=live.options,
            context_note=live.context_note,
            version=-next(_OVERLAYS),
        ),
        diff,
    )


@dataclass(frozen=True, eq=False)
class WhatIf:
    """What-if mode's state: the drafts, what they touch, and the diff against live."""

    path: str
    """The drafts as the user named them."""
    status: str = "reading the drafts…"
    """The draft source's status line."""
    drafted: Mapping[ResourceKey, str] = field(default_factory=dict)
    """Resources the drafts add (`added`) or replace (`changed`)."""
    compared: MeshDiff | None = None
    """The shown mesh's proxies, overlay against live, once computed."""
    compared_for: MeshEvaluation | None = None
    """The evaluation `compared` was computed for."""

    def diff_for(self, ev: MeshEvaluation | None) -> MeshDiff | None:
        """The diff against live of `ev`'s proxies (`None` until computed)."""
        return self.compared if ev is not None and self.compared_for is ev else None


def header_text(whatif: WhatIf | None, ev: MeshEvaluation | None) -> str:
    """`drafts/: 1 resource drafted · 1 of 4 dataplanes change`, escaped."""
    if whatif is None:
        return ""
    text = literal(whatif.path)
    if not whatif.drafted:
        return f"{text}: nothing drafted ({literal(whatif.status)})"
    count = len(whatif.drafted)
    text += f": {count} resource{'s' if count != 1 else ''} drafted"
    diff = whatif.diff_for(ev)
    if ev is None:
        return text
    if diff is None:
        return text + " · comparing with the live state…"
    return text + f" · {len(diff.changes):,} of {diff.total:,} dataplanes change"


def marked(view: TableView, whatif: WhatIf | None, ev: MeshEvaluation | None) -> TableView:
    """`view` with drafted resources and proxies whose merged rules change marked."""
    column = NAME_COLUMN.get(view.kind)
    if whatif is None or ev is None or column is None:
        return view
    drafted = {
        (k.type, k.name): action for k, action in whatif.drafted.items() if k.mesh == ev.mesh
    }
    diff = whatif.diff_for(ev)
    changed = {c.dataplane for c in diff.changes} if diff is not None else set()
    if not drafted and not changed:
        return view
    return replace(view, rows=tuple(_mark(row, column, drafted, changed) for row in view.rows))


def _mark(row: Row, column: int, drafted: Mapping[tuple[str, str], str], changed: set[str]) -> Row:
    key = row.key
    if not isinstance(key, ResourceRow):
        return row
    action = drafted.get((key.type, key.name))
    rules = key.view == "dataplanes" and key.name in changed
    if action is None and not rules:
        return row
    mark = (DRAFTED_MARKS[action] if action else "") + (RULES_MARK if rules else "")
    cells = list(row.cells)
    cells[column] += mark
    return replace(row, cells=tuple(cells), style=action or "changed")


def with_whatif(
    view: DetailView, whatif: WhatIf, ev: MeshEvaluation, key: ResourceRow
) -> DetailView:
    """A resource's detail in what-if mode: whether it is drafted, and for a proxy, its
    merged rules' diff against the live state, first."""
    action = whatif.drafted.get(ResourceKey(key.type, ev.mesh, key.name))
    if action is not None:
        said = "not in the live state" if action == "added" else "replaces the live one"
        view = replace(view, subtitle=f"DRAFT ({said}) · {view.subtitle}")
    if key.view != "dataplanes" or view.tree is None:
        return view
    section = whatif_section(whatif.diff_for(ev), key.name)
    tree = replace(view.tree, children=(section, *view.tree.children))
    return replace(view, tree=tree)


def whatif_section(diff: MeshDiff | None, name: str) -> DetailNode:
    """The `What-if` section of a proxy's detail."""
    if diff is None:
        return DetailNode("whatif", "What-if: comparing with the live state…", style="muted")
    if name in diff.added:
        return DetailNode(
            "whatif", "What-if: a new dataplane, not in the live state", style="added"
        )
    change = next((c for c in diff.changes if c.dataplane == name), None)
    if change is None:
        return DetailNode(
            "whatif", "What-if: the same merged rules as in the live state", style="muted"
        )
    parts = [_count(len(change.rules), "rule changes", "rules change")] if change.rules else []
    if change.started:
        parts.append(_count(len(change.started), "policy now applies", "policies now apply"))
    if change.stopped:
        parts.append(
            _count(len(change.stopped), "policy no longer applies", "policies no longer apply")
        )
    label = f"What-if: against the live state, {', '.join(parts)}"
    return DetailNode("whatif", label, rule_nodes("whatif", change), style="changed")


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
