"""The Changes view's journal: every live change since start, which resources it touched
and what it did to the proxies' merged rules (pure, headless).

A change is recorded the moment it arrives (`pending`, its effect not known yet); its
effect is computed in a worker (`effect_of`) from the index of each mesh it touched,
before and after (`mesh_changes`). A record keeps only what it shows: names, texts and
the rules diff, grouped (identical changes of many proxies are one group); never an
inventory or an index. The journal keeps the newest `JOURNAL_LIMIT` changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from meshtui.engine.diff import DataplaneChange, MeshDiff, diff_meshes
from meshtui.engine.index import MeshIndex, build_index_from_groups
from meshtui.inventory import Diff, Inventory
from meshtui.model import Resource, ResourceKey
from meshtui.present.diff import groups
from meshtui.present.tables import namespace_label, row_key
from meshtui.present.text import literal
from meshtui.views import ResourceRow

JOURNAL_LIMIT = 100
"""Changes kept (the newest); older ones are dropped, and the view says how many were seen."""

TOUCHED_KEPT = 50
"""Resources listed per change; a change touching more (a re-list, a checkout) counts the rest."""

PROBLEMS_KEPT = 20
"""Problem lines (appeared or resolved) listed per change."""


def mesh_changes(before: MeshIndex, after: MeshIndex) -> MeshDiff:
    """Every proxy of one mesh whose merged rules (or matched policies) differ.

    The one place the dashboard asks the engine for a rules diff, for the Changes view and
    for what-if mode alike: a faster way to find the changed proxies replaces this body.
    """
    return diff_meshes(before, after)


class IndexStore:
    """The latest index of each mesh, and the inventory it was built from.

    Asked for another inventory, it builds the index from the one it holds (the engine
    carries over what did not change), so a run of changes costs one incremental build
    each. Shared by worker threads: the lock guards the table, not the builds (two
    threads may build the same index; both results are right).
    """

    def __init__(self) -> None:
        self._latest: dict[str, tuple[Inventory, MeshIndex]] = {}
        self._lock = threading.Lock()

    def index_of(self, inventory: Inventory, mesh: str) -> MeshIndex:
        """The index of `mesh` in `inventory` (empty when the mesh is not in it)."""
        with self._lock:
            held = self._latest.get(mesh)
        if held is not None and held[0] is inventory:
            return held[1]
        index = build_index_from_groups(
            inventory.groups_of(mesh),
            inventory.groups_of("").get("Mesh", {}).values(),
            mesh,
            previous=held[1] if held is not None else None,
            version=inventory.control_plane.version,
        )
        with self._lock:
            self._latest[mesh] = (inventory, index)
        return index


@dataclass(frozen=True, slots=True)
class ChangeJob:
    """A live change to compute the effect of: the inventories before and after it."""

    sequence: int
    when: str
    """`HH:MM:SS` when it arrived."""
    before: Inventory
    after: Inventory
    diff: Diff


@dataclass(frozen=True, slots=True)
class Touched:
    """One resource a change added, changed or removed."""

    action: str
    """`added`, `changed` or `removed`."""
    key: ResourceKey
    label: str
    """`MeshTimeout consumer-timeout (first-consumer)`, escaped."""
    source: str = ""
    """Where it is (or was) read from, escaped; ``""`` when not known."""
    row: ResourceRow | None = None
    """Its row, to jump to (none once removed)."""


@dataclass(frozen=True, slots=True)
class EffectGroup:
    """Proxies whose change is identical, and that change (of the first of them)."""

    dataplanes: tuple[str, ...]
    """Store names."""
    namespaces: tuple[str, ...]
    """Their namespaces, sorted, each once."""
    change: DataplaneChange


@dataclass(frozen=True, slots=True)
class MeshEffect:
    """What a change did to one mesh's proxies."""

    mesh: str
    total: int
    """Proxies of the mesh."""
    groups: tuple[EffectGroup, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    role_changes: tuple[tuple[str, str, str], ...] = ()

    @property
    def changed(self) -> int:
        """How many proxies' merged rules (or matched policies) changed."""
        return sum(len(group.dataplanes) for group in self.groups)

    @property
    def empty(self) -> bool:
        return not (self.groups or self.added or self.removed or self.role_changes)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change in the journal."""

    sequence: int
    """Its place among the changes seen since start (the row key)."""
    when: str
    touched: tuple[Touched, ...]
    """The first `TOUCHED_KEPT` resources it touched."""
    touched_count: int
    effects: tuple[MeshEffect, ...] | None = None
    """Per mesh touched; `None` while being computed."""
    problems: tuple[str, ...] = ()
    """Problems that appeared (`+ ...`) or were resolved (`- ...`), escaped."""
    failed: str = ""
    """Why the effect could not be computed, if it could not."""

    @property
    def changed(self) -> int:
        """Proxies whose merged rules changed, over every mesh."""
        return sum(e.changed for e in self.effects or ())


@dataclass(frozen=True, eq=False)
class Journal:
    """The changes kept, newest first; replaced whole on every change."""

    records: tuple[ChangeRecord, ...] = ()
    seen: int = 0
    """Changes recorded since start (the dropped ones included)."""

    def add(self, record: ChangeRecord) -> Journal:
        """Plus a change just seen (the oldest kept one goes once the journal is full)."""
        kept = sorted((record, *self.records), key=lambda r: r.sequence, reverse=True)
        return Journal(tuple(kept[:JOURNAL_LIMIT]), self.seen + 1)

    def complete(self, record: ChangeRecord) -> Journal:
        """With `record` in place of the pending record of the same change (if it is still
        kept: a change dropped meanwhile stays dropped)."""
        if self.find(record.sequence) is None:
            return self
        records = tuple(record if r.sequence == record.sequence else r for r in self.records)
        return Journal(records, self.seen)

    def find(self, sequence: int) -> ChangeRecord | None:
        return next((r for r in self.records if r.sequence == sequence), None)


def pending(job: ChangeJob) -> ChangeRecord:
    """The record of a change whose effect is not computed yet (cheap: the UI thread
    makes it)."""
    keys = _ordered(job.diff)
    touched = tuple(_touched(job, action, key) for action, key in keys[:TOUCHED_KEPT])
    return ChangeRecord(job.sequence, job.when, touched, len(keys))


def effect_of(job: ChangeJob, indexes: IndexStore) -> ChangeRecord | None:
    """The record of a change with its effect (run in a worker); `None` when the change
    touched no resource and no problem (a file saved unchanged, a status update)."""
    problems = problem_changes(job.before, job.after)
    if job.diff.empty and not problems:
        return None
    effects = tuple(
        _mesh_effect(mesh, indexes.index_of(job.before, mesh), indexes.index_of(job.after, mesh))
        for mesh in touched_meshes(job.diff, job.before, job.after)
    )
    return replace(pending(job), effects=effects, problems=problems)


def _mesh_effect(mesh: str, before: MeshIndex, after: MeshIndex) -> MeshEffect:
    diff = mesh_changes(before, after)
    return MeshEffect(
        mesh=mesh,
        total=diff.total,
        groups=tuple(_group(members) for members in groups(diff.changes)),
        added=diff.added,
        removed=diff.removed,
        role_changes=diff.role_changes,
    )


def _group(members: Sequence[DataplaneChange]) -> EffectGroup:
    return EffectGroup(
        tuple(c.dataplane for c in members),
        tuple(sorted({c.namespace for c in members})),
        members[0],
    )


def touched_meshes(diff: Diff, before: Inventory, after: Inventory) -> list[str]:
    """The meshes a change touched (a Mesh object touches its own mesh), that exist."""
    keys = (*diff.added, *diff.changed, *diff.removed)
    named = {key.name if key.type == "Mesh" else key.mesh for key in keys}
    existing = set(before.mesh_names) | set(after.mesh_names)
    return sorted(named & existing)


def problem_changes(before: Inventory, after: Inventory) -> tuple[str, ...]:
    """Errors and warnings that appeared (`+ `) or were resolved (`- `), escaped."""
    old = _problem_lines(before)
    new = _problem_lines(after)
    lines = [f"+ {p}" for p in new if p not in old] + [f"- {p}" for p in old if p not in new]
    if len(lines) > PROBLEMS_KEPT:
        lines[PROBLEMS_KEPT:] = [f"(+{len(lines) - PROBLEMS_KEPT} more)"]
    return tuple(literal(line) for line in lines)


def _problem_lines(inventory: Inventory) -> dict[str, None]:
    return dict.fromkeys(str(p) for p in inventory.problems if p.severity != "info")


def _ordered(diff: Diff) -> list[tuple[str, ResourceKey]]:
    return [
        *(("added", k) for k in sorted(diff.added)),
        *(("changed", k) for k in sorted(diff.changed)),
        *(("removed", k) for k in sorted(diff.removed)),
    ]


def _touched(job: ChangeJob, action: str, key: ResourceKey) -> Touched:
    now = job.after.resource_map.get(key)
    shown = now if now is not None else job.before.resource_map.get(key)
    if shown is None:
        return Touched(action, key, literal(str(key)))
    row = row_key(shown) if now is not None and now.type != "Mesh" else None
    return Touched(action, key, resource_label(shown), _source(shown), row)


def resource_label(resource: Resource) -> str:
    """`MeshTimeout consumer-timeout (first-consumer)`, escaped."""
    text = f"{resource.type} {literal(resource.display_name)}"
    if resource.namespace:
        text += f" ({literal(namespace_label(resource))})"
    return text


def _source(resource: Resource) -> str:
    return literal(str(resource.source)) if resource.source is not None else ""


def summary(touched: Iterable[Touched], count: int) -> str:
    """`~ MeshTimeout consumer-timeout (first-consumer)`, `(+2 more)` after the first."""
    marks = {"added": "+", "changed": "~", "removed": "-"}
    first = next(iter(touched), None)
    if first is None:
        return "no resource changed"
    text = f"{marks[first.action]} {first.label}"
    return text + (f"  (+{count - 1} more)" if count > 1 else "")
