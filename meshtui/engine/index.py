"""One mesh's resources, decoded and indexed for matching and rule building.

`MeshIndex` is what Kuma calls the mesh context's resource map: everything of one mesh,
in store order, plus the lookups the engine needs to avoid scanning (policies by type,
services by label, routes by display name). It is built once per inventory snapshot
and never changed; a new snapshot gets a new index, built from the previous one when
there is one: a bucket whose resources are the same objects (or equal ones read again
from the same place) keeps its decoded views, and the lookups that read only unchanged
buckets carry over through the index's `Memo` (see `engine.memo`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from meshtui.engine.bulk import collector_paused
from meshtui.engine.decode import decode_dataplane, decode_policy
from meshtui.engine.memo import ANYTHING, EVERYTHING, Changes, Memo, Part, Table
from meshtui.kinds import SERVICE_KINDS, is_policy_kind, policy_types
from meshtui.model import NAMESPACE, SERVICE_TAG, Dataplane, Policy, Resource, ResourceKey
from meshtui.versions import DEFAULT, KumaVersion


def _decode(resource: Resource) -> Decoded:
    if resource.type == "Dataplane":
        return decode_dataplane(resource)
    return decode_policy(resource)


def store_order(resource: Resource) -> tuple[str, str]:
    """The order the store lists resources in: by name (then namespace label for copies)."""
    return (resource.name, resource.namespace)


@dataclass(frozen=True, slots=True)
class Candidates:
    """The policies of one type that could select a proxy, split for fast matching.

    A policy is named by its *position* in `policies` (store order). *Namespace-scoped*
    policies (consumer, workload-owner) only ever apply to proxies of their own
    namespace, so they are kept per namespace; *fast* ones are top-level `Mesh` without
    `proxyTypes`, whose outcome is the same for every proxy of a namespace and zone
    (see `rules.match_policies`). Every tuple of positions is ascending.
    """

    policies: tuple[Policy, ...] = ()
    """The type's non-shadow policies in store order."""
    serials: tuple[int, ...] = ()
    """`policies[i]`'s serial number (`Lineage`)."""
    fast_global: tuple[int, ...] = ()
    slow_global: tuple[int, ...] = ()
    fast_by_namespace: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    slow_by_namespace: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


Requirement = tuple[str, ...]
"""Something a proxy must have for a top-level targetRef to select it: `("tag", k, v)`
(an inbound or gateway tag), `("key", k)` (a tag key, for `*`), `("label", k, v)` or
`("name", display name)`."""


def requirement(policy: Policy) -> Requirement | None:
    """One thing a proxy needs for this policy's top-level targetRef to select it (when
    there is no MeshGateway in play), or `None` if nothing simple is needed.

    Only for kinds whose miss is silent (no warning): skipping the policy for a proxy
    that lacks it changes nothing. Mirrors `matching._select`.
    """
    ref = policy.target_ref
    kind = ref.kind
    if kind in ("MeshSubset", "MeshService", "MeshServiceSubset"):
        if kind == "MeshSubset":
            selector = dict(ref.tags or {})
        elif kind == "MeshService":
            selector = {SERVICE_TAG: ref.name}
        else:
            selector = {SERVICE_TAG: ref.name, **(ref.tags or {})}
        if not selector:
            return None
        key, value = min(selector.items())
        return ("key", key) if value == "*" else ("tag", key, value)
    if kind == "Dataplane":
        if ref.name and ref.labels is None:
            return ("name", ref.name)
        if not ref.name and not ref.namespace and ref.labels:
            pairs = [(k, v) for k, v in sorted(ref.labels.items()) if v != ""]
            if pairs:
                return ("label", *pairs[0])
    return None


