"""One mesh's resources, decoded and indexed for matching and rule building.

`MeshIndex` is what Kuma calls the mesh context's resource map: everything of one mesh,
in store order, plus the lookups the engine needs to avoid scanning (policies by type,
services by label, routes by display name). It is built once per inventory snapshot
and never changed; a new snapshot gets a new index, built from the previous one when
there is one (only the buckets an edit touched are rebuilt).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from meshtui.engine.decode import decode_dataplane, decode_policy
from meshtui.kinds import POLICY_KINDS, SERVICE_KINDS
from meshtui.model import NAMESPACE, SERVICE_TAG, Dataplane, Policy, Resource
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

    *Namespace-scoped* policies (consumer, workload-owner) only ever apply to proxies of
    their own namespace, so they are kept per namespace; *fast* ones are top-level `Mesh`
    without `proxyTypes`, whose outcome is the same for every proxy of a namespace and
    zone (see `rules.match_policies`). Every tuple is in store order.
    """

    fast_global: tuple[Policy, ...] = ()
    slow_global: tuple[Policy, ...] = ()
    fast_by_namespace: Mapping[str, tuple[Policy, ...]] = field(default_factory=dict)
    slow_by_namespace: Mapping[str, tuple[Policy, ...]] = field(default_factory=dict)
    order: Mapping[int, int] = field(default_factory=dict)
    """`id(policy)` → position in store order, for merging the lists back in order."""


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
    """Policies that must be tried one by one on a proxy, by what they require of it."""

    always: tuple[Policy, ...]
    by_requirement: Mapping[Requirement, tuple[Policy, ...]]

    @classmethod
    def of(cls, policies: tuple[Policy, ...]) -> SlowCandidates:
        always: list[Policy] = []
        by: dict[Requirement, list[Policy]] = defaultdict(list)
        for policy in policies:
            needed = requirement(policy)
            (always if needed is None else by[needed]).append(policy)
        return cls(tuple(always), {k: tuple(v) for k, v in by.items()})

    def for_proxy(self, has: frozenset[Requirement], order: Mapping[int, int]) -> list[Policy]:
        """Those worth trying on a proxy that `has` these, in store order."""
        picked = list(self.always)
        sources = 1 if picked else 0
        for needed, policies in self.by_requirement.items():
            if needed in has:
                picked.extend(policies)
                sources += 1
        if sources > 1:
            picked.sort(key=lambda p: order[id(p)])
        return picked


def _is_namespace_scoped(policy: Policy) -> bool:
    return policy.resource.role in ("consumer", "workload-owner")


def _is_fast(policy: Policy) -> bool:
    return policy.target_ref.kind == "Mesh" and not policy.target_ref.proxy_types


def _candidates(policies: tuple[Policy, ...]) -> Candidates:
    fast_global: list[Policy] = []
    slow_global: list[Policy] = []
    fast_ns: dict[str, list[Policy]] = defaultdict(list)
    slow_ns: dict[str, list[Policy]] = defaultdict(list)
    for policy in policies:
        fast = _is_fast(policy)
        if _is_namespace_scoped(policy):
            namespace = policy.labels.get(NAMESPACE)
            if namespace is None:
                continue  # matches no proxy at all
            (fast_ns if fast else slow_ns)[namespace].append(policy)
        else:
            (fast_global if fast else slow_global).append(policy)
    return Candidates(
        tuple(fast_global),
        tuple(slow_global),
        {k: tuple(v) for k, v in fast_ns.items()},
        {k: tuple(v) for k, v in slow_ns.items()},
        {id(p): i for i, p in enumerate(policies)},
    )


Decoded = Policy | Dataplane


