"""A dataplane's merged rules as the detail tree (built in a worker, never on the UI thread).

The tree follows what Kuma computes: the proxy-wide rule of single-item policies, each
inbound (merged `rules[]`/`from[]` confs and the legacy `from` tag rules), each
outbound resource (merged `to[]` confs per MeshService, external or multi-zone service,
or the Mesh), the legacy `to` tag rules, the matched policies in merge order, the
policies that do not apply and why, and warnings. Every conf is shown as YAML with its
origins in merge order; an origin's `target` lets the user jump to the policy. Each leaf of
a conf names the entry whose value is final (`present.blame`) and jumps to its policy.

Sections that start folded are built only once opened (`opened`): a proxy of a big
mesh has hundreds of outbounds and tag rules, tens of thousands of lines in all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from meshtui.engine.evaluation import DataplaneRules, MeshEvaluation
from meshtui.engine.matching import Listener, Selection
from meshtui.engine.resource_rules import Origin, ResourceRule
from meshtui.engine.rules import InboundRule, TypeRules
from meshtui.engine.subsets import Subset
from meshtui.engine.tag_rules import LegacyRule
from meshtui.model import Dataplane, Policy, Resource
from meshtui.present.blame import BlameOf, RuleBlame, blamed_conf_nodes, conf_lines
from meshtui.present.cache import Cache
from meshtui.present.nodes import (
    conf_copy,
    conf_key,
    folded,
    policy_node,
    type_label,
    who,
)
from meshtui.present.tables import namespace_label, row_key, services_of, target_summary
from meshtui.present.text import literal
from meshtui.views import DetailNode, DetailView, ResourceRow

OPEN_INBOUND_LINES = 150
"""An inbound whose merged rules take more lines than this lists its policy kinds folded
(an allow list of many clients can merge hundreds of lines), each built when opened."""

OPEN_OUTBOUNDS = 8
"""Outbound sections start open when a proxy has at most this many (else folded)."""

OPEN_WARNINGS = 8
"""A warnings section starts open when it has at most this many lines."""

_RULE_NODES: Cache[tuple[Any, ...], DetailNode] = Cache("rule subtrees", limit=200_000)
"""Subtrees drawn from a rule, by everything they show: the place (node id, label,
section), the confs, the origins and the Kuma version (the blame follows its schemas).
Equal rules give the very same subtree."""


def matchers_text(subset: Subset) -> str:
    """`k=v, k!=v` or `all traffic` for an empty subset."""
    if not subset:
        return "all traffic"
    return ", ".join(f"{t.key}{'!=' if t.not_ else '='}{t.value}" for t in subset)


def _origin_node(node_id: str, origin: Origin, section: str) -> DetailNode:
    policy = origin.policy
    return DetailNode(
        f"{node_id}/o:{policy.key.name}#{origin.index}",
        f"← {policy.type} {who(policy.resource)}  {section}[{origin.index}]",
        target=row_key(policy.resource),
    )


def _merged_node(
    node_id: str,
    label: str,
    confs: Sequence[Any],
    origins: Sequence[Origin],
    section: str,
    blame: BlameOf,
    what: str,
) -> DetailNode:
    children = conf_lines(node_id, confs, blame())
    children.extend(_origin_node(node_id, o, section) for o in origins)
    return DetailNode(node_id, label, tuple(children), copy=conf_copy(what, confs))


def _rule_node(
    node_id: str,
    label: str,
    rule: ResourceRule | InboundRule,
    section: str,
    blame: BlameOf,
    version: object,
    what: str,
) -> DetailNode:
    key = (node_id, label, section, conf_key(rule.confs), rule.origins, version, what)
    return _RULE_NODES.get(
        key,
        lambda: _merged_node(node_id, label, rule.confs, rule.origins, section, blame, what),
    )


def _legacy_node(
    node_id: str, rule: LegacyRule, blame: BlameOf, version: object, policy_type: str
) -> DetailNode:
    key = (node_id, policy_type, "legacy", conf_key(rule.conf), rule.subset, rule.origins, version)
    return _RULE_NODES.get(key, lambda: _draw_legacy(node_id, rule, blame, policy_type))


def _draw_legacy(node_id: str, rule: LegacyRule, blame: BlameOf, policy_type: str) -> DetailNode:
    fields = blame()
    children = list(blamed_conf_nodes(node_id, rule.conf, fields[0] if fields else ()))
    children.extend(policy_node(node_id, p) for p in rule.origins)
    label = literal(matchers_text(rule.subset))
    copy = conf_copy(f"{policy_type} conf for {label}", (rule.conf,))
    return DetailNode(node_id, label, tuple(children), copy=copy)


def inbound_label(dataplane: Dataplane, listener: Listener) -> str:
    """`Inbound :8080 (http)  web_svc`, with its state when it is not Ready."""
    inbound = dataplane.inbound_for_port(listener[1])
    text = f"Inbound :{listener[1]}"
    if inbound is not None and inbound.name:
        text += f" ({literal(inbound.name)})"
    if inbound is not None:
        service = inbound.tags.get("kuma.io/service")
        if service:
            text += f"  {literal(service)}"
        if inbound.state != "Ready":
            text += f"  [{literal(inbound.state)}]"
    elif dataplane.is_gateway:
        text += "  gateway listener"
    return text


def listeners(rules: DataplaneRules) -> list[Listener]:
    """The inbounds the tree shows: the proxy's own, then any a policy selected besides."""
    seen: dict[Listener, None] = {i.listener: None for i in rules.dataplane.inbounds}
    for t in rules.types:
        seen.update(dict.fromkeys(t.by_inbound))
    return list(seen)


