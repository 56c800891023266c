"""Per-resource outbound rules: `to[]` entries against real resources. (Kuma 2.10-2.14)

Each `to[]` entry of a matched policy is resolved to real resources (the Mesh, a
MeshService, MeshExternalService or MeshMultiZoneService, and a port section; from 2.11
also a MeshHTTPRoute). One rule is built per distinct (resource, section), merging, in
entry order, every entry that is relevant to it: a `Mesh` entry feeds every key, a
service-wide entry feeds all sections of its service, a route entry only its route.

`build_resource_rules` does this literally. `shared_resource_rules` gives the same
answer from parts shared by every proxy of the snapshot: the rules of a *base* set of
policies (those every proxy of the type gets: top-level `Mesh`, not namespace-scoped),
and, for a proxy's own set, an *overlay* of only the destinations that the policies in
which its set differs from the base reach. Why that is exact is told at
`shared_resource_rules`.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.engine.confs import ConfRef, Section, conf_ref, merged
from meshtui.engine.gosort import go_stable_sort
from meshtui.engine.index import MeshIndex
from meshtui.engine.memo import Memo, Part, Table
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    MergeRanks,
    attribute_key,
    compare_attributes,
    compare_names_descending,
    keyable,
    keyed_sort,
    kind_rank,
)
from meshtui.kinds import SERVICE_KINDS
from meshtui.kinds.gotypes import Struct
from meshtui.model import DISPLAY_NAME, NAMESPACE, Policy, PolicyItem, Resource, TargetRef

Identity = tuple[str, str, str, str, str]
"""(type, mesh, zone label, namespace label, display name): 2.10's `ResourceIdentifier`, typed."""


@dataclass(frozen=True, slots=True)
class Origin:
    """A contributing policy and the index of its `to[]` / `rules[]` entry."""

    policy: Policy
    index: int


@dataclass(frozen=True, slots=True)
class ResourceRule:
    """The merged conf for one destination resource (and port section)."""

    resource: Resource
    section: str
    confs: tuple[Any, ...]
    origins: tuple[Origin, ...]

    @property
    def identity(self) -> Identity:
        return identity(self.resource)


@dataclass(frozen=True, slots=True)
class Entry:
    """One `to[]` item of a matched policy."""

    policy: Policy
    item: PolicyItem
    resolved: tuple[tuple[Resource, str], ...] = ()
    """What its targetRef resolves to (`resolve`)."""
    ref: ConfRef = -1
    """Its conf's reference (`confs.conf_ref`); -1 on the plain path, which keeps nothing."""


def identity(resource: Resource) -> Identity:
    """The typed identity rules are keyed by."""
    return (resource.type, resource.mesh, resource.zone, resource.namespace, resource.display_name)


def compare_outbound_entries(a: Entry, b: Entry) -> int:
    """Attributes, `to[]` kind, (MeshService) no section before section, then name desc."""
    diff = compare_attributes(a.policy, b.policy)
    if diff:
        return diff
    kind_a = a.item.target_ref.kind if a.item.target_ref else ""
    kind_b = b.item.target_ref.kind if b.item.target_ref else ""
    diff = kind_rank(kind_a) - kind_rank(kind_b)
    if diff:
        return (diff > 0) - (diff < 0)
    if kind_a == "MeshService":
        section_a = bool(a.item.target_ref and a.item.target_ref.section_name)
        section_b = bool(b.item.target_ref and b.item.target_ref.section_name)
        if section_a != section_b:
            return 1 if section_a else -1
    return compare_names_descending(a.policy, b.policy)


def _go_parse_int(text: str, bits: int, *, signed: bool) -> int | None:
    """Go's `strconv.ParseInt(text, 10, bits)` / `ParseUint`: ASCII digits only, in range.

    Python's `int()` would also take spaces, `_` separators and non-ASCII digits.
    """
    digits = text
    if signed and digits[:1] in ("+", "-"):
        digits = digits[1:]
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    value = int(text) if signed else int(digits)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return value if low <= value <= high else None


