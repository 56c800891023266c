"""Proxies no selector of the mesh can tell apart, found by a signature.

Most proxies of a big mesh differ only in what no policy looks at: their name, their
address, a pod-template hash. `signature(proxy, vocabulary)` keeps of a proxy exactly
what top-level targetRef matching reads (`matching.select` and the pre-filters), with
every label and tag value no selector names replaced by a placeholder. Two proxies
with equal signatures get the same matched policies, per inbound in the same order of
inbounds, the same warnings and so the same rules, except that their inbound keys
(address, port) are their own: `listener_keys` lists them in a fixed order, so one
proxy's rules become the other's by renaming keys (`TypeRules.relabelled`).

Proxies that have a MeshGateway are never signed (the gateway's listeners depend on the
proxy's own address); they are computed on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import Listener
from meshtui.model import NAMESPACE, SERVICE_TAG, ZONE, Dataplane, Policy, TargetRef

Signature = tuple[object, ...]

_ABSENT = 0
"""A tag key the proxy does not have (tag values are text, so ints never clash)."""
_OTHER = 1
"""A label or tag value that no selector names."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every label and tag a top-level targetRef of the mesh compares, with its values.

    Read from every policy of every type, shadow ones and routes included (a route's
    own top-level targetRef decides for the policies that target it).
    """

    tags: Mapping[str, frozenset[str]]
    """Tag key → the values selectors compare it with (`*` only needs the key)."""
    labels: Mapping[str, frozenset[str]]
    """Label key → the values `Dataplane` refs compare it with (absent reads as "")."""
    names: frozenset[str]
    """Display names `Dataplane` refs name."""

    @classmethod
    def of(cls, index: MeshIndex) -> Vocabulary:
        """Of every policy of the mesh."""
        return cls.union(
            cls.of_policies((*index.policies.get(k, ()), *index.shadow_policies.get(k, ())))
            for k in index.policies.keys() | index.shadow_policies.keys()
        )

    @classmethod
    def of_policies(cls, policies: Iterable[Policy]) -> Vocabulary:
        tags: dict[str, set[str]] = {}
        labels: dict[str, set[str]] = {}
        names: set[str] = set()
        for policy in policies:
            _add(policy.target_ref, tags, labels, names)
        return cls(
            {k: frozenset(v) for k, v in sorted(tags.items())},
            {k: frozenset(v) for k, v in sorted(labels.items())},
            frozenset(names),
        )

    @classmethod
    def union(cls, parts: Iterable[Vocabulary]) -> Vocabulary:
        tags: dict[str, set[str]] = {}
        labels: dict[str, set[str]] = {}
        names: set[str] = set()
        for part in parts:
            for key, values in part.tags.items():
                tags.setdefault(key, set()).update(values)
            for key, values in part.labels.items():
                labels.setdefault(key, set()).update(values)
            names.update(part.names)
        return cls(
            {k: frozenset(v) for k, v in sorted(tags.items())},
            {k: frozenset(v) for k, v in sorted(labels.items())},
            frozenset(names),
        )


def _add(
    ref: TargetRef, tags: dict[str, set[str]], labels: dict[str, set[str]], names: set[str]
) -> None:
    kind = ref.kind
    selector: dict[str, str] = {}
    if kind in ("MeshSubset", "MeshGateway"):
        selector = dict(ref.tags or {})
    elif kind == "MeshService":
        selector = {SERVICE_TAG: ref.name}
    elif kind == "MeshServiceSubset":
        selector = {**(ref.tags or {}), SERVICE_TAG: ref.name}
        tags.setdefault(SERVICE_TAG, set()).add(ref.name)
    elif kind == "Dataplane":
        if ref.name:
            names.add(ref.name)
        for key, value in (ref.labels or {}).items():
            labels.setdefault(key, set()).add(value)
    for key, value in selector.items():
        tags.setdefault(key, set()).add(value)


def listener_keys(dataplane: Dataplane) -> tuple[Listener, ...]:
    """The proxy's inbound keys in a fixed order: inbounds, then zone-proxy listeners."""
    return (
        *(i.listener for i in dataplane.inbounds),
        *(lst.listener for lst in dataplane.listeners),
    )


def signature(dataplane: Dataplane, vocabulary: Vocabulary) -> Signature:
    """What every top-level targetRef of the mesh sees of a proxy without a MeshGateway."""
    labels = dataplane.labels
    keys = listener_keys(dataplane)
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    display = dataplane.resource.display_name
    tag_vocabulary = vocabulary.tags
    return (
        labels.get(NAMESPACE),
        labels.get("kuma.io/origin"),
        labels.get(ZONE),
        display if display in vocabulary.names else None,
        tuple(
            value if (value := labels.get(key, "")) in values else _OTHER
            for key, values in vocabulary.labels.items()
        ),
        dataplane.gateway_type,
        _tags(dataplane.gateway_tags, tag_vocabulary),
        tuple(
            (i.port, i.name, i.state, _tags(i.tags, tag_vocabulary), first[keys[n]])
            for n, i in enumerate(dataplane.inbounds)
        ),
        tuple(
            (lst.type, lst.port, lst.name, lst.state, first[keys[n]])
            for n, lst in enumerate(dataplane.listeners, start=len(dataplane.inbounds))
        ),
    )


def _tags(tags: Mapping[str, str], vocabulary: Mapping[str, frozenset[str]]) -> tuple[object, ...]:
    return tuple(
        _ABSENT if key not in tags else (tags[key] if tags[key] in values else _OTHER)
        for key, values in vocabulary.items()
    )
