"""Audit of loading and of the `meshtui inspect` contract (Kuma 2.10.11).

Spec references: `kuma-matching.md` §1 (resource model, Kubernetes → internal §1.2,
Universal §1.3, computed labels §1.4, Dataplane §1.6), §2 (policy role), §5.2/§5.3
(validation), §6 (labels); `kuma-rules.md` §3.7 (schema defaults) and §8.1 (errors); the
loading requirements and the CLI contract of issue 3.

Inputs are written as real YAML text (the edge cases are YAML ones). Every expected
value is worked out by hand from the spec, and where the spec is silent from Kuma's
code (`ComputeLabels`, `KubernetesMetaAdapter.GetLabels`, the generated `GetMesh`).
The CLI contract cases run `meshtui` as a real subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshtui.model import Problem, Resource
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.sources.files import load_path, parse_text
from tests.versions import V2_10

MESHTUI = Path(sys.executable).parent / "meshtui"


def load(text: str, **context: Any) -> ParseResult:
    """Parse YAML `text` (file `in.yaml`) with the given context flags (none by default)."""
    contents = parse_text(textwrap.dedent(text), "in.yaml")
    assert not contents.problems, [str(p) for p in contents.problems]
    return parse_documents(contents.documents, ContextOptions(**context, version=V2_10))


def only(result: ParseResult, type_: str) -> Resource:
    found = [r for r in result.resources if r.type == type_]
    assert len(found) == 1, [str(r.key) for r in result.resources]
    return found[0]


def get(result: ParseResult, type_: str, name: str) -> Resource:
    for res in result.resources:
        if (res.type, res.name) == (type_, name):
            return res
    raise AssertionError(f"{type_} {name} not loaded: {[str(r.key) for r in result.resources]}")


def errors(result: ParseResult) -> list[Problem]:
    return [p for p in result.problems if p.severity == "error"]


def notes(result: ParseResult) -> list[str]:
    return [p.message for p in result.problems if p.severity == "info"]


def kube_policy(
    name: str = "pol",
    namespace: str | None = "demo",
    *,
    kind: str = "MeshTimeout",
    labels: str = "",
    extra_meta: str = "",
    spec: str = "targetRef: {kind: Mesh}\nto:\n  - targetRef: {kind: Mesh}\n"
    "    default: {idleTimeout: 1s}",
) -> str:
    """One Kubernetes-form policy document (`labels` / `spec` are YAML flow or blocks)."""
    meta = f"  name: {name}\n"
    if namespace is not None:
        meta += f"  namespace: {namespace}\n"
    if labels:
        meta += f"  labels: {labels}\n"
    meta += extra_meta
    body = textwrap.indent(spec, "  ")
    return f"apiVersion: kuma.io/v1alpha1\nkind: {kind}\nmetadata:\n{meta}spec:\n{body}\n"


ZONE_1 = {"cp_mode": "zone", "zone": "zone-1"}
"""A zone control plane `zone-1` on Kubernetes (explicit flags: no inference)."""


# --------------------------------------------------------------------------------------
# §1.2: store name, display name, mesh


def test_store_name_is_name_dot_namespace_and_display_name_the_metadata_name() -> None:
    # §1.2: `name.namespace`, split back on the last dot, so names may contain dots.
    res = only(load(kube_policy("a.b.c", "prod"), **ZONE_1), "MeshTimeout")
    assert res.name == "a.b.c.prod"
    assert res.labels["kuma.io/display-name"] == "a.b.c"
    assert res.labels["k8s.kuma.io/namespace"] == "prod"
    assert res.display_name == "a.b.c"


def test_display_name_annotation_replaces_a_display_name_label() -> None:
    # GetLabels (2.10): the annotation when present, else metadata.name; either way the
    # label written in metadata.labels is overwritten.
    doc = kube_policy(
        "web-abc123",
        labels="{kuma.io/display-name: wrong}",
        extra_meta="  annotations: {kuma.io/display-name: web}\n",
    )
    assert only(load(doc, **ZONE_1), "MeshTimeout").labels["kuma.io/display-name"] == "web"
    doc = kube_policy("web-abc123", labels="{kuma.io/display-name: wrong}")
    assert only(load(doc, **ZONE_1), "MeshTimeout").labels["kuma.io/display-name"] == "web-abc123"


def test_empty_display_name_annotation_is_taken_as_is_and_the_store_name_is_used() -> None:
    # `if displayName, ok := annotations[...]; ok` → the empty value is copied; §1.1
    # display_name() falls back to the store name when the label is empty.
    doc = kube_policy("web", extra_meta='  annotations: {kuma.io/display-name: ""}\n')
    res = only(load(doc, **ZONE_1), "MeshTimeout")
    assert res.labels["kuma.io/display-name"] == ""
    assert res.display_name == "web.demo"


def test_universal_gets_no_display_name_and_no_computed_labels() -> None:
    # §1.3: Universal is stored as written; 2.10 adds no display name; §2.5: no role.
    result = load(
        """
        type: MeshTimeout
        mesh: default
        name: web-timeouts
        labels: {team: a}
        spec:
          targetRef: {kind: Mesh}
          to:
            - targetRef: {kind: MeshService, name: web}
              default: {idleTimeout: 1s}
        """,
        **ZONE_1,
    )
    res = only(result, "MeshTimeout")
    assert (res.mesh, res.name, dict(res.labels)) == ("default", "web-timeouts", {"team": "a"})
    assert res.display_name == "web-timeouts"
    assert notes(result) == []


def test_universal_without_labels_has_empty_labels() -> None:
    res = only(load("type: MeshRetry\nmesh: default\nname: r\nspec: {}\n"), "MeshRetry")
    assert dict(res.labels) == {}


def test_universal_mesh_defaults_to_default_and_mesh_itself_is_mesh_less() -> None:
    result = load(
        """
        type: Mesh
        name: other
        ---
        type: MeshRetry
        name: r
        spec: {}
        """
    )
    assert (get(result, "Mesh", "other").mesh, get(result, "MeshRetry", "r").mesh) == (
        "",
        "default",
    )


@pytest.mark.parametrize(
    ("labels", "mesh", "mesh_label"),
    [
        ("", "default", "default"),  # absent → default, and the label is set (§1.4)
        ("{kuma.io/mesh: other}", "other", "other"),
    ],
)
def test_policy_mesh_from_the_mesh_label(labels: str, mesh: str, mesh_label: str) -> None:
    res = only(load(kube_policy(labels=labels), **ZONE_1), "MeshTimeout")
    assert (res.mesh, res.labels["kuma.io/mesh"]) == (mesh, mesh_label)


def test_dataplane_mesh_from_the_top_level_field_and_its_label_set_if_absent() -> None:
    # §1.2: Dataplane mesh = the object's `mesh` field; §1.4 kuma.io/mesh setIfAbsent.
    text = """
        apiVersion: kuma.io/v1alpha1
        kind: Dataplane
        mesh: other
        metadata:
          name: web-1
          namespace: demo
          labels: {LABELS}
        spec:
          networking:
            address: 10.0.0.1
            inbound:
              - port: 8080
                tags: {kuma.io/service: web}
        """
    res = only(load(text.replace("{LABELS}", "{app: web}"), **ZONE_1), "Dataplane")
    assert (res.mesh, res.name, res.labels["kuma.io/mesh"]) == ("other", "web-1.demo", "other")
    kept = load(text.replace("{LABELS}", "{kuma.io/mesh: stale}"), **ZONE_1)
    res = only(kept, "Dataplane")
    assert (res.mesh, res.labels["kuma.io/mesh"]) == ("other", "stale")


def test_mesh_is_cluster_scoped_mesh_less_and_gets_no_zone_labels() -> None:
    # §1.2 cluster-scoped: plain name (a namespace in metadata is ignored); §1.4: Mesh is
    # not mesh-scoped (no kuma.io/mesh) and a zone may not author it (no origin/zone/env).
    result = load(
        """
        apiVersion: kuma.io/v1alpha1
        kind: Mesh
        metadata: {name: default, namespace: ignored}
        spec: {}
        """,
        **ZONE_1,
    )
    res = only(result, "Mesh")
    assert (res.name, res.mesh) == ("default", "")
    assert dict(res.labels) == {"kuma.io/display-name": "default"}


def test_mesh_gateway_is_cluster_scoped_with_mesh_field_and_zone_labels() -> None:
    result = load(
        """
        apiVersion: kuma.io/v1alpha1
        kind: MeshGateway
        mesh: other
        metadata: {name: edge}
        spec:
          selectors: [{match: {kuma.io/service: edge}}]
          conf:
            listeners: [{port: 8080, protocol: HTTP}]
        """,
        **ZONE_1,
    )
    res = only(result, "MeshGateway")
    assert (res.name, res.mesh) == ("edge", "other")
    assert dict(res.labels) == {
        "kuma.io/display-name": "edge",
        "kuma.io/mesh": "other",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
    }


# --------------------------------------------------------------------------------------
# §1.4: computed labels


def test_zone_cp_full_label_set_of_a_plain_policy() -> None:
    res = only(load(kube_policy(labels="{team: a}"), **ZONE_1), "MeshTimeout")
    assert dict(res.labels) == {
        "team": "a",
        "kuma.io/mesh": "default",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/policy-role": "consumer",
        "kuma.io/display-name": "pol",
    }


def test_labels_already_present_are_kept_but_the_role_is_set() -> None:
    # setIfAbsent for zone/env/namespace; `set` for the role (§1.4).
    labels = (
        "{kuma.io/zone: east, kuma.io/env: universal, k8s.kuma.io/namespace: elsewhere,"
        " kuma.io/policy-role: producer}"
    )
    res = only(load(kube_policy(labels=labels), **ZONE_1), "MeshTimeout")
    assert res.labels["kuma.io/zone"] == "east"
    assert res.labels["kuma.io/env"] == "universal"
    assert res.labels["k8s.kuma.io/namespace"] == "elsewhere"
    assert res.labels["kuma.io/policy-role"] == "consumer"  # to Mesh → consumer
    assert res.labels["kuma.io/origin"] == "zone"


def test_a_global_copy_on_a_zone_cp_is_not_recomputed() -> None:
    # origin global: no zone/env (only when origin != global); not locally originated,
    # so no namespace label and the role label stays as written.
    labels = "{kuma.io/origin: global, kuma.io/policy-role: producer}"
    res = only(load(kube_policy(labels=labels), **ZONE_1), "MeshTimeout")
    assert dict(res.labels) == {
        "kuma.io/origin": "global",
        "kuma.io/policy-role": "producer",
        "kuma.io/mesh": "default",
        "kuma.io/display-name": "pol",
    }


def test_an_empty_origin_label_is_present_so_not_locally_originated() -> None:
    # ComputeLabels: origin is setIfNotExist (stays ""); "" != global → zone and env are
    # added; IsLocallyOriginated checks presence (`!ok || origin == zone`) → false, so
    # neither the namespace label nor the role is computed.
    res = only(load(kube_policy(labels='{kuma.io/origin: ""}'), **ZONE_1), "MeshTimeout")
    assert dict(res.labels) == {
        "kuma.io/origin": "",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "kuma.io/mesh": "default",
        "kuma.io/display-name": "pol",
    }


def test_explicit_zone_origin_is_local_and_gets_everything() -> None:
    res = only(load(kube_policy(labels="{kuma.io/origin: zone}"), **ZONE_1), "MeshTimeout")
    assert res.labels["kuma.io/zone"] == "zone-1"
    assert res.labels["k8s.kuma.io/namespace"] == "demo"
    assert res.labels["kuma.io/policy-role"] == "consumer"


def test_global_cp_sets_no_origin_zone_or_env() -> None:
    # §1.4 2.10: "Global CP sets nothing" (origin/zone/env); namespace and role still.
    res = only(load(kube_policy(namespace="kuma-system"), cp_mode="global"), "MeshTimeout")
    assert dict(res.labels) == {
        "kuma.io/mesh": "default",
        "k8s.kuma.io/namespace": "kuma-system",
        "kuma.io/policy-role": "system",
        "kuma.io/display-name": "pol",
    }


def test_global_cp_zone_copy_is_not_recomputed_but_global_origin_is_local() -> None:
    zone_copy = kube_policy(labels="{kuma.io/origin: zone, kuma.io/zone: east}")
    res = only(load(zone_copy, cp_mode="global"), "MeshTimeout")
    assert "k8s.kuma.io/namespace" not in res.labels
    assert "kuma.io/policy-role" not in res.labels
    own = kube_policy(namespace="kuma-system", labels="{kuma.io/origin: global}")
    res = only(load(own, cp_mode="global"), "MeshTimeout")
    assert res.labels["kuma.io/policy-role"] == "system"
    assert res.labels["k8s.kuma.io/namespace"] == "kuma-system"


def test_zone_cp_env_flag() -> None:
    res = only(load(kube_policy(), zone="z", env="universal"), "MeshTimeout")
    assert (res.labels["kuma.io/zone"], res.labels["kuma.io/env"]) == ("z", "universal")


@pytest.mark.parametrize(
    ("gateway", "proxy_type"),
    [("", "sidecar"), ("gateway: {type: DELEGATED, tags: {kuma.io/service: gw}}", "sidecar")],
)
def test_dataplane_labels_on_a_zone_cp(gateway: str, proxy_type: str) -> None:
    text = f"""
        apiVersion: kuma.io/v1alpha1
        kind: Dataplane
        mesh: default
        metadata: {{name: web-1, namespace: demo, labels: {{app: web}}}}
        spec:
          networking:
            address: 10.0.0.1
            {gateway or "inbound: [{port: 8080, tags: {kuma.io/service: web}}]"}
        """
    res = only(load(text, **ZONE_1), "Dataplane")
    assert dict(res.labels) == {
        "app": "web",
        "kuma.io/mesh": "default",
        "kuma.io/origin": "zone",
        "kuma.io/zone": "zone-1",
        "kuma.io/env": "kubernetes",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/proxy-type": proxy_type,
        "kuma.io/display-name": "web-1",
    }
    assert "kuma.io/policy-role" not in res.labels


def test_mesh_service_gets_namespace_and_zone_labels_but_no_role() -> None:
    res = only(
        load(
            """
            apiVersion: kuma.io/v1alpha1
            kind: MeshService
            metadata: {name: web, namespace: demo}
            spec:
              selector: {dataplaneTags: {app: web}}
              ports: [{port: 80, targetPort: 8080, appProtocol: http}]
            """,
            **ZONE_1,
        ),
        "MeshService",
    )
    assert (res.name, res.mesh) == ("web.demo", "default")
    assert res.labels["k8s.kuma.io/namespace"] == "demo"
    assert res.labels["kuma.io/zone"] == "zone-1"
    assert "kuma.io/policy-role" not in res.labels


# --------------------------------------------------------------------------------------
# §2: the policy role


@pytest.mark.parametrize(
    ("to", "role"),
    [
        ("[{targetRef: {kind: MeshService, name: web}}]", "producer"),
        ("[{targetRef: {kind: MeshService, name: web, namespace: demo}}]", "producer"),
        ("[{targetRef: {kind: MeshService, name: web, namespace: other}}]", "consumer"),
        ("[{targetRef: {kind: MeshService, labels: {app: web}}}]", "consumer"),
        ("[{targetRef: {kind: Mesh}}]", "consumer"),
        ("[{targetRef: {kind: MeshExternalService, name: ext}}]", "consumer"),
        ("[{targetRef: {kind: MeshMultiZoneService, name: mz}}]", "consumer"),
        (
            "[{targetRef: {kind: MeshService, name: a}}, {targetRef: {kind: MeshService,"
            " name: b, sectionName: http}}]",
            "producer",
        ),
    ],
)
def test_role_of_a_to_policy(to: str, role: str) -> None:
    spec = f"targetRef: {{kind: Mesh}}\nto: {to}"
    res = only(load(kube_policy(kind="MeshRetry", spec=spec), **ZONE_1), "MeshRetry")
    assert res.labels["kuma.io/policy-role"] == role


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("MeshTimeout", "targetRef: {kind: Mesh}\nfrom: [{targetRef: {kind: Mesh}, default: {}}]"),
        ("MeshTimeout", "targetRef: {kind: Mesh}\nrules: [{default: {}}]"),
        ("MeshMetric", "targetRef: {kind: Mesh}\ndefault: {}"),
        ("MeshTimeout", "targetRef: {kind: Mesh}\nto: []\nfrom: []"),
        ("MeshTimeout", "targetRef: {kind: Mesh}\nto: []\nfrom: [{targetRef: {kind: Mesh}}]"),
    ],
)
def test_workload_owner_roles(kind: str, spec: str) -> None:
    res = only(load(kube_policy(kind=kind, spec=spec), **ZONE_1), kind)
    assert res.labels["kuma.io/policy-role"] == "workload-owner"


def test_mixing_producer_and_consumer_is_rejected_with_a_located_problem() -> None:
    spec = (
        "targetRef: {kind: Mesh}\n"
        "to:\n"
        "  - targetRef: {kind: MeshService, name: web}\n"
        "  - targetRef: {kind: MeshService, name: db, namespace: other}\n"
    )
    result = load("type: Mesh\nname: default\n---\n" + kube_policy(kind="MeshRetry", spec=spec))
    assert [r.type for r in result.resources] == ["Mesh"]
    [problem] = errors(result)
    assert (problem.file, problem.document, problem.path) == ("in.yaml", 2, "spec.to")
    assert "mix producer and consumer items" in problem.message
    assert problem.resource == "MeshRetry demo/pol"


def test_mixing_to_and_from_is_rejected_in_an_app_namespace_only() -> None:
    spec = (
        "targetRef: {kind: Mesh}\n"
        "to: [{targetRef: {kind: Mesh}, default: {}}]\n"
        "from: [{targetRef: {kind: Mesh}, default: {}}]\n"
    )
    rejected = load(kube_policy(spec=spec), **ZONE_1)
    assert rejected.resources == ()
    assert "mix 'to' and 'from'" in errors(rejected)[0].message
    system = load(kube_policy(namespace="kuma-system", spec=spec), **ZONE_1)
    assert only(system, "MeshTimeout").labels["kuma.io/policy-role"] == "system"


def test_custom_system_namespace() -> None:
    options = {**ZONE_1, "system_namespace": "mesh-system"}
    res = only(load(kube_policy(namespace="mesh-system"), **options), "MeshTimeout")
    assert res.labels["kuma.io/policy-role"] == "system"
    res = only(load(kube_policy(namespace="kuma-system"), **options), "MeshTimeout")
    assert res.labels["kuma.io/policy-role"] == "consumer"


def test_universal_hand_written_role_is_kept_and_used_for_validation() -> None:
    # §2.5 (2.10): the REST API discards its own validation → the label is honoured.
    # §5.3: MeshTimeout top-level MeshGateway is "sys"-only → a consumer may not use it;
    # Universal input is taken as stored, so it loads with a warning.
    result = load(
        """
        type: MeshTimeout
        mesh: default
        name: gw
        labels: {kuma.io/policy-role: consumer}
        spec:
          targetRef: {kind: MeshGateway, name: edge}
          to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s}}]
        """
    )
    res = only(result, "MeshTimeout")
    assert res.labels == {"kuma.io/policy-role": "consumer"}
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert warning.path == "spec.targetRef.kind"
    assert errors(result) == []


def test_kubernetes_policy_breaking_the_support_matrix_is_rejected() -> None:
    # §5.3 MeshTimeout: GW is an "extra for sys" top-level kind.
    spec = "targetRef: {kind: MeshGateway, name: edge}\nto: [{targetRef: {kind: Mesh}}]"
    app = load(kube_policy(spec=spec), **ZONE_1)
    assert app.resources == ()
    assert errors(app)[0].path == "spec.targetRef.kind"
    system = load(kube_policy(namespace="kuma-system", spec=spec), **ZONE_1)
    assert only(system, "MeshTimeout").labels["kuma.io/policy-role"] == "system"


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        # §5.2 MeshService: labels exclusive with name/namespace.
        (
            "targetRef: {kind: Mesh}\nto: [{targetRef: {kind: MeshService, name: a,"
            " labels: {x: y}}}]",
            "spec.to[0].targetRef.labels",
        ),
        # §5.2 Mesh: proxyTypes non-empty if present.
        ("targetRef: {kind: Mesh, proxyTypes: []}\nto: [{targetRef: {kind: Mesh}}]", None),
        # §5.2 Dataplane sectionName only with non-empty from/rules.
        (
            "targetRef: {kind: Dataplane, name: web-1, sectionName: http}\n"
            "to: [{targetRef: {kind: Mesh}}]",
            "spec.targetRef.sectionName",
        ),
        # §5.2 MeshServiceSubset: name required.
        (
            "targetRef: {kind: MeshServiceSubset, tags: {v: '1'}}\nto: [{targetRef: {kind: Mesh}}]",
            "spec.targetRef.name",
        ),
        # §5.3 MeshTimeout with top-level MeshHTTPRoute: to[] only M, MES.
        (
            "targetRef: {kind: MeshHTTPRoute, name: r}\nto: [{targetRef: {kind: MeshService,"
            " name: a}}]",
            "spec.to[0].targetRef.kind",
        ),
    ],
)
def test_targetref_field_rules_in_the_system_namespace(spec: str, path: str | None) -> None:
    result = load(kube_policy(namespace="kuma-system", spec=spec), **ZONE_1)
    assert result.resources == ()
    problems = errors(result)
    assert problems
    if path is not None:
        assert path in [p.path for p in problems]
    assert all((p.file, p.document) == ("in.yaml", 1) for p in problems)


def test_dataplane_section_name_with_from_is_accepted() -> None:
    spec = (
        "targetRef: {kind: Dataplane, name: web-1, sectionName: http}\n"
        "from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 1s}}]"
    )
    assert only(load(kube_policy(spec=spec), **ZONE_1), "MeshTimeout").name == "pol.demo"


# --------------------------------------------------------------------------------------
# context inference (issue 3: "infer it from the resources that carry it and say so")

DP_TEMPLATE = """
apiVersion: kuma.io/v1alpha1
kind: Dataplane
mesh: default
metadata: {{name: {name}, namespace: demo, labels: {labels}}}
spec:
  networking:
    address: 10.0.0.1
    inbound: [{{port: 8080, tags: {tags}}}]
