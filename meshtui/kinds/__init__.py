"""The catalogue of Kuma resource kinds meshtui understands, per release line.

For each kind: its Kubernetes plural and short name, its KRI short name, whether the CRD
is namespaced, the release switch that introduced it (if after 2.10), and for policies
which sections it has (`to`, `from`, `rules`, a single top-level `default`) and where it
sits in the control plane's plugin order. Pure data.

`kinds_for(version)` is the catalogue of one line; the module-level tables
(`POLICY_KINDS`, `RESOURCE_KINDS`, `ALL_KINDS`) are Kuma 2.10.11's, and `EVERY_KIND`
holds every kind any supported line knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from types import MappingProxyType

from meshtui.versions import KumaVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class KindInfo:
    """Static facts about one resource kind."""

    kind: str
    plural: str
    short: str
    kri_short: str = ""
    """The KRI short name (`kri_<short>_…`, spec §6 K2); empty for kinds without a KRI."""
    namespaced: bool = True
    since: str = ""
    """The `KumaVersion` switch that introduced the kind; empty when 2.10 has it."""
    is_policy: bool = False
    has_to: bool = False
    has_from: bool = False
    has_rules: bool = False
    single_item: bool = False
    from_as_rules: bool = False
    """2.10: `from[]` items also feed the merged inbound rules (§5.1 of the rules spec)."""
    order: int = 0
    """Position in the control plane's plugin order (the order of `_rules` blocks)."""
    generic: bool = False
    """A policy kind no supported line has a schema for (`generic_kind`)."""

    def available(self, version: KumaVersion) -> bool:
        """Whether `version` has this kind."""
        return not self.since or bool(getattr(version, self.since))


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
        kri_short=short,
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
"""The 16 policy kinds of Kuma 2.10.11, in plugin order (no later line adds one)."""

RESOURCE_KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo(kind="Mesh", plural="meshes", short="mesh", kri_short="m", namespaced=False),
        KindInfo(kind="Dataplane", plural="dataplanes", short="dp", kri_short="dp"),
        KindInfo(kind="MeshService", plural="meshservices", short="msvc", kri_short="msvc"),
        KindInfo(
            kind="MeshExternalService",
            plural="meshexternalservices",
            short="extsvc",
            kri_short="extsvc",
        ),
        KindInfo(
            kind="MeshMultiZoneService",
            plural="meshmultizoneservices",
            short="mzsvc",
            kri_short="mzsvc",
        ),
        KindInfo(
            kind="MeshGateway",
            plural="meshgateways",
            short="mgw",
            kri_short="mgw",
            namespaced=False,
        ),
    )
}
"""Non-policy kinds of Kuma 2.10.11 that matching and rule building look at."""

LATER_KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo(
            kind="MeshIdentity",
            plural="meshidentities",
            short="mid",
            kri_short="mid",
            since="identity_kinds",
        ),
        KindInfo(
            kind="MeshTrust",
            plural="meshtrusts",
            short="mtrust",
            kri_short="mtrust",
            since="identity_kinds",
        ),
        KindInfo(
            kind="Workload", plural="workloads", short="wl", kri_short="wl", since="workload_kind"
        ),
        KindInfo(
            kind="MeshOpenTelemetryBackend",
            plural="meshopentelemetrybackends",
            short="motb",
            kri_short="motb",
            since="otel_backend_kinds",
        ),
        KindInfo(
            kind="MeshZoneAddress",
            plural="meshzoneaddresses",
            short="mza",
            kri_short="mza",
            since="otel_backend_kinds",
        ),
    )
}
"""Non-policy kinds added after 2.10 (spec §7): parsed and stored on the lines that have
them; the engine reads only MeshIdentity."""

LEGACY_POLICIES: dict[str, tuple[str, str]] = {
    # kind: (plural, how it selects proxies)
    "CircuitBreaker": ("circuitbreakers", "connection"),
    "FaultInjection": ("faultinjections", "connection"),
    "HealthCheck": ("healthchecks", "connection"),
    "RateLimit": ("ratelimits", "connection"),
    "Retry": ("retries", "connection"),
    "Timeout": ("timeouts", "connection"),
    "TrafficLog": ("trafficlogs", "connection"),
    "TrafficPermission": ("trafficpermissions", "connection"),
    "TrafficRoute": ("trafficroutes", "connection"),
    "TrafficTrace": ("traffictraces", "dataplane"),
    "ProxyTemplate": ("proxytemplates", "dataplane"),
    "VirtualOutbound": ("virtualoutbounds", "dataplane"),
    "MeshGatewayRoute": ("meshgatewayroutes", "dataplane"),
}
"""The selector-based policies every 2.x control plane still serves: a `connection` policy
selects proxies by its `sources` or `destinations` tag selectors, a `dataplane` one by its
`selectors` (Kuma's `policy.ConnectionPolicy` / `policy.DataplanePolicy`). They play no part
in targetRef matching; only `_resources/dataplanes` reads them."""

