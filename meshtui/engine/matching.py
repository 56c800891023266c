"""Does a policy's top-level targetRef select a data plane proxy? (Kuma 2.10-2.14)

The answer is a `Selection`: the inbound listeners (and, for built-in gateways, the
gateway listeners) the policy attaches to, whether it selects a delegated gateway, and
— when it selects nothing — the first reason why, for the dashboard's "why not".
A policy is matched for the whole proxy as soon as it selects anything: its `to[]`
then applies to every outbound, its `from[]`/`rules[]` to the selected inbounds only.
Where releases differ, the mesh index's `KumaVersion` decides (spec kuma-2.14.md §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from meshtui.engine.index import MeshIndex
from meshtui.model import SERVICE_TAG, Dataplane, Resource, TargetRef
from meshtui.versions import KumaVersion

Listener = tuple[str, int]
"""Kuma's `InboundListener`: (address, port)."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What a top-level targetRef selects on one proxy."""

    inbounds: tuple[Listener, ...] = ()
    gateway_listeners: tuple[tuple[str, int, str], ...] = ()
    """Built-in gateway listeners as (address, port, hostname)."""
    delegated: bool = False
    reason: str = ""
    """Why nothing was selected (the first filter or selector that failed)."""
    warning: str = ""
    """A resolution error Kuma reports as a warning (unknown route, unsupported kind)."""

    @property
    def matched(self) -> bool:
        """Whether the policy applies to the proxy at all."""
        return bool(self.inbounds or self.gateway_listeners or self.delegated)


def tag_selector_matches(selector: Mapping[str, str], tags: Mapping[str, str]) -> bool:
    """Every selector key is present with the same value (or the selector says `*`)."""
    for key, value in selector.items():
        if key not in tags:
            return False
        if value != "*" and tags[key] != value:
            return False
    return True


def proxy_type(dataplane: Dataplane) -> str:
    """`Gateway` for built-in and delegated gateways, else `Sidecar`."""
    return "Gateway" if dataplane.is_gateway else "Sidecar"


def is_local_zone(labels: Mapping[str, str], zone: str) -> bool:
    """Kuma's `IsLocalZone`: a zone-originated resource from `zone` (or with no zone label)."""
    if labels.get("kuma.io/origin") != "zone":
        return False
    return "kuma.io/zone" not in labels or labels["kuma.io/zone"] == zone


def zone_filter_reason(policy: Resource, subject: Resource) -> str:
    """Why the zone pre-filter keeps the policy away from `subject`, or ``""``."""
    if policy.role == "producer":
        return ""
    origin = subject.labels.get("kuma.io/origin")
    if origin is None or origin == "global":
        return ""
    if policy.labels.get("kuma.io/origin") != "zone" or "kuma.io/zone" not in policy.labels:
        return ""
    if is_local_zone(subject.labels, policy.labels["kuma.io/zone"]):
        return ""
    where = subject.labels.get("kuma.io/zone", "")
    return (
        f"zone: a {policy.role} policy from zone {policy.labels['kuma.io/zone']!r} "
        f"only applies to proxies of that zone (this one is in {where!r})"
    )


def namespace_filter_reason(policy: Resource, dataplane: Resource) -> str:
    """Why the namespace pre-filter keeps the policy away, or ``""``."""
    role = policy.role
    if role not in ("consumer", "workload-owner"):
        return ""
    policy_ns = policy.labels.get("k8s.kuma.io/namespace")
    dp_ns = dataplane.labels.get("k8s.kuma.io/namespace", "")
    if policy_ns is not None and policy_ns == dp_ns:
        return ""
    if policy_ns is None:
        return (
            f"namespace: a {role} policy without a k8s.kuma.io/namespace label applies to no proxy"
        )
    return f"namespace: a {role} policy in {policy_ns!r} only applies to proxies in that namespace"


