"""Merge order: which policy (and which entry) is applied first. (Kuma 2.10.11)

Ascending means applied first, i.e. lower priority; the last one wins on conflicting
fields. The policy comparator orders by top-level targetRef kind, the Dataplane
refinement, origin, (MeshGateway listener tags), role, and display name descending.
Entry comparators (for `rules[]` and `to[]` entries) reuse the attribute keys and add
their own.

Kuma sorts policies with Go's unstable `slices.SortFunc`; `engine.gosort` reproduces it
exactly (it matters for full ties and for comparators that are not transitive, which the
Dataplane refinement is). Full ties are reported by `full_ties` so the caller can warn
about them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from meshtui.engine.gosort import go_sort
from meshtui.model import Policy, TargetRef

T = TypeVar("T")

KIND_RANK: dict[str, int] = {
    "Mesh": 1,
    "Dataplane": 2,
    "MeshSubset": 3,
    "MeshGateway": 4,
    "MeshService": 5,
    "MeshExternalService": 6,
    "MeshMultiZoneService": 7,
    "MeshServiceSubset": 8,
    "MeshHTTPRoute": 9,
}
ORIGIN_RANK: dict[str, int] = {"global": 1, "": 2, "zone": 3}
ROLE_RANK: dict[str, int] = {"system": 1, "producer": 2, "consumer": 3, "workload-owner": 4}


def kind_rank(kind: str) -> int:
    """Specificity of a targetRef kind; unknown kinds rank 0."""
    return KIND_RANK.get(kind, 0)


def origin_rank(policy: Policy) -> int:
    """`global` 1 < absent 2 < `zone` 3; any other value 0."""
    return ORIGIN_RANK.get(policy.labels.get("kuma.io/origin", ""), 0)


def role_rank(policy: Policy) -> int:
    """system (or absent) 1 < producer 2 < consumer 3 < workload-owner 4; unknown 0."""
    return ROLE_RANK.get(policy.resource.role, 0)


def compare_dataplane_refs(a: TargetRef, b: TargetRef) -> int:
    """Kuma's `CompareDataplaneKind`: by-name after by-labels; with sectionName after without."""
    if a.kind != "Dataplane" or b.kind != "Dataplane":
        return 0
    if a.name and b.labels is not None:
        return 1
    if a.labels is not None and b.name:
        return -1
    if a.section_name and not b.section_name:
        return 1
    if not a.section_name and b.section_name:
        return -1
    return 0


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def compare_attributes(a: Policy, b: Policy) -> int:
    """Keys 1, 2, 3 and 5: kind, Dataplane refinement, origin, role (no gateway tag key)."""
    diff = kind_rank(a.target_ref.kind) - kind_rank(b.target_ref.kind)
    if diff:
        return _sign(diff)
    diff = compare_dataplane_refs(a.target_ref, b.target_ref)
    if diff:
        return diff
    diff = origin_rank(a) - origin_rank(b)
    if diff:
        return _sign(diff)
    return _sign(role_rank(a) - role_rank(b))


def compare_names_descending(a: Policy, b: Policy) -> int:
    """Display names, descending, so the alphabetically smallest comes last and wins."""
    x, y = a.resource.display_name, b.resource.display_name
    return (x < y) - (x > y)


def compare_policies(a: Policy, b: Policy) -> int:
    """The policy comparator (all six keys of the matching spec §4.1)."""
    diff = kind_rank(a.target_ref.kind) - kind_rank(b.target_ref.kind)
    if diff:
        return _sign(diff)
    diff = compare_dataplane_refs(a.target_ref, b.target_ref)
    if diff:
        return diff
    diff = origin_rank(a) - origin_rank(b)
    if diff:
        return _sign(diff)
    if a.target_ref.kind == "MeshGateway" and b.target_ref.kind == "MeshGateway":
        diff = len(a.target_ref.tags or {}) - len(b.target_ref.tags or {})
        if diff:
            return _sign(diff)
    diff = role_rank(a) - role_rank(b)
    if diff:
        return _sign(diff)
    return compare_names_descending(a, b)


def keyable(policies: Sequence[Policy]) -> bool:
    """Whether a sort key reproduces the comparator exactly for these policies.

    The Dataplane refinement does not order a `Dataplane` ref selecting every proxy
    against by-name or by-labels ones (it is not transitive); only then is the pairwise
    comparator (and Go's exact algorithm) needed.
    """
    return not any(
        p.target_ref.kind == "Dataplane"
        and (not p.target_ref.name) == (p.target_ref.labels is None)
        for p in policies
    )


def attribute_key(policy: Policy) -> tuple[int, int, int, int, int]:
    """Keys 1, 2, 3 and 5 of the comparator as a tuple (valid when `keyable`)."""
    ref = policy.target_ref
    refinement = (
        (2 if ref.name else 0) + (1 if ref.section_name else 0) if ref.kind == "Dataplane" else 0
    )
    return (kind_rank(ref.kind), refinement, origin_rank(policy), 0, role_rank(policy))


