"""What a change of resources does to every proxy's merged rules (what-if and diff).

`diff_meshes(before, after)` compares two indexes of one mesh and returns, per proxy whose
rules differ, every changed rule (policy type and place: proxy, inbound, outbound
destination, tag rule) with its changed fields old → new, the entry that now wins each
one, an RFC 6902 JSON Patch of the rule, and the policies that start or stop applying.

Only what a change can touch is recomputed: the evaluation of `after` follows the one of
`before` (`MeshEvaluation.following`), and `evaluation.changed_types` names the proxies and
policy types whose rules differ; winners are explained once per changed rule object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from meshtui.engine.evaluation import MeshEvaluation, changed_types
from meshtui.engine.explain import (
    RuleExplanation,
    explain_inbound,
    explain_legacy_from,
    explain_legacy_to,
    explain_proxy,
    explain_resource,
    inbound_place,
    resource_words,
    subset_words,
)
from meshtui.engine.index import MeshIndex
from meshtui.engine.rules import TypeRules
from meshtui.model import Policy

Place = tuple[str, str]
"""(policy type, where): `("MeshTimeout", "outbound MeshService demo/backend :http")`."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One leaf that changed: its path, old and new values (`None`: absent), new winner."""

    path: str
    old: Any
    new: Any
    winner: str = ""
    """`<policy store name> <entry>` of the entry whose value is now final ("" if removed)."""


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule that appeared, disappeared or changed on one proxy."""

    type: str
    where: str
    change: str
    """`added`, `removed` or `changed`."""
    fields: tuple[FieldChange, ...]
    patch: tuple[dict[str, Any], ...]
    """RFC 6902 operations turning the old conf into the new one."""


@dataclass(frozen=True, slots=True)
class DataplaneChange:
    """Everything that changed for one proxy."""

    dataplane: str
    namespace: str
    rules: tuple[RuleChange, ...] = ()
    started: tuple[str, ...] = ()
    """`Type name` of the policies that now apply and did not before."""
    stopped: tuple[str, ...] = ()

    def signature(self) -> str:
        """The change without the proxy's name, to group identical changes."""
        return json.dumps(
            {
                "rules": [_rule_json(r) for r in self.rules],
                "started": self.started,
                "stopped": self.stopped,
            },
            sort_keys=True,
            default=str,
        )


@dataclass(frozen=True, slots=True)
class MeshDiff:
    """The diff of one mesh."""

    mesh: str
    total: int
    """Proxies of the mesh after the change (or before, for those removed)."""
    changes: tuple[DataplaneChange, ...] = ()
    added: tuple[str, ...] = ()
    """Proxies that exist only after the change."""
    removed: tuple[str, ...] = ()
    role_changes: tuple[tuple[str, str, str], ...] = field(default=())
    """(policy, old role, new role) for policies whose role label changed."""


Explainer = Callable[[], list[RuleExplanation]]


def rule_places(rules: TypeRules, index: MeshIndex) -> dict[str, Any]:
    """Every merged rule of one type on one proxy, by place (the `where` of `explain`)."""
    return {
        where: conf
        for _, places in _sections(rules, index)
        for where, (conf, _, _) in places().items()
    }


Places = dict[str, tuple[Any, object, Explainer]]
"""Each place's conf, the rule object it comes from, and how to explain it."""


def _sections(
    rules: TypeRules, index: MeshIndex
) -> list[tuple[object | None, Callable[[], Places]]]:
    """The places of one type on one proxy in sections, each with the object its places
    are read from when proxies share it (their outbound and legacy `to` rules), else `None`."""
    return [
        (None, partial(_proxy_places, rules, index)),
        (rules.resource_rules, partial(_resource_places, rules, index)),
        (rules.to_rules, partial(_to_places, rules, index)),
        (None, partial(_from_places, rules, index)),
    ]


