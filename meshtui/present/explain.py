"""`meshtui explain`'s output: blame, merge order and why (not), as text or JSON.

Text reads like `git blame` for a merged conf: one line per field with its value, the
policy and entry that set it, and the values it overrode. JSON carries the same with
stable field names (documented in the README). Text from resources is escaped for the
terminal (`text.literal`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from meshtui.engine.explain import FieldBlame, RuleExplanation, Setter, WhyNot
from meshtui.model import Dataplane, Policy
from meshtui.present.text import literal


def path_text(path: Sequence[str | int]) -> str:
    """`http.requestTimeout`, `rules[0].default.backendRefs`."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out or "(whole conf)"


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return literal(value)
    return literal(json.dumps(value, ensure_ascii=False, sort_keys=False))


def _policy_text(policy: Policy) -> str:
    return literal(policy.resource.name)


def _setter_text(setter: Setter | None) -> str:
    if setter is None:
        return "(no entry sets it)"
    return f"{_policy_text(setter.policy)} {setter.entry}"


def rule_text(rule: RuleExplanation) -> list[str]:
    """One rule: a heading, a line per field, then the merge order in words."""
    lines = [f"{rule.type}  {literal(rule.where)}"]
    if not rule.fields:
        lines.append("  (empty conf)")
    width = max((len(path_text(f.path)) for f in rule.fields), default=0)
    for blamed in rule.fields:
        lines.append("  " + _field_line(blamed, width))
    for step in rule.order:
        lines.append(f"  order: {literal(step.reason)}")
    return lines


def _field_line(blamed: FieldBlame, width: int) -> str:
    text = f"{path_text(blamed.path):<{width}}  {_value_text(blamed.value)}"
    text += f"  ← {_setter_text(blamed.winner)}"
    if blamed.appended:
        text += " (appended)"
    if blamed.overridden:
        old = ", ".join(
            f"{_setter_text(s)}: {_value_text(s.value)}" for s in reversed(blamed.overridden)
        )
        text += f"  (overrides {old})"
    return text


def why_text(why: WhyNot) -> list[str]:
    """Whether a policy applies to a proxy, each reason, and what it changes there."""
    name = f"{why.policy.type} {_policy_text(why.policy)}"
    proxy = literal(why.dataplane.resource.name)
    if not why.applies:
        lines = [f"{name} does not apply to {proxy}:"]
        lines += [f"  - {literal(reason)}" for reason in why.reasons]
        return lines
    lines = [f"{name} applies to {proxy}."]
    for reach in why.unreached:
        lines.append(f"  {reach.entry} configures nothing here: {literal(reach.reason)}")
    if why.wins:
        lines.append("  It sets (final values):")
        lines += [
            f"    {literal(where)}  {path_text(f.path)} = {_value_text(f.value)}"
            for where, f in why.wins
        ]
    if why.loses:
        lines.append("  It sets, but is overridden:")
        for where, f in why.loses:
            mine = next((s for s in f.overridden if s.policy is why.policy), None)
            value = _value_text(mine.value) if mine is not None else "?"
            lines.append(
                f"    {literal(where)}  {path_text(f.path)} = {value}, overridden by"
                f" {_setter_text(f.winner)}: {_value_text(f.value)}"
            )
    if not why.wins and not why.loses and not why.unreached:
        lines.append("  It sets no field of a merged conf here.")
    return lines


def _setter_json(setter: Setter | None) -> dict[str, Any] | None:
    if setter is None:
        return None
    return {
        "type": setter.policy.type,
        "name": setter.policy.resource.name,
        "entry": setter.entry,
        "value": setter.value,
    }


def _field_json(blamed: FieldBlame) -> dict[str, Any]:
    return {
        "path": path_text(blamed.path),
        "value": blamed.value,
        "winner": _setter_json(blamed.winner),
        "overridden": [_setter_json(s) for s in blamed.overridden],
        "appended": blamed.appended,
    }


def rule_json(rule: RuleExplanation) -> dict[str, Any]:
    return {
        "type": rule.type,
        "where": rule.where,
        "conf": rule.conf,
        "fields": [_field_json(f) for f in rule.fields],
        "mergeOrder": [
            {"type": c.policy.type, "name": c.policy.resource.name, "entry": c.entry}
            for c in rule.contributions
        ],
        "orderReasons": [
            {
                "before": s.before.resource.name,
                "after": s.after.resource.name,
                "key": s.key,
                "reason": s.reason,
            }
            for s in rule.order
        ],
    }


def why_json(why: WhyNot) -> dict[str, Any]:
    return {
        "type": why.policy.type,
        "name": why.policy.resource.name,
        "applies": why.applies,
        "reasons": list(why.reasons),
        "unreachedEntries": [{"entry": u.entry, "reason": u.reason} for u in why.unreached],
        "wins": [{"where": w, **_field_json(f)} for w, f in why.wins],
        "loses": [{"where": w, **_field_json(f)} for w, f in why.loses],
    }


def explain_json(
    dataplane: Dataplane,
    version: str,
    rules: Sequence[RuleExplanation],
    why: WhyNot | None,
) -> dict[str, Any]:
    """The whole `explain -o json` document."""
    out: dict[str, Any] = {
        "mesh": dataplane.resource.mesh,
        "dataplane": dataplane.resource.name,
        "kumaVersion": version,
        "rules": [rule_json(r) for r in rules],
    }
    if why is not None:
        out["policy"] = why_json(why)
    return out
