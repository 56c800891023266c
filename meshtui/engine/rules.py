"""Everything Kuma 2.10.11 computes for one proxy and one policy type.

`type_rules` is `MatchedPolicies` plus the rule builders: which policies match (with
the reason for each one that does not), their merge order, the legacy tag rules
(`fromRules`, `toRules`, the single-item proxy rule), the merged inbound rules, the
per-resource outbound rules, and the warnings Kuma would report.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshtui.engine import subsets
from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import Listener, Selection, select
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    compare_attributes,
    compare_names_descending,
    full_ties,
    go_stable_sort,
    sort_policies,
)
from meshtui.engine.resource_rules import Origin, ResourceRule, build_resource_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import GoType, List, Ptr, Struct
from meshtui.model import (
    SERVICE_TAG,
    Dataplane,
    Policy,
    PolicyItem,
    Resource,
    ResourceKey,
    TargetRef,
)

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
    """The merged `rules[]` (and from-as-rules) conf of one inbound."""

    confs: tuple[Any, ...]
    origins: tuple[Origin, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeRules:
    """Kuma's `TypedMatchingPolicies` for one policy type and one proxy."""

    type: str
    matched: tuple[Policy, ...] = ()
    """Policies that apply to the proxy, in merge order (lowest priority first)."""
    by_inbound: Mapping[Listener, tuple[Policy, ...]] = field(default_factory=dict)
    selections: Mapping[ResourceKey, Selection] = field(default_factory=dict)
    """Every candidate's selection, matched or not, for provenance."""
    from_rules: Mapping[Listener, tuple[LegacyRule, ...]] = field(default_factory=dict)
    inbound_rules: Mapping[Listener, tuple[InboundRule, ...]] = field(default_factory=dict)
    to_rules: tuple[LegacyRule, ...] = ()
    resource_rules: tuple[ResourceRule, ...] = ()
    single_rules: tuple[LegacyRule, ...] = ()
    warnings: tuple[str, ...] = ()
    ties: tuple[tuple[Policy, Policy], ...] = ()
    """Neighbours in merge order that Kuma's comparator cannot tell apart."""


class _TagsError(ValueError):
    """A targetRef kind the legacy tag model cannot represent."""


def conf_type(policy_type: str) -> Struct:
    """The Go type merged for this policy type."""
    from meshtui.kinds.schemas import POLICY_CONFS

    return POLICY_CONFS[policy_type]


def type_rules(
    index: MeshIndex,
    dataplane: Dataplane,
    policy_type: str,
    *,
    gateway: Resource | None = None,
    include_shadow: bool = False,
) -> TypeRules:
    """Match and build every rule of `policy_type` for `dataplane`.

    Args:
        index: The dataplane's mesh.
        dataplane: The proxy.
        policy_type: E.g. `MeshTimeout`.
        gateway: The MeshGateway `matching.select_gateway` picked for this proxy.
        include_shadow: Also consider `kuma.io/effect: shadow` policies.
    """
    matched: list[Policy] = []
    by_inbound: dict[Listener, list[Policy]] = {}
    selections: dict[ResourceKey, Selection] = {}
    warnings: list[str] = []
    for policy in index.policies_of(policy_type, include_shadow=include_shadow):
        selection = select(policy.resource, policy.target_ref, dataplane, gateway, index)
        selections[policy.key] = selection
        if selection.warning:
            warnings.append(selection.warning)
        if not selection.matched:
            continue
        matched.append(policy)
        for listener in selection.inbounds:
            by_inbound.setdefault(listener, []).append(policy)
    ordered = sort_policies(matched)
    per_inbound = {listener: tuple(sort_policies(ps)) for listener, ps in by_inbound.items()}
    ties = full_ties(ordered)
    for a, b in ties:
        warnings.append(
            f"{policy_type} {a.resource.name} and {b.resource.name} tie on every ordering key "
            "(kind, origin, role, name): Kuma leaves their order undefined;"
            " meshtui keeps store order"
        )
    struct = conf_type(policy_type)
    from_rules, inbound_rules = _from_side(policy_type, per_inbound, struct, warnings)
    to_rules, resource_rules = _to_side(policy_type, ordered, index, struct, warnings)
    return TypeRules(
        type=policy_type,
        matched=tuple(ordered),
        by_inbound=per_inbound,
        selections=selections,
        from_rules=from_rules,
        inbound_rules=inbound_rules,
        to_rules=tuple(to_rules),
        resource_rules=tuple(resource_rules),
        single_rules=tuple(_single_item_rules(policy_type, ordered, struct)),
        warnings=tuple(warnings),
        ties=tuple(ties),
    )


# ---------------------------------------------------------------------------------------
# inbound side


