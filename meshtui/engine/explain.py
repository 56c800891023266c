"""Why a proxy gets what it gets: field blame, merge order in words, and why (not).

- `blame`: for one merged conf and the entries merged into it (in merge order), every
  leaf of the result with the entry whose value is final and the earlier entries that set
  the same field and were overridden; items of `Append*` lists and MeshHTTPRoute rules
  (merged by their `matches`) are attributed one by one. It reads the typed entries the
  merge read (`merging.typed_groups`) and the merge's own result: under RFC 7396 the final
  value of a leaf is the one the last entry that sets it wrote, so replaying the blamed
  values rebuilds the merged conf (checked by a property test).
- `order_steps`: for adjacent policies of a merge order, the sort key that decided it.
- `why_not`: every reason a policy does not apply to a proxy, not only the first.
- `explain_dataplane`: all of it for one proxy and policy type, per rule.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.engine import subsets
from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import (
    Listener,
    namespace_filter_reason,
    select,
    select_by_kind,
    select_gateway,
    zone_filter_reason,
)
from meshtui.engine.merging import typed_groups
from meshtui.engine.ordering import (
    compare_dataplane_refs,
    kind_rank,
    origin_rank,
    role_rank,
)
from meshtui.engine.resource_rules import Origin, ResourceRule, resolve
from meshtui.engine.rules import InboundRule, TypeRules, conf_type, rule_conf_type, type_rules
from meshtui.engine.tag_rules import LegacyRule, legacy_subset_items, legacy_to_items
from meshtui.kinds import policy_info
from meshtui.kinds.gotypes import Field, List, Ptr, Struct
from meshtui.model import Dataplane, Policy, PolicyItem, Resource, TargetRef

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One entry merged into a conf: its policy, where in the policy, and its conf."""

    policy: Policy
    entry: str
    """`to[2]`, `from[0]`, `rules[1]` or `default`."""
    conf: Any


@dataclass(frozen=True, slots=True)
class Setter:
    """An entry that set a field, and the value it set."""

    policy: Policy
    entry: str
    value: Any

    def describe(self) -> str:
        return f"{self.policy.type} {self.policy.resource.name} {self.entry}"


@dataclass(frozen=True, slots=True)
class FieldBlame:
    """One leaf of a merged conf: its value, who set it last, who set it before."""

    path: Path
    value: Any
    winner: Setter | None
    """`None` only if no entry sets the leaf (a value the merge itself produced)."""
    overridden: tuple[Setter, ...] = ()
    """Earlier entries that set the same field, in merge order."""
    appended: bool = False
    """An item of a list that merging concatenates (each item has its own setter)."""


@dataclass(frozen=True, slots=True)
class OrderStep:
    """Why `before` is merged before `after` (and so loses conflicting fields to it)."""

    before: Policy
    after: Policy
    key: str
    """`kind`, `dataplane-ref`, `origin`, `gateway-tags`, `role`, `name`, or `tie`."""
    reason: str


@dataclass(frozen=True, slots=True)
class RuleExplanation:
    """One merged rule of one policy type on one proxy, explained."""

    type: str
    where: str
    """`proxy`, `inbound :8080`, `outbound MeshService demo/backend :http`, `to-tags …`."""
    conf: Any
    fields: tuple[FieldBlame, ...]
    contributions: tuple[Contribution, ...]
    order: tuple[OrderStep, ...]


# ---------------------------------------------------------------------------------------
# blame


def blame(
    merged: Any, contributions: Sequence[Contribution], struct: Struct
) -> tuple[FieldBlame, ...]:
    """Every leaf of `merged` (the merge of `contributions`' confs, in that order) with
    the entry that set it last and the entries it overrode."""
    typed = typed_groups([c.conf for c in contributions], struct)
    # One merged conf per hostname group (MeshHTTPRoute); groups map back to entries.
    if len(typed) != 1:
        group = _group_for(merged, typed)
    else:
        group = typed[0]
    sources = [(contributions[i], conf) for i, conf in group]
    out: list[FieldBlame] = []
    if isinstance(merged, Mapping) and not merged:
        return ()
    _walk(merged, (), struct, sources, out)
    return tuple(out)