"""


def kube_dp(name: str = "web-1", labels: str = "{}", tags: str = "{kuma.io/service: web}") -> str:
    return DP_TEMPLATE.format(name=name, labels=labels, tags=tags)


def test_zone_inferred_from_dataplane_labels_and_said() -> None:
    text = kube_dp(labels="{kuma.io/zone: east, kuma.io/origin: zone}") + "---\n" + kube_policy()
    result = load(text)
    assert result.control_plane.mode == "zone"
    assert result.control_plane.zone == "east"
    assert only(result, "MeshTimeout").labels["kuma.io/zone"] == "east"
    [note] = notes(result)
    assert "'east'" in note
    assert result.problems[0].message == note  # the note comes first


def test_zone_inferred_from_mesh_services_and_inbound_tags() -> None:
    mesh_service = """
apiVersion: kuma.io/v1alpha1
kind: MeshService
metadata: {name: web, namespace: demo, labels: {kuma.io/zone: west}}
spec:
  ports: [{port: 80}]
"""
    result = load(mesh_service + "---\n" + kube_policy())
    assert result.control_plane.zone == "west"
    tagged = kube_dp(tags="{kuma.io/service: web, kuma.io/zone: north}")
    result = load(tagged + "---\n" + kube_policy())
    assert result.control_plane.zone == "north"
    assert only(result, "Dataplane").labels["kuma.io/zone"] == "north"


def test_no_evidence_means_zone_default_and_a_note() -> None:
    result = load(kube_policy())
    assert (result.control_plane.mode, result.control_plane.zone) == ("zone", "default")
    assert only(result, "MeshTimeout").labels["kuma.io/zone"] == "default"
    assert len(notes(result)) == 1


def test_several_zones_mean_a_global_cp_and_a_note() -> None:
    text = (
        kube_dp("a", labels="{kuma.io/zone: east, kuma.io/origin: zone}")
        + "---\n"
        + kube_dp("b", labels="{kuma.io/zone: west, kuma.io/origin: zone}")
        + "---\n"
        + kube_policy(namespace="kuma-system")
    )
    result = load(text)
    assert result.control_plane.mode == "global"
    res = only(result, "MeshTimeout")
    assert "kuma.io/origin" not in res.labels
    assert "kuma.io/zone" not in res.labels
    assert res.labels["kuma.io/policy-role"] == "system"
    # the guess decided that no origin/zone/env was added: it must be said
    [note] = notes(result)
    assert "global" in note and "east" in note and "west" in note


def test_copies_from_global_are_no_evidence() -> None:
    text = kube_dp(labels="{kuma.io/zone: east, kuma.io/origin: global}") + "---\n" + kube_policy()
    assert load(text).control_plane.zone == "default"


def test_flags_win_and_need_no_note() -> None:
    text = kube_dp(labels="{kuma.io/zone: east}") + "---\n" + kube_policy()
    result = load(text, zone="given")
    assert result.control_plane.zone == "given"
    assert notes(result) == []
    assert load(text, cp_mode="global").control_plane.mode == "global"


def test_universal_only_input_needs_no_note() -> None:
    assert notes(load("type: MeshRetry\nmesh: default\nname: r\nspec: {}\n")) == []


def test_no_note_when_every_object_already_carries_its_context() -> None:
    labels = "{kuma.io/zone: east, kuma.io/origin: zone, kuma.io/env: kubernetes}"
    text = kube_dp(labels=labels) + "---\n" + kube_policy(labels=labels)
    result = load(text)
    assert result.control_plane.zone == "east"
    assert notes(result) == []


# --------------------------------------------------------------------------------------
# YAML edge cases and problem records


def test_multi_document_empty_and_comment_documents_are_skipped_but_counted() -> None:
    result = load(
        """
        # a comment before anything
        ---
        ---
        # only a comment
        ---
        type: MeshRetry
        mesh: default
        name: r
        spec: {}
        ---
        type: MeshRetry
        mesh: default
        name: broken
        spec: {to: 3}
        """
    )
    assert [r.name for r in result.resources] == ["r"]
    [problem] = errors(result)
    # documents: 1 = empty (first ---), 2 = comment only, 3 = r, 4 = broken
    assert (problem.document, problem.path) == (4, "spec.to")


def test_kind_list_items_are_located_by_index() -> None:
    result = load(
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: kuma.io/v1alpha1
            kind: MeshRetry
            metadata: {name: a, namespace: kuma-system}
            spec: {to: [{targetRef: {kind: Mesh}}]}
          - apiVersion: kuma.io/v1alpha1
            kind: MeshRetry
            metadata: {name: b, namespace: kuma-system}
            spec: {to: {}}
          - apiVersion: kuma.io/v1alpha1
            kind: NoSuchKind
            metadata: {name: c, namespace: kuma-system}
        """,
        **ZONE_1,
    )
    assert [r.name for r in result.resources] == ["a.kuma-system"]
    assert sorted((p.document, p.path) for p in errors(result)) == [
        (1, "items[1].spec.to"),
        (1, "items[2].kind"),
    ]


