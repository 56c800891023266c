"""Per-resource outbound rules: `to[]` entries against real resources. (Kuma 2.10-2.14)

Each `to[]` entry of a matched policy is resolved to real resources (the Mesh, a
MeshService, MeshExternalService or MeshMultiZoneService, and a port section; from 2.11
also a MeshHTTPRoute). One rule is built per distinct (resource, section), merging, in
entry order, every entry that is relevant to it: a `Mesh` entry feeds every key, a
service-wide entry feeds all sections of its service, a route entry only its route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.engine.index import MeshIndex
from meshtui.engine.memo import RuleCache
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    attribute_key,
    compare_attributes,
    compare_names_descending,
    go_stable_sort,
    keyable,
    keyed_sort,
    kind_rank,
)
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


def _resolved(entry: Entry, index: MeshIndex, cache: RuleCache) -> list[tuple[Resource, str]]:
    item = entry.item
    hit = cache.resolved.get(id(item))
    if hit is not None and hit[0] is item:
        return list(hit[1])
    found = resolve(item.target_ref, entry.policy.resource, index) if item.target_ref else []
    cache.resolved[id(item)] = (item, tuple(found))
    return found


def _section_relevant(resolved_type: str, section: str, key_section: str) -> bool:
    if resolved_type in ("MeshExternalService", "MeshHTTPRoute"):
        return True
    return section == key_section or (section == "" and key_section != "")


def build_resource_rules(
    matched: Sequence[Policy], index: MeshIndex, conf_type: Struct, cache: RuleCache | None = None
) -> list[ResourceRule]:
    """`outbound.BuildRules`: one rule per resolved (resource, section), entries merged in order.

    An entry resolved to the Mesh is relevant to every key; one resolved to a service
    is relevant to the keys of that service (all its sections when it names none).
    """
    cache = cache if cache is not None else RuleCache()
    entries = sort_outbound_entries(
        [
            Entry(policy, item)
            for policy in matched
            if policy.target_ref.kind != "MeshHTTPRoute"
            for item in policy.to
        ]
    )
    mesh_wide: list[tuple[int, Entry]] = []
    by_identity: dict[Identity, list[tuple[int, Entry, str]]] = {}
    keys: dict[tuple[Identity, str], Resource] = {}
    for position, entry in enumerate(entries):
        for res, section in _resolved(entry, index, cache):
            key = identity(res)
            # Kuma indexes `key -> resource` by plain assignment: the last resolved wins
            keys[(key, section)] = res
            if res.type == "Mesh":
                mesh_wide.append((position, entry))
            else:
                by_identity.setdefault(key, []).append((position, entry, section))
    rules = []
    memo = cache.resource_rules
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
        # The rule of a key depends only on its resource and its entries in order: proxies
        # whose matched sets differ elsewhere (another namespace's consumers, say) share it.
        memo_key = (id(conf_type), id(res), key_section, *(id(e.item) for e in relevant))
        hit = memo.get(memo_key)
        if hit is None or hit[0] is not res:
            hit = (res, relevant, _resource_rule(res, key_section, relevant, conf_type, cache))
            memo[memo_key] = hit
        rules.append(hit[2])
    rules.sort(key=lambda r: (r.resource.name, r.section, r.resource.type))
    return rules


def _resource_rule(
    res: Resource, section: str, relevant: Sequence[Entry], conf_type: Struct, cache: RuleCache
) -> ResourceRule:
    origins: dict[tuple[Any, int], Origin] = {}
    for e in relevant:
        origins.setdefault((e.policy.key, e.item.index), Origin(e.policy, e.item.index))
    confs = cache.merge([e.item.conf for e in relevant], conf_type, merge_confs)
    return ResourceRule(res, section, tuple(confs), tuple(origins.values()))