def _group_for(merged: Any, groups: Sequence[Sequence[tuple[int, Any]]]) -> Sequence[Any]:
    hostnames = merged.get("hostnames") if isinstance(merged, Mapping) else None
    for group in groups:
        first = group[0][1] if group else None
        if isinstance(first, Mapping) and first.get("hostnames") == hostnames:
            return group
    return groups[0] if groups else ()


def _field(struct: Struct | None, key: str) -> Field | None:
    if struct is None:
        return None
    return next((f for f in struct.flat_fields() if f.json == key), None)


def _struct_of(f: Field | None) -> Struct | None:
    if f is None:
        return None
    inner = f.type.elem if isinstance(f.type, Ptr) else f.type
    return inner if isinstance(inner, Struct) else None


def _list_elem_struct(f: Field | None) -> Struct | None:
    if f is None:
        return None
    inner = f.type.elem if isinstance(f.type, Ptr) else f.type
    if isinstance(inner, List) and isinstance(inner.elem, Struct):
        return inner.elem
    return None


def _at(value: Any, path: Path) -> tuple[bool, Any]:
    for key in path:
        if isinstance(key, str) and isinstance(value, Mapping) and key in value:
            value = value[key]
        else:
            return False, None
    return value is not None, value


def _walk(
    value: Any,
    path: Path,
    struct: Struct | None,
    sources: Sequence[tuple[Contribution, Any]],
    out: list[FieldBlame],
    rel: Path | None = None,
) -> None:
    """Blame `value`, found at `path` of the merged conf and at `rel` (default: `path`)
    inside each source conf."""
    rel = path if rel is None else rel
    if isinstance(value, Mapping) and value:
        for key, child in value.items():
            f = _field(struct, key)
            at, inside = (*path, key), (*rel, key)
            if f is not None and isinstance(child, list) and f.policy_merge == "mergeValuesByKey":
                _walk_keyed_rules(child, at, inside, f, sources, out)
            elif f is not None and f.appends and isinstance(child, list):
                _walk_appended(child, at, inside, sources, out)
            elif f is not None and f.appends:
                # an empty concatenation: the merge itself writes null here
                out.append(FieldBlame(at, child, None))
            else:
                _walk(child, at, _struct_of(f), sources, out, inside)
        return
    setters = [
        Setter(c.policy, c.entry, found)
        for c, conf in sources
        for ok, found in [_at(conf, rel)]
        if ok
    ]
    winner = setters[-1] if setters else None
    out.append(FieldBlame(path, value, winner, tuple(setters[:-1])))


def _walk_appended(
    items: list[Any],
    path: Path,
    rel: Path,
    sources: Sequence[tuple[Contribution, Any]],
    out: list[FieldBlame],
) -> None:
    """An `Append*` list is every entry's list, concatenated in merge order."""
    owners: list[Contribution] = []
    for contribution, conf in sources:
        ok, found = _at(conf, rel)
        if ok and isinstance(found, list):
            owners.extend([contribution] * len(found))
    for i, item in enumerate(items):
        owner = owners[i] if i < len(owners) else None
        setter = Setter(owner.policy, owner.entry, item) if owner is not None else None
        out.append(FieldBlame((*path, i), item, setter, appended=True))


