"""The detail pane's explanations: `e` (explain a dataplane's confs) and `w` (why (not)).

Textual-free view models, built in the detail worker like every detail (`detail.py`
dispatches here for the `explain` and `why` modes):

- `explain_detail`: for the rule under the rules tree's cursor (or the section, or the
  whole dataplane), each field with the entry whose value is final and the values it
  overrode, the merge order, and that order in words (`engine.explain.OrderStep`). Rules
  are explained one at a time, and those of folded sections only once opened.
- `why_detail`: whether a policy applies to a dataplane, every reason it does not, the
  entries that reach nothing there, and the fields it wins and loses.

The pair `w` explains is the selected row and the row last selected in the other list
(`counterpart`): a policy and the dataplane the user came from, or the reverse. Lines
that name a policy or a dataplane jump to it (`enter`); text from resources goes
through `literal`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from meshtui.engine.evaluation import DataplaneRules, MeshEvaluation
from meshtui.engine.explain import (
    FieldBlame,
    RuleExplanation,
    WhyNot,
    explain_inbound,
    explain_proxy,
    explain_resource,
    listener_words,
    resource_words,
    why_not,
)
from meshtui.engine.resource_rules import ResourceRule
from meshtui.model import Dataplane, Policy
from meshtui.present.blame import RuleBlame, value_text
from meshtui.present.dataplane import (
    OPEN_OUTBOUNDS,
    exclusive_services,
    inbound_from_id,
    inbound_id,
    inbound_legacy_id,
    inbound_rule_id,
    legacy_to_id,
    listeners,
    outbound_id,
    proxy_rule_id,
    root_id,
)
from meshtui.present.explain import path_text
from meshtui.present.navigator import NavState
from meshtui.present.nodes import folded, who
from meshtui.present.tables import namespace_label, row_key
from meshtui.present.text import literal, yaml_lines
from meshtui.views import DetailNode, DetailView, ResourceRow

EXPLAIN = "explain"
WHY = "why"
MODES = (EXPLAIN, WHY)
"""Detail modes built here (besides `tree` and `yaml`)."""

EXPLAINED_VIEWS = ("dataplanes", "policies")


# ---------------------------------------------------------------------------------------
# what is explained


def counterpart(state: NavState) -> ResourceRow | None:
    """The other half of the pair `w` explains: for a selected policy, the dataplane the
    dataplanes list has selected (the one the user was on before, or jumped from); for a
    selected dataplane, the policies list's selection. `None` if there is none."""
    key = state.selected_key
    if not isinstance(key, ResourceRow) or key.view not in EXPLAINED_VIEWS:
        return None
    other = state.selected.get("policies" if key.view == "dataplanes" else "dataplanes")
    return other if isinstance(other, ResourceRow) else None


def unavailable(state: NavState, mode: str) -> str:
    """Why `e` (`explain`) or `w` (`why`) cannot explain the selection; ``""`` if it can."""
    key = state.selected_key
    if not isinstance(key, ResourceRow) or key.view not in EXPLAINED_VIEWS:
        return "e and w explain a dataplane or a policy: select one (1 or 2)"
    if mode == EXPLAIN and key.view == "dataplanes":
        return ""
    if counterpart(state) is None:
        if key.view == "dataplanes":
            return "w: select a policy first (2), then come back to this dataplane (esc or 1)"
        return "select a dataplane first (1): w then says why this policy does (not) apply to it"
    return ""


def subject(state: NavState, focus: str) -> tuple[str, ResourceRow | None]:
    """What a detail request carries besides the row: the node `e` explains and the pair
    `w` explains, in the modes that use them (none in `tree` and `yaml`)."""
    if state.detail_mode not in MODES:
        return "", None
    return (focus if state.detail_mode == EXPLAIN else ""), counterpart(state)


def explained_detail(
    ev: MeshEvaluation,
    key: ResourceRow,
    mode: str,
    *,
    focus: str,
    other: ResourceRow | None,
    opened: frozenset[str],
) -> DetailView:
    """The `explain` or `why` detail of the selected row.

    Args:
        focus: The rules tree node `e` was pressed on (``""``: the whole dataplane).
        other: The row `counterpart` found, for `w` (and `e` on a policy).
        opened: Folded sections the user opened.
    """
    if mode == EXPLAIN and key.view == "dataplanes":
        return explain_detail(ev, key.name, focus, opened)
    if key.view not in EXPLAINED_VIEWS:
        return DetailView(title="", empty_text="e and w explain a dataplane or a policy")
    pair = (key, other) if key.view == "policies" else (other, key)
    policy_key, dataplane_key = pair
    if policy_key is None or dataplane_key is None:
        wanted = "dataplane" if key.view == "policies" else "policy"
        return DetailView(title="", empty_text=f"no {wanted} selected to explain this against")
    policy = ev.index.find_policy(policy_key.type, policy_key.name)
    dataplane = ev.index.dataplanes.get(dataplane_key.name)
    if policy is None or dataplane is None:
        gone = policy_key if policy is None else dataplane_key
        return DetailView(title="", empty_text=f"{literal(gone.name)} is not in this mesh")
    return why_detail(ev, policy, dataplane)


