"""Go-typed schema tables of the kinds meshtui reads, per Kuma release line.

One module per policy kind, each exporting `SPEC` (the whole `spec` as a `Struct`) and
`CONF` (the Go type whose values are merged) in their Kuma 2.10.11 shape, plus builders
for the shapes later lines have; `resources` holds the non-policy kinds and `common` the
shared `api/common/v1alpha1` types.

`schemas_for(version)` is the registry: the structs of one release line, built once and
shared by every version whose schemas are the same (2.10 and 2.11 get the very objects of
the module-level tables). `POLICY_SPECS`, `POLICY_CONFS` and `RESOURCE_SPECS` remain the
2.10.11 tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal, NamedTuple

from meshtui.kinds.gotypes import Struct
from meshtui.kinds.schemas import (
    common,
    meshaccesslog,
    meshcircuitbreaker,
    meshfaultinjection,
    meshhealthcheck,
    meshhttproute,
    meshloadbalancingstrategy,
    meshmetric,
    meshpassthrough,
    meshproxypatch,
    meshratelimit,
    meshretry,
    meshtcproute,
    meshtimeout,
    meshtls,
    meshtrace,
    meshtrafficpermission,
    resources,
)
from meshtui.kinds.schemas.resources import RESOURCE_SPECS
from meshtui.versions import KumaVersion

_MODULES = {
    "MeshAccessLog": meshaccesslog,
    "MeshCircuitBreaker": meshcircuitbreaker,
    "MeshFaultInjection": meshfaultinjection,
    "MeshHealthCheck": meshhealthcheck,
    "MeshHTTPRoute": meshhttproute,
    "MeshLoadBalancingStrategy": meshloadbalancingstrategy,
    "MeshMetric": meshmetric,
    "MeshPassthrough": meshpassthrough,
    "MeshProxyPatch": meshproxypatch,
    "MeshRateLimit": meshratelimit,
    "MeshRetry": meshretry,
    "MeshTCPRoute": meshtcproute,
    "MeshTimeout": meshtimeout,
    "MeshTLS": meshtls,
    "MeshTrace": meshtrace,
    "MeshTrafficPermission": meshtrafficpermission,
}

POLICY_SPECS: dict[str, Struct] = {kind: module.SPEC for kind, module in _MODULES.items()}
"""The whole `spec` of each policy kind (Kuma 2.10.11)."""

POLICY_CONFS: dict[str, Struct] = {kind: module.CONF for kind, module in _MODULES.items()}
"""The Go type merged for each policy kind (`to`/`from`/`rules` items' or the single
`default`), Kuma 2.10.11."""

Section = Literal["to", "from", "rules", "default"]


@dataclass(frozen=True, slots=True, eq=False)
class Schemas:
    """The Go types of one Kuma release line."""

    policy_specs: Mapping[str, Struct]
    """Policy kind → its whole `spec`."""
    policy_confs: Mapping[str, Struct]
    """Policy kind → the type of its `to[]`/`from[]` items' `default`, or of its single
    top-level `default`."""
    rule_confs: Mapping[str, Struct]
    """Policy kind with `rules[]` → the type of a rule's `default`: the kind's conf,
    except MeshTrafficPermission's `RuleConf` (allow/deny lists of `Match`, 2.12+)."""
    match: Struct | None
    """`common_api.Match` (`rules[].matches`, MeshTrafficPermission lists); `None`
    before 2.12."""
    resource_specs: Mapping[str, Struct]
    """Non-policy kind → its `spec` (or, for Universal proto kinds, its body)."""
    generic_spec: Struct
    """The `spec` of every generic policy kind (`kinds.generic_kind`)."""

    def conf(self, kind: str, section: Section = "to") -> Struct:
        """The type of `default` in a `section` item of `kind` (`KeyError` for `rules` of a
        known kind without them); a kind without a schema (a generic one) has
        `common.GENERIC_CONF` everywhere."""
        if kind not in self.policy_confs:
            return common.GENERIC_CONF
        if section == "rules":
            return self.rule_confs[kind]
        return self.policy_confs[kind]

    def spec(self, kind: str) -> Struct | None:
        """The `spec` type of any kind this line knows, else `None`."""
        return self.policy_specs.get(kind) or self.resource_specs.get(kind)


class _Features(NamedTuple):
    """The schema facts that differ between lines: the memo key of `schemas_for`."""

    mtp_rules: bool
    mfi_rules: bool
    rule_matches: bool
    hash_policies: bool
    otel_backend_ref: bool
    reachable_backends: bool
    listeners: bool
    inbound_protocol: bool
    spiffe_identities: bool
    dataplane_labels: bool
    identity_kinds: bool
    provider_optional: bool
    extension_provider: bool
    workload: bool
    otel_kinds: bool


