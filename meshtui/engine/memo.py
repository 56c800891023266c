"""The snapshot's cache: the one way the engine remembers what it computed.

Everything the engine remembers lives in a *table* of a `Memo`, and every table is
declared once, next to the code that fills it, as a `Table` that says:

- **what its keys name** (`Table.key`), one of:
  - `()`: keys are plain values (positions of policies, resource identities, section
    names, signatures, ...), never object ids;
  - `(Part.TYPE,)`: the table is split by policy type (`Memo.part(table, type)`), and
    within a type keys are plain values; a key may hold positions of policies in the
    type's store order (`MeshIndex.candidates(type).policies`), which only mean
    something while the type's policies are unchanged, which is what the split checks;
  - `(Part.DATAPLANE,)` / `(Part.POLICY,)`: the key *is* a dataplane's store name /
    a policy's `ResourceKey`;
  - `(Part.TYPE, Part.DATAPLANE)`: split by type, then keyed by a dataplane's name;
  - `(Part.SERIALS,)`: split by type, and within a type keys are made of the serial
    numbers of the type's policies (`MeshIndex.candidates(type).serials`), which name
    one policy object for good within a lineage of snapshots (`index.Lineage`): an
    edit of the type leaves the entries of its other policies valid, and those of the
    edited one are never asked for again;
- **what else its values read** (`Table.reads`): buckets of the index (a policy type,
  `Dataplane`, a service kind, `MeshGateway`, `Mesh` for the Mesh object), or
  `ANY_POLICY` / `ANYTHING`.

A `Memo` belongs to one snapshot: a `MeshIndex` keeps its lookups in one, a
`MeshEvaluation` its rules in another. The next snapshot starts from
`memo.following(changes)`, where `Changes` says what differs between the two
snapshots: a table whose `reads` met a change is left behind; from the others, the
types, policies and dataplanes their keys name that changed are left behind; the rest
carries over. Entries that carry over stay shared with the earlier memo (either may
add to them: whatever one adds is valid for both), so carrying costs what changed,
not what is remembered. Adding a cached value therefore takes one `Table` declaration
with honest `key` and `reads`; no other table needs to be read or changed.

Thread-safety: tables are plain dicts, filled from any thread; a race computes the
same pure value twice and keeps one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from meshtui.model import ResourceKey

K = TypeVar("K")
V = TypeVar("V")

ANY_POLICY = "*policy"
"""In `Table.reads`: any policy type (shadow ones too)."""
ANYTHING = "*"
"""In `Table.reads`: any change at all."""


class Part(Enum):
    """What a key names (see `Table.key`)."""

    TYPE = "policy type"
    """A policy type: its entries go when any policy of that type changes."""
    POLICY = "policy"
    """A policy's `ResourceKey`: the entry goes when that policy changes."""
    DATAPLANE = "dataplane"
    """A dataplane's store name: the entry goes when that dataplane changes."""
    SERIALS = "policy serial numbers"
    """Serial numbers of one type's policies: entries stay within a lineage."""


_SHAPES = {
    (),
    (Part.TYPE,),
    (Part.DATAPLANE,),
    (Part.POLICY,),
    (Part.TYPE, Part.DATAPLANE),
    (Part.SERIALS,),
}


@dataclass(frozen=True, eq=False)
class Table(Generic[K, V]):
    """The declaration of one cached value: what its keys name and what it reads.

    Compared by identity: declare each table once, at module level.
    """

    name: str
    key: tuple[Part, ...] = ()
    """What keys name (see the module docstring for the shapes allowed)."""
    reads: AbstractSet[str] = frozenset()
    """Buckets every value of the table depends on, besides what its key names."""

    def __post_init__(self) -> None:
        if self.key not in _SHAPES:
            raise ValueError(f"table {self.name!r}: unsupported key {self.key}")
        if not isinstance(self.reads, frozenset):
            object.__setattr__(self, "reads", frozenset(self.reads))

    @property
    def by_type(self) -> bool:
        """Whether the table is split by policy type (`Memo.part`)."""
        return self.key[:1] in ((Part.TYPE,), (Part.SERIALS,))