def test_tabs_break_one_file_but_not_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("type: MeshRetry\nmesh: default\nname: ok\nspec: {}\n")
    (tmp_path / "b.yaml").write_text("type: MeshRetry\nmesh: default\nname: t\nspec:\n\tto: []\n")
    documents, read_problems = load_path(tmp_path)
    result = parse_documents(documents, ContextOptions(version=V2_10))
    assert [r.name for r in result.resources] == ["ok"]
    [problem] = read_problems
    assert problem.file.endswith("b.yaml") and problem.document == 1
    assert "line 5" in problem.message


def test_duplicate_keys_last_one_wins_with_a_warning() -> None:
    # sigs.k8s.io/yaml (non-strict YAML → JSON) keeps the last value, as PyYAML does.
    text = "type: MeshRetry\nmesh: default\nname: first\nname: second\nspec: {}\n"
    contents = parse_text(text, "in.yaml")
    assert [(p.severity, p.path) for p in contents.problems] == [("warning", "name")]
    result = parse_documents(contents.documents, ContextOptions())
    assert [r.name for r in result.resources] == ["second"]


def test_timestamps_stay_strings() -> None:
    res = only(
        load(
            """
            type: MeshRetry
            mesh: default
            name: r
            labels: {created: 2024-01-01T00:00:00Z, day: 2024-01-02}
            spec: {}
            """
        ),
        "MeshRetry",
    )
    assert res.labels == {"created": "2024-01-01T00:00:00Z", "day": "2024-01-02"}


