"""Everything Kuma 2.10.11 computes for one proxy and one policy type.

`type_rules` is `MatchedPolicies` plus the rule builders: which policies match (with
the reason for each one that does not), their merge order, the legacy tag rules
(`fromRules`, `toRules`, the single-item proxy rule), the merged inbound rules, the
per-resource outbound rules, and the warnings Kuma would report.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshtui.engine import subsets
from meshtui.engine.index import MeshIndex, SlowCandidates, proxy_requirements
from meshtui.engine.matching import Listener, mesh_inbounds, select, zone_filter_reason
from meshtui.engine.memo import RuleCache
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    MergeRanks,
    attribute_key,
    compare_attributes,
    compare_names_descending,
    full_ties,
    go_stable_sort,
    keyable,
    keyed_sort,
    sort_policies,
)
from meshtui.engine.resource_rules import Origin, ResourceRule, build_resource_rules
from meshtui.kinds import POLICY_KINDS, kinds_for
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import GoType, List, Ptr, Struct
from meshtui.kinds.schemas import schemas_for
from meshtui.kinds.schemas.common import MATCH
from meshtui.model import (
    SERVICE_TAG,
    Dataplane,
    Policy,
    PolicyItem,
    Resource,
    ResourceKey,
    TargetRef,
)
from meshtui.versions import DEFAULT, KumaVersion

RULE_MATCHES_HASH_TAG = "__rule-matches-hash__"
_OLD_KINDS = frozenset(
    {"Mesh", "MeshSubset", "MeshServiceSubset", "MeshService", "MeshGateway", "MeshHTTPRoute"}
)


@dataclass(frozen=True, slots=True)
class LegacyRule:
    """A 2.10 tag-subset rule: matchers, one merged conf, contributing policies."""

    subset: subsets.Subset
    conf: Any
    origins: tuple[Policy, ...]


@dataclass(frozen=True, slots=True)
class InboundRule:
    """An inbound rule: up to 2.11 the merged `rules[]` (and from-as-rules) conf of one
    inbound; from 2.12 one entry's own conf, and from 2.14 one of its `matches`."""

    confs: tuple[Any, ...]
    origins: tuple[Origin, ...]
    match: Any = None
    """The `Match` this rule is for (2.14+); `None` for a catch-all rule."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeRules:
    """Kuma's `TypedMatchingPolicies` for one policy type and one proxy."""

    type: str
    matched: tuple[Policy, ...] = ()
    """Policies that apply to the proxy, in merge order (lowest priority first)."""
    by_inbound: Mapping[Listener, tuple[Policy, ...]] = field(default_factory=dict)
    from_rules: Mapping[Listener, tuple[LegacyRule, ...]] = field(default_factory=dict)
    inbound_rules: Mapping[Listener, tuple[InboundRule, ...]] = field(default_factory=dict)
    to_rules: tuple[LegacyRule, ...] = ()
    resource_rules: tuple[ResourceRule, ...] = ()
    single_rules: tuple[LegacyRule, ...] = ()
    warnings: tuple[str, ...] = ()
    """Kuma's warnings followed by meshtui's own notes (the ties below), for display."""
    kuma_warnings: tuple[str, ...] = ()
    """Only what Kuma itself reports (`TypedMatchingPolicies.Warnings`, the `_rules` field)."""
    ties: tuple[tuple[Policy, Policy], ...] = ()
    """Neighbours in merge order that Kuma's comparator cannot tell apart."""


class _TagsError(ValueError):
    """A targetRef kind the legacy tag model cannot represent."""


def conf_type(policy_type: str, version: KumaVersion = DEFAULT) -> Struct:
    """The Go type merged for this policy type at this version (`to[]`/`from[]` items')."""
    return schemas_for(version).conf(policy_type)


def rule_conf_type(policy_type: str, version: KumaVersion) -> Struct:
    """The Go type of a `rules[]` entry's `default` (MeshTrafficPermission's differs from
    its `from[]` conf)."""
    schemas = schemas_for(version)
    return schemas.rule_confs.get(policy_type) or schemas.conf(policy_type)


