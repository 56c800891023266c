"""`parse_documents` follows `ContextOptions.version`: known kinds, schemas, validation
(errors for Kubernetes form, warnings for Universal), deprecations (always warnings) and
roles, each on both sides of its switch."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from meshtui.model import Problem, Resource, SourceRef
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.raw import RawDocument
from meshtui.sources.files import load_path
from meshtui.versions import KumaVersion

V = {line: KumaVersion.profile(line) for line in ("2.10", "2.11", "2.12", "2.13", "2.14")}
SAMPLE = Path(__file__).resolve().parents[2] / "sample-cluster"


def parse(line: str, *bodies: dict[str, Any]) -> ParseResult:
    documents = [RawDocument(SourceRef("in.yaml", i + 1), body) for i, body in enumerate(bodies)]
    return parse_documents(documents, ContextOptions(zone="zone-1", version=V[line]))


def kube(kind: str, name: str, spec: dict[str, Any], namespace: str = "kuma-system") -> Any:
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {"kuma.io/mesh": "default"}},
        "spec": spec,
    }


def found(result: ParseResult, kind: str) -> list[Resource]:
    return [res for res in result.resources if res.type == kind]


def messages(result: ParseResult, severity: str) -> list[str]:
    return [p.message for p in result.problems if p.severity == severity]


def not_info(result: ParseResult) -> list[Problem]:
    return [p for p in result.problems if p.severity != "info"]


IDENTITY = {
    "selector": {"dataplane": {"matchLabels": {"app": "web"}}},
    "spiffeID": {"trustDomain": "default.zone-1.mesh.local"},
    "provider": {"type": "Bundled", "bundled": {"autogenerate": {"enabled": True}}},
}


# -- kinds ---------------------------------------------------------------------------------


def test_a_mesh_identity_is_a_known_kind_from_2_12() -> None:
    before = parse("2.11", kube("MeshIdentity", "identity", IDENTITY))
    assert found(before, "MeshIdentity") == []
    assert messages(before, "warning") == [
        "ignored MeshIdentity identity: Kuma 2.11.18 has no such kind (a later release added it)"
    ]
    after = parse("2.12", kube("MeshIdentity", "identity", IDENTITY))
    assert not_info(after) == []
    (identity,) = found(after, "MeshIdentity")
    assert identity.name == "identity.kuma-system"
    assert identity.spec == IDENTITY
    assert identity.labels["kuma.io/zone"] == "zone-1"
    assert identity.labels["k8s.kuma.io/namespace"] == "kuma-system"
    assert "kuma.io/policy-role" not in identity.labels


def test_a_mesh_identity_without_provider_is_valid_from_2_13() -> None:
    spec = {"selector": IDENTITY["selector"]}
    assert messages(parse("2.12", kube("MeshIdentity", "i", spec)), "error") == ["is required"]
    assert not_info(parse("2.13", kube("MeshIdentity", "i", spec))) == []


def test_universal_new_kinds_follow_the_line() -> None:
    body = {"type": "MeshZoneAddress", "mesh": "default", "name": "a", "spec": {"address": "x"}}
    assert messages(parse("2.13", body), "warning") == [
        "ignored MeshZoneAddress a: Kuma 2.13.10 has no such kind (a later release added it)"
    ]
    # the 2.14 schema applies: `port` is required
    assert messages(parse("2.14", body), "error") == ["is required"]
    ok = {**body, "spec": {"address": "x", "port": 10001}}
    (address,) = found(parse("2.14", ok), "MeshZoneAddress")
    assert address.spec == {"address": "x", "port": 10001}


def test_open_telemetry_backend_gets_its_crd_defaults() -> None:
    spec = {"endpoint": {"address": "otel", "port": 4317}, "env": {}}
    (backend,) = found(
        parse("2.14", kube("MeshOpenTelemetryBackend", "otel", spec)), "MeshOpenTelemetryBackend"
    )
    assert backend.spec["env"] == {"mode": "Optional", "precedence": "EnvFirst"}


def test_workload_from_2_13() -> None:
    assert found(parse("2.12", kube("Workload", "web", {}, namespace="web")), "Workload") == []
    (workload,) = found(parse("2.13", kube("Workload", "web", {}, namespace="web")), "Workload")
    assert workload.name == "web.web"


# -- schemas -------------------------------------------------------------------------------


def _dataplane(networking: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Dataplane", "mesh": "default", "name": "dp-1", "networking": networking}


def test_dataplane_listeners_are_typed_from_2_14() -> None:
    listener = {"type": "ZoneIngress", "port": "10001", "name": "zi", "state": "Ready"}
    networking = {"address": "10.0.0.1", "listeners": [listener]}
    (older,) = found(parse("2.13", _dataplane(networking)), "Dataplane")
    assert older.spec["networking"]["listeners"] == [listener]  # kept as written
    (newer,) = found(parse("2.14", _dataplane(networking)), "Dataplane")
    # protojson reads a quoted integer field as a number
    assert newer.spec["networking"]["listeners"][0]["port"] == 10001
    bad = _dataplane({"listeners": [{**listener, "type": "Gateway"}]})
    assert [p.path for p in parse("2.14", bad).problems if p.severity == "error"] == [
        "networking.listeners[0].type"
    ]
    assert not_info(parse("2.13", bad)) == []


def test_reachable_backend_ports_are_read_as_protojson_from_2_12() -> None:
    refs = [{"kind": "MeshService", "name": "backend", "port": "8080"}]
    networking = {
        "address": "10.0.0.1",
        "transparentProxying": {"reachableBackends": {"refs": refs}},
    }
    (older,) = found(parse("2.11", _dataplane(networking)), "Dataplane")
    assert older.spec["networking"]["transparentProxying"]["reachableBackends"]["refs"] == refs
    (newer,) = found(parse("2.12", _dataplane(networking)), "Dataplane")
    port = newer.spec["networking"]["transparentProxying"]["reachableBackends"]["refs"][0]["port"]
    assert port == 8080


def test_otel_backend_ref_is_defaulted_and_valid_only_from_2_14() -> None:
    otel = {"backendRef": {"kind": "MeshOpenTelemetryBackend", "labels": {"name": "otel"}}}
    spec = {
        "targetRef": {"kind": "Mesh"},
        "default": {"backends": [{"type": "OpenTelemetry", "openTelemetry": otel}]},
    }
    before = parse("2.13", kube("MeshTrace", "tracing", spec))
    assert [p.path for p in before.problems if p.severity == "error"] == [
        "spec.default.backends[0].openTelemetry.endpoint"
    ]
    (trace,) = found(parse("2.14", kube("MeshTrace", "tracing", spec)), "MeshTrace")
    assert trace.spec["default"]["backends"][0]["openTelemetry"] == {**otel, "endpoint": ""}


def test_match_fields_are_checked_where_the_line_has_them() -> None:
    rules = [{"matches": [{"spiffeID": {"type": "Regex", "value": "x"}}], "default": {}}]
    spec = {"targetRef": {"kind": "Mesh"}, "rules": rules}
    assert not_info(parse("2.13", kube("MeshTimeout", "t", spec))) == []
    after = parse("2.14", kube("MeshTimeout", "t", spec))
    assert [p.path for p in after.problems if p.severity == "error"] == [
        "spec.rules[0].matches[0].spiffeID.type"
    ]


# -- validation and deprecations -----------------------------------------------------------


MTP_RULES = {
    "targetRef": {"kind": "Mesh"},
    "rules": [{"default": {"allow": [{"spiffeID": {"type": "Exact", "value": "spiffe://a"}}]}}],
}


def test_kubernetes_policies_the_line_rejects_are_errors_and_not_loaded() -> None:
    before = parse("2.11", kube("MeshTrafficPermission", "allow", MTP_RULES))
    assert found(before, "MeshTrafficPermission") == []
    assert messages(before, "error") == [
        "rejected by Kuma's validation: MeshTrafficPermission does not support rules with this"
        " top-level targetRef"
    ]
    after = parse("2.12", kube("MeshTrafficPermission", "allow", MTP_RULES))
    assert not_info(after) == []
    (mtp,) = found(after, "MeshTrafficPermission")
    assert mtp.spec == MTP_RULES


def test_universal_policies_the_line_rejects_are_kept_with_a_warning() -> None:
    body = {"type": "MeshTrafficPermission", "mesh": "default", "name": "allow", "spec": MTP_RULES}
    before = parse("2.11", body)
    assert len(found(before, "MeshTrafficPermission")) == 1
    assert messages(before, "warning") == [
        "Kuma's validation would reject this on write: MeshTrafficPermission does not support"
        " rules with this top-level targetRef"
    ]
    assert not_info(parse("2.12", body)) == []


def test_deprecations_are_warnings_and_the_policy_loads() -> None:
    spec = {
        "targetRef": {"kind": "Mesh"},
        "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}],
    }
    assert not_info(parse("2.13", kube("MeshTrafficPermission", "allow", spec))) == []
    after = parse("2.14", kube("MeshTrafficPermission", "allow", spec))
    assert len(found(after, "MeshTrafficPermission")) == 1
    (warning,) = not_info(after)
    assert (warning.severity, warning.path, warning.message) == (
        "warning",
        "spec.from",
        "Kuma warns on write: 'from' field is deprecated, use 'rules' instead",
    )
    assert warning.resource == "MeshTrafficPermission kuma-system/allow"
    universal = {"type": "MeshTrafficPermission", "mesh": "default", "name": "allow", "spec": spec}
    (warning,) = not_info(parse("2.14", universal))
    assert warning.message.startswith("Kuma warns on write:")


def test_the_role_label_follows_the_line() -> None:
    spec = {
        "targetRef": {"kind": "Mesh"},
        "to": [
            {"targetRef": {"kind": "MeshHTTPRoute", "name": "r"}, "default": {"idleTimeout": "1s"}}
        ],
    }
    (before,) = found(parse("2.11", kube("MeshTimeout", "t", spec, namespace="web")), "MeshTimeout")
    assert before.labels["kuma.io/policy-role"] == "producer"
    # 2.10 has no to: MeshHTTPRoute, so the policy is rejected before its role matters
    assert messages(parse("2.10", kube("MeshTimeout", "t", spec, namespace="web")), "error")


# -- the sample cluster --------------------------------------------------------------------


@cache
def _sample() -> list[RawDocument]:
    documents, problems = load_path(SAMPLE)
    assert problems == []
    return documents


def test_the_sample_loads_the_same_resources_at_2_10_and_2_14_with_deprecations_only() -> None:
    old = parse_documents(_sample(), ContextOptions(version=V["2.10"]))
    new = parse_documents(_sample(), ContextOptions(version=V["2.14"]))
    assert [r.key for r in old.resources] == [r.key for r in new.resources]
    assert not_info(old) == []
    assert sorted((p.file.rsplit("/", 1)[-1], p.path, p.severity) for p in not_info(new)) == [
        ("allow-all-shop.yaml", "spec.from", "warning"),
        ("legacy-with-timeout.yaml", "spec.targetRef.kind", "warning"),
        ("mtp.yaml", "spec.from", "warning"),
        ("payments-allow-orders.yaml", "spec.from", "warning"),
    ]
