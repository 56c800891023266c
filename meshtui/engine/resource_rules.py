"""Per-resource outbound rules: `to[]` entries against real resources. (Kuma 2.10.11)

Each `to[]` entry of a matched policy is resolved to real resources (the Mesh, a
MeshService, MeshExternalService or MeshMultiZoneService, and a port section). One
rule is built per distinct (resource, section), merging, in entry order, every entry
that is relevant to it: a `Mesh` entry feeds every key, a service-wide entry feeds all
sections of its service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.engine.index import MeshIndex
from meshtui.engine.merging import merge_confs
from meshtui.engine.ordering import (
    compare_attributes,
    compare_names_descending,
    go_stable_sort,
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


def legacy_service_name(name: str) -> tuple[str, str, int] | None:
    """`<svc>_<ns>_svc_<port>` or `<svc>_<ns>_svc`: (display name, namespace, port or 0)."""
    parts = name.split("_")
    if len(parts) == 3:
        return parts[0], parts[1], 0
    if len(parts) == 4:
        try:
            return parts[0], parts[1], int(parts[3])
        except ValueError:
            return None
    return None


def resolve(ref: TargetRef, policy: Resource, index: MeshIndex) -> list[tuple[Resource, str]]:
    """Kuma 2.10's `ResolveTargetRef`: the resources (and sections) a `to[]` targetRef names."""
    kind = ref.kind
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
    out = []
    for res in found:
        if res.type not in ("MeshService", "MeshMultiZoneService"):
            out.append((res, ""))
            continue
        section = _find_section(res, port, ref.section_name)
        if section is not None:
            out.append((res, section))
    return out


def _find_section(resource: Resource, port: int, section_name: str) -> str | None:
    ports = resource.spec.get("ports")
    if not isinstance(ports, list):
        return None
    for item in ports:
        if not isinstance(item, Mapping):
            continue
        number = item.get("port")
        name = item.get("name") or ""
        if port and number == port:
            return str(name) if name else str(number)
        if section_name and (name == section_name or (not name and str(number) == section_name)):
            return section_name
    return None


def _relevant(resolved: Resource, section: str, key: Resource, key_section: str) -> bool:
    if resolved.type == "Mesh":
        return identity(key) == identity(resolved) or key.mesh == resolved.name
    if resolved.type != key.type or identity(resolved) != identity(key):
        return False
    if resolved.type == "MeshExternalService":
        return True
    return section == key_section or (section == "" and key_section != "")


def build_resource_rules(
    matched: Sequence[Policy], index: MeshIndex, conf_type: Struct
) -> list[ResourceRule]:
    """`outbound.BuildRules`: one rule per resolved (resource, section), entries merged in order."""
    entries = [
        Entry(policy, item)
        for policy in matched
        if policy.target_ref.kind != "MeshHTTPRoute"
        for item in policy.to
    ]
    entries = go_stable_sort(entries, compare_outbound_entries)
    resolved: list[tuple[Entry, Resource, str]] = []
    for entry in entries:
        if entry.item.target_ref is None:
            continue
        for res, section in resolve(entry.item.target_ref, entry.policy.resource, index):
            resolved.append((entry, res, section))
    keys: dict[tuple[Identity, str], Resource] = {}
    for _, res, section in resolved:
        keys.setdefault((identity(res), section), res)
    rules = []
    for (_, key_section), key_res in keys.items():
        relevant = [e for e, res, sec in resolved if _relevant(res, sec, key_res, key_section)]
        origins: dict[tuple[Any, int], Origin] = {}
        for e in relevant:
            origins.setdefault((e.policy.key, e.item.index), Origin(e.policy, e.item.index))
        confs = merge_confs([e.item.conf for e in relevant], conf_type)
        rules.append(ResourceRule(key_res, key_section, tuple(confs), tuple(origins.values())))
    rules.sort(key=lambda r: (r.resource.name, r.section, r.resource.type))
    return rules