def _merge_in_order(order: Mapping[int, int], *groups: Sequence[Policy]) -> list[Policy]:
    items = [p for group in groups for p in group]
    if sum(1 for g in groups if g) > 1:
        items.sort(key=lambda p: order[id(p)])
    return items


def _requirements(dataplane: Dataplane, cache: RuleCache) -> frozenset[tuple[str, ...]]:
    hit = cache.proxy_requirements.get(id(dataplane))
    if hit is not None and hit[0] is dataplane:
        return hit[1]
    found = proxy_requirements(dataplane)
    cache.proxy_requirements[id(dataplane)] = (dataplane, found)
    return found


def _with_inserted(
    base: Sequence[Policy],
    positions: Sequence[int],
    extra: Sequence[Policy],
    order: Mapping[int, int],
) -> list[Policy]:
    """`base` (store order, `positions` its places in it) with `extra` (store order too,
    usually a handful) slotted in where they belong: no sort of the whole list."""
    if not extra:
        return list(base)
    out: list[Policy] = []
    start = 0
    for policy in extra:
        i = bisect.bisect_left(positions, order[id(policy)], start)
        out.extend(base[start:i])
        out.append(policy)
        start = i
    out.extend(base[start:])
    return out


def match_policies(
    index: MeshIndex,
    dataplane: Dataplane,
    policy_type: str,
    gateway: Resource | None,
    cache: RuleCache,
    *,
    include_shadow: bool = False,
    fast: bool = True,
) -> tuple[list[Policy], dict[Listener, Sequence[Policy]], list[str]]:
    """The candidates of `policy_type` that select `dataplane`, in store order.

    The fast path skips the per-policy selector for top-level `Mesh` policies (their
    outcome is shared by all proxies of a namespace and zone) and never looks at
    namespace-scoped policies of other namespaces; `fast=False` evaluates every
    candidate, exactly as Kuma's loop does (the tests compare both).

    Returns:
        The matched policies, the policies per selected inbound, and warnings.
    """
    if include_shadow or gateway is not None or not fast:
        every, per_listener, found = _match_each(
            index.policies_of(policy_type, include_shadow=include_shadow), dataplane, gateway, index
        )
        return every, dict(per_listener), found
    sets = index.candidates(policy_type)
    namespace = dataplane.labels.get("k8s.kuma.io/namespace", "")
    key = (
        policy_type,
        namespace,
        dataplane.labels.get("kuma.io/origin"),
        dataplane.labels.get("kuma.io/zone"),
    )
    hit = cache.fast.get(key)
    if hit is None:
        shared_all = tuple(
            p
            for p in _merge_in_order(
                sets.order, sets.fast_global, sets.fast_by_namespace.get(namespace, ())
            )
            if not zone_filter_reason(p.resource, dataplane.resource)
        )
        positions = tuple(sets.order[id(p)] for p in shared_all)
        slow_all = SlowCandidates.of(
            tuple(
                _merge_in_order(
                    sets.order, sets.slow_global, sets.slow_by_namespace.get(namespace, ())
                )
            )
        )
        hit = (shared_all, positions, slow_all)
        cache.fast[key] = hit
    shared, positions, slow_candidates = hit
    # the others, but for those that need what this proxy lacks (they would miss it silently)
    slow = slow_candidates.for_proxy(_requirements(dataplane, cache), sets.order)
    listeners = mesh_inbounds(dataplane, index.version)
    if not listeners and dataplane.gateway_type != "DELEGATED":
        shared, positions = (), ()
    slow_matched, slow_inbound, warnings = _match_each(slow, dataplane, gateway, index)
    if not slow_matched:
        return list(shared), dict.fromkeys(listeners, shared) if shared else {}, warnings
    order = sets.order
    matched = _with_inserted(shared, positions, slow_matched, order)
    by_inbound: dict[Listener, Sequence[Policy]] = {}
    for listener in listeners:
        merged = _with_inserted(shared, positions, slow_inbound.get(listener, ()), order)
        if merged:
            by_inbound[listener] = merged
    for listener, extra in slow_inbound.items():
        by_inbound.setdefault(listener, extra)
    return matched, by_inbound, warnings


