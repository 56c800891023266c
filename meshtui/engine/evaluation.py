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
test gives `changed_dataplanes(before, after)` and `changed_types(before, after)`
(which types differ, per dataplane) without computing the others; `rules_of_type`
computes one type of one dataplane alone.

Bulk work (`prepare`, `all_rules`, `changed_dataplanes`) runs with Python's cyclic
garbage collector paused (`bulk.collector_paused`).

Thread-safety: answers may be computed from a worker thread; a race only computes the
same pure value twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from meshtui.engine.bulk import collector_paused
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
from meshtui.kinds import policy_types
from meshtui.model import NAMESPACE, SERVICE_TAG, Dataplane, Policy, Resource, ResourceKey


@dataclass(frozen=True, slots=True)
class SharedRules:
    """The rules of one proxy, for every proxy with its selector signature."""

    keys: tuple[Listener, ...]
    """The inbound keys of the proxy they were computed for (`signatures.listener_keys`)."""
    types: tuple[TypeRules, ...]


Part_ = tuple[tuple[Listener, ...], TypeRules]
"""The rules of one type for a proxy with these inbound keys."""


class DataplaneRules:
    """Everything Kuma computes for one proxy: one `TypeRules` per policy type, plugin order.

    Immutable. Built from its own `types`, or from the `shared` rules of a proxy with
    the same selector signature (some types possibly `overrides`, computed for another
    such proxy after an edit); those are relabelled with this proxy's inbound keys when
    `types` is first read.
    """

    __slots__ = ("_overrides", "_shared", "_types", "dataplane", "gateway")

    def __init__(
        self,
        dataplane: Dataplane,
        gateway: Resource | None,
        types: tuple[TypeRules, ...] | None = None,
        *,
        shared: SharedRules | None = None,
        overrides: Mapping[str, Part_] | None = None,
    ) -> None:
        if types is None and shared is None:
            raise ValueError("DataplaneRules needs types or shared rules")
        self.dataplane = dataplane
        self.gateway = gateway
        self._shared = shared if types is None else None
        self._overrides = overrides or {}
        if (
            types is None
            and not self._overrides
            and shared is not None
            and shared.keys == listener_keys(dataplane)
        ):
            types = shared.types
        self._types = types

    @property
    def types(self) -> tuple[TypeRules, ...]:
        found = self._types
        if found is None:
            keys = listener_keys(self.dataplane)
            found = self._types = tuple(_relabelled(part, keys) for part in self._parts(keys))
        return found

    def _parts(self, keys: tuple[Listener, ...]) -> list[Part_]:
        """Each type's rules with the inbound keys they were computed for."""
        if self._types is not None and self._shared is None:
            return [(keys, t) for t in self._types]
        shared = self._shared
        assert shared is not None
        overrides = self._overrides
        return [overrides.get(t.type) or (shared.keys, t) for t in shared.types]

    def with_types(self, fresh: Mapping[str, Part_]) -> DataplaneRules:
        """These rules with some types' replaced."""
        if self._shared is None:
            keys = listener_keys(self.dataplane)
            types = tuple(
                _relabelled(fresh[t.type], keys) if t.type in fresh else t for t in self.types
            )
            return DataplaneRules(self.dataplane, self.gateway, types)
        return DataplaneRules(
            self.dataplane,
            self.gateway,
            shared=self._shared,
            overrides={**self._overrides, **fresh},
        )

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

    def same_as(
        self, other: DataplaneRules, known: dict[tuple[int, int], bool] | None = None
    ) -> bool:
        """Whether both say the same (legacy tag rules compared only when all else is equal).

        `known`: answers already found for pairs of `TypeRules` computed for the same
        inbound keys (by their ids; the caller holds both sides while it is used).
        """
        if self is other:
            return True
        if self.dataplane != other.dataplane or self.gateway != other.gateway:
            return False
        keys = listener_keys(self.dataplane)
        return all(
            _same_parts(a, b, keys, known)
            for a, b in zip(self._parts(keys), other._parts(keys), strict=True)
        )


