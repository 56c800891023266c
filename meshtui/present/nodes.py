"""Detail lines every tree uses: who a policy is, a conf as YAML, an origin, a folded section.

Pure. Labels are made safe here (`literal`), once, from the strings they show.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from meshtui.kinds import policy_info
from meshtui.model import Policy, Resource
from meshtui.present.cache import Cache
from meshtui.present.tables import namespace_label, row_key
from meshtui.present.text import literal, yaml_lines, yaml_text
from meshtui.views import Copyable, DetailNode, ResourceRow

Who = tuple[str, str, str, str, str]
"""What `who` draws from: display name, namespace, role, origin, zone."""

_WHO: Cache[Who, str] = Cache("who lines", limit=50_000)


def type_label(policy_type: str) -> str:
    """A policy type as a heading; a generic kind (no schema, merged as plain JSON) says so."""
    info = policy_info(policy_type)
    return f"{policy_type} (generic)" if info is not None and info.generic else policy_type


def who(resource: Resource) -> str:
    """`name (namespace · role · zone z)` for an origin line."""
    key = (
        resource.display_name,
        namespace_label(resource),
        resource.role,
        resource.origin,
        resource.zone,
    )
    return _WHO.get(key, lambda: _who(*key))


def _who(name: str, namespace: str, role: str, origin: str, zone: str) -> str:
    parts = [namespace, role]
    if origin == "global":
        parts.append("global")
    elif zone:
        parts.append(f"zone {zone}")
    return f"{literal(name)} ({' · '.join(literal(p) for p in parts)})"


def conf_key(conf: Any) -> str:
    """A conf as a cache key: its JSON text, keys in the order they are drawn in."""
    return json.dumps(conf, default=repr, ensure_ascii=False)


def conf_nodes(node_id: str, conf: Any) -> tuple[DetailNode, ...]:
    """A conf as YAML, one line a node (`{}  (nothing set)` for an empty one)."""
    lines = yaml_lines(conf) if conf not in ({}, None) else ["{}  (nothing set)"]
    return tuple(DetailNode(f"{node_id}/l{i}", literal(line)) for i, line in enumerate(lines))


def confs_nodes(node_id: str, confs: Sequence[Any]) -> list[DetailNode]:
    """Confs as YAML, each headed `conf i of n:` when Kuma keeps several (one per hostname)."""
    lines: list[DetailNode] = []
    for i, conf in enumerate(confs):
        if len(confs) > 1:
            lines.append(
                DetailNode(f"{node_id}/c{i}", f"conf {i + 1} of {len(confs)}:", style="muted")
            )
        lines.extend(conf_nodes(f"{node_id}/c{i}", conf))
    return lines


def conf_copy(what: str, confs: Sequence[Any]) -> Copyable:
    """`c` on a rule: its conf as YAML (the list, when Kuma keeps several confs)."""
    body = confs[0] if len(confs) == 1 else list(confs)
    return Copyable(literal(f"{what} as YAML"), yaml_text(body))


def policy_node(node_id: str, policy: Policy, suffix: str = "") -> DetailNode:
    """`← MeshTimeout name (namespace · role)` plus `suffix`, jumping to the policy."""
    return DetailNode(
        f"{node_id}/p:{policy.key.name}",
        f"← {policy.type} {who(policy.resource)}{suffix}",
        target=row_key(policy.resource),
    )


def folded(
    node_id: str,
    label: str,
    lines: Callable[[], tuple[DetailNode, ...]],
    *,
    opened: frozenset[str],
    style: str = "",
    target: ResourceRow | None = None,
) -> DetailNode:
    """A section that starts folded: `lines()` runs only once the user has opened it."""
    if node_id in opened:
        return DetailNode(node_id, label, lines(), target=target, style=style)
    return DetailNode(node_id, label, target=target, style=style, expanded=False, lazy=True)