@pytest.mark.parametrize("form", ["universal", "kubernetes"])
def test_quoted_dataplane_port_is_a_number_as_protojson_reads_it(form: str) -> None:
    # Dataplane is a protobuf message; protojson accepts a uint32 written as a string.
    body = """
networking:
  address: 10.0.0.1
  inbound:
    - port: "8080"
      servicePort: "80"
      tags: {kuma.io/service: web}
"""
    if form == "universal":
        text = "type: Dataplane\nmesh: default\nname: web-1\n" + body
    else:
        text = (
            "apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmesh: default\n"
            "metadata: {name: web-1, namespace: demo}\nspec:" + textwrap.indent(body, "  ")
        )
    result = load(text, **ZONE_1)
    assert errors(result) == []
    inbound = only(result, "Dataplane").spec["networking"]["inbound"][0]
    assert (inbound["port"], inbound["servicePort"]) == (8080, 80)


def test_quoted_port_of_a_go_struct_kind_is_an_error() -> None:
    # MeshService is a Go struct: `"8080"` does not unmarshal into an integer.
    result = load(
        """
        type: MeshService
        mesh: default
        name: web
        spec:
          ports: [{port: "8080"}]
        """
    )
    assert result.resources == ()
    assert errors(result)[0].path == "spec.ports[0].port"