def _features(version: KumaVersion) -> _Features:
    return _Features(
        mtp_rules=version.mtp_rules,
        mfi_rules=version.mfi_rules,
        rule_matches=version.rule_matches,
        hash_policies=version.lb_hash_policies,
        otel_backend_ref=version.otel_backend_ref,
        reachable_backends=version.typed_reachable_backends,
        listeners=version.zone_proxy_listeners,
        inbound_protocol=version.inbound_protocol_field,
        spiffe_identities=version.spiffe_service_identities,
        dataplane_labels=version.service_dataplane_labels,
        identity_kinds=version.identity_kinds,
        provider_optional=version.identity_provider_optional,
        extension_provider=version.identity_extension_provider,
        workload=version.workload_kind,
        otel_kinds=version.otel_backend_kinds,
    )


@cache
def schemas_for(version: KumaVersion) -> Schemas:
    """The Go types of `version`'s release line (memoised: the same object every call).

    2.10 and 2.11 give exactly the module-level 2.10.11 structs. Memoised by version too:
    parsing asks for every document, and working out the features is most of the cost.
    """
    return _build(_features(version))


@cache
def _build(f: _Features) -> Schemas:
    match = common.MATCH if f.rule_matches else common.MATCH_SPIFFE if f.mtp_rules else None
    specs = dict(POLICY_SPECS)
    confs = dict(POLICY_CONFS)
    if f.mtp_rules:
        assert match is not None
        specs["MeshTrafficPermission"] = meshtrafficpermission.spec_with_rules(match)
    if f.mfi_rules:
        assert match is not None
        specs["MeshFaultInjection"] = meshfaultinjection.spec_with_rules(match)
    if f.rule_matches:
        assert match is not None
        specs["MeshTimeout"] = meshtimeout.spec_with_matches(match)
        specs["MeshRateLimit"] = meshratelimit.spec_with_matches(match)
    if f.hash_policies:
        specs["MeshLoadBalancingStrategy"] = meshloadbalancingstrategy.SPEC_WITH_HASH_POLICIES
        confs["MeshLoadBalancingStrategy"] = meshloadbalancingstrategy.CONF_WITH_HASH_POLICIES
    if f.otel_backend_ref:
        specs["MeshTrace"] = meshtrace.SPEC_WITH_BACKEND_REF
        confs["MeshTrace"] = meshtrace.CONF_WITH_BACKEND_REF
        specs["MeshMetric"] = meshmetric.SPEC_WITH_BACKEND_REF
        confs["MeshMetric"] = meshmetric.CONF_WITH_BACKEND_REF
    access_log = meshaccesslog.conf_for(otel_backend_ref=f.otel_backend_ref)
    confs["MeshAccessLog"] = access_log
    specs["MeshAccessLog"] = meshaccesslog.spec_for(access_log, match if f.rule_matches else None)
    rule_confs = {kind: confs[kind] for kind, spec in specs.items() if spec.field("rules")}
    if f.mtp_rules:
        assert match is not None
        rule_confs["MeshTrafficPermission"] = meshtrafficpermission.rule_conf(match)
    return Schemas(
        policy_specs=MappingProxyType(specs),
        policy_confs=MappingProxyType(confs),
        rule_confs=MappingProxyType(rule_confs),
        match=match,
        resource_specs=MappingProxyType(_resource_specs(f)),
        generic_spec=common.generic_spec(match if f.rule_matches else None),
    )


def _resource_specs(f: _Features) -> dict[str, Struct]:
    out = dict(RESOURCE_SPECS)
    if f.listeners:
        out["Dataplane"] = resources.DATAPLANE_2_14
    elif f.reachable_backends:
        out["Dataplane"] = resources.DATAPLANE_2_12
    if f.dataplane_labels:
        out["MeshService"] = resources.MESH_SERVICE_2_14
        out["MeshExternalService"] = resources.MESH_EXTERNAL_SERVICE_2_14
    elif f.spiffe_identities:
        out["MeshService"] = resources.MESH_SERVICE_2_12
    if f.identity_kinds:
        out["MeshIdentity"] = (
            resources.MESH_IDENTITY_2_14
            if f.extension_provider
            else resources.MESH_IDENTITY_2_13
            if f.provider_optional
            else resources.MESH_IDENTITY_2_12
        )
        out["MeshTrust"] = resources.MESH_TRUST
    if f.workload:
        out["Workload"] = resources.WORKLOAD
    if f.otel_kinds:
        out["MeshOpenTelemetryBackend"] = resources.MESH_OPEN_TELEMETRY_BACKEND
        out["MeshZoneAddress"] = resources.MESH_ZONE_ADDRESS
    return out


__all__ = ["POLICY_CONFS", "POLICY_SPECS", "RESOURCE_SPECS", "Schemas", "schemas_for"]