def _same_parts(
    a: Part_, b: Part_, keys: tuple[Listener, ...], known: dict[tuple[int, int], bool] | None
) -> bool:
    """Whether two rules of one type say the same for a proxy with inbound `keys`."""
    if a[1] is b[1] and a[0] == b[0]:
        return True
    if a[0] != b[0]:
        return _same_type_rules(_relabelled(a, keys), _relabelled(b, keys))
    # both computed for the same inbound keys: renaming both alike cannot make them differ
    pair = (id(a[1]), id(b[1]))
    same = known.get(pair) if known is not None else None
    if same is None:
        same = _same_type_rules(a[1], b[1])
        if known is not None:
            known[pair] = same
    return same


def _relabelled(part: Part_, keys: tuple[Listener, ...]) -> TypeRules:
    their_keys, rules = part
    if their_keys == keys:
        return rules
    return rules.relabelled(dict(zip(their_keys, keys, strict=True)))


def _same_type_rules(a: TypeRules, b: TypeRules) -> bool:
    """Everything equal, the legacy tag rules (computed if need be) compared last."""
    return _same_but_legacy(a, b) and a.legacy_from == b.legacy_from and a.legacy_to == b.legacy_to


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


_AROUND = DESTINATIONS | {"MeshGateway"}
"""What rules read besides policies and the dataplane itself."""

