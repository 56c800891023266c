"""What the dashboard can ask about one mesh, computed lazily and memoised.

A `MeshEvaluation` wraps one immutable `MeshIndex`. Every answer is computed on first
request and kept: the merged rules of a dataplane, the dataplanes a policy affects,
why a policy does (not) apply to a dataplane, and which policies configure traffic
to a service. Nothing is computed for what nobody looks at.

Thread-safety: answers may be computed from a worker thread; a race only computes the
same pure value twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from meshtui.engine.index import MeshIndex
from meshtui.engine.inspect import policy_matches, rules_body
from meshtui.engine.matching import (
    Selection,
    mesh_inbounds,
    select,
    select_gateway,
    zone_filter_reason,
)
from meshtui.engine.memo import RuleCache
from meshtui.engine.resource_rules import identity, resolve
from meshtui.engine.rules import TypeRules, type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.model import NAMESPACE, SERVICE_TAG, Dataplane, Policy, Resource, ResourceKey


@dataclass(frozen=True, slots=True)
class DataplaneRules:
    """Everything Kuma computes for one proxy: one `TypeRules` per policy type, plugin order."""

    dataplane: Dataplane
    gateway: Resource | None
    types: tuple[TypeRules, ...]

    def of_type(self, policy_type: str) -> TypeRules | None:
        """The rules of one policy type."""
        return next((t for t in self.types if t.type == policy_type), None)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning of every type."""
        return tuple(w for t in self.types for w in t.warnings)


@dataclass(frozen=True, slots=True)
class ServiceUse:
    """A policy `to[]` entry that resolves to a given service."""

    policy: Policy
    index: int
    section: str