@dataclass(frozen=True, eq=False)
class _Filed:
    """One bucket of a `MeshIndex`: its resources in store order and their decoded views."""

    resources: tuple[Resource, ...]
    ids: frozenset[int]
    policies: tuple[Policy, ...] = ()
    shadow: tuple[Policy, ...] = ()
    dataplanes: Mapping[str, Dataplane] = field(default_factory=dict)
    decoded: Mapping[int, tuple[Resource, Decoded]] = field(default_factory=dict)
    """`id(resource)` → (resource, decoded view)."""
    source: Mapping[Any, Resource] | None = None
    """The inventory mapping this bucket was built from, when it was given one."""

    def same_members(self, members: list[Resource]) -> bool:
        """Whether `members` are exactly this bucket's resources (the same objects).

        By id alone: this bucket holds its resources, so no other object can have
        the id of one of them.
        """
        ids = self.ids
        return len(members) == len(ids) and all(id(r) in ids for r in members)

    @classmethod
    def of(
        cls,
        bucket: Bucket,
        members: list[Resource],
        old: _Filed | None,
        source: Mapping[Any, Resource] | None = None,
    ) -> _Filed:
        ordered = tuple(sorted(members, key=store_order))
        ids = frozenset(id(r) for r in ordered)
        if bucket not in POLICY_KINDS and bucket != "Dataplane":
            return cls(ordered, ids, source=source)
        reuse = old.decoded if old is not None else {}
        decoded: dict[int, tuple[Resource, Decoded]] = {}
        policies: list[Policy] = []
        shadow: list[Policy] = []
        dataplanes: dict[str, Dataplane] = {}
        for res in ordered:
            hit = reuse.get(id(res))
            view = hit[1] if hit is not None and hit[0] is res else _decode(res)
            decoded[id(res)] = (res, view)
            if isinstance(view, Dataplane):
                dataplanes[res.name] = view
            else:
                (shadow if res.shadow else policies).append(view)
        return cls(ordered, ids, tuple(policies), tuple(shadow), dataplanes, decoded, source)


Bucket = str
"""What an indexed resource is filed under: its policy type, `Dataplane`, a service kind
or `MeshGateway`. An edit rebuilds the buckets it touched and keeps the others."""


def _bucket_of(kind: str) -> Bucket | None:
    if kind in POLICY_KINDS or kind == "Dataplane" or kind in SERVICE_KINDS:
        return kind
    return "MeshGateway" if kind == "MeshGateway" else None


