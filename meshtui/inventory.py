"""The set of resources a source currently provides, and how it changes.

An `Inventory` is an immutable value: the raw documents of every *origin* (a YAML file,
or one Kubernetes object), what they parsed into under the current control-plane
context, and the problems found. `apply` returns a new inventory plus a `Diff` of the
resource keys that were added, changed or removed, re-parsing only the origins that
changed (all of them only when the inferred control-plane context changes).

When an origin turns bad (a YAML syntax error, a field Kuma would reject), the last
good version of each resource it no longer yields stays in the inventory, marked
stale, until the origin is fixed or removed: one broken file never hides the rest.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from meshtui.model import Problem, Resource, ResourceKey
from meshtui.parse import (
    Batch,
    ContextOptions,
    choose_control_plane,
    dataplane_zones,
    dedupe,
    duplicate_problem,
    is_kubernetes_form,
    parse_batch,
)
from meshtui.parse.labels import ControlPlane
from meshtui.raw import RawDocument


@dataclass(frozen=True, slots=True)
class OriginUpdate:
    """New contents for one origin; `documents=None` means it is gone."""

    origin: str
    documents: tuple[RawDocument, ...] | None
    problems: tuple[Problem, ...] = ()
    """Problems found reading the origin (unreadable file, YAML syntax error)."""


@dataclass(frozen=True, slots=True)
class ScopeReplaced:
    """Every origin whose key starts with `scope` is replaced by `updates` (a re-list)."""

    scope: str
    updates: tuple[OriginUpdate, ...]


Change = OriginUpdate | ScopeReplaced


@dataclass(frozen=True, slots=True)
class Diff:
    """Which resources an `apply` added, changed or removed."""

    added: frozenset[ResourceKey] = frozenset()
    changed: frozenset[ResourceKey] = frozenset()
    removed: frozenset[ResourceKey] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def merged(self, later: Diff) -> Diff:
        """This diff followed by `later`."""
        return Diff(
            added=(self.added | later.added) - later.removed,
            changed=(self.changed | later.changed) - later.removed - later.added,
            removed=(self.removed | later.removed) - later.added,
        )


@dataclass(frozen=True, slots=True)
class OriginState:
    """One origin's documents and what they parsed into."""

    documents: tuple[RawDocument, ...]
    read_problems: tuple[Problem, ...]
    batch: Batch
    stale: tuple[Resource, ...] = ()
    """Last good versions of resources this origin no longer yields while it is broken."""
    zones: Counter[str] = field(default_factory=Counter, compare=False)

    @property
    def broken(self) -> bool:
        """An error was found reading or parsing it."""
        return any(p.severity == "error" for p in (*self.read_problems, *self.batch.problems))

    def current(self) -> tuple[Resource, ...]:
        """Resources as shown: parsed ones, then stale ones."""
        return self.batch.resources + self.stale


