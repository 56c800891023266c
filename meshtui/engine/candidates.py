"""Which policies of one type select a proxy, found without trying every candidate.

The policies of a type are named by their position in its store order (`index.Candidates`).
Top-level `Mesh` policies without `proxyTypes` are decided once per namespace, origin and
zone; namespace-scoped policies of other namespaces are never looked at; the others are
tried only on proxies that have what they require. `match_each` is Kuma's loop (every
candidate tried, in store order), the plain path the tests hold this one to.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from meshtui.engine.index import Candidates, MeshIndex, SlowCandidates, proxy_requirements
from meshtui.engine.matching import Listener, mesh_inbounds, select, zone_filter_reason
from meshtui.engine.memo import Memo, Part, Table
from meshtui.model import NAMESPACE, Dataplane, Policy, Resource

_FAST: Table[tuple[str, str | None, str | None], tuple[tuple[int, ...], SlowCandidates]] = Table(
    "fast matches", key=(Part.TYPE,)
)
"""Per type: (namespace, proxy origin, proxy zone) → (the top-level Mesh policies that
apply to such a proxy with inbounds, the other candidates to try one by one), as
positions."""
_REQUIREMENTS: Table[str, frozenset[tuple[str, ...]]] = Table(
    "proxy requirements", key=(Part.DATAPLANE,)
)
"""Dataplane → what `index.requirement`s it meets."""


def with_inserted(base: Sequence[int], extra: Sequence[int]) -> list[int]:
    """Two ascending lists of positions merged, `extra` (usually a handful) slotted in."""
    if not extra:
        return list(base)
    out: list[int] = []
    start = 0
    for position in extra:
        i = bisect.bisect_left(base, position, start)
        out.extend(base[start:i])
        out.append(position)
        start = i
    out.extend(base[start:])
    return out


def match_shared(
    policy_type: str,
    sets: Candidates,
    index: MeshIndex,
    memo: Memo,
    dataplane: Dataplane,
    gateway: Resource | None,
) -> tuple[list[int], dict[Listener, list[int]], list[str]]:
    """The positions that select `dataplane`, ascending, overall and per inbound.

    Top-level `Mesh` policies without `proxyTypes` are decided once per namespace,
    origin and zone; namespace-scoped policies of other namespaces are never looked at;
    the rest are tried only on proxies that have what they require (a miss would be
    silent). With a MeshGateway every candidate is tried, as Kuma does.
    """
    policies = sets.policies
    if gateway is not None:
        return match_positions(range(len(policies)), policies, dataplane, gateway, index)
    labels = dataplane.labels
    namespace = labels.get(NAMESPACE, "")
    key = (namespace, labels.get("kuma.io/origin"), labels.get("kuma.io/zone"))
    fast = memo.part(_FAST, policy_type)
    hit = fast.get(key)
    if hit is None:
        in_zone = tuple(
            p
            for p in sorted((*sets.fast_global, *sets.fast_by_namespace.get(namespace, ())))
            if not zone_filter_reason(policies[p].resource, dataplane.resource)
        )
        slow_all = sorted((*sets.slow_global, *sets.slow_by_namespace.get(namespace, ())))
        hit = (in_zone, SlowCandidates.of(slow_all, policies))
        fast[key] = hit
    shared_positions, slow_candidates = hit
    name = dataplane.resource.name
    requirements = memo.table(_REQUIREMENTS)
    has = requirements.get(name)
    if has is None:
        has = requirements[name] = proxy_requirements(dataplane)
    slow = slow_candidates.for_proxy(has)
    listeners = mesh_inbounds(dataplane, index.version)
    shared: Sequence[int] = shared_positions
    if not listeners and dataplane.gateway_type != "DELEGATED":
        shared = ()
    slow_matched, slow_inbound, warnings = match_positions(
        slow, policies, dataplane, gateway, index
    )
    if not slow_matched:
        return list(shared), {lst: list(shared) for lst in listeners} if shared else {}, warnings
    matched = with_inserted(shared, slow_matched)
    by_inbound: dict[Listener, list[int]] = {}
    for listener in listeners:
        together = with_inserted(shared, slow_inbound.get(listener, ()))
        if together:
            by_inbound[listener] = together
    for listener, extra in slow_inbound.items():
        by_inbound.setdefault(listener, extra)
    return matched, by_inbound, warnings


def match_positions(
    positions: Sequence[int] | range,
    policies: Sequence[Policy],
    dataplane: Dataplane,
    gateway: Resource | None,
    index: MeshIndex,
) -> tuple[list[int], dict[Listener, list[int]], list[str]]:
    matched: list[int] = []
    by_inbound: dict[Listener, list[int]] = {}
    warnings: list[str] = []
    for position in positions:
        policy = policies[position]
        selection = select(policy.resource, policy.target_ref, dataplane, gateway, index)
        if selection.warning:
            warnings.append(selection.warning)
        if not selection.matched:
            continue
        matched.append(position)
        for listener in selection.inbounds:
            by_inbound.setdefault(listener, []).append(position)
    return matched, by_inbound, warnings


def match_each(
    policies: Sequence[Policy], dataplane: Dataplane, gateway: Resource | None, index: MeshIndex
) -> tuple[list[Policy], dict[Listener, list[Policy]], list[str]]:
    """Kuma's loop: every candidate tried, in store order."""
    matched, by_inbound, warnings = match_positions(
        range(len(policies)), policies, dataplane, gateway, index
    )
    return (
        [policies[p] for p in matched],
        {k: [policies[p] for p in v] for k, v in by_inbound.items()},
        warnings,
    )
