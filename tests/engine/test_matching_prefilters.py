"""Zone and namespace pre-filters (§3.2), TV6 and TV8 of `kuma-matching.md` (Kuma 2.10.11).

The proxy is the §9 Dataplane `web-1` (namespace `demo`, zone `zone-1`, origin `zone`).
Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.inspect import affected_dataplanes_body
from tests.engine.matching_support import (
    ABSENT,
    MESH_REF,
    dataplane_doc,
    index,
    k8s_policy,
    matched,
    mesh_doc,
    policy,
    selection,
    sidecar,
    to_,
    universal_policy,
    web_1,
    yaml_text,
)

TO_MESH: dict[str, Any] = {"targetRef": MESH_REF, "to": [to_(MESH_REF, {"idleTimeout": "1s"})]}
PRODUCER_SPEC: dict[str, Any] = {
    "targetRef": MESH_REF,
    "to": [to_({"kind": "MeshService", "name": "backend"}, {"idleTimeout": "1s"})],
}


def selected(docs: list[dict[str, Any]], name: str = "p") -> bool:
    return selection(docs, name).matched


# --------------------------------------------------------------------------------------
# zone filter


ZONE_FILTER = [
    # (policy labels, proxy label overrides, selected)
    pytest.param(
        {"role": "producer", "ns": "backend", "zone": "zone-2"},
        {},
        True,
        id="producer-from-other-zone",
    ),
    pytest.param({"zone": "zone-2"}, {"kuma.io/origin": ABSENT}, True, id="proxy-origin-absent"),
    pytest.param({"zone": "zone-2"}, {"kuma.io/origin": "global"}, True, id="proxy-origin-global"),
    pytest.param(
        {"zone": "zone-2"}, {"kuma.io/origin": ""}, False, id="proxy-origin-empty-is-present"
    ),
    pytest.param(
        {"zone": "zone-1"}, {"kuma.io/origin": ""}, False, id="proxy-origin-empty-same-zone-policy"
    ),
    pytest.param({"zone": "zone-2"}, {"kuma.io/origin": "other"}, False, id="proxy-origin-unknown"),
    pytest.param({"origin": "global", "zone": ABSENT}, {}, True, id="global-policy"),
    pytest.param(
        {"origin": "global", "zone": "zone-2"}, {}, True, id="global-policy-with-zone-label"
    ),
    pytest.param({"origin": ABSENT, "zone": "zone-2"}, {}, True, id="policy-origin-absent"),
    pytest.param({"origin": "zone", "zone": ABSENT}, {}, True, id="zone-policy-without-zone-label"),
    pytest.param({"zone": "zone-1"}, {}, True, id="same-zone"),
    pytest.param({"zone": "zone-2"}, {}, False, id="other-zone-system"),
    pytest.param({"zone": "zone-2"}, {"kuma.io/zone": ABSENT}, True, id="proxy-zone-label-absent"),
    pytest.param(
        {"zone": "zone-2", "role": "consumer", "ns": "demo"}, {}, False, id="other-zone-consumer"
    ),
    pytest.param(
        {"zone": "zone-2", "role": "workload-owner", "ns": "demo"},
        {},
        False,
        id="other-zone-workload-owner",
    ),
]


@pytest.mark.parametrize(("policy_labels", "proxy_labels", "expected"), ZONE_FILTER)
def test_zone_filter(
    policy_labels: dict[str, Any], proxy_labels: dict[str, Any], expected: bool
) -> None:
    spec = PRODUCER_SPEC if policy_labels.get("role") == "producer" else TO_MESH
    docs = [web_1(**proxy_labels), policy("MeshTimeout", "p", spec, **policy_labels)]
    assert selected(docs) is expected


def test_zone_filter_reason_mentions_the_zone() -> None:
    docs = [web_1(), policy("MeshTimeout", "p", TO_MESH, zone="zone-2")]
    sel = selection(docs, "p")
    assert not sel.matched
    assert "zone-2" in sel.reason


# 2.10: for a built-in gateway the subject of the zone filter is the selected MeshGateway.

GATEWAY_DP = dataplane_doc(
    "edge-gw.demo",
    {
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/zone": "zone-1",
        "kuma.io/origin": "zone",
        "kuma.io/display-name": "edge-gw",
    },
    gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}},
    address="10.0.0.9",
)


def mesh_gateway(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "MeshGateway",
        "mesh": "default",
        "name": "edge",
        "labels": labels,
        "selectors": [{"match": {"kuma.io/service": "edge"}}],
        "conf": {"listeners": [{"port": 8080, "protocol": "HTTP"}]},
    }


@pytest.mark.parametrize(
    ("gateway_labels", "expected"),
    [
        pytest.param({"kuma.io/origin": "global"}, True, id="global-gateway"),
        pytest.param({}, True, id="gateway-without-origin"),
        pytest.param(
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-1"}, False, id="zone-1-gateway"
        ),
    ],
)
def test_zone_filter_subject_is_the_mesh_gateway(
    gateway_labels: dict[str, str], expected: bool
) -> None:
    docs = [
        GATEWAY_DP,
        mesh_gateway(gateway_labels),
        policy("MeshTimeout", "p", TO_MESH, zone="zone-2"),
    ]
    assert selection(docs, "p", dp="edge-gw.demo").matched is expected


# --------------------------------------------------------------------------------------
# namespace filter


NAMESPACE_FILTER = [
    # (policy role, policy namespace label, proxy namespace label, selected)
    pytest.param("consumer", "demo", "demo", True, id="consumer-same-namespace"),
    pytest.param("consumer", "backend", "demo", False, id="consumer-other-namespace"),
    pytest.param("workload-owner", "demo", "demo", True, id="workload-owner-same-namespace"),
    pytest.param("workload-owner", "backend", "demo", False, id="workload-owner-other-namespace"),
    pytest.param("consumer", ABSENT, "demo", False, id="consumer-without-namespace-label"),
    pytest.param(
        "consumer", ABSENT, ABSENT, False, id="consumer-without-label-proxy-without-label"
    ),
    pytest.param("workload-owner", ABSENT, ABSENT, False, id="workload-owner-without-label"),
    pytest.param("consumer", "", ABSENT, True, id="consumer-empty-label-proxy-without-label"),
    pytest.param("consumer", "demo", ABSENT, False, id="consumer-proxy-without-label"),
    pytest.param("system", "backend", "demo", True, id="system-not-scoped"),
    pytest.param("producer", "backend", "demo", True, id="producer-not-scoped"),
    pytest.param("Consumer", "backend", "demo", True, id="unknown-role-not-scoped"),
    pytest.param("", "backend", "demo", True, id="empty-role-reads-system"),
    pytest.param(ABSENT, "backend", "demo", True, id="absent-role-reads-system"),
]


@pytest.mark.parametrize(("role", "policy_ns", "proxy_ns", "expected"), NAMESPACE_FILTER)
def test_namespace_filter(
    role: object, policy_ns: object, proxy_ns: object, expected: bool
) -> None:
    spec = PRODUCER_SPEC if role == "producer" else TO_MESH
    proxy_labels: dict[str, Any] = {"k8s.kuma.io/namespace": proxy_ns}
    docs = [
        web_1(**proxy_labels),
        policy("MeshTimeout", "p", spec, ns=policy_ns, role=role, store_name="p"),
    ]
    assert selected(docs) is expected


def test_namespace_filter_reason_mentions_the_namespace() -> None:
    docs = [web_1(), policy("MeshTimeout", "p", TO_MESH, ns="backend", role="consumer")]
    sel = selection(docs, "p")
    assert not sel.matched
    assert "backend" in sel.reason


def test_policies_of_another_mesh_are_not_candidates() -> None:
    docs = [web_1(), policy("MeshTimeout", "p", TO_MESH, mesh="other")]
    assert matched(docs) == []


# --------------------------------------------------------------------------------------
# TV6 — namespace scoping depends on role

BE_1 = sidecar("be-1", "backend", "backend_backend_svc_80", 80, app="backend")
WEB_2_ZONE_2 = sidecar("web-2", "demo", "web_demo_svc_8080", zone="zone-2", app="web")


def affected(docs: list[dict[str, Any]], name: str) -> list[str]:
    idx = index([mesh_doc(), *docs])
    found = [p for p in idx.policies_of("MeshTimeout") if p.resource.display_name == name]
    assert len(found) == 1
    return [item["name"] for item in affected_dataplanes_body(idx, found[0])["items"]]


def test_tv6_producer_applies_in_every_namespace_and_zone() -> None:
    docs = [
        web_1(),
        BE_1,
        WEB_2_ZONE_2,
        policy("MeshTimeout", "p", PRODUCER_SPEC, ns="backend", role="producer"),
    ]
    assert affected(docs, "p") == ["be-1.backend", "web-1.demo", "web-2.demo"]


def test_tv6_consumer_applies_only_in_its_namespace() -> None:
    spec = {
        "targetRef": MESH_REF,
        "to": [
            to_(
                {"kind": "MeshService", "name": "backend", "namespace": "other"},
                {"idleTimeout": "1s"},
            )
        ],
    }
    docs = [
        web_1(),
        BE_1,
        WEB_2_ZONE_2,
        policy("MeshTimeout", "p", spec, ns="backend", role="consumer"),
    ]
    assert affected(docs, "p") == ["be-1.backend"]


@pytest.mark.parametrize("role", ["consumer", "workload-owner"])
def test_tv6_scoped_policy_without_namespace_label_matches_nothing(role: str) -> None:
    docs = [
        web_1(),
        BE_1,
        policy("MeshTimeout", "p", TO_MESH, ns=ABSENT, role=role, store_name="p"),
    ]
    assert affected(docs, "p") == []


@pytest.mark.parametrize(
    ("namespace_in_ref", "expected"),
    [
        pytest.param(None, ["be-1.backend", "web-1.demo"], id="producer"),
        pytest.param("other", ["be-1.backend"], id="consumer"),
    ],
)
def test_tv6_roles_computed_from_kubernetes_form(
    namespace_in_ref: str | None, expected: list[str]
) -> None:
    ref: dict[str, Any] = {"kind": "MeshService", "name": "backend"}
    if namespace_in_ref:
        ref["namespace"] = namespace_in_ref
    spec = {"targetRef": MESH_REF, "to": [to_(ref, {"idleTimeout": "1s"})]}
    docs = [web_1(), BE_1, k8s_policy("MeshTimeout", "p", "backend", spec)]
    idx = index(yaml_text(mesh_doc(), *docs))
    pol = idx.policies_of("MeshTimeout")[0]
    assert [i["name"] for i in affected_dataplanes_body(idx, pol)["items"]] == expected


# --------------------------------------------------------------------------------------
# TV8 — Universal roles (matching part; HEAD rejecting the label is HEAD only, not encoded)


def test_tv8_universal_policy_without_labels_is_system_and_not_namespace_scoped() -> None:
    docs = [web_1(), BE_1, universal_policy("MeshTimeout", "p", TO_MESH)]
    assert affected(docs, "p") == ["be-1.backend", "web-1.demo"]


def test_tv8_universal_hand_written_consumer_role_matches_no_proxy() -> None:
    docs = [
        web_1(),
        BE_1,
        universal_policy("MeshTimeout", "p", TO_MESH, {"kuma.io/policy-role": "consumer"}),
    ]
    assert affected(docs, "p") == []
