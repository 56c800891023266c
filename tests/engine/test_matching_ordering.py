"""Merge order: policy comparator (§4.1), entry comparators (§4.2) and test vectors TV1-TV5,
TV11, TV14 and TV15 of `kuma-matching.md` (Kuma 2.10.11).

Ascending = applied first = lower priority: the last policy / entry wins.
Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from meshtui.engine.ordering import compare_policies, sort_policies
from meshtui.model import Policy
from tests.engine.matching_support import (
    ABSENT,
    MESH_REF,
    dataplane_doc,
    display_names,
    inbound_conf,
    index,
    k8s_policy,
    make_policy,
    matched,
    mesh_doc,
    mesh_service,
    per_inbound,
    policy,
    request_timeout,
    resource_conf,
    rules_for,
    timeout,
    to_,
    universal_policy,
    web_1,
    yaml_text,
)


def shuffled_sort(policies: list[Policy]) -> list[str]:
    """Sort a reversed and a shuffled copy; both must give the same order."""
    first = display_names(sort_policies(list(reversed(policies))))
    mixed = list(policies)
    random.Random(7).shuffle(mixed)
    assert display_names(sort_policies(mixed)) == first
    return first


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


# --------------------------------------------------------------------------------------
# §4.1 key 1: top-level kind rank

KINDS_ASCENDING = [
    "Unknown",
    "Mesh",
    "Dataplane",
    "MeshSubset",
    "MeshGateway",
    "MeshService",
    "MeshExternalService",
    "MeshMultiZoneService",
    "MeshServiceSubset",
    "MeshHTTPRoute",
]


def test_kind_rank_order() -> None:
    policies = [make_policy(kind, kind, store_name=f"p-{kind}") for kind in KINDS_ASCENDING]
    assert shuffled_sort(policies) == KINDS_ASCENDING


def test_empty_kind_ranks_with_unknown_before_mesh() -> None:
    assert compare_policies(make_policy("z", ""), make_policy("a", "Mesh")) < 0


def test_kind_beats_every_later_key() -> None:
    mesh = make_policy("a", "Mesh", origin="zone", role="workload-owner")
    dataplane = make_policy("z", "Dataplane", origin="global", role="system")
    assert display_names(sort_policies([dataplane, mesh])) == ["a", "z"]


# --------------------------------------------------------------------------------------
# §4.1 key 2 (TV11): Dataplane refinement — name-based after labels-based; section after none.
# (HEAD keeps only the section rule: HEAD only, not encoded.)

P1_ALL: dict[str, Any] = {}
P2_LABELS: dict[str, Any] = {"labels": {"app": "web"}}
P3_NAME: dict[str, Any] = {"name": "web-1", "namespace": "demo"}

REFINEMENT = [
    # (ref a, name a, ref b, name b, expected sign of compare(a, b))
    pytest.param(P2_LABELS, "aaa", P3_NAME, "zzz", -1, id="labels-before-name-despite-names"),
    pytest.param(P3_NAME, "zzz", P2_LABELS, "aaa", 1, id="name-after-labels-despite-names"),
    pytest.param({"labels": {}}, "aaa", P3_NAME, "zzz", -1, id="empty-labels-count-as-labels"),
    pytest.param(P1_ALL, "aaa", P2_LABELS, "zzz", 1, id="all-vs-labels-tie-falls-to-name"),
    pytest.param(P1_ALL, "zzz", P2_LABELS, "aaa", -1, id="all-vs-labels-tie-falls-to-name-reverse"),
    pytest.param(P1_ALL, "aaa", P3_NAME, "zzz", 1, id="all-vs-name-tie-falls-to-name"),
    pytest.param(P1_ALL, "zzz", P3_NAME, "aaa", -1, id="all-vs-name-tie-falls-to-name-reverse"),
    pytest.param(
        {**P2_LABELS, "sectionName": "http"},
        "zzz",
        P2_LABELS,
        "aaa",
        1,
        id="labels-section-after-labels",
    ),
    pytest.param(
        {"sectionName": "http"}, "zzz", P2_LABELS, "aaa", 1, id="all-section-after-labels"
    ),
    pytest.param(
        {**P3_NAME, "sectionName": "http"}, "zzz", P3_NAME, "aaa", 1, id="name-section-after-name"
    ),
    pytest.param(
        {**P2_LABELS, "sectionName": "http"},
        "zzz",
        P3_NAME,
        "aaa",
        -1,
        id="name-rule-checked-before-section",
    ),
    pytest.param(
        {"sectionName": "http"},
        "aaa",
        {"sectionName": "http"},
        "zzz",
        1,
        id="both-sections-tie-falls-to-name",
    ),
]


def dp_policy(ref: dict[str, Any], name: str, **labels: Any) -> Policy:
    fields = {
        "name": ref.get("name", ""),
        "namespace": ref.get("namespace", ""),
        "labels": ref.get("labels"),
        "section_name": ref.get("sectionName", ""),
    }
    return make_policy(name, "Dataplane", **labels, **fields)


@pytest.mark.parametrize(("ref_a", "name_a", "ref_b", "name_b", "expected"), REFINEMENT)
def test_tv11_dataplane_refinement(
    ref_a: dict[str, Any], name_a: str, ref_b: dict[str, Any], name_b: str, expected: int
) -> None:
    a, b = dp_policy(ref_a, name_a), dp_policy(ref_b, name_b)
    assert sign(compare_policies(a, b)) == expected
    assert sign(compare_policies(b, a)) == -expected


def test_tv11_refinement_beats_origin() -> None:
    labels = dp_policy(P2_LABELS, "aaa", origin="zone")
    by_name = dp_policy(P3_NAME, "zzz", origin="global")
    assert compare_policies(labels, by_name) < 0


# --------------------------------------------------------------------------------------
# §4.1 key 3: origin global < absent < zone; unrecognised first


def test_origin_rank_order() -> None:
    policies = [
        make_policy("zone", origin="zone", store_name="p-zone"),
        make_policy("absent", origin=None, store_name="p-absent"),
        make_policy("global", origin="global", store_name="p-global"),
        make_policy("unknown", origin="Zone", store_name="p-unknown"),
    ]
    # Same display name would tie; distinct ones are chosen against the name order.
    assert shuffled_sort(policies) == ["unknown", "global", "absent", "zone"]


def test_empty_origin_ranks_as_absent() -> None:
    empty = make_policy("p", origin="", store_name="p-empty")
    absent = make_policy("p", origin=None, store_name="p-absent")
    assert compare_policies(empty, absent) == 0


def test_origin_beats_role_and_name() -> None:
    glob = make_policy("a", origin="global", role="workload-owner")
    zone = make_policy("z", origin="zone", role="system")
    assert display_names(sort_policies([zone, glob])) == ["a", "z"]


# --------------------------------------------------------------------------------------
# §4.1 key 4: MeshGateway listener tags (policy level only)


def gw_policy(name: str, tags: int, **labels: Any) -> Policy:
    return make_policy(name, "MeshGateway", tags={f"t{i}": "v" for i in range(tags)}, **labels)


MESH_GATEWAY_TAGS = [
    pytest.param(gw_policy("a", 0), gw_policy("b", 1), -1, id="fewer-tags-first-despite-name"),
    pytest.param(
        gw_policy("a", 1, role="system"), gw_policy("b", 2, role="system"), -1, id="one-before-two"
    ),
    pytest.param(
        gw_policy("a", 2, role="system"),
        gw_policy("b", 1, role="workload-owner"),
        1,
        id="tags-before-role",
    ),
    pytest.param(
        gw_policy("a", 0, origin="zone"),
        gw_policy("b", 2, origin="global"),
        1,
        id="origin-before-tags",
    ),
    pytest.param(gw_policy("a", 1), gw_policy("b", 1), 1, id="equal-tags-fall-to-name"),
]


@pytest.mark.parametrize(("a", "b", "expected"), MESH_GATEWAY_TAGS)
def test_mesh_gateway_tag_count(a: Policy, b: Policy, expected: int) -> None:
    assert sign(compare_policies(a, b)) == expected


def test_tag_count_is_not_a_key_for_other_kinds() -> None:
    many = make_policy("a", "MeshSubset", tags={"x": "1", "y": "2"})
    none = make_policy("b", "MeshSubset", tags={"x": "1"})
    assert display_names(sort_policies([many, none])) == ["b", "a"]


# --------------------------------------------------------------------------------------
# §4.1 key 5: role


def test_role_rank_order() -> None:
    policies = [
        make_policy("a", role="Other"),
        make_policy("b", role="system"),
        make_policy("c", role="producer"),
        make_policy("d", role="consumer"),
        make_policy("e", role="workload-owner"),
    ]
    assert shuffled_sort(policies) == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("role", [None, ""])
def test_absent_or_empty_role_ranks_as_system(role: str | None) -> None:
    assert (
        compare_policies(
            make_policy("p", role=role, store_name="x"), make_policy("p", role="system")
        )
        == 0
    )


def test_role_beats_name() -> None:
    assert display_names(
        sort_policies([make_policy("a", role="consumer"), make_policy("z", role="system")])
    ) == ["z", "a"]


# --------------------------------------------------------------------------------------
# §4.1 key 6: display name, descending, byte-wise

NAMES = [
    pytest.param(["a", "b"], ["b", "a"], id="b-before-a"),
    pytest.param(["a", "aa"], ["aa", "a"], id="prefix-last"),
    pytest.param(["B", "a"], ["a", "B"], id="byte-wise-upper-case-last"),
    pytest.param(["a-1", "a.1", "a_1"], ["a_1", "a.1", "a-1"], id="punctuation-bytes"),
    pytest.param(["é", "z"], ["é", "z"], id="non-ascii-after-ascii-bytes"),
]


@pytest.mark.parametrize(("names", "expected"), NAMES)
def test_display_name_descending(names: list[str], expected: list[str]) -> None:
    assert (
        shuffled_sort([make_policy(n, store_name=f"s{i}") for i, n in enumerate(names)]) == expected
    )


def test_tv4_name_tie_break_is_descending() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "aaa", {"to": [to_(MESH_REF, timeout("1s"))]}),
        policy("MeshTimeout", "bbb", {"to": [to_(MESH_REF, timeout("2s"))]}),
    ]
    assert matched(docs) == ["bbb", "aaa"]


def test_tv4_display_names_not_store_names() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "zzz", {}, store_name="a-copy"),
        policy("MeshTimeout", "aaa", {}, store_name="z-copy"),
    ]
    assert matched(docs) == ["zzz", "aaa"]


def test_full_tie_keeps_store_order_and_is_flagged() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "p", {}, store_name="p.alpha", ns="alpha", role=ABSENT),
        policy("MeshTimeout", "p", {}, store_name="p.beta", ns="beta", role=ABSENT),
    ]
    rules = rules_for(docs)
    assert [p.resource.name for p in rules.matched] == ["p.alpha", "p.beta"]
    assert len(rules.ties) == 1


# --------------------------------------------------------------------------------------
# TV1 — Dataplane is less specific than MeshSubset (2.10; HEAD has no MeshSubset)


def tv1_docs() -> list[dict[str, Any]]:
    return [
        web_1(),
        policy(
            "MeshTimeout",
            "by-dp",
            {
                "targetRef": {"kind": "Dataplane", "name": "web-1", "namespace": "demo"},
                "from": [to_(MESH_REF, timeout("5s"))],
            },
        ),
        policy(
            "MeshTimeout",
            "by-subset",
            {
                "targetRef": {"kind": "MeshSubset", "tags": {"app": "web"}},
                "from": [to_(MESH_REF, timeout("10s"))],
            },
        ),
    ]


def test_tv1_order() -> None:
    rules = rules_for(tv1_docs())
    assert [p.resource.display_name for p in rules.matched] == ["by-dp", "by-subset"]
    assert per_inbound(rules, 8080) == ["by-dp", "by-subset"]


def test_tv1_inbound_8080_gets_10s() -> None:
    rules = rules_for(tv1_docs())
    assert inbound_conf(rules, 8080) == timeout("10s")
    (legacy,) = rules.from_rules[("10.0.0.5", 8080)]
    assert legacy.subset == ()
    assert legacy.conf == timeout("10s")


# --------------------------------------------------------------------------------------
# TV2 — kind beats role (the HEAD analogue is HEAD only, not encoded)


def tv2_docs() -> list[dict[str, Any]]:
    return [
        mesh_doc(),
        web_1(),
        policy(
            "MeshTimeout",
            "sys",
            {
                "targetRef": {"kind": "MeshSubset", "tags": {"app": "web"}},
                "to": [to_(MESH_REF, timeout("3s"))],
            },
        ),
        policy(
            "MeshTimeout",
            "con",
            {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("7s"))]},
            ns="demo",
            role="consumer",
        ),
    ]


def test_tv2_consumer_mesh_sorts_before_system_subset() -> None:
    assert matched(tv2_docs()) == ["con", "sys"]


def test_tv2_system_policy_wins() -> None:
    assert resource_conf(rules_for(tv2_docs()), "default") == timeout("3s")


# --------------------------------------------------------------------------------------
# TV3 — role order at equal kind and origin (names chosen against the name order)

BACKEND_ITEM = to_({"kind": "MeshService", "name": "backend"}, timeout("2s"))


def test_tv3_role_order() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "aaa", {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("1s"))]}),
        policy(
            "MeshTimeout",
            "mmm",
            {"targetRef": MESH_REF, "to": [BACKEND_ITEM]},
            ns="backend",
            role="producer",
        ),
        policy(
            "MeshTimeout",
            "zzz",
            {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("3s"))]},
            ns="demo",
            role="consumer",
        ),
    ]
    assert matched(docs) == ["aaa", "mmm", "zzz"]


def test_tv3_role_order_with_roles_computed_from_kubernetes_form() -> None:
    docs = [
        web_1(),
        k8s_policy(
            "MeshTimeout",
            "aaa",
            "kuma-system",
            {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("1s"))]},
        ),
        k8s_policy("MeshTimeout", "mmm", "backend", {"targetRef": MESH_REF, "to": [BACKEND_ITEM]}),
        k8s_policy(
            "MeshTimeout",
            "zzz",
            "demo",
            {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("3s"))]},
        ),
    ]
    assert matched(yaml_text(*docs)) == ["aaa", "mmm", "zzz"]


# --------------------------------------------------------------------------------------
# TV5 — origin beats name


def test_tv5_global_copy_before_zone_policy_on_a_zone_cp() -> None:
    docs = [
        web_1(),
        policy(
            "MeshTimeout",
            "aaa",
            {},
            origin="global",
            zone=ABSENT,
            store_name="aaa-5c8f0a1b2c3d4e5f.kuma-system",
        ),
        policy("MeshTimeout", "zzz", {}),
    ]
    assert matched(docs) == ["aaa", "zzz"]


def test_tv5_on_a_global_cp_the_global_policy_has_no_origin_and_still_sorts_first() -> None:
    glob = make_policy("aaa", origin=None)
    zone = make_policy("zzz", origin="zone")
    assert display_names(sort_policies([zone, glob])) == ["aaa", "zzz"]


# --------------------------------------------------------------------------------------
# §4.2 inbound entries: policy attributes (no MeshGateway tag key), then name descending


def test_inbound_entries_last_name_alphabetically_first_wins() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "a", {"targetRef": MESH_REF, "rules": [{"default": timeout("1s")}]}),
        policy("MeshTimeout", "b", {"targetRef": MESH_REF, "rules": [{"default": timeout("2s")}]}),
    ]
    rules = rules_for(docs)
    assert inbound_conf(rules, 8080) == timeout("1s")
    (rule,) = rules.inbound_rules[("10.0.0.5", 8080)]
    assert [(o.policy.resource.display_name, o.index) for o in rule.origins] == [("b", 0), ("a", 0)]


def test_inbound_entries_keep_array_order_within_a_policy() -> None:
    spec = {
        "targetRef": MESH_REF,
        "rules": [{"default": timeout("1s")}, {"default": timeout("2s")}],
    }
    rules = rules_for([web_1(), policy("MeshTimeout", "p", spec)])
    assert inbound_conf(rules, 8080) == timeout("2s")


def test_inbound_entries_from_as_rules_and_rules_share_one_order() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "a", {"targetRef": MESH_REF, "from": [to_(MESH_REF, timeout("1s"))]}),
        policy(
            "MeshTimeout",
            "z",
            {"targetRef": {"kind": "Dataplane"}, "rules": [{"default": timeout("2s")}]},
        ),
    ]
    assert inbound_conf(rules_for(docs), 9090) == timeout("2s")


BUILTIN = dataplane_doc(
    "edge-gw.demo",
    {"kuma.io/origin": "zone", "kuma.io/zone": "zone-1", "kuma.io/display-name": "edge-gw"},
    gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}},
    address="10.0.0.9",
)
GATEWAY = {
    "type": "MeshGateway",
    "mesh": "default",
    "name": "edge",
    "selectors": [{"match": {"kuma.io/service": "edge"}}],
    "conf": {"listeners": [{"port": 8080, "protocol": "HTTP", "tags": {"port": "http"}}]},
}


def gateway_docs(section: str) -> list[dict[str, Any]]:
    # "b" has a listener tag (policy level: after "a"); by name "b" sorts before "a".
    return [
        mesh_doc(),
        BUILTIN,
        GATEWAY,
        policy(
            "MeshTimeout",
            "b",
            {
                "targetRef": {"kind": "MeshGateway", "name": "edge", "tags": {"port": "http"}},
                section: [to_(MESH_REF, timeout("1s"))],
            },
        ),
        policy(
            "MeshTimeout",
            "a",
            {
                "targetRef": {"kind": "MeshGateway", "name": "edge"},
                section: [to_(MESH_REF, timeout("2s"))],
            },
        ),
    ]


def test_policy_level_order_uses_the_gateway_tag_count() -> None:
    rules = rules_for(gateway_docs("to"), dp="edge-gw.demo")
    assert [p.resource.display_name for p in rules.matched] == ["a", "b"]
    assert per_inbound(rules, 8080, "10.0.0.9") == ["a", "b"]


def test_inbound_entry_order_ignores_the_gateway_tag_count() -> None:
    docs = gateway_docs("rules")
    for doc in docs[3:]:
        doc["spec"]["rules"] = [{"default": item["default"]} for item in doc["spec"].pop("rules")]
    rules = rules_for(docs, dp="edge-gw.demo")
    assert inbound_conf(rules, 8080, "10.0.0.9") == timeout("2s")


def test_outbound_entry_order_ignores_the_gateway_tag_count() -> None:
    rules = rules_for(gateway_docs("to"), dp="edge-gw.demo")
    assert resource_conf(rules, "default") == timeout("2s")


# --------------------------------------------------------------------------------------
# §4.2 outbound entries: attributes, then to-kind, then MeshService section, then name


def outbound_docs(*policies: dict[str, Any]) -> list[dict[str, Any]]:
    return [mesh_doc(), web_1(), mesh_service("backend", "backend"), *policies]


def test_to_kind_beats_name() -> None:
    docs = outbound_docs(
        policy("MeshTimeout", "a", {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("9s"))]}),
        policy(
            "MeshTimeout",
            "b",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_(
                        {"kind": "MeshService", "name": "backend", "namespace": "backend"},
                        timeout("1s"),
                    )
                ],
            },
        ),
    )
    rules = rules_for(docs)
    assert resource_conf(rules, "backend.backend") == timeout("1s")
    assert resource_conf(rules, "default") == timeout("9s")


def test_section_entry_after_service_wide_entry() -> None:
    docs = outbound_docs(
        policy(
            "MeshTimeout",
            "a",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_(
                        {"kind": "MeshService", "name": "backend", "namespace": "backend"},
                        timeout("2s"),
                    )
                ],
            },
        ),
        policy(
            "MeshTimeout",
            "b",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_(
                        {
                            "kind": "MeshService",
                            "name": "backend",
                            "namespace": "backend",
                            "sectionName": "http",
                        },
                        timeout("1s"),
                    )
                ],
            },
        ),
    )
    rules = rules_for(docs)
    assert resource_conf(rules, "backend.backend", "http") == timeout("1s")
    assert resource_conf(rules, "backend.backend") == timeout("2s")


# TV14 — top-level beats destination in per-resource rules

TV14_A = {
    "to": [
        to_(
            {"kind": "MeshService", "name": "backend", "namespace": "backend"},
            request_timeout("1s"),
        )
    ]
}
TV14_B = {"to": [to_(MESH_REF, request_timeout("9s"))]}


@pytest.mark.parametrize(
    ("b_top", "expected"),
    [
        pytest.param(
            {"kind": "Dataplane", "labels": {"app": "web"}}, "9s", id="dataplane-top-level-wins"
        ),
        pytest.param(MESH_REF, "1s", id="same-top-level-to-kind-decides"),
    ],
)
def test_tv14_top_level_beats_destination(b_top: dict[str, Any], expected: str) -> None:
    # Names chosen against the name order: "zzz" (A) would lose to "aaa" (B) on names alone.
    docs = outbound_docs(
        policy("MeshTimeout", "zzz", {"targetRef": MESH_REF, **TV14_A}),
        policy("MeshTimeout", "aaa", {"targetRef": b_top, **TV14_B}),
    )
    assert resource_conf(rules_for(docs), "backend.backend") == request_timeout(expected)


# TV15 — legacy tag rules vs per-resource rules (Universal zone: no namespaces)


def tv15_docs() -> list[dict[str, Any]]:
    zone = {"kuma.io/origin": "zone", "kuma.io/zone": "zone-1"}
    backend = {
        "type": "MeshService",
        "mesh": "default",
        "name": "backend",
        "labels": zone,
        "spec": {"ports": [{"port": 80}]},
    }
    dp = dataplane_doc("web-1", zone, [{"port": 8080, "tags": {"kuma.io/service": "web"}}])
    return [
        mesh_doc(),
        dp,
        backend,
        universal_policy(
            "MeshTimeout",
            "aaa",
            {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("1s"))]},
            zone,
        ),
        universal_policy(
            "MeshTimeout",
            "bbb",
            {
                "targetRef": MESH_REF,
                "to": [to_({"kind": "MeshService", "name": "backend"}, timeout("2s"))],
            },
            zone,
        ),
    ]


def test_tv15_per_resource_rule_y_wins() -> None:
    assert resource_conf(rules_for(tv15_docs(), dp="web-1"), "backend") == timeout("2s")


def test_tv15_legacy_tag_rule_x_wins() -> None:
    rules = rules_for(tv15_docs(), dp="web-1")
    assert [p.resource.name for p in rules.matched] == ["bbb", "aaa"]
    by_subset = {tuple((t.key, t.value, t.not_) for t in r.subset): r.conf for r in rules.to_rules}
    assert by_subset[(("kuma.io/service", "backend", False),)] == timeout("1s")
    assert by_subset[()] == timeout("1s")


def test_tv5_on_a_global_cp_loaded_from_kubernetes_form() -> None:
    zone_copy_labels = {
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "k8s.kuma.io/namespace": "kuma-system",
        "kuma.io/policy-role": "system",
    }
    docs = [
        web_1(),
        k8s_policy("MeshTimeout", "aaa", "kuma-system", {"targetRef": MESH_REF}),
        k8s_policy(
            "MeshTimeout",
            "zzz-1a2b3c4d5e6f7a8b",
            "kuma-system",
            {"targetRef": MESH_REF},
            labels=zone_copy_labels,
            annotations={"kuma.io/display-name": "zzz"},
        ),
    ]
    idx = index(yaml_text(*docs), cp_mode="global")
    assert "kuma.io/origin" not in idx.policies_of("MeshTimeout")[0].labels
    assert matched(idx) == ["aaa", "zzz"]


@pytest.mark.parametrize("seed", range(20))
def test_many_policies_with_full_ties_sort_exactly_as_go_with_the_full_comparator(
    seed: int,
) -> None:
    """Over 12 policies with a full tie, Go's pdqsort order is reproduced; the keyed
    comparator used for speed must give the order the plain comparator gives."""
    from meshtui.engine.gosort import go_sort

    rng = random.Random(seed)
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("Mesh", {}),
        ("MeshSubset", {"tags": {"app": "web"}}),
        ("MeshService", {"name": "w"}),
        ("Dataplane", {"labels": {"app": "web"}}),
        ("Dataplane", {"name": "web-1"}),
        ("MeshGateway", {"name": "gw", "tags": {"l": "1"}}),
        ("MeshGateway", {"name": "gw"}),
    ]
    policies = []
    for i in range(rng.randint(13, 60)):
        kind, ref = rng.choice(kinds)
        policies.append(
            make_policy(
                rng.choice(["a", "b", "c"]),  # few names: many full ties
                kind,
                origin=rng.choice([None, "zone", "global"]),
                role=rng.choice([None, "system", "producer", "consumer", "workload-owner"]),
                store_name=f"p{i}.ns-{i}",
                **ref,
            )
        )
    expected = go_sort(policies, compare_policies)
    assert [id(p) for p in sort_policies(policies)] == [id(p) for p in expected]


@pytest.mark.parametrize("seed", range(20))
def test_merge_ranks_of_a_type_sort_any_subset_as_sort_policies_does(seed: int) -> None:
    """Merge order is computed once per type and restricted to each proxy's matched set."""
    from meshtui.engine.ordering import MergeRanks, full_ties

    rng = random.Random(seed)
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("Mesh", {}),
        ("MeshSubset", {"tags": {"app": "web"}}),
        ("MeshService", {"name": "w"}),
        ("Dataplane", {"labels": {"app": "web"}}),
        ("Dataplane", {"name": "web-1", "section_name": "http"}),
    ]
    everything = []
    for i in range(rng.randint(5, 40)):
        kind, ref = rng.choice(kinds)
        everything.append(
            make_policy(
                rng.choice(["a", "b", "c", "d"]),
                kind,
                origin=rng.choice([None, "zone", "global"]),
                role=rng.choice([None, "system", "producer", "consumer"]),
                store_name=f"p{i:02}.ns",
                **ref,
            )
        )
    ranks = MergeRanks.of(everything)
    assert ranks is not None
    for _ in range(10):
        positions = [i for i in range(len(everything)) if rng.random() < 0.6]  # store order
        expected = sort_policies([everything[i] for i in positions])
        order, ties = ranks.sort(positions)
        assert [id(everything[i]) for i in order] == [id(p) for p in expected]
        assert [(id(everything[a]), id(everything[b])) for a, b in ties] == [
            (id(a), id(b)) for a, b in full_ties(expected)
        ]
