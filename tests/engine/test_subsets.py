"""Tests for the legacy tag-subset rule builder (spec ``kuma-rules.md`` §4, §11).

Expected values are worked out by hand from the spec, not taken from the code.
"""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshtui.engine.subsets import (
    Subset,
    SubsetItem,
    SubsetRule,
    Tag,
    build_rules,
    connected_components,
    contains,
    covers,
    enumerate_subsets,
    first_matching,
    intersects,
    maximal_cliques,
    num_positive,
)

SVC = "kuma.io/service"

Conf = dict[str, object]


def sub(*specs: str) -> Subset:
    """``sub("env=prod", "zone!=us-east")`` → a subset, tags in the given order."""
    tags: list[Tag] = []
    for spec in specs:
        if "!=" in spec:
            key, value = spec.split("!=", 1)
            tags.append(Tag(key, value, True))
        else:
            key, value = spec.split("=", 1)
            tags.append(Tag(key, value))
    return tuple(tags)


def _patch(target: Conf, patch: Conf) -> Conf:
    """RFC 7396 merge patch over small dicts."""
    result = dict(target)
    for key, value in patch.items():
        current = result.get(key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            result[key] = _patch(current, value)
        else:
            result[key] = value
    return result


def merge(confs: list[object]) -> list[object]:
    """Merge dict confs low → high priority into one conf."""
    result: Conf = {}
    for conf in confs:
        assert isinstance(conf, dict)
        result = _patch(result, conf)
    return [result]


def item(subset: Subset, conf: object, origin: Hashable = "p") -> SubsetItem:
    return SubsetItem(subset=subset, conf=conf, origin=origin)


def allow(action: str) -> Conf:
    return {"action": action}


def summary(rules: Sequence[SubsetRule]) -> list[tuple[Subset, object]]:
    return [(rule.subset, rule.conf) for rule in rules]


# ---------------------------------------------------------------------------
# §4.3 set relations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_subset", "cand", "expected"),
    [
        pytest.param((), (), True, id="empty-covers-empty"),
        pytest.param((), sub("a=1", "b!=2"), True, id="empty-covers-anything"),
        pytest.param(sub("a=1"), (), False, id="tag-does-not-cover-empty"),
        pytest.param(sub("a=1"), sub("a=1"), True, id="same-positive"),
        pytest.param(sub("a=1"), sub("a=2"), False, id="other-positive"),
        pytest.param(sub("a=1"), sub("a=1", "b=2"), True, id="extra-cand-key"),
        pytest.param(sub("a=1", "b=2"), sub("a=1"), False, id="missing-cand-key"),
        pytest.param(sub("a=1"), sub("a!=1"), False, id="positive-never-covers-negative"),
        pytest.param(sub("a=1"), sub("a!=2"), False, id="positive-vs-other-negative"),
        pytest.param(sub("a!=1"), sub("a!=1"), True, id="same-negative"),
        pytest.param(sub("a!=1"), sub("a!=2"), False, id="other-negative"),
        pytest.param(sub("a!=1"), sub("a=2"), True, id="negative-covers-other-positive"),
        pytest.param(sub("a!=1"), sub("a=1"), False, id="negative-vs-same-positive"),
        pytest.param(sub("a!=1"), sub("a!=1", "a!=2"), False, id="every-same-key-tag-checked"),
        pytest.param(sub("b=2", "a=1"), sub("a=1", "b=2"), True, id="order-independent"),
    ],
)
def test_covers(item_subset: Subset, cand: Subset, expected: bool) -> None:
    assert covers(item_subset, cand) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param((), sub("a=1"), True, id="empty-left"),
        pytest.param(sub("a=1"), (), True, id="empty-right"),
        pytest.param(sub("a=1"), sub("a=1"), True, id="same"),
        pytest.param(sub("a=1"), sub("a=2"), False, id="conflict"),
        pytest.param(sub("a=1"), sub("b=2"), True, id="disjoint-keys"),
        pytest.param(sub("team=a"), sub("team=b", "zone=east"), False, id="conflict-in-bigger"),
        pytest.param(sub("team=a", "x=1"), sub("zone=east"), True, id="no-shared-key"),
        pytest.param(sub("a=1"), sub("a!=1"), True, id="negation-never-blocks"),
        pytest.param(sub("a!=1"), sub("a=1"), True, id="negation-never-blocks-left"),
        pytest.param(sub("a!=1"), sub("a=2"), True, id="negation-vs-other-positive"),
        pytest.param(sub("a=1", "b=1"), sub("a=1", "b=2"), False, id="second-key-conflict"),
    ],
)
def test_intersects(a: Subset, b: Subset, expected: bool) -> None:
    assert intersects(a, b) is expected
    assert intersects(b, a) is expected


