"""The catalogue of Kuma 2.10.11 resource kinds meshtui understands.

For each kind: its Kubernetes plural and short name, whether the CRD is namespaced,
and for policies which sections it has (`to`, `from`, `rules`, a single top-level
`default`) and where it sits in the control plane's plugin order. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class KindInfo:
    """Static facts about one resource kind."""

    kind: str
    plural: str
    short: str
    namespaced: bool = True
    is_policy: bool = False
    has_to: bool = False
    has_from: bool = False
    has_rules: bool = False
    single_item: bool = False
    from_as_rules: bool = False
    """2.10: `from[]` items also feed the merged inbound rules (§5.1 of the rules spec)."""
    order: int = 0
    """Position in the control plane's plugin order (the order of `_rules` blocks)."""


_POLICIES = (
    # kind, plural, short, to, from, rules, single, from_as_rules
    ("MeshHTTPRoute", "meshhttproutes", "mhttpr", True, False, False, False, False),
    ("MeshTCPRoute", "meshtcproutes", "mtcpr", True, False, False, False, False),
    ("MeshTLS", "meshtlses", "mtls", False, True, True, False, True),
    (
        "MeshLoadBalancingStrategy",
        "meshloadbalancingstrategies",
        "mlbs",
        True,
        False,
        False,
        False,
        False,
    ),
    ("MeshPassthrough", "meshpassthroughs", "mp", False, False, False, True, False),
    ("MeshAccessLog", "meshaccesslogs", "mal", True, True, True, False, True),
    ("MeshTrace", "meshtraces", "mtr", False, False, False, True, False),
    ("MeshFaultInjection", "meshfaultinjections", "mfi", True, True, False, False, False),
    ("MeshRateLimit", "meshratelimits", "mrl", True, True, True, False, True),
    ("MeshTimeout", "meshtimeouts", "mt", True, True, True, False, True),
    ("MeshTrafficPermission", "meshtrafficpermissions", "mtp", False, True, False, False, False),
    ("MeshHealthCheck", "meshhealthchecks", "mhc", True, False, False, False, False),
    ("MeshCircuitBreaker", "meshcircuitbreakers", "mcb", True, True, True, False, True),
    ("MeshRetry", "meshretries", "mr", True, False, False, False, False),
    ("MeshMetric", "meshmetrics", "mm", False, False, False, True, False),
    ("MeshProxyPatch", "meshproxypatches", "mpp", False, False, False, True, False),
)

POLICY_KINDS: dict[str, KindInfo] = {
    kind: KindInfo(
        kind=kind,
        plural=plural,
        short=short,
        is_policy=True,
        has_to=to,
        has_from=from_,
        has_rules=rules,
        single_item=single,
        from_as_rules=far,
        order=i,
    )
    for i, (kind, plural, short, to, from_, rules, single, far) in enumerate(_POLICIES)
}
"""The 16 policy kinds of Kuma 2.10.11, in plugin order."""

RESOURCE_KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo(kind="Mesh", plural="meshes", short="mesh", namespaced=False),
        KindInfo(kind="Dataplane", plural="dataplanes", short="dp"),
        KindInfo(kind="MeshService", plural="meshservices", short="msvc"),
        KindInfo(kind="MeshExternalService", plural="meshexternalservices", short="extsvc"),
        KindInfo(kind="MeshMultiZoneService", plural="meshmultizoneservices", short="mzsvc"),
        KindInfo(kind="MeshGateway", plural="meshgateways", short="mgw", namespaced=False),
    )
}
"""Non-policy kinds that matching and rule building look at."""

ALL_KINDS: dict[str, KindInfo] = {**RESOURCE_KINDS, **POLICY_KINDS}

SERVICE_KINDS = ("MeshService", "MeshExternalService", "MeshMultiZoneService")

KIND_BY_PLURAL: dict[str, KindInfo] = {info.plural: info for info in ALL_KINDS.values()}


def lookup(name: str) -> KindInfo | None:
    """Find a kind by kind name, plural or short name, case-insensitively."""
    lowered = name.lower()
    for info in ALL_KINDS.values():
        if lowered in (info.kind.lower(), info.plural, info.short):
            return info
    return None
