"""Objects of a policy kind no supported line knows (Kong Mesh's MeshOPA and
MeshGlobalRateLimit, a kind a later Kuma adds): read as generic policies when they follow
the targetRef shape, a problem naming the file, document and field when they do not."""

from __future__ import annotations

from typing import Any

from meshtui.model import POLICY_ROLE
from meshtui.parse import ParseResult
from tests.engine.matching_support import (
    MESH_REF,
    k8s_policy,
    load,
    resource,
    universal_policy,
    yaml_text,
)

OPA = {"targetRef": MESH_REF, "default": {"agentConfig": {"inlineString": "x"}}}
RATE = {
    "targetRef": MESH_REF,
    "to": [{"targetRef": MESH_REF, "default": {"local": {"http": {"requestRate": 5}}}}],
}


def problems(result: ParseResult) -> list[tuple[str, str, str, int]]:
    """(severity, message, path, document) of every problem but the context notes."""
    return [
        (p.severity, p.message, p.path, p.document) for p in result.problems if p.severity != "info"
    ]


def test_a_kubernetes_meshopa_is_stored_with_its_spec_as_written_and_a_role() -> None:
    result = load(yaml_text(k8s_policy("MeshOPA", "opa", "kuma-system", OPA)))
    res = resource(result, "MeshOPA", "opa.kuma-system")
    assert problems(result) == []
    assert dict(res.spec) == OPA
    assert res.mesh == "default"
    assert res.labels[POLICY_ROLE] == "system"


def test_a_generic_policy_with_to_in_an_app_namespace_gets_its_role_as_any_policy() -> None:
    result = load(yaml_text(k8s_policy("MeshGlobalRateLimit", "rl", "shop", RATE)))
    res = resource(result, "MeshGlobalRateLimit", "rl.shop")
    assert problems(result) == []
    assert res.labels[POLICY_ROLE] == "consumer"  # a to[] Mesh entry outside the system ns


def test_a_universal_generic_policy_is_stored_as_written() -> None:
    result = load(yaml_text(universal_policy("MeshOPA", "opa", OPA)))
    assert dict(resource(result, "MeshOPA", "opa").spec) == OPA
    assert problems(result) == []


def test_an_unknown_kind_whose_spec_is_not_a_targetref_policy_stays_a_problem() -> None:
    doc: dict[str, Any] = k8s_policy("MeshOPA", "opa", "kuma-system", {"selector": {"a": "b"}})
    result = load(yaml_text(k8s_policy("MeshOPA", "fine", "kuma-system", OPA), doc))
    assert problems(result) == [
        (
            "error",
            "unknown kind 'MeshOPA' in kuma.io/v1alpha1, not a targetRef policy:"
            " its spec has `selector`",
            "kind",
            2,
        )
    ]
    assert [r.name for r in result.resources if r.type == "MeshOPA"] == ["fine.kuma-system"]


def test_an_unknown_kind_with_an_empty_spec_stays_a_problem() -> None:
    result = load(yaml_text(universal_policy("MeshOPA", "opa", {})))
    assert problems(result) == [
        (
            "error",
            "unknown resource type 'MeshOPA', not a targetRef policy:"
            " its spec has no targetRef, to, from, rules or default",
            "type",
            1,
        )
    ]


def test_a_misspelt_kuma_kind_is_a_problem_that_names_the_kind_meant() -> None:
    result = load(yaml_text(k8s_policy("MeshTimout", "t", "kuma-system", RATE)))
    assert problems(result) == [
        (
            "error",
            "unknown kind 'MeshTimout' in kuma.io/v1alpha1 (did you mean MeshTimeout?)",
            "kind",
            1,
        )
    ]
    assert result.resources == ()


def test_a_generic_entry_without_a_targetref_kind_is_a_field_problem() -> None:
    spec = {"targetRef": MESH_REF, "to": [{"targetRef": {"name": "x"}, "default": {}}]}
    result = load(yaml_text(k8s_policy("MeshOPA", "opa", "kuma-system", spec)))
    found = problems(result)
    assert [(severity, path) for severity, _, path, _ in found] == [
        ("error", "spec.to[0].targetRef.kind")
    ]
    assert "is required" in found[0][1]
    assert not [r for r in result.resources if r.type == "MeshOPA"]


def test_a_generic_section_of_the_wrong_type_is_a_field_problem() -> None:
    spec = {"targetRef": MESH_REF, "to": {"targetRef": MESH_REF}, "default": ["x"]}
    result = load(yaml_text(universal_policy("MeshOPA", "opa", spec)))
    paths = sorted(path for _, _, path, _ in problems(result))
    assert paths == ["spec.default", "spec.to"]