def _inbound_section(
    rules: DataplaneRules, listener: Listener, opened: frozenset[str], blame: RuleBlame
) -> DetailNode:
    node_id = inbound_id(listener)
    children: list[DetailNode] = []
    for t in rules.types:
        what = f"{t.type} conf of inbound :{listener[1]}"
        for i, rule in enumerate(t.inbound_rules.get(listener, ())):
            children.append(
                _rule_node(
                    inbound_rule_id(listener, t.type, i),
                    f"{type_label(t.type)}  (rules)",
                    rule,
                    "rules",
                    blame.inbound(t, listener, i),
                    blame.version,
                    what,
                )
            )
        legacy = t.from_rules.get(listener, ())
        if legacy:
            kids = tuple(
                _legacy_node(
                    inbound_legacy_id(listener, t.type, i),
                    r,
                    blame.legacy(t, listener, i),
                    blame.version,
                    t.type,
                )
                for i, r in enumerate(legacy)
            )
            children.append(
                DetailNode(
                    inbound_from_id(listener, t.type),
                    f"{type_label(t.type)}  (from, by client tags)",
                    kids,
                )
            )
    if not children:
        children.append(DetailNode(f"{node_id}/none", "no inbound policy", style="muted"))
    elif sum(len(child.walk()) for child in children) > OPEN_INBOUND_LINES:
        children = [fold(child, opened) for child in children]
    return DetailNode(node_id, inbound_label(rules.dataplane, listener), tuple(children))


def fold(node: DetailNode, opened: frozenset[str]) -> DetailNode:
    """`node` folded, its lines left out until the user opens it."""
    if node.node_id in opened or not node.children:
        return node
    return replace(node, children=(), expanded=False, lazy=True)


def _resource_label(rule: ResourceRule) -> str:
    res = rule.resource
    if res.type == "Mesh":
        return f"Mesh {literal(res.name)}  (every destination)"
    text = f"{res.type} {literal(res.display_name)}"
    if res.namespace:
        text += f" · {literal(res.namespace)}"
    if res.zone:
        text += f" · zone {literal(res.zone)}"
    if rule.section:
        text += f"  :{literal(rule.section)}"
    return text


def _outbound_sections(
    rules: DataplaneRules, opened: frozenset[str], blame: RuleBlame
) -> list[DetailNode]:
    by_target: dict[tuple[str, str, str], list[tuple[TypeRules, ResourceRule]]] = {}
    for t in rules.types:
        for rule in t.resource_rules:
            key = (rule.resource.type, rule.resource.name, rule.section)
            by_target.setdefault(key, []).append((t, rule))
    order = sorted(by_target, key=lambda k: (k[0] != "Mesh", k[0], k[1], k[2]))
    nodes = []
    for key in order:
        entries = by_target[key]
        node_id = outbound_id(*key)
        first = entries[0][1]
        lines = partial(_outbound_lines, node_id, tuple(entries), blame)
        label = "Outbound " + _resource_label(first)
        target = _service_target(first.resource)
        if len(order) <= OPEN_OUTBOUNDS:
            nodes.append(DetailNode(node_id, label, lines(), target=target))
        else:
            nodes.append(folded(node_id, label, lines, opened=opened, target=target))
    return nodes


def outbound_id(resource_type: str, name: str, section: str) -> str:
    """The node id of the outbound section of one destination (and section of it)."""
    return f"out:{resource_type}/{name}:{section}"