def _match_each(
    policies: Sequence[Policy], dataplane: Dataplane, gateway: Resource | None, index: MeshIndex
) -> tuple[list[Policy], dict[Listener, list[Policy]], list[str]]:
    matched: list[Policy] = []
    by_inbound: dict[Listener, list[Policy]] = {}
    warnings: list[str] = []
    for policy in policies:
        selection = select(policy.resource, policy.target_ref, dataplane, gateway, index)
        if selection.warning:
            warnings.append(selection.warning)
        if not selection.matched:
            continue
        matched.append(policy)
        for listener in selection.inbounds:
            by_inbound.setdefault(listener, []).append(policy)
    return matched, by_inbound, warnings


@dataclass(frozen=True, slots=True)
class _Ordered:
    """A set of matched policies in merge order, with what is derived from the order alone."""

    policies: tuple[Policy, ...]
    """The matched policies as given (kept so that their ids stay theirs)."""
    ordered: tuple[Policy, ...]
    ties: tuple[tuple[Policy, Policy], ...]
    ids: tuple[int, ...]
    """Ids of `ordered`: the key of the tables that depend on the merge order."""
    notes: tuple[str, ...]
    """meshtui's note on each full tie (never one of Kuma's warnings)."""
    to_relevant: tuple[Policy, ...]
    """Those with `to[]` entries (or a top-level route, looked up even without any): the
    only ones that shape the outbound side, so proxies whose matched sets differ by
    inbound-only policies share it."""
    to_ids: tuple[int, ...]


def _ranks(index: MeshIndex, policy_type: str, cache: RuleCache) -> MergeRanks | None:
    """The merge ranks of every (non-shadow) policy of a type, kept while they are the same."""
    policies = index.policies_of(policy_type)
    hit = cache.ranks.get(policy_type)
    if hit is None or hit[0] is not policies:
        hit = (policies, MergeRanks.of(policies))
        cache.ranks[policy_type] = hit
    ranks: MergeRanks | None = hit[1]
    return ranks


def _sorted(
    policies: Sequence[Policy], cache: RuleCache, ranks: MergeRanks | None = None
) -> _Ordered:
    key = tuple(map(id, policies))
    hit: _Ordered | None = cache.sorted.get(key)
    if hit is None:
        ranked = ranks.sort(policies) if ranks is not None else None
        if ranked is not None:
            ordered, ties = tuple(ranked[0]), tuple(ranked[1])
        else:
            ordered = tuple(sort_policies(policies))
            ties = tuple(full_ties(ordered))
        notes = tuple(
            f"{a.resource.type} {a.resource.name} and {b.resource.name} tie on every ordering key "
            "(kind, origin, role, name): Kuma leaves their order undefined;"
            " meshtui orders them as Go's sort does from store order"
            for a, b in ties
        )
        relevant = tuple(p for p in ordered if p.to or p.target_ref.kind == "MeshHTTPRoute")
        hit = _Ordered(
            tuple(policies),
            ordered,
            ties,
            tuple(map(id, ordered)),
            notes,
            relevant,
            tuple(map(id, relevant)),
        )
        cache.sorted[key] = hit
    return hit