_RULES: Table[str, DataplaneRules] = Table(
    "dataplane rules", key=(Part.DATAPLANE,), reads=_AROUND | {ANY_POLICY}
)
_GATEWAY: Table[str, Resource | None] = Table(
    "dataplane's gateway", key=(Part.DATAPLANE,), reads={"MeshGateway"}
)
_VOCABULARY: Table[tuple[()], Vocabulary] = Table("selector vocabulary", reads={ANY_POLICY})
_TYPE_VOCABULARY: Table[tuple[()], Vocabulary] = Table(
    "selector vocabulary of a type", key=(Part.TYPE,)
)
_SIGNATURE: Table[str, Signature] = Table(
    "selector signature", key=(Part.DATAPLANE,), reads={ANY_POLICY}
)
_BY_SIGNATURE: Table[Signature, SharedRules] = Table(
    "rules by signature", reads=_AROUND | {ANY_POLICY}
)
"""Signature → the rules of the first proxy with it."""
_TYPE_BY_SIGNATURE: Table[Signature, Part_] = Table(
    "type rules by signature", key=(Part.TYPE,), reads=_AROUND | {ANY_POLICY}
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

    def __init__(self, previous: MeshEvaluation, index: MeshIndex, changes: Changes) -> None:
        self.rules = previous.memo.table(_RULES)
        self.touch = _Touch(previous.index, index, changes)


class _Touch:
    """Which dataplanes a change between two snapshots can touch, per policy type: those
    that a changed policy, before or after the change, selects or warns on.

    Asked about one dataplane, it tries the changed policies on it (and remembers the
    answer); `touched` finds every dataplane of a type at once, through the indexes.
    """

    def __init__(self, before: MeshIndex, after: MeshIndex, changes: Changes) -> None:
        self.before = before
        self.after = after
        self.changes = changes
        self._changed = {
            kind: [
                (side, p)
                for side in (before, after)
                for p in side.policies.get(kind, ())
                if p.key in changes.policies
            ]
            for kind in changes.types
        }
        self._all: dict[str, frozenset[str]] = {}
        self._each: dict[tuple[str, str], bool] = {}

    def types(self, dataplane: Dataplane, gateway: Resource | None) -> set[str]:
        """The changed types that can touch this dataplane (of the later snapshot, and
        unchanged by it)."""
        name = dataplane.resource.name
        out = set()
        for kind, changed in self._changed.items():
            every = self._all.get(kind)
            if every is not None:
                hit = name in every
            else:
                found = self._each.get((kind, name))
                if found is None:
                    found = self._each[(kind, name)] = any(
                        _touches(p, dataplane, gateway, side) for side, p in changed
                    )
                hit = found
            if hit:
                out.add(kind)
        return out

    def touched(self, kind: str) -> frozenset[str]:
        """Every dataplane the changed policies of `kind` can touch, by name."""
        found = self._all.get(kind)
        if found is None:
            names: set[str] = set()
            for side, policy in self._changed.get(kind, ()):
                for dp in candidate_dataplanes(side, policy):
                    name = dp.resource.name
                    gateway = select_gateway(side, dp) if side.gateways else None
                    if name not in names and _touches(policy, dp, gateway, side):
                        names.add(name)
            found = self._all[kind] = frozenset(names)
        return found


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
            evaluation._carried = _Carried(previous, index, changes)
        if changes.types and not changes.everything:
            vocabulary = previous.memo.table(_VOCABULARY).get(())
            if vocabulary is not None and vocabulary == evaluation._vocabulary():
                # the change is invisible to every selector: signatures stay
                evaluation.memo.adopt(_VOCABULARY, previous.memo, changes)
                evaluation.memo.adopt(_SIGNATURE, previous.memo, changes)
        return evaluation

    @property
    def mesh(self) -> str:
        return self.index.mesh_name

    def prepare(self) -> None:
        """Build what every dataplane's rules share (per-type bases, the vocabulary of
        selectors), so that the first dataplane asked for does not pay for them."""
        with collector_paused():
            self._vocabulary()
            for kind in self.index.policy_types:
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
                for kind in index.policy_types
            )
            return DataplaneRules(dataplane, gateway, types)
        shared = memo.get(
            _BY_SIGNATURE,
            self._signature(dataplane),
            lambda: SharedRules(
                listener_keys(dataplane),
                tuple(
                    type_rules(index, dataplane, kind, cache=memo) for kind in index.policy_types
                ),
            ),
        )
        return DataplaneRules(dataplane, gateway, shared=shared)

    def all_rules(self) -> dict[str, DataplaneRules]:
        """The merged rules of every dataplane, by store name."""
        out = {}
        with collector_paused():
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
        touched = carried.touch.types(dataplane, gateway)
        if not touched:
            return before
        return before.with_types(self._parts(dataplane, gateway, touched))

    def _type_parts(self, dataplane: Dataplane, kinds: Iterable[str]) -> dict[str, Part_]:
        """Some types' rules of one proxy: from its rules if known, else those types only."""
        known = self.memo.table(_RULES).get(dataplane.resource.name)
        if known is None:
            return self._parts(dataplane, self._gateway(dataplane), kinds)
        wanted = set(kinds)
        found = {
            part[1].type: part
            for part in known._parts(listener_keys(dataplane))
            if part[1].type in wanted
        }
        missing = [kind for kind in kinds if kind not in found]  # a generic kind not in this mesh
        if missing:
            found.update(self._parts(dataplane, self._gateway(dataplane), missing))
        return found

    def _parts(
        self, dataplane: Dataplane, gateway: Resource | None, kinds: Iterable[str]
    ) -> dict[str, Part_]:
        """Some types' rules of one proxy, as computed for it or for a proxy with its
        selector signature."""
        memo, index = self.memo, self.index
        keys = listener_keys(dataplane)
        if gateway is not None:
            return {
                kind: (keys, type_rules(index, dataplane, kind, gateway=gateway, cache=memo))
                for kind in kinds
            }
        sig = self._signature(dataplane)
        out = {}
        for kind in kinds:
            shared = memo.part(_TYPE_BY_SIGNATURE, kind)
            hit = shared.get(sig)
            if hit is None:
                hit = shared[sig] = (keys, type_rules(index, dataplane, kind, cache=memo))
            out[kind] = hit
        return out

    def _gateway(self, dataplane: Dataplane) -> Resource | None:
        if not self.index.gateways:
            return None
        return self.memo.get(
            _GATEWAY, dataplane.resource.name, lambda: select_gateway(self.index, dataplane)
        )

    def _vocabulary(self) -> Vocabulary:
        return self.memo.value(_VOCABULARY, self._vocabulary_of_types)

    def _vocabulary_of_types(self) -> Vocabulary:
        index = self.index
        parts = []
        for kind in index.policies.keys() | index.shadow_policies.keys():
            entries = self.memo.part(_TYPE_VOCABULARY, kind)
            part = entries.get(())
            if part is None:
                part = entries[()] = Vocabulary.of_policies(
                    (*index.policies.get(kind, ()), *index.shadow_policies.get(kind, ()))
                )
            parts.append(part)
        return Vocabulary.union(parts)

    def _signature(self, dataplane: Dataplane) -> Signature:
        entries = self.memo.table(_SIGNATURE)
        key = dataplane.resource.name
        found = entries.get(key)
        if found is None:
            found = entries[key] = signature(dataplane, self._vocabulary())
        return found

    def rules_of_type(self, dataplane_name: str, policy_type: str) -> TypeRules | None:
        """One type's rules of one dataplane; only that type is computed when the
        dataplane's rules are not known yet (what a diff of a few types needs)."""
        dataplane = self.index.dataplanes.get(dataplane_name)
        if dataplane is None:
            return None
        part = self._type_parts(dataplane, (policy_type,))[policy_type]
        return _relabelled(part, listener_keys(dataplane))

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
    one mesh (added and removed ones included), sorted. See `changed_types`."""
    return tuple(changed_types(before, after))


def changed_types(before: MeshEvaluation, after: MeshEvaluation) -> dict[str, tuple[str, ...]]:
    """For each dataplane whose merged rules differ between two evaluations of one mesh
    (by store name, sorted), the policy types whose rules differ (plugin order; every
    type for a dataplane in one evaluation only).

    Exact, and only as costly as the change: when only policies (and dataplanes)
    changed, a dataplane whose changed policies, before or after, neither select it nor
    warn on it is not looked at, and for the others only the types of the changed
    policies are computed and compared (`DataplaneRules.same_as` semantics: everything,
    legacy tag rules last). Anything else changed: every dataplane is compared whole.
    """
    changes = index_changes(before.index, after.index) if before.mesh == after.mesh else EVERYTHING
    if changes.none:
        return {}
    names = sorted(before.index.dataplanes.keys() | after.index.dataplanes.keys())
    touch = _Touch(before.index, after.index, changes) if _policies_only(changes) else None
    carried = after._carried
    if touch is not None and carried is not None and carried.touch.changes == changes:
        touch = carried.touch  # the same question: share the answers
    with collector_paused():
        return dict(_changed(before, after, names, touch))


def _changed(
    before: MeshEvaluation, after: MeshEvaluation, names: list[str], touch: _Touch | None
) -> Iterator[tuple[str, tuple[str, ...]]]:
    known: dict[tuple[int, int], bool] = {}
    every = policy_types((*before.index.policy_types, *after.index.policy_types))
    for name in names:
        new_dp = after.index.dataplanes.get(name)
        old_dp = before.index.dataplanes.get(name)
        if new_dp is None or old_dp is None:
            yield name, every
            continue
        keys = listener_keys(new_dp)
        if touch is not None and old_dp is new_dp:
            # only the types the change can touch can differ: compare those alone
            kinds = [kind for kind in every if kind in touch.changes.types]
            kinds = [kind for kind in kinds if name in touch.touched(kind)]
            if not kinds:
                continue
            was, now = before._type_parts(old_dp, kinds), after._type_parts(new_dp, kinds)
        else:
            old, new = before.rules(name), after.rules(name)
            assert old is not None and new is not None
            if old is new:
                continue
            if old.dataplane != new.dataplane or old.gateway != new.gateway:
                yield name, every
                continue
            kinds = list(every)
            was = before._type_parts(old_dp, kinds)
            now = after._type_parts(new_dp, kinds)
        differing = tuple(k for k in kinds if not _same_parts(was[k], now[k], keys, known))
        if differing:
            yield name, differing


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