@pytest.mark.parametrize(
    ("subset", "element", "expected"),
    [
        pytest.param((), {}, True, id="empty-subset-empty-element"),
        pytest.param((), {"a": "1"}, True, id="empty-subset"),
        pytest.param(sub("a!=1"), {}, False, id="empty-element"),
        pytest.param(sub("a=1"), {"a": "1"}, True, id="positive-match"),
        pytest.param(sub("a=1"), {"a": "2"}, False, id="positive-contradicted"),
        pytest.param(sub("a=1"), {"b": "1"}, False, id="positive-missing"),
        pytest.param(sub("a!=1"), {"a": "1"}, False, id="negative-hit"),
        pytest.param(sub("a!=1"), {"a": "2"}, True, id="negative-other-value"),
        pytest.param(sub("a!=1"), {"b": "1"}, True, id="only-negatives-no-overlap"),
        pytest.param(
            sub("zone!=east", "service=frontend"),
            {"service": "frontend", "version": "zone1"},
            True,
            id="kuma-doc-example",
        ),
        pytest.param(sub("a=1", "b=2"), {"a": "1"}, False, id="second-positive-missing"),
    ],
)
def test_contains(subset: Subset, element: dict[str, str], expected: bool) -> None:
    assert contains(subset, element) is expected


def test_num_positive() -> None:
    assert num_positive(()) == 0
    assert num_positive(sub("a=1", "b!=2", "c=3", "d!=4")) == 2


# ---------------------------------------------------------------------------
# §4.4 enumeration
# ---------------------------------------------------------------------------


def test_enumeration_example_env_zone() -> None:
    assert list(enumerate_subsets(sub("env=prod", "zone=us-east"))) == [
        sub("env!=prod", "zone=us-east"),
        sub("env=prod", "zone!=us-east"),
        sub("env!=prod", "zone!=us-east"),
        sub("env=prod", "zone=us-east"),
    ]


def test_enumeration_several_values_per_key() -> None:
    # Dimension "app" with values [x, y]: state 0 = y (largest), 1 = x, 2 = both negated.
    # Input order and duplicates must not matter.
    assert list(enumerate_subsets(sub("app=y", "app=x", "app=y"))) == [
        sub("app=x"),
        sub("app!=x", "app!=y"),
        sub("app=y"),
    ]


def test_enumeration_first_dimension_fastest() -> None:
    got = list(enumerate_subsets(sub("b=1", "a=2", "a=1")))
    # a: [1, 2] (3 states), b: [1] (2 states); N = 6, counters 1..5 then 0.
    assert got == [
        sub("a=1", "b=1"),
        sub("a!=1", "a!=2", "b=1"),
        sub("a=2", "b!=1"),
        sub("a=1", "b!=1"),
        sub("a!=1", "a!=2", "b!=1"),
        sub("a=2", "b=1"),
    ]


def test_enumeration_of_no_tags_is_one_empty_subset() -> None:
    assert list(enumerate_subsets(())) == [()]


