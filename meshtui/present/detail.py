"""The detail pane: a dataplane's merged rules, a policy, a service or a problem, as a tree.

A dataplane's tree follows what Kuma computes: the proxy-wide rule of single-item
policies, each inbound (merged `rules[]`/`from[]` confs and the legacy `from` tag
rules), each outbound resource (merged `to[]` confs per MeshService, external or
multi-zone service, or the Mesh), the legacy `to` tag rules, the matched policies in
merge order, and warnings. Every conf is shown as YAML with its origins in merge order;
an origin's `target` lets the user jump to the policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from meshtui.engine.evaluation import DataplaneRules, MeshEvaluation
from meshtui.engine.matching import Listener, Selection
from meshtui.engine.resource_rules import Origin, ResourceRule
from meshtui.engine.rules import InboundRule, LegacyRule, TypeRules
from meshtui.engine.subsets import Subset
from meshtui.model import Dataplane, Policy, Problem, Resource
from meshtui.parse.labels import role_explanation
from meshtui.present.memo import EqualityMemo, IdentityMemo
from meshtui.present.tables import namespace_label, ports_of, row_key, services_of, target_summary
from meshtui.present.text import literal, yaml_lines
from meshtui.views import DetailView, TreeNode

_WHO: IdentityMemo[str] = IdentityMemo(limit=50_000)


def who(resource: Resource) -> str:
    """`name (namespace · role · zone z)` for an origin line."""
    return _WHO.get(resource, None, lambda: _who(resource))


def _who(resource: Resource) -> str:
    parts = [namespace_label(resource), resource.role]
    if resource.origin == "global":
        parts.append("global")
    elif resource.zone:
        parts.append(f"zone {resource.zone}")
    return f"{literal(resource.display_name)} ({' · '.join(literal(p) for p in parts)})"


def _conf_nodes(node_id: str, conf: Any) -> tuple[TreeNode, ...]:
    lines = yaml_lines(conf) if conf not in ({}, None) else ["{}  (nothing set)"]
    return tuple(TreeNode(f"{node_id}/l{i}", literal(line)) for i, line in enumerate(lines))


def _origin_node(node_id: str, origin: Origin, section: str) -> TreeNode:
    policy = origin.policy
    return TreeNode(
        f"{node_id}/o:{policy.key.name}#{origin.index}",
        f"← {policy.type} {who(policy.resource)}  {section}[{origin.index}]",
        target=row_key(policy.resource),
    )


def _policy_node(node_id: str, policy: Policy) -> TreeNode:
    return TreeNode(
        f"{node_id}/p:{policy.key.name}",
        f"← {policy.type} {who(policy.resource)}",
        target=row_key(policy.resource),
    )


def _merged_node(
    node_id: str, label: str, confs: Sequence[Any], origins: Sequence[Origin], section: str
) -> TreeNode:
    children: list[TreeNode] = []
    for i, conf in enumerate(confs):
        if len(confs) > 1:
            children.append(
                TreeNode(f"{node_id}/c{i}", f"conf {i + 1} of {len(confs)}:", style="muted")
            )
        children.extend(_conf_nodes(f"{node_id}/c{i}", conf))
    children.extend(_origin_node(node_id, o, section) for o in origins)
    return TreeNode(node_id, label, tuple(children))


def matchers_text(subset: Subset) -> str:
    """`k=v, k!=v` or `all traffic` for an empty subset."""
    if not subset:
        return "all traffic"
    return ", ".join(f"{t.key}{'!=' if t.not_ else '='}{t.value}" for t in subset)


_RULE_NODES: EqualityMemo[TreeNode] = EqualityMemo(limit=200_000)
"""Subtrees drawn from a rule, by node id (see `present.memo`)."""


def _rule_node(
    node_id: str, label: str, rule: ResourceRule | InboundRule, section: str
) -> TreeNode:
    return _RULE_NODES.get(
        rule,
        (node_id, label),
        lambda: _merged_node(node_id, label, rule.confs, rule.origins, section),
    )


def _legacy_node(node_id: str, rule: LegacyRule) -> TreeNode:
    return _RULE_NODES.get(rule, (node_id, ""), lambda: _draw_legacy(node_id, rule))


def _draw_legacy(node_id: str, rule: LegacyRule) -> TreeNode:
    children = list(_conf_nodes(node_id, rule.conf))
    children.extend(_policy_node(node_id, p) for p in rule.origins)
    return TreeNode(node_id, literal(matchers_text(rule.subset)), tuple(children))


def _inbound_label(dataplane: Dataplane, listener: Listener) -> str:
    inbound = dataplane.inbound_for_port(listener[1])
    text = f"Inbound :{listener[1]}"
    if inbound is not None and inbound.name:
        text += f" ({literal(inbound.name)})"
    if inbound is not None:
        service = inbound.tags.get("kuma.io/service")
        if service:
            text += f"  {literal(service)}"
        if inbound.state != "Ready":
            text += f"  [{inbound.state}]"
    elif dataplane.is_gateway:
        text += "  gateway listener"
    return text


def _listeners(rules: DataplaneRules) -> list[Listener]:
    seen: dict[Listener, None] = {i.listener: None for i in rules.dataplane.inbounds}
    for t in rules.types:
        seen.update(dict.fromkeys(t.by_inbound))
    return list(seen)


def _inbound_section(rules: DataplaneRules, listener: Listener) -> TreeNode:
    node_id = f"in:{listener[1]}"
    children: list[TreeNode] = []
    for t in rules.types:
        for i, rule in enumerate(t.inbound_rules.get(listener, ())):
            children.append(
                _rule_node(f"{node_id}/{t.type}/r{i}", f"{t.type}  (rules)", rule, "rules")
            )
        legacy = t.from_rules.get(listener, ())
        if legacy:
            kids = tuple(_legacy_node(f"{node_id}/{t.type}/f{i}", r) for i, r in enumerate(legacy))
            children.append(
                TreeNode(f"{node_id}/{t.type}/from", f"{t.type}  (from, by client tags)", kids)
            )
    if not children:
        children.append(TreeNode(f"{node_id}/none", "no inbound policy", style="muted"))
    elif sum(len(child.walk()) for child in children) > OPEN_INBOUND_LINES:
        children = [_COLLAPSED.get(c, None, partial(replace, c, expanded=False)) for c in children]
    return TreeNode(node_id, _inbound_label(rules.dataplane, listener), tuple(children))


OPEN_INBOUND_LINES = 150
"""An inbound whose merged rules take more lines than this lists its policy kinds folded.

