"""Kuma 2.10.11's legacy tag-subset rule builder (the deprecated ``Rules`` lists).

This module owns the part of Kuma 2.10 that turns a list of policy items (``from[]``
items, ``to[]`` items, or one implicit ``Mesh`` item per single-item policy) into a
list of rules keyed by *tag subsets*: ``fromRules``, ``toRules`` and the single-item
rules of the ``_rules`` inspect endpoint (spec ``kuma-rules.md`` §4).

It knows nothing about policies, targetRefs or conf types.  The caller converts each
item's targetRef into a :data:`Subset` (§4.2), filters out items whose kind is not an
"old kind" (§4.1), and supplies the conf ``merge`` function (§3).  This module owns:

* the set relations between subsets (§4.3) and the rule lookup (§4.8);
* the partition algorithm (§4.4): the fast path, the intersection graph with its
  maximal cliques (or connected components), the odometer enumeration of candidate
  subsets, rule creation and the final stable sorts.

The module is pure and uses only the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "Merge",
    "Subset",
    "SubsetItem",
    "SubsetRule",
    "Tag",
    "build_rules",
    "connected_components",
    "contains",
    "covers",
    "enumerate_subsets",
    "first_matching",
    "intersects",
    "maximal_cliques",
    "num_positive",
]


@dataclass(frozen=True, slots=True, order=True)
class Tag:
    """One condition on a tag: ``key == value``, or ``key != value`` when negated.

    The field order makes the natural ordering ``(key, value, positive first)``,
    which is Kuma's canonical tag order.
    """

    key: str
    value: str
    not_: bool = False  # a negated tag (rendered as "not": true)


Subset: TypeAlias = tuple[Tag, ...]
"""A conjunction of tags; the empty subset means "everything" (``Mesh``)."""

Merge: TypeAlias = Callable[[list[object]], list[object]]
"""Merges confs ordered low → high priority into one or more confs (spec §3)."""


@dataclass(frozen=True, slots=True)
class SubsetItem:
    """One policy item taking part in rule building.

    Attributes:
        subset: The item's targetRef as tags (``Mesh`` → ``()``).
        conf: The item's conf, opaque here and handed to ``merge``.
        origin: Identifies the contributing policy.  Rules list the distinct
            origins of their contributing items, first occurrence first.
    """

    subset: Subset
    conf: object
    origin: Hashable


@dataclass(frozen=True, slots=True)
class SubsetRule:
    """One legacy rule: a subset, one merged conf and the policies behind it.

    Attributes:
        subset: Tags in output order (dimension/key order, then value).
        conf: One merged conf (one element of what ``merge`` returned).
        origins: Distinct origins of the contributing items, in merge order.
    """

    subset: Subset
    conf: object
    origins: tuple[Hashable, ...]


# ---------------------------------------------------------------------------
# Set relations (§4.3, §4.8)
# ---------------------------------------------------------------------------


def num_positive(subset: Subset) -> int:
    """Return the number of non-negated tags of ``subset``."""
    return sum(1 for tag in subset if not tag.not_)


def _tag_covers(item_tag: Tag, cand_tag: Tag) -> bool:
    """Whether every point of ``cand_tag`` (same key) satisfies ``item_tag``."""
    if item_tag.not_ == cand_tag.not_:
        return item_tag.value == cand_tag.value
    if item_tag.not_:
        # k != a covers k == b exactly when a != b.
        return item_tag.value != cand_tag.value
    # k == a never covers k != b.
    return False


def covers(item: Subset, cand: Subset) -> bool:
    """Whether the subset ``item`` contains every point of ``cand`` (Kuma's ``IsSubset``).

    An empty ``item`` covers anything.  Otherwise every tag of ``item`` needs at least
    one tag of ``cand`` with the same key, and every such ``cand`` tag must satisfy it.

    Args:
        item: The subset of a policy item.
        cand: The candidate subset of a rule.

    Returns:
        True when the item applies to the whole candidate.
    """
    for tag in item:
        same_key = [c for c in cand if c.key == tag.key]
        if not same_key:
            return False
        if not all(_tag_covers(tag, c) for c in same_key):
            return False
    return True


def intersects(a: Subset, b: Subset) -> bool:
    """Whether some point can belong to both subsets (Kuma's ``Intersect``).

    True if either subset is empty.  Otherwise only positive tags count: two positive
    tags with the same key must carry the same value.  Negated tags never prevent an
    intersection.
    """
    if not a or not b:
        return True
    positives_b: dict[str, set[str]] = {}
    for tag in b:
        if not tag.not_:
            positives_b.setdefault(tag.key, set()).add(tag.value)
    for tag in a:
        if tag.not_:
            continue
        if any(value != tag.value for value in positives_b.get(tag.key, ())):
            return False
    return True


def contains(subset: Subset, element: Mapping[str, str]) -> bool:
    """Whether a rule's ``subset`` applies to a tag map (Kuma's ``ContainsElement``, §4.8).

    The empty subset contains everything; an empty element is contained only by the
    empty subset.  Otherwise a positive tag must be present with its value, and a
    negated tag must not see its value.  A negated tag whose key is absent is
    satisfied.

    Args:
        subset: The subset of a rule.
        element: Tags of the thing being looked up (an outbound's or a client's tags).

    Returns:
        True when the rule applies to ``element``.
    """
    if not subset:
        return True
    if not element:
        return False
    has_overlap = False
    for tag in subset:
        if tag.key not in element:
            if not tag.not_:
                return False
            continue
        has_overlap = True
        if (element[tag.key] == tag.value) == tag.not_:
            return False
    return has_overlap or num_positive(subset) == 0


def first_matching(rules: Sequence[SubsetRule], element: Mapping[str, str]) -> SubsetRule | None:
    """Return the first rule whose subset contains ``element`` (Kuma's ``Rules.Compute``)."""
    for rule in rules:
        if contains(rule.subset, element):
            return rule
    return None


# ---------------------------------------------------------------------------
# Graph grouping (§4.4)
# ---------------------------------------------------------------------------


def maximal_cliques(adjacency: Sequence[AbstractSet[int]]) -> list[tuple[int, ...]]:
    """Return every maximal clique of an undirected graph (Bron-Kerbosch with pivot).

    Isolated nodes are singleton cliques.  Each clique is sorted ascending and the
    list is sorted too, so the result is deterministic.

    Args:
        adjacency: ``adjacency[i]`` is the set of neighbours of node ``i`` (no
            self-loops, symmetric).

    Returns:
        The maximal cliques, each as ascending node ids.
    """
    cliques: list[tuple[int, ...]] = []

    def expand(clique: list[int], cands: set[int], excluded: set[int]) -> None:
        if not cands and not excluded:
            cliques.append(tuple(sorted(clique)))
            return
        pivot = max(cands | excluded, key=lambda u: (len(adjacency[u] & cands), -u))
        for node in sorted(cands - adjacency[pivot]):
            neighbours = adjacency[node]
            expand([*clique, node], cands & neighbours, excluded & neighbours)
            cands = cands - {node}
            excluded = excluded | {node}

    if adjacency:
        expand([], set(range(len(adjacency))), set())
    return sorted(cliques)


def connected_components(adjacency: Sequence[AbstractSet[int]]) -> list[tuple[int, ...]]:
    """Return the connected components of an undirected graph, each sorted ascending."""
    seen: set[int] = set()
    components: list[tuple[int, ...]] = []
    for start in range(len(adjacency)):
        if start in seen:
            continue
        seen.add(start)
        stack, component = [start], []
        while stack:
            node = stack.pop()
            component.append(node)
            for neighbour in adjacency[node] - seen:
                seen.add(neighbour)
                stack.append(neighbour)
        components.append(tuple(sorted(component)))
    return components


def _group_order_key(group: tuple[int, ...]) -> str:
    """Kuma orders groups by their ids joined with ``:`` as a *string* (descending)."""
    return ":".join(str(node) for node in group)


def _node_groups(subsets: Sequence[Subset], use_cliques: bool) -> list[tuple[int, ...]]:
    """Build the intersection graph of ``subsets`` and return its groups in Kuma order.

    One node per subset (duplicates included), an edge where two subsets intersect.
    Groups are maximal cliques or connected components, each sorted ascending, and
    the groups are sorted by their ``":"``-joined id string, descending.
    """
    adjacency: list[set[int]] = [set() for _ in subsets]
    for i, left in enumerate(subsets):
        for j in range(i + 1, len(subsets)):
            if intersects(left, subsets[j]):
                adjacency[i].add(j)
                adjacency[j].add(i)
    groups = maximal_cliques(adjacency) if use_cliques else connected_components(adjacency)
    return sorted(groups, key=_group_order_key, reverse=True)


# ---------------------------------------------------------------------------
# Candidate enumeration (§4.4 "Enumeration order")
# ---------------------------------------------------------------------------


def _dimensions(tags: Iterable[Tag]) -> list[tuple[str, tuple[str, ...]]]:
    """Group tags by key: keys ascending, each with its distinct values ascending."""
    values_by_key: dict[str, set[str]] = {}
    for tag in tags:
        values_by_key.setdefault(tag.key, set()).add(tag.value)
    return [(key, tuple(sorted(values_by_key[key]))) for key in sorted(values_by_key)]


def _state_subset(dims: Sequence[tuple[str, tuple[str, ...]]], state: Sequence[int]) -> Subset:
    """The candidate subset for one odometer state.

    State ``s < n`` of a dimension with ``n`` values is the positive tag with the
    ``s``-th largest value; state ``n`` negates all values (ascending).
    """
    out: list[Tag] = []
    for (key, values), s in zip(dims, state, strict=True):
        if s == len(values):
            out.extend(Tag(key, value, True) for value in values)
        else:
            out.append(Tag(key, values[len(values) - 1 - s]))
    return tuple(out)


def enumerate_subsets(tags: Iterable[Tag]) -> Iterator[Subset]:
    """Yield Kuma's candidate subsets for a group's tags, in Kuma's order.

    Only the ``(key, value)`` of each tag counts.  Each key is one dimension with
    ``n + 1`` states (see :func:`_state_subset`).  The states run as an odometer whose
    first dimension changes fastest; counter values ``1 .. N-1`` are yielded, then
    ``0`` (all positives with the largest values) last.  No tags yield one empty subset.

    Args:
        tags: The tags of a group's subsets.

    Yields:
        Candidate subsets, tags ordered by dimension, then value.
    """
    dims = _dimensions(tags)
    state = [0] * len(dims)
    while True:
        for d, (_, values) in enumerate(dims):
            state[d] += 1
            if state[d] <= len(values):
                break
            state[d] = 0
        else:
            yield _state_subset(dims, state)
            return
        yield _state_subset(dims, state)


# ---------------------------------------------------------------------------
# Rule building (§4.4)
# ---------------------------------------------------------------------------


def _by_subset(items: Sequence[SubsetItem]) -> list[tuple[Subset, list[int]]]:
    """The distinct item subsets, each with the positions of the items that have it.

    Items often share subsets (every `Mesh` item is the empty one): whether a subset
    covers a candidate is then decided once for all of its items.
    """
    found: dict[Subset, list[int]] = {}
    for i, item in enumerate(items):
        found.setdefault(item.subset, []).append(i)
    return list(found.items())


def _make_rules(
    cand: Subset,
    items: Sequence[SubsetItem],
    merge: Merge,
    grouped: list[tuple[Subset, list[int]]] | None = None,
) -> list[SubsetRule]:
    """Build the rules of one candidate subset (Kuma's ``createRule``).

    The items (in item order) whose subset covers ``cand`` are merged; every conf that
    ``merge`` returns becomes one rule.  No covering item means no rule.
    """
    if grouped is None:
        relevant = [item for item in items if covers(item.subset, cand)]
    else:
        positions = [i for subset, at in grouped if covers(subset, cand) for i in at]
        positions.sort()
        relevant = [items[i] for i in positions]
    if not relevant:
        return []
    confs = merge([item.conf for item in relevant])
    origins = tuple(dict.fromkeys(item.origin for item in relevant))
    return [SubsetRule(subset=cand, conf=conf, origins=origins) for conf in confs]


def _canonical_key(subset: Subset) -> str:
    """Kuma's dedup key: tags sorted by (key, value, positive first), joined as text."""
    return "|".join(f"{t.key}:{t.value}:{1 if t.not_ else 0}" for t in sorted(subset))


def _fast_path(items: Sequence[SubsetItem], merge: Merge) -> list[SubsetRule]:
    """No negations and at most one tag key: one rule list per distinct item subset.

    Subsets are deduplicated by canonical form (first occurrence kept, emitted in
    canonical tag order) and the rules are stable-sorted by subset length, descending.
    """
    if any(len(item.subset) > 1 for item in items):
        return _fast_path_general(items, merge)
    # With at most one tag per subset and one key overall, an item covers a candidate
    # exactly when it is the empty subset or equal to it: group instead of testing all.
    everything = [i for i, item in enumerate(items) if not item.subset]
    positions: dict[str, list[int]] = {}
    firsts: list[tuple[str, Subset]] = []
    for i, item in enumerate(items):
        if not item.subset:
            continue
        key = _canonical_key(item.subset)
        if key not in positions:
            positions[key] = []
            firsts.append((key, item.subset))
        positions[key].append(i)
    rules: list[SubsetRule] = []
    for key, subset in firsts:
        chosen = sorted(positions[key] + everything)
        rules.extend(_rules_from(subset, [items[i] for i in chosen], merge))
    if everything:
        rules.extend(_rules_from((), [items[i] for i in everything], merge))
    rules.sort(key=lambda rule: len(rule.subset), reverse=True)
    return rules


def _rules_from(cand: Subset, relevant: Sequence[SubsetItem], merge: Merge) -> list[SubsetRule]:
    confs = merge([item.conf for item in relevant])
    origins = tuple(dict.fromkeys(item.origin for item in relevant))
    return [SubsetRule(subset=cand, conf=conf, origins=origins) for conf in confs]


def _fast_path_general(items: Sequence[SubsetItem], merge: Merge) -> list[SubsetRule]:
    """The fast path done literally (for subsets with several tags of the same key)."""
    seen: set[str] = set()
    grouped = _by_subset(items)
    rules: list[SubsetRule] = []
    for item in items:
        key = _canonical_key(item.subset)
        if key in seen:
            continue
        seen.add(key)
        rules.extend(_make_rules(tuple(sorted(item.subset)), items, merge, grouped))
    rules.sort(key=lambda rule: len(rule.subset), reverse=True)
    return rules


def _graph_path(items: Sequence[SubsetItem], merge: Merge, use_cliques: bool) -> list[SubsetRule]:
    """Enumerate candidates per graph group; stable-sort by positive tags, descending.

    The candidate dimensions of a group are the distinct ``(key, value)`` pairs of its
    members' subsets.  Rules are not deduplicated across groups.
    """
    subsets = [item.subset for item in items]
    grouped = _by_subset(items)
    rules: list[SubsetRule] = []
    for group in _node_groups(subsets, use_cliques):
        group_tags = [tag for node in group for tag in subsets[node]]
        for cand in enumerate_subsets(group_tags):
            rules.extend(_make_rules(cand, items, merge, grouped))
    rules.sort(key=lambda rule: num_positive(rule.subset), reverse=True)
    return rules


def build_rules(
    items: Sequence[SubsetItem],
    *,
    negations: bool,
    merge: Merge,
    use_cliques: bool = True,
) -> list[SubsetRule]:
    """Build Kuma 2.10.11's legacy rules for a list of items (Kuma's ``BuildRules``, §4.4).

    Args:
        items: Old-kind items in policy order, then item index.
        negations: True for ``from`` rules; False for ``to`` and single-item rules.
        merge: Merges confs ordered low → high priority; returns one or more confs.
        use_cliques: Group by maximal cliques (Kuma's default); False groups by
            connected components (``KUMA_MESH_TRAFFIC_PERMISSION_DISABLE_CLIQUES_ALGORITHM``).

    Returns:
        The rules, most specific first.  Overlapping rules are expected: readers take
        the first rule that contains their tags (:func:`first_matching`).
    """
    if not items:
        return []
    keys = {tag.key for item in items for tag in item.subset}
    if not negations and len(keys) <= 1:
        return _fast_path(items, merge)
    return _graph_path(items, merge, use_cliques)
