"""Kuma resources as immutable values, in the shape Kuma's own store holds them.

Every resource, whatever form it was read in (Kubernetes object or Universal YAML), is
reduced to `type`, `mesh`, store `name`, a flat `labels` map (user labels plus the ones
the control plane computes) and a `spec`. Policies and Dataplanes are additionally
decoded once into typed views (`Policy`, `Dataplane`) that the engine works on.

Stdlib only: no Textual, no kubernetes, no yaml. Mappings held by these values are
never mutated after construction; they are left out of hashing (dicts are not hashable)
but take part in equality, so an unchanged re-read compares equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

DISPLAY_NAME = "kuma.io/display-name"
NAMESPACE = "k8s.kuma.io/namespace"
ZONE = "kuma.io/zone"
ORIGIN = "kuma.io/origin"
ENV = "kuma.io/env"
MESH = "kuma.io/mesh"
POLICY_ROLE = "kuma.io/policy-role"
EFFECT = "kuma.io/effect"
PROXY_TYPE = "kuma.io/proxy-type"
SERVICE_TAG = "kuma.io/service"

Labels = Mapping[str, str]
"""A flat label map. Treated as read-only everywhere."""

EMPTY_LABELS: Labels = {}


class PolicyRole(StrEnum):
    """Who a policy speaks for (`kuma.io/policy-role`)."""

    SYSTEM = "system"
    PRODUCER = "producer"
    CONSUMER = "consumer"
    WORKLOAD_OWNER = "workload-owner"


class ResourceKey(NamedTuple):
    """Identity of one stored resource: unique within an inventory, sortable.

    A named tuple: keys are hashed and compared millions of times on a big mesh.
    """

    type: str
    mesh: str
    name: str
    """The store name (`name.namespace` for a namespaced Kubernetes object)."""

    def __str__(self) -> str:
        return f"{self.type} {self.mesh}/{self.name}" if self.mesh else f"{self.type} {self.name}"


@dataclass(frozen=True, slots=True, order=True)
class SourceRef:
    """Where a resource was read from; for messages and the UI only."""

    file: str
    """A file path, or `cluster` for live resources."""
    document: int
    """1-based position of the YAML document in the file (0 when not applicable)."""

    def __str__(self) -> str:
        return f"{self.file}#{self.document}" if self.document else self.file


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One Kuma resource as the control plane stores it."""

    type: str
    mesh: str
    """Empty for mesh-less types (the `Mesh` itself)."""
    name: str
    labels: Labels = field(default_factory=dict, hash=False)
    spec: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The body: `spec` for new-style resources; networking etc. for Dataplanes."""
    creation_time: str = ""
    """RFC 3339 creation time if known; only MeshGateway selection looks at it."""
    source: SourceRef | None = field(default=None, compare=False)
    key: ResourceKey = field(init=False, repr=False, compare=False, hash=False)
    """The store identity (type, mesh, name)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", ResourceKey(self.type, self.mesh, self.name))

    @property
    def display_name(self) -> str:
        """`kuma.io/display-name` if set, else the store name (what references use)."""
        return self.labels.get(DISPLAY_NAME) or self.name

    @property
    def namespace(self) -> str:
        """The Kubernetes namespace it was created in (`k8s.kuma.io/namespace`), or ``""``."""
        return self.labels.get(NAMESPACE, "")

    @property
    def zone(self) -> str:
        """The authoring zone (`kuma.io/zone`), or ``""``."""
        return self.labels.get(ZONE, "")

    @property
    def origin(self) -> str:
        """`global`, `zone`, or ``""`` when the label is absent."""
        return self.labels.get(ORIGIN, "")

    @property
    def role(self) -> str:
        """The policy role label; absent or empty reads as `system`."""
        return self.labels.get(POLICY_ROLE) or PolicyRole.SYSTEM.value

    @property
    def shadow(self) -> bool:
        """Whether `kuma.io/effect: shadow` keeps it out of real configuration."""
        return self.labels.get(EFFECT) == "shadow"

    def meta(self) -> dict[str, Any]:
        """The inspect API's `Meta`: type, mesh, name and labels (never null)."""
        return {
            "labels": dict(self.labels),
            "mesh": self.mesh,
            "name": self.name,
            "type": self.type,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRef:
    """A `targetRef`, with Go's nil-versus-empty distinctions kept where they matter."""

    kind: str
    name: str = ""
    namespace: str = ""
    labels: Labels | None = field(default=None, hash=False)
    """`None` when absent; `{}` when present but empty (a Dataplane ref then selects all)."""
    tags: Labels | None = field(default=None, hash=False)
    mesh: str = ""
    proxy_types: tuple[str, ...] = ()
    section_name: str = ""
    implicit: bool = False
    """True for the `Mesh` that an omitted top-level targetRef stands for."""

    def describe(self) -> str:
        """A compact one-line rendering, e.g. `MeshService kuma-demo/demo-app:http`.

        Remembered per ref object: matching words a reason for every policy that misses
        a proxy, which is most policies for most proxies.
        """
        known = _DESCRIBED.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        if len(_DESCRIBED) > 100_000:
            _DESCRIBED.clear()
        text = self._describe()
        _DESCRIBED[id(self)] = (self, text)
        return text

    def _describe(self) -> str:
        text = self.kind
        if self.name:
            text += " " + (f"{self.namespace}/{self.name}" if self.namespace else self.name)
        elif self.namespace:
            text += f" ns={self.namespace}"
        if self.labels:
            text += " {" + ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items())) + "}"
        if self.tags:
            text += " [" + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items())) + "]"
        if self.section_name:
            text += ":" + self.section_name
        if self.proxy_types:
            text += " (" + "|".join(self.proxy_types) + ")"
        return text