Fix: on a big mesh an inbound can merge hundreds of lines (allow lists of many clients),
all drawn for every dataplane the cursor passed: ~100 ms a key at 5k dataplanes, so a
held `j` lagged seconds behind. Its kinds are listed, each opened on demand.
"""
_COLLAPSED: IdentityMemo[TreeNode] = IdentityMemo(limit=20_000)
"""Folded copies of per-kind inbound subtrees, by the subtree (kept the same object)."""


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


OPEN_OUTBOUNDS = 8
"""Outbound sections start expanded when a proxy has at most this many (else collapsed)."""


def _outbound_sections(rules: DataplaneRules) -> list[TreeNode]:
    by_target: dict[tuple[str, str, str], list[tuple[TypeRules, ResourceRule]]] = {}
    for t in rules.types:
        for rule in t.resource_rules:
            key = (rule.resource.type, rule.resource.name, rule.section)
            by_target.setdefault(key, []).append((t, rule))
    order = sorted(by_target, key=lambda k: (k[0] != "Mesh", k[0], k[1], k[2]))
    expanded = len(order) <= OPEN_OUTBOUNDS
    nodes = []
    for key in order:
        entries = by_target[key]
        node_id = f"out:{key[0]}/{key[1]}:{key[2]}"
        kids = tuple(_rule_node(f"{node_id}/{t.type}", t.type, rule, "to") for t, rule in entries)
        first = entries[0][1]
        nodes.append(
            TreeNode(
                node_id,
                "Outbound " + _resource_label(first),
                kids,
                target=_service_target(first.resource),
                expanded=expanded,
            )
        )
    return nodes


def _service_target(resource: Resource) -> str:
    return row_key(resource) if resource.type != "Mesh" else ""


def _proxy_section(rules: DataplaneRules) -> TreeNode | None:
    kids = []
    for t in rules.types:
        if t.single_rules:
            rule = t.single_rules[0]
            children = list(_conf_nodes(f"proxy/{t.type}", rule.conf))
            children.extend(_policy_node(f"proxy/{t.type}", p) for p in rule.origins)
            kids.append(TreeNode(f"proxy/{t.type}", t.type, tuple(children)))
    if not kids:
        return None
    return TreeNode("proxy", "Proxy  (single-item policies)", tuple(kids))


def _legacy_to_section(rules: DataplaneRules, exclusive: bool) -> TreeNode | None:
    if exclusive:
        return None
    kids = []
    for t in rules.types:
        if t.to_rules:
            rule_nodes = tuple(
                _legacy_node(f"tags/{t.type}/{i}", r) for i, r in enumerate(t.to_rules)
            )
            kids.append(TreeNode(f"tags/{t.type}", t.type, rule_nodes, expanded=False))
    if not kids:
        return None
    return TreeNode(
        "tags", "Outbounds by kuma.io/service tag  (legacy toRules)", tuple(kids), expanded=False
    )


_TYPE_NODES: IdentityMemo[TreeNode] = IdentityMemo(limit=20_000)
"""Per-type subtrees of the matched and not-matching sections, by the engine tuple they
are drawn from: unchanged after an edit of another type, so not drawn again."""
_UNMATCHED: IdentityMemo[tuple[TreeNode, ...]] = IdentityMemo(limit=20_000)


def _matched_section(rules: DataplaneRules) -> TreeNode:
    kids = [
        _TYPE_NODES.get(t.matched, t.type, partial(_matched_of, t))
        for t in rules.types
        if t.matched
    ]
    count = sum(len(t.matched) for t in rules.types)
    return TreeNode(
        "matched", f"Matched policies, merge order  ({count})", tuple(kids), expanded=False
    )


def _matched_of(t: TypeRules) -> TreeNode:
    return TreeNode(
        f"matched/{t.type}",
        f"{t.type}  ({len(t.matched)})",
        tuple(
            TreeNode(
                f"matched/{t.type}/{p.key.name}",
                f"{i + 1}. {who(p.resource)}  targetRef {literal(target_summary(p))}",
                target=row_key(p.resource),
            )
            for i, p in enumerate(t.matched)
        ),
    )


def _unmatched_section(ev: MeshEvaluation, rules: DataplaneRules) -> TreeNode | None:
    kids: list[TreeNode] = []
    name = rules.dataplane.resource.name
    for t in rules.types:
        missing = ev.not_matching(name, t.type)
        if missing:
            kids.extend(_UNMATCHED.get(missing, t.type, partial(_unmatched_of, missing)))
    if not kids:
        return None
    return TreeNode(
        "unmatched",
        f"Policies that do not apply, and why  ({len(kids)})",
        tuple(kids),
        expanded=False,
    )


def _unmatched_of(missing: Sequence[tuple[Policy, Selection]]) -> tuple[TreeNode, ...]:
    return tuple(
        TreeNode(
            f"unmatched/{policy.type}/{policy.key.name}",
            f"{policy.type} {who(policy.resource)}: {literal(selection.reason)}",
            target=row_key(policy.resource),
        )
        for policy, selection in missing
    )


OPEN_WARNINGS = 8
"""A warnings section starts expanded when it has at most this many lines."""


def _warning_sections(rules: DataplaneRules) -> list[TreeNode]:
    """Kuma's own warnings, then meshtui's notes on merge-order ties, apart: a big mesh
    can have hundreds of ties (equal names in many namespaces) and only a few warnings."""
    kuma = [w for t in rules.types for w in t.kuma_warnings]
    ties = [w for t in rules.types for w in t.warnings[len(t.kuma_warnings) :]]
    out = []
    for node_id, title, lines, style in (
        ("warnings", "Warnings", kuma, "warning"),
        ("ties", "Merge-order ties  (Kuma's order is undefined)", ties, "muted"),
    ):
        if lines:
            kids = tuple(
                TreeNode(f"{node_id}/{i}", literal(w), style=style) for i, w in enumerate(lines)
            )
            out.append(
                TreeNode(
                    node_id,
                    f"{title}  ({len(lines)})",
                    kids,
                    style="warning" if style == "warning" else "",
                    expanded=len(lines) <= OPEN_WARNINGS,
                )
            )
    return out


def dataplane_detail(ev: MeshEvaluation, name: str) -> DetailView:
    """The merged rules of one dataplane as Kuma computes them."""
    rules = ev.rules(name)
    if rules is None:
        return DetailView(title="", empty_text=f"dataplane {literal(name)} is gone")
    dp = rules.dataplane
    res = dp.resource
    sections: list[TreeNode] = []
    proxy = _proxy_section(rules)
    if proxy is not None:
        sections.append(proxy)
    sections.extend(_inbound_section(rules, listener) for listener in _listeners(rules))
    sections.extend(_outbound_sections(rules))
    mode = ev.index.mesh.spec.get("meshServices", {}) if ev.index.mesh is not None else {}
    exclusive = isinstance(mode, Mapping) and mode.get("mode") == "Exclusive"
    legacy = _legacy_to_section(rules, exclusive)
    if legacy is not None:
        sections.append(legacy)
    sections.append(_matched_section(rules))
    unmatched = _unmatched_section(ev, rules)
    if unmatched is not None:
        sections.append(unmatched)
    sections.extend(_warning_sections(rules))
    root = TreeNode(f"root:{row_key(res)}", literal(res.display_name), tuple(sections))
    where = f"{literal(namespace_label(res))} · zone {literal(res.zone or '-')}"
    subtitle = f"Dataplane · {where} · {literal(dp.address)}"
    if dp.is_gateway:
        subtitle += f" · {dp.gateway_type.lower()} gateway"
    if rules.gateway is not None:
        subtitle += f" · MeshGateway {literal(rules.gateway.display_name)}"
    return DetailView(
        title=f"{literal(res.display_name)}  {literal(services_of(dp))}",
        subtitle=subtitle,
        tree=root,
    )


OPEN_AFFECTED = 50
"""A policy's affected dataplanes start listed when there are at most this many.

