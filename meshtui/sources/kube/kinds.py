"""What the cluster source watches: `WatchedKind`s and how their objects become origins.

Stdlib only (no `kubernetes`): a kind is a plural, a kind name and an apiVersion, and
each of its objects is one inventory origin, `kube:{plural}/{namespace}/{name}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meshtui.inventory import OriginUpdate
from meshtui.kinds import ALL_KINDS
from meshtui.model import SourceRef
from meshtui.raw import RawDocument

Body = dict[str, Any]
"""A Kubernetes object or list as the client decoded it from JSON."""

KUMA_GROUP = "kuma.io"
KUMA_VERSION = "v1alpha1"
ORIGIN_PREFIX = "kube:"


@dataclass(frozen=True, slots=True)
class WatchedKind:
    """One resource type the source lists and watches."""

    kind: str
    plural: str
    api_version: str

    @property
    def scope(self) -> str:
        """The prefix of this kind's inventory origins."""
        return f"{ORIGIN_PREFIX}{self.plural}/"

    def origin(self, obj: Body) -> str:
        """`kube:{plural}/{namespace}/{name}`, or `kube:{plural}/{name}` when cluster-scoped."""
        return self.scope + qualified_name(obj)

    def update(self, obj: Body) -> OriginUpdate:
        """The origin update carrying `obj` (its `kind`/`apiVersion` filled in if missing)."""
        obj.setdefault("kind", self.kind)
        obj.setdefault("apiVersion", self.api_version)
        ref = SourceRef(f"{self.kind} {qualified_name(obj)}", 0)
        return OriginUpdate(self.origin(obj), (RawDocument(ref, obj),))


NAMESPACES = WatchedKind("Namespace", "namespaces", "v1")
WATCHED_KINDS: tuple[WatchedKind, ...] = (
    NAMESPACES,
    *(
        WatchedKind(info.kind, info.plural, f"{KUMA_GROUP}/{KUMA_VERSION}")
        for info in ALL_KINDS.values()
    ),
)
"""Core `v1` Namespaces, then every kind meshtui knows (policies, Dataplane, services, ...)."""


def qualified_name(obj: Body) -> str:
    """`namespace/name`, or `name` for a cluster-scoped object."""
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    return f"{namespace}/{name}" if namespace else str(name)


def resource_version(obj: Body) -> str | None:
    """`metadata.resourceVersion`, or None when the object carries none."""
    meta = obj.get("metadata")
    rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
    return str(rv) if rv else None