# ---------------------------------------------------------------------------------------
# explain: blame, overridden values, merge order


@dataclass(frozen=True, slots=True)
class _Part:
    """One rule of the rules tree, and how to explain it."""

    node_id: str
    """The rule's node id in the rules tree."""
    section_id: str
    """The node id of the tree section it is drawn in."""
    section: str
    """That section, in words."""
    explain: Callable[[], list[RuleExplanation]]
    group: str = ""
    """The node id of a tree line that groups it with others and is not a prefix of its own
    (an inbound's legacy `from` rules of one type)."""


def _parts(ev: MeshEvaluation, rules: DataplaneRules) -> list[_Part]:
    """Every rule the rules tree draws, in its order, with the node ids it draws them under."""
    index, blame = ev.index, RuleBlame(ev.index)
    parts = [
        _Part(proxy_rule_id(t.type), "proxy", "Proxy", partial(explain_proxy, index, t))
        for t in rules.types
        if t.single_rules
    ]
    for listener in listeners(rules):
        section = (inbound_id(listener), literal(listener_words(listener)))
        for t in rules.types:
            for i in range(len(t.inbound_rules.get(listener, ()))):
                explain = partial(explain_inbound, index, t, listener, i)
                parts.append(_Part(inbound_rule_id(listener, t.type, i), *section, explain))
            for i in range(len(t.from_rules.get(listener, ()))):
                explain = partial(blame.legacy_rule, t, listener, i)
                node_id, group = (
                    inbound_legacy_id(listener, t.type, i),
                    inbound_from_id(listener, t.type),
                )
                parts.append(_Part(node_id, *section, explain, group))
    outbounds = [(t, rule) for t in rules.types for rule in t.resource_rules]
    outbounds.sort(key=lambda e: (e[1].resource.type != "Mesh", _target(e[1])))
    for t, rule in outbounds:
        section_id = outbound_id(*_target(rule))
        words = literal(resource_words(rule.resource, rule.section))
        explain = partial(explain_resource, index, t, rule)
        parts.append(_Part(f"{section_id}/{t.type}", section_id, words, explain))
    if not exclusive_services(ev):
        for t in rules.types:
            for i in range(len(t.to_rules)):
                explain = partial(blame.legacy_rule, t, None, i)
                words = "Outbounds by kuma.io/service tag (legacy)"
                parts.append(_Part(legacy_to_id(t.type, i), "tags", words, explain))
    return parts


def _target(rule: ResourceRule) -> tuple[str, str, str]:
    return (rule.resource.type, rule.resource.name, rule.section)


def _within(node_id: str, ancestor: str) -> bool:
    return node_id == ancestor or node_id.startswith(ancestor + "/")


def scope(parts: Sequence[_Part], focus: str) -> tuple[list[_Part], str]:
    """The parts `e` explains from the tree line `focus`: the rule the line is in, else
    the rules under the line (a section, a policy type), else all; and that in words."""
    if focus:
        inside = [p for p in parts if _within(focus, p.node_id)]
        if inside:
            return inside[-1:], ""
        under = [p for p in parts if _within(p.node_id, focus) or p.group == focus]
        if under:
            return under, ""
    return list(parts), "every merged conf"


def explain_detail(
    ev: MeshEvaluation, name: str, focus: str = "", opened: frozenset[str] = frozenset()
) -> DetailView:
    """The explanation of one dataplane's rule at `focus`, or of the rules under it."""
    rules = ev.rules(name)
    if rules is None:
        return DetailView(title="", empty_text=f"dataplane {literal(name)} is gone")
    res = rules.dataplane.resource
    chosen, words = scope(_parts(ev, rules), focus)
    root = f"explain:{root_id(row_key(res))}:{focus}"
    subtitle = "who set each field, what it overrode, why in this order · enter: open · e/esc: back"
    title = f"Explain  {literal(res.display_name)} ({literal(namespace_label(res))})"
    if not chosen:
        return DetailView(
            title=title,
            subtitle=subtitle,
            tree=DetailNode(root, "", (DetailNode("x:none", "no merged conf on this proxy"),)),
        )
    if len(chosen) == 1:
        explanations = chosen[0].explain()
        heading = " · ".join(dict.fromkeys(f"{e.type} {literal(e.where)}" for e in explanations))
        nodes = _explained_rules(f"x:{chosen[0].node_id}", explanations, flat=True)
        return DetailView(
            title=f"{title}  ·  {heading or chosen[0].section}",
            subtitle=subtitle,
            tree=DetailNode(root, "", tuple(nodes)),
        )
    sections = _sections(chosen, opened)
    title += f"  ·  {words or chosen[0].section}"
    return DetailView(title=title, subtitle=subtitle, tree=DetailNode(root, "", tuple(sections)))


