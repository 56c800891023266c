"""Decode stored resources into the typed views the engine matches on.

Specs have already been validated and defaulted by `parse`; decoding here is total:
anything odd that slipped through is read as absent, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshtui.kinds import policy_info
from meshtui.model import (
    MESH_REF,
    Dataplane,
    Inbound,
    Policy,
    PolicyItem,
    Resource,
    TargetRef,
    ZoneProxyListener,
)


def target_ref(raw: Any, *, implicit_mesh: bool = False) -> TargetRef | None:
    """A `targetRef` object as a `TargetRef`; `None` (or the implicit Mesh) when absent."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("kind"), str):
        return MESH_REF if implicit_mesh else None
    proxy_types = raw.get("proxyTypes")
    return TargetRef(
        kind=raw["kind"],
        name=_str(raw.get("name")),
        namespace=_str(raw.get("namespace")),
        labels=_labels_or_none(raw.get("labels")),
        tags=_labels_or_none(raw.get("tags")),
        mesh=_str(raw.get("mesh")),
        proxy_types=tuple(p for p in proxy_types if isinstance(p, str))
        if isinstance(proxy_types, list)
        else (),
        section_name=_str(raw.get("sectionName")),
    )


def decode_policy(resource: Resource) -> Policy:
    """The engine's view of a policy resource."""
    spec = resource.spec
    kind = resource.type
    info = policy_info(kind)
    assert info is not None, kind
    to_items = _items(spec.get("to")) if info.has_to else []
    from_items = _items(spec.get("from")) if info.has_from else []
    # `rules[]` are read for every kind: which lines have them is the engine's to decide
    rule_items = _items(spec.get("rules"))
    return Policy(
        resource=resource,
        target_ref=target_ref(spec.get("targetRef"), implicit_mesh=True) or MESH_REF,
        to=tuple(
            PolicyItem(
                target_ref=target_ref(item.get("targetRef")), conf=_to_conf(kind, item), index=i
            )
            for i, item in enumerate(to_items)
        ),
        from_=tuple(
            PolicyItem(
                target_ref=target_ref(item.get("targetRef")), conf=item.get("default"), index=i
            )
            for i, item in enumerate(from_items)
        ),
        rules=tuple(
            PolicyItem(
                target_ref=None,
                conf=item.get("default"),
                index=i,
                matches=tuple(_items(item.get("matches"))),
            )
            for i, item in enumerate(rule_items)
        ),
        default=spec.get("default") if info.single_item else None,
    )


def _to_conf(kind: str, item: Mapping[str, Any]) -> Any:
    """What Kuma's `To.GetDefault()` returns for this kind."""
    if kind == "MeshHTTPRoute":
        rules = item.get("rules")
        conf: dict[str, Any] = {"rules": list(reversed(rules)) if isinstance(rules, list) else []}
        if item.get("hostnames") is not None:
            conf["hostnames"] = item.get("hostnames")
        return conf
    if kind == "MeshTCPRoute":
        rules = item.get("rules")
        if isinstance(rules, list) and rules:
            return rules[0]
        backend = dict(item.get("targetRef") or {})
        backend["weight"] = 1
        return {"default": {"backendRefs": [backend]}}
    return item.get("default")


def decode_dataplane(resource: Resource) -> Dataplane:
    """The engine's view of a Dataplane (2.10 shape: inbounds with tags, optional gateway)."""
    networking = resource.spec.get("networking")
    if not isinstance(networking, Mapping):
        networking = {}
    address = _str(networking.get("address"))
    inbounds = []
    for raw in _items(networking.get("inbound")):
        inbounds.append(
            Inbound(
                port=_port(raw.get("port")),
                address=_str(raw.get("address")) or address,
                name=_str(raw.get("name")),
                state=_str(raw.get("state")) or "Ready",
                tags=_labels_or_none(raw.get("tags")) or {},
            )
        )
    gateway = networking.get("gateway")
    gateway_type = ""
    gateway_tags: Mapping[str, str] = {}
    if isinstance(gateway, Mapping):
        gateway_type = _str(gateway.get("type")) or "DELEGATED"
        gateway_tags = _labels_or_none(gateway.get("tags")) or {}
    listeners = tuple(
        ZoneProxyListener(
            type=_str(raw.get("type")),
            port=_port(raw.get("port")),
            address=_str(raw.get("address")) or address,
            name=_str(raw.get("name")),
            state=_str(raw.get("state")) or "Ready",
        )
        for raw in _items(networking.get("listeners"))
    )
    return Dataplane(
        resource=resource,
        address=address,
        inbounds=tuple(inbounds),
        gateway_type=gateway_type,
        gateway_tags=gateway_tags,
        listeners=listeners,
    )


def _port(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def _items(raw: Any) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list):
        return []
    return [item if isinstance(item, Mapping) else {} for item in raw]


def _str(raw: Any) -> str:
    return raw if isinstance(raw, str) else ""


def _labels_or_none(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, Mapping):
        return None
    return {str(k): v if isinstance(v, str) else str(v) for k, v in raw.items()}
