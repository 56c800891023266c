"""What the dashboard can ask about one mesh, computed lazily and remembered.

A `MeshEvaluation` wraps one immutable `MeshIndex`. Every answer is computed on first
request and kept in the evaluation's `Memo` (`engine.memo`): the merged rules of a
dataplane, the dataplanes a policy affects, why a policy does (not) apply to a
dataplane, and which policies configure traffic to a service. Nothing is computed for
what nobody looks at.

Sharing between dataplanes: proxies that no selector tells apart (`signatures`) are
computed once per policy type and relabelled; their outbound sides share a base built
once per snapshot (`resource_rules.shared_resource_rules`). `prepare` builds those
bases ahead of the first request.

Between snapshots: `following(previous, index)` carries over every table the change
left valid, and, when only policies (and dataplanes) changed, reuses the previous
rules of each policy type a change cannot touch on a dataplane: one whose changed
policies (before or after the change) neither select it nor warn on it. The same
test gives `changed_dataplanes(before, after)` without computing the others.

Bulk work (`prepare`, `all_rules`, `changed_dataplanes`) runs with Python's cyclic
garbage collector paused (`_collector_paused`): it makes hundreds of thousands of
long-lived objects and no garbage cycles, and each full collection on the way would
walk all of them again. The collector resumes afterwards; nothing else changes.

Thread-safety: answers may be computed from a worker thread; a race only computes the
same pure value twice.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from meshtui.engine.index import MeshIndex, index_changes
from meshtui.engine.inspect import policy_matches, rules_body
from meshtui.engine.matching import (
    Listener,
    Selection,
    mesh_inbounds,
    select,
    select_gateway,
    zone_filter_reason,
)
from meshtui.engine.memo import ANY_POLICY, EVERYTHING, Changes, Memo, Part, Table
from meshtui.engine.resource_rules import DESTINATIONS, identity, resolve
from meshtui.engine.rules import TypeRules, prepare_type, type_rules
from meshtui.engine.signatures import Signature, Vocabulary, listener_keys, signature
from meshtui.kinds import POLICY_KINDS
from meshtui.model import NAMESPACE, SERVICE_TAG, Dataplane, Policy, Resource, ResourceKey


@dataclass(frozen=True, slots=True)
class SharedRules:
    """The rules of one proxy, for every proxy with its selector signature."""

    keys: tuple[Listener, ...]
    """The inbound keys of the proxy they were computed for (`signatures.listener_keys`)."""
    types: tuple[TypeRules, ...]


class DataplaneRules:
    """Everything Kuma computes for one proxy: one `TypeRules` per policy type, plugin order.

    Immutable. Built either from its own `types`, or from `shared` rules of a proxy with
    the same selector signature, relabelled with this proxy's inbound keys when `types`
    is first read.
    """

    __slots__ = ("_shared", "_types", "dataplane", "gateway")

    def __init__(
        self,
        dataplane: Dataplane,
        gateway: Resource | None,
        types: tuple[TypeRules, ...] | None = None,
        *,
        shared: SharedRules | None = None,
    ) -> None:
        if types is None and shared is None:
            raise ValueError("DataplaneRules needs types or shared rules")
        self.dataplane = dataplane
        self.gateway = gateway
        self._shared = shared
        if types is None and shared is not None and shared.keys == listener_keys(dataplane):
            types = shared.types
        self._types = types

    @property
    def types(self) -> tuple[TypeRules, ...]:
        found = self._types
        if found is None:
            shared = self._shared
            assert shared is not None
            listeners = dict(zip(shared.keys, listener_keys(self.dataplane), strict=True))
            found = self._types = tuple(t.relabelled(listeners) for t in shared.types)
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataplaneRules):
            return NotImplemented
        return (self.dataplane, self.gateway, self.types) == (
            other.dataplane,
            other.gateway,
            other.types,
        )

    __hash__ = None  # type: ignore[assignment]

    def of_type(self, policy_type: str) -> TypeRules | None:
        """The rules of one policy type."""
        return next((t for t in self.types if t.type == policy_type), None)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning of every type."""
        return tuple(w for t in self.types for w in t.warnings)

    def same_as(self, other: DataplaneRules) -> bool:
        """Whether both say the same (legacy tag rules compared only when all else is equal)."""
        if self is other:
            return True
        if self.dataplane != other.dataplane or self.gateway != other.gateway:
            return False
        if self._shared is not None and self._shared is other._shared:
            return True  # the same rules, relabelled the same way (the same dataplane)
        pairs = list(zip(self.types, other.types, strict=True))
        if not all(a is b or _same_but_legacy(a, b) for a, b in pairs):
            return False
        return all(
            a is b or (a.legacy_from == b.legacy_from and a.legacy_to == b.legacy_to)
            for a, b in pairs
        )