def _walk_keyed_rules(
    rules: list[Any],
    path: Path,
    rel: Path,
    f: Field,
    sources: Sequence[tuple[Contribution, Any]],
    out: list[FieldBlame],
) -> None:
    """MeshHTTPRoute `rules`: each merged rule is the merge of every entry's rules with the
    same `matches`, in merge order; its `default` is blamed against those."""
    rule_struct = _list_elem_struct(f)
    fields = rule_struct.flat_fields() if rule_struct is not None else ()
    default_field = next((g for g in fields if g.go_name == "Default"), None)
    key_field = next((g for g in fields if "mergeKey" in g.policy_merge), None)
    key = key_field.json if key_field is not None else "matches"
    default_key = default_field.json if default_field is not None else "default"
    for i, rule in enumerate(rules):
        matches = rule.get(key) if isinstance(rule, Mapping) else None
        members: list[tuple[Contribution, Any]] = []
        for contribution, conf in sources:
            ok, found = _at(conf, rel)
            for candidate in found if ok and isinstance(found, list) else []:
                if isinstance(candidate, Mapping) and candidate.get(key) == matches:
                    members.append((contribution, candidate.get(default_key)))
        first = members[0][0] if members else None
        setter = Setter(first.policy, first.entry, matches) if first is not None else None
        out.append(FieldBlame((*path, i, key), matches, setter))
        default = rule.get(default_key) if isinstance(rule, Mapping) else None
        at = (*path, i, default_key)
        _walk(default, at, _struct_of(default_field), members, out, ())


def replay(fields: Sequence[FieldBlame]) -> Any:
    """The conf the blamed values rebuild (each leaf's winning value at its path)."""
    root: dict[Any, Any] = {}
    for blamed in fields:
        if not blamed.path:
            return blamed.winner.value if blamed.winner is not None else blamed.value
        value = blamed.winner.value if blamed.winner is not None else blamed.value
        node: Any = root
        for key, nxt in zip(blamed.path, (*blamed.path[1:], None), strict=True):
            if nxt is None:
                node[key] = value
                break
            node = node.setdefault(key, {} if isinstance(nxt, str) else _ListBuilder())
    return _finish(root)


class _ListBuilder(dict[int, Any]):
    """A list under construction, indexed by position."""


def _finish(node: Any) -> Any:
    if isinstance(node, _ListBuilder):
        return [_finish(node[i]) for i in sorted(node)]
    if isinstance(node, dict):
        return {k: _finish(v) for k, v in node.items()}
    return node


# ---------------------------------------------------------------------------------------
# merge order, in words


def _name(policy: Policy) -> str:
    return policy.resource.display_name


def _ref_words(policy: Policy) -> str:
    ref = policy.target_ref
    if ref.kind != "Dataplane":
        return ref.kind
    how = "by name" if ref.name else ("by labels" if ref.labels is not None else "all")
    section = " with sectionName" if ref.section_name else ""
    return f"Dataplane ({how}{section})"


_ORIGIN_WORDS = {1: "global", 2: "no origin label", 3: "zone", 0: "an unknown origin"}
_ROLE_WORDS = {1: "system", 2: "producer", 3: "consumer", 4: "workload-owner", 0: "unknown"}


