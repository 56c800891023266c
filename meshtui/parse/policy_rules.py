"""Kuma's per-policy validation: which targetRef kinds each section accepts, per line.

Kuma's validators reject, on write, a policy whose top-level targetRef, `from[]`,
`to[]` or `rules[]` uses a kind that policy does not support (the "TargetRef support
matrix" of each policy's documentation), or a targetRef with fields its kind does not
take. On Kubernetes the admission webhook refuses such an object, so it never exists
in the cluster; `parse` reports these findings as errors for Kubernetes-form input
and as warnings for Universal input (which is taken as stored).

The tables are Kuma 2.10.11's; what later lines changed (spec kuma-2.14.md §7) is
applied through the named switches of `KumaVersion`. `deprecations` gives the
warnings Kuma returns on write (§1 M9), which never reject a policy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from meshtui.versions import KumaVersion

M, MS, DP, GW = "Mesh", "MeshSubset", "Dataplane", "MeshGateway"
SVC, SVCS, R = "MeshService", "MeshServiceSubset", "MeshHTTPRoute"
MES, MZS = "MeshExternalService", "MeshMultiZoneService"

TOP_LEVEL: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    # kind: (allowed for every role, extra kinds allowed for system policies)
    "MeshAccessLog": (frozenset({M, MS, GW, SVC, SVCS, DP}), frozenset()),
    "MeshCircuitBreaker": (frozenset({M, MS, SVC, GW, SVCS, DP}), frozenset()),
    "MeshFaultInjection": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshHealthCheck": (frozenset({M, MS, GW, SVC, SVCS, DP}), frozenset()),
    "MeshHTTPRoute": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshLoadBalancingStrategy": (frozenset({M, MS, GW, SVC, SVCS, DP}), frozenset()),
    "MeshMetric": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshPassthrough": (frozenset({M, MS, DP}), frozenset()),
    "MeshProxyPatch": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshRateLimit": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW, R})),
    "MeshRetry": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW, R})),
    "MeshTCPRoute": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshTimeout": (frozenset({M, DP, MS, SVC, SVCS}), frozenset({GW, R})),
    "MeshTLS": (frozenset({M, MS, DP}), frozenset()),
    "MeshTrace": (frozenset({M, MS, SVC, SVCS, DP}), frozenset({GW})),
    "MeshTrafficPermission": (frozenset({M, MS, SVC, SVCS, DP}), frozenset()),
}


def includes_gateways(ref: Mapping[str, Any]) -> bool:
    """Kuma's `IncludesGateways`: the top level may select gateway proxies."""
    kind = ref.get("kind")
    proxy_types = ref.get("proxyTypes") or []
    if kind in (M, MS):
        return not proxy_types or "Gateway" in proxy_types
    return kind in (GW, R)


def _from_kinds(kind: str, top: Mapping[str, Any]) -> frozenset[str] | None:
    """Kinds `from[]` accepts, or `None` when `from` is not allowed at all."""
    gateways = includes_gateways(top)
    top_kind = top.get("kind")
    if kind in ("MeshAccessLog", "MeshCircuitBreaker", "MeshTLS"):
        return frozenset({M})
    if kind == "MeshFaultInjection":
        return None if gateways else frozenset({M, MS, SVC, SVCS})
    if kind == "MeshRateLimit":
        return None if gateways or top_kind == R else frozenset({M})
    if kind == "MeshTimeout":
        return None if top_kind in (GW, R) else frozenset({M})
    if kind == "MeshTrafficPermission":
        return frozenset({M, MS, SVC, SVCS})
    return None


