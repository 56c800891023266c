"""JSON as Go's `encoding/json` sees it through a typed struct, plus CRD defaulting and checks.

Three jobs, all driven by the `gotypes` description of a struct:

- `canon`: what `json.Marshal(json.Unmarshal(value))` yields for a Go type: unknown keys
  dropped, `null` turned into the zero value, `omitempty` fields left out when empty,
  other zero values spelled out (`null`, `0`, `false`, `""`), durations in Go form.
- `apply_defaults`: Kubernetes structural defaulting from the CRD `default:` values.
- `check`: the type, enum, required and duration errors the API server would report,
  each with the JSON path of the offending field.

Values are plain JSON-like Python data (dict, list, str, int, float, bool, None). No
function here mutates its argument.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from meshtui.kinds.durations import DurationError, canonical_duration
from meshtui.kinds.gotypes import NO_DEFAULT, Field, GoType, List, Map, Ptr, Scalar, Struct

JSONValue = Any
"""A JSON-compatible Python value."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: where it is and what is wrong."""

    path: str
    """JSONPath-like location, e.g. `spec.to[0].default.http.requestTimeout`."""
    message: str


# ---------------------------------------------------------------------------------------
# canonical marshalling


def canon(value: JSONValue, type_: GoType) -> JSONValue:
    """Marshal(Unmarshal(value)) for a Go value of `type_`.

    Args:
        value: JSON data as decoded, possibly with missing keys or nulls.
        type_: The Go type the data is unmarshalled into.

    Returns:
        The JSON Go would print for that typed value.
    """
    return _canonizer(type_)(value)


Canonizer = Callable[[JSONValue], JSONValue]
_CANONIZERS: dict[int, tuple[GoType, Canonizer]] = {}


def _canonizer(type_: GoType) -> Canonizer:
    """The compiled `canon` of one Go type (built once per type object)."""
    hit = _CANONIZERS.get(id(type_))
    if hit is not None and hit[0] is type_:
        return hit[1]
    if isinstance(type_, Struct):
        # Register a forwarding stub first: structs may contain themselves.
        compiled: list[Canonizer] = []
        _CANONIZERS[id(type_)] = (type_, lambda value: compiled[0](value))
        compiled.append(_compile_struct(type_))
        _CANONIZERS[id(type_)] = (type_, compiled[0])
        return compiled[0]
    function = _compile(type_)
    _CANONIZERS[id(type_)] = (type_, function)
    return function


def _compile(type_: GoType) -> Canonizer:
    if isinstance(type_, Ptr):
        inner = _canonizer(type_.elem)
        return lambda value: None if value is None else inner(value)
    if isinstance(type_, List):
        item = _canonizer(type_.elem)
        return lambda value: [item(v) for v in value] if isinstance(value, list) else None

    if isinstance(type_, Map):
        elem = _canonizer(type_.elem)

        def canon_map(value: JSONValue) -> JSONValue:
            if not isinstance(value, dict):
                return None
            return {k: elem(v) for k, v in sorted(value.items())}

        return canon_map
    if isinstance(type_, Struct):
        return _canonizer(type_)
    return lambda value: _canon_scalar(value, type_)


def _compile_struct(struct: Struct) -> Canonizer:
    if struct.open:
        return lambda value: copy.deepcopy(value) if isinstance(value, dict) else {}
    plan = [
        (f.json, _canonizer(f.type), _emptiness(f.type) if f.omitempty else None)
        for f in struct.flat_fields()
    ]

    def canon_struct(value: JSONValue) -> JSONValue:
        source = value if isinstance(value, dict) else {}
        out: dict[str, JSONValue] = {}
        for key, convert, empty in plan:
            item = convert(source.get(key))
            if empty is not None and empty(item):
                continue
            out[key] = item
        return out

    return canon_struct


def _emptiness(type_: GoType) -> Callable[[JSONValue], bool]:
    """encoding/json's omitempty test for the canonical values of `type_`."""
    if isinstance(type_, Ptr):
        return lambda value: value is None
    if isinstance(type_, List | Map):
        return lambda value: not value
    if isinstance(type_, Struct) or type_.kind in ("duration", "intorstring"):
        return lambda value: False  # structs and struct-typed marshalers are never "empty"
    if type_.kind == "json":
        # `json.RawMessage` is a byte slice: `omitempty` drops it when nothing was given.
        return lambda value: value is None
    return lambda value: not value


