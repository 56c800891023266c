"""A dataplane's policies for Kuma 2.12+, laid out as Kuma's own GUI shows them.

From 2.12 a control plane answers per proxy, per inbound, per outbound and per route,
keyed by KRI (`_layout`, `_policies`, `_inbounds/{kri}/_policies`,
`_outbounds/{kri}/_policies`, `_outbounds/{kri}/_routes`, `…/_routes/{kri}/_policies`;
spec kuma-2.14.md §5), and its GUI draws a proxy from those answers. So does this tree:
the proxy-wide policies; each inbound with its rules unmerged (one per policy entry, with
its match from 2.14); each outbound the proxy reaches, with its merged conf and origins;
each route of an outbound with the policies on it; then what every dataplane detail ends
with (`present.dataplane.tail_sections`). Built from the evaluation's computed rules
through `engine.api.ProxyPolicies`, the code that answers those requests, in the detail
worker. KRIs are shown, and copied by `c`, for the proxy, inbounds, outbounds, routes and
origins.

Kuma 2.10 and 2.11 and built-in gateways keep the `present.dataplane` tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from meshtui.engine import kri
from meshtui.engine.api import ROUTE_TYPES, OutboundRoute, ProxyPolicies, RouteRule
from meshtui.engine.evaluation import DataplaneRules, MeshEvaluation
from meshtui.engine.kri import Kri
from meshtui.engine.matching import Listener
from meshtui.engine.resource_rules import ResourceRule
from meshtui.engine.rules import InboundRule
from meshtui.engine.tag_rules import LegacyRule
from meshtui.kinds import kinds_for
from meshtui.model import Dataplane, Resource
from meshtui.present.blame import RuleBlame, blamed_conf_nodes, conf_lines
from meshtui.present.cache import Cache
from meshtui.present.dataplane import (
    OPEN_INBOUND_LINES,
    OPEN_OUTBOUNDS,
    dataplane_detail,
    fold,
    heading,
    inbound_label,
    matchers_text,
    outbound_id,
    root_id,
    tail_sections,
)
from meshtui.present.kris import (
    destinations_of,
    entry_name,
    kri_copy,
    kri_line,
    layout_of,
    match_text,
    matches_text,
    origin_line,
    parse_kri,
    section_of,
)
from meshtui.present.nodes import (
    conf_copy,
    conf_key,
    conf_nodes,
    confs_nodes,
    folded,
    type_label,
    who,
)
from meshtui.present.tables import row_key
from meshtui.present.text import literal
from meshtui.versions import KumaVersion
from meshtui.views import DetailNode, DetailView

_NODES: Cache[tuple[Any, ...], DetailNode] = Cache("proxy detail subtrees", limit=100_000)
"""Subtrees drawn from a rule, by everything they show (the version writes the KRIs)."""

_FOLDED: Cache[tuple[Any, ...], DetailNode] = Cache("folded outbounds", limit=100_000)
"""Folded outbound lines, by everything they show."""


def uses_policies_model(version: KumaVersion, dataplane: Dataplane) -> bool:
    """Whether the detail follows the 2.12 per-inbound/outbound/route model: from 2.12,
    for every proxy but a built-in gateway (whose listeners are no inbounds)."""
    return version.policies_endpoints and dataplane.gateway_type != "BUILTIN"


def dataplane_view(
    ev: MeshEvaluation, name: str, opened: frozenset[str] = frozenset()
) -> DetailView:
    """The detail of one dataplane in the model its Kuma version's GUI uses."""
    rules = ev.rules(name)
    if rules is None or not uses_policies_model(ev.index.version, rules.dataplane):
        return dataplane_detail(ev, name, opened)
    return proxy_detail(ev, rules, opened)