def test_yes_and_numbers_as_label_values_are_errors_null_is_empty() -> None:
    # YAML 1.1 (Go and PyYAML alike): `yes` is a boolean, `1` a number; labels are
    # map[string]string, so both are rejected (quote them); JSON null → "".
    result = load(kube_policy(labels="{enabled: yes, version: 1}"), **ZONE_1)
    assert result.resources == ()
    assert sorted(p.path for p in errors(result)) == [
        "metadata.labels['enabled']",
        "metadata.labels['version']",
    ]
    quoted = load(kube_policy(labels='{enabled: "yes", version: "1", empty: null}'), **ZONE_1)
    labels = only(quoted, "MeshTimeout").labels
    assert (labels["enabled"], labels["version"], labels["empty"]) == ("yes", "1", "")
    universal = load("type: MeshRetry\nmesh: default\nname: r\nlabels: {on: yes}\nspec: {}\n")
    assert [p.path for p in errors(universal)] == ["labels['true']"]


def test_yes_is_a_boolean_in_a_spec() -> None:
    res = only(
        load(
            """
            type: MeshHealthCheck
            mesh: default
            name: hc
            spec:
              targetRef: {kind: Mesh}
              to:
                - targetRef: {kind: Mesh}
                  default: {interval: 10s, alwaysLogHealthCheckFailures: yes}
            """
        ),
        "MeshHealthCheck",
    )
    assert res.spec["to"][0]["default"]["alwaysLogHealthCheckFailures"] is True