UNMODELLED_KUMA_KINDS = frozenset(
    {
        "CircuitBreaker",
        "ContainerPatch",
        "DataplaneInsight",
        "ExternalService",
        "FaultInjection",
        "HealthCheck",
        "HostnameGenerator",
        "MeshGatewayConfig",
        "MeshGatewayInstance",
        "MeshGatewayRoute",
        "MeshInsight",
        "ProxyTemplate",
        "RateLimit",
        "Retry",
        "ServiceInsight",
        "Timeout",
        "TrafficLog",
        "TrafficPermission",
        "TrafficRoute",
        "TrafficTrace",
        "VirtualOutbound",
        "Zone",
        "ZoneEgress",
        "ZoneEgressInsight",
        "ZoneIngress",
        "ZoneIngressInsight",
        "ZoneInsight",
    }
)
"""Kuma 2.10 kinds that exist but play no part in targetRef policy matching: skipped with a note."""

LEGACY_BY_PLURAL: dict[str, str] = {plural: kind for kind, (plural, _) in LEGACY_POLICIES.items()}

ALL_KINDS: dict[str, KindInfo] = {**RESOURCE_KINDS, **POLICY_KINDS}
"""Every kind of Kuma 2.10.11."""

EVERY_KIND: dict[str, KindInfo] = {**RESOURCE_KINDS, **LATER_KINDS, **POLICY_KINDS}
"""Every kind some supported line has (what a cluster may be asked to list)."""

_KIND_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,62}")

GENERIC_ORDER = 1_000
"""Plugin order of every generic kind: after all known kinds (then by kind name)."""


@lru_cache(maxsize=1024)
def is_generic_kind(kind: str) -> bool:
    """Whether `kind` names a policy kind no supported line knows (Kong Mesh's MeshOPA or
    MeshGlobalRateLimit, a kind a later Kuma adds): not a known kind of any line, not a
    legacy policy, not one of Kuma's kinds meshtui leaves aside, not a core `Namespace`,
    and spelled as Kubernetes kinds are (an upper-case letter, then letters and digits)."""
    return (
        _KIND_NAME.fullmatch(kind) is not None
        and kind not in EVERY_KIND
        and kind not in LEGACY_POLICIES
        and kind not in UNMODELLED_KUMA_KINDS
        and kind != "Namespace"
        and not misspelt_kind(kind)
    )


_KINDS_AND_PLURALS = (
    *((kind, info.plural) for kind, info in EVERY_KIND.items()),
    *((kind, plural) for kind, (plural, _) in LEGACY_POLICIES.items()),
)
"""Every Kuma kind a line has or serves as a legacy policy, with its plural."""


def misspelt_kind(kind: str) -> str:
    """The Kuma kind that `kind` is a near miss of (at most two letters added, dropped or
    changed, case aside) or the plural of, else ``""``: such a kind is a typo, never a
    generic kind."""
    lowered = kind.lower()
    for known, plural in _KINDS_AND_PLURALS:
        if known != kind and (_within_two(lowered, known.lower()) or lowered == plural):
            return known
    return ""


def _within_two(a: str, b: str) -> bool:
    """Whether the Levenshtein distance between `a` and `b` is at most 2."""
    if abs(len(a) - len(b)) > 2:
        return False
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        if min(current) > 2:
            return False
        previous = current
    return previous[-1] <= 2


@cache
def generic_kind(kind: str) -> KindInfo:
    """The facts of a generic policy kind: every section may appear (`to`, `from`,
    `rules`, a top-level `default`; `from[]` feeds the inbound rules as most kinds' does),
    confs merge as plain JSON, and it sorts after every known kind. The plural is
    Kubernetes' default one (the kind in lower case, plus `s`)."""
    return KindInfo(
        kind=kind,
        plural=f"{kind.lower()}s",
        short="",
        is_policy=True,
        has_to=True,
        has_from=True,
        has_rules=True,
        single_item=True,
        from_as_rules=True,
        order=GENERIC_ORDER,
        generic=True,
    )


def is_policy_kind(kind: str) -> bool:
    """Whether `kind` is a policy kind, known or generic."""
    return kind in POLICY_KINDS or is_generic_kind(kind)