def _to_kinds(
    kind: str, top: Mapping[str, Any], spec: Mapping[str, Any], version: KumaVersion
) -> frozenset[str] | None:
    """Kinds `to[]` accepts, or `None` when `to` is not allowed at all."""
    top_kind = top.get("kind")
    gateways = includes_gateways(top)
    route = frozenset({R}) if version.to_route_items else frozenset()
    if kind == "MeshAccessLog":
        return frozenset({M}) if top_kind == GW else frozenset({M, SVC, MES, MZS}) | route
    if kind in ("MeshCircuitBreaker", "MeshHealthCheck"):
        external = frozenset({MES}) if version.external_service_health else frozenset()
        return frozenset({M, SVC, MZS}) | external
    if kind == "MeshFaultInjection":
        return frozenset({M}) if gateways else None
    if kind in ("MeshHTTPRoute", "MeshTCPRoute"):
        return frozenset({M}) if top_kind == GW else frozenset({SVC, MES, MZS})
    if kind == "MeshLoadBalancingStrategy":
        if top_kind == GW and _sets_load_balancer(spec):
            return frozenset({M})
        by_route = frozenset({R}) if version.lb_hash_policies else frozenset()
        return frozenset({M, SVC, MZS}) | by_route
    if kind == "MeshRateLimit":
        return frozenset({M}) if gateways else None
    if kind in ("MeshRetry", "MeshTimeout"):
        if top_kind in (GW, R):
            return frozenset({M, MES})
        return frozenset({M, SVC, MES, MZS}) | route
    return None


def _sets_load_balancer(spec: Mapping[str, Any]) -> bool:
    items = spec.get("to")
    return any(
        isinstance(item, Mapping)
        and isinstance(item.get("default"), Mapping)
        and item["default"].get("loadBalancer") is not None
        for item in (items if isinstance(items, list) else [])
    )


def _rules_allowed(kind: str, top: Mapping[str, Any], version: KumaVersion) -> bool:
    if kind in ("MeshAccessLog", "MeshCircuitBreaker", "MeshTimeout", "MeshTLS"):
        return True
    if kind == "MeshRateLimit":
        return not includes_gateways(top) and top.get("kind") != R
    if kind == "MeshTrafficPermission":
        return version.mtp_rules
    if kind == "MeshFaultInjection":
        return version.mfi_rules and not includes_gateways(top)
    return False


def support_problems(
    kind: str, spec: Mapping[str, Any], role: str, version: KumaVersion
) -> Iterator[tuple[str, str]]:
    """(field path, message) for every way `spec` breaks `version`'s support matrix of `kind`."""
    if kind not in TOP_LEVEL:
        return
    raw_top = spec.get("targetRef")
    top: Mapping[str, Any] = raw_top if isinstance(raw_top, Mapping) else {"kind": M}
    common, system_only = TOP_LEVEL[kind]
    allowed = common | (system_only if role == "system" else frozenset())
    top_kind = top.get("kind")
    if top_kind not in allowed:
        extra = " (for a non-system policy)" if top_kind in system_only else ""
        yield "spec.targetRef.kind", f"{kind} does not support a top-level {top_kind}{extra}"
    has_from_or_rules = bool(spec.get("from")) or bool(spec.get("rules"))
    yield from _ref_fields("spec.targetRef", top, allow_section=has_from_or_rules, version=version)
    yield from _section(kind, spec, "from", _from_kinds(kind, top), version)
    yield from _section(kind, spec, "to", _to_kinds(kind, top, spec, version), version)
    rules = spec.get("rules")
    if isinstance(rules, list) and rules and not _rules_allowed(kind, top, version):
        yield "spec.rules", f"{kind} does not support rules with this top-level targetRef"
    exclusive = kind in (
        "MeshTimeout",
        "MeshAccessLog",
        "MeshCircuitBreaker",
        "MeshRateLimit",
        "MeshTLS",
    )
    if exclusive and isinstance(rules, list) and rules and (spec.get("to") or spec.get("from")):
        clash = "from" if spec.get("from") else "to"
        yield "spec.rules", f"rules cannot be combined with {clash}"
    yield from _later_rules(kind, spec, version)