@pytest.mark.parametrize(
    ("spec", "path", "words"),
    [
        ("to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 5parsecs}}]", "idleTimeout", "5"),
        ("to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 5}}]", "idleTimeout", "duration"),
        ("to: [{targetRef: {kind: Mess}}]", "spec.to[0].targetRef.kind", "Mess"),
        ("to: {targetRef: {kind: Mesh}}", "spec.to", "list"),
        ("targetRef: {kind: Mesh, proxyTypes: [Sidecars]}", "proxyTypes[0]", "Sidecars"),
    ],
)
def test_field_errors_name_file_document_and_path(spec: str, path: str, words: str) -> None:
    text = "type: Mesh\nname: default\n---\ntype: MeshTimeout\nmesh: default\nname: t\n"
    result = load(text + "spec: {" + spec.replace("\n", ", ") + "}\n")
    assert [r.type for r in result.resources] == ["Mesh"]
    [problem] = errors(result)
    assert (problem.file, problem.document) == ("in.yaml", 2)
    assert problem.path.endswith(path)
    assert words in problem.message
    assert problem.resource == "MeshTimeout t"


def test_unknown_kind_and_type_are_errors_unmodelled_kuma_kinds_are_notes() -> None:
    result = load(
        """
        apiVersion: kuma.io/v1alpha1
        kind: MeshNoSuch
        metadata: {name: x, namespace: demo}
        ---
        type: NoSuchType
        name: y
        ---
        apiVersion: kuma.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: route-all, namespace: demo}
        spec: {}
        ---
        type: ZoneIngress
        name: zi
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: demo}
        """,
        **ZONE_1,
    )
    assert result.resources == ()
    assert [(p.document, p.path) for p in errors(result)] == [(1, "kind"), (2, "type")]
    assert len([p for p in result.problems if p.severity == "info"]) == 3