class MeshEvaluation:
    """Lazy, memoised answers about one mesh snapshot."""

    def __init__(self, index: MeshIndex, *, cache: RuleCache | None = None) -> None:
        self.index = index
        self.cache = cache if cache is not None else RuleCache()
        self._rules: dict[str, DataplaneRules] = {}
        self._affected: dict[ResourceKey, tuple[str, ...]] = {}
        self._counted: dict[ResourceKey, tuple[Policy, int]] = {}
        """`affected_count` answers, with the policy object they were computed for."""
        self._service_uses: dict[tuple[str, str, str, str, str], tuple[ServiceUse, ...]] | None = (
            None
        )
        self._groups: (
            tuple[dict[tuple[str, str | None, str | None], list[Dataplane]], list[Dataplane]] | None
        ) = None

    @classmethod
    def following(cls, previous: MeshEvaluation | None, index: MeshIndex) -> MeshEvaluation:
        """The evaluation of `index`, reusing what `previous` computed that is still valid.

        Memo tables keyed by policy identity survive when only other policy types,
        or only dataplanes, changed; anything touching services, routes, gateways or
        the Mesh starts afresh. Per-dataplane answers are recomputed on demand.

        "Changed" means *not the same objects*: the memo tables hold objects by identity,
        and a re-read file yields new (if equal) objects for every resource in it.
        """
        if (
            previous is None
            or previous.mesh != index.mesh_name
            or previous.index.version != index.version
        ):
            return cls(index)
        old, new = previous.index, index
        changed_types = {
            kind
            for kind in set(old.policies)
            | set(new.policies)
            | set(old.shadow_policies)
            | set(new.shadow_policies)
            if not _same_objects(old.policies.get(kind, ()), new.policies.get(kind, ()))
            or not _same_objects(
                old.shadow_policies.get(kind, ()), new.shadow_policies.get(kind, ())
            )
        }
        same_context = (
            old.mesh is new.mesh
            and old.services.keys() == new.services.keys()
            and all(_same_objects(old.services[k], new.services[k]) for k in old.services)
            and _same_objects(old.gateways, new.gateways)
        )
        if not same_context or "MeshHTTPRoute" in changed_types:
            return cls(index)
        evaluation = cls(index, cache=previous.cache.without_types(changed_types))
        same_dataplanes = old.dataplanes.keys() == new.dataplanes.keys() and all(
            old.dataplanes[name] is dp for name, dp in new.dataplanes.items()
        )
        if same_dataplanes:
            # Which proxies a policy selects depends on it, the proxies and the context
            # only: counts of the very same policy objects still hold.
            evaluation._counted = previous._counted.copy()
            evaluation._affected = {
                key: names
                for key, names in previous._affected.copy().items()
                if key.type not in changed_types
            }
        return evaluation

    @property
    def mesh(self) -> str:
        return self.index.mesh_name

    def rules(self, dataplane_name: str) -> DataplaneRules | None:
        """The merged rules of one dataplane (by store name)."""
        cached = self._rules.get(dataplane_name)
        if cached is not None:
            return cached
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return None
        gateway = select_gateway(self.index, dataplane)
        computed = DataplaneRules(
            dataplane,
            gateway,
            tuple(
                type_rules(self.index, dataplane, kind, gateway=gateway, cache=self.cache)
                for kind in POLICY_KINDS
            ),
        )
        self._rules[dataplane_name] = computed
        return computed

    def rules_body(self, dataplane_name: str) -> dict[str, object] | None:
        """The `_rules` JSON body of one dataplane."""
        computed = self.rules(dataplane_name)
        if computed is None:
            return None
        return rules_body(self.index, computed.dataplane, computed=computed.types)

    def affected(self, policy: Policy) -> tuple[str, ...]:
        """Store names of the dataplanes the policy applies to (Kuma's `_resources/dataplanes`)."""
        cached = self._affected.get(policy.key)
        if cached is not None:
            return cached
        names = tuple(
            sorted(
                dp.resource.name
                for dp in candidate_dataplanes(self.index, policy)
                if policy_matches(policy, dp, self.index)
            )
        )
        self._affected[policy.key] = names
        return names

    def affected_count(self, policy: Policy) -> int:
        """How many dataplanes the policy applies to (what the policies table shows).

        Top-level `Mesh` policies are counted per group of proxies sharing a namespace,
        origin and zone (their outcome is the same for the whole group); everything else
        goes through `affected`.
        """
        counted = self._counted.get(policy.key)
        if counted is not None and counted[0] is policy:
            return counted[1]
        count = self._count(policy)
        self._counted[policy.key] = (policy, count)
        return count

    def _count(self, policy: Policy) -> int:
        cached = self._affected.get(policy.key)
        if cached is not None:
            return len(cached)
        ref = policy.target_ref
        if ref.kind != "Mesh" or ref.proxy_types:
            return len(self.affected(policy))
        groups, builtin = self._dataplane_groups()
        scoped = policy.resource.role in ("consumer", "workload-owner")
        namespace = policy.labels.get(NAMESPACE)
        if scoped and namespace is None:
            return 0
        count = 0
        for (group_namespace, _, _), members in groups.items():
            if scoped and group_namespace != namespace:
                continue
            if not zone_filter_reason(policy.resource, members[0].resource):
                count += len(members)
        count += sum(1 for dp in builtin if policy_matches(policy, dp, self.index))
        return count

    def _dataplane_groups(
        self,
    ) -> tuple[dict[tuple[str, str | None, str | None], list[Dataplane]], list[Dataplane]]:
        """Proxies a top-level Mesh policy can select, grouped by (namespace, origin, zone).

        Built-in gateways are kept apart: Kuma matches them through their MeshGateway.
        """
        if self._groups is None:
            groups: dict[tuple[str, str | None, str | None], list[Dataplane]] = {}
            builtin: list[Dataplane] = []
            for dp in self.index.dataplanes.values():
                if dp.gateway_type == "BUILTIN":
                    builtin.append(dp)
                    continue
                eligible = dp.gateway_type == "DELEGATED" or bool(
                    mesh_inbounds(dp, self.index.version)
                )
                if eligible:
                    labels = dp.labels
                    key = (
                        labels.get(NAMESPACE, ""),
                        labels.get("kuma.io/origin"),
                        labels.get("kuma.io/zone"),
                    )
                    groups.setdefault(key, []).append(dp)
            self._groups = (groups, builtin)
        return self._groups

    def not_matching(
        self, dataplane_name: str, policy_type: str
    ) -> tuple[tuple[Policy, Selection], ...]:
        """Policies of one type that do not apply to the dataplane, each with the reason."""
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return ()
        policies = self.index.policies_of(policy_type)
        # Memoised with the policies and the proxy it was computed for: both objects
        # survive edits of other types (and of other proxies), and so does the answer.
        key = (policy_type, id(dataplane))
        hit = self.cache.unmatched.get(key)
        if hit is not None and hit[0] is policies and hit[1] is dataplane:
            return hit[2]  # the same tuple: views drawn from it can be reused
        gateway = select_gateway(self.index, dataplane)
        out = []
        for policy in policies:
            selection = select(policy.resource, policy.target_ref, dataplane, gateway, self.index)
            if not selection.matched:
                out.append((policy, selection))
        found = tuple(out)
        self.cache.unmatched[key] = (policies, dataplane, found)
        return found

    def service_uses(self, service: Resource) -> tuple[ServiceUse, ...]:
        """Policy `to[]` entries that resolve to `service`, by policy type then name."""
        if self._service_uses is None:
            self._service_uses = self._index_service_uses()
        return self._service_uses.get(identity(service), ())

    def _index_service_uses(self) -> dict[tuple[str, str, str, str, str], tuple[ServiceUse, ...]]:
        found: dict[tuple[str, str, str, str, str], list[ServiceUse]] = {}
        for policy in self.index.all_policies():
            for item in policy.to:
                if item.target_ref is None:
                    continue
                for resource, section in resolve(item.target_ref, policy.resource, self.index):
                    found.setdefault(identity(resource), []).append(
                        ServiceUse(policy, item.index, section)
                    )
        return {key: tuple(uses) for key, uses in found.items()}


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def candidate_dataplanes(index: MeshIndex, policy: Policy) -> tuple[Dataplane, ...]:
    """Proxies that could be selected by `policy` (a superset), found through the indexes."""
    if policy.resource.role in ("consumer", "workload-owner"):
        namespace = policy.labels.get(NAMESPACE)
        scope = index.dataplanes_by_namespace.get(namespace, ()) if namespace is not None else ()
    else:
        scope = tuple(index.dataplanes.values())
    ref = policy.target_ref
    narrowed: tuple[Dataplane, ...] | None = None
    by_tags = ref.kind in ("MeshService", "MeshServiceSubset", "MeshSubset")
    if by_tags and index.gateways:
        narrowed = None  # gateway listener tags can select proxies that lack the tag
    elif ref.kind in ("MeshService", "MeshServiceSubset") and ref.name:
        narrowed = index.dataplanes_by_tag.get((SERVICE_TAG, ref.name), ())
    elif ref.kind == "MeshSubset" and ref.tags:
        key, value = sorted(ref.tags.items())[0]
        narrowed = (
            index.dataplanes_by_tag_key.get(key, ())
            if value == "*"
            else index.dataplanes_by_tag.get((key, value), ())
        )
    elif ref.kind == "Dataplane" and ref.labels:
        pair = sorted(ref.labels.items())[0]
        if pair[1] != "":
            narrowed = index.dataplanes_by_label.get(pair, ())
    if narrowed is None or len(narrowed) >= len(scope):
        return scope
    allowed = {id(dp) for dp in scope}
    return tuple(dp for dp in narrowed if id(dp) in allowed)


def evaluations(indexes: Mapping[str, MeshIndex]) -> dict[str, MeshEvaluation]:
    """One lazy evaluation per mesh."""
    return {mesh: MeshEvaluation(index) for mesh, index in indexes.items()}