def _same_but_legacy(a: TypeRules, b: TypeRules) -> bool:
    return (
        a.type == b.type
        and a.matched == b.matched
        and a.by_inbound == b.by_inbound
        and a.inbound_rules == b.inbound_rules
        and a.resource_rules == b.resource_rules
        and a.single_rules == b.single_rules
        and a.warnings == b.warnings
        and a.kuma_warnings == b.kuma_warnings
        and a.ties == b.ties
    )


@dataclass(frozen=True, slots=True)
class ServiceUse:
    """A policy `to[]` entry that resolves to a given service."""

    policy: Policy
    index: int
    section: str


T = TypeVar("T")

_PAUSES = threading.Lock()
_pauses = [0, False]
"""[bulk computations running with the collector paused (any thread), whether it was on
when the first of them began]."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection while the block runs.

    Counted across threads: the collector resumes when the last such block ends, if it
    was on when the first began.
    """
    with _PAUSES:
        if _pauses[0] == 0:
            _pauses[1] = gc.isenabled()
            gc.disable()
        _pauses[0] += 1
    try:
        yield
    finally:
        with _PAUSES:
            _pauses[0] -= 1
            if _pauses[0] == 0 and _pauses[1]:
                gc.enable()


_CONTEXT = DESTINATIONS | {"MeshGateway"}
"""What rules read besides policies and the dataplane itself."""

_RULES: Table[str, DataplaneRules] = Table(
    "dataplane rules", key=(Part.DATAPLANE,), reads=_CONTEXT | {ANY_POLICY}
)
_GATEWAY: Table[str, Resource | None] = Table(
    "dataplane's gateway", key=(Part.DATAPLANE,), reads={"MeshGateway"}
)
_VOCABULARY: Table[tuple[()], Vocabulary] = Table("selector vocabulary", reads={ANY_POLICY})
_SIGNATURE: Table[str, Signature] = Table(
    "selector signature", key=(Part.DATAPLANE,), reads={ANY_POLICY}
)
_BY_SIGNATURE: Table[Signature, SharedRules] = Table(
    "rules by signature", reads=_CONTEXT | {ANY_POLICY}
)
"""Signature → the rules of the first proxy with it."""
_TYPE_BY_SIGNATURE: Table[Signature, tuple[tuple[Listener, ...], TypeRules]] = Table(
    "type rules by signature", key=(Part.TYPE,), reads=_CONTEXT | {ANY_POLICY}
)
"""Per type: signature → (the inbound keys of the first proxy with it, its `TypeRules`)."""
_AFFECTED: Table[ResourceKey, tuple[str, ...]] = Table(
    "affected dataplanes", key=(Part.POLICY,), reads={"Dataplane", "MeshGateway", "MeshHTTPRoute"}
)
_COUNTED: Table[ResourceKey, int] = Table(
    "affected count", key=(Part.POLICY,), reads={"Dataplane", "MeshGateway", "MeshHTTPRoute"}
)
_UNMATCHED: Table[str, tuple[tuple[Policy, Selection], ...]] = Table(
    "not matching", key=(Part.TYPE, Part.DATAPLANE), reads={"MeshGateway", "MeshHTTPRoute"}
)
Groups = tuple[dict[tuple[str, str | None, str | None], list[Dataplane]], list[Dataplane]]
_GROUPS: Table[tuple[()], Groups] = Table("dataplane groups", reads={"Dataplane"})
_SERVICE_USES: Table[tuple[()], dict[tuple[str, str, str, str, str], tuple[ServiceUse, ...]]] = (
    Table("service uses", reads=DESTINATIONS | {ANY_POLICY})
)