# ---------------------------------------------------------------------------
# Graph grouping
# ---------------------------------------------------------------------------


def test_maximal_cliques_worked_example_graph() -> None:
    # §4.5: every pair except 2-3.
    adjacency = [{1, 2, 3}, {0, 2, 3}, {0, 1}, {0, 1}]
    assert maximal_cliques(adjacency) == [(0, 1, 2), (0, 1, 3)]


def test_maximal_cliques_isolated_nodes_are_singletons() -> None:
    assert maximal_cliques([set(), {2}, {1}, set()]) == [(0,), (1, 2), (3,)]
    assert maximal_cliques([]) == []


def test_connected_components() -> None:
    assert connected_components([{1}, {0}, set(), {4}, {3}]) == [(0, 1), (2,), (3, 4)]


def _random_graph(data: st.DataObject) -> list[set[int]]:
    n = data.draw(st.integers(min_value=0, max_value=8))
    pairs = list(combinations(range(n), 2))
    edges = data.draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    adjacency: list[set[int]] = [set() for _ in range(n)]
    for u, v in edges:
        adjacency[u].add(v)
        adjacency[v].add(u)
    return adjacency


@given(st.data())
def test_maximal_cliques_match_brute_force(data: st.DataObject) -> None:
    adjacency = _random_graph(data)
    n = len(adjacency)

    def is_clique(nodes: tuple[int, ...]) -> bool:
        return all(v in adjacency[u] for u, v in combinations(nodes, 2))

    cliques = [c for k in range(1, n + 1) for c in combinations(range(n), k) if is_clique(c)]
    maximal = [c for c in cliques if not any(set(c) < set(d) for d in cliques)]
    assert maximal_cliques(adjacency) == sorted(maximal)


# ---------------------------------------------------------------------------
# §4.5 worked example, §11 test vectors
# ---------------------------------------------------------------------------


def test_worked_example_4_5() -> None:
    items = [
        item((), allow("Allow")),
        item(sub("zone=us-east"), allow("Deny")),
        item(sub("env=dev"), allow("Allow")),
        item(sub("env=prod"), allow("Allow")),
    ]
    rules = build_rules(items, negations=True, merge=merge)
    assert summary(rules) == [
        (sub("env=prod", "zone=us-east"), allow("Allow")),
        (sub("env=dev", "zone=us-east"), allow("Allow")),
        (sub("env!=prod", "zone=us-east"), allow("Deny")),
        (sub("env=prod", "zone!=us-east"), allow("Allow")),
        (sub("env!=dev", "zone=us-east"), allow("Deny")),
        (sub("env=dev", "zone!=us-east"), allow("Allow")),
        (sub("env!=prod", "zone!=us-east"), allow("Allow")),
        (sub("env!=dev", "zone!=us-east"), allow("Allow")),
    ]
    assert all(rule.origins == ("p",) for rule in rules)


TV1_ITEMS = [
    item((), allow("Allow")),
    item(sub("app=x"), allow("Deny")),
    item(sub("app=y"), allow("AllowWithShadowDeny")),
]


def test_tv1_cliques_give_overlapping_rules() -> None:
    rules = build_rules(TV1_ITEMS, negations=True, merge=merge)
    assert summary(rules) == [
        (sub("app=y"), allow("AllowWithShadowDeny")),
        (sub("app=x"), allow("Deny")),
        (sub("app!=y"), allow("Allow")),
        (sub("app!=x"), allow("Allow")),
    ]
    # Overlap, not a partition: a client with app=x hits "app=x" first, not "app!=y".
    rule = first_matching(rules, {"app": "x"})
    assert rule is not None
    assert rule.subset == sub("app=x")


def test_tv1_connected_components() -> None:
    rules = build_rules(TV1_ITEMS, negations=True, merge=merge, use_cliques=False)
    assert summary(rules) == [
        (sub("app=x"), allow("Deny")),
        (sub("app=y"), allow("AllowWithShadowDeny")),
        (sub("app!=x", "app!=y"), allow("Allow")),
    ]