def proxy_requirements(dataplane: Dataplane) -> frozenset[Requirement]:
    """Everything a proxy has that a `requirement` can ask for."""
    found: set[Requirement] = {("name", dataplane.resource.display_name)}
    tags = [dataplane.gateway_tags, *(i.tags for i in dataplane.inbounds)]
    for group in tags:
        for key, value in group.items():
            found.add(("tag", key, value))
            found.add(("key", key))
    found.update(("label", k, v) for k, v in dataplane.labels.items())
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class SlowCandidates:
    """Policies (positions) that must be tried one by one on a proxy, by what they
    require of it."""

    always: tuple[int, ...]
    by_requirement: Mapping[Requirement, tuple[int, ...]]

    @classmethod
    def of(cls, positions: Sequence[int], policies: Sequence[Policy]) -> SlowCandidates:
        always: list[int] = []
        by: dict[Requirement, list[int]] = defaultdict(list)
        for position in positions:
            needed = requirement(policies[position])
            (always if needed is None else by[needed]).append(position)
        return cls(tuple(always), {k: tuple(v) for k, v in by.items()})

    def for_proxy(self, has: frozenset[Requirement]) -> list[int]:
        """Those worth trying on a proxy that `has` these, ascending."""
        picked = list(self.always)
        sources = 1 if picked else 0
        for needed, positions in self.by_requirement.items():
            if needed in has:
                picked.extend(positions)
                sources += 1
        if sources > 1:
            picked.sort()
        return picked


def _is_namespace_scoped(policy: Policy) -> bool:
    return policy.resource.role in ("consumer", "workload-owner")


def _is_fast(policy: Policy) -> bool:
    return policy.target_ref.kind == "Mesh" and not policy.target_ref.proxy_types


class Lineage:
    """Indexes built one from another, and the serial numbers they give policies.

    A policy's serial number is the same in every index of the lineage for as long as
    the policy is the very same object; another object (an edit) gets a number never
    given before. Keys made of serial numbers therefore stay valid from one snapshot
    to the next whatever else changed (see `memo.Part.SERIALS`).
    """

    def __init__(self) -> None:
        self._next = itertools.count()
        self._latest: dict[ResourceKey, tuple[Policy, int]] = {}
        """The serial number last given for each key, and to which object."""

    def serials(self, policies: Sequence[Policy]) -> tuple[int, ...]:
        """The serial numbers of these policies (new ones for objects not seen)."""
        latest = self._latest
        out = []
        for policy in policies:
            hit = latest.get(policy.key)
            if hit is None or hit[0] is not policy:
                hit = latest[policy.key] = (policy, next(self._next))
            out.append(hit[1])
        return tuple(out)


def _candidates(policies: tuple[Policy, ...], lineage: Lineage) -> Candidates:
    fast_global: list[int] = []
    slow_global: list[int] = []
    fast_ns: dict[str, list[int]] = defaultdict(list)
    slow_ns: dict[str, list[int]] = defaultdict(list)
    for position, policy in enumerate(policies):
        fast = _is_fast(policy)
        if _is_namespace_scoped(policy):
            namespace = policy.labels.get(NAMESPACE)
            if namespace is None:
                continue  # matches no proxy at all
            (fast_ns if fast else slow_ns)[namespace].append(position)
        else:
            (fast_global if fast else slow_global).append(position)
    return Candidates(
        policies,
        lineage.serials(policies),
        tuple(fast_global),
        tuple(slow_global),
        {k: tuple(v) for k, v in fast_ns.items()},
        {k: tuple(v) for k, v in slow_ns.items()},
    )


Decoded = Policy | Dataplane


def _same_resource(old: Resource, new: Resource) -> bool:
    """Whether `old` can stand for `new`: the same object, or equal in every field and
    read from the same place (a file read again yields new, equal objects)."""
    return old is new or (old == new and old.source == new.source)