_DESCRIBED: dict[int, tuple[TargetRef, str]] = {}
"""`id(ref)` → (the ref, its description); holding the ref keeps its id from being reused."""

MESH_REF = TargetRef(kind="Mesh", implicit=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyItem:
    """One `to[]`, `from[]` or `rules[]` entry: what it selects and the conf it carries."""

    target_ref: TargetRef | None
    """`None` for `rules[]` entries, which have no targetRef in 2.10."""
    conf: Any = field(hash=False)
    """The conf handed to the merge, as Kuma's `GetDefault()` builds it."""
    index: int
    """Position in its section (Kuma's `RuleIndex`)."""
    matches: tuple[Any, ...] = field(default=(), hash=False)
    """A `rules[]` entry's `matches` (2.13+: MeshFaultInjection, 2.14+: more kinds)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """A targetRef policy decoded for the engine."""

    resource: Resource
    target_ref: TargetRef
    """Top-level targetRef; `MESH_REF` when omitted."""
    to: tuple[PolicyItem, ...] = ()
    from_: tuple[PolicyItem, ...] = ()
    rules: tuple[PolicyItem, ...] = ()
    default: Any = field(default=None, hash=False)
    """The top-level `default` of single-item policies (MeshTrace, MeshMetric, ...)."""

    @property
    def type(self) -> str:
        return self.resource.type

    @property
    def key(self) -> ResourceKey:
        return self.resource.key

    @property
    def labels(self) -> Labels:
        return self.resource.labels


@dataclass(frozen=True, slots=True, kw_only=True)
class Inbound:
    """One inbound of a Dataplane (2.10: identified by address and port)."""

    port: int
    address: str
    """The effective address: the inbound's own, else the Dataplane's."""
    name: str = ""
    state: str = "Ready"
    tags: Labels = field(default_factory=dict, hash=False)

    @property
    def listener(self) -> tuple[str, int]:
        """Kuma's `InboundListener` key."""
        return (self.address, self.port)

    @property
    def section_name(self) -> str:
        """What a 2.12+ `sectionName` names it by: its name, else its decimal port."""
        return self.name or str(self.port)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneProxyListener:
    """An embedded zone-proxy listener of a Dataplane (`networking.listeners[]`, 2.14)."""

    type: str
    """`ZoneIngress` or `ZoneEgress`."""
    port: int
    address: str
    """The effective address: the listener's own, else the Dataplane's."""
    name: str = ""
    state: str = "Ready"

    @property
    def listener(self) -> tuple[str, int]:
        """The inbound key Kuma files it under, as an inbound's."""
        return (self.address, self.port)

    @property
    def section_name(self) -> str:
        """Its name, else its decimal port."""
        return self.name or str(self.port)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataplane:
    """A data plane proxy decoded for the engine."""

    resource: Resource
    address: str
    inbounds: tuple[Inbound, ...] = ()
    gateway_type: str = ""
    """``""`` for a sidecar, else `DELEGATED` or `BUILTIN`."""
    gateway_tags: Labels = field(default_factory=dict, hash=False)
    listeners: tuple[ZoneProxyListener, ...] = ()
    """Embedded zone-proxy listeners (ZoneIngress / ZoneEgress), in spec order."""

    @property
    def key(self) -> ResourceKey:
        return self.resource.key

    @property
    def labels(self) -> Labels:
        return self.resource.labels

    @property
    def is_gateway(self) -> bool:
        """Kuma's proxy type `Gateway` (built-in or delegated)."""
        return self.gateway_type != ""

    def inbound_for_port(self, port: int) -> Inbound | None:
        """The first inbound with this port, as `GetInboundForPort` returns it."""
        for inbound in self.inbounds:
            if inbound.port == port:
                return inbound
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something wrong (or worth saying) about the input, located as precisely as possible."""

    severity: str
    """`error` (the document or resource was not loaded), `warning`, or `info`."""
    message: str
    file: str = ""
    document: int = 0
    """1-based YAML document index within `file`; 0 when not tied to one document."""
    path: str = ""
    """Field path inside the document, e.g. `spec.to[0].default.http.requestTimeout`."""
    resource: str = ""
    """`Kind namespace/name` when known."""

    def location(self) -> str:
        """`file#doc field` as far as known."""
        text = self.file
        if self.document:
            text += f"#{self.document}"
        if self.path:
            text += (" " if text else "") + self.path
        return text

    def describe(self) -> str:
        """`file#doc field (resource): message`, as far as known."""
        where = self.location()
        who = f" ({self.resource})" if self.resource else ""
        return f"{where}{who}: {self.message}" if where or who else self.message

    def __str__(self) -> str:
        return f"{self.severity}: {self.describe()}"