Fix: a mesh-wide policy of a big mesh listed all its proxies at once (thousands of tree
lines drawn for every policy the cursor passed: ~0.6 s a key at 5k dataplanes); past
this many the section starts collapsed and is drawn when opened.
"""


def policy_detail(ev: MeshEvaluation, policy: Policy, *, system_namespace: str) -> DetailView:
    """A policy: its role and why, its targets, the dataplanes it affects."""
    res = policy.resource
    why = role_explanation(res.spec, res.namespace, system_namespace)
    nodes: list[TreeNode] = [
        TreeNode("role", f"Role: {literal(res.role)} — {literal(why)}"),
        TreeNode("target", f"Top-level targetRef: {literal(target_summary(policy))}"),
    ]
    for section, items in (("to", policy.to), ("from", policy.from_), ("rules", policy.rules)):
        for item in items:
            node_id = f"{section}/{item.index}"
            head = f"{section}[{item.index}]"
            if item.target_ref is not None:
                head += f" → {literal(item.target_ref.describe())}"
            nodes.append(TreeNode(node_id, head, _conf_nodes(node_id, item.conf), expanded=True))
    if policy.default is not None:
        nodes.append(TreeNode("default", "default", _conf_nodes("default", policy.default)))
    affected = ev.affected(policy)
    nodes.append(
        TreeNode(
            "affected",
            f"Affects {len(affected)} dataplane(s)",
            tuple(
                TreeNode(
                    f"affected/{name}", literal(_dp_label(ev, name)), target=f"dataplane:{name}"
                )
                for name in affected
            ),
            expanded=len(affected) <= OPEN_AFFECTED,
        )
    )
    labels = tuple(
        TreeNode(f"labels/{k}", literal(f"{k}: {v}")) for k, v in sorted(res.labels.items())
    )
    nodes.append(TreeNode("labels", f"Labels ({len(labels)})", labels, expanded=False))
    if res.source is not None:
        nodes.append(TreeNode("source", f"Read from {literal(str(res.source))}", style="muted"))
    subtitle = f"{res.type} · {literal(namespace_label(res))} · {literal(res.role)}"
    subtitle += f" · origin {literal(res.origin or '-')}" + (
        f" · zone {literal(res.zone)}" if res.zone else ""
    )
    if res.shadow:
        subtitle += " · shadow (not applied)"
    return DetailView(
        title=f"{res.type} {literal(res.display_name)}",
        subtitle=subtitle,
        tree=TreeNode(f"root:{row_key(res)}", literal(res.display_name), tuple(nodes)),
    )


def _dp_label(ev: MeshEvaluation, name: str) -> str:
    dp = ev.index.dataplanes.get(name)
    if dp is None:
        return name
    return f"{dp.resource.display_name} ({namespace_label(dp.resource)})"


def service_detail(ev: MeshEvaluation, service: Resource) -> DetailView:
    """A service: its ports and labels, and the policies that configure traffic to it."""
    uses = ev.service_uses(service)
    by_type: dict[str, list[TreeNode]] = {}
    for use in uses:
        policy = use.policy
        label = f"← {who(policy.resource)}  to[{use.index}]" + (
            f" :{literal(use.section)}" if use.section else ""
        )
        by_type.setdefault(policy.type, []).append(
            TreeNode(
                f"uses/{policy.type}/{policy.key.name}/{use.index}/{use.section}",
                label,
                target=row_key(policy.resource),
            )
        )
    nodes = [
        TreeNode("ports", f"Ports: {literal(ports_of(service)) or '-'}"),
        TreeNode(
            "uses",
            f"Policies configuring traffic to it  ({len(uses)})",
            tuple(TreeNode(f"uses/{kind}", kind, tuple(items)) for kind, items in by_type.items()),
        ),
        TreeNode(
            "labels",
            "Labels",
            tuple(
                TreeNode(f"labels/{k}", literal(f"{k}: {v}"))
                for k, v in sorted(service.labels.items())
            ),
            expanded=False,
        ),
    ]
    where = f"{literal(namespace_label(service))} · zone {literal(service.zone or '-')}"
    subtitle = f"{service.type} · {where}"
    return DetailView(
        title=f"{service.type} {literal(service.display_name)}",
        subtitle=subtitle,
        tree=TreeNode(f"root:{row_key(service)}", literal(service.display_name), tuple(nodes)),
    )


def problem_detail(problem: Problem, document: Any) -> DetailView:
    """One load problem: the message in full, where it is, and the document it is about."""
    lines = [literal(problem.message), ""]
    lines.append(f"file      {literal(problem.file) or '-'}")
    if problem.document:
        lines.append(f"document  {problem.document}")
    if problem.path:
        lines.append(f"field     {literal(problem.path)}")
    if problem.resource:
        lines.append(f"resource  {literal(problem.resource)}")
    if document is not None:
        lines += ["", "--- the document as read ---", *(literal(x) for x in yaml_lines(document))]
    title = f"{problem.severity}: {literal(problem.resource or problem.file or 'input')}"
    return DetailView(
        title=title, subtitle=literal(problem.location()), text="\n".join(lines) + "\n"
    )