def proxy_detail(
    ev: MeshEvaluation, rules: DataplaneRules, opened: frozenset[str] = frozenset()
) -> DetailView:
    """The 2.12+ tree of one dataplane.

    Args:
        rules: The dataplane's computed rules (`ev.rules`).
        opened: Ids of the folded sections the user opened: only those are built.
    """
    proxy = ProxyPolicies(ev.index, rules.dataplane, rules.types)
    res = rules.dataplane.resource
    own = proxy.kri_text(res)
    layout = layout_of(proxy)
    sections: list[DetailNode] = [kri_line("kri", own)]
    proxy_wide = _proxy_section(proxy)
    if proxy_wide is not None:
        sections.append(proxy_wide)
    for entry in [*layout["inbounds"], *layout.get("listeners", [])]:
        sections.append(_inbound_section(proxy, entry, opened))
    sections.extend(_outbound_sections(proxy, layout["outbounds"], opened))
    sections.extend(tail_sections(ev, rules, opened, RuleBlame(ev.index)))
    root = DetailNode(
        root_id(row_key(res)),
        literal(res.display_name),
        tuple(sections),
        copy=kri_copy(own),
    )
    title, subtitle = heading(rules)
    return DetailView(title=title, subtitle=subtitle, tree=root)


def outbound_section(ev: MeshEvaluation, name: str, resource: Resource, section: str) -> str:
    """The id of the detail section that shows the outbound rule of `resource` (and
    `section`) for proxy `name`, in the model its version uses ("" when none does)."""
    rules = ev.rules(name)
    if rules is None:
        return ""
    if not uses_policies_model(ev.index.version, rules.dataplane):
        return outbound_id(resource.type, resource.name, section)
    layout = layout_of(ProxyPolicies(ev.index, rules.dataplane, rules.types))
    wanted = kri.of(resource, section)
    for entry in layout["outbounds"]:
        parsed = parse_kri(str(entry.get("kri", "")), ev.index.version)
        if parsed is not None and wanted in (parsed, parsed.without_section()):
            return f"out:{entry['kri']}"
    return ""


# -- proxy ---------------------------------------------------------------------------


def _proxy_section(proxy: ProxyPolicies) -> DetailNode | None:
    """E2: the proxy-wide conf of each single-item policy type, with its origins."""
    kids = []
    for t in proxy.matched:
        if not t.single_rules:
            continue
        rule = t.single_rules[0]
        node_id = f"proxy/{t.type}"
        fields = RuleBlame(proxy.index).proxy(t)()
        children = list(blamed_conf_nodes(node_id, rule.conf, fields[0] if fields else ()))
        children.extend(origin_line(node_id, proxy, t.type, p, "") for p in rule.origins)
        copy = conf_copy(f"{t.type} proxy conf", (rule.conf,))
        kids.append(DetailNode(node_id, type_label(t.type), tuple(children), copy=copy))
    if not kids:
        return None
    return DetailNode("proxy", "Proxy  (proxy-wide policies)", tuple(kids))


# -- inbounds ------------------------------------------------------------------------


def _inbound_section(
    proxy: ProxyPolicies, entry: Mapping[str, Any], opened: frozenset[str]
) -> DetailNode:
    """E3: one inbound (or zone-proxy listener) of `_layout`, its rules per policy type."""
    text = str(entry.get("kri", ""))
    node_id = f"in:{text}"
    key = proxy.inbound_key(section_of(text, proxy.version))
    children: list[DetailNode] = []
    if key is not None:
        children = _inbound_rules(proxy, node_id, key, opened)
    if not children:
        children.append(DetailNode(f"{node_id}/none", "no inbound policy", style="muted"))
    elif sum(len(child.walk()) for child in children) > OPEN_INBOUND_LINES:
        children = [fold(child, opened) for child in children]
    label = _inbound_title(proxy.dataplane, entry, key)
    copy = kri_copy(text)
    return DetailNode(node_id, label, (kri_line(f"{node_id}/kri", text), *children), copy=copy)


def _inbound_title(dataplane: Dataplane, entry: Mapping[str, Any], key: Listener | None) -> str:
    port = entry.get("port")
    if "type" in entry:  # a zone-proxy listener (2.14)
        return f"Listener :{port}  {literal(str(entry['type']))}"
    label = inbound_label(dataplane, key) if key is not None else f"Inbound :{port}"
    protocol = str(entry.get("protocol") or "")
    return label + (f"  protocol {literal(protocol)}" if protocol else "")


