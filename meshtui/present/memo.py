"""Memoising view pieces by the identity of the engine objects they are drawn from.

The engine carries unchanged objects from one evaluation to the next (a resource rule,
a legacy rule, a proxy), so a view piece drawn from the very same (or an equal) object
can be reused:
after an edit, a dataplane's tree of tens of thousands of nodes is redrawn only where
its rules changed, and the unchanged subtrees are the same objects (which also lets
`tree_changes` skip them).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    """`value = memo.get(source, extra, compute)`: computed once per (source object, extra).

    Holds each source object while its entry lives, so an id is never confused with a
    later object's; cleared when it holds `limit` entries (stale ones go with it).
    Meant for the UI thread (a race could only cost a recomputation).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[Hashable, tuple[object, V]] = {}

    def _key(self, source: object, extra: Hashable) -> Hashable:
        return (id(source), extra)

    def _same(self, stored: object, source: object) -> bool:
        return stored is source

    def get(self, source: object, extra: Hashable, compute: Callable[[], V]) -> V:
        key = self._key(source, extra)
        hit = self._entries.get(key)
        if hit is not None and self._same(hit[0], source):
            return hit[1]
        if len(self._entries) >= self.limit:
            self._entries.clear()
        value = compute()
        self._entries[key] = (source, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)


class EqualityMemo(IdentityMemo[V]):
    """Like `IdentityMemo`, but keyed by `extra` alone and reused for an *equal* source.

    For sources the engine rebuilds when anything of their kind changed (a policy
    type's resource rules): an equal rule draws the same subtree. `extra` must identify
    the place drawn (e.g. the node id), and equality must imply the same drawing.
    """

    def _key(self, source: object, extra: Hashable) -> Hashable:
        return extra

    def _same(self, stored: object, source: object) -> bool:
        return stored is source or stored == source