def legacy_service_name(name: str) -> tuple[str, str, int] | None:
    """`<svc>_<ns>_svc_<port>` or `<svc>_<ns>_svc`: (display name, namespace, port or 0).

    2.10 `parseService`: the 4th part goes through `strconv.ParseInt(…, 10, 32)` and is
    then converted to `uint32` (a negative number wraps around); the 3rd is not checked.
    """
    parts = name.split("_")
    if len(parts) == 3:
        return parts[0], parts[1], 0
    if len(parts) == 4:
        port = _go_parse_int(parts[3], 32, signed=True)
        if port is None:
            return None
        return parts[0], parts[1], port % (1 << 32)
    return None


def resolve(ref: TargetRef, policy: Resource, index: MeshIndex) -> list[tuple[Resource, str]]:
    """`ResolveTargetRef`: the resources (and sections) a `to[]` targetRef names."""
    kind = ref.kind
    if kind == "MeshHTTPRoute":
        return _resolve_route(ref, policy, index) if index.version.to_route_items else []
    if kind not in ("Mesh", "MeshService", "MeshExternalService", "MeshMultiZoneService"):
        return []
    labels: Mapping[str, str] | None = ref.labels
    port = 0
    if kind == "MeshService" and not ref.section_name and ref.name:
        legacy = legacy_service_name(ref.name)
        if legacy is not None:
            labels = {NAMESPACE: legacy[1], DISPLAY_NAME: legacy[0]}
            port = legacy[2]
    if labels:
        found = index.services_with_labels(kind, labels)
    elif kind == "Mesh":
        found = (
            [index.mesh]
            if index.mesh is not None and index.mesh.display_name == policy.mesh
            else []
        )
    else:
        hit = index.service_by_identity(
            kind, ref.name, ref.namespace or policy.namespace, policy.zone
        )
        found = [hit] if hit is not None else []
    if port == 0 and not ref.section_name:
        return [(res, "") for res in found]
    by_name = index.version.section_name_by_port
    out = []
    for res in found:
        if res.type == "MeshExternalService" and by_name and not port:
            # S6: a MeshExternalService is a destination with one port, named `match.port`
            port_name = _external_port_name(res)
            if port_name == ref.section_name:
                out.append((res, port_name))
            continue
        if res.type not in ("MeshService", "MeshMultiZoneService"):
            out.append((res, ""))
            continue
        section = _find_section(res, port, ref.section_name, by_name=by_name)
        if section is not None:
            out.append((res, section))
    return out


def _external_port_name(resource: Resource) -> str:
    match = resource.spec.get("match")
    port = match.get("port") if isinstance(match, Mapping) else None
    return str(port) if isinstance(port, int) and not isinstance(port, bool) else ""


def _resolve_route(
    ref: TargetRef, policy: Resource, index: MeshIndex
) -> list[tuple[Resource, str]]:
    """S7 (2.11+): a `to[]` MeshHTTPRoute by labels (every route carrying them) or by
    identity (zone and namespace defaulted from the policy); never a section."""
    routes = [p.resource for p in index.policies_of("MeshHTTPRoute", include_shadow=True)]
    if ref.labels:
        return [(r, "") for r in routes if _has_all(r.labels, ref.labels)]
    wanted = (policy.mesh, policy.zone, ref.namespace or policy.namespace, ref.name)
    for route in routes:
        if (route.mesh, route.zone, route.namespace, route.display_name) == wanted:
            return [(route, "")]
    return []