def order_step(before: Policy, after: Policy) -> OrderStep:
    """Which of the policy comparator's keys puts `before` ahead of `after` (spec
    kuma-matching.md §4.1: kind, Dataplane refinement, origin, gateway tags, role, name)."""
    a, b = before, after
    rank_a, rank_b = kind_rank(a.target_ref.kind), kind_rank(b.target_ref.kind)
    if rank_a != rank_b:
        return OrderStep(
            a,
            b,
            "kind",
            f"{_name(b)} comes after {_name(a)}: its top-level targetRef"
            f" {b.target_ref.kind} is more specific than {a.target_ref.kind}",
        )
    refined = compare_dataplane_refs(a.target_ref, b.target_ref)
    if refined:
        return OrderStep(
            a,
            b,
            "dataplane-ref",
            f"{_name(b)} comes after {_name(a)}: a {_ref_words(b)} ref ranks above"
            f" a {_ref_words(a)} ref",
        )
    origin_a, origin_b = origin_rank(a), origin_rank(b)
    if origin_a != origin_b:
        return OrderStep(
            a,
            b,
            "origin",
            f"{_name(b)} comes after {_name(a)}: origin {_ORIGIN_WORDS[origin_b]} ranks above"
            f" {_ORIGIN_WORDS[origin_a]}",
        )
    if a.target_ref.kind == "MeshGateway" and b.target_ref.kind == "MeshGateway":
        tags_a, tags_b = len(a.target_ref.tags or {}), len(b.target_ref.tags or {})
        if tags_a != tags_b:
            return OrderStep(
                a,
                b,
                "gateway-tags",
                f"{_name(b)} comes after {_name(a)}: it selects more MeshGateway listener"
                f" tags ({tags_b} against {tags_a})",
            )
    role_a, role_b = role_rank(a), role_rank(b)
    if role_a != role_b:
        reason = (
            f"{_name(b)} comes after {_name(a)}: role {_ROLE_WORDS[role_b]} ranks above"
            f" {_ROLE_WORDS[role_a]}"
        )
        if (
            b.resource.role == "consumer"
            and a.resource.role == "producer"
            and b.resource.namespace
            and b.resource.namespace == a.resource.namespace
        ):
            reason += (
                f"; it is a consumer policy in {b.resource.namespace}, the producer's own"
                " namespace, so for proxies there it overrides the producer policy however"
                " broad its own to[] is"
            )
        return OrderStep(a, b, "role", reason)
    if _name(a) != _name(b):
        return OrderStep(
            a,
            b,
            "name",
            f"{_name(b)} comes after {_name(a)}: same kind, origin and role, and display names"
            f" sort descending, so {_name(b)!r} (the smaller) is merged last and wins",
        )
    return OrderStep(
        a,
        b,
        "tie",
        f"{a.resource.name} and {b.resource.name} tie on every key (kind, origin, role,"
        " name): Kuma's order between them is not stable; meshtui orders them as Go's sort"
        " does from store order",
    )


def order_steps(policies: Sequence[Policy]) -> tuple[OrderStep, ...]:
    """`order_step` for each adjacent pair of a merge order."""
    return tuple(order_step(a, b) for a, b in itertools.pairwise(policies))


def _entry_steps(contributions: Sequence[Contribution]) -> tuple[OrderStep, ...]:
    """Adjacent `to[]` entries of one resource rule: the policy keys, then the entries'
    own targetRef kind (entries are re-sorted by it after the policy keys)."""
    out = []
    for a, b in itertools.pairwise(contributions):
        step = order_step(a.policy, b.policy)
        if step.key in ("name", "tie") or a.policy is b.policy:
            kind_a = _to_kind(a)
            kind_b = _to_kind(b)
            if kind_rank(kind_a) != kind_rank(kind_b):
                step = OrderStep(
                    a.policy,
                    b.policy,
                    "entry-kind",
                    f"{_name(b.policy)} {b.entry} comes after {_name(a.policy)} {a.entry}:"
                    f" to[] entries are re-sorted by their targetRef kind after the policy"
                    f" keys, and {kind_b} is more specific than {kind_a}",
                )
        out.append(step)
    return tuple(out)


def _to_kind(contribution: Contribution) -> str:
    index = _entry_index(contribution.entry)
    items = contribution.policy.to
    if contribution.entry.startswith("to[") and index < len(items):
        ref = items[index].target_ref
        return ref.kind if ref is not None else ""
    return ""


def _entry_index(entry: str) -> int:
    return int(entry[entry.index("[") + 1 : -1]) if "[" in entry else 0


# ---------------------------------------------------------------------------------------
# one proxy, one type


def _origin_contribution(origin: Origin, section: str) -> Contribution:
    policy = origin.policy
    items: tuple[PolicyItem, ...]
    if section == "to":
        items = policy.to
    elif section == "rules" or (section == "inbound" and policy.rules):
        section, items = "rules", policy.rules
    else:
        section, items = "from", policy.from_
    conf = items[origin.index].conf if origin.index < len(items) else None
    return Contribution(policy, f"{section}[{origin.index}]", conf)


def listener_words(listener: Listener) -> str:
    return f"inbound {listener[0]}:{listener[1]}"