def _canon_scalar(value: JSONValue, type_: Scalar) -> JSONValue:
    kind = type_.kind
    if kind == "string":
        return value if isinstance(value, str) else ""
    if kind == "bool":
        return value if isinstance(value, bool) else False
    if kind in ("int", "uint"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0
        return int(value) if float(value).is_integer() else value
    if kind == "duration":
        if not isinstance(value, str):
            return "0s"
        try:
            return canonical_duration(value)
        except DurationError:
            return value
    if kind == "intorstring":
        if isinstance(value, bool) or value is None:
            return 0
        if isinstance(value, float) and value.is_integer():
            return int(value)  # YAML `50.0` reaches Go as the JSON number 50, an int
        return value
    return copy.deepcopy(value)  # json: kept as written


# ---------------------------------------------------------------------------------------
# RFC 7396 merge patch, as github.com/evanphx/json-patch applies it


def merge_patch(doc: JSONValue, patch: JSONValue) -> JSONValue:
    """Apply `patch` to `doc` (RFC 7396); neither argument is modified.

    As in json-patch: a `null` in the patch deletes the key; objects merge key by key;
    anything else replaces. A value added where the document had nothing (or null) has
    its nested nulls pruned, inside arrays too.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(doc, dict):
        return _prune_nulls(patch)
    out = dict(doc)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        current = out.get(key)
        if current is None:
            out[key] = _prune_nulls(value)
        elif isinstance(current, dict) and isinstance(value, dict):
            out[key] = merge_patch(current, value)
        elif not isinstance(current, dict):
            out[key] = _prune_nulls(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _prune_nulls(value: JSONValue) -> JSONValue:
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) if v is not None else None for v in value]
    return value


# ---------------------------------------------------------------------------------------
# structural defaulting


def _has_defaults(type_: GoType, seen: frozenset[int] = frozenset()) -> bool:
    """Whether any field reachable from `type_` carries a CRD default (cached per struct)."""
    if isinstance(type_, Ptr | List | Map):
        return _has_defaults(type_.elem, seen)
    if not isinstance(type_, Struct):
        return False
    cached: bool | None = type_._cache.get("has_defaults")
    if cached is not None:
        return cached
    if id(type_) in seen:
        return False
    inner = seen | {id(type_)}
    found = any(
        f.default is not NO_DEFAULT or _has_defaults(f.type, inner) for f in type_.flat_fields()
    )
    type_._cache["has_defaults"] = found
    return found


def _defaulting_plan(struct: Struct) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """(fields with a default, fields whose subtree has defaults), cached per struct."""
    plan: tuple[tuple[Field, ...], tuple[Field, ...]] | None = struct._cache.get("defaulting")
    if plan is None:
        flat = struct.flat_fields()
        plan = (
            tuple(f for f in flat if f.default is not NO_DEFAULT),
            tuple(f for f in flat if _has_defaults(f.type)),
        )
        struct._cache["defaulting"] = plan
    return plan


def apply_defaults(value: JSONValue, type_: GoType) -> JSONValue:
    """Kubernetes structural defaulting: fill absent (or null) fields that have a CRD default.

    Defaults are applied top-down and the default values are themselves defaulted, as
    the API server does; lists and maps are walked item by item.
    """
    if not _has_defaults(type_):
        return value
    if isinstance(type_, Ptr):
        return apply_defaults(value, type_.elem)
    if isinstance(type_, List):
        if isinstance(value, list):
            return [apply_defaults(item, type_.elem) for item in value]
        return value
    if isinstance(type_, Map):
        if isinstance(value, dict):
            return {k: apply_defaults(v, type_.elem) for k, v in value.items()}
        return value
    if isinstance(type_, Struct) and isinstance(value, dict):
        with_default, deeper = _defaulting_plan(type_)
        out = dict(value)
        for f in with_default:
            if out.get(f.json) is None:
                out[f.json] = copy.deepcopy(f.default)
        for f in deeper:
            if f.json in out:
                out[f.json] = apply_defaults(out[f.json], f.type)
        return out
    return value


# ---------------------------------------------------------------------------------------
# validation


def check(value: JSONValue, type_: GoType, path: str) -> list[FieldProblem]:
    """Type, enum, required-field and duration errors in `value`, with their paths."""
    out: list[FieldProblem] = []
    _check(value, type_, path, out)
    return out


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _check(value: JSONValue, type_: GoType, path: str, out: list[FieldProblem]) -> None:
    """Validate one value; paths are only formatted for values that are checked further."""
    while isinstance(type_, Ptr):
        type_ = type_.elem
    if value is None:
        return
    if isinstance(type_, Scalar):
        if type_.kind == "string" and value.__class__ is str and not type_.enum:
            return
        out.extend(_check_scalar(value, type_, path))
    elif isinstance(type_, Struct):
        _check_struct(value, type_, path, out)
    elif isinstance(type_, List):
        if not isinstance(value, list):
            out.append(FieldProblem(path, f"must be a list, got {describe_value(value)}"))
            return
        if len(value) < type_.min_items:
            out.append(FieldProblem(path, f"must have at least {type_.min_items} item(s)"))
        for i, item in enumerate(value):
            _check(item, type_.elem, f"{path}[{i}]", out)
    elif isinstance(type_, Map):
        if not isinstance(value, dict):
            out.append(FieldProblem(path, f"must be a map, got {describe_value(value)}"))
            return
        elem = type_.elem
        simple = isinstance(elem, Scalar) and elem.kind == "string" and not elem.enum
        for key, item in value.items():
            if simple and item.__class__ is str:
                continue
            _check(item, elem, f"{path}[{key!r}]", out)


def _required(struct: Struct) -> tuple[str, ...]:
    found: tuple[str, ...] | None = struct._cache.get("required")
    if found is None:
        found = tuple(f.json for f in struct.flat_fields() if f.required)
        struct._cache["required"] = found
    return found


def _check_struct(value: JSONValue, struct: Struct, path: str, out: list[FieldProblem]) -> None:
    if not isinstance(value, dict):
        out.append(FieldProblem(path, f"must be an object, got {describe_value(value)}"))
        return
    fields = struct.by_json()
    for key, item in value.items():
        f = fields.get(key)
        if f is None or item is None:
            continue
        kind = f.type.elem if isinstance(f.type, Ptr) else f.type
        if (
            isinstance(kind, Scalar)
            and kind.kind == "string"
            and item.__class__ is str
            and not kind.enum
        ):
            continue
        _check(item, kind, _join(path, key), out)
    for key in _required(struct):
        if value.get(key) is None:
            out.append(FieldProblem(_join(path, key), "is required"))


def _check_scalar(value: JSONValue, type_: Scalar, path: str) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    kind = type_.kind
    if kind == "string" and not isinstance(value, str):
        out.append(FieldProblem(path, f"must be a string, got {describe_value(value)}"))
    elif kind == "bool" and not isinstance(value, bool):
        out.append(FieldProblem(path, f"must be a boolean, got {describe_value(value)}"))
    elif kind in ("int", "uint") and not _is_integer(value):
        out.append(FieldProblem(path, f"must be an integer, got {describe_value(value)}"))
    elif kind == "uint" and isinstance(value, int) and value < 0:
        out.append(FieldProblem(path, f"must not be negative, got {value}"))
    elif kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        out.append(FieldProblem(path, f"must be a number, got {describe_value(value)}"))
    elif kind == "intorstring" and not (isinstance(value, str) or _is_integer(value)):
        out.append(
            FieldProblem(path, f"must be an integer or a string, got {describe_value(value)}")
        )
    elif kind == "duration":
        if not isinstance(value, str):
            out.append(
                FieldProblem(
                    path, f"must be a duration string like '5s', got {describe_value(value)}"
                )
            )
        else:
            try:
                canonical_duration(value)
            except DurationError as err:
                out.append(FieldProblem(path, f"invalid duration {value!r}: {err}"))
    if type_.enum and isinstance(value, str) and value not in type_.enum:
        expected = ", ".join(type_.enum)
        out.append(FieldProblem(path, f"unsupported value {value!r}; expected one of {expected}"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if type_.minimum is not None and value < type_.minimum:
            out.append(FieldProblem(path, f"must be >= {type_.minimum:g}, got {value}"))
        if type_.maximum is not None and value > type_.maximum:
            out.append(FieldProblem(path, f"must be <= {type_.maximum:g}, got {value}"))
    return out


def _is_integer(value: JSONValue) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def describe_value(value: Any) -> str:
    """`number 20`, `boolean true`, `a list`… for messages."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