def select_gateway(index: MeshIndex, dataplane: Dataplane) -> Resource | None:
    """The MeshGateway Kuma attaches to this proxy in the bulk matching path (2.10).

    Reproduces Kuma: it runs for every proxy, and a sidecar whose inbound tags satisfy
    a gateway selector gets that gateway too.
    """
    candidates = [gw for gw in index.gateways if _gateway_in_zone(gw, dataplane)]
    candidates.sort(key=lambda gw: gw.name)
    best: Resource | None = None
    best_rank = (0, 0)
    for gw in candidates:
        selectors = gw.spec.get("selectors")
        selectors = selectors if isinstance(selectors, list) else []
        if not selectors:
            if best is None or _same_rank_later(gw, (0, 0), best, best_rank):
                best = gw
            continue
        for selector in selectors:
            match = selector.get("match") if isinstance(selector, Mapping) else None
            match = match if isinstance(match, Mapping) else {}
            if not match:
                if best is None or _same_rank_later(gw, (0, 0), best, best_rank):
                    best = gw
                continue
            if _dataplane_matches(dataplane, match):
                rank = (
                    sum(1 for v in match.values() if v != "*"),
                    sum(1 for v in match.values() if v == "*"),
                )
                if _compare_rank(rank, best_rank) > 0 or (
                    best is not None and _same_rank_later(gw, rank, best, best_rank)
                ):
                    best, best_rank = gw, rank
    return best


def _gateway_in_zone(gateway: Resource, dataplane: Dataplane) -> bool:
    """Kuma's `filterGatewaysByZone` for one gateway (label presence matters)."""
    origin = gateway.labels.get("kuma.io/origin")
    if origin is None or origin == "global":
        return True
    if "kuma.io/zone" not in dataplane.labels:
        return True
    return is_local_zone(gateway.labels, dataplane.labels["kuma.io/zone"])


def _dataplane_matches(dataplane: Dataplane, selector: Mapping[str, str]) -> bool:
    if dataplane.is_gateway and tag_selector_matches(selector, dataplane.gateway_tags):
        return True
    return any(tag_selector_matches(selector, inbound.tags) for inbound in dataplane.inbounds)


def _compare_rank(a: tuple[int, int], b: tuple[int, int]) -> int:
    if sum(a) == sum(b):
        return a[0] - b[0]
    return sum(a) - sum(b)


def _same_rank_later(
    gw: Resource, rank: tuple[int, int], best: Resource | None, best_rank: tuple[int, int]
) -> bool:
    if best is None or _compare_rank(rank, best_rank) != 0:
        return False
    return _created(gw) > _created(best)


