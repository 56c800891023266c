"""Merging policy confs the way Kuma's `merge.Confs` does (both 2.10.11 and HEAD).

A list of confs of one Go type, ordered from lowest to highest priority, becomes a
list of merged confs (one, except for MeshHTTPRoute, which gets one per hostname
group). Each conf is marshalled typed, the JSON documents are merged with RFC 7396
(later wins, `null` deletes, lists are replaced), and the result is unmarshalled into a
fresh value. Then `Append*` lists are concatenated across all confs, MeshHTTPRoute
rules with equal `matches` are merged, and its rules are put back in authored order.

Values are canonical JSON (see `kinds.gojson.canon`); inputs are never mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from meshtui.kinds.gojson import canon, merge_patch
from meshtui.kinds.gotypes import Field, List, Ptr, Struct

Canon = Callable[[Any, Struct], Any]


def merge_confs(confs: Sequence[Any], struct: Struct, *, canonical: Canon = canon) -> list[Any]:
    """Merge `confs` (low → high priority) of Go type `struct`.

    Args:
        confs: Conf values as JSON data (unknown keys and zero values allowed).
        struct: The Go type of the confs.
        canonical: `kinds.gojson.canon`, or a memoised equivalent for the input confs.

    Returns:
        The merged confs in canonical JSON; empty for no input. The results may share
        structure with memoised inputs: treat them as read-only.
    """
    if not confs:
        return []
    results = []
    for group in typed_groups(confs, struct, canonical=canonical):
        typed = [conf for _, conf in group]
        merged: Any = typed[0]
        for conf in typed[1:]:
            merged = merge_patch(merged, conf)
        result = canon(merged, struct)
        if _has_concatenated(struct):
            result = _concatenate_append_fields(result, typed, struct)
            result = _merge_by_key(result, struct)
        results.append(result)
    return results


def _has_concatenated(struct: Struct, seen: frozenset[int] = frozenset()) -> bool:
    """Whether an `Append*` or merge-by-key list is reachable through (pointer) structs."""
    cached: bool | None = struct._cache.get("concatenated")
    if cached is not None:
        return cached
    found = False
    for f in struct.flat_fields():
        inner = f.type.elem if isinstance(f.type, Ptr) else f.type
        if isinstance(inner, List) and _is_concatenated(f):
            found = True
        elif isinstance(inner, Struct) and id(inner) not in seen:
            found = _has_concatenated(inner, seen | {id(struct)})
        if found:
            break
    if not seen:
        struct._cache["concatenated"] = found
    return found


def typed_groups(
    confs: Sequence[Any], struct: Struct, *, canonical: Canon = canon
) -> list[list[tuple[int, Any]]]:
    """What `merge_confs` merges: the typed confs, one group per merged result (one group,
    except per hostname for MeshHTTPRoute), each with its position in `confs`."""
    return [
        [(i, canonical(conf, struct)) for i, conf in group]
        for group in _group_by_merge_values(confs, struct)
    ]


def _group_by_merge_values(confs: Sequence[Any], struct: Struct) -> list[list[tuple[int, Any]]]:
    """Split confs by the `mergeValues` field (MeshHTTPRoute `hostnames`), first-seen order."""
    key_field = _merge_values_field(struct)
    if key_field is None:
        return [list(enumerate(confs))]
    groups: dict[str, list[tuple[int, Any]]] = {}
    for i, conf in enumerate(confs):
        values = conf.get(key_field.json) if isinstance(conf, dict) else None
        keys = (
            [v for v in values if isinstance(v, str)]
            if isinstance(values, list) and values
            else [""]
        )
        for key in keys:
            copy_ = dict(conf) if isinstance(conf, dict) else {}
            if key:
                copy_[key_field.json] = [key]
            groups.setdefault(key, []).append((i, copy_))
    return list(groups.values())


def _merge_values_field(struct: Struct) -> Field | None:
    if "merge_values" not in struct._cache:
        found = next((f for f in struct.flat_fields() if f.policy_merge == "mergeValues"), None)
        struct._cache["merge_values"] = found
    field: Field | None = struct._cache["merge_values"]
    return field


def _is_concatenated(f: Field) -> bool:
    return f.appends or f.policy_merge == "mergeValuesByKey"


def _concatenate_append_fields(result: Any, confs: Sequence[Any], struct: Struct) -> Any:
    """Replace each `Append*` list (and the merge-by-key list) by all confs' lists, concatenated."""
    if not isinstance(result, dict):
        return result
    out = dict(result)
    for f in struct.flat_fields():
        pointer = isinstance(f.type, Ptr)
        inner = f.type.elem if isinstance(f.type, Ptr) else f.type
        if isinstance(inner, List) and _is_concatenated(f):
            if pointer and f.json not in out:
                continue  # a nil pointer stays nil
            items: list[Any] = []
            for conf in confs:
                value = conf.get(f.json) if isinstance(conf, dict) else None
                if isinstance(value, list):
                    items.extend(copy.deepcopy(value))
            if items:
                out[f.json] = items
            elif pointer or not f.omitempty:
                out[f.json] = None
            else:
                out.pop(f.json, None)
        elif isinstance(inner, Struct) and isinstance(out.get(f.json), dict):
            present = [
                conf[f.json]
                for conf in confs
                if isinstance(conf, dict) and isinstance(conf.get(f.json), dict)
            ]
            out[f.json] = _concatenate_append_fields(out[f.json], present, inner)
    return out


def _merge_by_key(result: Any, struct: Struct) -> Any:
    """MeshHTTPRoute: merge rules with deep-equal `matches`, then restore authored order."""
    if not isinstance(result, dict):
        return result
    for f in struct.flat_fields():
        if f.policy_merge != "mergeValuesByKey":
            continue
        inner = f.type.elem if isinstance(f.type, Ptr) else f.type
        assert isinstance(inner, List) and isinstance(inner.elem, Struct)
        rule_struct = inner.elem
        key_field = next(g for g in rule_struct.flat_fields() if "mergeKey" in g.policy_merge)
        default_field = next(g for g in rule_struct.flat_fields() if g.go_name == "Default")
        default_struct = (
            default_field.type.elem if isinstance(default_field.type, Ptr) else default_field.type
        )
        assert isinstance(default_struct, Struct)
        found = result.get(f.json)
        rules: list[Any] = found if isinstance(found, list) else []
        merged = _merge_rules(
            rules, key_field.json, default_field.json, default_struct, rule_struct
        )
        merged.reverse()
        out = dict(result)
        if merged:
            out[f.json] = merged
        elif f.omitempty:
            out.pop(f.json, None)
        else:
            out[f.json] = None
        return out
    return result


def _merge_rules(
    rules: Sequence[Any], key: str, default: str, default_struct: Struct, rule_struct: Struct
) -> list[Any]:
    groups: list[tuple[list[bool], Any, list[Any]]] = []
    for rule in rules:
        rule = rule if isinstance(rule, dict) else {}
        match_key = rule.get(key)
        defaults = [rule.get(default)]
        for skipped, group_key, group_defaults in groups:
            if not skipped[0] and group_key == match_key:
                defaults = group_defaults + defaults
                skipped[0] = True
        groups.append(([False], match_key, defaults))
    out = []
    for skipped, group_key, group_defaults in groups:
        if skipped[0]:
            continue
        for merged in merge_confs(group_defaults, default_struct):
            out.append(canon({key: group_key, default: merged}, rule_struct))
    return out