def test_wrong_types_of_metadata_fields() -> None:
    result = load(
        """
        type: MeshRetry
        mesh: 7
        name: r
        spec: {}
        ---
        type: MeshRetry
        mesh: default
        name: 8080
        spec: {}
        ---
        apiVersion: kuma.io/v1alpha1
        kind: MeshRetry
        metadata: {name: k, namespace: demo, labels: [a, b]}
        spec: {}
        """,
        **ZONE_1,
    )
    assert result.resources == ()
    assert [(p.document, p.path) for p in errors(result)] == [
        (1, "mesh"),
        (2, "name"),
        (3, "metadata.labels"),
    ]


def test_later_definition_wins_whatever_the_form() -> None:
    # The same store key (MeshRetry default/r) in Kubernetes then Universal form would
    # not collide (k8s names are r.ns); a Universal redefinition replaces the earlier one.
    result = load(
        """
        type: MeshRetry
        mesh: default
        name: r.demo
        labels: {v: universal}
        spec: {to: [{targetRef: {kind: Mesh}}]}
        ---
        apiVersion: kuma.io/v1alpha1
        kind: MeshRetry
        metadata: {name: r, namespace: demo, labels: {v: kube}}
        spec: {to: [{targetRef: {kind: Mesh}}]}
        """,
        **ZONE_1,
    )
    assert only(result, "MeshRetry").labels["v"] == "kube"


def test_schema_defaults_are_applied() -> None:
    # kuma-rules §3.7: backendRefs[].weight defaults to 1.
    res = only(
        load(
            """
            type: MeshHTTPRoute
            mesh: default
            name: route
            spec:
              targetRef: {kind: Mesh}
              to:
                - targetRef: {kind: MeshService, name: web}
                  rules:
                    - matches: [{path: {type: PathPrefix, value: /}}]
                      default:
                        backendRefs: [{kind: MeshService, name: web}]
            """
        ),
        "MeshHTTPRoute",
    )
    backend = res.spec["to"][0]["rules"][0]["default"]["backendRefs"][0]
    assert backend["weight"] == 1


# --------------------------------------------------------------------------------------
# the CLI contract, as a real subprocess

UNIVERSAL_SCENE = """\
type: Mesh
name: default
---
type: Dataplane
mesh: default
name: dp-1
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags: {kuma.io/service: web}
---
type: MeshTimeout
mesh: default
name: timeout
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 30s}
"""