@dataclass(frozen=True, eq=False)
class _Filed:
    """One bucket of a `MeshIndex`: its resources in store order and their engine views.

    A resource equal to the one the previous index had under its key (`_same_resource`)
    keeps that one's view, so that a file read again changes nothing downstream.
    """

    resources: tuple[Resource, ...]
    """The resources the views stand for (an earlier equal object where one was kept)."""
    members: Mapping[ResourceKey, Resource] | None
    """The resources given, by key (`None` when two share a key: nothing is reused)."""
    policies: tuple[Policy, ...] = ()
    shadow: tuple[Policy, ...] = ()
    dataplanes: Mapping[str, Dataplane] = field(default_factory=dict)
    views: Mapping[ResourceKey, tuple[Resource, Decoded | Resource]] = field(default_factory=dict)
    """Key → (the resource, its view: decoded for policies and dataplanes, else itself)."""
    source: Mapping[Any, Resource] | None = None
    """The inventory mapping this bucket was built from, when it was given one."""

    def same_members(self, members: list[Resource]) -> bool:
        """Whether `members` are exactly the resources this bucket was given."""
        given = self.members
        return (
            given is not None
            and len(members) == len(given)
            and all(given.get(r.key) is r for r in members)
        )

    @classmethod
    def of(
        cls,
        bucket: Bucket,
        members: list[Resource],
        old: _Filed | None,
        source: Mapping[Any, Resource] | None = None,
    ) -> _Filed:
        ordered = sorted(members, key=store_order)
        given: dict[ResourceKey, Resource] | None = {r.key: r for r in ordered}
        if len(given or ()) != len(ordered):
            given = None
        reuse = old.views if old is not None and given is not None else {}
        decodes = is_policy_kind(bucket) or bucket == "Dataplane"
        views: dict[ResourceKey, tuple[Resource, Decoded | Resource]] = {}
        kept: list[Resource] = []
        policies: list[Policy] = []
        shadow: list[Policy] = []
        dataplanes: dict[str, Dataplane] = {}
        for res in ordered:
            hit = reuse.get(res.key)
            if hit is not None and _same_resource(hit[0], res):
                res, view = hit
            else:
                view = _decode(res) if decodes else res
            views[res.key] = (res, view)
            kept.append(res)
            if isinstance(view, Dataplane):
                dataplanes[res.name] = view
            elif isinstance(view, Policy):
                (shadow if res.shadow else policies).append(view)
        return cls(tuple(kept), given, tuple(policies), tuple(shadow), dataplanes, views, source)


Bucket = str
"""What an indexed resource is filed under: its policy type, `Dataplane`, a service kind
or `MeshGateway`. An edit rebuilds the buckets it touched and keeps the others."""


def _bucket_of(kind: str) -> Bucket | None:
    if is_policy_kind(kind) or kind == "Dataplane" or kind in SERVICE_KINDS:
        return kind
    return "MeshGateway" if kind == "MeshGateway" else None


def _bucket(resource: Resource) -> Bucket | None:
    return _bucket_of(resource.type)


_CANDIDATES: Table[tuple[()], Candidates] = Table("candidates", key=(Part.TYPE,))
_RESOURCES: Table[tuple[()], tuple[Resource, ...]] = Table("resources", reads={ANYTHING})
_BY_NAMESPACE: Table[tuple[()], Mapping[str, tuple[Dataplane, ...]]] = Table(
    "dataplanes by namespace", reads={"Dataplane"}
)
_BY_TAG: Table[tuple[()], Mapping[tuple[str, str], tuple[Dataplane, ...]]] = Table(
    "dataplanes by tag", reads={"Dataplane"}
)
_BY_TAG_KEY: Table[tuple[()], Mapping[str, tuple[Dataplane, ...]]] = Table(
    "dataplanes by tag key", reads={"Dataplane"}
)
_BY_LABEL: Table[tuple[()], Mapping[tuple[str, str], tuple[Dataplane, ...]]] = Table(
    "dataplanes by label", reads={"Dataplane"}
)
_BY_KEY: Table[tuple[()], Mapping[ResourceKey, Policy]] = Table("policies by key", key=(Part.TYPE,))
_ROUTES: Table[tuple[()], Mapping[str, Policy]] = Table(
    "routes by display name", reads={"MeshHTTPRoute"}
)
_SERVICES_BY_LABEL: Table[tuple[()], Mapping[tuple[str, str, str], tuple[Resource, ...]]] = Table(
    "services by label", reads=frozenset(SERVICE_KINDS)
)
_SERVICES_BY_IDENTITY: Table[tuple[()], Mapping[tuple[str, str, str, str], Resource]] = Table(
    "services by identity", reads=frozenset(SERVICE_KINDS)
)