def test_tv2_clique_order_is_a_string_sort() -> None:
    apps = [f"a{i:02d}" for i in range(1, 12)]
    items = [item((), allow("Allow"))] + [item(sub(f"app={a}"), allow(a)) for a in apps]
    rules = build_rules(items, negations=True, merge=merge)
    # Groups {0, i}: "0:9" > … > "0:2" > "0:11" > "0:10" > "0:1".
    order = ["a09", "a08", "a07", "a06", "a05", "a04", "a03", "a02", "a11", "a10", "a01"]
    positives = [rule for rule in rules if num_positive(rule.subset) == 1]
    negatives = [rule for rule in rules if num_positive(rule.subset) == 0]
    assert len(rules) == 22
    assert rules[:11] == positives
    assert summary(positives) == [(sub(f"app={a}"), allow(a)) for a in order]
    assert summary(negatives) == [(sub(f"app!={a}"), allow("Allow")) for a in order]


def test_tv3_to_fast_path_dedups_and_puts_mesh_last() -> None:
    items = [
        item((), "A", "p1"),
        item(sub(f"{SVC}=b"), "B", "p2"),
        item(sub(f"{SVC}=a"), "C", "p2"),
        item(sub(f"{SVC}=b"), "D", "p3"),
    ]

    def last_wins(confs: list[object]) -> list[object]:
        return [confs[-1]]

    rules = build_rules(items, negations=False, merge=last_wins)
    assert rules == [
        SubsetRule(sub(f"{SVC}=b"), "D", ("p1", "p2", "p3")),
        SubsetRule(sub(f"{SVC}=a"), "C", ("p1", "p2")),
        SubsetRule((), "A", ("p1",)),
    ]


def test_tv4_to_with_a_subset_gets_negations() -> None:
    items = [
        item(sub(f"{SVC}=b"), {"t": "B"}, "p1"),
        item(sub("version=v1", f"{SVC}=b"), {"t": "V1"}, "p2"),
    ]
    rules = build_rules(items, negations=False, merge=merge)
    assert rules == [
        SubsetRule(sub(f"{SVC}=b", "version=v1"), {"t": "V1"}, ("p1", "p2")),
        SubsetRule(sub(f"{SVC}=b", "version!=v1"), {"t": "B"}, ("p1",)),
    ]


def test_tv5_labels_only_mesh_service_gives_empty_service_tag() -> None:
    rules = build_rules([item(sub(f"{SVC}="), {"idleTimeout": "5s"})], negations=False, merge=merge)
    assert summary(rules) == [((Tag(SVC, ""),), {"idleTimeout": "5s"})]


def test_tv17_single_subset_from_item_gives_one_rule() -> None:
    rules = build_rules([item(sub("app=ui"), allow("Allow"))], negations=True, merge=merge)
    # No "app!=ui" rule: nothing covers it.
    assert summary(rules) == [(sub("app=ui"), allow("Allow"))]


def test_tv17_single_mesh_from_item_gives_one_empty_rule() -> None:
    conf = {"idleTimeout": "100s", "connectionTimeout": "101s"}
    rules = build_rules([item((), conf, "b")], negations=True, merge=merge)
    assert rules == [SubsetRule((), conf, ("b",))]


# ---------------------------------------------------------------------------
# Paths, origins, merge results
# ---------------------------------------------------------------------------


def test_negations_disable_the_fast_path() -> None:
    items = [item((), {"t": "A"}), item(sub(f"{SVC}=b"), {"t": "B"})]
    assert summary(build_rules(items, negations=False, merge=merge)) == [
        (sub(f"{SVC}=b"), {"t": "B"}),
        ((), {"t": "A"}),
    ]
    assert summary(build_rules(items, negations=True, merge=merge)) == [
        (sub(f"{SVC}=b"), {"t": "B"}),
        (sub(f"{SVC}!=b"), {"t": "A"}),
    ]


