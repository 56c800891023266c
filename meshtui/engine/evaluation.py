"""What the dashboard can ask about one mesh, computed lazily and memoised.

A `MeshEvaluation` wraps one immutable `MeshIndex`. Every answer is computed on first
request and kept: the merged rules of a dataplane, the dataplanes a policy affects,
why a policy does (not) apply to a dataplane, and which policies configure traffic
to a service. Nothing is computed for what nobody looks at.

Thread-safety: answers may be computed from a worker thread; a race only computes the
same pure value twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from meshtui.engine.index import MeshIndex
from meshtui.engine.inspect import policy_matches, rules_body
from meshtui.engine.matching import Selection, select, select_gateway
from meshtui.engine.resource_rules import identity, resolve
from meshtui.engine.rules import TypeRules, type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.model import Dataplane, Policy, Resource, ResourceKey


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

    def __init__(self, index: MeshIndex) -> None:
        self.index = index
        self._rules: dict[str, DataplaneRules] = {}
        self._affected: dict[ResourceKey, tuple[str, ...]] = {}
        self._service_uses: dict[tuple[str, str, str, str, str], tuple[ServiceUse, ...]] | None = (
            None
        )

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
                type_rules(self.index, dataplane, kind, gateway=gateway) for kind in POLICY_KINDS
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
            name
            for name, dp in sorted(self.index.dataplanes.items())
            if policy_matches(policy, dp, self.index)
        )
        self._affected[policy.key] = names
        return names

    def explain(self, policy: Policy, dataplane_name: str) -> Selection | None:
        """How the policy's top-level targetRef fares on one dataplane (bulk-path gateway)."""
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return None
        gateway = select_gateway(self.index, dataplane)
        return select(policy.resource, policy.target_ref, dataplane, gateway, self.index)

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


def evaluations(indexes: Mapping[str, MeshIndex]) -> dict[str, MeshEvaluation]:
    """One lazy evaluation per mesh."""
    return {mesh: MeshEvaluation(index) for mesh, index in indexes.items()}