def _inbound_rules(
    proxy: ProxyPolicies, node_id: str, key: Listener, opened: frozenset[str]
) -> list[DetailNode]:
    """Per type: its rules on the inbound, unmerged, in Kuma's order; and, for the types
    whose `from[]` is not turned into rules (MeshTrafficPermission, MeshFaultInjection),
    the legacy `from` rules by client tags (folded, built when opened, when they cannot
    fit in an open inbound: each takes two lines at least)."""
    catalogue = kinds_for(proxy.version)
    out: list[DetailNode] = []
    for t in proxy.matched:
        entries = t.inbound_rules.get(key, ())
        type_id = f"{node_id}/{t.type}"
        if entries:
            what = f"{t.type} rule of inbound :{key[1]}"
            kids = tuple(
                _inbound_rule(f"{type_id}/r{i}", proxy, t.type, i, len(entries), rule, what)
                for i, rule in enumerate(entries)
            )
            count = f"{len(entries)} rules, not merged" if len(entries) > 1 else "1 rule"
            out.append(DetailNode(type_id, f"{type_label(t.type)}  ({count})", kids))
        legacy = t.from_rules.get(key, ())
        info = catalogue.policy(t.type)
        if legacy and info is not None and not info.from_as_rules:
            label = f"{type_label(t.type)}  (from, by client tags)"
            lines = partial(_from_rules, type_id, proxy, t.type, legacy)
            if 2 * len(legacy) + 1 > OPEN_INBOUND_LINES:
                out.append(folded(f"{type_id}/from", label, lines, opened=opened))
            else:
                out.append(DetailNode(f"{type_id}/from", label, lines()))
    return out


def _from_rules(
    type_id: str, proxy: ProxyPolicies, policy_type: str, rules: Sequence[LegacyRule]
) -> tuple[DetailNode, ...]:
    return tuple(
        _from_rule(f"{type_id}/f{i}", proxy, policy_type, rule) for i, rule in enumerate(rules)
    )


def _from_rule(
    node_id: str, proxy: ProxyPolicies, policy_type: str, rule: LegacyRule
) -> DetailNode:
    """A legacy `from` rule: the client tags it is for, its conf, its policies."""
    key = (node_id, policy_type, conf_key(rule.conf), rule.subset, rule.origins, proxy.version)
    return _NODES.get(key, lambda: _draw_from_rule(node_id, proxy, policy_type, rule))


def _draw_from_rule(
    node_id: str, proxy: ProxyPolicies, policy_type: str, rule: LegacyRule
) -> DetailNode:
    label = literal(matchers_text(rule.subset))
    children = list(conf_nodes(node_id, rule.conf))
    children.extend(origin_line(node_id, proxy, policy_type, p, "") for p in rule.origins)
    copy = conf_copy(f"{policy_type} conf for {label}", (rule.conf,))
    return DetailNode(node_id, label, tuple(children), copy=copy)


def _inbound_rule(
    node_id: str,
    proxy: ProxyPolicies,
    policy_type: str,
    position: int,
    count: int,
    rule: InboundRule,
    what: str,
) -> DetailNode:
    key = (node_id, policy_type, position, count, conf_key(rule.confs), rule.origins)
    return _NODES.get(
        (*key, conf_key(rule.match), proxy.version),
        lambda: _draw_inbound_rule(node_id, proxy, policy_type, position, count, rule, what),
    )


def _draw_inbound_rule(
    node_id: str,
    proxy: ProxyPolicies,
    policy_type: str,
    position: int,
    count: int,
    rule: InboundRule,
    what: str,
) -> DetailNode:
    label = f"rule {position + 1} of {count}" if count > 1 else "rule"
    if rule.match is not None:
        label += f"  match {literal(match_text(rule.match))}"
    elif proxy.version.inbound_rule_matches:
        label += "  (every client)"
    children = confs_nodes(node_id, rule.confs)
    for origin in rule.origins:
        section = "rules" if origin.policy.rules else "from"
        children.append(
            origin_line(node_id, proxy, policy_type, origin.policy, entry_name(origin, section))
        )
    return DetailNode(node_id, label, tuple(children), copy=conf_copy(what, rule.confs))


# -- outbounds -----------------------------------------------------------------------