class _Carried:
    """The previous snapshot's dataplane rules, and which types a change touches."""

    def __init__(self, previous: MeshEvaluation, changes: Changes) -> None:
        self.rules = previous.memo.table(_RULES)
        self.changes = changes
        self.touch = _Touch(previous.index, changes)


class _Touch:
    """Which policy types a change between two snapshots can touch on a dataplane."""

    def __init__(self, before: MeshIndex, changes: Changes) -> None:
        self.before = before
        self.changes = changes

    def types(self, index: MeshIndex, dataplane: Dataplane, gateway: Resource | None) -> set[str]:
        """The changed types whose changed policies (before or after) select or warn on
        `dataplane` (of `index`, the later snapshot; its gateway is the same in both)."""
        touched = set()
        keys = self.changes.policies
        for kind in self.changes.types:
            for side in (self.before, index):
                if any(
                    _touches(p, dataplane, gateway, side)
                    for p in side.policies.get(kind, ())
                    if p.key in keys
                ):
                    touched.add(kind)
                    break
        return touched


def _touches(
    policy: Policy, dataplane: Dataplane, gateway: Resource | None, index: MeshIndex
) -> bool:
    selection = select(policy.resource, policy.target_ref, dataplane, gateway, index)
    return selection.matched or bool(selection.warning)


def _policies_only(changes: Changes) -> bool:
    """Only policies (other than routes, which other types' matching reads) and
    dataplanes changed."""
    return (
        not changes.everything
        and "MeshHTTPRoute" not in changes.buckets
        and changes.buckets <= changes.types | {"Dataplane"}
    )


