"""What the cluster source watches: `WatchedKind`s and how their objects become origins.

Stdlib only (no `kubernetes`): a kind is a plural, a kind name and an apiVersion, and
each of its objects is one inventory origin, `kube:{plural}/{namespace}/{name}`. The
static `WATCHED_KINDS` are watched whenever the cluster serves them; `discovered_kinds`
picks the served kinds meshtui does not know that are watched too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from meshtui.inventory import OriginUpdate
from meshtui.kinds import ALL_KINDS, EVERY_KIND, LEGACY_POLICIES, is_generic_kind
from meshtui.model import SourceRef
from meshtui.raw import RawDocument

Body = dict[str, Any]
"""A Kubernetes object or list as the client decoded it from JSON."""

KUMA_GROUP = "kuma.io"
KUMA_VERSION = "v1alpha1"
KUMA_API_VERSION = f"{KUMA_GROUP}/{KUMA_VERSION}"
ORIGIN_PREFIX = "kube:"


@dataclass(frozen=True, slots=True)
class WatchedKind:
    """One resource type the source lists and watches."""

    kind: str
    plural: str
    api_version: str
    optional: bool = False
    """Named in the status only while the cluster serves it: a kind whose absence says
    nothing is wrong (a later Kuma line's, a legacy policy, one discovery found). A kind
    every supported line serves is `not installed` when the cluster does not serve it."""

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
        WatchedKind(info.kind, info.plural, KUMA_API_VERSION, optional=info.kind not in ALL_KINDS)
        for info in EVERY_KIND.values()
    ),
    *(
        WatchedKind(kind, plural, KUMA_API_VERSION, optional=True)
        for kind, (plural, _) in LEGACY_POLICIES.items()
    ),
)
"""The kinds watched whenever the cluster serves them: core `v1` Namespaces, every kind some
supported Kuma line has (`EVERY_KIND`: policies, Dataplane, services, ...; those Kuma 2.10
lacks are optional) and the selector-based legacy policies (`LEGACY_POLICIES`, optional).
Discovery adds the kinds `discovered_kinds` picks."""

MAX_DISCOVERED = 32
"""At most this many kinds found by discovery are watched in one run (the client's
connection pool keeps a connection for each watched kind)."""

_KNOWN_PLURALS = frozenset(kind.plural for kind in WATCHED_KINDS)


def discovered_kinds(resources: Iterable[tuple[str, str]]) -> tuple[WatchedKind, ...]:
    """The served `kuma.io/v1alpha1` kinds watched beyond `WATCHED_KINDS`, by plural.

    `resources` are discovery's `(name, kind)` pairs. A kind is watched when it could be
    a generic policy kind (`kinds.is_generic_kind`: not one of Kuma's kinds, known or left
    aside such as MeshInsight) and its name starts with `Mesh`, as Kuma's and Kong Mesh's
    targetRef policies' do (MeshOPA, MeshGlobalRateLimit); subresources (`meshopas/status`)
    are not kinds. Each is optional.
    """
    found = {
        plural: WatchedKind(kind, plural, KUMA_API_VERSION, optional=True)
        for plural, kind in resources
        if "/" not in plural
        and plural not in _KNOWN_PLURALS
        and kind.startswith("Mesh")
        and is_generic_kind(kind)
    }
    return tuple(found[plural] for plural in sorted(found))


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
