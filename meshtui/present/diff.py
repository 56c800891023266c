"""`meshtui diff`'s text: how many proxies change, and per group of identical changes,
every changed rule with its fields old → new and the entry that now wins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from meshtui.engine.diff import DataplaneChange, FieldChange, MeshDiff, RuleChange
from meshtui.present.text import literal

SHOWN_NAMES = 5
"""Proxy names listed per group before `(+N more)`."""


def value_text(value: Any) -> str:
    """A conf value as one escaped line: strings as they are, the rest as JSON."""
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return literal(value)
    return literal(json.dumps(value, ensure_ascii=False))


def groups(changes: Sequence[DataplaneChange]) -> list[list[DataplaneChange]]:
    """Changes grouped when identical, in order of first appearance."""
    found: dict[str, list[DataplaneChange]] = {}
    for change in changes:
        found.setdefault(change.signature(), []).append(change)
    return list(found.values())


def _group_heading(group: Sequence[DataplaneChange]) -> str:
    names = [literal(c.dataplane) for c in group]
    namespaces = sorted({c.namespace for c in group})
    where = f" in ns {', '.join(literal(n) for n in namespaces)}" if namespaces != [""] else ""
    listed = ", ".join(names[:SHOWN_NAMES])
    if len(names) > SHOWN_NAMES:
        listed += f" (+{len(names) - SHOWN_NAMES} more)"
    count = f"{len(group)} dataplane{'s' if len(group) != 1 else ''}"
    return f"{count}{where}: {listed}"


def rule_heading(rule: RuleChange) -> str:
    """`MeshTimeout  outbound MeshService kuma-demo/demo-app  (changed)`, escaped."""
    return f"{rule.type}  {literal(rule.where)}  ({rule.change})"


def field_text(change: FieldChange) -> str:
    """`http.requestTimeout: 1s → 3s  (won by consumer-timeout.first-consumer to[0])`."""
    text = (
        f"{literal(change.path) or '(conf)'}: {value_text(change.old)} → {value_text(change.new)}"
    )
    if change.winner and change.new is not None:
        text += f"  (won by {literal(change.winner)})"
    return text


def _rule_lines(rule: RuleChange) -> list[str]:
    return [f"    {rule_heading(rule)}", *(f"      {field_text(f)}" for f in rule.fields)]


def diff_text(diffs: Sequence[MeshDiff], problems: Sequence[str]) -> str:
    """The whole text report."""
    lines: list[str] = []
    for diff in diffs:
        count = len(diff.changes)
        lines.append(
            f"mesh {literal(diff.mesh)}: {count} of {diff.total} dataplane"
            f"{'s' if diff.total != 1 else ''} change{'s' if count == 1 else ''}"
        )
        for name in diff.added:
            lines.append(f"  + dataplane {literal(name)} (new)")
        for name in diff.removed:
            lines.append(f"  - dataplane {literal(name)} (removed)")
        for policy, old, new in diff.role_changes:
            lines.append(f"  role of {literal(policy)}: {old} → {new}")
        for group in groups(diff.changes):
            lines.append(f"  {_group_heading(group)}")
            first = group[0]
            for rule in first.rules:
                lines += _rule_lines(rule)
            for name in first.started:
                lines.append(f"    now applies: {literal(name)}")
            for name in first.stopped:
                lines.append(f"    no longer applies: {literal(name)}")
    if problems:
        lines.append("load problems the change introduces:")
        lines += [f"  {literal(p)}" for p in problems]
    return "\n".join(lines) + "\n"