def _later_rules(
    kind: str, spec: Mapping[str, Any], version: KumaVersion
) -> Iterator[tuple[str, str]]:
    """The checks of sections and fields added after 2.10 (§7)."""
    needs_to = kind in ("MeshRetry", "MeshLoadBalancingStrategy") and not version.empty_to_accepted
    if needs_to and not _items(spec, "to"):
        yield "spec.to", "needs at least one item"
    if kind == "MeshLoadBalancingStrategy" and version.lb_hash_policies:
        yield from _route_items_hash_only(spec)
    from_xor_rules = (kind == "MeshTrafficPermission" and version.mtp_rules) or (
        kind == "MeshFaultInjection" and version.mfi_rules
    )
    if from_xor_rules:
        yield from _from_xor_rules(kind, spec)
    for i, rule in enumerate(_items(spec, "rules")):
        path = f"spec.rules[{i}]"
        default = rule.get("default")
        conf = default if isinstance(default, Mapping) else {}
        if kind == "MeshTrafficPermission" and version.mtp_rules:
            yield from _permission_lists(path + ".default", conf, version)
        matches = rule.get("matches")
        if _takes_matches(kind, version) and isinstance(matches, list):
            yield from _matches(path + ".matches", matches, version)
            if any(isinstance(m, Mapping) and m.get("spiffeID") for m in matches):
                yield from _spiffe_forbidden(kind, path + ".default", conf)


def _items(spec: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = spec.get(name)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]