def test_single_item_rules_merge_all_defaults_in_order() -> None:
    items = [
        item((), {"a": 1, "b": {"x": 1}}, "p1"),
        item((), {"b": {"y": 2}}, "p2"),
        item((), {"a": 3}, "p1"),
    ]
    rules = build_rules(items, negations=False, merge=merge)
    assert rules == [SubsetRule((), {"a": 3, "b": {"x": 1, "y": 2}}, ("p1", "p2"))]


def test_origins_are_distinct_in_first_occurrence_order() -> None:
    items = [
        item(sub("app=x"), {"n": 1}, "p2"),
        item((), {"n": 2}, "p1"),
        item(sub("app=x"), {"n": 3}, "p2"),
        item(sub("app=x"), {"n": 4}, "p3"),
    ]
    rules = build_rules(items, negations=True, merge=merge)
    assert rules == [
        SubsetRule(sub("app=x"), {"n": 4}, ("p2", "p1", "p3")),
        SubsetRule(sub("app!=x"), {"n": 2}, ("p1",)),
    ]


def test_one_rule_per_merged_conf() -> None:
    def split(confs: list[object]) -> list[object]:
        return [("merged", len(confs)), ("other", len(confs))]

    rules = build_rules([item((), 1, "p1"), item((), 2, "p2")], negations=False, merge=split)
    assert rules == [
        SubsetRule((), ("merged", 2), ("p1", "p2")),
        SubsetRule((), ("other", 2), ("p1", "p2")),
    ]


def test_fast_path_sorts_by_length_not_positive_count() -> None:
    # Negated tags can only come from a caller; the fast path sorts by length anyway.
    items = [
        item((), {"n": 0}, "p0"),
        item(sub("a!=1"), {"n": 1}, "p1"),
        item(sub("a=2"), {"n": 2}, "p2"),
    ]
    rules = build_rules(items, negations=False, merge=merge)
    assert [rule.subset for rule in rules] == [sub("a!=1"), sub("a=2"), ()]


def test_graph_path_uses_distinct_group_tags() -> None:
    # Duplicate nodes 0 and 2 share every clique; their tag appears once per dimension.
    items = [
        item(sub("app=x"), {"n": 1}, "p1"),
        item(sub("app=y"), {"n": 2}, "p2"),
        item(sub("app=x"), {"n": 3}, "p3"),
    ]
    rules = build_rules(items, negations=True, merge=merge)
    # Groups "1" > "0:2"; "app!=…" candidates have no covering item.
    assert rules == [
        SubsetRule(sub("app=y"), {"n": 2}, ("p2",)),
        SubsetRule(sub("app=x"), {"n": 3}, ("p1", "p3")),
    ]


def test_empty_input() -> None:
    assert build_rules([], negations=True, merge=merge) == []
    assert build_rules([], negations=False, merge=merge) == []


def test_first_matching() -> None:
    rules = [
        SubsetRule(sub("app=x"), 1, ("p",)),
        SubsetRule(sub("app!=y"), 2, ("p",)),
        SubsetRule((), 3, ("p",)),
    ]
    assert first_matching(rules, {"app": "x"}) is rules[0]
    assert first_matching(rules, {"app": "z"}) is rules[1]
    assert first_matching(rules, {"app": "y"}) is rules[2]
    assert first_matching(rules[:2], {"app": "y"}) is None


def test_fifty_items_are_fast() -> None:
    rng = random.Random(7)
    items = [item((), {"n": -1}, "mesh")] + [
        item(sub(f"{SVC}=caller-{i}", f"version=v{rng.randrange(3)}"), {"n": i}, f"p{i}")
        for i in range(50)
    ]
    start = time.perf_counter()
    rules = build_rules(items, negations=True, merge=merge)
    assert time.perf_counter() - start < 2.0
    # 50 cliques {mesh, i}, 2 dimensions each; the Mesh item covers all 4 candidates.
    assert len(rules) == 200


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

