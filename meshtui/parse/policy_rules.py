"""Kuma 2.10.11's per-policy validation: which targetRef kinds each section accepts.

Kuma's validators reject, on write, a policy whose top-level targetRef, `from[]`,
`to[]` or `rules[]` uses a kind that policy does not support (the "TargetRef support
matrix" of each policy's documentation), or a targetRef with fields its kind does not
take. On Kubernetes the admission webhook refuses such an object, so it never exists
in the cluster; `parse` reports these findings as errors for Kubernetes-form input
and as warnings for Universal input (which is taken as stored).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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


def _to_kinds(kind: str, top: Mapping[str, Any], spec: Mapping[str, Any]) -> frozenset[str] | None:
    """Kinds `to[]` accepts, or `None` when `to` is not allowed at all."""
    top_kind = top.get("kind")
    gateways = includes_gateways(top)
    if kind == "MeshAccessLog":
        return frozenset({M}) if top_kind == GW else frozenset({M, SVC, MES, MZS})
    if kind in ("MeshCircuitBreaker", "MeshHealthCheck"):
        return frozenset({M, SVC, MZS})
    if kind == "MeshFaultInjection":
        return frozenset({M}) if gateways else None
    if kind in ("MeshHTTPRoute", "MeshTCPRoute"):
        return frozenset({M}) if top_kind == GW else frozenset({SVC, MES, MZS})
    if kind == "MeshLoadBalancingStrategy":
        if top_kind == GW and _sets_load_balancer(spec):
            return frozenset({M})
        return frozenset({M, SVC, MZS})
    if kind == "MeshRateLimit":
        return frozenset({M}) if gateways else None
    if kind in ("MeshRetry", "MeshTimeout"):
        return frozenset({M, MES}) if top_kind in (GW, R) else frozenset({M, SVC, MES, MZS})
    return None


def _sets_load_balancer(spec: Mapping[str, Any]) -> bool:
    items = spec.get("to")
    return any(
        isinstance(item, Mapping)
        and isinstance(item.get("default"), Mapping)
        and item["default"].get("loadBalancer") is not None
        for item in (items if isinstance(items, list) else [])
    )


def _rules_allowed(kind: str, top: Mapping[str, Any]) -> bool:
    if kind in ("MeshAccessLog", "MeshCircuitBreaker", "MeshTimeout", "MeshTLS"):
        return True
    if kind == "MeshRateLimit":
        return not includes_gateways(top) and top.get("kind") != R
    return False


def support_problems(kind: str, spec: Mapping[str, Any], role: str) -> Iterator[tuple[str, str]]:
    """(field path, message) for every way `spec` breaks the 2.10 support matrix of `kind`."""
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
    yield from _ref_fields("spec.targetRef", top, allow_section=has_from_or_rules)
    yield from _section(kind, spec, "from", _from_kinds(kind, top))
    yield from _section(kind, spec, "to", _to_kinds(kind, top, spec))
    rules = spec.get("rules")
    if isinstance(rules, list) and rules and not _rules_allowed(kind, top):
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


def _section(
    kind: str, spec: Mapping[str, Any], name: str, allowed: frozenset[str] | None
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
            yield from _ref_fields(path, ref, allow_section=True)


def _ref_fields(
    path: str, ref: Mapping[str, Any], *, allow_section: bool
) -> Iterator[tuple[str, str]]:
    """§5.2: fields each targetRef kind may carry."""
    kind = ref.get("kind")
    present = {k for k, v in ref.items() if k != "kind" and v not in (None, "", [], {})}
    if "labels" in ref and ref["labels"] is not None:
        present.add("labels")
    allowed_fields = {
        M: {"proxyTypes"},
        MS: {"tags", "proxyTypes"},
        SVC: {"name", "namespace", "labels", "sectionName"},
        R: {"name", "namespace", "labels", "sectionName"},
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
