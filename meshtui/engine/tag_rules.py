"""Kuma's legacy tag rules: a policy type's entries as tag subsets, partitioned. (Kuma 2.10-2.14)

`fromRules`, `toRules` and the single-item proxy rule of `_rules` are built from the
entries whose targetRef the tag model can hold (`Mesh`, `MeshSubset`, `MeshService`,
`MeshServiceSubset`; a top-level MeshHTTPRoute policy becomes one subset per route rule,
tagged with the hash of its matches). A `MeshGateway` or `MeshHTTPRoute` entry cannot be
represented: the side it is on fails (Kuma then reports it and drops that side).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.engine import subsets
from meshtui.engine.confs import ConfRef, Section, conf_ref
from meshtui.engine.index import MeshIndex
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import GoType, List, Ptr, Struct
from meshtui.kinds.schemas import schemas_for
from meshtui.model import SERVICE_TAG, Policy, PolicyItem, ResourceKey, TargetRef
from meshtui.versions import DEFAULT

RULE_MATCHES_HASH_TAG = "__rule-matches-hash__"
OLD_KINDS = frozenset(
    {"Mesh", "MeshSubset", "MeshServiceSubset", "MeshService", "MeshGateway", "MeshHTTPRoute"}
)
NOT_TAGS = ("MeshGateway", "MeshHTTPRoute")
"""Old kinds the legacy tag model cannot represent: an item of one fails its side."""

Item = tuple[Policy, PolicyItem, ConfRef]
"""A policy entry with its conf's reference (-1 on the plain path)."""

Merge = Callable[[Sequence[tuple[ConfRef, Any]]], list[Any]]
"""Merges confs (with their references) in order: one merged conf per resulting rule."""


@dataclass(frozen=True, slots=True)
class LegacyRule:
    """A 2.10 tag-subset rule: matchers, one merged conf, contributing policies."""

    subset: subsets.Subset
    conf: Any
    origins: tuple[Policy, ...]


class TagsError(ValueError):
    """A targetRef kind the legacy tag model cannot represent."""


def entry_ref(serial: int, section: Section, index: int) -> ConfRef:
    """The conf reference of an entry of the policy with this serial number (-1, for
    none, on the plain path)."""
    return conf_ref(serial, section, index) if serial >= 0 else -1


def to_items(
    pairs: Sequence[tuple[Policy, int]], index: MeshIndex, *, check: bool = True
) -> list[Item]:
    """The legacy to-items of the policies in `pairs` (merge order); `TagsError` when
    the legacy tag rules cannot be built (Kuma then reports it and drops every
    outbound rule of the type; `check=False`: only a missing route raises)."""
    skip_route_targets = index.version.to_route_items
    items: list[Item] = []
    for policy, position in pairs:
        if skip_route_targets and _targets_a_route(policy):
            continue  # S2: the legacy to-rules leave out every policy with `to: MeshHTTPRoute`
        if policy.target_ref.kind == "MeshHTTPRoute":
            items.extend(
                (p, item, entry_ref(position, Section.TO, item.index))
                for p, item in _route_items(policy, index)
            )
        else:
            items.extend(
                (policy, item, entry_ref(position, Section.TO, item.index)) for item in policy.to
            )
    error = legacy_error(items) if check else ""
    if error:
        raise TagsError(error)
    return items


def legacy_error(items: Sequence[Item]) -> str:
    """What `legacy_rules` would fail with on these items (the first one it cannot
    represent as tags), or ``""``."""
    for _, item, _ in items:
        ref = item.target_ref
        if ref is not None and ref.kind in NOT_TAGS:
            return f"can't represent {ref.kind} as tags"
    return ""


def legacy_to_items(ordered: Sequence[Policy], index: MeshIndex) -> list[tuple[Policy, PolicyItem]]:
    """The items the legacy to-rules are built from, in merge order (for `explain`).

    Raises:
        ValueError: A top-level MeshHTTPRoute policy whose route cannot be found.
    """
    items = to_items([(policy, -1) for policy in ordered], index, check=False)
    return [(policy, item) for policy, item, _ in items]


def legacy_subset_items(
    items: Sequence[tuple[Policy, PolicyItem]],
) -> list[tuple[Policy, PolicyItem, subsets.Subset]]:
    """The items the legacy tag model takes (old targetRef kinds), with their subsets.

    Raises:
        ValueError: A MeshGateway or MeshHTTPRoute item, which the tag model cannot hold.
    """
    out = []
    for policy, item in items:
        if item.target_ref is None or item.target_ref.kind not in OLD_KINDS:
            continue
        subset = target_subset(item.target_ref)
        if subset is not None:
            out.append((policy, item, subset))
    return out


def _targets_a_route(policy: Policy) -> bool:
    return any(item.target_ref and item.target_ref.kind == "MeshHTTPRoute" for item in policy.to)


