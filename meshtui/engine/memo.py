"""The snapshot's cache: the one way the engine remembers what it computed.

Everything the engine remembers lives in a *table* of a `Memo`, and every table is
declared once, next to the code that fills it, as a `Table` that says:

- **what its keys name** (`Table.key`): the leading key elements that stand for a part
  of the snapshot — a policy type (`Part.TYPE`), one policy (`Part.POLICY`, its
  `ResourceKey`) or one dataplane (`Part.DATAPLANE`, its store name). The rest of a
  key is plain values: positions of policies in their type's store order
  (`MeshIndex.candidates(type).policies`), resource identities, section names, signatures.
  Never an object id: a key means the same thing for as long as the parts it names
  are unchanged;
- **what else its values read** (`Table.reads`): buckets of the index (a policy type,
  `Dataplane`, a service kind, `MeshGateway`, `Mesh` for the Mesh object), or
  `ANY_POLICY` / `ANYTHING`.

A `Memo` belongs to one snapshot: a `MeshIndex` keeps its lookups in one, a
`MeshEvaluation` its rules in another. The next snapshot starts from
`memo.following(changes)`, where `Changes` says what differs between the two
snapshots: a table whose `reads` met a change is left behind; in every other table the
entries whose key names a changed type, policy or dataplane are left behind; the rest
carries over as it is. Adding a cached value therefore takes one `Table` declaration
with honest `key` and `reads`; no other table needs to be read or changed.

A table keyed by policy positions must name the type first (`key=(Part.TYPE,)`):
positions only mean something while the type's policies are the same objects in the
same order, which is exactly what `Part.TYPE` checks.

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
    """What a leading key element names (see `Table.key`)."""

    TYPE = "policy type"
    """A policy type: the entry goes when any policy of that type changes."""
    POLICY = "policy"
    """A policy's `ResourceKey`: the entry goes when that policy changes."""
    DATAPLANE = "dataplane"
    """A dataplane's store name: the entry goes when that dataplane changes."""


@dataclass(frozen=True, eq=False)
class Table(Generic[K, V]):
    """The declaration of one cached value: what its keys name and what it reads.

    Compared by identity: declare each table once, at module level.
    """

    name: str
    key: tuple[Part, ...] = ()
    """`key[i]` names the part of the snapshot the i-th key element stands for (keys
    are tuples then); the remaining elements are plain values."""
    reads: AbstractSet[str] = frozenset()
    """Buckets every value of the table depends on, besides what its key names."""

    def __post_init__(self) -> None:
        if not isinstance(self.reads, frozenset):
            object.__setattr__(self, "reads", frozenset(self.reads))


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

    def keeps(self, table: Table[Any, Any]) -> Callable[[Any], bool] | None:
        """A test for the keys that stay (when the table stays), or `None` for all."""
        tests: list[tuple[int, frozenset[Any]]] = []
        for i, part in enumerate(table.key):
            gone: frozenset[Any]
            if part is Part.TYPE:
                gone = self.types
            elif part is Part.POLICY:
                gone = self.policies
            else:
                gone = self.dataplanes
            if gone:
                tests.append((i, gone))
        if not tests:
            return None
        return lambda key: not any(key[i] in gone for i, gone in tests)


EVERYTHING = Changes(everything=True)


@dataclass(eq=False)
class Memo:
    """The tables of one snapshot (see the module docstring)."""

    _tables: dict[Table[Any, Any], dict[Any, Any]] = field(default_factory=dict)

    def table(self, table: Table[K, V]) -> dict[K, V]:
        """The table's entries (created empty on first use); fill it with `get`, or
        directly on hot paths."""
        found = self._tables.get(table)
        if found is None:
            found = self._tables.setdefault(table, {})
        return found

    def get(self, table: Table[K, V], key: K, compute: Callable[[], V]) -> V:
        """The entry for `key`, computed and kept on first use."""
        entries = self.table(table)
        try:
            return entries[key]
        except KeyError:
            value = compute()
            entries[key] = value
            return value

    def value(self, table: Table[tuple[()], V], compute: Callable[[], V]) -> V:
        """The single value of a key-less table."""
        return self.get(table, (), compute)

    def tables(self) -> Iterable[Table[Any, Any]]:
        """The tables used so far."""
        return list(self._tables)

    def following(self, changes: Changes) -> Memo:
        """The memo of the next snapshot: what `changes` leaves valid, carried over.

        Safe while another thread adds entries to this memo: each table is copied first
        (atomic in CPython), then filtered.
        """
        out = Memo()
        if changes.everything:
            return out
        for table, entries in list(self._tables.items()):
            if changes.drops(table):
                continue
            keeps = changes.keeps(table)
            copied = entries.copy()
            out._tables[table] = (
                copied if keeps is None else {k: v for k, v in copied.items() if keeps(k)}
            )
        return out
