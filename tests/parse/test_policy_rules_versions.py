"""`support_problems` and `deprecations` per Kuma line: both sides of every switch.

Cases come from spec kuma-2.14.md §7 (support-matrix changes) and §1 M9 (deprecations),
on top of the 2.10.11 matrix of kuma-matching.md §5.3.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.parse.policy_rules import deprecations, support_problems
from meshtui.versions import KumaVersion

V = {line: KumaVersion.profile(line) for line in ("2.10", "2.11", "2.12", "2.13", "2.14")}
MESH: dict[str, Any] = {"kind": "Mesh"}
DP: dict[str, Any] = {"kind": "Dataplane", "labels": {"app": "web"}}
ROUTE: dict[str, Any] = {"kind": "MeshHTTPRoute", "name": "orders-route"}
MES: dict[str, Any] = {"kind": "MeshExternalService", "name": "httpbin"}


def problems(
    kind: str, spec: dict[str, Any], line: str, role: str = "consumer"
) -> list[tuple[str, str]]:
    return list(support_problems(kind, spec, role, V[line]))


def paths(kind: str, spec: dict[str, Any], line: str, role: str = "consumer") -> list[str]:
    return [path for path, _ in problems(kind, spec, line, role)]


def to(*refs: dict[str, Any], conf: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{"targetRef": ref, "default": conf or {}} for ref in refs]


# -- to: MeshHTTPRoute (2.11) and the MeshHTTPRoute targetRef fields ------------------------


@pytest.mark.parametrize("kind", ["MeshTimeout", "MeshRetry", "MeshAccessLog"])
def test_to_mesh_http_route_is_accepted_from_2_11(kind: str) -> None:
    spec = {"targetRef": MESH, "to": to(ROUTE)}
    assert problems(kind, spec, "2.10") == [
        ("spec.to[0].targetRef.kind", f"{kind} does not support MeshHTTPRoute in to[] here")
    ]
    assert problems(kind, spec, "2.11") == []
    assert problems(kind, {"targetRef": MESH, "to": to({"kind": "MeshHTTPRoute"})}, "2.11") == [
        ("spec.to[0].targetRef.name", "name or labels is required with kind MeshHTTPRoute")
    ]


@pytest.mark.parametrize("kind", ["MeshCircuitBreaker", "MeshHealthCheck", "MeshHTTPRoute"])
def test_to_mesh_http_route_stays_refused_elsewhere(kind: str) -> None:
    assert paths(kind, {"targetRef": MESH, "to": to(ROUTE)}, "2.14") == [
        "spec.to[0].targetRef.kind"
    ]


def test_a_route_ref_by_labels_is_accepted_but_not_with_a_name() -> None:
    by_labels = {"kind": "MeshHTTPRoute", "labels": {"app": "orders"}}
    assert problems("MeshTimeout", {"targetRef": MESH, "to": to(by_labels)}, "2.14") == []
    both = {**by_labels, "name": "x"}
    assert problems("MeshTimeout", {"targetRef": MESH, "to": to(both)}, "2.14") == [
        ("spec.to[0].targetRef.labels", "labels cannot be combined with name or namespace")
    ]


def test_a_route_ref_loses_section_name_in_2_11() -> None:
    top = {"kind": "MeshHTTPRoute", "name": "r", "sectionName": "rule-1"}
    spec = {"targetRef": top, "to": to(MESH)}
    assert problems("MeshTimeout", spec, "2.10", role="system") == []
    assert problems("MeshTimeout", spec, "2.11", role="system") == [
        ("spec.targetRef.sectionName", "sectionName is not allowed with kind MeshHTTPRoute")
    ]
    item = {**ROUTE, "sectionName": "x"}
    assert paths("MeshRetry", {"targetRef": MESH, "to": to(item)}, "2.14") == [
        "spec.to[0].targetRef.sectionName"
    ]


# -- MeshTrafficPermission rules (2.12) ----------------------------------------------------

ALLOW_B = {"allow": [{"spiffeID": {"type": "Exact", "value": "spiffe://default/ns/a/sa/b"}}]}


def test_traffic_permission_rules_arrive_in_2_12() -> None:
    spec = {"targetRef": DP, "rules": [{"default": ALLOW_B}]}
    assert problems("MeshTrafficPermission", spec, "2.11") == [
        ("spec.rules", "MeshTrafficPermission does not support rules with this top-level targetRef")
    ]
    assert problems("MeshTrafficPermission", spec, "2.12") == []
    # before 2.12 the section is refused as a whole, its items are not checked
    empty_rule = {"targetRef": DP, "rules": [{"default": {}}]}
    assert paths("MeshTrafficPermission", empty_rule, "2.11") == ["spec.rules"]


def test_traffic_permission_from_xor_rules() -> None:
    from_ = [{"targetRef": MESH, "default": {"action": "Allow"}}]
    both = {"targetRef": MESH, "from": from_, "rules": [{"default": ALLOW_B}]}
    assert problems("MeshTrafficPermission", both, "2.12") == [
        ("spec.rules", "rules cannot be combined with from")
    ]
    neither: dict[str, Any] = {"targetRef": MESH}
    assert problems("MeshTrafficPermission", neither, "2.12") == [
        ("spec.rules", "needs at least one item (or from)")
    ]
    assert problems("MeshTrafficPermission", neither, "2.11") == []
    assert problems("MeshTrafficPermission", {"targetRef": MESH, "from": from_}, "2.14") == []


@pytest.mark.parametrize("default", [{}, {"allow": []}, {"deny": None, "allow": []}])
def test_a_traffic_permission_rule_needs_a_non_empty_list(default: dict[str, Any]) -> None:
    spec = {"targetRef": MESH, "rules": [{"default": ALLOW_B}, {"default": default}]}
    assert problems("MeshTrafficPermission", spec, "2.12") == [
        ("spec.rules[1].default", "must define at least one of deny, allowWithShadowDeny or allow")
    ]


def test_a_match_needs_spiffe_id_until_2_14_then_spiffe_id_or_sni() -> None:
    sni_only = {"deny": [{"sni": {"type": "Exact", "value": "a.mesh"}}, {}]}
    spec = {"targetRef": MESH, "rules": [{"default": sni_only}]}
    assert problems("MeshTrafficPermission", spec, "2.13") == [
        ("spec.rules[0].default.deny[0]", "must define spiffeID"),
        ("spec.rules[0].default.deny[1]", "must define spiffeID"),
    ]
    assert problems("MeshTrafficPermission", spec, "2.14") == [
        ("spec.rules[0].default.deny[1]", "must define spiffeID or sni")
    ]


# -- MeshFaultInjection rules (2.13) -------------------------------------------------------

FAULT = {"http": [{"abort": {"httpStatus": 503, "percentage": 10}}]}


def test_fault_injection_rules_arrive_in_2_13() -> None:
    spec = {"targetRef": DP, "rules": [{"default": FAULT}]}
    assert paths("MeshFaultInjection", spec, "2.12") == ["spec.rules"]
    assert problems("MeshFaultInjection", spec, "2.13") == []
    matched = {"targetRef": DP, "rules": [{"matches": [{}], "default": FAULT}]}
    assert problems("MeshFaultInjection", matched, "2.13") == [
        ("spec.rules[0].matches[0]", "must define spiffeID")
    ]


def test_fault_injection_from_xor_rules_from_2_13() -> None:
    from_ = [{"targetRef": MESH, "default": FAULT}]
    spec = {"targetRef": DP, "from": from_, "rules": [{"default": FAULT}]}
    assert problems("MeshFaultInjection", spec, "2.13") == [
        ("spec.rules", "rules cannot be combined with from")
    ]
    assert problems("MeshFaultInjection", {"targetRef": DP, "from": from_}, "2.13") == []
    # unlike MeshTrafficPermission, neither section is fine
    assert problems("MeshFaultInjection", {"targetRef": DP}, "2.14") == []


# -- rules[].matches of MeshTimeout, MeshAccessLog, MeshRateLimit (2.14) --------------------

BY_SPIFFE = [{"spiffeID": {"type": "Prefix", "value": "spiffe://default/"}}]
BY_SNI = [{"sni": {"type": "Exact", "value": "web.mesh"}}]


@pytest.mark.parametrize("kind", ["MeshTimeout", "MeshAccessLog", "MeshRateLimit"])
def test_a_rule_match_needs_spiffe_id_or_sni_from_2_14(kind: str) -> None:
    spec = {"targetRef": DP, "rules": [{"matches": [*BY_SNI, {}], "default": {}}]}
    assert problems(kind, spec, "2.13") == []  # no `matches` field before 2.14
    assert problems(kind, spec, "2.14") == [
        ("spec.rules[0].matches[1]", "must define spiffeID or sni")
    ]


@pytest.mark.parametrize(
    "field",
    [
        {"connectionTimeout": "1s"},
        {"idleTimeout": "1s"},
        {"http": {"requestHeadersTimeout": "1s"}},
        {"http": {"maxStreamDuration": "1s"}},
        {"http": {"maxConnectionDuration": "1s"}},
    ],
)
def test_a_timeout_matching_by_spiffe_id_cannot_set_connection_timeouts(
    field: dict[str, Any],
) -> None:
    by_spiffe = {"targetRef": DP, "rules": [{"matches": BY_SPIFFE, "default": field}]}
    ((path, message),) = problems("MeshTimeout", by_spiffe, "2.14")
    assert path.startswith("spec.rules[0].default.")
    assert message == "cannot be set when a match selects clients by spiffeID"
    by_sni = {"targetRef": DP, "rules": [{"matches": BY_SNI, "default": field}]}
    assert problems("MeshTimeout", by_sni, "2.14") == []
    no_match = {"targetRef": DP, "rules": [{"default": field}]}
    assert problems("MeshTimeout", no_match, "2.14") == []


def test_a_timeout_matching_by_spiffe_id_keeps_request_timeouts() -> None:
    conf = {"http": {"requestTimeout": "2s", "streamIdleTimeout": "3s"}}
    spec = {"targetRef": DP, "rules": [{"matches": BY_SPIFFE, "default": conf}]}
    assert problems("MeshTimeout", spec, "2.14") == []


def test_a_rate_limit_matching_by_spiffe_id_cannot_limit_tcp() -> None:
    tcp = {"local": {"tcp": {"connectionRate": {"num": 1, "interval": "1s"}}}}
    http = {"local": {"http": {"requestRate": {"num": 1, "interval": "1s"}}}}
    spec = {
        "targetRef": DP,
        "rules": [
            {"matches": BY_SPIFFE, "default": http},
            {"matches": BY_SPIFFE, "default": tcp},
        ],
    }
    assert problems("MeshRateLimit", spec, "2.14") == [
        (
            "spec.rules[1].default.local.tcp",
            "cannot be set when a match selects clients by spiffeID",
        )
    ]
    assert problems("MeshRateLimit", spec, "2.13") == []


# -- empty `to` (2.14), MES for MCB/MHC (2.14), MLBS by route (2.12) ------------------------


@pytest.mark.parametrize("kind", ["MeshRetry", "MeshLoadBalancingStrategy"])
@pytest.mark.parametrize("spec", [{"targetRef": MESH}, {"targetRef": MESH, "to": []}])
def test_an_empty_to_is_accepted_from_2_14(kind: str, spec: dict[str, Any]) -> None:
    assert problems(kind, spec, "2.13") == [("spec.to", "needs at least one item")]
    assert problems(kind, spec, "2.14") == []


@pytest.mark.parametrize("kind", ["MeshCircuitBreaker", "MeshHealthCheck"])
@pytest.mark.parametrize("top", [MESH, DP])
def test_to_mesh_external_service_from_2_14(kind: str, top: dict[str, Any]) -> None:
    spec = {"targetRef": top, "to": to(MES)}
    assert paths(kind, spec, "2.13") == ["spec.to[0].targetRef.kind"]
    assert problems(kind, spec, "2.14") == []
    with_section = {"targetRef": top, "to": to({**MES, "sectionName": "x"})}
    assert paths(kind, with_section, "2.14") == ["spec.to[0].targetRef.sectionName"]


def test_load_balancing_by_route_sets_only_hash_policies_from_2_12() -> None:
    hashing = {"hashPolicies": [{"type": "Header", "header": {"name": "x-user"}}]}
    spec = {"targetRef": MESH, "to": to(ROUTE, conf=hashing)}
    assert paths("MeshLoadBalancingStrategy", spec, "2.11") == ["spec.to[0].targetRef.kind"]
    assert problems("MeshLoadBalancingStrategy", spec, "2.12") == []
    both = {**hashing, "loadBalancer": {"type": "RingHash"}, "localityAwareness": None}
    spec = {"targetRef": MESH, "to": to(ROUTE, conf=both)}
    assert problems("MeshLoadBalancingStrategy", spec, "2.12") == [
        (
            "spec.to[0].default.loadBalancer",
            "only hashPolicies can be set for a to[] item targeting a MeshHTTPRoute",
        )
    ]
    # other targets keep every field
    spec = {"targetRef": MESH, "to": to(MESH, conf=both)}
    assert problems("MeshLoadBalancingStrategy", spec, "2.12") == []


# -- deprecations (M9) ---------------------------------------------------------------------


def deprecated(kind: str, spec: dict[str, Any], line: str) -> list[tuple[str, str]]:
    return list(deprecations(kind, spec, V[line]))


SUBSET_TEXT = "{} value for 'targetRef.kind' is deprecated, use Dataplane with labels instead"


@pytest.mark.parametrize(
    "top",
    [
        {"kind": "MeshService", "name": "web"},
        {"kind": "MeshServiceSubset", "name": "web", "tags": {"v": "1"}},
        {"kind": "MeshSubset", "tags": {"v": "1"}},
    ],
)
def test_top_level_subset_kinds_are_deprecated_from_2_11(top: dict[str, Any]) -> None:
    spec = {"targetRef": top, "to": to(MESH)}
    assert deprecated("MeshTimeout", spec, "2.10") == []
    for line in ("2.11", "2.12"):  # the text says MeshSubset whatever the kind
        assert deprecated("MeshTimeout", spec, line) == [
            ("spec.targetRef.kind", SUBSET_TEXT.format("MeshSubset"))
        ]
    for line in ("2.13", "2.14"):
        assert deprecated("MeshTimeout", spec, line) == [
            ("spec.targetRef.kind", SUBSET_TEXT.format(top["kind"]))
        ]


def test_a_top_level_route_is_deprecated_from_2_13() -> None:
    spec = {"targetRef": ROUTE, "to": to(MESH)}
    assert deprecated("MeshTimeout", spec, "2.12") == []
    ((path, message),) = deprecated("MeshTimeout", spec, "2.13")
    assert path == "spec.targetRef.kind" and message.startswith("MeshHTTPRoute value for")


@pytest.mark.parametrize("kind", ["MeshTrafficPermission", "MeshFaultInjection"])
def test_from_is_deprecated_for_permissions_and_faults_in_2_14(kind: str) -> None:
    spec = {"targetRef": MESH, "from": [{"targetRef": MESH, "default": {}}]}
    assert deprecated(kind, spec, "2.13") == []
    assert deprecated(kind, spec, "2.14") == [
        ("spec.from", "'from' field is deprecated, use 'rules' instead")
    ]


def test_no_deprecation_for_mesh_and_dataplane_targets() -> None:
    for top in (MESH, DP):
        spec = {"targetRef": top, "to": to(MESH)}
        assert deprecated("MeshTimeout", spec, "2.14") == []
    assert deprecated("NotAPolicy", {"targetRef": {"kind": "MeshSubset"}}, "2.14") == []