def _from_side(
    policy_type: str,
    per_inbound: Mapping[Listener, tuple[Policy, ...]],
    struct: Struct,
    warnings: list[str],
) -> tuple[dict[Listener, tuple[LegacyRule, ...]], dict[Listener, tuple[InboundRule, ...]]]:
    info = POLICY_KINDS[policy_type]
    if not info.has_from:
        return {}, {}
    from_rules: dict[Listener, tuple[LegacyRule, ...]] = {}
    try:
        for listener, policies in per_inbound.items():
            items = [(p, item) for p in policies for item in p.from_]
            from_rules[listener] = tuple(_legacy_rules(items, struct, negations=True))
    except _TagsError as err:
        warnings.append(f"couldn't create From rules: {err}")
        return {}, {}
    inbound_rules: dict[Listener, tuple[InboundRule, ...]] = {}
    if info.has_rules:
        for listener, policies in per_inbound.items():
            rule = _inbound_rule(policies, struct, from_as_rules=info.from_as_rules)
            if rule is not None:
                inbound_rules[listener] = (rule,)
    return from_rules, inbound_rules


def _inbound_rule(
    policies: Sequence[Policy], struct: Struct, *, from_as_rules: bool
) -> InboundRule | None:
    entries: list[tuple[Policy, PolicyItem]] = []
    for policy in policies:
        if policy.rules:
            entries.extend((policy, item) for item in policy.rules)
        elif from_as_rules and policy.from_:
            entries.extend((policy, item) for item in policy.from_)
    if not entries:
        return None

    def compare(a: tuple[Policy, PolicyItem], b: tuple[Policy, PolicyItem]) -> int:
        return compare_attributes(a[0], b[0]) or compare_names_descending(a[0], b[0])

    entries = go_stable_sort(entries, compare)
    origins: dict[tuple[ResourceKey, int], Origin] = {}
    for policy, item in entries:
        origins.setdefault((policy.key, item.index), Origin(policy, item.index))
    confs = merge_confs([item.conf for _, item in entries], struct)
    return InboundRule(tuple(confs), tuple(origins.values()))


# ---------------------------------------------------------------------------------------
# outbound side


def _to_side(
    policy_type: str,
    ordered: Sequence[Policy],
    index: MeshIndex,
    struct: Struct,
    warnings: list[str],
) -> tuple[list[LegacyRule], list[ResourceRule]]:
    if not POLICY_KINDS[policy_type].has_to:
        return [], []
    try:
        items: list[tuple[Policy, PolicyItem]] = []
        for policy in ordered:
            if policy.target_ref.kind == "MeshHTTPRoute":
                items.extend(_route_items(policy, index))
            else:
                items.extend((policy, item) for item in policy.to)
        legacy = _legacy_rules(items, struct, negations=False)
    except _TagsError as err:
        warnings.append(f"couldn't create To rules: {err}")
        return [], []
    return legacy, build_resource_rules(ordered, index, struct)


def _route_items(policy: Policy, index: MeshIndex) -> list[tuple[Policy, PolicyItem]]:
    """§4.7: a top-level MeshHTTPRoute policy becomes one subset item per route rule."""
    route = index.routes_by_display_name.get(policy.target_ref.name)
    if route is None:
        raise _TagsError(f"can't resolve MeshHTTPRoute policy {policy.target_ref.name}")
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


def _single_item_rules(
    policy_type: str, ordered: Sequence[Policy], struct: Struct
) -> list[LegacyRule]:
    if not POLICY_KINDS[policy_type].single_item:
        return []
    items = [
        (p, PolicyItem(target_ref=TargetRef(kind="Mesh"), conf=p.default, index=0)) for p in ordered
    ]
    return _legacy_rules(items, struct, negations=False)


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
        tags = {SERVICE_TAG: ref.name, **(ref.tags or {})}
        return tuple(subsets.Tag(k, v) for k, v in sorted(tags.items()))
    if kind in ("MeshGateway", "MeshHTTPRoute"):
        raise _TagsError(f"can't represent {kind} as tags")
    return None


def _legacy_rules(
    items: Sequence[tuple[Policy, PolicyItem]], struct: Struct, *, negations: bool
) -> list[LegacyRule]:
    policies: dict[ResourceKey, Policy] = {}
    subset_items = []
    for policy, item in items:
        if item.target_ref is None or item.target_ref.kind not in _OLD_KINDS:
            continue
        subset = target_subset(item.target_ref)
        if subset is None:
            continue
        policies.setdefault(policy.key, policy)
        subset_items.append(subsets.SubsetItem(subset=subset, conf=item.conf, origin=policy.key))
    if not subset_items:
        return []
    built = subsets.build_rules(
        subset_items, negations=negations, merge=lambda confs: merge_confs(confs, struct)
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
