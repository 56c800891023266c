"""Policy role: computation (§2.2, 2.10.11), reading (§2.4), TV7 and TV8 of `kuma-matching.md`.

Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.model import Resource
from meshtui.parse.labels import RoleError, compute_policy_role
from meshtui.versions import KumaVersion
from tests.engine.matching_support import (
    MESH_REF,
    errors,
    k8s_policy,
    load,
    resource,
    to_,
    universal_policy,
    yaml_text,
)

SYS = "kuma-system"
V2_10 = KumaVersion.profile("2.10")
CONF = {"idleTimeout": "1s"}


def ms(name: str = "", namespace: str = "", **fields: Any) -> dict[str, Any]:
    """A `to[]`/`from[]` item targeting a MeshService."""
    ref: dict[str, Any] = {"kind": "MeshService", **fields}
    if name:
        ref["name"] = name
    if namespace:
        ref["namespace"] = namespace
    return to_(ref, CONF)


def ref(kind: str, **fields: Any) -> dict[str, Any]:
    return to_({"kind": kind, **fields}, CONF)


# --------------------------------------------------------------------------------------
# §2.2 step 1: system namespace or unknown namespace ⇒ system (before any other check)

STEP_1 = [
    pytest.param({"to": [ref("Mesh")]}, "", SYS, id="unknown-namespace-consumer-spec"),
    pytest.param({"from": [ref("Mesh")]}, "", SYS, id="unknown-namespace-from-spec"),
    pytest.param({"to": [ms("backend")]}, SYS, SYS, id="system-namespace-producer-spec"),
    pytest.param(
        {"to": [ref("Mesh")], "from": [ref("Mesh")]},
        SYS,
        SYS,
        id="system-ns-mixing-to-from-not-rejected",
    ),
    pytest.param(
        {"to": [ms("backend"), ref("Mesh")]},
        "",
        SYS,
        id="unknown-ns-mixing-producer-consumer-not-rejected",
    ),
    pytest.param({"to": [ref("Mesh")]}, "kuma", "kuma", id="custom-system-namespace"),
]


@pytest.mark.parametrize(("spec", "namespace", "system_ns"), STEP_1)
def test_role_is_system_in_system_or_unknown_namespace(
    spec: dict[str, Any], namespace: str, system_ns: str
) -> None:
    assert compute_policy_role(spec, namespace, system_ns, version=V2_10) == "system"


def test_default_system_namespace_is_an_app_namespace_when_another_is_configured() -> None:
    assert (
        compute_policy_role({"to": [ref("Mesh")]}, "kuma-system", "kuma", version=V2_10)
        == "consumer"
    )


# --------------------------------------------------------------------------------------
# §2.2 steps 2-6 in an application namespace (`backend`)

ROLES = [
    # step 4: from, or neither
    pytest.param({"from": [ref("Mesh")]}, "workload-owner", id="from-only"),
    pytest.param({"rules": [{"default": CONF}]}, "workload-owner", id="rules-only"),
    pytest.param(
        {"targetRef": {"kind": "Mesh"}, "default": {"tracing": {}}},
        "workload-owner",
        id="single-item",
    ),
    pytest.param({}, "workload-owner", id="empty-spec"),
    pytest.param({"to": [], "from": []}, "workload-owner", id="empty-to-and-from"),
    pytest.param({"to": [], "from": [ref("Mesh")]}, "workload-owner", id="empty-to-non-empty-from"),
    pytest.param(
        {"to": [], "rules": [{"default": CONF}]}, "workload-owner", id="empty-to-with-rules"
    ),
    # step 5/6: to only, every item producer
    pytest.param({"to": [ms("backend")]}, "producer", id="ms-by-name-no-namespace"),
    pytest.param({"to": [ms("backend", "backend")]}, "producer", id="ms-by-name-own-namespace"),
    pytest.param(
        {"to": [ms("backend"), ms("backend", "backend", sectionName="http")]},
        "producer",
        id="two-producer-items",
    ),
    pytest.param(
        {"to": [ms("backend", sectionName="http")]}, "producer", id="ms-with-section-name"
    ),
    # step 5/6: to only, no item producer
    pytest.param({"to": [ref("Mesh")]}, "consumer", id="mesh"),
    pytest.param({"to": [ms("backend", "other")]}, "consumer", id="ms-other-namespace"),
    pytest.param(
        {"to": [ms(labels={"kuma.io/display-name": "backend"})]}, "consumer", id="ms-labels-only"
    ),
    pytest.param({"to": [ms(namespace="backend")]}, "consumer", id="ms-namespace-without-name"),
    pytest.param({"to": [ref("MeshExternalService", name="httpbin")]}, "consumer", id="mes"),
    pytest.param(
        {"to": [ref("MeshMultiZoneService", name="backend")]}, "consumer", id="mzs-by-name"
    ),
    pytest.param(
        {"to": [ref("MeshServiceSubset", name="backend", tags={"v": "1"})]},
        "consumer",
        id="ms-subset",
    ),
    pytest.param(
        {"to": [ref("Mesh"), ms("backend", "other")]}, "consumer", id="two-consumer-items"
    ),
]


@pytest.mark.parametrize(("spec", "expected"), ROLES)
def test_role_in_application_namespace(spec: dict[str, Any], expected: str) -> None:
    assert compute_policy_role(spec, "backend", SYS, version=V2_10) == expected


REJECTED = [
    pytest.param(
        {"to": [ref("Mesh")], "from": [ref("Mesh")]},
        "it's not allowed to mix 'to' and 'from' arrays in the same policy",
        id="to-and-from",
    ),
    pytest.param(
        {"to": [ms("backend")], "from": [ref("Mesh")]},
        "it's not allowed to mix 'to' and 'from' arrays in the same policy",
        id="producer-to-and-from",
    ),
    pytest.param(
        {"to": [ms("backend"), ref("Mesh")]},
        "it's not allowed to mix producer and consumer items in the same policy",
        id="producer-and-mesh",
    ),
    pytest.param(
        {"to": [ms("backend"), ms("backend", "other")]},
        "it's not allowed to mix producer and consumer items in the same policy",
        id="own-and-other-namespace",
    ),
]


@pytest.mark.parametrize(("spec", "message"), REJECTED)
def test_role_rejections(spec: dict[str, Any], message: str) -> None:
    # Kuma 2.10.11 `ComputePolicyRole` error strings (pkg/core/resources/model/resource.go).
    with pytest.raises(RoleError) as raised:
        compute_policy_role(spec, "backend", SYS, version=V2_10)
    assert str(raised.value) == message


# --------------------------------------------------------------------------------------
# the same through the Kubernetes loader (the webhook computes and rejects)


def test_webhook_rejection_is_an_error_problem_and_the_policy_is_not_loaded() -> None:
    spec = {"targetRef": MESH_REF, "to": [ms("backend"), ref("Mesh")]}
    result = load(yaml_text(k8s_policy("MeshTimeout", "mixed", "backend", spec)))
    assert [r for r in result.resources if r.type == "MeshTimeout"] == []
    assert len(errors(result)) == 1
    assert (
        "it's not allowed to mix producer and consumer items in the same policy"
        in errors(result)[0]
    )


def test_webhook_rejects_to_and_from_in_an_app_namespace() -> None:
    spec = {"targetRef": MESH_REF, "to": [ref("Mesh")], "from": [ref("Mesh")]}
    result = load(yaml_text(k8s_policy("MeshTimeout", "both", "demo", spec)))
    assert [r.name for r in result.resources] == []
    assert "it's not allowed to mix 'to' and 'from' arrays in the same policy" in errors(result)[0]


def test_to_and_from_in_the_system_namespace_loads_as_system() -> None:
    spec = {"targetRef": MESH_REF, "to": [ref("Mesh")], "from": [ref("Mesh")]}
    result = load(yaml_text(k8s_policy("MeshTimeout", "both", SYS, spec)))
    assert errors(result) == []
    assert (
        resource(result, "MeshTimeout", "both.kuma-system").labels["kuma.io/policy-role"]
        == "system"
    )


# --------------------------------------------------------------------------------------
# TV7 — producer detection edge cases (2.10 column; HEAD rows are not encoded)

TV7 = [
    pytest.param(
        "MeshTimeout",
        {"to": [ms(labels={"kuma.io/display-name": "backend"})]},
        "consumer",
        id="labels-only-ms",
    ),
    pytest.param(
        "MeshTimeout", {"to": [ref("MeshExternalService", name="httpbin")]}, "consumer", id="mes"
    ),
    pytest.param("MeshTimeout", {"rules": [{"default": CONF}]}, "workload-owner", id="rules-only"),
    pytest.param("MeshTrace", {"default": {}}, "workload-owner", id="mesh-trace"),
]


@pytest.mark.parametrize(("kind", "spec", "expected"), TV7)
def test_tv7_role_of_kubernetes_policy_in_backend(
    kind: str, spec: dict[str, Any], expected: str
) -> None:
    result = load(yaml_text(k8s_policy(kind, "p", "backend", {"targetRef": MESH_REF, **spec})))
    assert errors(result) == []
    assert resource(result, kind, "p.backend").labels["kuma.io/policy-role"] == expected


def test_tv7_mixed_items_rejected() -> None:
    spec = {"targetRef": MESH_REF, "to": [ms("backend"), ref("Mesh")]}
    result = load(yaml_text(k8s_policy("MeshTimeout", "p", "backend", spec)))
    assert [r for r in result.resources if r.type == "MeshTimeout"] == []
    assert errors(result) != []


# --------------------------------------------------------------------------------------
# §2.4 reading the role


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param({}, "system", id="absent"),
        pytest.param({"kuma.io/policy-role": ""}, "system", id="empty"),
        pytest.param({"kuma.io/policy-role": "consumer"}, "consumer", id="consumer"),
        pytest.param({"kuma.io/policy-role": "producer"}, "producer", id="producer"),
        pytest.param(
            {"kuma.io/policy-role": "workload-owner"}, "workload-owner", id="workload-owner"
        ),
        pytest.param({"kuma.io/policy-role": "system"}, "system", id="system"),
        pytest.param({"kuma.io/policy-role": "Consumer"}, "Consumer", id="unknown-passed-through"),
    ],
)
def test_reading_the_role(labels: dict[str, str], expected: str) -> None:
    assert Resource(type="MeshTimeout", mesh="default", name="p", labels=labels).role == expected


# --------------------------------------------------------------------------------------
# TV8 — Universal roles (loading part; matching part in test_matching_prefilters)


def test_tv8_universal_policy_gets_no_role_label() -> None:
    result = load(yaml_text(universal_policy("MeshTimeout", "p", {"to": [ref("Mesh")]})))
    res = resource(result, "MeshTimeout", "p")
    assert dict(res.labels) == {}
    assert res.role == "system"


def test_tv8_universal_hand_written_role_is_kept() -> None:
    labels = {"kuma.io/policy-role": "consumer"}
    result = load(yaml_text(universal_policy("MeshTimeout", "p", {"to": [ref("Mesh")]}, labels)))
    assert errors(result) == []
    assert resource(result, "MeshTimeout", "p").role == "consumer"