@dataclass(eq=False)
class MeshIndex:
    """The resources of one mesh, ready for the engine. Read-only after construction."""

    mesh_name: str
    mesh: Resource | None
    """The Mesh resource itself; `None` when the input does not define it."""
    policies: Mapping[str, tuple[Policy, ...]] = field(default_factory=dict)
    """Policy type → non-shadow policies in store order."""
    shadow_policies: Mapping[str, tuple[Policy, ...]] = field(default_factory=dict)
    dataplanes: Mapping[str, Dataplane] = field(default_factory=dict)
    """Store name → Dataplane, in store order."""
    services: Mapping[str, tuple[Resource, ...]] = field(default_factory=dict)
    """MeshService / MeshExternalService / MeshMultiZoneService → resources in store order."""
    gateways: tuple[Resource, ...] = ()
    """MeshGateways of the mesh, in store order."""
    version: KumaVersion = DEFAULT
    """The Kuma release whose behaviour the engine follows for this mesh."""
    buckets: Mapping[Bucket, _Filed] = field(default_factory=dict, repr=False)
    """Each bucket's resources and views: what the next index reuses."""
    memo: Memo = field(default_factory=Memo, repr=False)
    """This snapshot's lookups (`engine.memo`)."""
    lineage: Lineage = field(default_factory=Lineage, repr=False)
    """The indexes this one was built from, and their policies' serial numbers."""

    @classmethod
    def build(
        cls,
        mesh_name: str,
        resources: Iterable[Resource],
        *,
        mesh: Resource | None,
        previous: MeshIndex | None = None,
        groups: Mapping[str, Mapping[Any, Resource]] | None = None,
        version: KumaVersion = DEFAULT,
    ) -> MeshIndex:
        """Index the resources of `mesh_name` (resources of other meshes are ignored).

        With `previous` (an index of the same mesh), only the buckets whose resources
        are not the very same objects as before are rebuilt (keeping the views of
        resources equal to their predecessors), and lookups that read only unchanged
        buckets carry over: an edit costs a pass over the resources plus the rebuilt
        buckets, not a sort and decode of everything. `groups` (the mesh's resources by
        type, as `Inventory.groups_of` keeps them) replaces `resources` and the pass: a
        type whose mapping is the one the previous index was built from is taken as it was.
        """
        with collector_paused():
            return cls._build(mesh_name, resources, mesh, previous, groups, version)

    @classmethod
    def _build(
        cls,
        mesh_name: str,
        resources: Iterable[Resource],
        mesh: Resource | None,
        previous: MeshIndex | None,
        groups: Mapping[str, Mapping[Any, Resource]] | None,
        version: KumaVersion,
    ) -> MeshIndex:
        grouped: dict[Bucket, list[Resource] | Mapping[Any, Resource]] = {}
        if groups is not None:
            grouped = {kind: g for kind, g in groups.items() if _bucket_of(kind) is not None}
        else:
            lists: dict[Bucket, list[Resource]] = defaultdict(list)
            for res in resources:
                if res.mesh == mesh_name:
                    bucket = _bucket(res)
                    if bucket is not None:
                        lists[bucket].append(res)
            grouped.update(lists)
        before = previous.buckets if previous is not None else {}
        if previous is not None and (
            previous.mesh_name != mesh_name or previous.version != version
        ):
            before = {}
        buckets: dict[Bucket, _Filed] = {}
        for bucket, found in grouped.items():
            old = before.get(bucket)
            if old is not None and old.source is found:
                buckets[bucket] = old
                continue
            members = list(found.values()) if isinstance(found, Mapping) else found
            source = found if isinstance(found, Mapping) else None
            if old is not None and old.same_members(members):
                buckets[bucket] = replace(old, source=source)
            else:
                buckets[bucket] = _Filed.of(bucket, members, old, source)
        policies: dict[str, tuple[Policy, ...]] = {}
        shadow: dict[str, tuple[Policy, ...]] = {}
        dataplanes: Mapping[str, Dataplane] = {}
        services: dict[str, tuple[Resource, ...]] = {}
        gateways: tuple[Resource, ...] = ()
        for bucket, filed in buckets.items():
            if is_policy_kind(bucket):
                if filed.policies:
                    policies[bucket] = filed.policies
                if filed.shadow:
                    shadow[bucket] = filed.shadow
            elif bucket == "Dataplane":
                dataplanes = filed.dataplanes
            elif bucket in SERVICE_KINDS:
                services[bucket] = filed.resources
            else:
                gateways = filed.resources
        if (
            before
            and previous is not None
            and mesh is not None
            and previous.mesh is not None
            and _same_resource(previous.mesh, mesh)
        ):
            mesh = previous.mesh
        index = cls(
            mesh_name=mesh_name,
            mesh=mesh,
            policies=dict(sorted(policies.items())),
            shadow_policies=dict(sorted(shadow.items())),
            dataplanes=dataplanes,
            services=dict(sorted(services.items())),
            gateways=gateways,
            version=version,
            buckets=buckets,
        )
        if before and previous is not None:
            index.lineage = previous.lineage
            index.memo = previous.memo.following(index_changes(previous, index))
        return index

    @property
    def resources(self) -> tuple[Resource, ...]:
        """Every indexed resource of the mesh, in store order."""
        return self.memo.value(
            _RESOURCES,
            lambda: tuple(
                sorted((r for f in self.buckets.values() for r in f.resources), key=store_order)
            ),
        )

    @property
    def candidate_sets(self) -> Mapping[str, Candidates]:
        """Per policy type, the non-shadow policies split for fast matching."""
        return {kind: self.candidates(kind) for kind in self.policies}

    def candidates(self, policy_type: str) -> Candidates:
        """The fast-matching split of one type's policies."""
        entries = self.memo.part(_CANDIDATES, policy_type)
        found = entries.get(())
        if found is None:
            policies = self.policies.get(policy_type)
            found = entries[()] = _candidates(policies, self.lineage) if policies else Candidates()
        return found

    @property
    def dataplanes_by_namespace(self) -> Mapping[str, tuple[Dataplane, ...]]:
        """`k8s.kuma.io/namespace` label value (``""`` when absent) → proxies, by name."""
        return self.memo.value(_BY_NAMESPACE, self._by_namespace)

    def _by_namespace(self) -> Mapping[str, tuple[Dataplane, ...]]:
        out: dict[str, list[Dataplane]] = defaultdict(list)
        for name in sorted(self.dataplanes):
            dp = self.dataplanes[name]
            out[dp.labels.get(NAMESPACE, "")].append(dp)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def dataplanes_by_tag(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        """(tag, value) of any inbound or gateway tag → proxies carrying it."""
        return self.memo.value(_BY_TAG, self._by_tag)

    def _by_tag(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        out: dict[tuple[str, str], dict[str, Dataplane]] = defaultdict(dict)
        for name, dp in self.dataplanes.items():
            for inbound in dp.inbounds:
                for pair in inbound.tags.items():
                    out[pair][name] = dp
            for pair in dp.gateway_tags.items():
                out[pair][name] = dp
        return {k: tuple(v.values()) for k, v in out.items()}

    @property
    def dataplanes_by_tag_key(self) -> Mapping[str, tuple[Dataplane, ...]]:
        """Tag key of any inbound or gateway tag → proxies carrying it (for `*` selectors)."""
        return self.memo.value(_BY_TAG_KEY, self._by_tag_key)

    def _by_tag_key(self) -> Mapping[str, tuple[Dataplane, ...]]:
        out: dict[str, dict[str, Dataplane]] = defaultdict(dict)
        for (key, _), dps in self.dataplanes_by_tag.items():
            for dp in dps:
                out[key][dp.resource.name] = dp
        return {k: tuple(v.values()) for k, v in out.items()}

    @property
    def dataplanes_by_label(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        """(label, value) → proxies carrying it."""
        return self.memo.value(_BY_LABEL, self._by_label)

    def _by_label(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        out: dict[tuple[str, str], list[Dataplane]] = defaultdict(list)
        for dp in self.dataplanes.values():
            for pair in dp.labels.items():
                out[pair].append(dp)
        return {k: tuple(v) for k, v in out.items()}

    def policies_of(self, policy_type: str, *, include_shadow: bool = False) -> tuple[Policy, ...]:
        """Candidates of one type, in store order."""
        found = self.policies.get(policy_type, ())
        if include_shadow and policy_type in self.shadow_policies:
            merged = list(found) + list(self.shadow_policies[policy_type])
            return tuple(sorted(merged, key=lambda p: store_order(p.resource)))
        return found

    def all_policies(self) -> tuple[Policy, ...]:
        """Every non-shadow policy of the mesh, grouped by type in plugin order."""
        return tuple(p for kind in self.policy_types for p in self.policies.get(kind, ()))

    @cached_property
    def policy_types(self) -> tuple[str, ...]:
        """Every known policy kind in plugin order, then the generic kinds of this mesh
        (`kinds.policy_types`): the types a dataplane's rules are computed for."""
        return policy_types(self.policies.keys() | self.shadow_policies.keys())

    def find_policy(self, policy_type: str, name: str) -> Policy | None:
        """A policy by store name, shadow ones included."""
        for policy in (
            *self.policies.get(policy_type, ()),
            *self.shadow_policies.get(policy_type, ()),
        ):
            if policy.resource.name == name:
                return policy
        return None

    def policy(self, key: ResourceKey) -> Policy | None:
        """The policy (shadow ones included) with this key; the last in store order if two
        share it."""
        entries = self.memo.part(_BY_KEY, key.type)
        found = entries.get(())
        if found is None:
            found = entries[()] = {
                p.key: p
                for p in (*self.policies.get(key.type, ()), *self.shadow_policies.get(key.type, ()))
            }
        return found.get(key)

    @property
    def routes_by_display_name(self) -> Mapping[str, Policy]:
        """First MeshHTTPRoute (store order, shadow ones too) per display name: 2.10's lookup."""
        return self.memo.value(_ROUTES, self._routes)

    def _routes(self) -> Mapping[str, Policy]:
        out: dict[str, Policy] = {}
        for route in self.policies_of("MeshHTTPRoute", include_shadow=True):
            out.setdefault(route.resource.display_name, route)
        return out

    def _services_by_label(self) -> Mapping[tuple[str, str, str], tuple[Resource, ...]]:
        def build() -> Mapping[tuple[str, str, str], tuple[Resource, ...]]:
            out: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
            for kind, items in self.services.items():
                for res in items:
                    for key, value in res.labels.items():
                        out[(kind, key, value)].append(res)
            return {k: tuple(v) for k, v in out.items()}

        return self.memo.value(_SERVICES_BY_LABEL, build)

    def services_with_labels(self, kind: str, labels: Mapping[str, str]) -> list[Resource]:
        """Resources of `kind` whose labels contain every pair (store order)."""
        if kind == "Mesh":
            return [self.mesh] if self.mesh is not None and _has_labels(self.mesh, labels) else []
        pairs = sorted(labels.items())
        if not pairs:
            return list(self.services.get(kind, ()))
        first = self._services_by_label().get((kind, *pairs[0]), ())
        return [r for r in first if _has_labels(r, labels)]

    def _services_by_identity(self) -> Mapping[tuple[str, str, str, str], Resource]:
        def build() -> Mapping[tuple[str, str, str, str], Resource]:
            out: dict[tuple[str, str, str, str], Resource] = {}
            for kind, items in self.services.items():
                for res in items:
                    out.setdefault((kind, res.display_name, res.namespace, res.zone), res)
            return out

        return self.memo.value(_SERVICES_BY_IDENTITY, build)

    def service_by_identity(
        self, kind: str, name: str, namespace: str, zone: str
    ) -> Resource | None:
        """The first resource of `kind` with this (display name, namespace label, zone label)."""
        if kind == "Mesh":
            if self.mesh is not None and self.mesh.display_name == name:
                return self.mesh
            return None
        return self._services_by_identity().get((kind, name, namespace, zone))


def index_changes(old: MeshIndex | None, new: MeshIndex) -> Changes:
    """What differs between two indexes of one mesh (see `memo.Changes`).

    By identity of the engine's views: a bucket the new index took over from the old
    one is unchanged without looking inside it.
    """
    if old is None or old.mesh_name != new.mesh_name or old.version != new.version:
        return EVERYTHING
    buckets: set[str] = set()
    policies: set[ResourceKey] = set()
    dataplanes: set[str] = set()
    if old.mesh is not new.mesh:
        buckets.add("Mesh")
    for bucket in old.buckets.keys() | new.buckets.keys():
        was, now = old.buckets.get(bucket), new.buckets.get(bucket)
        if was is not None and now is not None and was.views is now.views:
            continue
        if is_policy_kind(bucket):
            before = _by_key((*_policies_in(was), *_shadow_in(was)))
            after = _by_key((*_policies_in(now), *_shadow_in(now)))
            moved = _changed_keys(before, after)
            if was is None or now is None or was.members is None or now.members is None:
                moved |= before.keys() | after.keys()  # two policies share a key: all moved
            if moved or not _same_objects(_policies_in(was), _policies_in(now)):
                buckets.add(bucket)
                policies.update(moved)
        elif bucket == "Dataplane":
            before_dps = was.dataplanes if was is not None else {}
            after_dps = now.dataplanes if now is not None else {}
            moved_dps = _changed_keys(before_dps, after_dps)
            if moved_dps or list(before_dps) != list(after_dps):
                buckets.add(bucket)
                dataplanes.update(moved_dps)
        elif not _same_objects(
            was.resources if was is not None else (), now.resources if now is not None else ()
        ):
            buckets.add(bucket)
    types = frozenset(b for b in buckets if is_policy_kind(b))
    return Changes(
        lineage=old.lineage is new.lineage,
        buckets=frozenset(buckets),
        types=types,
        policies=frozenset(policies),
        dataplanes=frozenset(dataplanes),
    )


def _policies_in(filed: _Filed | None) -> tuple[Policy, ...]:
    return filed.policies if filed is not None else ()


def _shadow_in(filed: _Filed | None) -> tuple[Policy, ...]:
    return filed.shadow if filed is not None else ()


def _by_key(policies: Sequence[Policy]) -> dict[ResourceKey, Policy]:
    return {p.key: p for p in policies}


def _changed_keys(before: Mapping[Any, object], after: Mapping[Any, object]) -> set[Any]:
    """Keys present on one side only, or not the same object on both."""
    out = {k for k in before.keys() ^ after.keys()}
    out.update(k for k, v in after.items() if k in before and before[k] is not v)
    return out


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _has_labels(resource: Resource, labels: Mapping[str, str]) -> bool:
    return all(k in resource.labels and resource.labels[k] == v for k, v in labels.items())


def mesh_names(resources: Iterable[Resource]) -> list[str]:
    """Meshes that exist: each Mesh resource, and each mesh some resource belongs to."""
    names = {r.name for r in resources if r.type == "Mesh"}
    names.update(r.mesh for r in resources if r.mesh)
    return sorted(names)


def build_index(
    resources: Iterable[Resource],
    mesh_name: str,
    *,
    previous: MeshIndex | None = None,
    version: KumaVersion = DEFAULT,
) -> MeshIndex:
    """Index one mesh; the Mesh object is looked up by name (it may be absent)."""
    items = list(resources)
    mesh = next((r for r in items if r.type == "Mesh" and r.name == mesh_name), None)
    return MeshIndex.build(mesh_name, items, mesh=mesh, previous=previous, version=version)


def build_index_from_groups(
    groups: Mapping[str, Mapping[Any, Resource]],
    meshes: Iterable[Resource],
    mesh_name: str,
    *,
    previous: MeshIndex | None = None,
    version: KumaVersion = DEFAULT,
) -> MeshIndex:
    """`build_index` from the mesh's resources by type (`Inventory.groups_of`) and the
    Mesh objects: no pass over the whole inventory."""
    mesh = next((r for r in meshes if r.name == mesh_name), None)
    return MeshIndex.build(
        mesh_name, (), mesh=mesh, previous=previous, groups=groups, version=version
    )