def inbound_place(listener: Listener, rule: InboundRule, position: int, count: int) -> str:
    """Where an inbound rule is: its listener, and its match (2.14) or its position when
    the inbound has several unmerged rules (2.12+)."""
    where = listener_words(listener)
    if rule.match is not None:
        return f"{where} match {json.dumps(rule.match, sort_keys=True)}"
    return f"{where} #{position + 1}" if count > 1 else where


def resource_words(resource: Resource, section: str) -> str:
    namespace = f"{resource.namespace}/" if resource.namespace else ""
    where = f"outbound {resource.type} {namespace}{resource.display_name}"
    return f"{where} :{section}" if section else where


def subset_words(subset: subsets.Subset) -> str:
    if not subset:
        return "every kuma.io/service"
    return ", ".join(f"{t.key}{'!=' if t.not_ else '='}{t.value}" for t in subset)


def _explained(
    policy_type: str,
    where: str,
    conf: Any,
    contributions: Sequence[Contribution],
    steps: tuple[OrderStep, ...],
    struct: Struct,
) -> RuleExplanation:
    return RuleExplanation(
        policy_type, where, conf, blame(conf, contributions, struct), tuple(contributions), steps
    )


def explain_proxy(index: MeshIndex, rules: TypeRules) -> list[RuleExplanation]:
    """The proxy-wide rule of a single-item policy type (none or one)."""
    struct = conf_type(rules.type, index.version)
    out = []
    for rule in rules.single_rules[:1]:
        contributions = [Contribution(p, "default", p.default) for p in rule.origins]
        out.append(
            _explained(
                rules.type, "proxy", rule.conf, contributions, order_steps(rule.origins), struct
            )
        )
    return out


def explain_inbound(
    index: MeshIndex, rules: TypeRules, listener: Listener, position: int
) -> list[RuleExplanation]:
    """The inbound rule at `position` of `listener`'s rules, one explanation per conf."""
    inbound_rules = rules.inbound_rules.get(listener, ())
    if not 0 <= position < len(inbound_rules):
        return []
    inbound_rule = inbound_rules[position]
    contributions = [_origin_contribution(o, "inbound") for o in inbound_rule.origins]
    from_ = any(c.entry.startswith("from") for c in contributions)
    struct = (conf_type if from_ else rule_conf_type)(rules.type, index.version)
    where = inbound_place(listener, inbound_rule, position, len(inbound_rules))
    steps = order_steps([c.policy for c in contributions])
    return [
        _explained(rules.type, where, conf, contributions, steps, struct)
        for conf in inbound_rule.confs
    ]


def explain_resource(
    index: MeshIndex, rules: TypeRules, resource_rule: ResourceRule
) -> list[RuleExplanation]:
    """One outbound (resource) rule, one explanation per conf (MeshHTTPRoute: per group)."""
    struct = conf_type(rules.type, index.version)
    contributions = [_origin_contribution(o, "to") for o in resource_rule.origins]
    where = resource_words(resource_rule.resource, resource_rule.section)
    steps = _entry_steps(contributions)
    return [
        _explained(rules.type, where, conf, contributions, steps, struct)
        for conf in resource_rule.confs
    ]


def explain_rules(
    index: MeshIndex, dataplane: Dataplane, rules: TypeRules
) -> list[RuleExplanation]:
    """Every merged rule of one policy type on one proxy, with blame and merge order."""
    out = explain_proxy(index, rules)
    for listener, inbound_rules in sorted(
        rules.inbound_rules.items(), key=lambda i: (i[0][1], i[0][0])
    ):
        for position in range(len(inbound_rules)):
            out.extend(explain_inbound(index, rules, listener, position))
    for resource_rule in rules.resource_rules:
        out.extend(explain_resource(index, rules, resource_rule))
    out.extend(explain_legacy_to(index, rules))
    for listener in sorted(rules.from_rules, key=lambda listener: (listener[1], listener[0])):
        out.extend(explain_legacy_from(index, rules, listener))
    return out