def _sections(parts: Sequence[_Part], opened: frozenset[str]) -> list[DetailNode]:
    grouped: dict[str, list[_Part]] = {}
    for part in parts:
        grouped.setdefault(part.section_id, []).append(part)
    out = []
    for section_id, members in grouped.items():
        node_id = f"x:{section_id}"
        lines = partial(_section_lines, tuple(members))
        label = f"{members[0].section}  ({len(members)} rule{'s' if len(members) > 1 else ''})"
        if len(grouped) <= OPEN_OUTBOUNDS:
            out.append(DetailNode(node_id, label, lines()))
        else:
            out.append(folded(node_id, label, lines, opened=opened))
    return out


def _section_lines(parts: Sequence[_Part]) -> tuple[DetailNode, ...]:
    return tuple(
        node
        for part in parts
        for node in _explained_rules(f"x:{part.node_id}", part.explain(), section=part.section)
    )


def _explained_rules(
    base: str,
    explanations: Sequence[RuleExplanation],
    *,
    flat: bool = False,
    section: str = "",
) -> list[DetailNode]:
    """Each explanation as a node, named by its type and place (the place left out when
    it is the `section`'s); `flat`: a lone explanation's parts at the top level."""
    out: list[DetailNode] = []
    for i, rule in enumerate(explanations):
        node_id = f"{base}/c{i}" if len(explanations) > 1 else base
        parts = _explanation_parts(node_id, rule)
        if flat and len(explanations) == 1:
            return list(parts)
        where = literal(rule.where)
        label = rule.type if where in (section, "proxy") else f"{rule.type}  {where}"
        if len(explanations) > 1:
            label += f"  (conf {i + 1} of {len(explanations)})"
        out.append(DetailNode(node_id, label, parts))
    return out


def _explanation_parts(node_id: str, rule: RuleExplanation) -> tuple[DetailNode, ...]:
    fields = tuple(_field_node(f"{node_id}/f{i}", f) for i, f in enumerate(rule.fields))
    if not fields:
        fields = (DetailNode(f"{node_id}/f-", "(empty conf)", style="muted"),)
    order = tuple(
        DetailNode(
            f"{node_id}/o{i}",
            f"{i + 1}. {who(c.policy.resource)}  {c.entry}",
            target=row_key(c.policy.resource),
        )
        for i, c in enumerate(rule.contributions)
    )
    nodes = [
        DetailNode(f"{node_id}/fields", f"Fields: who set them  ({len(rule.fields)})", fields),
        DetailNode(
            f"{node_id}/order",
            f"Merge order, lowest priority first  ({len(order)})",
            order or (DetailNode(f"{node_id}/o-", "(no entry)", style="muted"),),
        ),
    ]
    if rule.order:
        reasons = tuple(
            DetailNode(
                f"{node_id}/w{i}",
                literal(step.reason),
                style="warning" if step.key == "tie" else "",
            )
            for i, step in enumerate(rule.order)
        )
        nodes.append(DetailNode(f"{node_id}/why", "Why this order", reasons))
    return tuple(nodes)


SHORT_VALUE = 40
"""Values quoted inside a line (what a field overrode, what it lost to) are cut to this
many characters, so the policy named after them stays in sight."""


def short_value(value: Any) -> str:
    """`value_text(value)`, cut to `SHORT_VALUE` characters."""
    text = value_text(value)
    return text if len(text) <= SHORT_VALUE else text[: SHORT_VALUE - 1] + "…"


def _named(policy: Policy) -> str:
    """`consumer-timeout (first-consumer)`: short enough to keep a field's line in sight
    (the merge order below names role, origin and zone too)."""
    res = policy.resource
    return f"{literal(res.display_name)} ({literal(namespace_label(res))})"