def _route_items(policy: Policy, index: MeshIndex) -> list[tuple[Policy, PolicyItem]]:
    """§4.7: a top-level MeshHTTPRoute policy becomes one subset item per route rule."""
    route = _route_for(policy, index)
    if route is None:
        raise TagsError("can't resolve MeshHTTPRoute policy")
    out: list[tuple[Policy, PolicyItem]] = []
    raw_to = route.resource.spec.get("to")
    for route_item in raw_to if isinstance(raw_to, list) else []:
        ref = route_item.get("targetRef") if isinstance(route_item, Mapping) else None
        rules = route_item.get("rules") if isinstance(route_item, Mapping) else None
        for rule in rules if isinstance(rules, list) else []:
            digest = hash_matches(rule.get("matches") if isinstance(rule, Mapping) else None)
            if isinstance(ref, Mapping) and ref.get("kind") in ("Mesh", "MeshSubset"):
                target = TargetRef(kind="MeshSubset", tags={RULE_MATCHES_HASH_TAG: digest})
            else:
                name = str(ref.get("name", "")) if isinstance(ref, Mapping) else ""
                target = TargetRef(
                    kind="MeshServiceSubset", name=name, tags={RULE_MATCHES_HASH_TAG: digest}
                )
            for item in policy.to:
                out.append(
                    (policy, PolicyItem(target_ref=target, conf=item.conf, index=item.index))
                )
    return out


def _route_for(policy: Policy, index: MeshIndex) -> Policy | None:
    """2.10 `buildToList`: the **last** route (store order) of the mesh with that display name.

    Kuma loops over every MeshHTTPRoute of the mesh context (shadow ones too, nothing is
    filtered there) and keeps overwriting its pick, so with two routes sharing a display
    name (two namespaces) the last one wins here, while matching took the first.
    """
    found = None
    for route in index.policies_of("MeshHTTPRoute", include_shadow=True):
        if route.resource.display_name == policy.target_ref.name:
            found = route
    return found


def target_subset(ref: TargetRef | None) -> subsets.Subset | None:
    """The tags a legacy targetRef stands for; `None` for kinds the tag model skips."""
    if ref is None:
        return None
    kind = ref.kind
    if kind == "Mesh":
        return ()
    if kind == "MeshSubset":
        return tuple(subsets.Tag(k, v) for k, v in sorted((ref.tags or {}).items()))
    if kind == "MeshService":
        return (subsets.Tag(SERVICE_TAG, ref.name),)
    if kind == "MeshServiceSubset":
        # Kuma appends the tags to the service tag: a `kuma.io/service` entry in `tags`
        # is a second tag of that key (a contradiction, or a duplicate), never an override.
        extra = (subsets.Tag(k, v) for k, v in (ref.tags or {}).items())
        return tuple(sorted((subsets.Tag(SERVICE_TAG, ref.name), *extra)))
    if kind in NOT_TAGS:
        raise TagsError(f"can't represent {kind} as tags")
    return None


def legacy_rules(items: Sequence[Item], merge: Merge, *, negations: bool) -> list[LegacyRule]:
    """The legacy partition of `items` (merge order); `legacy_error` says beforehand
    whether it fails."""
    policies: dict[ResourceKey, Policy] = {}
    subset_items = []
    for policy, item, ref in items:
        if item.target_ref is None or item.target_ref.kind not in OLD_KINDS:
            continue
        subset = target_subset(item.target_ref)
        if subset is None:
            continue
        policies.setdefault(policy.key, policy)
        subset_items.append(
            subsets.SubsetItem(subset=subset, conf=(ref, item.conf), origin=policy.key)
        )
    if not subset_items:
        return []
    built = subsets.build_rules(
        subset_items,
        negations=negations,
        merge=merge,  # type: ignore[arg-type]
    )
    return [
        LegacyRule(
            rule.subset,
            rule.conf,
            tuple(policies[o] for o in rule.origins if isinstance(o, ResourceKey)),
        )
        for rule in built
    ]


# ---------------------------------------------------------------------------------------
# MeshHTTPRoute match hashes


def _matches_type() -> GoType:
    """The Go type of MeshHTTPRoute `rules[].matches` (`[]Match`)."""
    rules = schemas_for(DEFAULT).conf("MeshHTTPRoute").field("rules")
    assert rules is not None
    rules_type = rules.type.elem if isinstance(rules.type, Ptr) else rules.type
    assert isinstance(rules_type, List) and isinstance(rules_type.elem, Struct)
    matches = rules_type.elem.field("matches")
    assert matches is not None
    return matches.type


def hash_matches(matches: Any) -> str:
    """`HashMatches`: base64(sha256(Go JSON of the typed `[]Match`))."""
    typed = canon(matches, _matches_type())
    text = json.dumps(typed, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