def _route_items_hash_only(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """2.12: a `to: MeshHTTPRoute` item of a MeshLoadBalancingStrategy sets only `hashPolicies`."""
    for i, item in enumerate(_items(spec, "to")):
        ref = item.get("targetRef")
        if not isinstance(ref, Mapping) or ref.get("kind") != R:
            continue
        default = item.get("default")
        conf = default if isinstance(default, Mapping) else {}
        for key in sorted(k for k, v in conf.items() if v is not None and k != "hashPolicies"):
            yield (
                f"spec.to[{i}].default.{key}",
                "only hashPolicies can be set for a to[] item targeting a MeshHTTPRoute",
            )


def _from_xor_rules(kind: str, spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    has_from, has_rules = bool(spec.get("from")), bool(spec.get("rules"))
    if has_from and has_rules:
        yield "spec.rules", "rules cannot be combined with from"
    elif not has_from and not has_rules and kind == "MeshTrafficPermission":
        yield "spec.rules", "needs at least one item (or from)"


_PERMISSION_LISTS = ("deny", "allowWithShadowDeny", "allow")


def _permission_lists(
    path: str, conf: Mapping[str, Any], version: KumaVersion
) -> Iterator[tuple[str, str]]:
    """2.12: a MeshTrafficPermission rule sets at least one non-empty list of matches."""
    if not any(conf.get(name) for name in _PERMISSION_LISTS):
        yield path, "must define at least one of deny, allowWithShadowDeny or allow"
    for name in _PERMISSION_LISTS:
        items = conf.get(name)
        if isinstance(items, list):
            yield from _matches(f"{path}.{name}", items, version)


def _takes_matches(kind: str, version: KumaVersion) -> bool:
    if kind == "MeshFaultInjection":
        return version.mfi_rules
    return kind in ("MeshTimeout", "MeshAccessLog", "MeshRateLimit") and version.rule_matches


def _matches(path: str, matches: list[Any], version: KumaVersion) -> Iterator[tuple[str, str]]:
    """Each `Match` selects by `spiffeID` or (2.14) `sni`."""
    needed = "spiffeID or sni" if version.rule_matches else "spiffeID"
    for i, match in enumerate(matches):
        if not isinstance(match, Mapping):
            continue
        if not match.get("spiffeID") and not (version.rule_matches and match.get("sni")):
            yield f"{path}[{i}]", f"must define {needed}"


_SPIFFE_FORBIDDEN = {
    "MeshTimeout": (
        "connectionTimeout",
        "idleTimeout",
        "http.requestHeadersTimeout",
        "http.maxStreamDuration",
        "http.maxConnectionDuration",
    ),
    "MeshRateLimit": ("local.tcp",),
}
"""2.14: conf fields a rule matching clients by SPIFFE ID cannot set (per-connection
settings that apply before the client is known)."""


def _spiffe_forbidden(kind: str, path: str, conf: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for dotted in _SPIFFE_FORBIDDEN.get(kind, ()):
        value: Any = conf
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            yield f"{path}.{dotted}", "cannot be set when a match selects clients by spiffeID"


def _section(
    kind: str,
    spec: Mapping[str, Any],
    name: str,
    allowed: frozenset[str] | None,
    version: KumaVersion,
) -> Iterator[tuple[str, str]]:
    items = spec.get(name)
    if not isinstance(items, list) or not items:
        return
    if allowed is None:
        yield f"spec.{name}", f"{kind} does not support {name}[] with this top-level targetRef"
        return
    for i, item in enumerate(items):
        ref = item.get("targetRef") if isinstance(item, Mapping) else None
        if not isinstance(ref, Mapping):
            continue
        path = f"spec.{name}[{i}].targetRef"
        if ref.get("kind") not in allowed:
            yield f"{path}.kind", f"{kind} does not support {ref.get('kind')} in {name}[] here"
        else:
            yield from _ref_fields(path, ref, allow_section=True, version=version)


def _ref_fields(
    path: str, ref: Mapping[str, Any], *, allow_section: bool, version: KumaVersion
) -> Iterator[tuple[str, str]]:
    """§5.2: fields each targetRef kind may carry (a MeshHTTPRoute: no `sectionName`
    since 2.11)."""
    kind = ref.get("kind")
    present = {k for k, v in ref.items() if k != "kind" and v not in (None, "", [], {})}
    if "labels" in ref and ref["labels"] is not None:
        present.add("labels")
    allowed_fields = {
        M: {"proxyTypes"},
        MS: {"tags", "proxyTypes"},
        SVC: {"name", "namespace", "labels", "sectionName"},
        R: {"name", "namespace", "labels"}
        if version.route_ref_name_or_labels
        else {"name", "namespace", "labels", "sectionName"},
        MZS: {"name", "namespace", "labels", "sectionName"},
        MES: {"name", "namespace", "labels"},
        SVCS: {"name", "tags"},
        GW: {"name", "tags"},
        DP: {"name", "namespace", "labels", "sectionName"},
    }.get(str(kind))
    if allowed_fields is None:
        return
    for field in sorted(present - allowed_fields - {"mesh"}):
        yield f"{path}.{field}", f"{field} is not allowed with kind {kind}"
    if "labels" in present and present & {"name", "namespace"} and kind in (SVC, R, MZS, MES, DP):
        yield f"{path}.labels", "labels cannot be combined with name or namespace"
    if kind in (SVCS, GW) and "name" not in present:
        yield f"{path}.name", f"name is required with kind {kind}"
    if kind in (SVC, R, MES, MZS) and not present & {"name", "labels"}:
        yield f"{path}.name", f"name or labels is required with kind {kind}"
    if kind == DP and "sectionName" in present and not allow_section:
        yield f"{path}.sectionName", "sectionName is only allowed on policies with from or rules"
    if kind == M and "proxyTypes" in ref and not ref.get("proxyTypes"):
        yield f"{path}.proxyTypes", "proxyTypes must not be empty when set"


def deprecations(
    kind: str, spec: Mapping[str, Any], version: KumaVersion
) -> Iterator[tuple[str, str]]:
    """(field path, message) for what Kuma warns about on write (§1 M9); never rejects.

    Only what later lines added: a top-level MeshService, MeshServiceSubset or
    MeshSubset (2.11; the text names MeshSubset for all three before 2.13), a top-level
    MeshHTTPRoute (2.13), and `from` on MeshTrafficPermission and MeshFaultInjection
    (2.14).
    """
    if kind not in TOP_LEVEL:
        return
    raw_top = spec.get("targetRef")
    top_kind = raw_top.get("kind") if isinstance(raw_top, Mapping) else None
    if top_kind in (SVC, SVCS, MS) and version.top_level_subset_deprecated:
        named = top_kind if version.deprecation_names_kind else MS
        yield (
            "spec.targetRef.kind",
            f"{named} value for 'targetRef.kind' is deprecated, use Dataplane with labels instead",
        )
    if top_kind == R and version.top_level_route_deprecated:
        yield (
            "spec.targetRef.kind",
            f"{R} value for 'targetRef.kind' is deprecated,"
            " reference the route in 'to[].targetRef' instead",
        )
    deprecated_from = kind in ("MeshTrafficPermission", "MeshFaultInjection")
    if deprecated_from and spec.get("from") and version.from_deprecated_for_rules:
        yield "spec.from", "'from' field is deprecated, use 'rules' instead"
