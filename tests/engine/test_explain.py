"""Field blame, merge order in words, and why (not) (`engine.explain`).

Inputs are Universal resources (labels as written). Expected values follow the merge
rules of spec kuma-rules.md §3 and the comparator of kuma-matching.md §4.1.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshtui.engine.explain import (
    Contribution,
    blame,
    explain_dataplane,
    explain_legacy_from,
    explain_legacy_to,
    order_step,
    replay,
    why_not,
)
from meshtui.engine.index import build_index
from meshtui.engine.merging import merge_confs
from meshtui.engine.rules import conf_type
from meshtui.model import MESH_REF, Policy, Resource
from meshtui.versions import KumaVersion
from tests.engine.rules_support import (
    WEB,
    dataplane,
    external_service,
    load,
    mesh,
    policy,
    service,
    svc_ref,
    to_item,
)
from tests.versions import V2_10, V2_14

MT = "MeshTimeout"
MESH = {"kind": "Mesh"}


def fake_policy(name: str, **labels: str) -> Policy:
    resource = Resource(type=MT, mesh="m", name=name, labels=labels)
    return Policy(resource=resource, target_ref=MESH_REF)


def contributions(*confs: Any, kind: str = MT) -> list[Contribution]:
    return [Contribution(fake_policy(f"p{i}"), f"to[{i}]", conf) for i, conf in enumerate(confs)]


def fields_by_path(merged: Any, confs: list[Contribution], kind: str = MT) -> dict[str, Any]:
    out = {}
    for f in blame(merged, confs, conf_type(kind)):
        key = ".".join(str(p) for p in f.path)
        out[key] = (
            f.value,
            f.winner.policy.resource.name if f.winner else None,
            [(s.policy.resource.name, s.value) for s in f.overridden],
        )
    return out


def test_scalars_and_nested_fields_are_won_by_the_last_setter() -> None:
    confs = contributions(
        {"idleTimeout": "1s", "http": {"requestTimeout": "1s"}},
        {"connectionTimeout": "2s"},
        {"http": {"requestTimeout": "3s", "streamIdleTimeout": "4s"}},
    )
    [merged] = merge_confs([c.conf for c in confs], conf_type(MT))
    assert fields_by_path(merged, confs) == {
        "connectionTimeout": ("2s", "p1", []),
        "idleTimeout": ("1s", "p0", []),
        "http.requestTimeout": ("3s", "p2", [("p0", "1s")]),
        "http.streamIdleTimeout": ("4s", "p2", []),
    }


def test_append_lists_attribute_each_item() -> None:
    kind = "MeshProxyPatch"
    first = {"appendModifications": [{"cluster": {"operation": "Remove"}}]}
    second = {
        "appendModifications": [
            {"listener": {"operation": "Remove"}},
            {"networkFilter": {"operation": "Remove"}},
        ]
    }
    confs = contributions(first, second, kind=kind)
    [merged] = merge_confs([c.conf for c in confs], conf_type(kind))
    owners = [
        (f.path, f.winner.policy.resource.name if f.winner else None, f.appended)
        for f in blame(merged, confs, conf_type(kind))
    ]
    assert [o[1] for o in owners] == ["p0", "p1", "p1"]
    assert all(o[2] for o in owners)
    assert [o[0] for o in owners] == [("appendModifications", i) for i in range(3)]


def test_mesh_http_route_rules_are_blamed_per_matches() -> None:
    kind = "MeshHTTPRoute"
    match = [{"path": {"type": "PathPrefix", "value": "/v1"}}]
    low = {"rules": [{"matches": match, "default": {"backendRefs": [svc_ref("a")]}}]}
    high = {
        "rules": [
            {
                "matches": match,
                "default": {
                    "filters": [
                        {"type": "RequestMirror", "requestMirror": {"backendRef": svc_ref("m")}}
                    ]
                },
            }
        ]
    }
    confs = contributions(low, high, kind=kind)
    [merged] = merge_confs([c.conf for c in confs], conf_type(kind))
    by_path = fields_by_path(merged, confs, kind)
    assert by_path["rules.0.matches"][1] == "p0"
    assert by_path["rules.0.default.backendRefs"][1] == "p0"
    assert by_path["rules.0.default.filters"][1] == "p1"
    assert replay(blame(merged, confs, conf_type(kind))) == merged


DURATIONS = st.sampled_from(["1s", "2s", "5m", "1h", "0s"])
TIMEOUT_CONFS = st.fixed_dictionaries(
    {},
    optional={
        "connectionTimeout": DURATIONS,
        "idleTimeout": st.one_of(DURATIONS, st.none()),
        "http": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "requestTimeout": st.one_of(DURATIONS, st.none()),
                    "maxStreamDuration": DURATIONS,
                },
            ),
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(TIMEOUT_CONFS, min_size=1, max_size=5))
def test_replaying_the_blamed_values_gives_the_merged_conf(confs: list[Any]) -> None:
    entries = contributions(*confs)
    [merged] = merge_confs(confs, conf_type(MT))
    fields = blame(merged, entries, conf_type(MT))
    assert replay(fields) == merged
    for f in fields:
        assert f.winner is not None


PROFILES = st.lists(st.sampled_from(["All", "Basic", "None"]), max_size=2)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "sidecar": st.fixed_dictionaries(
                    {},
                    optional={
                        "profiles": st.fixed_dictionaries(
                            {},
                            optional={
                                "appendProfiles": st.lists(
                                    st.fixed_dictionaries(
                                        {"name": st.sampled_from(["All", "Basic", "None"])}
                                    ),
                                    max_size=2,
                                )
                            },
                        ),
                        "includeUnused": st.booleans(),
                    },
                )
            },
        ),
        min_size=1,
        max_size=4,
    )
)
def test_replay_holds_for_append_lists_too(confs: list[Any]) -> None:
    kind = "MeshMetric"
    entries = contributions(*confs, kind=kind)
    [merged] = merge_confs(confs, conf_type(kind))
    assert replay(blame(merged, entries, conf_type(kind))) == merged


# -- whole proxies ---------------------------------------------------------------------


SEED_LIKE = [
    mesh(),
    dataplane(inbounds=[WEB], labels={"k8s.kuma.io/namespace": "client"}),
    service(
        "backend", labels={"k8s.kuma.io/namespace": "backend", "kuma.io/display-name": "backend"}
    ),
    policy(
        MT,
        "producer-timeout",
        {
            "targetRef": MESH,
            "to": [to_item(svc_ref("backend"), {"http": {"requestTimeout": "1s"}})],
        },
        labels={
            "k8s.kuma.io/namespace": "backend",
            "kuma.io/display-name": "producer-timeout",
            "kuma.io/policy-role": "producer",
        },
    ),
    policy(
        MT,
        "consumer-timeout",
        {
            "targetRef": MESH,
            "to": [
                to_item(
                    {"kind": "MeshService", "labels": {"kuma.io/display-name": "backend"}},
                    {"http": {"requestTimeout": "3s"}},
                )
            ],
        },
        labels={
            "k8s.kuma.io/namespace": "client",
            "kuma.io/display-name": "consumer-timeout",
            "kuma.io/policy-role": "consumer",
        },
    ),
]


def test_consumer_wins_request_timeout_over_producer_and_says_why() -> None:
    index = load(*SEED_LIKE, version=V2_14, allow_invalid=True)
    [outbound] = [
        r
        for r in explain_dataplane(index, index.dataplanes["dp-1"], MT)
        if r.where.startswith("outbound")
    ]
    [field] = outbound.fields
    assert field.path == ("http", "requestTimeout")
    assert field.value == "3s"
    assert field.winner is not None and field.winner.policy.resource.name == "consumer-timeout"
    assert [(s.policy.resource.name, s.value) for s in field.overridden] == [
        ("producer-timeout", "1s")
    ]
    [step] = outbound.order
    assert step.key == "role"
    assert "role consumer ranks above producer" in step.reason


def pol(name: str, ref: dict[str, Any] | None = None, /, **labels: str) -> Policy:
    from meshtui.engine.decode import target_ref

    resource = Resource(
        type=MT, mesh="m", name=name, labels={"kuma.io/display-name": name, **labels}
    )
    return Policy(
        resource=resource, target_ref=target_ref(ref or MESH, implicit_mesh=True) or MESH_REF
    )


def test_order_reason_names_each_sort_key() -> None:
    mesh_wide, subset = pol("a"), pol("b", {"kind": "MeshSubset", "tags": {"x": "y"}})
    assert order_step(mesh_wide, subset).key == "kind"
    by_labels = pol("a", {"kind": "Dataplane", "labels": {"app": "x"}})
    by_name = pol("b", {"kind": "Dataplane", "name": "dp"})
    assert order_step(by_labels, by_name).key == "dataplane-ref"
    assert (
        order_step(
            pol("a", **{"kuma.io/origin": "global"}), pol("b", **{"kuma.io/origin": "zone"})
        ).key
        == "origin"
    )
    gw_one = pol("a", {"kind": "MeshGateway", "name": "g", "tags": {"p": "1"}})
    gw_two = pol("b", {"kind": "MeshGateway", "name": "g", "tags": {"p": "1", "q": "2"}})
    assert order_step(gw_one, gw_two).key == "gateway-tags"
    producer = pol("a", **{"kuma.io/policy-role": "producer"})
    consumer = pol("b", **{"kuma.io/policy-role": "consumer"})
    assert order_step(producer, consumer).key == "role"
    named = order_step(pol("zeta"), pol("alpha"))
    assert named.key == "name" and "'alpha' (the smaller) is merged last" in named.reason
    tie = order_step(
        pol("same"),
        Policy(
            resource=Resource(
                type=MT, mesh="m", name="same.other", labels={"kuma.io/display-name": "same"}
            ),
            target_ref=MESH_REF,
        ),
    )
    assert tie.key == "tie" and "not stable" in tie.reason


def test_same_namespace_consumer_gets_its_own_sentence() -> None:
    producer = pol("p", **{"kuma.io/policy-role": "producer", "k8s.kuma.io/namespace": "ns"})
    consumer = pol("c", **{"kuma.io/policy-role": "consumer", "k8s.kuma.io/namespace": "ns"})
    assert "the producer's own namespace" in order_step(producer, consumer).reason


def test_why_not_gives_every_reason() -> None:
    docs = [
        mesh(),
        dataplane(
            inbounds=[WEB],
            labels={"k8s.kuma.io/namespace": "a", "kuma.io/zone": "z1", "kuma.io/origin": "zone"},
        ),
        policy(
            MT,
            "elsewhere",
            {
                "targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": "other"}},
                "rules": [{"default": {"idleTimeout": "1s"}}],
            },
            labels={
                "k8s.kuma.io/namespace": "b",
                "kuma.io/policy-role": "workload-owner",
                "kuma.io/zone": "z2",
                "kuma.io/origin": "zone",
                "kuma.io/effect": "shadow",
            },
        ),
    ]
    index = load(*docs, version=V2_14, allow_invalid=True)
    found = index.policies_of(MT, include_shadow=True)[0]
    why = why_not(index, found, index.dataplanes["dp-1"])
    assert not why.applies
    keys = [r.split(":")[0] for r in why.reasons]
    assert keys == ["shadow", "zone", "namespace", "targetRef"]
    assert "kuma.io/service=other" in why.reasons[-1]


def test_why_an_applying_policy_reaches_nothing_with_some_entries() -> None:
    docs = [
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend", (8080, "http")),
        external_service("ext"),
        policy(
            MT,
            "reach",
            {
                "targetRef": MESH,
                "to": [
                    to_item(svc_ref("backend", sectionName="grpc"), {"idleTimeout": "1s"}),
                    to_item(svc_ref("missing"), {"idleTimeout": "2s"}),
                    to_item(
                        {"kind": "MeshService", "labels": {"app": "none"}}, {"idleTimeout": "3s"}
                    ),
                    to_item(svc_ref("backend"), {"idleTimeout": "4s"}),
                ],
            },
        ),
    ]
    index = load(*docs, version=V2_10, allow_invalid=True)
    why = why_not(index, index.policies_of(MT)[0], index.dataplanes["dp-1"])
    assert why.applies
    reasons = {u.entry: u.reason for u in why.unreached}
    assert set(reasons) == {"to[0]", "to[1]", "to[2]"}
    assert "has no port 'grpc' (ports: http (8080))" in reasons["to[0]"]
    assert "no MeshService named missing" in reasons["to[1]"]
    assert "carries the labels app=none" in reasons["to[2]"]
    assert any(f.value == "4s" for _, f in why.wins)


@pytest.mark.parametrize("version", [V2_10, V2_14], ids=str)
@pytest.mark.parametrize("seed", range(12))
def test_every_rule_of_random_meshes_replays_from_its_blame(
    seed: int, version: KumaVersion
) -> None:
    from meshtui.parse import ContextOptions, parse_documents
    from meshtui.sources.files import parse_text
    from tests.engine.test_fast_path import _random_policies_mesh

    contents = parse_text(_random_policies_mesh(seed), "random.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=version))
    index = build_index(result.resources, "m", version=version)
    checked = 0
    for proxy in index.dataplanes.values():
        for rule in explain_dataplane(index, proxy, MT):
            assert replay(rule.fields) == (rule.conf or {}), (proxy.resource.name, rule.where)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("seed", range(6))
def test_one_legacy_rule_is_explained_as_in_the_whole_list(seed: int) -> None:
    from meshtui.engine.matching import select_gateway
    from meshtui.engine.rules import type_rules
    from meshtui.parse import ContextOptions, parse_documents
    from meshtui.sources.files import parse_text
    from tests.engine.test_fast_path import _random_policies_mesh

    contents = parse_text(_random_policies_mesh(seed), "random.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=V2_14))
    index = build_index(result.resources, "m", version=V2_14)
    checked = 0
    for proxy in index.dataplanes.values():
        rules = type_rules(index, proxy, MT, gateway=select_gateway(index, proxy))
        whole = explain_legacy_to(index, rules)
        assert [explain_legacy_to(index, rules, i)[0] for i in range(len(whole))] == whole
        checked += len(whole)
        for listener in rules.from_rules:
            whole = explain_legacy_from(index, rules, listener)
            one = [explain_legacy_from(index, rules, listener, i)[0] for i in range(len(whole))]
            assert one == whole
            checked += len(whole)
    assert checked > 0