_KEYS = ["app", "env", "zone"]
_VALUES = ["a", "b", "c"]

_tag_maps = st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=3)
_items = st.lists(
    st.tuples(_tag_maps, st.integers(0, 9), st.sampled_from(["p1", "p2", "p3"])),
    min_size=1,
    max_size=6,
)


def _to_items(raw: list[tuple[dict[str, str], int, str]]) -> list[SubsetItem]:
    return [
        item(tuple(Tag(k, v) for k, v in tags.items()), {"n": n, origin: n}, origin)
        for tags, n, origin in raw
    ]


@settings(max_examples=150, deadline=None)
@given(_items, st.booleans(), st.booleans())
def test_every_rule_is_backed_by_its_covering_items(
    raw: list[tuple[dict[str, str], int, str]], negations: bool, use_cliques: bool
) -> None:
    items = _to_items(raw)
    for rule in build_rules(items, negations=negations, merge=merge, use_cliques=use_cliques):
        relevant = [it for it in items if covers(it.subset, rule.subset)]
        assert relevant, rule
        assert [rule.conf] == merge([it.conf for it in relevant])
        assert rule.origins == tuple(dict.fromkeys(it.origin for it in relevant))


@settings(max_examples=150, deadline=None)
@given(_items, st.booleans())
def test_graph_path_sorted_by_positive_count(
    raw: list[tuple[dict[str, str], int, str]], use_cliques: bool
) -> None:
    rules = build_rules(_to_items(raw), negations=True, merge=merge, use_cliques=use_cliques)
    counts = [num_positive(rule.subset) for rule in rules]
    assert counts == sorted(counts, reverse=True)
    for rule in rules:
        keys = [tag.key for tag in rule.subset]
        assert keys == sorted(keys)


@settings(max_examples=150, deadline=None)
@given(_items)
def test_fast_path_has_distinct_subsets_sorted_by_length(
    raw: list[tuple[dict[str, str], int, str]],
) -> None:
    one_key = [({"app": tags["app"]} if "app" in tags else {}, n, o) for tags, n, o in raw]
    rules = build_rules(_to_items(one_key), negations=False, merge=merge)
    subsets = [rule.subset for rule in rules]
    assert len(set(subsets)) == len(subsets)
    assert [len(s) for s in subsets] == sorted((len(s) for s in subsets), reverse=True)
    assert set(subsets) == {((Tag("app", m["app"]),) if m else ()) for m, _, _ in one_key}


@settings(max_examples=100, deadline=None)
@given(_items, st.booleans(), st.randoms(use_true_random=False))
def test_tag_order_inside_an_item_does_not_matter(
    raw: list[tuple[dict[str, str], int, str]], negations: bool, rnd: random.Random
) -> None:
    items = _to_items(raw)
    shuffled = [
        SubsetItem(tuple(rnd.sample(it.subset, len(it.subset))), it.conf, it.origin) for it in items
    ]
    expected = build_rules(items, negations=negations, merge=merge)
    assert build_rules(shuffled, negations=negations, merge=merge) == expected


@given(
    st.lists(
        st.one_of(
            st.just(()), st.builds(lambda v: (Tag("kuma.io/service", v),), st.sampled_from("abcd"))
        ),
        max_size=12,
    )
)
def test_grouped_fast_path_equals_the_literal_one(subsets: list[Subset]) -> None:
    from meshtui.engine.subsets import _fast_path, _fast_path_general

    items = [SubsetItem(subset=s, conf={"i": i}, origin=f"p{i % 3}") for i, s in enumerate(subsets)]

    def merge(confs: list[object]) -> list[object]:
        return [tuple(confs)]

    assert _fast_path(items, merge) == _fast_path_general(items, merge)