class MeshEvaluation:
    """Lazy, remembered answers about one mesh snapshot."""

    def __init__(self, index: MeshIndex, *, memo: Memo | None = None) -> None:
        self.index = index
        self.memo = memo if memo is not None else Memo()
        self._carried: _Carried | None = None

    @classmethod
    def following(cls, previous: MeshEvaluation | None, index: MeshIndex) -> MeshEvaluation:
        """The evaluation of `index`, reusing what `previous` computed that is still valid.

        Tables carry over as `memo.Changes` allows; rules of a dataplane carry over per
        policy type when the change cannot touch them (see the module docstring).
        "Changed" means *not the same objects* (the index keeps the views of resources
        read again unchanged, see `index._Filed`).
        """
        if previous is None:
            return cls(index)
        changes = (
            index_changes(previous.index, index) if previous.mesh == index.mesh_name else EVERYTHING
        )
        evaluation = cls(index, memo=previous.memo.following(changes))
        if changes.types and _policies_only(changes):
            evaluation._carried = _Carried(previous, changes)
        return evaluation

    @property
    def mesh(self) -> str:
        return self.index.mesh_name

    def prepare(self) -> None:
        """Build what every dataplane's rules share (per-type bases, the vocabulary of
        selectors), so that the first dataplane asked for does not pay for them."""
        with _collector_paused():
            self._vocabulary()
            for kind in POLICY_KINDS:
                if kind in self.index.policies:
                    prepare_type(self.index, self.memo, kind)

    def rules(self, dataplane_name: str) -> DataplaneRules | None:
        """The merged rules of one dataplane (by store name)."""
        entries = self.memo.table(_RULES)
        key = dataplane_name
        cached = entries.get(key)
        if cached is not None:
            return cached
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return None
        gateway = self._gateway(dataplane)
        computed = self._reused(dataplane, gateway) or self._computed(dataplane, gateway)
        entries[key] = computed
        return computed

    def _computed(self, dataplane: Dataplane, gateway: Resource | None) -> DataplaneRules:
        memo, index = self.memo, self.index
        if gateway is not None:
            types = tuple(
                type_rules(index, dataplane, kind, gateway=gateway, cache=memo)
                for kind in POLICY_KINDS
            )
            return DataplaneRules(dataplane, gateway, types)
        shared = memo.get(
            _BY_SIGNATURE,
            self._signature(dataplane),
            lambda: SharedRules(
                listener_keys(dataplane),
                tuple(type_rules(index, dataplane, kind, cache=memo) for kind in POLICY_KINDS),
            ),
        )
        return DataplaneRules(dataplane, gateway, shared=shared)

    def all_rules(self) -> dict[str, DataplaneRules]:
        """The merged rules of every dataplane, by store name."""
        out = {}
        with _collector_paused():
            for name in self.index.dataplanes:
                found = self.rules(name)
                assert found is not None
                out[name] = found
        return out

    def _reused(self, dataplane: Dataplane, gateway: Resource | None) -> DataplaneRules | None:
        carried = self._carried
        if carried is None:
            return None
        before = carried.rules.get(dataplane.resource.name)
        if before is None or before.dataplane is not dataplane or before.gateway is not gateway:
            return None
        touched = carried.touch.types(self.index, dataplane, gateway)
        if not touched:
            return before
        fresh = dict(zip(touched, self._compute(dataplane, gateway, touched), strict=True))
        return DataplaneRules(dataplane, gateway, tuple(fresh.get(t.type, t) for t in before.types))

    def _compute(
        self, dataplane: Dataplane, gateway: Resource | None, kinds: Iterable[str]
    ) -> list[TypeRules]:
        """Some types' rules of one proxy (shared per signature and type, relabelled)."""
        memo, index = self.memo, self.index
        if gateway is not None:
            return [
                type_rules(index, dataplane, kind, gateway=gateway, cache=memo) for kind in kinds
            ]
        sig = self._signature(dataplane)
        keys = listener_keys(dataplane)
        out = []
        relabel: dict[Listener, Listener] | None = None
        for kind in kinds:
            shared = memo.part(_TYPE_BY_SIGNATURE, kind)
            hit = shared.get(sig)
            if hit is None:
                hit = shared[sig] = (keys, type_rules(index, dataplane, kind, cache=memo))
            their_keys, rules = hit
            if their_keys != keys:
                if relabel is None:
                    relabel = dict(zip(their_keys, keys, strict=True))
                rules = rules.relabelled(relabel)
            out.append(rules)
        return out

    def _gateway(self, dataplane: Dataplane) -> Resource | None:
        if not self.index.gateways:
            return None
        return self.memo.get(
            _GATEWAY, dataplane.resource.name, lambda: select_gateway(self.index, dataplane)
        )

    def _vocabulary(self) -> Vocabulary:
        return self.memo.value(_VOCABULARY, lambda: Vocabulary.of(self.index))

    def _signature(self, dataplane: Dataplane) -> Signature:
        entries = self.memo.table(_SIGNATURE)
        key = dataplane.resource.name
        found = entries.get(key)
        if found is None:
            found = entries[key] = signature(dataplane, self._vocabulary())
        return found

    def rules_body(self, dataplane_name: str) -> dict[str, object] | None:
        """The `_rules` JSON body of one dataplane."""
        computed = self.rules(dataplane_name)
        if computed is None:
            return None
        return rules_body(self.index, computed.dataplane, computed=computed.types)

    def affected(self, policy: Policy) -> tuple[str, ...]:
        """Store names of the dataplanes the policy applies to (Kuma's `_resources/dataplanes`)."""
        return self._for_policy(_AFFECTED, policy, lambda: self._affected(policy))

    def _affected(self, policy: Policy) -> tuple[str, ...]:
        return tuple(
            sorted(
                dp.resource.name
                for dp in candidate_dataplanes(self.index, policy)
                if policy_matches(policy, dp, self.index)
            )
        )

    def _for_policy(
        self, table: Table[ResourceKey, T], policy: Policy, compute: Callable[[], T]
    ) -> T:
        """A per-policy answer, for the policy of this snapshot with that key (another
        object with the same key, e.g. from another snapshot, is answered afresh)."""
        if self.index.policy(policy.key) is not policy:
            return compute()
        return self.memo.get(table, policy.key, compute)

    def affected_count(self, policy: Policy) -> int:
        """How many dataplanes the policy applies to (what the policies table shows).

        Top-level `Mesh` policies are counted per group of proxies sharing a namespace,
        origin and zone (their outcome is the same for the whole group); everything else
        goes through `affected`.
        """
        return self._for_policy(_COUNTED, policy, lambda: self._count(policy))

    def _count(self, policy: Policy) -> int:
        cached = self.memo.table(_AFFECTED).get(policy.key)
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

    def _dataplane_groups(self) -> Groups:
        """Proxies a top-level Mesh policy can select, grouped by (namespace, origin, zone).

        Built-in gateways are kept apart: Kuma matches them through their MeshGateway.
        """
        return self.memo.value(_GROUPS, self._groups)

    def _groups(self) -> Groups:
        groups: dict[tuple[str, str | None, str | None], list[Dataplane]] = {}
        builtin: list[Dataplane] = []
        for dp in self.index.dataplanes.values():
            if dp.gateway_type == "BUILTIN":
                builtin.append(dp)
                continue
            eligible = dp.gateway_type == "DELEGATED" or bool(mesh_inbounds(dp, self.index.version))
            if eligible:
                labels = dp.labels
                key = (
                    labels.get(NAMESPACE, ""),
                    labels.get("kuma.io/origin"),
                    labels.get("kuma.io/zone"),
                )
                groups.setdefault(key, []).append(dp)
        return groups, builtin

    def not_matching(
        self, dataplane_name: str, policy_type: str
    ) -> tuple[tuple[Policy, Selection], ...]:
        """Policies of one type that do not apply to the dataplane, each with the reason.

        The same tuple for as long as the type's policies and the dataplane are
        unchanged: views drawn from it can be reused.
        """
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return ()
        entries = self.memo.part(_UNMATCHED, policy_type)
        found = entries.get(dataplane_name)
        if found is None:
            found = entries[dataplane_name] = self._not_matching(dataplane, policy_type)
        return found

    def _not_matching(
        self, dataplane: Dataplane, policy_type: str
    ) -> tuple[tuple[Policy, Selection], ...]:
        gateway = select_gateway(self.index, dataplane)
        out = []
        for policy in self.index.policies_of(policy_type):
            selection = select(policy.resource, policy.target_ref, dataplane, gateway, self.index)
            if not selection.matched:
                out.append((policy, selection))
        return tuple(out)

    def explain(self, policy: Policy, dataplane_name: str) -> Selection | None:
        """How the policy's top-level targetRef fares on one dataplane (bulk-path gateway)."""
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return None
        gateway = select_gateway(self.index, dataplane)
        return select(policy.resource, policy.target_ref, dataplane, gateway, self.index)

    def service_uses(self, service: Resource) -> tuple[ServiceUse, ...]:
        """Policy `to[]` entries that resolve to `service`, by policy type then name."""
        uses = self.memo.value(_SERVICE_USES, self._index_service_uses)
        return uses.get(identity(service), ())

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