@dataclass(frozen=True, slots=True)
class Changes:
    """What differs between two snapshots of one mesh, as the memo needs it."""

    buckets: frozenset[str] = frozenset()
    """Buckets whose engine views are not the very same objects as before: policy
    types, `Dataplane`, service kinds, `MeshGateway`, and `Mesh` for the Mesh object."""
    types: frozenset[str] = frozenset()
    """The policy types among `buckets`."""
    policies: frozenset[ResourceKey] = frozenset()
    """Policies (shadow ones too) added, removed, or not the same object."""
    dataplanes: frozenset[str] = frozenset()
    """Dataplanes (store names) added, removed, or not the same object."""
    everything: bool = False
    """Nothing carries over (another mesh, another Kuma version, no previous snapshot)."""
    lineage: bool = False
    """Both snapshots are of one lineage (serial numbers mean the same in both)."""

    @property
    def none(self) -> bool:
        return not self.everything and not self.buckets

    def drops(self, table: Table[Any, Any]) -> bool:
        """Whether the whole table is left behind."""
        if self.everything:
            return True
        reads = table.reads
        if not reads or not self.buckets:
            return False
        if ANYTHING in reads or reads & self.buckets:
            return True
        return ANY_POLICY in reads and bool(self.types)

    def gone(self, part: Part) -> frozenset[Any]:
        """The names of `part` that changed."""
        if part is Part.TYPE:
            return self.types
        if part is Part.POLICY:
            return self.policies
        return self.dataplanes


EVERYTHING = Changes(everything=True)


@dataclass(eq=False)
class Memo:
    """The tables of one snapshot (see the module docstring)."""

    _tables: dict[Table[Any, Any], dict[Any, Any]] = field(default_factory=dict)

    def table(self, table: Table[K, V]) -> dict[K, V]:
        """The entries of a table not split by type (created empty on first use)."""
        found = self._tables.get(table)
        if found is None:
            found = self._tables.setdefault(table, {})
        return found

    def part(self, table: Table[K, V], policy_type: str) -> dict[K, V]:
        """One policy type's entries of a table split by type (created empty on first use)."""
        parts: dict[str, dict[K, V]] | None = self._tables.get(table)
        if parts is None:
            parts = self._tables.setdefault(table, {})
        found = parts.get(policy_type)
        if found is None:
            found = parts.setdefault(policy_type, {})
        return found

    def get(self, table: Table[K, V], key: K, compute: Callable[[], V]) -> V:
        """The entry for `key` of a table not split by type, computed on first use."""
        entries = self.table(table)
        try:
            return entries[key]
        except KeyError:
            value = entries[key] = compute()
            return value

    def value(self, table: Table[tuple[()], V], compute: Callable[[], V]) -> V:
        """The single value of a key-less table."""
        return self.get(table, (), compute)

    def tables(self) -> Iterable[Table[Any, Any]]:
        """The tables used so far."""
        return list(self._tables)

    def following(self, changes: Changes) -> Memo:
        """The memo of the next snapshot: what `changes` leaves valid, carried over."""
        out = Memo()
        if changes.everything:
            return out
        for table in list(self._tables):
            if not changes.drops(table):
                out.adopt(table, self, changes)
        return out

    def adopt(self, table: Table[Any, Any], earlier: Memo, changes: Changes) -> None:
        """Take `table` over from the memo of an earlier snapshot, but for the types,
        policies and dataplanes its keys name that `changes` changed.

        `following` does this for every table whose `reads` the change left alone; a
        caller may do it for a table whose values it has checked do not depend on what
        changed (the selector vocabulary of both snapshots is equal, say).
        """
        entries = earlier._tables.get(table)
        if entries is None or changes.everything:
            return
        if table.key == (Part.SERIALS,):
            if changes.lineage:
                self._tables[table] = entries.copy()
            return
        if table.by_type:
            types = changes.types
            parts = {t: p for t, p in entries.copy().items() if t not in types}
            if table.key[1:]:
                parts = {t: _without(p, changes.gone(table.key[1])) for t, p in parts.items()}
            self._tables[table] = parts
        elif table.key:
            self._tables[table] = _without(entries, changes.gone(table.key[0]))
        else:
            self._tables[table] = entries


def _without(entries: dict[Any, Any], gone: frozenset[Any]) -> dict[Any, Any]:
    """`entries` (shared) when nothing is `gone`, else a copy without those keys (a copy
    even when none is there yet: the earlier snapshot may still add one)."""
    if not gone:
        return entries
    kept = entries.copy()
    for key in gone:
        kept.pop(key, None)
    return kept