def policy_info(kind: str) -> KindInfo | None:
    """The policy kind `kind`: a known one, a generic one (`is_generic_kind`), else `None`."""
    info = POLICY_KINDS.get(kind)
    if info is not None:
        return info
    return generic_kind(kind) if is_generic_kind(kind) else None


def policy_types(kinds: Iterable[str]) -> tuple[str, ...]:
    """Every known policy kind in plugin order, then the generic ones among `kinds` by name."""
    return (*POLICY_KINDS, *sorted({k for k in kinds if is_generic_kind(k)}))


SERVICE_KINDS = ("MeshService", "MeshExternalService", "MeshMultiZoneService")

KIND_BY_PLURAL: dict[str, KindInfo] = {info.plural: info for info in ALL_KINDS.values()}

_OTHER_KRI_KINDS: tuple[tuple[str, str, str], ...] = (
    # short name, kind, the switch that introduced it ("" = every line)
    ("zi", "ZoneIngress", ""),
    ("ze", "ZoneEgress", ""),
    ("hg", "HostnameGenerator", ""),
    ("z", "Zone", "zone_kri"),
)
"""KRI short names of kinds meshtui does not model (K2)."""


@dataclass(frozen=True, slots=True, eq=False)
class Catalogue:
    """The kinds of one Kuma release line."""

    policies: Mapping[str, KindInfo]
    """Policy kinds in plugin order."""
    resources: Mapping[str, KindInfo]
    """Non-policy kinds."""
    all: Mapping[str, KindInfo]
    """Every kind of the line (resources, then policies)."""
    by_plural: Mapping[str, KindInfo]
    kri_kinds: Mapping[str, str]
    """KRI short name → kind, for every kind of the line that has one (spec §6 K2)."""

    def lookup(self, name: str) -> KindInfo | None:
        """Find a kind by kind name, plural, short or KRI short name, case-insensitively."""
        return _lookup(self.all.values(), name)

    def policy(self, kind: str) -> KindInfo | None:
        """The policy kind `kind` on this line: a known one, a generic one, else `None`."""
        return self.policies.get(kind) or policy_info(kind)


@cache
def kinds_for(version: KumaVersion) -> Catalogue:
    """The catalogue of `version`'s line (memoised: the same object for the same facts,
    found without asking the version's switches again).

    Changes to 2.10: MeshTrafficPermission has `rules` from 2.12, MeshFaultInjection from
    2.13 (neither feeds `from` into inbound rules: `from_as_rules` stays false); the
    kinds of `LATER_KINDS` appear on the lines that introduced them.
    """
    return _catalogue(frozenset(name for name in _SWITCHES if getattr(version, name)))


_RULES_SINCE = {
    "MeshTrafficPermission": "mtp_rules",
    "MeshFaultInjection": "mfi_rules",
}
"""Policies that gained `rules[]` after 2.10, with the switch that added them."""

_SWITCHES = frozenset(
    {
        *_RULES_SINCE.values(),
        *(info.since for info in LATER_KINDS.values()),
        *(since for _, _, since in _OTHER_KRI_KINDS if since),
    }
)


@cache
def _catalogue(switches: frozenset[str]) -> Catalogue:
    policies = {
        kind: replace(info, has_rules=True) if _RULES_SINCE.get(kind) in switches else info
        for kind, info in POLICY_KINDS.items()
    }
    later = {kind: info for kind, info in LATER_KINDS.items() if info.since in switches}
    resources = {**RESOURCE_KINDS, **later}
    everything = {**resources, **policies}
    kri = {info.kri_short: info.kind for info in everything.values() if info.kri_short}
    kri.update(
        (short, kind) for short, kind, since in _OTHER_KRI_KINDS if not since or since in switches
    )
    return Catalogue(
        policies=MappingProxyType(policies),
        resources=MappingProxyType(resources),
        all=MappingProxyType(everything),
        by_plural=MappingProxyType({info.plural: info for info in everything.values()}),
        kri_kinds=MappingProxyType(kri),
    )


def lookup(name: str) -> KindInfo | None:
    """Find a Kuma 2.10.11 kind by kind name, plural or short name, case-insensitively."""
    lowered = name.lower()
    for info in ALL_KINDS.values():
        if lowered in (info.kind.lower(), info.plural, info.short):
            return info
    return None


def _lookup(infos: Iterable[KindInfo], name: str) -> KindInfo | None:
    lowered = name.lower()
    for info in infos:
        if lowered in (info.kind.lower(), info.plural, info.short, info.kri_short):
            return info
    return None
