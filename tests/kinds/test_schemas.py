"""Facts about the Kuma 2.10.11 schema tables in `meshtui.kinds.schemas`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meshtui.kinds.gotypes import NO_DEFAULT, Field, GoType, List, Map, Ptr, Scalar, Struct
from meshtui.kinds.schemas import POLICY_CONFS, POLICY_SPECS, RESOURCE_SPECS
from meshtui.kinds.schemas.common import BACKEND_REF, TARGET_REF

POLICY_KINDS = {
    "MeshAccessLog",
    "MeshCircuitBreaker",
    "MeshFaultInjection",
    "MeshHealthCheck",
    "MeshHTTPRoute",
    "MeshLoadBalancingStrategy",
    "MeshMetric",
    "MeshPassthrough",
    "MeshProxyPatch",
    "MeshRateLimit",
    "MeshRetry",
    "MeshTCPRoute",
    "MeshTimeout",
    "MeshTLS",
    "MeshTrace",
    "MeshTrafficPermission",
}

SECTIONS = {
    "MeshAccessLog": {"to", "from", "rules"},
    "MeshCircuitBreaker": {"to", "from", "rules"},
    "MeshFaultInjection": {"from", "to"},
    "MeshHealthCheck": {"to"},
    "MeshHTTPRoute": {"to"},
    "MeshLoadBalancingStrategy": {"to"},
    "MeshMetric": {"default"},
    "MeshPassthrough": {"default"},
    "MeshProxyPatch": {"default"},
    "MeshRateLimit": {"from", "to", "rules"},
    "MeshRetry": {"to"},
    "MeshTCPRoute": {"to"},
    "MeshTimeout": {"to", "from", "rules"},
    "MeshTLS": {"from", "rules"},
    "MeshTrace": {"default"},
    "MeshTrafficPermission": {"from"},
}
"""2.10 policy catalogue (kuma-matching.md §5.1)."""


def _unwrap(type_: GoType) -> GoType:
    while isinstance(type_, Ptr | List | Map):
        type_ = type_.elem
    return type_


def _struct(type_: GoType) -> Struct:
    inner = _unwrap(type_)
    assert isinstance(inner, Struct), f"{type_!r} is not a struct type"
    return inner


def _walk(struct: Struct, path: str = "") -> Iterator[tuple[str, Field]]:
    """Every field reachable from `struct`, with a dotted JSON path (lists marked `[]`)."""
    for f in struct.flat_fields():
        here = f"{path}.{f.json}" if path else f.json
        yield here, f
        inner = f.type
        suffix = ""
        while isinstance(inner, Ptr | List | Map):
            if isinstance(inner, List | Map):
                suffix += "[]"
            inner = inner.elem
        if isinstance(inner, Struct) and inner is not struct:
            yield from _walk(inner, here + suffix)


def _field(struct: Struct, dotted: str) -> Field:
    current = struct
    found: Field | None = None
    for part in dotted.split("."):
        found = current.field(part)
        assert found is not None, f"{current.name} has no field {part!r}"
        inner = _unwrap(found.type)
        if isinstance(inner, Struct):
            current = inner
    assert found is not None
    return found


def _scalar(f: Field) -> Scalar:
    inner = _unwrap(f.type)
    assert isinstance(inner, Scalar)
    return inner


def test_all_sixteen_kinds_have_spec_and_conf() -> None:
    assert set(POLICY_SPECS) == POLICY_KINDS
    assert set(POLICY_CONFS) == POLICY_KINDS
    for kind in POLICY_KINDS:
        assert POLICY_SPECS[kind].name == kind


@pytest.mark.parametrize("kind", sorted(POLICY_KINDS))
def test_sections_match_the_2_10_catalogue(kind: str) -> None:
    spec = POLICY_SPECS[kind]
    present = {f.json for f in spec.fields} & {"to", "from", "rules", "default"}
    assert present == SECTIONS[kind]
    target_ref = spec.field("targetRef")
    assert target_ref is not None and isinstance(target_ref.type, Ptr)
    assert target_ref.omitempty and not target_ref.required
    assert target_ref.type.elem is TARGET_REF


@pytest.mark.parametrize("kind", sorted(POLICY_KINDS))
def test_every_item_default_is_the_conf(kind: str) -> None:
    spec, conf = POLICY_SPECS[kind], POLICY_CONFS[kind]
    for section in ("to", "from", "rules"):
        items = spec.field(section)
        if items is None:
            continue
        assert isinstance(items.type, List)
        item = _struct(items.type)
        default = item.field("default")
        if kind in ("MeshHTTPRoute", "MeshTCPRoute"):
            assert default is None  # routes carry rules, not a default
            continue
        assert default is not None, f"{kind}.{section}[] has no default"
        assert default.type is conf
        if section != "rules":
            target_ref = item.field("targetRef")
            assert target_ref is not None and target_ref.type is TARGET_REF
            assert target_ref.required and not target_ref.omitempty


@pytest.mark.parametrize("kind", ["MeshMetric", "MeshPassthrough", "MeshProxyPatch", "MeshTrace"])
def test_single_item_policies_have_a_top_level_default_of_the_conf_type(kind: str) -> None:
    default = POLICY_SPECS[kind].field("default")
    assert default is not None
    assert default.type is POLICY_CONFS[kind]


def test_exactly_three_append_fields() -> None:
    found = {
        (kind, path) for kind, conf in POLICY_CONFS.items() for path, f in _walk(conf) if f.appends
    }
    assert found == {
        ("MeshProxyPatch", "appendModifications"),
        ("MeshMetric", "sidecar.profiles.appendProfiles"),
        ("MeshPassthrough", "appendMatch"),
    }


def test_append_fields_are_lists_reached_without_lists() -> None:
    for kind, path in [
        ("MeshProxyPatch", "appendModifications"),
        ("MeshMetric", "sidecar.profiles.appendProfiles"),
        ("MeshPassthrough", "appendMatch"),
    ]:
        f = _field(POLICY_CONFS[kind], path)
        inner = f.type.elem if isinstance(f.type, Ptr) else f.type
        assert isinstance(inner, List), f"{kind} {path}"
        assert f.omitempty


def test_policy_merge_tags_exist_only_on_meshhttproute() -> None:
    tagged = {
        (kind, path, f.policy_merge)
        for kind, conf in POLICY_CONFS.items()
        for path, f in _walk(conf)
        if f.policy_merge
    }
    assert tagged == {
        ("MeshHTTPRoute", "rules", "mergeValuesByKey"),
        ("MeshHTTPRoute", "rules[].matches", "mergeKey"),
        ("MeshHTTPRoute", "hostnames", "mergeValues"),
    }


def test_meshhttproute_conf_is_policy_default() -> None:
    conf = POLICY_CONFS["MeshHTTPRoute"]
    assert conf.name == "PolicyDefault"
    assert [f.json for f in conf.fields] == ["rules", "hostnames"]
    matches = _field(conf, "rules.matches")
    assert not matches.omitempty and matches.required
    rule_default = _field(conf, "rules.default")
    assert [f.json for f in _struct(rule_default.type).fields] == ["filters", "backendRefs"]


def test_backend_ref_weight_defaults_to_one_and_inlines_the_target_ref() -> None:
    backend_refs = _field(POLICY_CONFS["MeshHTTPRoute"], "rules.default.backendRefs")
    assert _struct(backend_refs.type) is BACKEND_REF
    weight = BACKEND_REF.field("weight")
    assert weight is not None and weight.default == 1 and weight.omitempty
    assert [f.json for f in BACKEND_REF.flat_fields()][:2] == ["kind", "name"]
    assert BACKEND_REF.fields[0].embedded
    mirror = _field(POLICY_CONFS["MeshHTTPRoute"], "rules.default.filters.requestMirror.backendRef")
    assert _struct(mirror.type) is BACKEND_REF


def test_header_match_type_defaults_to_exact_and_keeps_go_field_order() -> None:
    headers = _field(POLICY_CONFS["MeshHTTPRoute"], "rules.matches.headers")
    header = _struct(headers.type)
    assert [f.json for f in header.fields] == ["type", "name", "value"]
    type_ = header.field("type")
    assert type_ is not None and type_.default == "Exact" and type_.omitempty
    assert "Prefix" in _scalar(type_).enum
    value = header.field("value")
    name = header.field("name")
    assert value is not None and value.omitempty
    assert name is not None and not name.omitempty
    match = _struct(_field(POLICY_CONFS["MeshHTTPRoute"], "rules.matches").type)
    assert [f.json for f in match.fields] == ["path", "method", "queryParams", "headers"]


def test_meshtrace_zipkin_scalars_are_not_omitempty() -> None:
    zipkin = _struct(_field(POLICY_CONFS["MeshTrace"], "backends.zipkin").type)
    api_version = zipkin.field("apiVersion")
    assert api_version is not None and api_version.default == "httpJson"
    assert _scalar(api_version).enum == ("httpJson", "httpProto")
    for name in ("traceId128bit", "sharedSpanContext"):
        f = zipkin.field(name)
        assert f is not None and not f.omitempty and not isinstance(f.type, Ptr), name
        assert _scalar(f).kind == "bool"
    sampling = _struct(_field(POLICY_CONFS["MeshTrace"], "sampling").type)
    # The docs' 100% is applied by the Envoy configurer; the CRD has no default.
    assert {f.json: f.default for f in sampling.fields} == {
        "overall": NO_DEFAULT,
        "client": NO_DEFAULT,
        "random": NO_DEFAULT,
    }


def test_meshtcproute_conf_is_the_rule() -> None:
    conf = POLICY_CONFS["MeshTCPRoute"]
    assert conf.name == "Rule"
    assert [f.json for f in conf.fields] == ["default"]
    backend_refs = _field(conf, "default.backendRefs")
    assert not backend_refs.omitempty and isinstance(backend_refs.type, List)
    assert backend_refs.type.elem is BACKEND_REF
    to = POLICY_SPECS["MeshTCPRoute"].field("to")
    assert to is not None
    rules = _struct(to.type).field("rules")
    assert rules is not None and isinstance(rules.type, List) and rules.type.elem is conf


def test_meshtrafficpermission_action_enum() -> None:
    conf = POLICY_CONFS["MeshTrafficPermission"]
    assert [f.json for f in conf.fields] == ["action"]
    action = conf.fields[0]
    assert _scalar(action).enum == ("Allow", "Deny", "AllowWithShadowDeny")


def test_durations_and_defaults_where_2_10_has_them() -> None:
    health = POLICY_CONFS["MeshHealthCheck"]
    interval = _field(health, "interval")
    # `interval: 1m`, `timeout: 15s`, the thresholds and `http.path: /` are documented
    # fallbacks of the Envoy configurer, not CRD defaults (kuma.io_meshhealthchecks.yaml).
    assert _scalar(interval).kind == "duration" and interval.default is NO_DEFAULT
    assert _field(health, "http.path").default is NO_DEFAULT
    assert _field(health, "healthyPanicThreshold").type == Ptr(Scalar("intorstring"))
    breaker = POLICY_CONFS["MeshCircuitBreaker"]
    assert _scalar(_field(breaker, "outlierDetection.healthyPanicThreshold")).kind == "intorstring"
    retry = POLICY_CONFS["MeshRetry"]
    assert _field(retry, "http.backOff.baseInterval").default is NO_DEFAULT
    assert _field(retry, "http.rateLimitedBackOff.maxInterval").default is NO_DEFAULT
    metric = POLICY_CONFS["MeshMetric"]
    port = _field(metric, "backends.prometheus.port")
    assert port.default == 5670 and not port.omitempty
    assert _field(metric, "applications.path").default == "/metrics"
    assert _field(metric, "sidecar.includeUnused").default is NO_DEFAULT
    assert _field(POLICY_CONFS["MeshPassthrough"], "passthroughMode").default is NO_DEFAULT
    assert _field(POLICY_CONFS["MeshPassthrough"], "appendMatch.protocol").default == "tcp"
    assert _field(POLICY_CONFS["MeshTLS"], "tlsVersion.min").default == "TLSAuto"
    timeout = POLICY_CONFS["MeshTimeout"]
    assert _scalar(_field(timeout, "http.requestTimeout")).kind == "duration"


def test_fields_added_after_2_10_are_absent() -> None:
    assert POLICY_CONFS["MeshLoadBalancingStrategy"].field("hashPolicies") is None
    assert POLICY_CONFS["MeshHealthCheck"].field("unhealthyInterval") is None
    otel = _struct(_field(POLICY_CONFS["MeshAccessLog"], "backends.openTelemetry").type)
    assert otel.field("backendRef") is None and otel.field("endpoint") is not None
    for kind in ("MeshTimeout", "MeshAccessLog", "MeshTLS"):
        rules = POLICY_SPECS[kind].field("rules")
        assert rules is not None
        assert _struct(rules.type).field("matches") is None


def test_target_ref_is_the_2_10_shape() -> None:
    assert [f.json for f in TARGET_REF.fields] == [
        "kind",
        "name",
        "tags",
        "mesh",
        "proxyTypes",
        "namespace",
        "labels",
        "sectionName",
    ]
    kinds = _scalar(TARGET_REF.fields[0]).enum
    assert {"Dataplane", "MeshGateway", "MeshSubset", "MeshServiceSubset"} <= set(kinds)
    assert all(f.omitempty for f in TARGET_REF.fields)
    assert not any(isinstance(f.type, Ptr) for f in TARGET_REF.fields)


def _all_structs() -> Iterator[tuple[str, Struct]]:
    for kind, spec in [*POLICY_SPECS.items(), *RESOURCE_SPECS.items()]:
        yield kind, spec
        for _, f in _walk(spec):
            inner = _unwrap(f.type)
            if isinstance(inner, Struct):
                yield kind, inner


def test_struct_invariants() -> None:
    for kind, struct in _all_structs():
        names = [f.json for f in struct.flat_fields()]
        assert len(names) == len(set(names)), f"{kind} {struct.name}: duplicate JSON names"
        for f in struct.fields:
            where = f"{kind} {struct.name}.{f.go_name}"
            assert f.go_name[:1].isupper(), where
            if f.embedded:
                assert isinstance(f.type, Struct), where
            else:
                assert f.json[:1].islower(), where
            if f.required:
                assert not f.omitempty, f"{where}: required fields are not omitempty"
            if f.default is not NO_DEFAULT:
                assert not f.required, f"{where}: a defaulted field is not required"
                inner = _unwrap(f.type)
                if isinstance(inner, Scalar) and inner.enum:
                    assert f.default in inner.enum, where


def test_resource_specs() -> None:
    assert set(RESOURCE_SPECS) == {
        "Mesh",
        "Dataplane",
        "MeshGateway",
        "MeshService",
        "MeshExternalService",
        "MeshMultiZoneService",
    }
    mode = _field(RESOURCE_SPECS["Mesh"], "meshServices.mode")
    assert _scalar(mode).enum == ("Disabled", "Everywhere", "ReachableBackends", "Exclusive")
    dataplane = RESOURCE_SPECS["Dataplane"]
    assert _scalar(_field(dataplane, "networking.inbound.state")).enum == (
        "Ready",
        "NotReady",
        "Ignored",
    )
    assert _scalar(_field(dataplane, "networking.gateway.type")).enum == ("DELEGATED", "BUILTIN")
    assert isinstance(_field(dataplane, "networking.inbound.tags").type, Map)
    listener = _field(RESOURCE_SPECS["MeshGateway"], "conf.listeners.protocol")
    assert _scalar(listener).enum == ("NONE", "TCP", "TLS", "HTTP", "HTTPS")
    target_port = _field(RESOURCE_SPECS["MeshService"], "ports.targetPort")
    assert _scalar(target_port).kind == "intorstring"
    assert _field(RESOURCE_SPECS["MeshService"], "selector.dataplaneTags") is not None
    assert _field(RESOURCE_SPECS["MeshExternalService"], "match.protocol").default == "tcp"
    labels = _field(RESOURCE_SPECS["MeshMultiZoneService"], "selector.meshService.matchLabels")
    assert isinstance(labels.type, Map)
