"""Property tests over generated meshes: determinism, shortcut equivalence, output shape.

Meshes are generated in Universal form with the labels a control plane would have
computed (namespace, zone, origin, role) drawn at random, so every code path of
matching, ordering and rule building is reachable.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshtui.engine.evaluation import MeshEvaluation, candidate_dataplanes
from meshtui.engine.index import build_index
from meshtui.engine.inspect import policy_matches, rules_body, to_json
from meshtui.engine.matching import select_gateway
from meshtui.engine.rules import type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.model import Resource, SourceRef
from meshtui.parse import ContextOptions, parse_documents
from meshtui.raw import RawDocument
from tests.versions import V2_10

NAMESPACES = ("a", "b", "kuma-system")
ZONES = ("z1", "z2")
APPS = ("web", "api", "db")
ROLES = ("system", "producer", "consumer", "workload-owner")
DURATIONS = ("1s", "5s", "90s", "500ms")


def _maybe(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def labels_st(draw: st.DrawFn) -> dict[str, str]:
    """Policy labels: each computed label present or not, independently and often."""
    drawn = {
        "k8s.kuma.io/namespace": draw(_maybe(NAMESPACES)),
        "kuma.io/zone": draw(_maybe(ZONES)),
        "kuma.io/origin": draw(_maybe(("zone", "zone", "global"))),
        "kuma.io/policy-role": draw(_maybe(ROLES)),
        "kuma.io/effect": "shadow" if draw(st.integers(0, 9)) == 0 else None,
    }
    return {k: v for k, v in drawn.items() if v is not None}


@st.composite
def dataplanes(draw: st.DrawFn, i: int) -> dict[str, Any]:
    app = draw(st.sampled_from(APPS))
    namespace = draw(st.sampled_from(NAMESPACES[:2]))
    inbounds = []
    for port in draw(
        st.lists(st.sampled_from((8080, 9090, 5000)), min_size=0, max_size=2, unique=True)
    ):
        tags = {"kuma.io/service": f"{app}_{namespace}_svc_{port}", "app": app}
        if draw(st.booleans()):
            tags["version"] = draw(st.sampled_from(("v1", "v2")))
        inbound: dict[str, Any] = {"port": port, "tags": tags}
        if draw(st.booleans()):
            inbound["name"] = draw(st.sampled_from(("http", "admin")))
        if draw(st.integers(0, 9)) == 0:
            inbound["state"] = "Ignored"
        inbounds.append(inbound)
    networking: dict[str, Any] = {"address": f"10.0.0.{i}", "inbound": inbounds}
    if not inbounds or draw(st.integers(0, 9)) == 0:
        networking["gateway"] = {"type": "DELEGATED", "tags": {"kuma.io/service": f"gw-{app}"}}
    return {
        "type": "Dataplane",
        "mesh": "m",
        "name": f"dp-{i}",
        "labels": {
            "app": app,
            "k8s.kuma.io/namespace": namespace,
            "kuma.io/zone": draw(st.sampled_from(ZONES)),
            "kuma.io/origin": "zone",
        },
        "networking": networking,
    }


top_refs = st.one_of(
    st.just({"kind": "Mesh"}),
    st.builds(lambda t: {"kind": "MeshSubset", "tags": {"app": t}}, st.sampled_from(APPS)),
    st.builds(
        lambda v: {"kind": "MeshSubset", "tags": {"version": v}}, st.sampled_from(("v1", "*"))
    ),
    st.builds(lambda a: {"kind": "Dataplane", "labels": {"app": a}}, st.sampled_from(APPS)),
    st.builds(lambda n: {"kind": "Dataplane", "name": n}, st.sampled_from(("dp-0", "dp-1"))),
    st.builds(lambda a: {"kind": "MeshService", "name": f"{a}_a_svc_8080"}, st.sampled_from(APPS)),
    st.just({"kind": "Mesh", "proxyTypes": ["Sidecar"]}),
)
to_refs = st.one_of(
    st.just({"kind": "Mesh"}),
    st.builds(lambda a: {"kind": "MeshService", "name": a}, st.sampled_from(APPS)),
    st.builds(lambda a: {"kind": "MeshService", "labels": {"app": a}}, st.sampled_from(APPS)),
    st.builds(lambda a: {"kind": "MeshService", "name": f"{a}_a_svc_8080"}, st.sampled_from(APPS)),
    st.builds(
        lambda a, s: {"kind": "MeshService", "name": a, "sectionName": s},
        st.sampled_from(APPS),
        st.sampled_from(("http", "8080")),
    ),
    st.builds(lambda t: {"kind": "MeshSubset", "tags": {"app": t}}, st.sampled_from(APPS)),
)
conf_st = st.fixed_dictionaries(
    {},
    optional={
        "idleTimeout": st.sampled_from(DURATIONS),
        "connectionTimeout": st.sampled_from(DURATIONS),
        "http": st.fixed_dictionaries({}, optional={"requestTimeout": st.sampled_from(DURATIONS)}),
    },
)


@st.composite
def timeouts(draw: st.DrawFn, i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"targetRef": draw(top_refs)}
    section = draw(st.sampled_from(("to", "from", "rules")))
    if section == "to":
        spec["to"] = draw(
            st.lists(
                st.builds(lambda r, c: {"targetRef": r, "default": c}, to_refs, conf_st),
                min_size=1,
                max_size=3,
            )
        )
    elif section == "from":
        spec["from"] = [{"targetRef": {"kind": "Mesh"}, "default": draw(conf_st)}]
    else:
        spec["rules"] = [{"default": draw(conf_st)}]
    return {
        "type": "MeshTimeout",
        "mesh": "m",
        "name": draw(st.sampled_from(("aa", "bb", "cc"))) + f"-{i}",
        "labels": draw(labels_st()),
        "spec": spec,
    }


@st.composite
def meshes(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [{"type": "Mesh", "name": "m"}]
    docs += [draw(dataplanes(i)) for i in range(draw(st.integers(1, 5)))]
    docs += [draw(timeouts(i)) for i in range(draw(st.integers(0, 8)))]
    for app in APPS:
        for namespace in NAMESPACES[:2]:
            docs.append(
                {
                    "type": "MeshService",
                    "mesh": "m",
                    "name": f"{app}-{namespace}",
                    "labels": {
                        "app": app,
                        "kuma.io/display-name": app,
                        "k8s.kuma.io/namespace": namespace,
                        "kuma.io/zone": "z1",
                    },
                    "spec": {"ports": [{"port": 8080, "name": "http"}, {"port": 5000}]},
                }
            )
    return docs


def _resources(docs: list[dict[str, Any]]) -> tuple[Resource, ...]:
    raw = [RawDocument(SourceRef("gen.yaml", i + 1), d) for i, d in enumerate(docs)]
    return parse_documents(raw, ContextOptions(version=V2_10)).resources


def _bodies(resources: tuple[Resource, ...]) -> dict[str, str]:
    index = build_index(resources, "m", version=V2_10)
    evaluation = MeshEvaluation(index)
    return {name: to_json(evaluation.rules_body(name)) for name in sorted(index.dataplanes)}


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(meshes(), st.randoms())
def test_input_order_never_changes_the_output(
    docs: list[dict[str, Any]], rnd: random.Random
) -> None:
    expected = _bodies(_resources(docs))
    shuffled = docs[:]
    rnd.shuffle(shuffled)
    assert _bodies(_resources(shuffled)) == expected


@SETTINGS
@given(meshes())
def test_fast_path_equals_evaluating_every_candidate(docs: list[dict[str, Any]]) -> None:
    index = build_index(_resources(docs), "m", version=V2_10)
    evaluation = MeshEvaluation(index)
    for name, dp in sorted(index.dataplanes.items()):
        gateway = select_gateway(index, dp)
        plain = [type_rules(index, dp, kind, gateway=gateway, fast=False) for kind in POLICY_KINDS]
        assert evaluation.rules_body(name) == rules_body(index, dp, computed=plain)


@SETTINGS
@given(meshes())
def test_indexed_affected_dataplanes_equal_a_full_scan(docs: list[dict[str, Any]]) -> None:
    index = build_index(_resources(docs), "m", version=V2_10)
    evaluation = MeshEvaluation(index)
    for policy in index.all_policies():
        scan = tuple(
            sorted(n for n, dp in index.dataplanes.items() if policy_matches(policy, dp, index))
        )
        assert evaluation.affected(policy) == scan
        assert MeshEvaluation(index).affected_count(policy) == len(scan)
        assert set(scan) <= {dp.resource.name for dp in candidate_dataplanes(index, policy)}


@SETTINGS
@given(meshes())
def test_output_is_json_of_the_documented_shape(docs: list[dict[str, Any]]) -> None:
    for text in _bodies(_resources(docs)).values():
        body = json.loads(text)
        assert set(body) == {"httpMatches", "resource", "rules"}
        assert set(body["resource"]) == {"labels", "mesh", "name", "type"}
        for block in body["rules"]:
            assert block["type"] in POLICY_KINDS
            assert {"fromRules", "inboundRules", "toResourceRules", "toRules", "warnings"} <= set(
                block
            )
            assert set(block) <= {
                "fromRules",
                "inboundRules",
                "toResourceRules",
                "toRules",
                "warnings",
                "type",
                "proxyRule",
            }
            for rule in block["toResourceRules"]:
                assert set(rule) == {"conf", "origin", "resourceMeta", "resourceSectionName"}
                assert isinstance(rule["conf"], list)
                assert all(set(o) == {"resourceMeta", "ruleIndex"} for o in rule["origin"])
            for entry in block["inboundRules"] + block["fromRules"]:
                assert set(entry["inbound"]) <= {"name", "port", "tags"}
            for rule in block["toRules"]:
                assert set(rule) == {"conf", "matchers", "origin"}
                assert all(set(m) == {"key", "not", "value"} for m in rule["matchers"])