KUBE_SCENE = """\
apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata: {name: default}
---
apiVersion: kuma.io/v1alpha1
kind: Dataplane
mesh: default
metadata: {name: web-1, namespace: demo}
spec:
  networking:
    address: 10.0.0.1
    inbound: [{port: 8080, tags: {kuma.io/service: web}}]
---
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: timeout, namespace: demo}
spec:
  targetRef: {kind: Mesh}
  to: [{targetRef: {kind: Mesh}, default: {idleTimeout: 30s}}]
"""


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if args[:1] == ("inspect",):
        args = (*args, "--kuma-version", "2.10")
    return subprocess.run(
        [str(MESHTUI), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scenes")
    universal = root / "universal.yaml"
    universal.write_text(UNIVERSAL_SCENE)
    kube = root / "kube.yaml"
    kube.write_text(KUBE_SCENE)
    broken = root / "broken"
    broken.mkdir()
    (broken / "good.yaml").write_text(UNIVERSAL_SCENE)
    (broken / "bad.yaml").write_text("type: MeshRetry\nname: [unclosed\n")
    return {"universal": universal, "kube": kube, "broken": broken}


@pytest.mark.parametrize(
    ("scene", "args", "message"),
    [
        ("universal", ["rules", "--mesh", "nope", "--dataplane", "dp-1"], "nope"),
        ("universal", ["rules", "--mesh", "default", "--dataplane", "dp-2"], "dp-2"),
        ("universal", ["policies", "--mesh", "default", "--dataplane", "dp-2", "--type", "mt"], ""),
        ("universal", ["dataplanes", "--mesh", "default", "--policy", "MeshTimeout/nope"], "nope"),
        ("universal", ["dataplanes", "--mesh", "default", "--policy", "MeshNope/timeout"], ""),
        ("universal", ["policies", "--mesh", "default", "--dataplane", "dp-1", "--type", "x"], ""),
        # Kubernetes input, no flags: the inferred-context note must not add a line
        ("kube", ["rules", "--mesh", "default", "--dataplane", "web-1"], "web-1"),
        ("kube", ["dataplanes", "--mesh", "default", "--policy", "mt/timeout"], "timeout"),
    ],
)
def test_not_found_exits_3_with_one_line_on_stderr(
    scenes: dict[str, Path], scene: str, args: list[str], message: str
) -> None:
    proc = run("inspect", args[0], scenes[scene], *args[1:])
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]


def test_missing_path_and_bad_usage_exit_2(scenes: dict[str, Path]) -> None:
    proc = run("inspect", "rules", scenes["universal"].parent / "nope", "--mesh", "default",
               "--dataplane", "dp-1")  # fmt: skip
    assert (proc.returncode, proc.stdout, len(proc.stderr.splitlines())) == (2, "", 1)
    assert run("inspect", "rules", scenes["universal"], "--mesh", "default").returncode == 2


def test_load_problems_go_to_stderr_and_keep_exit_0(scenes: dict[str, Path]) -> None:
    proc = run("inspect", "rules", scenes["broken"], "--mesh", "default", "--dataplane", "dp-1")
    assert proc.returncode == 0
    body = json.loads(proc.stdout)
    assert body["resource"]["name"] == "dp-1"
    assert any("bad.yaml" in line and "warning" in line for line in proc.stderr.splitlines())
    good = run("inspect", "rules", scenes["universal"], "--mesh", "default", "--dataplane", "dp-1")
    assert json.loads(good.stdout) == body
    # clean input: only the note naming the Kuma profile answered as
    assert good.stderr == "meshtui: note: answering as Kuma 2.10.11 (--kuma-version 2.10)\n"


def test_yaml_output_is_the_json_body(scenes: dict[str, Path]) -> None:
    for args in (
        ["rules", "--dataplane", "dp-1"],
        ["dataplanes", "--policy", "MeshTimeout/timeout"],
        ["policies", "--dataplane", "dp-1", "--type", "MeshTimeout"],
    ):
        common: list[str | Path] = [
            "inspect",
            args[0],
            scenes["universal"],
            "--mesh",
            "default",
            *args[1:],
        ]
        as_json = run(*common)
        as_yaml = run(*common, "-o", "yaml")
        assert as_json.returncode == as_yaml.returncode == 0
        assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)


@pytest.mark.parametrize(
    "type_name", ["MeshTimeout", "meshtimeout", "meshtimeouts", "mt", "MT", "MeshTimeouts"]
)
def test_policy_type_by_kind_plural_or_short_name(scenes: dict[str, Path], type_name: str) -> None:
    proc = run("inspect", "dataplanes", scenes["universal"], "--mesh", "default", "--policy",
               f"{type_name}/timeout")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "items": [{"type": "Dataplane", "mesh": "default", "name": "dp-1", "labels": {}}],
        "total": 1,
    }


def test_kubernetes_scene_by_store_name_with_inferred_context(scenes: dict[str, Path]) -> None:
    proc = run("inspect", "policies", scenes["kube"], "--mesh", "default", "--dataplane",
               "web-1.demo", "--type", "meshtimeouts")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "items": [
            {
                "type": "MeshTimeout",
                "mesh": "default",
                "name": "timeout.demo",
                "labels": {
                    "k8s.kuma.io/namespace": "demo",
                    "kuma.io/display-name": "timeout",
                    "kuma.io/env": "kubernetes",
                    "kuma.io/mesh": "default",
                    "kuma.io/origin": "zone",
                    "kuma.io/policy-role": "consumer",
                    "kuma.io/zone": "default",
                },
                "spec": {
                    "targetRef": {"kind": "Mesh"},
                    "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "30s"}}],
                },
            }
        ],
        "total": 1,
    }
    # the profile and the inferred context are said, as notes on stderr
    profile, note = proc.stderr.splitlines()
    assert "answering as Kuma 2.10.11" in profile
    assert "note" in note and "default" in note
    flagged = run("inspect", "policies", scenes["kube"], "--mesh", "default", "--dataplane",
                  "web-1.demo", "--type", "mt", "--zone", "z1", "--env", "kubernetes")  # fmt: skip
    assert flagged.stderr.splitlines() == [
        "meshtui: note: answering as Kuma 2.10.11 (--kuma-version 2.10)"
    ]
    labels = json.loads(flagged.stdout)["items"][0]["labels"]
    assert labels["kuma.io/zone"] == "z1"
