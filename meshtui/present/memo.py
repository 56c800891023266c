"""Memoising view pieces by the identity of the engine objects they are drawn from.

The engine carries unchanged objects from one evaluation to the next (a resource rule,
a legacy rule, a proxy), so a view piece drawn from the very same object can be reused:
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
    Not thread-safe: for the UI thread.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[tuple[int, Hashable], tuple[object, V]] = {}

    def get(self, source: object, extra: Hashable, compute: Callable[[], V]) -> V:
        key = (id(source), extra)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is source:
            return hit[1]
        if len(self._entries) >= self.limit:
            self._entries.clear()
        value = compute()
        self._entries[key] = (source, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