def type_rules(
    index: MeshIndex,
    dataplane: Dataplane,
    policy_type: str,
    *,
    gateway: Resource | None = None,
    include_shadow: bool = False,
    cache: RuleCache | None = None,
    fast: bool = True,
) -> TypeRules:
    """Match and build every rule of `policy_type` for `dataplane`.

    Args:
        index: The dataplane's mesh.
        dataplane: The proxy.
        policy_type: E.g. `MeshTimeout`.
        gateway: The MeshGateway `matching.select_gateway` picked for this proxy.
        include_shadow: Also consider `kuma.io/effect: shadow` policies.
        cache: Memo tables shared across calls on the same index.
        fast: Use the fast matching path (see `match_policies`).
    """
    cache = cache if cache is not None else RuleCache()
    matched, by_inbound, warnings = match_policies(
        index, dataplane, policy_type, gateway, cache, include_shadow=include_shadow, fast=fast
    )
    ranks = None if include_shadow else _ranks(index, policy_type, cache)
    merge_order = _sorted(matched, cache, ranks)
    ordered, ties = merge_order.ordered, merge_order.ties
    per_inbound = {
        listener: _sorted(ps, cache, ranks).ordered for listener, ps in by_inbound.items()
    }
    struct = conf_type(policy_type, index.version)
    from_rules, inbound_rules = _from_side(
        policy_type, per_inbound, struct, warnings, cache, index.version
    )
    to_rules, resource_rules = _to_side(policy_type, merge_order, index, struct, warnings, cache)
    # meshtui's own notes, never part of Kuma's warnings (the `_rules` body must not show them)
    notes = merge_order.notes
    single_key = (policy_type, merge_order.ids)
    single_hit = cache.single.get(single_key)
    if single_hit is None:
        single_hit = (ordered, tuple(_single_item_rules(policy_type, ordered, struct, cache)))
        cache.single[single_key] = single_hit
    single: tuple[LegacyRule, ...] = single_hit[1]
    return TypeRules(
        type=policy_type,
        matched=ordered,
        by_inbound=per_inbound,
        from_rules=from_rules,
        inbound_rules=inbound_rules,
        to_rules=tuple(to_rules),
        resource_rules=tuple(resource_rules),
        single_rules=single,
        warnings=(*warnings, *notes),
        kuma_warnings=tuple(warnings),
        ties=ties,
    )


# ---------------------------------------------------------------------------------------
# inbound side


def has_rules(policy_type: str, version: KumaVersion) -> bool:
    """Whether the type has `rules[]` at this version (MeshTrafficPermission gained them in
    2.12, MeshFaultInjection in 2.13)."""
    return kinds_for(version).policies[policy_type].has_rules


def _from_side(
    policy_type: str,
    per_inbound: Mapping[Listener, tuple[Policy, ...]],
    struct: Struct,
    warnings: list[str],
    cache: RuleCache,
    version: KumaVersion,
) -> tuple[dict[Listener, tuple[LegacyRule, ...]], dict[Listener, tuple[InboundRule, ...]]]:
    info = POLICY_KINDS[policy_type]
    if not info.has_from:
        return {}, {}
    build = _InboundBuild(
        struct=struct,
        rule_struct=rule_conf_type(policy_type, version),
        has_rules=has_rules(policy_type, version),
        from_as_rules=info.from_as_rules,
        unmerged=version.unmerged_inbound_rules,
        matches=version.inbound_rule_matches,
        match_struct=schemas_for(version).match or MATCH,
    )
    from_rules: dict[Listener, tuple[LegacyRule, ...]] = {}
    inbound_rules: dict[Listener, tuple[InboundRule, ...]] = {}
    for listener, matched in per_inbound.items():
        # policies with neither `from[]` nor `rules[]` contribute nothing here
        policies = tuple(p for p in matched if p.from_ or p.rules)
        key = (policy_type, tuple(map(id, policies)))
        hit = cache.from_side.get(key)
        if hit is None:
            hit = (policies, *_from_one_inbound(policies, build, cache))
            cache.from_side[key] = hit
        _, legacy, rules = hit
        if isinstance(legacy, str):
            warnings.append(f"couldn't create From rules: {legacy}")
            return {}, {}
        from_rules[listener] = legacy
        if rules:
            inbound_rules[listener] = rules
    return from_rules, inbound_rules