def _proxy_places(rules: TypeRules, index: MeshIndex) -> Places:
    out: Places = {}
    if rules.single_rules:
        single = rules.single_rules[0]
        out["proxy"] = (single.conf, single, partial(explain_proxy, index, rules))
    for listener, inbound_rules in sorted(
        rules.inbound_rules.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        for i, rule in enumerate(inbound_rules):
            where = inbound_place(listener, rule, i, len(inbound_rules))
            conf = rule.confs[0] if len(rule.confs) == 1 else list(rule.confs)
            out[where] = (conf, rule, partial(explain_inbound, index, rules, listener, i))
    return out


def _resource_places(rules: TypeRules, index: MeshIndex) -> Places:
    out: Places = {}
    for resource_rule in rules.resource_rules:
        where = resource_words(resource_rule.resource, resource_rule.section)
        confs = resource_rule.confs
        conf = confs[0] if len(confs) == 1 else list(confs)
        out[where] = (conf, resource_rule, partial(explain_resource, index, rules, resource_rule))
    return out


def _to_places(rules: TypeRules, index: MeshIndex) -> Places:
    out: Places = {}
    for i, legacy in enumerate(rules.to_rules):
        explain = partial(explain_legacy_to, index, rules, i)
        out[f"to-tags [{subset_words(legacy.subset)}]"] = (legacy.conf, legacy, explain)
    return out


def _from_places(rules: TypeRules, index: MeshIndex) -> Places:
    out: Places = {}
    for listener, legacy_rules in rules.from_rules.items():
        for i, legacy in enumerate(legacy_rules):
            where = f"from-tags {listener[0]}:{listener[1]} [{subset_words(legacy.subset)}]"
            explain = partial(explain_legacy_from, index, rules, listener, i)
            out[where] = (legacy.conf, legacy, explain)
    return out


def evaluations(before: MeshIndex, after: MeshIndex) -> tuple[MeshEvaluation, MeshEvaluation]:
    """The two evaluations a diff compares; the second follows the first (it reuses what a
    change cannot touch)."""
    old = MeshEvaluation(before)
    return old, MeshEvaluation.following(old, after)


def diff_meshes(
    before: MeshIndex,
    after: MeshIndex,
    *,
    dataplanes: Sequence[str] = (),
    evaluated: tuple[MeshEvaluation, MeshEvaluation] | None = None,
    changed: Mapping[str, tuple[str, ...]] | None = None,
) -> MeshDiff:
    """Every proxy whose merged rules differ between the indexes.

    Args:
        dataplanes: Only these proxies (all of them when empty).
        evaluated: The evaluations of `before` and `after` (`evaluations`), for calls on the
            same indexes (one proxy batch after another) to share.
        changed: `evaluation.changed_types` of those evaluations, computed once.
    """
    old_ev, new_ev = evaluated or evaluations(before, after)
    if changed is None:
        changed = changed_types(old_ev, new_ev)
    wanted = set(dataplanes)
    names = sorted(set(before.dataplanes) | set(after.dataplanes))
    if wanted:
        names = [n for n in names if n in wanted]
    shared = _Shared()
    changes: list[DataplaneChange] = []
    for name in names:
        kinds = changed.get(name)
        if not kinds or name not in before.dataplanes or name not in after.dataplanes:
            continue
        change = _dataplane_change(old_ev, new_ev, name, kinds, shared)
        if change.rules or change.started or change.stopped:
            changes.append(change)
    return MeshDiff(
        mesh=after.mesh_name,
        total=len(set(before.dataplanes) | set(after.dataplanes)),
        changes=tuple(changes),
        added=tuple(n for n in names if n not in before.dataplanes),
        removed=tuple(n for n in names if n not in after.dataplanes),
        role_changes=tuple(_role_changes(before, after)),
    )


def _role_changes(before: MeshIndex, after: MeshIndex) -> Iterator[tuple[str, str, str]]:
    old = {p.key: p.resource.role for p in before.all_policies()}
    for policy in after.all_policies():
        role = old.get(policy.key)
        if role is not None and role != policy.resource.role:
            yield (f"{policy.type} {policy.resource.name}", role, policy.resource.role)


def _dataplane_change(
    old_ev: MeshEvaluation,
    new_ev: MeshEvaluation,
    name: str,
    kinds: Sequence[str],
    shared: _Shared,
) -> DataplaneChange:
    rules: list[RuleChange] = []
    started: list[str] = []
    stopped: list[str] = []
    for kind in kinds:
        was = old_ev.rules_of_type(name, kind)
        now = new_ev.rules_of_type(name, kind)
        if was is None or now is None:
            continue
        was_names, now_names = shared.names(was.matched), shared.names(now.matched)
        started.extend(sorted(now_names - was_names))
        stopped.extend(sorted(was_names - now_names))
        sections = zip(_sections(was, old_ev.index), _sections(now, new_ev.index), strict=True)
        for (old_key, old_places), (new_key, new_places) in sections:
            if old_key is None or new_key is None:
                rules.extend(_rule_changes(kind, old_places(), new_places(), shared))
            elif old_key is not new_key:
                rules.extend(shared.compared(kind, old_key, new_key, old_places, new_places))
    dataplane = new_ev.index.dataplanes[name]
    return DataplaneChange(
        name, dataplane.resource.namespace, tuple(rules), tuple(started), tuple(stopped)
    )


def _rule_changes(
    kind: str, old_places: Places, new_places: Places, shared: _Shared
) -> Iterator[RuleChange]:
    for where in [*old_places, *(w for w in new_places if w not in old_places)]:
        a = old_places[where][0] if where in old_places else None
        b = new_places[where][0] if where in new_places else None
        if a == b:
            continue
        change = (
            "added"
            if where not in old_places
            else "removed"
            if where not in new_places
            else "changed"
        )
        won = shared.winners(new_places[where]) if where in new_places else {}
        yield RuleChange(
            kind, where, change, tuple(_field_changes(a, b, won)), tuple(json_patch(a, b))
        )


def _policy_name(policy: Policy) -> str:
    return f"{policy.type} {policy.resource.name}"


class _Shared:
    """What proxies of one diff share, computed once: the rule changes of a section both
    sides share with other proxies (their outbound and legacy `to` rules), each changed
    rule's winning entries by leaf path (explained once per rule object), and the names of
    a set of matched policies. Keys are object identities, kept alive with the entry."""

    def __init__(self) -> None:
        self._winners: dict[int, tuple[object, dict[str, str]]] = {}
        self._compared: dict[tuple[int, int], tuple[object, object, tuple[RuleChange, ...]]] = {}
        self._names: dict[int, tuple[object, frozenset[str]]] = {}

    def names(self, matched: Sequence[Policy]) -> frozenset[str]:
        hit = self._names.get(id(matched))
        if hit is not None and hit[0] is matched:
            return hit[1]
        found = frozenset(_policy_name(p) for p in matched)
        self._names[id(matched)] = (matched, found)
        return found

    def compared(
        self,
        kind: str,
        old_key: object,
        new_key: object,
        old_places: Callable[[], Places],
        new_places: Callable[[], Places],
    ) -> tuple[RuleChange, ...]:
        hit = self._compared.get((id(old_key), id(new_key)))
        if hit is not None and hit[0] is old_key and hit[1] is new_key:
            return hit[2]
        found = tuple(_rule_changes(kind, old_places(), new_places(), self))
        self._compared[(id(old_key), id(new_key))] = (old_key, new_key, found)
        return found

    def winners(self, place: tuple[Any, object, Explainer]) -> dict[str, str]:
        _, rule, explain = place
        hit = self._winners.get(id(rule))
        if hit is not None and hit[0] is rule:
            return hit[1]
        found = {
            path_key(f.path): f"{f.winner.policy.resource.name} {f.winner.entry}"
            for explanation in explain()
            for f in explanation.fields
            if f.winner is not None
        }
        self._winners[id(rule)] = (rule, found)
        return found


def path_key(path: Sequence[str | int]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_leaves(child, f"{path}.{key}" if path else str(key)))
        return out
    return {path: value}


def _field_changes(old: Any, new: Any, winners: Mapping[str, str]) -> Iterator[FieldChange]:
    a = _leaves(old) if old is not None else {}
    b = _leaves(new) if new is not None else {}
    for path in [*a, *(p for p in b if p not in a)]:
        if a.get(path) != b.get(path) or (path in a) != (path in b):
            yield FieldChange(path, a.get(path), b.get(path), _winner_of(path, winners))


def _winner_of(path: str, winners: Mapping[str, str]) -> str:
    if path in winners:
        return winners[path]
    prefix = path + "["
    return next((w for p, w in winners.items() if p.startswith(prefix)), "")


def json_patch(old: Any, new: Any, path: str = "") -> Iterator[dict[str, Any]]:
    """RFC 6902 operations from `old` to `new` (objects key by key, anything else whole)."""
    if old == new:
        return
    if old is None:
        yield {"op": "add", "path": path or "", "value": new}
        return
    if new is None:
        yield {"op": "remove", "path": path or ""}
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in old:
            pointer = f"{path}/{_escape(str(key))}"
            if key not in new:
                yield {"op": "remove", "path": pointer}
            else:
                yield from json_patch(old[key], new[key], pointer)
        for key in new:
            if key not in old:
                yield {"op": "add", "path": f"{path}/{_escape(str(key))}", "value": new[key]}
        return
    yield {"op": "replace", "path": path or "", "value": new}


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _rule_json(rule: RuleChange) -> dict[str, Any]:
    return {
        "type": rule.type,
        "where": rule.where,
        "change": rule.change,
        "fields": [
            {"path": f.path, "old": f.old, "new": f.new, "winner": f.winner} for f in rule.fields
        ],
        "patch": list(rule.patch),
    }


def diff_json(diff: MeshDiff) -> dict[str, Any]:
    """The `diff -o json` document of one mesh."""
    return {
        "mesh": diff.mesh,
        "dataplanes": diff.total,
        "changed": len(diff.changes),
        "added": list(diff.added),
        "removed": list(diff.removed),
        "roleChanges": [{"policy": p, "old": old, "new": new} for p, old, new in diff.role_changes],
        "changes": [
            {
                "dataplane": c.dataplane,
                "namespace": c.namespace,
                "rules": [_rule_json(r) for r in c.rules],
                "startedApplying": list(c.started),
                "stoppedApplying": list(c.stopped),
            }
            for c in diff.changes
        ],
    }
