"""One memo helper for view pieces: values remembered under explicit keys.

A key holds every input its value is drawn from (the strings a label is made of, the
confs and origins of a rule, the proxy a row shows), compared by value. A hit is
therefore always right, whatever object the inputs came in: correctness never rests on
object identity or on comments. Equal inputs also give the very same view object, so
the detail tree can tell an unchanged subtree by identity and skip it.

Caches are shared by the UI thread and the detail worker; each operation is a single
dict call, so a race costs at most a recomputation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """`cache.get(key, compute)`: `compute()` once per distinct key, up to `limit` entries.

    When full it starts over (entries for resources that are gone leave with the rest),
    which costs one recomputation of what is still in use.
    """

    def __init__(self, name: str, *, limit: int) -> None:
        self.name = name
        """What it remembers, for debugging."""
        self.limit = limit
        self._entries: dict[K, V] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for `key`, computed by `compute` unless already known."""
        try:
            return self._entries[key]
        except KeyError:
            pass
        if len(self._entries) >= self.limit:
            self._entries = {}
        value = compute()
        self._entries[key] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)