def _outbound_lines(
    node_id: str, entries: tuple[tuple[TypeRules, ResourceRule], ...], blame: RuleBlame
) -> tuple[DetailNode, ...]:
    return tuple(
        _rule_node(
            f"{node_id}/{t.type}",
            type_label(t.type),
            rule,
            "to",
            blame.resource(t, rule),
            blame.version,
            f"{t.type} conf of outbound {_resource_label(rule)}",
        )
        for t, rule in entries
    )


def inbound_id(listener: Listener) -> str:
    """The node id of an inbound's section."""
    return f"in:{listener[1]}"


def inbound_rule_id(listener: Listener, policy_type: str, position: int) -> str:
    """The node id of an inbound rule (`rules[]`/`from[]` merged) of one policy type."""
    return f"{inbound_id(listener)}/{policy_type}/r{position}"


def inbound_from_id(listener: Listener, policy_type: str) -> str:
    """The node id of the line that groups an inbound's legacy `from` rules of one type."""
    return f"{inbound_id(listener)}/{policy_type}/from"


def inbound_legacy_id(listener: Listener, policy_type: str, position: int) -> str:
    """The node id of an inbound's legacy `from` tag rule."""
    return f"{inbound_id(listener)}/{policy_type}/f{position}"


def proxy_rule_id(policy_type: str) -> str:
    """The node id of a single-item policy type's proxy-wide conf."""
    return f"proxy/{policy_type}"


def legacy_to_id(policy_type: str, position: int) -> str:
    """The node id of a legacy `to` tag rule."""
    return f"tags/{policy_type}/{position}"


def _service_target(resource: Resource) -> ResourceRow | None:
    return row_key(resource) if resource.type != "Mesh" else None


def _proxy_section(rules: DataplaneRules, blame: RuleBlame) -> DetailNode | None:
    kids = []
    for t in rules.types:
        if t.single_rules:
            rule = t.single_rules[0]
            node_id = proxy_rule_id(t.type)
            fields = blame.proxy(t)()
            children = list(blamed_conf_nodes(node_id, rule.conf, fields[0] if fields else ()))
            children.extend(policy_node(node_id, p) for p in rule.origins)
            copy = conf_copy(f"{t.type} proxy conf", (rule.conf,))
            kids.append(DetailNode(node_id, type_label(t.type), tuple(children), copy=copy))
    if not kids:
        return None
    return DetailNode("proxy", "Proxy  (single-item policies)", tuple(kids))


def legacy_to_section(
    rules: DataplaneRules, opened: frozenset[str], blame: RuleBlame
) -> DetailNode | None:
    """The legacy `toRules` by `kuma.io/service` tag, folded (None when there are none)."""
    typed = [t for t in rules.types if t.to_rules]
    if not typed:
        return None

    def kinds() -> tuple[DetailNode, ...]:
        return tuple(
            folded(
                f"tags/{t.type}",
                type_label(t.type),
                partial(_legacy_lines, t, blame),
                opened=opened,
            )
            for t in typed
        )

    return folded(
        "tags", "Outbounds by kuma.io/service tag  (legacy toRules)", kinds, opened=opened
    )


def _legacy_lines(t: TypeRules, blame: RuleBlame) -> tuple[DetailNode, ...]:
    return tuple(
        _legacy_node(legacy_to_id(t.type, i), r, blame.legacy(t, None, i), blame.version, t.type)
        for i, r in enumerate(t.to_rules)
    )


def _matched_section(rules: DataplaneRules, opened: frozenset[str]) -> DetailNode:
    count = sum(len(t.matched) for t in rules.types)
    return folded(
        "matched",
        f"Matched policies, merge order  ({count})",
        lambda: tuple(_matched_of(t) for t in rules.types if t.matched),
        opened=opened,
    )


def _matched_of(t: TypeRules) -> DetailNode:
    return DetailNode(
        f"matched/{t.type}",
        f"{type_label(t.type)}  ({len(t.matched)})",
        tuple(
            DetailNode(
                f"matched/{t.type}/{p.key.name}",
                f"{i + 1}. {who(p.resource)}  targetRef {literal(target_summary(p))}",
                target=row_key(p.resource),
            )
            for i, p in enumerate(t.matched)
        ),
    )


def _unmatched_section(
    ev: MeshEvaluation, rules: DataplaneRules, opened: frozenset[str]
) -> DetailNode | None:
    name = rules.dataplane.resource.name
    missing = [m for t in rules.types for m in ev.not_matching(name, t.type)]
    if not missing:
        return None
    return folded(
        "unmatched",
        f"Policies that do not apply, and why  ({len(missing)})",
        partial(_unmatched_lines, missing),
        opened=opened,
    )