@dataclass(frozen=True, slots=True, kw_only=True)
class _InboundBuild:
    """How one policy type's inbound side is built at one Kuma version."""

    struct: Struct
    """The conf type of `from[]` entries (and the merged conf)."""
    rule_struct: Struct
    """The conf type of `rules[]` entries."""
    has_rules: bool
    from_as_rules: bool
    unmerged: bool
    """S3 (2.12+): one rule per entry instead of one merged rule."""
    matches: bool
    """S4 (2.14+): one rule per `matches[]` item, sorted by match specificity."""
    match_struct: Struct
    """The version's `Match` type."""


def _from_one_inbound(
    policies: Sequence[Policy], build: _InboundBuild, cache: RuleCache
) -> tuple[tuple[LegacyRule, ...] | str, tuple[InboundRule, ...]]:
    try:
        items = [(p, item) for p in policies for item in p.from_]
        legacy: tuple[LegacyRule, ...] | str = tuple(
            _legacy_rules(items, build.struct, cache, negations=True)
        )
    except _TagsError as err:
        return str(err), ()
    if not build.has_rules:
        return legacy, ()
    entries = _inbound_entries(policies, from_as_rules=build.from_as_rules)
    if not entries:
        return legacy, ()
    if build.unmerged:
        return legacy, _unmerged_inbound_rules(entries, build, cache)
    origins: dict[tuple[ResourceKey, int], Origin] = {}
    for policy, item in entries:
        origins.setdefault((policy.key, item.index), Origin(policy, item.index))
    confs = cache.merge([item.conf for _, item in entries], build.struct, merge_confs)
    return legacy, (InboundRule(tuple(confs), tuple(origins.values())),)


def _inbound_entries(
    policies: Sequence[Policy], *, from_as_rules: bool
) -> list[tuple[Policy, PolicyItem]]:
    """Each policy's `rules[]`, else (from-as-rules types) its `from[]` (targetRef
    ignored), in entry order: attributes, then display name descending (stable)."""
    entries: list[tuple[Policy, PolicyItem]] = []
    for policy in policies:
        if policy.rules:
            entries.extend((policy, item) for item in policy.rules)
        elif from_as_rules and policy.from_:
            entries.extend((policy, item) for item in policy.from_)
    if not entries:
        return entries

    def compare(a: tuple[Policy, PolicyItem], b: tuple[Policy, PolicyItem]) -> int:
        return compare_attributes(a[0], b[0]) or compare_names_descending(a[0], b[0])

    if keyable([p for p, _ in entries]):
        return keyed_sort(entries, lambda e: e[0], lambda e: attribute_key(e[0]))
    return go_stable_sort(entries, compare)


def _unmerged_inbound_rules(
    entries: Sequence[tuple[Policy, PolicyItem]], build: _InboundBuild, cache: RuleCache
) -> tuple[InboundRule, ...]:
    """S3/S4: one rule per entry with the entry's own conf (a `from[]` entry's conf has
    the `from` type); from 2.14 one per match, then stably sorted by `match_key`."""
    out: list[InboundRule] = []
    for policy, item in entries:
        struct = build.rule_struct if item.target_ref is None else build.struct
        conf = cache.canon(item.conf, struct)
        origin = (Origin(policy, item.index),)
        if build.matches and item.matches:
            out.extend(
                InboundRule((conf,), origin, match=canon(match, build.match_struct))
                for match in item.matches
            )
        else:
            out.append(InboundRule((conf,), origin))
    if build.matches:
        out.sort(key=lambda rule: match_key(rule.match))
    return tuple(out)


def match_key(match: Any) -> tuple[int, int, int]:
    """O2 (`CompareMatch`): a spiffeID before none, Exact before Prefix before any other
    type; then an SNI before none. A catch-all (`None`) sorts last."""
    spiffe = match.get("spiffeID") if isinstance(match, Mapping) else None
    sni = match.get("sni") if isinstance(match, Mapping) else None
    if isinstance(spiffe, Mapping):
        score = {"Exact": 2, "Prefix": 1}.get(str(spiffe.get("type")), 0)
        spiffe_key = (0, -score)
    else:
        spiffe_key = (1, 0)
    return (*spiffe_key, 0 if isinstance(sni, Mapping) else 1)


