"""The Changes view's journal: every live change since start, which resources it touched
and what it did to the proxies' merged rules (pure, headless).

A change is recorded the moment it arrives (`pending`, its effect not known yet); its
effect is computed in a worker (`effect_of`) from the index of each mesh it touched,
before and after (`mesh_changes`), a batch of proxies at a time, so that the worker can
say how far it got and stop between batches. A record keeps only what it shows: names,
texts and the rules diff, grouped (identical changes of many proxies are one group, and at
most `GROUPS_KEPT` groups per mesh); never an inventory or an index. The journal keeps the
newest `JOURNAL_LIMIT` changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from meshtui.engine.diff import DataplaneChange, MeshDiff, diff_meshes, evaluations
from meshtui.engine.evaluation import changed_types
from meshtui.engine.index import MeshIndex, build_index_from_groups
from meshtui.inventory import Diff, Inventory
from meshtui.model import Resource, ResourceKey
from meshtui.present.tables import namespace_label, row_key
from meshtui.present.text import literal
from meshtui.views import ResourceRow

JOURNAL_LIMIT = 100
"""Changes kept (the newest); older ones are dropped, and the view says how many were seen."""

TOUCHED_KEPT = 50
"""Resources listed per change; a change touching more (a re-list, a checkout) counts the rest."""

PROBLEMS_KEPT = 20
"""Problem lines (appeared or resolved) listed per change."""

GROUPS_KEPT = 100
"""Distinct proxy changes kept per mesh and change; proxies changed otherwise are counted."""

FIRST_BATCH = 50
"""Proxies compared in the first step; later steps are sized to take about `PACE` seconds.
Between steps a worker reports progress and can stop."""

SMALLEST_BATCH = 10
"""The fewest proxies a batch compares, however slow the last batch was (its first proxies
may pay for explaining rules the later ones share)."""

PACE = 0.5
"""Seconds a batch should take: short enough to stop soon, long enough to cost little."""

Stopped = Callable[[], bool]
"""Asked between batches: whether the result is no longer wanted."""


def mesh_changes(
    before: MeshIndex, after: MeshIndex, *, batch: int | None = None
) -> Iterator[tuple[int, MeshDiff]]:
    """The proxies of one mesh whose merged rules (or matched policies) differ, a batch of
    proxies at a time (in name order; role changes come with the first batch), each with
    how many proxies are compared so far.

    The one place the dashboard asks the engine for a rules diff, for the Changes view and
    for what-if mode alike: a faster way to find the changed proxies replaces this body.

    Args:
        batch: Proxies per batch; by default the batches are sized by the time they take
            (the diff does not depend on them).
    """
    names = sorted(set(before.dataplanes) | set(after.dataplanes))
    evaluated = evaluations(before, after)
    changed = changed_types(*evaluated)
    size, start = batch or FIRST_BATCH, 0
    while True:
        began = time.perf_counter()
        part = diff_meshes(
            before,
            after,
            dataplanes=names[start : start + size],
            evaluated=evaluated,
            changed=changed,
        )
        yield min(start + size, len(names)), part if start == 0 else replace(part, role_changes=())
        start += size
        if start >= len(names):
            return
        if batch is None:
            took = max(time.perf_counter() - began, 1e-3)
            size = max(SMALLEST_BATCH, min(size * 4, int(size * PACE / took)))


def full_diff(
    before: MeshIndex, after: MeshIndex, *, stopped: Stopped, batch: int | None = None
) -> MeshDiff | None:
    """`mesh_changes` in one diff; `None` when `stopped` says so between batches."""
    parts: list[MeshDiff] = []
    for _, part in mesh_changes(before, after, batch=batch):
        if stopped():
            return None
        parts.append(part)
    first = parts[0]
    return replace(
        first,
        changes=tuple(c for p in parts for c in p.changes),
        added=tuple(n for p in parts for n in p.added),
        removed=tuple(n for p in parts for n in p.removed),
    )


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
    changed: int = 0
    """Proxies whose merged rules (or matched policies) changed."""
    groups: tuple[EffectGroup, ...] = ()
    """The first `GROUPS_KEPT` distinct changes, with the proxies that had each."""
    unlisted: int = 0
    """Changed proxies whose change is not among the groups kept."""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    role_changes: tuple[tuple[str, str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.changed or self.added or self.removed or self.role_changes)


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
    progress: str = ""
    """How far the computation of its effect got, while it runs."""

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

    def replaced(self, record: ChangeRecord) -> Journal:
        """With `record` in place of the record of the same change (if it is still kept: a
        change dropped meanwhile stays dropped)."""
        if self.find(record.sequence) is None:
            return self
        records = tuple(record if r.sequence == record.sequence else r for r in self.records)
        return Journal(records, self.seen)

    def dropped(self, sequence: int) -> bool:
        """Whether the change `sequence` can no longer be kept: the journal is full of
        newer ones."""
        return len(self.records) >= JOURNAL_LIMIT and sequence < self.records[-1].sequence

    def find(self, sequence: int) -> ChangeRecord | None:
        return next((r for r in self.records if r.sequence == sequence), None)


def pending(job: ChangeJob) -> ChangeRecord:
    """The record of a change whose effect is not computed yet (cheap: the UI thread
    makes it)."""
    keys = _ordered(job.diff)
    touched = tuple(_touched(job, action, key) for action, key in keys[:TOUCHED_KEPT])
    return ChangeRecord(job.sequence, job.when, touched, len(keys))


def effect_of(
    job: ChangeJob,
    indexes: IndexStore,
    *,
    stopped: Stopped = lambda: False,
    progress: Callable[[str], None] | None = None,
    batch: int | None = None,
) -> ChangeRecord | None:
    """The record of a change with its effect (run in a worker).

    Returns:
        `None` when the change touched no resource and no problem (a file saved unchanged,
        a status update), or when `stopped` said so between batches.
    """
    problems = problem_changes(job.before, job.after)
    if job.diff.empty and not problems:
        return None
    effects = []
    for mesh in touched_meshes(job.diff, job.before, job.after):
        before, after = indexes.index_of(job.before, mesh), indexes.index_of(job.after, mesh)
        effect = _mesh_effect(mesh, before, after, stopped, progress, batch)
        if effect is None:
            return None
        effects.append(effect)
    return replace(pending(job), effects=tuple(effects), problems=problems)


@dataclass
class Grouping:
    """Changed proxies grouped by identical change, the first `limit` changes kept."""

    limit: int = GROUPS_KEPT
    groups: dict[str, tuple[list[str], set[str], DataplaneChange]] = field(default_factory=dict)
    changed: int = 0
    unlisted: int = 0
    """Changed proxies whose change is none of those kept."""

    def add(self, change: DataplaneChange) -> None:
        self.changed += 1
        signature = change.signature()
        group = self.groups.get(signature)
        if group is not None:
            group[0].append(change.dataplane)
            group[1].add(change.namespace)
        elif len(self.groups) < self.limit:
            self.groups[signature] = ([change.dataplane], {change.namespace}, change)
        else:
            self.unlisted += 1

    def kept(self) -> tuple[EffectGroup, ...]:
        return tuple(
            EffectGroup(tuple(names), tuple(sorted(namespaces)), change)
            for names, namespaces, change in self.groups.values()
        )


def _mesh_effect(
    mesh: str,
    before: MeshIndex,
    after: MeshIndex,
    stopped: Stopped,
    progress: Callable[[str], None] | None,
    batch: int | None,
) -> MeshEffect | None:
    grouping = Grouping()
    added: list[str] = []
    removed: list[str] = []
    roles: tuple[tuple[str, str, str], ...] = ()
    total = 0
    for done, part in mesh_changes(before, after, batch=batch):
        if stopped():
            return None
        for change in part.changes:
            grouping.add(change)
        added += part.added
        removed += part.removed
        roles = roles or part.role_changes
        total = part.total
        if progress is not None and done < total:
            progress(f"{done:,} of {total:,} dataplanes compared (mesh {literal(mesh)})")
    return MeshEffect(
        mesh=mesh,
        total=total,
        changed=grouping.changed,
        groups=grouping.kept(),
        unlisted=grouping.unlisted,
        added=tuple(added),
        removed=tuple(removed),
        role_changes=roles,
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
