"""Policy roles per Kuma line (spec kuma-2.14.md §2 R1): since 2.11 a `to[]` item naming a
MeshHTTPRoute in the policy's namespace is a producer item, as one naming a MeshService is."""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.parse.labels import (
    ControlPlane,
    RoleError,
    compute_policy_role,
    computed_labels,
    role_explanation,
)
from meshtui.versions import DEFAULT, KumaVersion

V = {line: KumaVersion.profile(line) for line in ("2.10", "2.11", "2.14")}
NS, SYS = "web", "kuma-system"


def to(*refs: dict[str, Any]) -> dict[str, Any]:
    return {"to": [{"targetRef": ref, "default": {}} for ref in refs]}


def role(spec: dict[str, Any], line: str, namespace: str = NS) -> str:
    return compute_policy_role(spec, namespace, SYS, version=V[line])


ROUTE = {"kind": "MeshHTTPRoute", "name": "web-route"}
SERVICE = {"kind": "MeshService", "name": "web"}


@pytest.mark.parametrize(
    "ref",
    [ROUTE, {**ROUTE, "namespace": NS}],
    ids=["namespace omitted", "own namespace"],
)
def test_a_route_named_in_its_own_namespace_is_a_producer_item_from_2_11(
    ref: dict[str, Any],
) -> None:
    assert role(to(ref), "2.10") == "consumer"
    assert role(to(ref), "2.11") == "producer"
    assert role(to(ref), "2.14") == "producer"


@pytest.mark.parametrize(
    "ref",
    [
        {"kind": "MeshHTTPRoute", "labels": {"app": "web"}},
        {**ROUTE, "namespace": "other"},
        {"kind": "MeshHTTPRoute", "name": ""},
    ],
    ids=["by labels", "other namespace", "empty name"],
)
def test_other_route_items_are_consumer_items(ref: dict[str, Any]) -> None:
    for line in V:
        assert role(to(ref), line) == "consumer", line


def test_a_route_item_mixed_with_mesh_is_rejected_from_2_11() -> None:
    spec = to(ROUTE, {"kind": "Mesh"})
    assert role(spec, "2.10") == "consumer"
    with pytest.raises(RoleError, match="mix producer and consumer"):
        role(spec, "2.11")


def test_a_route_item_with_a_service_item_is_a_producer_from_2_11() -> None:
    spec = to(SERVICE, ROUTE)
    with pytest.raises(RoleError, match="mix producer and consumer"):
        role(spec, "2.10")
    assert role(spec, "2.11") == "producer"


def test_system_and_workload_owner_do_not_depend_on_the_line() -> None:
    for line in V:
        assert role(to(ROUTE), line, namespace=SYS) == "system"
        assert role(to(ROUTE), line, namespace="") == "system"
        assert role({"rules": [{"default": {}}]}, line) == "workload-owner"
        with pytest.raises(RoleError, match="mix 'to' and 'from'"):
            role({**to(ROUTE), "from": [{"targetRef": {"kind": "Mesh"}}]}, line)


def test_role_explanation_follows_the_line() -> None:
    spec = to(ROUTE)
    assert role_explanation(spec, NS, SYS, version=V["2.10"]) == (
        "to[] targets a MeshHTTPRoute, which only a consumer can configure"
    )
    assert role_explanation(spec, NS, SYS, version=V["2.11"]) == (
        "every to[] targets by name a MeshService or a MeshHTTPRoute in its own namespace web"
    )
    by_labels = to({"kind": "MeshHTTPRoute", "labels": {"a": "b"}})
    assert role_explanation(by_labels, NS, SYS, version=V["2.14"]) == (
        "to[] selects MeshHTTPRoutes by labels, which only a consumer can do"
    )


def test_role_explanation_of_2_10_is_unchanged_for_services() -> None:
    assert role_explanation(to(SERVICE), NS, SYS, version=V["2.10"]) == (
        "every to[] targets by name a MeshService in its own namespace web"
    )
    other = to({**SERVICE, "namespace": "x"})
    assert role_explanation(other, NS, SYS, version=V["2.10"]) == (
        "to[] targets a MeshService in another namespace (x)"
    )


def test_role_explanation_defaults_to_the_default_release() -> None:
    assert role_explanation(to(ROUTE), NS, SYS) == role_explanation(
        to(ROUTE), NS, SYS, version=DEFAULT
    )


def test_computed_labels_use_the_control_plane_release() -> None:
    def labels(line: str) -> dict[str, str]:
        return computed_labels(
            kind="MeshTimeout",
            is_policy=True,
            mesh="default",
            namespace=NS,
            labels={},
            spec=to(ROUTE),
            cp=ControlPlane(version=V[line]),
        )

    assert labels("2.10")["kuma.io/policy-role"] == "consumer"
    assert labels("2.11")["kuma.io/policy-role"] == "producer"