# ---------------------------------------------------------------------------------------
# outbound side


def _to_side(
    policy_type: str,
    merge_order: _Ordered,
    index: MeshIndex,
    struct: Struct,
    warnings: list[str],
    cache: RuleCache,
) -> tuple[list[LegacyRule], list[ResourceRule]]:
    if not POLICY_KINDS[policy_type].has_to:
        return [], []
    relevant = merge_order.to_relevant
    key = (policy_type, merge_order.to_ids)
    hit = cache.to_side.get(key)
    if hit is None:
        hit = (relevant, *_compute_to_side(relevant, index, struct, cache))
        cache.to_side[key] = hit
    _, legacy, resource_rules, error = hit
    if error:
        warnings.append(f"couldn't create To rules: {error}")
    return legacy, resource_rules


def _compute_to_side(
    ordered: Sequence[Policy], index: MeshIndex, struct: Struct, cache: RuleCache
) -> tuple[list[LegacyRule], list[ResourceRule], str]:
    try:
        legacy = _legacy_rules(legacy_to_items(ordered, index), struct, cache, negations=False)
    except _TagsError as err:
        return [], [], str(err)
    return legacy, build_resource_rules(ordered, index, struct, cache), ""


def legacy_to_items(ordered: Sequence[Policy], index: MeshIndex) -> list[tuple[Policy, PolicyItem]]:
    """The items the legacy to-rules are built from, in merge order.

    Raises:
        ValueError: A top-level MeshHTTPRoute policy whose route cannot be found.
    """
    skip_route_targets = index.version.to_route_items
    items: list[tuple[Policy, PolicyItem]] = []
    for policy in ordered:
        if skip_route_targets and _targets_a_route(policy):
            continue  # S2: the legacy to-rules leave out every policy with `to: MeshHTTPRoute`
        if policy.target_ref.kind == "MeshHTTPRoute":
            items.extend(_route_items(policy, index))
        else:
            items.extend((policy, item) for item in policy.to)
    return items


def _targets_a_route(policy: Policy) -> bool:
    return any(item.target_ref and item.target_ref.kind == "MeshHTTPRoute" for item in policy.to)


def _route_items(policy: Policy, index: MeshIndex) -> list[tuple[Policy, PolicyItem]]:
    """§4.7: a top-level MeshHTTPRoute policy becomes one subset item per route rule."""
    route = _route_for(policy, index)
    if route is None:
        raise _TagsError("can't resolve MeshHTTPRoute policy")
    out: list[tuple[Policy, PolicyItem]] = []
    raw_to = route.resource.spec.get("to")
    for route_item in raw_to if isinstance(raw_to, list) else []:
        ref = route_item.get("targetRef") if isinstance(route_item, Mapping) else None
        rules = route_item.get("rules") if isinstance(route_item, Mapping) else None
        for rule in rules if isinstance(rules, list) else []:
            digest = hash_matches(rule.get("matches") if isinstance(rule, Mapping) else None)
            if isinstance(ref, Mapping) and ref.get("kind") in ("Mesh", "MeshSubset"):
                target = TargetRef(kind="MeshSubset", tags={RULE_MATCHES_HASH_TAG: digest})
            else:
                name = str(ref.get("name", "")) if isinstance(ref, Mapping) else ""
                target = TargetRef(
                    kind="MeshServiceSubset", name=name, tags={RULE_MATCHES_HASH_TAG: digest}
                )
            for item in policy.to:
                out.append(
                    (policy, PolicyItem(target_ref=target, conf=item.conf, index=item.index))
                )
    return out


def _route_for(policy: Policy, index: MeshIndex) -> Policy | None:
    """2.10 `buildToList`: the **last** route (store order) of the mesh with that display name.

    Kuma loops over every MeshHTTPRoute of the mesh context (shadow ones too, nothing is
    filtered there) and keeps overwriting its pick, so with two routes sharing a display
    name (two namespaces) the last one wins here, while matching took the first.
    """
    found = None
    for route in index.policies_of("MeshHTTPRoute", include_shadow=True):
        if route.resource.display_name == policy.target_ref.name:
            found = route
    return found