def _bucket(resource: Resource) -> Bucket | None:
    return _bucket_of(resource.type)


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
    """Each bucket's resources (by id) and decoded views: what the next index reuses."""
    changed_buckets: frozenset[Bucket] | None = field(default=None, repr=False)
    """Buckets rebuilt from the previous index (`None`: built from scratch)."""
    _candidates: dict[str, Candidates] = field(default_factory=dict, repr=False)

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
        are not the very same objects as before are rebuilt, and lookups built from
        untouched buckets carry over: an edit costs a pass over the resources plus the
        rebuilt buckets, not a sort and decode of everything. `groups` (the mesh's
        resources by type, as `Inventory.groups_of` keeps them) replaces `resources`
        and the pass: a type whose mapping is the one the previous index was built from
        is taken as it was.
        """
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
        changed: set[Bucket] = set()
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
                changed.add(bucket)
        changed.update(b for b in before if b not in grouped)
        policies: dict[str, tuple[Policy, ...]] = {}
        shadow: dict[str, tuple[Policy, ...]] = {}
        dataplanes: Mapping[str, Dataplane] = {}
        services: dict[str, tuple[Resource, ...]] = {}
        gateways: tuple[Resource, ...] = ()
        for bucket, filed in buckets.items():
            if bucket in POLICY_KINDS:
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
            changed_buckets=frozenset(changed) if before else None,
        )
        if before and previous is not None and previous.version == version:
            index._carry_over(previous, changed)
        return index

    def _carry_over(self, previous: MeshIndex, changed: set[Bucket]) -> None:
        """Reuse the lookups of `previous` that depend only on unchanged buckets."""
        self._candidates.update(
            (kind, c) for kind, c in previous._candidates.items() if kind not in changed
        )
        carried = previous.__dict__
        groups: list[tuple[bool, tuple[str, ...]]] = [
            (
                "Dataplane" not in changed,
                (
                    "dataplanes_by_namespace",
                    "dataplanes_by_tag",
                    "dataplanes_by_tag_key",
                    "dataplanes_by_label",
                ),
            ),
            ("MeshHTTPRoute" not in changed, ("routes_by_display_name",)),
            (
                not changed & set(SERVICE_KINDS),
                ("_services_by_label", "_services_by_identity"),
            ),
        ]
        for unchanged, names in groups:
            if unchanged:
                self.__dict__.update((n, carried[n]) for n in names if n in carried)

    @cached_property
    def resources(self) -> tuple[Resource, ...]:
        """Every indexed resource of the mesh, in store order."""
        return tuple(
            sorted((r for f in self.buckets.values() for r in f.resources), key=store_order)
        )

    @property
    def candidate_sets(self) -> Mapping[str, Candidates]:
        """Per policy type, the non-shadow policies split for fast matching."""
        return {kind: self.candidates(kind) for kind in self.policies}

    def candidates(self, policy_type: str) -> Candidates:
        """The fast-matching split of one type's policies."""
        found = self._candidates.get(policy_type)
        if found is None:
            policies = self.policies.get(policy_type)
            found = _candidates(policies) if policies else Candidates()
            self._candidates[policy_type] = found
        return found

    @cached_property
    def dataplanes_by_namespace(self) -> Mapping[str, tuple[Dataplane, ...]]:
        """`k8s.kuma.io/namespace` label value (``""`` when absent) → proxies, by name."""
        out: dict[str, list[Dataplane]] = defaultdict(list)
        for name in sorted(self.dataplanes):
            dp = self.dataplanes[name]
            out[dp.labels.get(NAMESPACE, "")].append(dp)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def dataplanes_by_tag(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        """(tag, value) of any inbound or gateway tag → proxies carrying it."""
        out: dict[tuple[str, str], dict[str, Dataplane]] = defaultdict(dict)
        for name, dp in self.dataplanes.items():
            for inbound in dp.inbounds:
                for pair in inbound.tags.items():
                    out[pair][name] = dp
            for pair in dp.gateway_tags.items():
                out[pair][name] = dp
        return {k: tuple(v.values()) for k, v in out.items()}

    @cached_property
    def dataplanes_by_tag_key(self) -> Mapping[str, tuple[Dataplane, ...]]:
        """Tag key of any inbound or gateway tag → proxies carrying it (for `*` selectors)."""
        out: dict[str, dict[str, Dataplane]] = defaultdict(dict)
        for (key, _), dps in self.dataplanes_by_tag.items():
            for dp in dps:
                out[key][dp.resource.name] = dp
        return {k: tuple(v.values()) for k, v in out.items()}

    @cached_property
    def dataplanes_by_label(self) -> Mapping[tuple[str, str], tuple[Dataplane, ...]]:
        """(label, value) → proxies carrying it."""
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
        return tuple(p for kind in POLICY_KINDS for p in self.policies.get(kind, ()))

    def find_policy(self, policy_type: str, name: str) -> Policy | None:
        """A policy by store name, shadow ones included."""
        for policy in (
            *self.policies.get(policy_type, ()),
            *self.shadow_policies.get(policy_type, ()),
        ):
            if policy.resource.name == name:
                return policy
        return None

    @cached_property
    def routes_by_display_name(self) -> Mapping[str, Policy]:
        """First MeshHTTPRoute (store order, shadow ones too) per display name: 2.10's lookup."""
        out: dict[str, Policy] = {}
        for route in self.policies_of("MeshHTTPRoute", include_shadow=True):
            out.setdefault(route.resource.display_name, route)
        return out

    @cached_property
    def _services_by_label(self) -> Mapping[tuple[str, str, str], tuple[Resource, ...]]:
        out: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
        for kind, items in self.services.items():
            for res in items:
                for key, value in res.labels.items():
                    out[(kind, key, value)].append(res)
        return {k: tuple(v) for k, v in out.items()}

    def services_with_labels(self, kind: str, labels: Mapping[str, str]) -> list[Resource]:
        """Resources of `kind` whose labels contain every pair (store order)."""
        if kind == "Mesh":
            return [self.mesh] if self.mesh is not None and _has_labels(self.mesh, labels) else []
        pairs = sorted(labels.items())
        if not pairs:
            return list(self.services.get(kind, ()))
        first = self._services_by_label.get((kind, *pairs[0]), ())
        return [r for r in first if _has_labels(r, labels)]

    @cached_property
    def _services_by_identity(self) -> Mapping[tuple[str, str, str, str], Resource]:
        out: dict[tuple[str, str, str, str], Resource] = {}
        for kind, items in self.services.items():
            for res in items:
                out.setdefault((kind, res.display_name, res.namespace, res.zone), res)
        return out

    def service_by_identity(
        self, kind: str, name: str, namespace: str, zone: str
    ) -> Resource | None:
        """The first resource of `kind` with this (display name, namespace label, zone label)."""
        if kind == "Mesh":
            if self.mesh is not None and self.mesh.display_name == name:
                return self.mesh
            return None
        return self._services_by_identity.get((kind, name, namespace, zone))


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
