"""Loading: Kubernetes → internal resource (§1.2), Universal as stored (§1.3), computed labels
(§1.4) and the gateway validation trap of TV16 (`kuma-matching.md`, Kuma 2.10.11).

Default context: zone control plane `zone-1` (kubernetes), system namespace `kuma-system`.
Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.matching_support import (
    MESH_REF,
    dataplane_doc,
    errors,
    k8s_dataplane,
    k8s_policy,
    load,
    resource,
    to_,
    universal_policy,
    yaml_text,
)

TO_MESH = {"targetRef": MESH_REF, "to": [to_(MESH_REF, {"idleTimeout": "1s"})]}
FROM_MESH = {"targetRef": MESH_REF, "from": [to_(MESH_REF, {"idleTimeout": "1s"})]}


def kube_object(
    kind: str, name: str, *, body: dict[str, Any] | None = None, **metadata: Any
) -> dict[str, Any]:
    """A cluster-scoped (or any) Kuma object with free-form metadata and body."""
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, **metadata},
        **(body or {}),
    }


# --------------------------------------------------------------------------------------
# §1.2 Kubernetes object → internal resource


def test_worked_example_of_section_1_2() -> None:
    doc = k8s_policy(
        "MeshTimeout",
        "web-timeouts",
        "web",
        TO_MESH,
        labels={"kuma.io/mesh": "default", "team": "a"},
    )
    res = resource(load(yaml_text(doc)), "MeshTimeout", "web-timeouts.web")
    assert (res.type, res.mesh, res.name) == ("MeshTimeout", "default", "web-timeouts.web")
    assert dict(res.labels) == {
        "team": "a",
        "kuma.io/mesh": "default",
        "kuma.io/display-name": "web-timeouts",
        "k8s.kuma.io/namespace": "web",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "kuma.io/policy-role": "consumer",
    }


@pytest.mark.parametrize(
    ("name", "namespace", "store_name"),
    [
        pytest.param("timeouts", "demo", "timeouts.demo", id="plain"),
        pytest.param("my.timeouts", "demo", "my.timeouts.demo", id="dotted-name"),
        pytest.param("timeouts", "kuma-system", "timeouts.kuma-system", id="system-namespace"),
    ],
)
def test_store_name_is_name_dot_namespace(name: str, namespace: str, store_name: str) -> None:
    res = resource(
        load(yaml_text(k8s_policy("MeshTimeout", name, namespace, TO_MESH))),
        "MeshTimeout",
        store_name,
    )
    assert res.labels["kuma.io/display-name"] == name
    assert res.display_name == name


def test_display_name_comes_from_the_annotation_when_present() -> None:
    doc = k8s_policy(
        "MeshTimeout",
        "web-timeouts-5c8f",
        "kuma-system",
        TO_MESH,
        annotations={"kuma.io/display-name": "web-timeouts"},
    )
    res = resource(load(yaml_text(doc)), "MeshTimeout", "web-timeouts-5c8f.kuma-system")
    assert res.labels["kuma.io/display-name"] == "web-timeouts"
    assert res.display_name == "web-timeouts"


@pytest.mark.parametrize(
    ("labels", "mesh"),
    [
        pytest.param(None, "default", id="no-labels"),
        pytest.param({"team": "a"}, "default", id="label-absent"),
        pytest.param({"kuma.io/mesh": "other"}, "other", id="label-other"),
    ],
)
def test_policy_mesh_from_the_mesh_label_defaulting_to_default(
    labels: dict[str, str] | None, mesh: str
) -> None:
    res = resource(
        load(yaml_text(k8s_policy("MeshTimeout", "p", "demo", TO_MESH, labels=labels))),
        "MeshTimeout",
        "p.demo",
    )
    assert res.mesh == mesh
    assert res.labels["kuma.io/mesh"] == mesh


def test_mesh_service_mesh_from_the_mesh_label() -> None:
    doc = kube_object(
        "MeshService",
        "backend",
        namespace="demo",
        labels={"kuma.io/mesh": "other"},
        body={"spec": {"ports": [{"port": 80}]}},
    )
    res = resource(load(yaml_text(doc)), "MeshService", "backend.demo")
    assert (res.mesh, res.display_name) == ("other", "backend")


def test_dataplane_mesh_from_the_top_level_mesh_field() -> None:
    res = resource(
        load(yaml_text(k8s_dataplane("web-1", "demo", mesh="other"))), "Dataplane", "web-1.demo"
    )
    assert res.mesh == "other"
    assert res.labels["kuma.io/mesh"] == "other"
    assert res.display_name == "web-1"


def test_mesh_gateway_is_cluster_scoped_with_a_mesh_field() -> None:
    doc = kube_object(
        "MeshGateway",
        "edge",
        body={"mesh": "other", "spec": {"selectors": [{"match": {"kuma.io/service": "edge"}}]}},
    )
    res = resource(load(yaml_text(doc)), "MeshGateway", "edge")
    assert (res.mesh, res.display_name) == ("other", "edge")


def test_mesh_is_cluster_scoped_and_mesh_less() -> None:
    res = resource(
        load(yaml_text(kube_object("Mesh", "default", body={"spec": {}}))), "Mesh", "default"
    )
    assert res.mesh == ""
    assert dict(res.labels) == {"kuma.io/display-name": "default"}


def test_spec_is_the_body() -> None:
    res = resource(
        load(yaml_text(k8s_policy("MeshTimeout", "p", "demo", TO_MESH))), "MeshTimeout", "p.demo"
    )
    assert res.spec["targetRef"]["kind"] == "Mesh"
    assert res.spec["to"][0]["default"]["idleTimeout"] == "1s"


# --------------------------------------------------------------------------------------
# §1.3 Universal form: taken as stored


def test_universal_policy_labels_are_exactly_as_written() -> None:
    doc = universal_policy("MeshTimeout", "web-timeouts", TO_MESH, {"team": "a"})
    res = resource(load(yaml_text(doc)), "MeshTimeout", "web-timeouts")
    assert (res.mesh, res.name) == ("default", "web-timeouts")
    assert dict(res.labels) == {"team": "a"}
    assert res.display_name == "web-timeouts"


def test_universal_dataplane_body_at_top_level_and_labels_as_written() -> None:
    doc = dataplane_doc(
        "web-1", {"app": "web"}, [{"port": 8080, "tags": {"kuma.io/service": "web"}}]
    )
    res = resource(load(yaml_text(doc)), "Dataplane", "web-1")
    assert dict(res.labels) == {"app": "web"}
    assert res.spec["networking"]["inbound"][0]["port"] == 8080


# --------------------------------------------------------------------------------------
# §1.4 computed labels on a zone CP


def test_zone_cp_dataplane_labels() -> None:
    doc = k8s_dataplane("web-1", "demo", labels={"app": "web"})
    res = resource(load(yaml_text(doc)), "Dataplane", "web-1.demo")
    assert dict(res.labels) == {
        "app": "web",
        "kuma.io/mesh": "default",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/proxy-type": "sidecar",
        "kuma.io/display-name": "web-1",
    }


@pytest.mark.parametrize(
    ("gateway", "proxy_type"),
    [
        pytest.param(None, "sidecar", id="sidecar"),
        pytest.param(
            {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}, "sidecar", id="delegated"
        ),
        pytest.param(
            {"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}}, "gateway", id="builtin"
        ),
    ],
)
def test_proxy_type_label(gateway: dict[str, Any] | None, proxy_type: str) -> None:
    res = resource(
        load(yaml_text(k8s_dataplane("gw", "demo", gateway=gateway))), "Dataplane", "gw.demo"
    )
    assert res.labels["kuma.io/proxy-type"] == proxy_type


def test_zone_cp_mesh_service_has_origin_but_no_role() -> None:
    doc = kube_object(
        "MeshService", "backend", namespace="demo", body={"spec": {"ports": [{"port": 80}]}}
    )
    res = resource(load(yaml_text(doc)), "MeshService", "backend.demo")
    assert dict(res.labels) == {
        "kuma.io/mesh": "default",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/display-name": "backend",
    }


def test_env_follows_the_control_plane_environment() -> None:
    res = resource(
        load(yaml_text(k8s_policy("MeshTimeout", "p", "demo", TO_MESH)), env="universal"),
        "MeshTimeout",
        "p.demo",
    )
    assert res.labels["kuma.io/env"] == "universal"


SET_IF_ABSENT = [
    pytest.param("kuma.io/zone", "zone-9", id="zone"),
    pytest.param("kuma.io/env", "universal", id="env"),
    pytest.param("k8s.kuma.io/namespace", "elsewhere", id="namespace"),
]


@pytest.mark.parametrize(("key", "value"), SET_IF_ABSENT)
def test_set_if_absent_keeps_the_user_value(key: str, value: str) -> None:
    doc = k8s_policy("MeshTimeout", "p", "demo", TO_MESH, labels={key: value})
    assert resource(load(yaml_text(doc)), "MeshTimeout", "p.demo").labels[key] == value


def test_policy_role_is_always_set_over_a_user_value() -> None:
    doc = k8s_policy(
        "MeshTimeout", "p", "demo", TO_MESH, labels={"kuma.io/policy-role": "producer"}
    )
    assert (
        resource(load(yaml_text(doc)), "MeshTimeout", "p.demo").labels["kuma.io/policy-role"]
        == "consumer"
    )


def test_explicit_zone_origin_is_locally_originated() -> None:
    doc = k8s_policy(
        "MeshTimeout", "p", "kuma-system", FROM_MESH, labels={"kuma.io/origin": "zone"}
    )
    labels = resource(load(yaml_text(doc)), "MeshTimeout", "p.kuma-system").labels
    assert (
        labels["kuma.io/zone"],
        labels["kuma.io/policy-role"],
        labels["k8s.kuma.io/namespace"],
    ) == (
        "zone-1",
        "system",
        "kuma-system",
    )


def test_zone_cp_global_copy_is_not_recomputed() -> None:
    # A copy synced from a Universal global CP: origin global, display name from the annotation.
    doc = k8s_policy(
        "MeshTimeout",
        "defaults-5c8f0a1b2c3d4e5f",
        "kuma-system",
        FROM_MESH,
        labels={"kuma.io/origin": "global", "kuma.io/mesh": "default"},
        annotations={"kuma.io/display-name": "defaults"},
    )
    res = resource(load(yaml_text(doc)), "MeshTimeout", "defaults-5c8f0a1b2c3d4e5f.kuma-system")
    assert dict(res.labels) == {
        "kuma.io/origin": "global",
        "kuma.io/mesh": "default",
        "kuma.io/display-name": "defaults",
    }
    assert res.role == "system"


def test_mesh_gets_no_zone_labels_on_a_zone_cp() -> None:
    res = resource(
        load(yaml_text(kube_object("Mesh", "default", body={"spec": {}}))), "Mesh", "default"
    )
    assert "kuma.io/origin" not in res.labels
    assert "kuma.io/zone" not in res.labels


# --------------------------------------------------------------------------------------
# §1.4 computed labels on a global CP


def test_global_cp_sets_no_origin_zone_or_env() -> None:
    doc = k8s_policy("MeshTimeout", "defaults", "kuma-system", FROM_MESH)
    res = resource(load(yaml_text(doc), cp_mode="global"), "MeshTimeout", "defaults.kuma-system")
    assert dict(res.labels) == {
        "kuma.io/mesh": "default",
        "k8s.kuma.io/namespace": "kuma-system",
        "kuma.io/policy-role": "system",
        "kuma.io/display-name": "defaults",
    }


def test_global_cp_zone_copy_keeps_its_role_and_namespace() -> None:
    # A consumer policy of zone-2 / demo as stored on the global CP (in the system namespace).
    labels = {
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-2",
        "kuma.io/env": "kubernetes",
        "kuma.io/mesh": "default",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/policy-role": "consumer",
    }
    doc = k8s_policy(
        "MeshTimeout",
        "p-1a2b3c4d5e6f7a8b",
        "kuma-system",
        TO_MESH,
        labels=labels,
        annotations={"kuma.io/display-name": "p"},
    )
    res = resource(
        load(yaml_text(doc), cp_mode="global"), "MeshTimeout", "p-1a2b3c4d5e6f7a8b.kuma-system"
    )
    assert dict(res.labels) == {**labels, "kuma.io/display-name": "p"}


def test_global_cp_dataplane_gets_no_zone_labels() -> None:
    res = resource(
        load(yaml_text(k8s_dataplane("web-1", "demo")), cp_mode="global"), "Dataplane", "web-1.demo"
    )
    assert "kuma.io/origin" not in res.labels
    assert "kuma.io/zone" not in res.labels
    assert res.labels["k8s.kuma.io/namespace"] == "demo"


# --------------------------------------------------------------------------------------
# TV16 — validation traps around gateways (2.10; HEAD rows not encoded)

MRL_FROM = [
    {
        "targetRef": MESH_REF,
        "default": {"local": {"http": {"requestRate": {"num": 1, "interval": "1s"}}}},
    }
]
MFI_FROM = [
    {"targetRef": MESH_REF, "default": {"http": [{"abort": {"httpStatus": 500, "percentage": 50}}]}}
]

GATEWAY_SCOPED = [
    pytest.param("MeshRateLimit", {"from": MRL_FROM}, id="mrl-from-no-top-level"),
    pytest.param("MeshRateLimit", {"targetRef": MESH_REF, "from": MRL_FROM}, id="mrl-from-mesh"),
    pytest.param(
        "MeshFaultInjection", {"targetRef": MESH_REF, "from": MFI_FROM}, id="mfi-from-mesh"
    ),
    pytest.param("MeshFaultInjection", {"from": MFI_FROM}, id="mfi-from-no-top-level"),
]


@pytest.mark.parametrize(("kind", "spec"), GATEWAY_SCOPED)
def test_tv16_inbound_policy_whose_scope_includes_gateways_is_rejected(
    kind: str, spec: dict[str, Any]
) -> None:
    result = load(yaml_text(k8s_policy(kind, "p", "kuma-system", spec)))
    assert [r.name for r in result.resources if r.type == kind] == []
    assert errors(result) != []


@pytest.mark.parametrize(
    ("kind", "from_"),
    [
        pytest.param("MeshRateLimit", MRL_FROM, id="mrl"),
        pytest.param("MeshFaultInjection", MFI_FROM, id="mfi"),
    ],
)
def test_tv16_sidecar_only_scope_is_accepted(kind: str, from_: list[dict[str, Any]]) -> None:
    spec = {"targetRef": {"kind": "Mesh", "proxyTypes": ["Sidecar"]}, "from": from_}
    result = load(yaml_text(k8s_policy(kind, "p", "kuma-system", spec)))
    assert errors(result) == []
    assert resource(result, kind, "p.kuma-system").spec["targetRef"]["proxyTypes"] == ["Sidecar"]


def test_zone_cp_mesh_multi_zone_service_gets_zone_labels() -> None:
    # §1.4 + §1.7: a (non-federated) zone may author MeshMultiZoneService; Kuma 2.10's
    # descriptor carries ZoneToGlobalFlag, i.e. it is in AllowedOnZoneSelector.
    spec = {
        "selector": {"meshService": {"matchLabels": {"app": "backend"}}},
        "ports": [{"port": 80}],
    }
    doc = kube_object(
        "MeshMultiZoneService", "backend", namespace="kuma-system", body={"spec": spec}
    )
    labels = resource(load(yaml_text(doc)), "MeshMultiZoneService", "backend.kuma-system").labels
    assert (
        labels.get("kuma.io/origin"),
        labels.get("kuma.io/zone"),
        labels.get("kuma.io/env"),
    ) == (
        "zone",
        "zone-1",
        "kubernetes",
    )


def test_display_name_label_is_synthesised_from_the_name_without_annotation() -> None:
    # §1.2: without the annotation the adapter synthesises the label from metadata.name.
    doc = k8s_policy("MeshTimeout", "p", "demo", TO_MESH, labels={"kuma.io/display-name": "custom"})
    res = resource(load(yaml_text(doc)), "MeshTimeout", "p.demo")
    assert res.display_name == "p"


def test_route_targeting_a_route_is_rejected() -> None:
    # §5.3: MeshHTTPRoute's top level may be M, MS, Svc, SvcS, DP (and GW for system).
    spec = {"targetRef": {"kind": "MeshHTTPRoute", "name": "r"}, "to": []}
    result = load(yaml_text(k8s_policy("MeshHTTPRoute", "r", "kuma-system", spec)))
    assert [r.name for r in result.resources if r.type == "MeshHTTPRoute"] == []
    assert errors(result) != []