def _single_item_rules(
    policy_type: str, ordered: Sequence[Policy], struct: Struct, cache: RuleCache
) -> list[LegacyRule]:
    if not POLICY_KINDS[policy_type].single_item:
        return []
    items = [
        (p, PolicyItem(target_ref=TargetRef(kind="Mesh"), conf=p.default, index=0)) for p in ordered
    ]
    return _legacy_rules(items, struct, cache, negations=False)


# ---------------------------------------------------------------------------------------
# legacy tag rules


def target_subset(ref: TargetRef | None) -> subsets.Subset | None:
    """The tags a legacy targetRef stands for; `None` for kinds the tag model skips."""
    if ref is None:
        return None
    kind = ref.kind
    if kind == "Mesh":
        return ()
    if kind == "MeshSubset":
        return tuple(subsets.Tag(k, v) for k, v in sorted((ref.tags or {}).items()))
    if kind == "MeshService":
        return (subsets.Tag(SERVICE_TAG, ref.name),)
    if kind == "MeshServiceSubset":
        # Kuma appends the tags to the service tag: a `kuma.io/service` entry in `tags`
        # is a second tag of that key (a contradiction, or a duplicate), never an override.
        extra = (subsets.Tag(k, v) for k, v in (ref.tags or {}).items())
        return tuple(sorted((subsets.Tag(SERVICE_TAG, ref.name), *extra)))
    if kind in ("MeshGateway", "MeshHTTPRoute"):
        raise _TagsError(f"can't represent {kind} as tags")
    return None


def legacy_subset_items(
    items: Sequence[tuple[Policy, PolicyItem]],
) -> list[tuple[Policy, PolicyItem, subsets.Subset]]:
    """The items the legacy tag model takes (old targetRef kinds), with their subsets.

    Raises:
        ValueError: A MeshGateway or MeshHTTPRoute item, which the tag model cannot hold.
    """
    out = []
    for policy, item in items:
        if item.target_ref is None or item.target_ref.kind not in _OLD_KINDS:
            continue
        subset = target_subset(item.target_ref)
        if subset is not None:
            out.append((policy, item, subset))
    return out


def _legacy_rules(
    items: Sequence[tuple[Policy, PolicyItem]],
    struct: Struct,
    cache: RuleCache,
    *,
    negations: bool,
) -> list[LegacyRule]:
    policies: dict[ResourceKey, Policy] = {}
    subset_items = []
    for policy, item, subset in legacy_subset_items(items):
        policies.setdefault(policy.key, policy)
        subset_items.append(subsets.SubsetItem(subset=subset, conf=item.conf, origin=policy.key))
    if not subset_items:
        return []
    built = subsets.build_rules(
        subset_items,
        negations=negations,
        merge=lambda confs: cache.merge(confs, struct, merge_confs),
    )
    return [
        LegacyRule(
            rule.subset,
            rule.conf,
            tuple(policies[o] for o in rule.origins if isinstance(o, ResourceKey)),
        )
        for rule in built
    ]


# ---------------------------------------------------------------------------------------
# MeshHTTPRoute match hashes


def _matches_type() -> GoType:
    """The Go type of MeshHTTPRoute `rules[].matches` (`[]Match`)."""
    rules = conf_type("MeshHTTPRoute").field("rules")
    assert rules is not None
    rules_type = rules.type.elem if isinstance(rules.type, Ptr) else rules.type
    assert isinstance(rules_type, List) and isinstance(rules_type.elem, Struct)
    matches = rules_type.elem.field("matches")
    assert matches is not None
    return matches.type


def hash_matches(matches: Any) -> str:
    """`HashMatches`: base64(sha256(Go JSON of the typed `[]Match`))."""
    typed = canon(matches, _matches_type())
    text = json.dumps(typed, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
