"""What a change of resources does to every proxy's merged rules (what-if and diff).

`diff_meshes(before, after)` compares two indexes of one mesh and returns, per proxy whose
rules differ, every changed rule (policy type and place: proxy, inbound, outbound
destination, tag rule) with its changed fields old → new, the entry that now wins each
one, an RFC 6902 JSON Patch of the rule, and the policies that start or stop applying.

Only what a change can touch is recomputed: a policy type's rules for a proxy depend on
that proxy, that type's policies, and the mesh context (the Mesh, services, gateways and
MeshHTTPRoutes); so an unchanged proxy is re-evaluated only for the policy types whose
policies changed, unless the context changed, and then for every type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshtui.engine.explain import (
    explain_rules,
    inbound_place,
    resource_words,
    subset_words,
)
from meshtui.engine.index import MeshIndex
from meshtui.engine.matching import select_gateway
from meshtui.engine.memo import RuleCache
from meshtui.engine.rules import TypeRules, type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.model import Dataplane, Policy

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


def rule_places(rules: TypeRules, index: MeshIndex) -> dict[str, Any]:
    """Every merged rule of one type on one proxy, by place (the `where` of `explain`)."""
    out: dict[str, Any] = {}
    if rules.single_rules:
        out["proxy"] = rules.single_rules[0].conf
    for listener, inbound_rules in sorted(
        rules.inbound_rules.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        for i, rule in enumerate(inbound_rules):
            where = inbound_place(listener, rule, i, len(inbound_rules))
            out[where] = rule.confs[0] if len(rule.confs) == 1 else list(rule.confs)
    for resource_rule in rules.resource_rules:
        where = resource_words(resource_rule.resource, resource_rule.section)
        out[where] = (
            resource_rule.confs[0] if len(resource_rule.confs) == 1 else list(resource_rule.confs)
        )
    for legacy in rules.to_rules:
        out[f"to-tags [{subset_words(legacy.subset)}]"] = legacy.conf
    for listener, legacy_rules in rules.from_rules.items():
        for legacy in legacy_rules:
            where = f"from-tags {listener[0]}:{listener[1]} [{subset_words(legacy.subset)}]"
            out[where] = legacy.conf
    return out


def changed_types(before: MeshIndex, after: MeshIndex) -> frozenset[str]:
    """Policy types whose rules can differ on an unchanged proxy."""
    context_changed = (
        _resource_key(before.mesh) != _resource_key(after.mesh)
        or _services(before) != _services(after)
        or [g for g in before.gateways] != [g for g in after.gateways]
        or _policies(before, "MeshHTTPRoute") != _policies(after, "MeshHTTPRoute")
    )
    if context_changed:
        return frozenset(POLICY_KINDS)
    return frozenset(
        kind for kind in POLICY_KINDS if _policies(before, kind) != _policies(after, kind)
    )


def _resource_key(resource: Any) -> Any:
    return None if resource is None else (resource.key, resource.labels, resource.spec)


def _services(index: MeshIndex) -> list[Any]:
    return [_resource_key(r) for kind in sorted(index.services) for r in index.services[kind]]


def _policies(index: MeshIndex, kind: str) -> list[Any]:
    return [_resource_key(p.resource) for p in index.policies_of(kind, include_shadow=True)]


def diff_meshes(
    before: MeshIndex,
    after: MeshIndex,
    *,
    dataplanes: Sequence[str] = (),
    caches: tuple[RuleCache, RuleCache] | None = None,
) -> MeshDiff:
    """Every proxy whose merged rules (or matched policies) differ between the indexes.

    Args:
        dataplanes: Only these proxies (all of them when empty).
        caches: Memo tables of `before` and `after`, for calls on the same indexes (one
            proxy batch after another) to share.
    """
    types = changed_types(before, after)
    names = sorted(set(before.dataplanes) | set(after.dataplanes))
    if dataplanes:
        wanted = set(dataplanes)
        names = [n for n in names if n in wanted]
    changes: list[DataplaneChange] = []
    caches = caches or (RuleCache(), RuleCache())  # one per index, shared by its proxies
    for name in names:
        old, new = before.dataplanes.get(name), after.dataplanes.get(name)
        if old is None or new is None:
            continue
        same_proxy = _resource_key(old.resource) == _resource_key(new.resource)
        kinds = types if same_proxy else frozenset(POLICY_KINDS)
        change = _dataplane_change(before, after, old, new, kinds, caches)
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
    before: MeshIndex,
    after: MeshIndex,
    old: Dataplane,
    new: Dataplane,
    kinds: frozenset[str],
    caches: tuple[RuleCache, RuleCache],
) -> DataplaneChange:
    old_gateway, new_gateway = select_gateway(before, old), select_gateway(after, new)
    rules: list[RuleChange] = []
    started: list[str] = []
    stopped: list[str] = []
    for kind in POLICY_KINDS:
        if kind not in kinds:
            continue
        was = type_rules(before, old, kind, gateway=old_gateway, cache=caches[0])
        now = type_rules(after, new, kind, gateway=new_gateway, cache=caches[1])
        was_names = {_policy_name(p) for p in was.matched}
        now_names = {_policy_name(p) for p in now.matched}
        started.extend(sorted(now_names - was_names))
        stopped.extend(sorted(was_names - now_names))
        old_places, new_places = rule_places(was, before), rule_places(now, after)
        if old_places == new_places:
            continue
        winners = _winners(after, new, now)
        for where in [*old_places, *(w for w in new_places if w not in old_places)]:
            a, b = old_places.get(where), new_places.get(where)
            if a == b:
                continue
            change = (
                "added"
                if where not in old_places
                else "removed"
                if where not in new_places
                else "changed"
            )
            rules.append(
                RuleChange(
                    kind,
                    where,
                    change,
                    tuple(_field_changes(a, b, winners.get(where, {}))),
                    tuple(json_patch(a, b)),
                )
            )
    namespace = new.resource.namespace
    return DataplaneChange(
        new.resource.name, namespace, tuple(rules), tuple(started), tuple(stopped)
    )


def _policy_name(policy: Policy) -> str:
    return f"{policy.type} {policy.resource.name}"


def _winners(index: MeshIndex, dataplane: Dataplane, rules: TypeRules) -> dict[str, dict[str, str]]:
    """For each place, each leaf path's winning entry (from `explain`'s blame)."""
    out: dict[str, dict[str, str]] = {}
    for explanation in explain_rules(index, dataplane, rules):
        out[explanation.where] = {
            path_key(f.path): f"{f.winner.policy.resource.name} {f.winner.entry}"
            for f in explanation.fields
            if f.winner is not None
        }
    return out


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
