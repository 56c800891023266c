"""`schemas_for(version)`: the Go types of each Kuma line, both sides of each switch.

Each expectation comes from the CRDs of the tag (`crds/facts.json`), spec kuma-2.14.md §7
and §1 M5/M8, and the Go structs named there (`api/common/v1alpha1/match.go`,
`meshtrafficpermission/api/v1alpha1` `Rule`/`RuleConf`).
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.kinds.gojson import apply_defaults, canon, check
from meshtui.kinds.gotypes import NO_DEFAULT, Field, GoType, List, Map, Ptr, Scalar, Struct
from meshtui.kinds.schemas import POLICY_CONFS, POLICY_SPECS, RESOURCE_SPECS, schemas_for
from meshtui.versions import KumaVersion

V = {line: KumaVersion.profile(line) for line in ("2.10", "2.11", "2.12", "2.13", "2.14")}


def _field(struct: Struct, dotted: str) -> Field:
    current: GoType = struct
    found: Field | None = None
    for part in dotted.split("."):
        while isinstance(current, Ptr | List | Map):
            current = current.elem
        assert isinstance(current, Struct), f"{dotted}: {part} is below a non-struct"
        found = current.field(part)
        assert found is not None, f"{current.name} has no field {part!r}"
        current = found.type
    assert found is not None
    return found


def _has(struct: Struct, dotted: str) -> bool:
    try:
        _field(struct, dotted)
    except AssertionError:
        return False
    return True


def _struct(type_: GoType) -> Struct:
    while isinstance(type_, Ptr | List | Map):
        type_ = type_.elem
    assert isinstance(type_, Struct)
    return type_


# -- registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["2.10", "2.11"])
def test_2_10_and_2_11_use_the_module_level_2_10_tables_themselves(line: str) -> None:
    schemas = schemas_for(V[line])
    for kind, spec in POLICY_SPECS.items():
        assert schemas.policy_specs[kind] is spec, kind
        assert schemas.policy_confs[kind] is POLICY_CONFS[kind], kind
    assert dict(schemas.resource_specs) == RESOURCE_SPECS
    assert all(schemas.resource_specs[k] is v for k, v in RESOURCE_SPECS.items())
    assert schemas.match is None


def test_schemas_are_memoised_per_set_of_facts() -> None:
    assert schemas_for(V["2.14"]) is schemas_for(KumaVersion(2, 14, 0))
    assert schemas_for(V["2.10"]) is schemas_for(V["2.11"])
    assert schemas_for(V["2.12"]) is not schemas_for(V["2.13"])


def test_rules_confs_are_the_kind_conf_except_traffic_permission() -> None:
    for line in ("2.10", "2.14"):
        schemas = schemas_for(V[line])
        for kind, conf in schemas.rule_confs.items():
            if kind != "MeshTrafficPermission":
                assert conf is schemas.policy_confs[kind], (line, kind)
                assert schemas.conf(kind, "rules") is schemas.conf(kind, "to")
    assert set(schemas_for(V["2.11"]).rule_confs) == {
        "MeshAccessLog",
        "MeshCircuitBreaker",
        "MeshRateLimit",
        "MeshTLS",
        "MeshTimeout",
    }
    assert set(schemas_for(V["2.14"]).rule_confs) - set(schemas_for(V["2.11"]).rule_confs) == {
        "MeshTrafficPermission",
        "MeshFaultInjection",
    }


def test_spec_finds_policies_and_resources_of_the_line_only() -> None:
    assert schemas_for(V["2.10"]).spec("MeshTimeout") is POLICY_SPECS["MeshTimeout"]
    assert schemas_for(V["2.10"]).spec("Dataplane") is RESOURCE_SPECS["Dataplane"]
    assert schemas_for(V["2.11"]).spec("MeshIdentity") is None
    assert schemas_for(V["2.12"]).spec("MeshIdentity") is not None


# -- Match ---------------------------------------------------------------------------------


def test_match_is_spiffe_id_only_until_2_13_and_gains_sni_in_2_14() -> None:
    assert schemas_for(V["2.11"]).match is None
    for line in ("2.12", "2.13"):
        match = schemas_for(V[line]).match
        assert match is not None
        assert [f.json for f in match.fields] == ["spiffeID"]
    match = schemas_for(V["2.14"]).match
    assert match is not None
    assert [f.json for f in match.fields] == ["spiffeID", "sni"]
    for part in (_struct(f.type) for f in match.fields):
        assert [(f.json, f.required, f.omitempty) for f in part.fields] == [
            ("type", True, False),
            ("value", True, False),
        ]
    assert _field(match, "spiffeID.type").type == Scalar("string", enum=("Exact", "Prefix"))
    assert _field(match, "sni.type").type == Scalar("string", enum=("Exact",))
    assert all(isinstance(f.type, Ptr) and f.omitempty for f in match.fields)
    assert canon({"sni": {"type": "Exact", "value": "a.b"}}, match) == {
        "sni": {"type": "Exact", "value": "a.b"}
    }


# -- MeshTrafficPermission -----------------------------------------------------------------


def test_traffic_permission_rules_arrive_in_2_12() -> None:
    assert schemas_for(V["2.11"]).policy_specs["MeshTrafficPermission"].field("rules") is None
    spec = schemas_for(V["2.12"]).policy_specs["MeshTrafficPermission"]
    rules = spec.field("rules")
    assert rules is not None and isinstance(rules.type, Ptr) and rules.omitempty
    rule = _struct(rules.type)
    default = rule.field("default")
    assert default is not None and default.required and not default.omitempty
    conf = schemas_for(V["2.12"]).conf("MeshTrafficPermission", "rules")
    assert default.type is conf
    assert [f.json for f in conf.fields] == ["deny", "allowWithShadowDeny", "allow"]
    assert all(f.omitempty and isinstance(f.type, Ptr) for f in conf.fields)
    assert _struct(conf.fields[0].type) is schemas_for(V["2.12"]).match
    # the `from[]` conf is still `{action}`
    assert (
        schemas_for(V["2.12"]).conf("MeshTrafficPermission", "from")
        is POLICY_CONFS["MeshTrafficPermission"]
    )


def test_traffic_permission_rule_conf_marshals_like_go() -> None:
    conf = schemas_for(V["2.14"]).conf("MeshTrafficPermission", "rules")
    value = {
        "allow": [{"spiffeID": {"type": "Prefix", "value": "spiffe://m/"}}],
        "deny": [],
        "extra": 1,
    }
    # *[]Match with omitempty: an empty non-nil slice is kept, absent lists are left out;
    # Go field order, unknown keys dropped.
    assert list(canon(value, conf)) == ["deny", "allow"]
    assert canon(value, conf)["deny"] == []


def test_traffic_permission_from_and_rules_are_pointer_slices_from_2_12() -> None:
    old = POLICY_SPECS["MeshTrafficPermission"]
    new = schemas_for(V["2.12"]).policy_specs["MeshTrafficPermission"]
    assert canon({"from": []}, old) == {}
    assert canon({"from": [], "rules": []}, new) == {"from": [], "rules": []}


def test_traffic_permission_match_checks_its_enum() -> None:
    spec = schemas_for(V["2.12"]).policy_specs["MeshTrafficPermission"]
    found = check(
        {"rules": [{"default": {"allow": [{"spiffeID": {"type": "Regex", "value": "x"}}]}}]},
        spec,
        "spec",
    )
    assert [p.path for p in found] == ["spec.rules[0].default.allow[0].spiffeID.type"]
    assert check({"rules": [{}]}, spec, "spec")[0].path == "spec.rules[0].default"


# -- rules[].matches -----------------------------------------------------------------------


def test_fault_injection_rules_with_matches_arrive_in_2_13() -> None:
    assert schemas_for(V["2.12"]).policy_specs["MeshFaultInjection"].field("rules") is None
    spec = schemas_for(V["2.13"]).policy_specs["MeshFaultInjection"]
    rule = _struct(_field(spec, "rules").type)
    assert [f.json for f in rule.fields] == ["matches", "default"]
    assert _struct(_field(spec, "rules.matches").type) is schemas_for(V["2.13"]).match
    assert _field(spec, "rules.default").type is POLICY_CONFS["MeshFaultInjection"]
    assert _field(spec, "rules.default").required
    assert _has(schemas_for(V["2.14"]).policy_specs["MeshFaultInjection"], "rules.matches.sni")


@pytest.mark.parametrize("kind", ["MeshTimeout", "MeshAccessLog", "MeshRateLimit"])
def test_rule_matches_arrive_in_2_14(kind: str) -> None:
    assert not _has(schemas_for(V["2.13"]).policy_specs[kind], "rules.matches")
    spec = schemas_for(V["2.14"]).policy_specs[kind]
    matches = _field(spec, "rules.matches")
    assert isinstance(matches.type, Ptr) and matches.omitempty
    assert _struct(matches.type) is schemas_for(V["2.14"]).match
    assert _field(spec, "rules.default").type is schemas_for(V["2.14"]).conf(kind, "rules")


@pytest.mark.parametrize("kind", ["MeshCircuitBreaker", "MeshTLS"])
def test_rules_without_matches_stay_so(kind: str) -> None:
    assert not _has(schemas_for(V["2.14"]).policy_specs[kind], "rules.matches")
    assert schemas_for(V["2.14"]).policy_specs[kind] is POLICY_SPECS[kind]


# -- MeshLoadBalancingStrategy -------------------------------------------------------------


def test_hash_policies_join_the_conf_in_2_12() -> None:
    assert POLICY_CONFS["MeshLoadBalancingStrategy"].field("hashPolicies") is None
    assert (
        schemas_for(V["2.11"]).conf("MeshLoadBalancingStrategy")
        is POLICY_CONFS["MeshLoadBalancingStrategy"]
    )
    conf = schemas_for(V["2.12"]).conf("MeshLoadBalancingStrategy")
    assert [f.json for f in conf.fields] == ["localityAwareness", "loadBalancer", "hashPolicies"]
    spec = schemas_for(V["2.12"]).policy_specs["MeshLoadBalancingStrategy"]
    assert _field(spec, "to.default").type is conf
    policy = _field(spec, "to.default.hashPolicies.type")
    assert "Connection" in _scalar_enum(policy)
    assert canon({"hashPolicies": [{"type": "SourceIP"}], "loadBalancer": None}, conf) == {
        "hashPolicies": [{"type": "SourceIP"}]
    }


def _scalar_enum(f: Field) -> tuple[str, ...]:
    type_ = f.type.elem if isinstance(f.type, Ptr) else f.type
    assert isinstance(type_, Scalar)
    return type_.enum


# -- OpenTelemetry backendRef --------------------------------------------------------------

_OTEL = {
    "MeshAccessLog": "backends.openTelemetry",
    "MeshTrace": "backends.openTelemetry",
    "MeshMetric": "backends.openTelemetry",
}


@pytest.mark.parametrize("kind", sorted(_OTEL))
def test_otel_endpoint_is_required_until_2_13(kind: str) -> None:
    conf = schemas_for(V["2.13"]).conf(kind)
    assert conf is POLICY_CONFS[kind]
    endpoint = _field(conf, _OTEL[kind] + ".endpoint")
    assert endpoint.required and endpoint.default is NO_DEFAULT
    assert not _has(conf, _OTEL[kind] + ".backendRef")


@pytest.mark.parametrize("kind", sorted(_OTEL))
def test_otel_backend_ref_in_2_14_with_an_optional_endpoint(kind: str) -> None:
    schemas = schemas_for(V["2.14"])
    conf = schemas.conf(kind)
    endpoint = _field(conf, _OTEL[kind] + ".endpoint")
    assert not endpoint.required and not endpoint.omitempty and endpoint.default == ""
    ref = _struct(_field(conf, _OTEL[kind] + ".backendRef").type)
    assert [(f.json, f.required) for f in ref.fields] == [("kind", True), ("labels", False)]
    backend: dict[str, Any] = {
        "type": "OpenTelemetry",
        "openTelemetry": {"backendRef": {"kind": "MeshOpenTelemetryBackend", "labels": {"a": "b"}}},
    }
    # The CRD default fills `endpoint`; Go prints the plain string even when empty.
    defaulted = apply_defaults({"backends": [backend]}, conf)
    assert defaulted["backends"][0]["openTelemetry"]["endpoint"] == ""
    printed = canon(defaulted, conf)["backends"][0]["openTelemetry"]
    assert printed["endpoint"] == ""
    assert printed["backendRef"] == {"kind": "MeshOpenTelemetryBackend", "labels": {"a": "b"}}
    spec = schemas.policy_specs[kind]
    path = ("to.default." if kind == "MeshAccessLog" else "default.") + _OTEL[kind] + ".backendRef"
    assert _has(spec, path)
    bad = {"kind": "MeshService"}
    assert check(bad, ref, "ref")[0].path == "ref.kind"


# -- resources -----------------------------------------------------------------------------


def test_dataplane_listeners_and_inbound_protocol_arrive_in_2_14() -> None:
    old = schemas_for(V["2.13"]).resource_specs["Dataplane"]
    assert not _has(old, "networking.listeners")
    assert not _has(old, "networking.inbound.protocol")
    new = schemas_for(V["2.14"]).resource_specs["Dataplane"]
    listener = _struct(_field(new, "networking.listeners").type)
    assert [f.json for f in listener.fields] == ["type", "address", "port", "name", "state"]
    assert _scalar_enum(_field(new, "networking.listeners.type")) == ("ZoneIngress", "ZoneEgress")
    assert _scalar_enum(_field(new, "networking.listeners.state")) == ("Ready", "NotReady")
    assert _field(new, "networking.inbound.protocol").type == Scalar("string")
    # everything 2.10 had is still there
    for path in ("networking.inbound.name", "networking.outbound.backendRef.port", "probes"):
        assert _has(new, path), path


def test_reachable_backends_are_typed_from_2_12() -> None:
    assert _field(RESOURCE_SPECS["Dataplane"], "networking.transparentProxying").type == Scalar(
        "json"
    )
    assert schemas_for(V["2.11"]).resource_specs["Dataplane"] is RESOURCE_SPECS["Dataplane"]
    new = schemas_for(V["2.12"]).resource_specs["Dataplane"]
    ref = _struct(_field(new, "networking.transparentProxying.reachableBackends.refs").type)
    assert [f.json for f in ref.fields] == ["kind", "name", "namespace", "port", "labels"]
    assert not _has(new, "networking.listeners")


def test_mesh_service_identity_types_and_dataplane_labels() -> None:
    enum_of = {
        line: _scalar_enum(_field(schemas_for(V[line]).resource_specs["MeshService"], path))
        for line, path in (("2.11", "identities.type"), ("2.12", "identities.type"))
    }
    assert enum_of == {"2.11": ("ServiceTag",), "2.12": ("ServiceTag", "SpiffeID")}
    assert not _has(
        schemas_for(V["2.13"]).resource_specs["MeshService"], "selector.dataplaneLabels"
    )
    assert _has(
        schemas_for(V["2.14"]).resource_specs["MeshService"], "selector.dataplaneLabels.matchLabels"
    )
    for path in ("ports.name", "ports.appProtocol"):
        assert _has(RESOURCE_SPECS["MeshService"], path)


def test_external_service_endpoint_priority_in_2_14_only() -> None:
    assert not _has(
        schemas_for(V["2.13"]).resource_specs["MeshExternalService"], "endpoints.priority"
    )
    mes = schemas_for(V["2.14"]).resource_specs["MeshExternalService"]
    assert check(
        {"match": {"port": 80}, "endpoints": [{"address": "a", "priority": 129}]}, mes, "s"
    )
    assert _has(mes, "match.protocol") and _has(mes, "match.port")


def test_external_service_verification_gets_its_defaults() -> None:
    mes = RESOURCE_SPECS["MeshExternalService"]
    value = {"match": {"port": 443}, "tls": {"verification": {"subjectAltNames": [{"value": "a"}]}}}
    verification = apply_defaults(value, mes)["tls"]["verification"]
    assert verification == {"mode": "Secured", "subjectAltNames": [{"type": "Exact", "value": "a"}]}


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        ("2.11", set()),
        ("2.12", {"MeshIdentity", "MeshTrust"}),
        ("2.13", {"MeshIdentity", "MeshTrust", "Workload"}),
        (
            "2.14",
            {
                "MeshIdentity",
                "MeshTrust",
                "Workload",
                "MeshOpenTelemetryBackend",
                "MeshZoneAddress",
            },
        ),
    ],
)
def test_new_kinds_have_schemas_on_their_lines(line: str, kinds: set[str]) -> None:
    assert set(schemas_for(V[line]).resource_specs) - set(RESOURCE_SPECS) == kinds


def test_mesh_identity_provider_per_line() -> None:
    def identity(line: str) -> Struct:
        return schemas_for(V[line]).resource_specs["MeshIdentity"]

    assert identity("2.12").field("provider") is not None
    assert [p.path for p in check({}, identity("2.12"), "spec")] == ["spec.provider"]
    assert check({}, identity("2.13"), "spec") == []
    extension = {"provider": {"type": "Extension"}}
    assert check(extension, identity("2.13"), "spec")[0].path == "spec.provider.type"
    assert check(extension, identity("2.14"), "spec") == []
    assert _has(identity("2.14"), "selector.dataplane.matchLabels")


def test_open_telemetry_backend_env_defaults() -> None:
    motb = schemas_for(V["2.14"]).resource_specs["MeshOpenTelemetryBackend"]
    assert apply_defaults({"env": {}}, motb) == {
        "env": {"mode": "Optional", "precedence": "EnvFirst"}
    }
    assert apply_defaults({}, motb) == {}


def test_zone_address_requires_a_port_in_range() -> None:
    mza = schemas_for(V["2.14"]).resource_specs["MeshZoneAddress"]
    assert [p.path for p in check({"port": 0}, mza, "s")] == ["s.port", "s.address"]