def _outbound_sections(
    proxy: ProxyPolicies, outbounds: Sequence[Mapping[str, Any]], opened: frozenset[str]
) -> list[DetailNode]:
    """E4, E5: each outbound of `_layout` (sorted by KRI), folded past `OPEN_OUTBOUNDS`."""
    destinations = destinations_of(proxy)
    version = proxy.version
    nodes = []
    for entry in outbounds:
        text = str(entry.get("kri", ""))
        node_id = f"out:{text}"
        parsed = parse_kri(text, version)
        destination = destinations.get(parsed.without_section()) if parsed else None
        shown: tuple[Any, ...] = (text, entry.get("port"), entry.get("protocol"), version)
        if destination is not None:
            shown += (destination.key, destination.display_name, destination.zone)
        if len(outbounds) > OPEN_OUTBOUNDS and node_id not in opened:
            # A big proxy's thousands of folded outbounds: the same line, the same node.
            draw = partial(_outbound_node, proxy, entry, destination)
            nodes.append(_FOLDED.get(shown, draw))
        else:
            nodes.append(_outbound_node(proxy, entry, destination, lines=True))
    return nodes


def _outbound_node(
    proxy: ProxyPolicies,
    entry: Mapping[str, Any],
    destination: Resource | None,
    *,
    lines: bool = False,
) -> DetailNode:
    text = str(entry.get("kri", ""))
    node_id = f"out:{text}"
    label = _outbound_title(entry, parse_kri(text, proxy.version), destination)
    target = row_key(destination) if destination is not None else None
    if not lines:
        return DetailNode(
            node_id, label, target=target, expanded=False, lazy=True, copy=kri_copy(text)
        )
    children = _outbound_lines(proxy, node_id, text)
    return DetailNode(node_id, label, children, target=target, copy=kri_copy(text))


def _outbound_title(
    entry: Mapping[str, Any], parsed: Kri | None, destination: Resource | None
) -> str:
    port = entry.get("port")
    protocol = str(entry.get("protocol") or "")
    if destination is None:
        text = f"Outbound {literal(str(entry.get('kri', '')))}"
    else:
        text = f"Outbound {destination.type} {literal(destination.display_name)}"
        if destination.namespace:
            text += f" · {literal(destination.namespace)}"
        if destination.zone:
            text += f" · zone {literal(destination.zone)}"
    section = parsed.section if parsed is not None else ""
    text += f"  :{literal(section)}" if section else ""
    if section != str(port):
        text += f"  port {port}"
    return text + (f"  {literal(protocol)}" if protocol else "")


def _outbound_lines(proxy: ProxyPolicies, node_id: str, text: str) -> tuple[DetailNode, ...]:
    """E4 but the route types: each type's conf on the outbound; then E5, its routes."""
    lines: list[DetailNode] = [kri_line(f"{node_id}/kri", text)]
    outbound = parse_kri(text, proxy.version)
    if outbound is None:
        return tuple(lines)
    found = [(t, r) for t, r in proxy.outbound_rules(outbound) if t not in ROUTE_TYPES]
    for policy_type, rule in found:
        lines.append(
            _rule_node(
                f"{node_id}/{policy_type}",
                proxy,
                policy_type,
                rule,
                _scope(rule, outbound),
                f"{policy_type} conf of {text}",
            )
        )
    if not found:
        lines.append(DetailNode(f"{node_id}/none", "no outbound policy", style="muted"))
    routes = proxy.routes(outbound)
    if routes:
        lines.append(_routes_node(proxy, node_id, outbound, routes))
    return tuple(lines)


def _scope(rule: ResourceRule, wanted: Kri) -> str:
    """How the rule was found for the outbound: its own, its service's, or the Mesh's."""
    if rule.resource.type == "Mesh":
        return "  (the Mesh's rule)"
    if wanted.section and not rule.section:
        return "  (every port)"
    return ""


def _rule_node(
    node_id: str,
    proxy: ProxyPolicies,
    policy_type: str,
    rule: ResourceRule,
    scope: str,
    what: str,
) -> DetailNode:
    key = (node_id, policy_type, scope, conf_key(rule.confs), rule.origins, what, proxy.version)
    return _NODES.get(key, lambda: _draw_rule(node_id, proxy, policy_type, rule, scope, what))