def _has_all(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(k in labels and labels[k] == v for k, v in wanted.items())


def _find_section(resource: Resource, port: int, section_name: str, *, by_name: bool) -> str | None:
    """`query.findPort`, then the found port's name, else its number as a string.

    With a port (legacy bridge): the first port with that number. With a section name:
    up to 2.11 the first port named so, or an unnamed port whose number `ParseUint`
    reads from it; from 2.12 the first whose name, else decimal number, equals it.
    """
    ports = resource.spec.get("ports")
    if not isinstance(ports, list):
        return None
    parsed = _go_parse_int(section_name, 32, signed=False) if section_name else None
    for item in ports:
        if not isinstance(item, Mapping):
            continue
        number = item.get("port")
        name = item.get("name") or ""
        if port:
            found = number == port
        elif by_name:
            found = bool(section_name) and (str(name) if name else str(number)) == section_name
        else:
            found = bool(section_name) and (
                name == section_name or (not name and parsed is not None and number == parsed)
            )
        if found:
            return str(name) if name else str(number)
    return None


def _outbound_key(entry: Entry) -> tuple[int, ...]:
    ref = entry.item.target_ref
    kind = ref.kind if ref is not None else ""
    section = 1 if kind == "MeshService" and ref is not None and ref.section_name else 0
    return (*attribute_key(entry.policy), kind_rank(kind), section)


def sort_outbound_entries(entries: Sequence[Entry]) -> list[Entry]:
    """Entries in merge order: keyed when exact, else Go's stable sort with the comparator."""
    if keyable([e.policy for e in entries]):
        return keyed_sort(entries, lambda e: e.policy, _outbound_key)
    return go_stable_sort(entries, compare_outbound_entries)


def _section_relevant(resolved_type: str, section: str, key_section: str) -> bool:
    if resolved_type in ("MeshExternalService", "MeshHTTPRoute"):
        return True
    return section == key_section or (section == "" and key_section != "")


def _rule_order(rule: ResourceRule) -> tuple[str, str, str]:
    """The order rules are listed in; unique per rule (a resource's type and store name
    identify it within a mesh, and a resource has one rule per section)."""
    return (rule.resource.name, rule.section, rule.resource.type)


def build_resource_rules(
    matched: Sequence[Policy], index: MeshIndex, conf_type: Struct
) -> list[ResourceRule]:
    """`outbound.BuildRules`: one rule per resolved (resource, section), entries merged in order.

    An entry resolved to the Mesh is relevant to every key; one resolved to a service
    is relevant to the keys of that service (all its sections when it names none). The
    plain computation: nothing is shared or remembered.
    """
    entries = sort_outbound_entries(
        [
            Entry(
                policy,
                item,
                tuple(resolve(item.target_ref, policy.resource, index)) if item.target_ref else (),
            )
            for policy in matched
            if policy.target_ref.kind != "MeshHTTPRoute"
            for item in policy.to
        ]
    )
    rules = [
        _resource_rule(res, section, relevant, conf_type)
        for res, section, relevant in _keyed(entries, None)
    ]
    rules.sort(key=_rule_order)
    return rules


def _keyed(
    entries: Sequence[Entry], only: frozenset[Identity] | None
) -> list[tuple[Resource, str, list[Entry]]]:
    """Each key (resource, section) the sorted `entries` resolve to, with its relevant
    entries in order; with `only`, just the keys of those identities (never the Mesh's)."""
    mesh_wide: list[tuple[int, Entry]] = []
    by_identity: dict[Identity, list[tuple[int, Entry, str]]] = {}
    keys: dict[tuple[Identity, str], Resource] = {}
    for position, entry in enumerate(entries):
        for res, section in entry.resolved:
            key = identity(res)
            if res.type == "Mesh":
                mesh_wide.append((position, entry))
                if only is not None:
                    continue
            elif only is not None and key not in only:
                continue
            else:
                by_identity.setdefault(key, []).append((position, entry, section))
            # Kuma indexes `key -> resource` by plain assignment: the last resolved wins
            keys[(key, section)] = res
    out = []
    for (key, key_section), res in keys.items():
        if res.type == "Mesh":
            relevant = [e for _, e in mesh_wide]
        else:
            own = [
                (pos, e)
                for pos, e, sec in by_identity.get(key, ())
                if _section_relevant(res.type, sec, key_section)
            ]
            relevant = [e for _, e in sorted(mesh_wide + own, key=lambda pair: pair[0])]
        out.append((res, key_section, relevant))
    return out


def _resource_rule(
    res: Resource,
    section: str,
    relevant: Sequence[Entry],
    conf_type: Struct,
    memo: Memo | None = None,
    policy_type: str = "",
) -> ResourceRule:
    origins: dict[tuple[Any, int], Origin] = {}
    for e in relevant:
        origins.setdefault((e.policy.key, e.item.index), Origin(e.policy, e.item.index))
    confs = [e.item.conf for e in relevant]
    if memo is None:
        result = merge_confs(confs, conf_type)
    else:
        result = merged(memo, policy_type, [e.ref for e in relevant], confs, conf_type)
    return ResourceRule(res, section, tuple(result), tuple(origins.values()))


# ---------------------------------------------------------------------------------------
# shared: a base for the whole snapshot, an overlay per set of policies

DESTINATIONS = frozenset({*SERVICE_KINDS, "Mesh", "MeshHTTPRoute"})
"""What resolving a `to[]` targetRef reads: services, the Mesh and (2.11+) routes."""


@dataclass(frozen=True, slots=True)
class _Out:
    """One `to[]` entry of a policy, ready for the shared builder."""

    order: tuple[int, ...]
    """`_outbound_key`: sorted by display name descending, then by this (two stable
    sorts), entries are in `sort_outbound_entries` order when the type is keyable."""
    name: str
    """Its policy's display name."""
    entry: Entry
    targets: tuple[tuple[Resource, str, Identity], ...]
    """What it resolves to: (resource, section, identity)."""
    origin: Origin
    ref: ConfRef
    """`entry.ref`."""


@dataclass(frozen=True, slots=True)
class Reach:
    """Where one policy's `to[]` entries resolve (nothing for a top-level route policy,
    which takes no part in resource rules)."""

    mesh_wide: bool
    """Some entry resolves to the Mesh: it feeds every destination."""
    identities: frozenset[Identity]
    """The other destinations its entries resolve to."""
    outs: tuple[_Out, ...]
    """Its entries, in order."""


_REACH: Table[int, Reach] = Table("to[] reach", key=(Part.SERIALS,), reads=DESTINATIONS)
"""Per policy type: serial number → the policy's `Reach`."""


@dataclass(frozen=True, slots=True)
class TypeOutbound:
    """What the shared path needs to know about one type's policies."""

    policy_type: str
    policies: tuple[Policy, ...]
    """The type's policies in store order (positions index this)."""
    serials: tuple[int, ...]
    """`policies[i]`'s serial number (`index.Lineage`)."""
    ranks: MergeRanks | None
    base: tuple[int, ...]
    """The base set, in merge order: positions of those every proxy gets."""
    struct: Struct


def reach(memo: Memo, index: MeshIndex, outbound: TypeOutbound, position: int) -> Reach:
    """The `Reach` of the policy at `position` of its type, remembered."""
    entries = memo.part(_REACH, outbound.policy_type)
    serial = outbound.serials[position]
    found = entries.get(serial)
    if found is None:
        found = entries[serial] = _reach(index, outbound, position)
    return found


def _reach(index: MeshIndex, outbound: TypeOutbound, position: int) -> Reach:
    policy = outbound.policies[position]
    outs: list[_Out] = []
    if policy.target_ref.kind != "MeshHTTPRoute":
        serial = outbound.serials[position]
        for item in policy.to:
            target = item.target_ref
            resolved = tuple(resolve(target, policy.resource, index)) if target else ()
            entry = Entry(policy, item, resolved, conf_ref(serial, Section.TO, item.index))
            outs.append(
                _Out(
                    _outbound_key(entry),
                    policy.resource.display_name,
                    entry,
                    tuple((res, section, identity(res)) for res, section in resolved),
                    Origin(policy, item.index),
                    entry.ref,
                )
            )
    targets = [t for out in outs for t in out.targets]
    return Reach(
        any(res.type == "Mesh" for res, _, _ in targets),
        frozenset(i for res, _, i in targets if res.type != "Mesh"),
        tuple(outs),
    )


@dataclass(frozen=True, slots=True)
class _Base:
    """The resource rules of the base set of one type, and the ties among its policies."""

    positions: frozenset[int]
    serials: frozenset[int]
    """The same policies, by serial number (what a later snapshot compares with)."""
    rules: tuple[ResourceRule, ...]
    identities: tuple[Identity, ...]
    """`rules[i]`'s destination."""
    ties: tuple[frozenset[int], ...]
    """Base policies that tie on every ordering key, by tie class (classes of one left
    out): Go's sort may order them otherwise in another set holding two of them."""


_BASE: Table[tuple[()], _Base | None] = Table("outbound base", key=(Part.TYPE,), reads=DESTINATIONS)
"""Per policy type: its `_Base`, or `None` when nothing can be shared."""
_LAST_BASE: Table[tuple[()], _Base] = Table(
    "latest outbound base", key=(Part.SERIALS,), reads=DESTINATIONS
)
"""Per policy type: the base last built in the lineage (a later one starts from it)."""
_RULE: Table[tuple[Any, str, tuple[ConfRef, ...]], ResourceRule] = Table(
    "resource rule", key=(Part.SERIALS,), reads=DESTINATIONS
)
"""Per policy type: (resource key, section, the relevant entries' conf refs) → its rule."""


def shared_resource_rules(
    memo: Memo, index: MeshIndex, outbound: TypeOutbound, ordered: Sequence[int]
) -> tuple[ResourceRule, ...]:
    """`build_resource_rules` of the policies at `ordered` (merge order), from shared parts.

    The rule of a destination depends only on the sorted entries relevant to it. Take
    the base's rule for every destination that (a) no policy in which `ordered` differs
    from the base reaches, where one reaching the Mesh reaches everything, and (b) no
    two policies of both sets that tie on every ordering key both reach. Then its
    relevant entries come from the same policies with the same conf in both sets, in
    the same order: entries are stable-sorted by their policy's attributes from merge
    order, and two policies' merge order is the same in any set holding both, except
    between full ties, whose order Go's sort decides from the whole set (b). The other
    destinations (the overlay) are built from `ordered`'s own entries that reach them
    or the Mesh.
    """
    bases = memo.part(_BASE, outbound.policy_type)
    if () not in bases:
        bases[()] = _base(memo, index, outbound)
    base = bases[()]
    if base is None:
        return _shared_build(memo, index, outbound, ordered, None)
    touched: set[Identity] = set()
    chosen = frozenset(ordered)
    for position in base.positions.symmetric_difference(chosen):
        found = reach(memo, index, outbound, position)
        if found.mesh_wide:
            return _shared_build(memo, index, outbound, ordered, None)
        touched.update(found.identities)
    for group in base.ties:
        both = group & chosen
        if len(both) > 1 and not _tie_reach(memo, index, outbound, both, touched):
            return _shared_build(memo, index, outbound, ordered, None)
    if not touched:
        return base.rules
    overlay = _shared_build(memo, index, outbound, ordered, frozenset(touched))
    rules = [r for r, i in zip(base.rules, base.identities, strict=True) if i not in touched]
    rules.extend(overlay)
    rules.sort(key=_rule_order)
    return tuple(rules)


def _tie_reach(
    memo: Memo, index: MeshIndex, outbound: TypeOutbound, tied: frozenset[int], into: set[Identity]
) -> bool:
    """Add to `into` the destinations two of the `tied` policies reach (all that any
    reaches if one reaches the Mesh); False when two reach the Mesh (every destination)."""
    reached = [reach(memo, index, outbound, p) for p in sorted(tied)]
    wide = sum(1 for r in reached if r.mesh_wide)
    if wide > 1:
        return False
    seen: set[Identity] = set()
    for r in reached:
        into.update(seen & r.identities)
        seen.update(r.identities)
    if wide:
        into.update(seen)
    return True


def _base(memo: Memo, index: MeshIndex, outbound: TypeOutbound) -> _Base | None:
    ranks = outbound.ranks
    if ranks is None:
        return None  # Go's sort with a comparator that is not a total order: no sharing
    classes: dict[int, set[int]] = {}
    for position in outbound.base:
        classes.setdefault(ranks.tie_class[position], set()).add(position)
    ties = tuple(frozenset(group) for group in classes.values() if len(group) > 1)
    serials = frozenset(outbound.serials[p] for p in outbound.base)
    latest = memo.part(_LAST_BASE, outbound.policy_type)
    earlier = latest.get(())
    rules = _from_earlier(memo, index, outbound, earlier, serials) if earlier else None
    if rules is None:
        rules = _shared_build(memo, index, outbound, outbound.base, None)
    base = _Base(
        frozenset(outbound.base),
        serials,
        rules,
        tuple(identity(r.resource) for r in rules),
        ties,
    )
    latest[()] = base
    return base


def _from_earlier(
    memo: Memo,
    index: MeshIndex,
    outbound: TypeOutbound,
    earlier: _Base,
    serials: frozenset[int],
) -> tuple[ResourceRule, ...] | None:
    """The base's rules from the base an earlier snapshot of the lineage built: its rules
    but for the destinations the policies in which they differ reach, as in
    `shared_resource_rules`; `None` if one reaches the Mesh, or was never resolved.

    Full ties need no care here: a base is in rank order (ties in store order, never
    Go's sort of a whole set), the same for two policies in every snapshot."""
    reached = memo.part(_REACH, outbound.policy_type)
    touched: set[Identity] = set()
    for serial in earlier.serials.symmetric_difference(serials):
        found = reached.get(serial)
        if found is None:
            position = outbound.serials.index(serial) if serial in serials else -1
            if position < 0:
                return None
            found = reach(memo, index, outbound, position)
        if found.mesh_wide:
            return None
        touched.update(found.identities)
    if not touched:
        return earlier.rules
    overlay = _shared_build(memo, index, outbound, outbound.base, frozenset(touched))
    rules = [r for r, i in zip(earlier.rules, earlier.identities, strict=True) if i not in touched]
    rules.extend(overlay)
    rules.sort(key=_rule_order)
    return tuple(rules)


_ORDER = operator.attrgetter("order")
_NAME = operator.attrgetter("name")


def _compare_outs(a: _Out, b: _Out) -> int:
    return compare_outbound_entries(a.entry, b.entry)


def _shared_build(
    memo: Memo,
    index: MeshIndex,
    outbound: TypeOutbound,
    ordered: Sequence[int],
    only: frozenset[Identity] | None,
) -> tuple[ResourceRule, ...]:
    """`build_resource_rules` of the policies at `ordered`, with each rule remembered;
    with `only`, just the rules of those destinations (the entries reaching neither
    them nor the Mesh are left out before sorting: a stable sort keeps the order of
    the others)."""
    outs: list[_Out] = []
    for position in ordered:
        found = reach(memo, index, outbound, position)
        if only is None:
            outs.extend(found.outs)
        elif found.mesh_wide or not only.isdisjoint(found.identities):
            outs.extend(
                out
                for out in found.outs
                if any(res.type == "Mesh" or i in only for res, _, i in out.targets)
            )
    if outbound.ranks is not None:
        outs.sort(key=_NAME, reverse=True)  # stable: equal names keep their order
        outs.sort(key=_ORDER)
    else:
        outs = go_stable_sort(outs, _compare_outs)
    remembered = memo.part(_RULE, outbound.policy_type)
    rules = []
    for res, section, relevant in _keyed_outs(outs, only):
        key = (res.key, section, tuple([o.ref for o in relevant]))
        rule = remembered.get(key)
        if rule is None:
            rule = remembered[key] = _shared_rule(res, section, relevant, outbound, memo)
        rules.append(rule)
    rules.sort(key=_rule_order)
    return tuple(rules)


def _keyed_outs(
    outs: Sequence[_Out], only: frozenset[Identity] | None
) -> list[tuple[Resource, str, list[_Out]]]:
    """`_keyed` of sorted entries."""
    mesh_wide: list[tuple[int, _Out]] = []
    by_identity: dict[Identity, list[tuple[int, _Out, str]]] = {}
    keys: dict[tuple[Identity, str], Resource] = {}
    for place, out in enumerate(outs):
        for res, section, key in out.targets:
            if res.type == "Mesh":
                mesh_wide.append((place, out))
                if only is not None:
                    continue
            elif only is not None and key not in only:
                continue
            else:
                by_identity.setdefault(key, []).append((place, out, section))
            # Kuma indexes `key -> resource` by plain assignment: the last resolved wins
            keys[(key, section)] = res
    found = []
    everywhere = [o for _, o in mesh_wide]
    for (key, key_section), res in keys.items():
        if res.type == "Mesh":
            relevant = everywhere
        else:
            own = [
                (place, o)
                for place, o, sec in by_identity.get(key, ())
                if _section_relevant(res.type, sec, key_section)
            ]
            if not mesh_wide:
                relevant = [o for _, o in own]
            else:
                relevant = [o for _, o in sorted(mesh_wide + own, key=_FIRST)]
        found.append((res, key_section, relevant))
    return found


_FIRST = operator.itemgetter(0)


def _shared_rule(
    res: Resource, section: str, relevant: Sequence[_Out], outbound: TypeOutbound, memo: Memo
) -> ResourceRule:
    origins: dict[tuple[Any, int], Origin] = {}
    for out in relevant:
        origin = out.origin
        origins.setdefault((origin.policy.key, origin.index), origin)
    confs = [o.entry.item.conf for o in relevant]
    refs = [o.ref for o in relevant]
    result = merged(memo, outbound.policy_type, refs, confs, outbound.struct)
    return ResourceRule(res, section, tuple(result), tuple(origins.values()))