def _created(resource: Resource) -> float:
    if not resource.creation_time:
        return float("-inf")
    try:
        return datetime.fromisoformat(resource.creation_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("-inf")


def select(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    index: MeshIndex,
) -> Selection:
    """Kuma 2.10.11's `dppSelectedByPolicy`: pre-filters, then the kind switch.

    A resolution error becomes the warning `MatchedPolicies` reports, always naming
    `policy` (the matched policy), even when the error came from a route it refers to.

    Args:
        policy: The policy whose top-level targetRef `ref` is.
        ref: The targetRef to evaluate.
        dataplane: The proxy.
        gateway: The MeshGateway `select_gateway` picked for the proxy, if any.
        index: The mesh, for MeshHTTPRoute lookups.
    """
    selection = _select(policy, ref, dataplane, gateway, index, ())
    if not selection.warning:
        return selection
    return Selection(
        selection.inbounds,
        selection.gateway_listeners,
        selection.delegated,
        selection.reason,
        _unresolved(policy, selection.warning),
    )


def _select(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    index: MeshIndex,
    routes: tuple[str, ...],
) -> Selection:
    """`select` with `warning` holding the bare error; `routes` are the routes recursed through."""
    subject = gateway if gateway is not None else dataplane.resource
    reason = zone_filter_reason(policy, subject) or namespace_filter_reason(
        policy, dataplane.resource
    )
    if reason:
        return Selection(reason=reason)
    return _kind_switch(policy, ref, dataplane, gateway, index, routes)


def select_by_kind(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    index: MeshIndex,
) -> Selection:
    """What the targetRef's kind selects, leaving out the zone and namespace pre-filters
    (for "why not": a policy can miss a proxy for several reasons at once)."""
    return _kind_switch(policy, ref, dataplane, gateway, index, ())


def _kind_switch(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    index: MeshIndex,
    routes: tuple[str, ...],
) -> Selection:
    kind = ref.kind
    if kind in ("Mesh", "MeshSubset"):
        if ref.proxy_types and proxy_type(dataplane) not in ref.proxy_types:
            return Selection(
                reason=f"proxyTypes {list(ref.proxy_types)} excludes a {proxy_type(dataplane)}"
            )
        version = index.version
        selector = dict(ref.tags or {}) if kind == "MeshSubset" else {}
        if kind == "Mesh" and version.zone_proxy_listeners and dataplane.listeners:
            return _with_zone_listeners(
                _by_tags(selector, dataplane, gateway, ref, version), dataplane
            )
        return _by_tags(selector, dataplane, gateway, ref, version)
    if kind == "MeshService":
        if not ref.name:
            return Selection(reason="a top-level MeshService selected by labels selects no proxy")
        return _by_tags({SERVICE_TAG: ref.name}, dataplane, gateway, ref, index.version)
    if kind == "MeshServiceSubset":
        selector = {SERVICE_TAG: ref.name, **(ref.tags or {})}
        return _by_tags(selector, dataplane, gateway, ref, index.version)
    if kind == "MeshGateway":
        return _by_mesh_gateway(policy, ref, dataplane, gateway, index.version)
    if kind == "Dataplane":
        return _by_dataplane(policy, ref, dataplane, gateway, index.version)
    if kind == "MeshHTTPRoute":
        route = index.routes_by_display_name.get(ref.name)
        if route is None or route.resource.mesh != policy.mesh:
            return Selection(
                reason=f"MeshHTTPRoute {ref.name!r} does not exist",
                warning=f"couldn't resolve MeshHTTPRoute targetRef with name '{ref.name}'",
            )
        if route.resource.name in routes:
            # Kuma would recurse forever (its validation forbids a route on a route).
            return Selection(reason=f"MeshHTTPRoute {ref.name!r} refers back to itself")
        inner = _select(
            route.resource,
            route.target_ref,
            dataplane,
            gateway,
            index,
            (*routes, route.resource.name),
        )
        if not inner.matched and inner.reason:
            return Selection(
                reason=f"via MeshHTTPRoute {ref.name}: {inner.reason}", warning=inner.warning
            )
        return inner
    return Selection(
        reason=f"unsupported top-level kind {kind!r}",
        warning=f"unsupported targetRef kind '{kind}'",
    )


def _unresolved(policy: Resource, error: str) -> str:
    """Kuma's `"unable to resolve TargetRef on policy: mesh:%s name:%s error:%q"`."""
    return (
        f"unable to resolve TargetRef on policy: mesh:{policy.mesh} name:{policy.name}"
        f" error:{go_quote(error)}"
    )


_GO_SIMPLE_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
}