def _draw_rule(
    node_id: str,
    proxy: ProxyPolicies,
    policy_type: str,
    rule: ResourceRule,
    scope: str,
    what: str,
) -> DetailNode:
    typed = next((t for t in proxy.matched if t.type == policy_type), None)
    if typed is None:
        children = confs_nodes(node_id, rule.confs)
    else:
        children = conf_lines(node_id, rule.confs, RuleBlame(proxy.index).resource(typed, rule)())
    for origin in rule.origins:
        entry = entry_name(origin, "to")
        children.append(origin_line(node_id, proxy, policy_type, origin.policy, entry))
    label = f"{type_label(policy_type)}{scope}"
    return DetailNode(node_id, label, tuple(children), copy=conf_copy(what, rule.confs))


# -- routes --------------------------------------------------------------------------


def _routes_node(
    proxy: ProxyPolicies, node_id: str, outbound: Kri, routes: Sequence[OutboundRoute]
) -> DetailNode:
    """E5, E6: the routes the outbound takes, by route policy, each with its rules and the
    policies set on the route itself."""
    kids: list[DetailNode] = []
    for route in routes:
        groups: dict[Resource | None, list[tuple[int, RouteRule]]] = {}
        for i, rule in enumerate(route.rules):
            groups.setdefault(rule.origin, []).append((i, rule))
        for origin, members in groups.items():
            kids.append(_route_node(proxy, node_id, outbound, route, origin, members))
    label = f"Routes  ({sum(len(r.rules) for r in routes)} rules)"
    return DetailNode(f"{node_id}/routes", label, tuple(kids))


def _route_node(
    proxy: ProxyPolicies,
    parent: str,
    outbound: Kri,
    route: OutboundRoute,
    origin: Resource | None,
    members: Sequence[tuple[int, RouteRule]],
) -> DetailNode:
    text = proxy.kri_text(origin, as_type=route.type) if origin is not None else ""
    node_id = f"{parent}/route:{route.type}:{text}"
    children: list[DetailNode] = []
    if text:
        children.append(kri_line(f"{node_id}/kri", text))
    for i, rule in members:
        rule_id = f"{node_id}/r{i}"
        label = f"rule {i + 1}"
        if rule.matches:
            label += f"  matches {literal(matches_text(rule.matches))}"
        what = f"{route.type} rule {i + 1} of {outbound.text(proxy.version)}"
        children.append(
            DetailNode(
                rule_id,
                label,
                conf_nodes(rule_id, rule.conf),
                copy=conf_copy(what, (rule.conf,)),
            )
        )
    if origin is not None:
        route_kri = parse_kri(text, proxy.version)
        if route_kri is not None:
            children.append(_route_policies(proxy, node_id, outbound, route_kri))
        label = f"{route.type} {who(origin)}"
        copy = kri_copy(text)
        return DetailNode(node_id, label, tuple(children), target=row_key(origin), copy=copy)
    return DetailNode(node_id, route.type, tuple(children))


def _route_policies(proxy: ProxyPolicies, node_id: str, outbound: Kri, route: Kri) -> DetailNode:
    """E6 on one route: the rules set on the route itself in full; the rest (found on the
    outbound or the Mesh, as for the outbound) named only."""
    own: list[DetailNode] = []
    inherited: list[str] = []
    for policy_type, rule in proxy.route_rules(outbound, route):
        if rule.resource.type != route.resource_type:
            inherited.append(policy_type)
            continue
        what = f"{policy_type} conf of {route.text(proxy.version)}"
        own.append(_rule_node(f"{node_id}/p/{policy_type}", proxy, policy_type, rule, "", what))
    if inherited:
        own.append(
            DetailNode(
                f"{node_id}/p/inherited",
                f"as on the outbound: {', '.join(inherited)}",
                style="muted",
            )
        )
    if not own:
        own.append(DetailNode(f"{node_id}/p/none", "no policy", style="muted"))
    return DetailNode(f"{node_id}/p", "Policies on this route", tuple(own))