def changed_dataplanes(before: MeshEvaluation, after: MeshEvaluation) -> tuple[str, ...]:
    """Store names of the dataplanes whose merged rules differ between two evaluations of
    one mesh (added and removed ones included), sorted.

    Exact: a dataplane is compared (`DataplaneRules.same_as`) unless the change cannot
    touch it, i.e. only policies changed and none of them, before or after, selects
    it or warns on it; everything else is compared.
    """
    changes = index_changes(before.index, after.index) if before.mesh == after.mesh else EVERYTHING
    names = sorted(before.index.dataplanes.keys() | after.index.dataplanes.keys())
    if changes.none:
        return ()
    touch = _Touch(before.index, changes) if _policies_only(changes) else None
    with _collector_paused():
        return tuple(_changed(before, after, names, touch))


def _changed(
    before: MeshEvaluation, after: MeshEvaluation, names: list[str], touch: _Touch | None
) -> Iterator[str]:
    for name in names:
        new_dp = after.index.dataplanes.get(name)
        old_dp = before.index.dataplanes.get(name)
        if new_dp is None or old_dp is None:
            yield name
            continue
        if touch is not None and old_dp is new_dp:
            gateway = after._gateway(new_dp)
            if not touch.types(after.index, new_dp, gateway):
                continue
        old, new = before.rules(name), after.rules(name)
        assert old is not None and new is not None
        if not old.same_as(new):
            yield name


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
    allowed = {dp.resource.name for dp in scope}
    return tuple(dp for dp in narrowed if dp.resource.name in allowed)


def evaluations(indexes: Mapping[str, MeshIndex]) -> dict[str, MeshEvaluation]:
    """One lazy evaluation per mesh."""
    return {mesh: MeshEvaluation(index) for mesh, index in indexes.items()}