def go_quote(text: str) -> str:
    """Go's `strconv.Quote` (`%q` of a string): printable runes kept, the rest escaped."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _GO_SIMPLE_ESCAPES:
            out.append(_GO_SIMPLE_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _by_tags(
    selector: Mapping[str, str],
    dataplane: Dataplane,
    gateway: Resource | None,
    ref: TargetRef,
    version: KumaVersion,
) -> Selection:
    with_ignored = version.ignored_inbounds_match_by_tags
    inbounds: list[Listener] = [
        inbound.listener
        for inbound in dataplane.inbounds
        if (with_ignored or inbound.state != "Ignored")
        and tag_selector_matches(selector, inbound.tags)
    ]
    listeners: list[tuple[str, int, str]] = []
    if gateway is not None:
        for listener in _gateway_listeners(gateway):
            tags = {
                **dataplane.gateway_tags,
                **_str_map(gateway.spec.get("tags")),
                **_str_map(listener.get("tags")),
            }
            if tag_selector_matches(selector, tags):
                raw_port = listener.get("port")
                port = raw_port if isinstance(raw_port, int) else 0
                key = (dataplane.address, port)
                if key not in inbounds:
                    inbounds.append(key)
                hostname = listener.get("hostname") or "*"
                listeners.append((dataplane.address, port, str(hostname)))
    delegated = dataplane.gateway_type == "DELEGATED" and tag_selector_matches(
        selector, dataplane.gateway_tags
    )
    selection = Selection(tuple(inbounds), tuple(listeners), delegated)
    if selection.matched:
        return selection
    return Selection(reason=f"{ref.describe()} matches no inbound of this proxy")


def mesh_inbounds(dataplane: Dataplane, version: KumaVersion) -> tuple[Listener, ...]:
    """What a top-level `Mesh` without `proxyTypes` selects on a proxy that has no
    MeshGateway: `_by_tags` with an empty selector, plus the zone-proxy listeners."""
    with_ignored = version.ignored_inbounds_match_by_tags
    found = [i.listener for i in dataplane.inbounds if with_ignored or i.state != "Ignored"]
    if version.zone_proxy_listeners:
        for listener in dataplane.listeners:
            if listener.listener not in found:
                found.append(listener.listener)
    return tuple(found)


def _with_zone_listeners(selection: Selection, dataplane: Dataplane) -> Selection:
    """M5: a top-level `Mesh` also selects every embedded zone-proxy listener, after the
    inbounds (a listener on an inbound's key is that key once)."""
    inbounds = list(selection.inbounds)
    for listener in dataplane.listeners:
        if listener.listener not in inbounds:
            inbounds.append(listener.listener)
    return Selection(tuple(inbounds), selection.gateway_listeners, selection.delegated)


def _by_mesh_gateway(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    version: KumaVersion,
) -> Selection:
    if gateway is None or dataplane.gateway_type != "BUILTIN":
        return Selection(reason="a MeshGateway targetRef only selects built-in gateway proxies")
    if gateway.mesh != policy.mesh or ref.name != gateway.display_name:
        return Selection(
            reason=f"this proxy serves MeshGateway {gateway.display_name!r}, not {ref.name!r}"
        )
    selection = _by_tags(dict(ref.tags or {}), dataplane, gateway, ref, version)
    return Selection(selection.inbounds, selection.gateway_listeners, False, selection.reason)


def _by_dataplane(
    policy: Resource,
    ref: TargetRef,
    dataplane: Dataplane,
    gateway: Resource | None,
    version: KumaVersion,
) -> Selection:
    if gateway is not None:
        return Selection(
            reason="a Dataplane targetRef never selects a proxy that has a MeshGateway"
        )
    dp = dataplane.resource
    # Kuma: all dataplanes, or by identity, or by labels (any of the three).
    selected = (
        (not ref.name and not ref.namespace and ref.labels is None)
        or (
            bool(ref.name)
            and (dp.display_name, dp.mesh, dp.namespace, dp.zone)
            == (ref.name, policy.mesh, ref.namespace or policy.namespace, policy.zone)
        )
        or (
            ref.labels is not None and all(dp.labels.get(k, "") == v for k, v in ref.labels.items())
        )
    )
    if not selected:
        return Selection(reason=f"{ref.describe()} does not select this proxy")
    section = ref.section_name
    by_port = version.section_name_by_port
    with_ignored = version.ignored_inbounds_match_by_dataplane
    inbounds = [
        inbound.listener
        for inbound in dataplane.inbounds
        if (with_ignored or inbound.state != "Ignored")
        and (not section or (inbound.section_name if by_port else inbound.name) == section)
    ]
    if version.zone_proxy_listeners:
        for listener in dataplane.listeners:
            if (not section or listener.section_name == section) and (
                listener.listener not in inbounds
            ):
                inbounds.append(listener.listener)
    delegated = version.dataplane_ref_selects_delegated and dataplane.gateway_type == "DELEGATED"
    if not inbounds and not delegated:
        return Selection(reason=f"{ref.describe()} selects no inbound of this proxy")
    return Selection(tuple(inbounds), delegated=delegated)


def _gateway_listeners(gateway: Resource) -> list[Mapping[str, object]]:
    conf = gateway.spec.get("conf")
    listeners = conf.get("listeners") if isinstance(conf, Mapping) else None
    return (
        [item for item in listeners if isinstance(item, Mapping)]
        if isinstance(listeners, list)
        else []
    )


def _str_map(raw: object) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items()}