@dataclass(frozen=True, eq=False)
class Inventory:
    """Everything one source provides right now. Never mutated; `apply` makes a new one."""

    options: ContextOptions
    origins: Mapping[str, OriginState] = field(default_factory=dict)
    control_plane: ControlPlane = field(default_factory=ControlPlane)
    context_note: str = ""
    version: int = 0
    """Incremented by every `apply` that changed something."""
    _merge: _Merge | None = field(default=None, repr=False)
    """One resource per key across origins, kept up to date by `apply` (see `_Merge`)."""

    @classmethod
    def empty(cls, options: ContextOptions) -> Inventory:
        """An inventory with nothing in it yet."""
        cp, _ = choose_control_plane(Counter(), options, has_kube=False)
        return cls(options=options, control_plane=cp)

    def apply(
        self, changes: Sequence[Change], *, options: ContextOptions | None = None
    ) -> tuple[Inventory, Diff]:
        """Apply a batch of changes.

        Args:
            options: The context options from now on (a detected control plane's); when
                the control-plane context they give differs, every origin is parsed again.

        Returns:
            The new inventory and what changed (an empty diff and `self` when nothing did).
        """
        options = self.options if options is None else options
        updates = self._flatten(changes)
        if not updates and options == self.options:
            return self, Diff()
        origins = dict(self.origins)
        for update in updates:
            if update.documents is None:
                origins.pop(update.origin, None)
            else:
                origins[update.origin] = _pending(update)
        zones = sum((state.zones for state in origins.values()), Counter[str]())
        has_kube = any(state.zones or _has_kube(state.documents) for state in origins.values())
        cp, note = choose_control_plane(zones, options, has_kube=has_kube)
        reparse_all = cp != self.control_plane
        touched = {u.origin for u in updates}
        for key, state in origins.items():
            if reparse_all or key in touched:
                origins[key] = _parsed(state, cp, self.origins.get(key))
        used = any(state.batch.context_used for state in origins.values())
        ordered = dict(sorted(origins.items()))
        if reparse_all:
            merge = _Merge.of(ordered)
            diff = _diff(self.resource_map, merge.resource_map)
        else:
            merge, affected = self._merged_state.updated(self.origins, ordered, touched)
            diff = _diff(self.resource_map, merge.resource_map, affected)
        new = Inventory(
            options=options,
            origins=ordered,
            control_plane=cp,
            context_note=note if used else "",
            version=self.version + 1,
            _merge=merge,
        )
        return new, diff

    def _flatten(self, changes: Sequence[Change]) -> list[OriginUpdate]:
        out: list[OriginUpdate] = []
        for change in changes:
            if isinstance(change, OriginUpdate):
                out.append(change)
                continue
            present = {u.origin for u in change.updates}
            out.extend(
                OriginUpdate(key, None)
                for key in self.origins
                if key.startswith(change.scope) and key not in present
            )
            out.extend(change.updates)
        return out

    @property
    def _merged_state(self) -> _Merge:
        merge = self._merge
        if merge is None:
            merge = _Merge.of(self.origins)
            object.__setattr__(self, "_merge", merge)
        return merge

    @cached_property
    def _problems(self) -> tuple[Problem, ...]:
        problems: list[Problem] = []
        if self.context_note:
            problems.append(Problem(severity="info", message=self.context_note))
        for state in self.origins.values():
            problems.extend(state.read_problems)
            problems.extend(state.batch.problems)
        problems.extend(self._merged_state.duplicate_problems())
        self._namespaces_and(problems)
        return tuple(problems)

    def _namespaces_and(self, problems: list[Problem]) -> tuple[Resource, ...]:
        return dedupe((n for s in self.origins.values() for n in s.batch.namespaces), problems)

    @cached_property
    def resources(self) -> tuple[Resource, ...]:
        """Every resource (stale ones included), one per key, sorted by key.

        Sorting is O(n log n): code on the change path uses `resource_map`,
        `mesh_names` or the index instead.
        """
        return tuple(sorted(self.resource_map.values(), key=lambda r: r.key))

    @cached_property
    def legacy(self) -> tuple[Resource, ...]:
        """Selector-based legacy policies seen (only `_resources/dataplanes` reads them)."""
        return dedupe((r for s in self.origins.values() for r in s.batch.legacy), [])

    @cached_property
    def namespaces(self) -> tuple[Resource, ...]:
        """Kubernetes Namespace objects seen."""
        return self._namespaces_and([])

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, in origin order."""
        return self._problems

    @property
    def resource_map(self) -> Mapping[ResourceKey, Resource]:
        """Resources by key (the shown definition of each: the last one, in origin order)."""
        return self._merged_state.resource_map

    def groups_of(self, mesh: str) -> dict[str, Mapping[ResourceKey, Resource]]:
        """The shown resources of one mesh by type; an untouched type keeps its mapping."""
        return {kind: g for (m, kind), g in self._merged_state.groups.items() if m == mesh}

    @cached_property
    def mesh_names(self) -> list[str]:
        """`engine.index.mesh_names` of the resources, kept by `apply` without a scan."""
        return self._merged_state.mesh_names()

    @cached_property
    def stale_keys(self) -> frozenset[ResourceKey]:
        """Keys whose shown version is the last good one of a now-broken origin."""
        return frozenset(r.key for state in self.origins.values() for r in state.stale)

    def documents_of(self, resource: Resource) -> RawDocument | None:
        """The raw document a resource came from (for the YAML view)."""
        if resource.source is None:
            return None
        for state in self.origins.values():
            for doc in state.documents:
                if doc.source == resource.source:
                    return doc
        return None


def _has_kube(documents: Iterable[RawDocument]) -> bool:
    return any(is_kubernetes_form(d.body) for d in documents)


def _pending(update: OriginUpdate) -> OriginState:
    assert update.documents is not None
    return OriginState(
        documents=update.documents,
        read_problems=update.problems,
        batch=Batch((), (), ()),
        zones=dataplane_zones(update.documents),
    )


def _parsed(state: OriginState, cp: ControlPlane, previous: OriginState | None) -> OriginState:
    batch = parse_batch(state.documents, cp)
    if previous is not None and previous.batch.resources:
        # A re-read file yields new objects; the unchanged ones are swapped for the ones
        # already known, so everything keyed by identity downstream (decoded policies,
        # rule caches) stays valid for them and only what really changed is recomputed.
        known = {r.key: r for r in previous.batch.resources}
        batch = replace(batch, resources=tuple(_known(r, known) for r in batch.resources))
    fresh = OriginState(state.documents, state.read_problems, batch, (), state.zones)
    if not fresh.broken or previous is None:
        return fresh
    have = {r.key for r in batch.resources}
    stale = tuple(r for r in previous.current() if r.key not in have)
    return OriginState(state.documents, state.read_problems, batch, stale, state.zones)


def _known(resource: Resource, known: Mapping[ResourceKey, Resource]) -> Resource:
    before = known.get(resource.key)
    return before if before is not None and before == resource else resource


def _diff(
    old: Mapping[ResourceKey, Resource],
    new: Mapping[ResourceKey, Resource],
    among: Iterable[ResourceKey] | None = None,
) -> Diff:
    """What changed from `old` to `new`; only keys in `among` can have, when given."""
    if among is None:
        added = frozenset(new.keys() - old.keys())
        removed = frozenset(old.keys() - new.keys())
        both: Iterable[ResourceKey] = new.keys() & old.keys()
    else:
        keys = set(among)
        added = frozenset(k for k in keys if k in new and k not in old)
        removed = frozenset(k for k in keys if k in old and k not in new)
        both = (k for k in keys if k in new and k in old)
    changed = frozenset(k for k in both if new[k] is not old[k] and new[k] != old[k])
    return Diff(added, changed, removed)


Owner = tuple[str, int, Resource]
"""A definition of a key: (origin, position in the origin's resources, the resource)."""


@dataclass(frozen=True, eq=False)
class _Merge:
    """Every origin's resources, one per key: `parse.dedupe` kept up to date per origin.

    A key defined by several origins (or twice in one) shows its last definition in
    origin order, as `dedupe` does over all of them. Keeping every definition lets an
    edit of one file update only its keys instead of walking the whole inventory, which
    at 10k dataplanes cost more than everything else an edit does.
    """

    owners: Mapping[ResourceKey, tuple[Owner, ...]]
    resource_map: Mapping[ResourceKey, Resource]
    groups: Mapping[tuple[str, str], Mapping[ResourceKey, Resource]]
    """The shown resources by (mesh, type). Copied on write: a group no change touched is
    the very same mapping in the next merge, which lets the index skip it at once."""

    @classmethod
    def of(cls, origins: Mapping[str, OriginState]) -> _Merge:
        owners: dict[ResourceKey, tuple[Owner, ...]] = {}
        for origin, state in origins.items():  # in origin order
            for position, res in enumerate(state.current()):
                owners[res.key] = (*owners.get(res.key, ()), (origin, position, res))
        shown = {key: defs[-1][2] for key, defs in owners.items()}
        groups: dict[tuple[str, str], dict[ResourceKey, Resource]] = {}
        for key, res in shown.items():
            groups.setdefault((res.mesh, res.type), {})[key] = res
        return cls(owners, shown, groups)

    def updated(
        self,
        before: Mapping[str, OriginState],
        after: Mapping[str, OriginState],
        touched: Iterable[str],
    ) -> tuple[_Merge, set[ResourceKey]]:
        """The merge after the `touched` origins went from `before` to `after`; also the
        keys whose definitions changed."""
        owners = dict(self.owners)
        shown = dict(self.resource_map)
        groups = dict(self.groups)
        copied: dict[tuple[str, str], dict[ResourceKey, Resource]] = {}

        def group(res: Resource) -> dict[ResourceKey, Resource]:
            at = (res.mesh, res.type)
            if at not in copied:
                copied[at] = groups[at] = dict(groups.get(at, {}))
            return copied[at]

        affected: set[ResourceKey] = set()
        for origin in touched:
            old = before[origin].current() if origin in before else ()
            for res in old:
                affected.add(res.key)
                kept = tuple(o for o in owners.get(res.key, ()) if o[0] != origin)
                if kept:
                    owners[res.key] = kept
                else:
                    owners.pop(res.key, None)
            new = after[origin].current() if origin in after else ()
            for position, res in enumerate(new):
                affected.add(res.key)
                defs = (*owners.get(res.key, ()), (origin, position, res))
                owners[res.key] = tuple(sorted(defs, key=lambda o: (o[0], o[1])))
        for key in affected:
            previous = shown.get(key)
            found = owners.get(key)
            current = found[-1][2] if found else None
            if previous is current:
                continue
            if previous is not None:
                del shown[key]
                del group(previous)[key]
            if current is not None:
                shown[key] = current
                group(current)[key] = current
        for at, members in copied.items():
            if not members:
                del groups[at]
        return _Merge(owners, shown, groups), affected

    def duplicate_problems(self) -> list[Problem]:
        """`dedupe`'s warnings, in the order it would give them (origin, then position)."""
        found: list[tuple[str, int, Problem]] = []
        for defs in self.owners.values():
            for (_, _, earlier), (origin, position, res) in itertools.pairwise(defs):
                if earlier.source != res.source:
                    found.append((origin, position, duplicate_problem(res, earlier)))
        found.sort(key=lambda item: (item[0], item[1]))
        return [problem for _, _, problem in found]

    def mesh_names(self) -> list[str]:
        names = {mesh for mesh, _ in self.groups if mesh}
        names.update(
            r.name for (_, kind), g in self.groups.items() if kind == "Mesh" for r in g.values()
        )
        return sorted(names)
