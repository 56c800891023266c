"""Memo tables shared by every rule computation on one `MeshIndex`.

Most of what Kuma computes for a proxy depends only on *which* policies matched it,
in which order, not on the proxy itself: proxies of a namespace usually share their
matched sets, and per destination the same few entries merge again and again. The
tables here key results by the identities of the policies, items and confs involved.
Every entry also holds the objects whose ids it uses, so an id can never be reused by
another object while the entry exists; a table is therefore valid for as long as the
resources it was computed from are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from meshtui.kinds.gojson import canon

Ids = tuple[int, ...]


class RuleCache:
    """What `rules.type_rules` and its builders remember between calls.

    Tables keyed by policy type can be dropped per type (`without_types`) when the
    policies of that type change; the rest depends on the whole index and is dropped
    by starting a new cache.
    """

    def __init__(self) -> None:
        self.fast: dict[
            tuple[str, str, str | None, str | None], tuple[tuple[Any, ...], tuple[int, ...], Any]
        ] = {}
        """(type, namespace, proxy origin, proxy zone) → (top-level Mesh policies that apply,
        their store positions, the other candidates to try one by one)."""
        # Every other table keys by ids and keeps the keyed objects in its values.
        self.sorted: dict[Ids, Any] = {}
        """ids of policies in store order → `rules._Ordered` (merge order, ties, notes)."""
        self.to_side: dict[tuple[str, Ids], Any] = {}
        self.from_side: dict[tuple[str, Ids], Any] = {}
        self.single: dict[tuple[str, Ids], Any] = {}
        self.resolved: dict[int, tuple[Any, Any]] = {}
        """id(policy item) → (the item, resolved (resource, section) list)."""
        self.merged: dict[tuple[int, Ids], tuple[tuple[Any, ...], list[Any]]] = {}
        """(id(struct), ids of confs) → (the confs, merge result)."""
        self.resource_rules: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
        """(id(struct), id(resource), section, ids of items in order) → (the resource,
        the entries, the `ResourceRule`)."""
        self.canonical: dict[tuple[int, int], tuple[Any, Any]] = {}
        """(id(struct), id(conf)) → (the conf, its canonical JSON)."""
        self.ranks: dict[str, tuple[Any, Any]] = {}
        """policy type → (its policies, their `ordering.MergeRanks`)."""
        self.proxy_requirements: dict[int, tuple[Any, frozenset[tuple[str, ...]]]] = {}
        """id(proxy) → (the proxy, what `index.requirement`s it meets)."""
        self.unmatched: dict[tuple[str, int], tuple[Any, Any, tuple[Any, ...]]] = {}
        """(type, id(proxy)) → (the type's policies, the proxy, those that miss it + why)."""

    def without_types(self, types: set[str]) -> RuleCache:
        """A copy without the entries that depend on policies of these types.

        Safe while another thread adds entries to this cache: each table is copied
        first (an atomic operation in CPython), then filtered.
        """
        out = RuleCache()
        out.fast = {k: v for k, v in self.fast.copy().items() if k[0] not in types}
        out.sorted = self.sorted.copy()
        out.to_side = {k: v for k, v in self.to_side.copy().items() if k[0] not in types}
        out.from_side = {k: v for k, v in self.from_side.copy().items() if k[0] not in types}
        out.single = {k: v for k, v in self.single.copy().items() if k[0] not in types}
        out.resolved = self.resolved.copy()
        out.merged = self.merged.copy()
        out.resource_rules = {
            k: v
            for k, v in self.resource_rules.copy().items()
            if v[2].origins[0].policy.resource.type not in types
        }
        out.canonical = self.canonical.copy()
        out.proxy_requirements = self.proxy_requirements.copy()
        out.ranks = {k: v for k, v in self.ranks.copy().items() if k not in types}
        out.unmatched = {k: v for k, v in self.unmatched.copy().items() if k[0] not in types}
        return out

    def canon(self, conf: Any, struct: Any) -> Any:
        """`kinds.gojson.canon(conf, struct)`, remembered per conf object."""
        key = (id(struct), id(conf))
        hit = self.canonical.get(key)
        if hit is not None and hit[0] is conf:
            return hit[1]
        result = canon(conf, struct)
        self.canonical[key] = (conf, result)
        return result

    def merge(
        self, confs: Sequence[Any], struct: Any, merge: Callable[..., list[Any]]
    ) -> list[Any]:
        """`merge(confs, struct)`, remembered by the identities of the confs."""
        key = (id(struct), tuple(id(c) for c in confs))
        hit = self.merged.get(key)
        if hit is not None:
            return hit[1]
        result = merge(confs, struct, canonical=self.canon)
        self.merged[key] = (tuple(confs), result)
        return result