def policy_key(policy: Policy) -> tuple[int, int, int, int, int]:
    """All keys but the name, as a tuple (valid when `keyable`)."""
    kind, refinement, origin, _, role = attribute_key(policy)
    tags = len(policy.target_ref.tags or {}) if policy.target_ref.kind == "MeshGateway" else 0
    return (kind, refinement, origin, tags, role)


def keyed_sort(
    items: Sequence[T], policy_of: Callable[[T], Policy], key: Callable[[T], tuple[int, ...]]
) -> list[T]:
    """Stable sort by `key` ascending, then display name descending (two stable passes)."""
    by_name = sorted(items, key=lambda item: policy_of(item).resource.display_name, reverse=True)
    return sorted(by_name, key=key)


def sort_policies(policies: Sequence[Policy]) -> list[Policy]:
    """Matched policies in merge order (lowest priority first), exactly as Go sorts them.

    The keyed sort is a stable sort by the comparator's keys; it equals Go's unstable
    pdqsort whenever the comparator is a total order on the input, or the input is
    short enough for Go's (stable) insertion sort. Otherwise Go's algorithm is run.
    """
    if len(policies) > 1 and keyable(policies):
        ordered = keyed_sort(policies, lambda p: p, policy_key)
        if len(ordered) <= 12 or not full_ties(ordered):
            return ordered
        return go_sort(policies, _keyed_comparator(policies))
    return go_sort(policies, compare_policies)


def _keyed_comparator(policies: Sequence[Policy]) -> Callable[[Policy, Policy], int]:
    """`compare_policies` through precomputed keys (valid when `keyable`): same answers,
    a fraction of the cost, for running Go's algorithm over hundreds of policies."""
    keys = {id(p): (policy_key(p), p.resource.display_name) for p in policies}

    def cmp(a: Policy, b: Policy) -> int:
        (ka, na), (kb, nb) = keys[id(a)], keys[id(b)]
        if ka != kb:
            return -1 if ka < kb else 1
        return (na < nb) - (na > nb)

    return cmp


def full_ties(ordered: Sequence[Policy]) -> list[tuple[Policy, Policy]]:
    """Neighbours the comparator cannot tell apart: Kuma's order for them is undefined."""
    return [(a, b) for a, b in itertools.pairwise(ordered) if compare_policies(a, b) == 0]


@dataclass(frozen=True, slots=True, eq=False)
class MergeRanks:
    """Every policy of one type in merge order, once: a subset's merge order is then a
    sort by rank, and its full ties are neighbours of one tie class.

    Policies are named by their position in the type's store order (the sequence given
    to `of`). Valid when the comparator is keyable for the whole type: the keyed order
    is a stable sort of store order, so it restricts to any subset listed in store order.
    """

    rank: tuple[int, ...]
    """Position → place in merge order."""
    tie_class: tuple[int, ...]
    """Position → the place of the first policy it fully ties with (its own if none)."""

    @classmethod
    def of(
        cls, policies: Sequence[Policy], keys: Sequence[SortKey] | None = None
    ) -> MergeRanks | None:
        """The ranks of `policies` (store order); `keys`: their `sort_key`s, if known."""
        found = keys if keys is not None else [sort_key(p) for p in policies]
        if not all(k[2] for k in found):
            return None
        by_name = sorted(range(len(policies)), key=lambda i: found[i][1], reverse=True)
        positions = sorted(by_name, key=lambda i: found[i][0])
        rank = [0] * len(policies)
        tie_class = [0] * len(policies)
        previous: tuple[object, ...] | None = None
        for place, position in enumerate(positions):
            key = found[position][:2]
            tie_class[position] = place if key != previous else tie_class[positions[place - 1]]
            rank[position] = place
            previous = key
        return cls(tuple(rank), tuple(tie_class))

    def sort(self, subset: Sequence[int]) -> tuple[list[int], list[tuple[int, int]]]:
        """`sort_policies` of the policies at `subset` (positions, ascending) and their
        `full_ties`, as positions. Over 12 policies with a full tie, Go's algorithm is
        run (the order of tied ones is its own), comparing tie classes: the
        comparator's answers."""
        rank, tie_class = self.rank, self.tie_class
        ordered = sorted(subset, key=rank.__getitem__)
        ties = [(a, b) for a, b in itertools.pairwise(ordered) if tie_class[a] == tie_class[b]]
        if ties and len(ordered) > 12:

            def by_class(a: int, b: int) -> int:
                x, y = tie_class[a], tie_class[b]
                return (x > y) - (x < y)

            ordered = go_sort(subset, by_class)
            ties = [(a, b) for a, b in itertools.pairwise(ordered) if tie_class[a] == tie_class[b]]
        return ordered, ties


SortKey = tuple[tuple[int, int, int, int, int], str, bool]
"""`sort_key`: what merge order reads of one policy."""


def sort_key(policy: Policy) -> SortKey:
    """(`policy_key`, display name, whether a sort key orders it exactly: `keyable`)."""
    return (policy_key(policy), policy.resource.display_name, keyable((policy,)))