def _unmatched_lines(missing: Sequence[tuple[Policy, Selection]]) -> tuple[DetailNode, ...]:
    return tuple(
        DetailNode(
            f"unmatched/{policy.type}/{policy.key.name}",
            f"{policy.type} {who(policy.resource)}: {literal(selection.reason)}",
            target=row_key(policy.resource),
        )
        for policy, selection in missing
    )


def _warning_sections(rules: DataplaneRules, opened: frozenset[str]) -> list[DetailNode]:
    """Kuma's own warnings, then meshtui's notes on merge-order ties, apart: a big mesh
    can have hundreds of ties (equal names in many namespaces) and only a few warnings."""
    kuma = [w for t in rules.types for w in t.kuma_warnings]
    ties = [w for t in rules.types for w in t.warnings[len(t.kuma_warnings) :]]
    out = []
    for node_id, title, lines, style in (
        ("warnings", "Warnings", kuma, "warning"),
        ("ties", "Merge-order ties  (Kuma's order is undefined)", ties, "muted"),
    ):
        if not lines:
            continue
        label = f"{title}  ({len(lines)})"
        section_style = "warning" if style == "warning" else ""
        build = partial(_warning_lines, node_id, tuple(lines), style)
        if len(lines) <= OPEN_WARNINGS:
            out.append(DetailNode(node_id, label, build(), style=section_style))
        else:
            out.append(folded(node_id, label, build, opened=opened, style=section_style))
    return out


def _warning_lines(node_id: str, lines: tuple[str, ...], style: str) -> tuple[DetailNode, ...]:
    return tuple(DetailNode(f"{node_id}/{i}", literal(w), style=style) for i, w in enumerate(lines))


def dataplane_detail(
    ev: MeshEvaluation, name: str, opened: frozenset[str] = frozenset()
) -> DetailView:
    """The merged rules of one dataplane as Kuma computes them.

    Args:
        opened: Ids of the folded sections the user opened: only those are built.
    """
    rules = ev.rules(name)
    if rules is None:
        return DetailView(title="", empty_text=f"dataplane {literal(name)} is gone")
    res = rules.dataplane.resource
    sections: list[DetailNode] = []
    blame = RuleBlame(ev.index)
    proxy = _proxy_section(rules, blame)
    if proxy is not None:
        sections.append(proxy)
    sections.extend(
        _inbound_section(rules, listener, opened, blame) for listener in listeners(rules)
    )
    sections.extend(_outbound_sections(rules, opened, blame))
    sections.extend(tail_sections(ev, rules, opened, blame))
    root = DetailNode(root_id(row_key(res)), literal(res.display_name), tuple(sections))
    title, subtitle = heading(rules)
    return DetailView(title=title, subtitle=subtitle, tree=root)


def tail_sections(
    ev: MeshEvaluation, rules: DataplaneRules, opened: frozenset[str], blame: RuleBlame
) -> list[DetailNode]:
    """What every dataplane detail ends with: the legacy `toRules` (unless the mesh is
    Exclusive), the matched policies, those that do not apply, and warnings."""
    sections: list[DetailNode] = []
    if not exclusive_services(ev):
        legacy = legacy_to_section(rules, opened, blame)
        if legacy is not None:
            sections.append(legacy)
    sections.append(_matched_section(rules, opened))
    unmatched = _unmatched_section(ev, rules, opened)
    if unmatched is not None:
        sections.append(unmatched)
    sections.extend(_warning_sections(rules, opened))
    return sections


def heading(rules: DataplaneRules, *extra: str) -> tuple[str, str]:
    """A dataplane detail's title (name and services) and subtitle (where it runs), with
    `extra` facts at the end of the subtitle."""
    dp = rules.dataplane
    res = dp.resource
    where = f"{literal(namespace_label(res))} · zone {literal(res.zone or '-')}"
    subtitle = f"Dataplane · {where} · {literal(dp.address)}"
    if dp.is_gateway:
        subtitle += f" · {literal(dp.gateway_type.lower())} gateway"
    if rules.gateway is not None:
        subtitle += f" · MeshGateway {literal(rules.gateway.display_name)}"
    subtitle += "".join(f" · {fact}" for fact in extra)
    return f"{literal(res.display_name)}  {literal(services_of(dp))}", subtitle


def exclusive_services(ev: MeshEvaluation) -> bool:
    """Whether the mesh uses MeshServices only (`meshServices.mode: Exclusive`)."""
    mode = ev.index.mesh.spec.get("meshServices", {}) if ev.index.mesh is not None else {}
    return isinstance(mode, Mapping) and mode.get("mode") == "Exclusive"


def root_id(key: ResourceRow) -> str:
    """The id of a detail tree's root: one per subject, so another subject starts afresh."""
    return f"root:{key.view}/{key.type}/{key.name}"