def explain_legacy_to(
    index: MeshIndex, rules: TypeRules, position: int | None = None
) -> list[RuleExplanation]:
    """The legacy `to` tag rules, one explanation per rule (in `rules.to_rules` order), or
    only the rule at `position`."""
    if not rules.to_rules:
        return []
    try:
        to_items = legacy_subset_items(legacy_to_items(rules.matched, index))
    except ValueError:
        to_items = []
    return _legacy_explanations(index, rules, "to-tags", rules.to_rules, to_items, position)


def explain_legacy_from(
    index: MeshIndex, rules: TypeRules, listener: Listener, position: int | None = None
) -> list[RuleExplanation]:
    """The legacy `from` tag rules of one inbound, one explanation per rule (in
    `rules.from_rules[listener]` order), or only the rule at `position`."""
    legacy = rules.from_rules.get(listener, ())
    if not legacy:
        return []
    policies = rules.by_inbound.get(listener, ())
    try:
        from_items = legacy_subset_items([(p, item) for p in policies for item in p.from_])
    except ValueError:
        from_items = []
    label = f"from-tags {listener[0]}:{listener[1]}"
    return _legacy_explanations(index, rules, label, legacy, from_items, position)


def _legacy_explanations(
    index: MeshIndex,
    rules: TypeRules,
    label: str,
    legacy_rules: Sequence[LegacyRule],
    subset_items: Sequence[Any],
    position: int | None,
) -> list[RuleExplanation]:
    struct = conf_type(rules.type, index.version)
    out: list[RuleExplanation] = []
    chosen = legacy_rules if position is None else legacy_rules[position : position + 1]
    for rule in chosen:
        relevant = [
            Contribution(p, f"{'to' if label == 'to-tags' else 'from'}[{item.index}]", item.conf)
            for p, item, subset in subset_items
            if subsets.covers(subset, rule.subset)
        ]
        where = f"{label} [{subset_words(rule.subset)}]"
        out.append(
            RuleExplanation(
                rules.type,
                where,
                rule.conf,
                blame(rule.conf, relevant, struct),
                tuple(relevant),
                order_steps(list(dict.fromkeys(c.policy for c in relevant))),
            )
        )
    return out


def explain_dataplane(
    index: MeshIndex, dataplane: Dataplane, policy_type: str
) -> list[RuleExplanation]:
    """`explain_rules` for the type's rules on the proxy, computed as the inspect API does."""
    gateway = select_gateway(index, dataplane)
    return explain_rules(
        index, dataplane, type_rules(index, dataplane, policy_type, gateway=gateway)
    )


# ---------------------------------------------------------------------------------------
# why (not)


@dataclass(frozen=True, slots=True)
class EntryReach:
    """A `to[]` / `from[]` / `rules[]` entry of an applying policy that configures nothing here."""

    entry: str
    reason: str


@dataclass(frozen=True, slots=True)
class WhyNot:
    """Whether a policy applies to a proxy, every reason it does not, and what it does there."""

    policy: Policy
    dataplane: Dataplane
    applies: bool
    reasons: tuple[str, ...]
    unreached: tuple[EntryReach, ...] = ()
    wins: tuple[tuple[str, FieldBlame], ...] = ()
    """(where, field) for every field whose final value is this policy's."""
    loses: tuple[tuple[str, FieldBlame], ...] = ()
    """(where, field) for fields it sets that another policy overrides."""


