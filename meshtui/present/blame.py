"""Blame in the rules tree: each leaf of a merged conf says which policy entry set it.

A conf is drawn as YAML, one node a line (as `nodes.conf_nodes` draws it); here each line
that starts a blamed leaf also names the winning entry and jumps to its policy:
`requestTimeout: 3s  ← consumer-timeout to[0] · overrides 1s`.

The blame comes from the engine (`engine.explain`), computed from the same merge as the
conf, one rule at a time and only for the rules the tree draws (`RuleBlame`): a proxy of
a big mesh has hundreds of folded outbounds that are never blamed unless opened. Built in
the detail worker, never on the UI thread. Text from resources goes through `literal`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from meshtui.engine.explain import (
    FieldBlame,
    RuleExplanation,
    explain_inbound,
    explain_legacy_from,
    explain_legacy_to,
    explain_proxy,
    explain_resource,
)
from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import Listener
from meshtui.engine.resource_rules import ResourceRule
from meshtui.engine.rules import TypeRules
from meshtui.present.nodes import conf_nodes
from meshtui.present.tables import row_key
from meshtui.present.text import literal, scalar
from meshtui.views import DetailNode

Path = tuple[str | int, ...]
Blames = tuple[tuple[FieldBlame, ...], ...]
"""The blamed fields of each conf of one rule (most rules have one conf)."""
BlameOf = Callable[[], Blames]
"""Computes a rule's blame when its lines are drawn (not when they come from the cache)."""


def path_lines(value: Any, indent: int = 0, path: Path = ()) -> list[tuple[str, tuple[Path, ...]]]:
    """`text.yaml_lines(value)`, each line with the paths of the values that start on it.

    `requestTimeout: 3s` starts `(…, "requestTimeout")`; `- name: a` starts the list item
    `(…, 0)` and its first key `(…, 0, "name")`. The lines are exactly `yaml_lines`'
    (checked by a test), so a blamed path finds the line the tree draws.
    """
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [(pad + "{}", (path,))]
        out: list[tuple[str, tuple[Path, ...]]] = []
        for key, item in value.items():
            out.extend(_entry(pad + scalar(str(key)) + ":", item, indent, (*path, key)))
        return out
    if isinstance(value, list):
        if not value:
            return [(pad + "[]", (path,))]
        out = []
        for i, item in enumerate(value):
            at = (*path, i)
            (first, starts), *rest = path_lines(item, indent + 2, at)
            out.append((pad + "- " + first[indent + 2 :], (at, *(s for s in starts if s != at))))
            out.extend(rest)
        return out
    return [(pad + scalar(value), (path,))]


def _entry(head: str, item: Any, indent: int, path: Path) -> list[tuple[str, tuple[Path, ...]]]:
    if isinstance(item, dict) and item:
        return [(head, (path,)), *path_lines(item, indent + 2, path)]
    if isinstance(item, list) and item:
        return [(head, (path,)), *path_lines(item, indent, path)]
    return [(head + " " + path_lines(item)[0][0].strip(), (path,))]


def value_text(value: Any) -> str:
    """A blamed value on one line: a YAML scalar, or JSON for a list or an object."""
    if isinstance(value, dict | list):
        return literal(json.dumps(value, ensure_ascii=False))
    return scalar(value)


def winner_note(blamed: FieldBlame) -> str:
    """`  ← consumer-timeout to[0] · overrides 1s`, or ``""`` when no entry set it."""
    winner = blamed.winner
    if winner is None:
        return ""
    note = f"  ← {literal(winner.policy.resource.display_name)} {winner.entry}"
    if len(blamed.overridden) == 1:
        note += f" · overrides {value_text(blamed.overridden[0].value)}"
    elif blamed.overridden:
        note += f" · overrides {len(blamed.overridden)} values"
    return note


def blamed_conf_nodes(
    node_id: str, conf: Any, fields: Sequence[FieldBlame]
) -> tuple[DetailNode, ...]:
    """`conf_nodes(node_id, conf)` with each blamed leaf's line naming the winning entry
    and jumping to its policy (`enter`). Node ids are `conf_nodes`' own."""
    if conf in ({}, None) or not fields:
        return conf_nodes(node_id, conf)
    by_path = {f.path: f for f in fields}
    nodes = []
    for i, (line, starts) in enumerate(path_lines(conf)):
        blamed = next((by_path[p] for p in starts if p in by_path), None)
        if blamed is None or blamed.winner is None:
            nodes.append(DetailNode(f"{node_id}/l{i}", literal(line)))
            continue
        nodes.append(
            DetailNode(
                f"{node_id}/l{i}",
                literal(line) + winner_note(blamed),
                target=row_key(blamed.winner.policy.resource),
            )
        )
    return tuple(nodes)


def _fields(explanations: Sequence[RuleExplanation]) -> Blames:
    return tuple(e.fields for e in explanations)


class RuleBlame:
    """The blame of the rules of one dataplane, asked rule by rule while its tree is drawn.

    Legacy tag rules are explained a section at a time (the engine matches every rule's
    subset against the same items) and remembered for the rest of the build.
    """

    def __init__(self, index: MeshIndex) -> None:
        self.index = index
        self._legacy: dict[tuple[str, Listener | None], list[RuleExplanation]] = {}

    @property
    def version(self) -> object:
        """What blame depends on besides the rule (the schemas merged by), for cache keys."""
        return self.index.version

    def proxy(self, rules: TypeRules) -> BlameOf:
        return lambda: _fields(explain_proxy(self.index, rules))

    def inbound(self, rules: TypeRules, listener: Listener, position: int) -> BlameOf:
        return lambda: _fields(explain_inbound(self.index, rules, listener, position))

    def resource(self, rules: TypeRules, rule: ResourceRule) -> BlameOf:
        return lambda: _fields(explain_resource(self.index, rules, rule))

    def legacy(self, rules: TypeRules, listener: Listener | None, position: int) -> BlameOf:
        """A legacy tag rule: of `to` (`listener` None) or of one inbound's `from`."""
        return lambda: _fields(self.legacy_rule(rules, listener, position))

    def legacy_rule(
        self, rules: TypeRules, listener: Listener | None, position: int
    ) -> list[RuleExplanation]:
        """The explanation of one legacy tag rule (its section's are computed once)."""
        key = (rules.type, listener)
        if key not in self._legacy:
            self._legacy[key] = (
                explain_legacy_to(self.index, rules)
                if listener is None
                else explain_legacy_from(self.index, rules, listener)
            )
        return self._legacy[key][position : position + 1]


def conf_lines(node_id: str, confs: Sequence[Any], blames: Blames) -> list[DetailNode]:
    """The lines of a rule's confs, blamed (`conf i of n:` before each when several)."""
    out: list[DetailNode] = []
    for i, conf in enumerate(confs):
        if len(confs) > 1:
            out.append(
                DetailNode(f"{node_id}/c{i}", f"conf {i + 1} of {len(confs)}:", style="muted")
            )
        fields = blames[i] if i < len(blames) else ()
        out.extend(blamed_conf_nodes(f"{node_id}/c{i}", conf, fields))
    return out
