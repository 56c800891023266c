"""KRIs in the 2.12+ dataplane detail, and what the detail reuses between builds.

A KRI is parsed once (`parse_kri`), shown on a muted line or at the end of an origin, and
copied by `c` (`kri_copy`). A proxy's `_layout` and its mesh's destinations by KRI are
kept with the very objects they were drawn from: a later build from the same objects (an
edit of a policy leaves the proxy and the services untouched) reuses them. Matches are
written on one line. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshtui.engine import kri
from meshtui.engine.api import ProxyPolicies
from meshtui.engine.kri import Kri, KriError
from meshtui.engine.resource_rules import Origin
from meshtui.model import Policy, Resource
from meshtui.present.cache import Cache
from meshtui.present.nodes import who
from meshtui.present.tables import row_key
from meshtui.present.text import literal
from meshtui.versions import KumaVersion
from meshtui.views import Copyable, DetailNode

DESTINATION_KINDS = ("MeshService", "MeshExternalService", "MeshMultiZoneService")
"""What `_layout` lists outbounds to."""

_KRIS: Cache[tuple[str, KumaVersion], Kri | None] = Cache("parsed KRIs", limit=100_000)
"""KRIs parsed, by their text and the version reading them."""

_MEMO_LIMIT = 256
_LAYOUTS: dict[str, tuple[tuple[object, ...], KumaVersion, dict[str, Any]]] = {}
"""The last `_layout` of each proxy with the very objects it was drawn from (the decoded
proxy and the mesh's destinations, all immutable, kept alive here) and the version: a
later build from the same objects (an edit of a policy leaves them untouched) reuses it."""

_DESTINATIONS: dict[str, tuple[tuple[object, ...], dict[Kri, Resource]]] = {}
"""The destinations by KRI, with the objects they were drawn from (as `_LAYOUTS`)."""


def _services(proxy: ProxyPolicies) -> tuple[tuple[Resource, ...], ...]:
    return tuple(proxy.index.services.get(kind, ()) for kind in DESTINATION_KINDS)


def _same(kept: tuple[object, ...], now: tuple[object, ...]) -> bool:
    return len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True))


def layout_of(proxy: ProxyPolicies) -> dict[str, Any]:
    """`proxy.layout()`, reused while the proxy and the destinations are the same objects."""
    name = proxy.dataplane.resource.name
    inputs = (proxy.dataplane, *_services(proxy))
    kept = _LAYOUTS.get(name)
    if kept is not None and _same(kept[0], inputs) and kept[1] == proxy.version:
        return kept[2]
    if len(_LAYOUTS) >= _MEMO_LIMIT:
        _LAYOUTS.clear()
    layout = proxy.layout()
    _LAYOUTS[name] = (inputs, proxy.version, layout)
    return layout


def destinations_of(proxy: ProxyPolicies) -> dict[Kri, Resource]:
    """The mesh's destinations by KRI, reused while they are the same objects."""
    inputs = _services(proxy)
    kept = _DESTINATIONS.get(proxy.index.mesh_name)
    if kept is not None and _same(kept[0], inputs):
        return kept[1]
    if len(_DESTINATIONS) >= _MEMO_LIMIT:
        _DESTINATIONS.clear()
    found = {kri.of(r): r for group in inputs for r in group}
    _DESTINATIONS[proxy.index.mesh_name] = (inputs, found)
    return found


# -- lines every section uses ----------------------------------------------------------


def kri_copy(text: str) -> Copyable:
    """`c` on a line naming something: its KRI (escaped, as everything shown)."""
    safe = literal(text)
    return Copyable(f"KRI {safe}", safe)


def kri_line(node_id: str, text: str) -> DetailNode:
    """`KRI kri_…`, muted; `c` copies it."""
    return DetailNode(node_id, f"KRI  {literal(text) or '-'}", style="muted", copy=kri_copy(text))


def origin_line(
    node_id: str, proxy: ProxyPolicies, policy_type: str, policy: Policy, entry: str
) -> DetailNode:
    """`← MeshTimeout name (ns · role)  to[0]  kri_mt_…`, jumping to the policy."""
    text = proxy.kri_text(policy.resource, as_type=policy_type)
    where = f"  {entry}" if entry else ""
    return DetailNode(
        f"{node_id}/o:{policy.key.name}#{entry}",
        f"← {policy_type} {who(policy.resource)}{where}  {literal(text)}",
        target=row_key(policy.resource),
        copy=kri_copy(text),
    )


def entry_name(origin: Origin, section: str) -> str:
    """`to[0]`, `rules[1]`: the entry an origin names."""
    return f"{section}[{origin.index}]"


# -- text ----------------------------------------------------------------------------


def parse_kri(text: str, version: KumaVersion) -> Kri | None:
    """`Kri.parse`, once per text and version; `None` for what is no KRI."""
    return _KRIS.get((text, version), lambda: _parse_kri_text(text, version))


def _parse_kri_text(text: str, version: KumaVersion) -> Kri | None:
    try:
        return Kri.parse(text, version)
    except KriError:
        return None


def section_of(text: str, version: KumaVersion) -> str:
    """The section of a KRI (`""` when it has none, or is no KRI)."""
    parsed = parse_kri(text, version)
    return parsed.section if parsed is not None else ""


def match_text(match: Any) -> str:
    """An inbound rule's `Match` in one line: `spiffeID Exact spiffe://…, sni Exact a.b`."""
    if not isinstance(match, Mapping):
        return str(match)
    parts = []
    for key, value in match.items():
        if isinstance(value, Mapping):
            parts.append(f"{key} {value.get('type', '')} {value.get('value', '')}".strip())
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def matches_text(matches: Any) -> str:
    """A route rule's `matches` in one line: `path PathPrefix /, headers x-a Exact 1 | …`."""
    if not isinstance(matches, list):
        return str(matches)
    return " | ".join(_one_match(m) for m in matches)


def _one_match(match: Any) -> str:
    if not isinstance(match, Mapping):
        return str(match)
    parts = []
    for key, value in match.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping):
                words = [str(item.get(k)) for k in ("name", "type", "value") if k in item]
                parts.append(f"{key} {' '.join(words)}")
            else:
                parts.append(f"{key} {item}")
    return ", ".join(parts) or "everything"