def why_not(index: MeshIndex, policy: Policy, dataplane: Dataplane) -> WhyNot:
    """Every reason `policy` does (not) apply to `dataplane`, and what it changes there."""
    reasons: list[str] = []
    if policy.resource.mesh != dataplane.resource.mesh:
        reasons.append(
            f"mesh: the policy is in mesh {policy.resource.mesh!r}, the proxy in"
            f" {dataplane.resource.mesh!r}"
        )
    if policy.resource.shadow:
        reasons.append("shadow: kuma.io/effect: shadow keeps it out of real configuration")
    gateway = select_gateway(index, dataplane)
    subject = gateway if gateway is not None else dataplane.resource
    for found in (
        zone_filter_reason(policy.resource, subject),
        namespace_filter_reason(policy.resource, dataplane.resource),
    ):
        if found:
            reasons.append(found)
    by_kind = select_by_kind(policy.resource, policy.target_ref, dataplane, gateway, index)
    if not by_kind.matched:
        reasons.append(
            f"targetRef: {by_kind.reason}" if by_kind.reason else "targetRef: selects nothing"
        )
    selection = select(policy.resource, policy.target_ref, dataplane, gateway, index)
    applies = selection.matched and not reasons
    if not applies:
        return WhyNot(policy, dataplane, False, tuple(reasons))
    unreached = list(_unreached(index, policy, dataplane, selection.inbounds))
    wins: list[tuple[str, FieldBlame]] = []
    loses: list[tuple[str, FieldBlame]] = []
    for explanation in explain_dataplane(index, dataplane, policy.type):
        for blamed in explanation.fields:
            if blamed.winner is not None and blamed.winner.policy is policy:
                wins.append((explanation.where, blamed))
            elif any(s.policy is policy for s in blamed.overridden):
                loses.append((explanation.where, blamed))
    return WhyNot(policy, dataplane, True, (), tuple(unreached), tuple(wins), tuple(loses))


def _unreached(
    index: MeshIndex, policy: Policy, dataplane: Dataplane, inbounds: Sequence[Listener]
) -> Iterator[EntryReach]:
    info = policy_info(policy.type)
    for item in policy.to:
        ref = item.target_ref
        if ref is None or policy.target_ref.kind == "MeshHTTPRoute":
            continue
        if resolve(ref, policy.resource, index):
            continue
        yield EntryReach(f"to[{item.index}]", _unresolved_reason(index, policy, item))
    if not inbounds and (policy.rules or (policy.from_ and info is not None and info.has_from)):
        section = "rules[]" if policy.rules else "from[]"
        yield EntryReach(
            section,
            "the policy selects no inbound of this proxy (it applies as a gateway), so its"
            f" {section} entries configure nothing here",
        )


def _unresolved_reason(index: MeshIndex, policy: Policy, item: PolicyItem) -> str:
    ref = item.target_ref
    assert ref is not None
    kind = ref.kind
    legacy = kind in ("MeshSubset", "MeshServiceSubset")
    if legacy:
        return f"a {kind} entry names no resource: it only feeds the legacy tag rules"
    if kind not in (
        "Mesh",
        "MeshService",
        "MeshExternalService",
        "MeshMultiZoneService",
        "MeshHTTPRoute",
    ):
        return f"{kind} is not a destination kind"
    if kind == "Mesh":
        return "the Mesh resource itself is not in the input"
    if ref.labels:
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(ref.labels.items()))
        return f"no {kind} carries the labels {wanted}"
    if ref.section_name:
        whole = resolve(
            TargetRef(kind=kind, name=ref.name, namespace=ref.namespace, mesh=ref.mesh),
            policy.resource,
            index,
        )
        if whole:
            ports = _ports_words(whole[0][0])
            return f"{kind} {ref.name} has no port {ref.section_name!r} (ports: {ports})"
    namespace = ref.namespace or policy.resource.namespace
    zone = policy.resource.zone
    where = f" in namespace {namespace}" if namespace else ""
    where += f" of zone {zone}" if zone else " without a zone label"
    return f"no {kind} named {ref.name}{where}"


def _ports_words(resource: Any) -> str:
    ports = resource.spec.get("ports") if isinstance(resource.spec, Mapping) else None
    words = []
    for port in ports if isinstance(ports, list) else []:
        if isinstance(port, Mapping):
            name = port.get("name")
            words.append(f"{name} ({port.get('port')})" if name else str(port.get("port")))
    return ", ".join(words) or "none"