def _field_node(node_id: str, blamed: FieldBlame) -> DetailNode:
    """`path: value  ← winner entry`; a list or object value is drawn as YAML under it."""
    value = blamed.value
    block = isinstance(value, dict | list) and bool(value)
    label = f"{path_text(blamed.path)}:" + ("" if block else f" {value_text(value)}")
    lines = (
        tuple(
            DetailNode(f"{node_id}/v{i}", literal(line), style="muted")
            for i, line in enumerate(yaml_lines(value))
        )
        if block
        else ()
    )
    winner = blamed.winner
    if winner is None:
        return DetailNode(node_id, label + "  (no entry sets it: the merge wrote it)", lines)
    label += f"  ← {_named(winner.policy)}  {winner.entry}"
    if blamed.appended:
        label += "  (appended)"
    overridden = tuple(
        DetailNode(
            f"{node_id}/x{i}",
            f"overrides {short_value(s.value)}  from {_named(s.policy)}  {s.entry}",
            target=row_key(s.policy.resource),
            style="muted",
        )
        for i, s in enumerate(reversed(blamed.overridden))
    )
    return DetailNode(node_id, label, (*overridden, *lines), target=row_key(winner.policy.resource))


# ---------------------------------------------------------------------------------------
# why (not)


def why_detail(ev: MeshEvaluation, policy: Policy, dataplane: Dataplane) -> DetailView:
    """Whether `policy` applies to `dataplane`, every reason it does not, and what it does
    there: entries that reach nothing, fields it wins, fields it sets but loses."""
    why = why_not(ev.index, policy, dataplane)
    pres, dres = policy.resource, dataplane.resource
    nodes = [
        DetailNode("why/policy", f"Policy     {pres.type} {who(pres)}", target=row_key(pres)),
        DetailNode(
            "why/dataplane",
            f"Dataplane  {literal(dres.display_name)} ({literal(namespace_label(dres))})",
            target=row_key(dres),
        ),
        *_why_nodes(why),
    ]
    if why.applies:
        verdict = f"applies · wins {len(why.wins)} field(s), loses {len(why.loses)}"
    else:
        verdict = f"does not apply · {len(why.reasons)} reason(s)"
    return DetailView(
        title=(
            f"Why (not)  {pres.type} {literal(pres.display_name)}"
            f"  →  {literal(dres.display_name)} ({literal(namespace_label(dres))})"
        ),
        subtitle=f"{verdict} · enter opens the policy or the dataplane · w or esc: back",
        tree=DetailNode(f"why:{root_id(row_key(pres))}:{root_id(row_key(dres))}", "", tuple(nodes)),
    )


def _why_nodes(why: WhyNot) -> list[DetailNode]:
    if not why.applies:
        reasons = tuple(
            DetailNode(f"why/reasons/{i}", literal(reason), style="warning")
            for i, reason in enumerate(why.reasons)
        )
        return [
            DetailNode(
                "why/reasons", f"Does not apply  ({len(reasons)} reason(s))", reasons, style="error"
            )
        ]
    nodes = [DetailNode("why/applies", "Applies: it selects this proxy", style="added")]
    if why.unreached:
        nodes.append(
            DetailNode(
                "why/unreached",
                f"Entries that configure nothing here  ({len(why.unreached)})",
                tuple(
                    DetailNode(f"why/unreached/{i}", f"{u.entry}: {literal(u.reason)}")
                    for i, u in enumerate(why.unreached)
                ),
                style="warning",
            )
        )
    wins = tuple(
        DetailNode(
            f"why/wins/{i}", f"{literal(where)}  {path_text(f.path)}: {short_value(f.value)}"
        )
        for i, (where, f) in enumerate(why.wins)
    )
    loses = tuple(
        _lost_node(f"why/loses/{i}", why, where, f) for i, (where, f) in enumerate(why.loses)
    )
    if wins:
        nodes.append(DetailNode("why/wins", f"Fields it wins: final values  ({len(wins)})", wins))
    if loses:
        nodes.append(DetailNode("why/loses", f"Fields it sets but loses  ({len(loses)})", loses))
    if not (wins or loses or why.unreached):
        nodes.append(
            DetailNode("why/nothing", "It sets no field of a merged conf here.", style="muted")
        )
    return nodes


def _lost_node(node_id: str, why: WhyNot, where: str, blamed: FieldBlame) -> DetailNode:
    mine = next((s for s in blamed.overridden if s.policy is why.policy), None)
    value = short_value(mine.value) if mine is not None else "?"
    label = f"{literal(where)}  {path_text(blamed.path)}: {value}"
    winner = blamed.winner
    if winner is None:
        return DetailNode(node_id, label)
    label += (
        f"  → {short_value(blamed.value)} from {literal(winner.policy.resource.display_name)}"
        f" {winner.entry}"
    )
    return DetailNode(node_id, label, target=row_key(winner.policy.resource))
