"""What both forms share: schema checks and defaults, label maps, problem wording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshtui.kinds import KindInfo, is_generic_kind, misspelt_kind
from meshtui.kinds.gojson import apply_defaults, check, describe_value
from meshtui.kinds.gotypes import List, Map, Ptr, Scalar, Struct
from meshtui.model import (
    Problem,
    SourceRef,
)
from meshtui.versions import KumaVersion

_INTEGERS: dict[int, bool] = {}


KUMA_API_VERSION = "kuma.io/v1alpha1"


UNIVERSAL_META_KEYS = frozenset(
    {"type", "mesh", "name", "labels", "creationTime", "modificationTime"}
)


BODY_AT_TOP_LEVEL = frozenset({"Dataplane", "Mesh", "MeshGateway"})
"""Protobuf-based kinds: their JSON goes through protojson (numbers may be quoted)."""


def spec_type(info: KindInfo, version: KumaVersion) -> Struct | None:
    from meshtui.kinds.schemas import schemas_for

    schemas = schemas_for(version)
    return schemas.generic_spec if info.generic else schemas.spec(info.kind)


def check_spec(info: KindInfo, spec: Any, path: str, version: KumaVersion) -> list[tuple[str, str]]:
    if not isinstance(spec, Mapping):
        return [(path or "spec", "must be an object")]
    struct = spec_type(info, version)
    if struct is None:
        return []
    return [(p.path, p.message) for p in check(spec, struct, path)]


def defaulted(info: KindInfo, spec: Mapping[str, Any], version: KumaVersion) -> dict[str, Any]:
    struct = spec_type(info, version)
    if struct is None:
        return dict(spec)
    result = apply_defaults(dict(spec), struct)
    assert isinstance(result, dict)
    return result


GENERIC_SPEC_KEYS = ("targetRef", "to", "from", "rules", "default")
"""The keys of a targetRef policy's `spec`: all a generic kind's spec may have."""


def not_generic(kind: str, spec: Any) -> str:
    """Why an object of a kind no line knows is not a generic policy, as a clause to follow
    "unknown kind X"; empty when it is one (`kinds.is_generic_kind`, and its spec
    follows the targetRef policy shape)."""
    near = misspelt_kind(kind)
    if near:
        return f" (did you mean {near}?)"
    if not is_generic_kind(kind):
        return " (not a policy kind name)"
    reason = _not_a_policy(spec)
    return f", not a targetRef policy: {reason}" if reason else ""


def _not_a_policy(spec: Any) -> str:
    """Why a spec does not follow the targetRef policy shape; empty when it does (an
    object with a `targetRef` or a section, and nothing else)."""
    if not isinstance(spec, Mapping):
        return f"its spec is {describe_value(spec)}, not an object"
    others = [str(key) for key in spec if key not in GENERIC_SPEC_KEYS]
    if others:
        return f"its spec has {', '.join(f'`{key}`' for key in others)}"
    if not any(spec.get(key) is not None for key in GENERIC_SPEC_KEYS):
        return "its spec has no targetRef, to, from, rules or default"
    return ""


def generic_problems(spec: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """What the generic schema cannot say of a generic policy: every `targetRef` (the
    top-level one and each `to[]`/`from[]` item's) names its `kind`."""
    refs: list[tuple[str, Any]] = [(_join(path, "targetRef"), spec.get("targetRef"))]
    for section in ("to", "from"):
        items = spec.get(section)
        if isinstance(items, list):
            refs.extend(
                (f"{_join(path, section)}[{i}].targetRef", item.get("targetRef"))
                for i, item in enumerate(items)
                if isinstance(item, Mapping)
            )
    return [
        (where + ".kind", "is required")
        for where, ref in refs
        if isinstance(ref, Mapping) and not isinstance(ref.get("kind"), str)
    ]


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def labels_of(body: Mapping[str, Any]) -> dict[str, str]:
    """The labels as written, as text; read before `bounds` is checked, so a value that is
    not a scalar (which `string_map` reports later) is never turned into text."""
    metadata = body.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if not isinstance(labels, Mapping):
        return {}
    return {scalar_text(k): scalar_text(v) for k, v in labels.items()}


def scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        return "<int>"  # beyond JSON numbers (`bounds` refuses it); maybe beyond str() too
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    return f"<{type(value).__name__}>"


def string_map(value: Any, path: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Labels as Kuma decodes them (`map[string]string` from YAML turned into JSON).

    Keys become strings as `sigs.k8s.io/yaml` writes them (`true`, `8080`); a `null`
    value is the empty string; any other non-string value is an error, as it is for
    the API server and for Kuma's REST API (a YAML `yes` or `1` must be quoted).
    """
    if value is None:
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [(path, f"must be a map of strings, got {describe_value(value)}")]
    out: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for key, item in value.items():
        text = yaml_key(key)
        if item is None:
            out[text] = ""
        elif isinstance(item, str):
            out[text] = item
        else:
            problems.append(
                (f"{path}[{text!r}]", f"must be a string, got {describe_value(item)} (quote it)")
            )
    return out, problems


def yaml_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def proto_numbers(value: Any, type_: Any) -> Any:
    """Quoted integers turned into numbers where a protobuf message has an integer field.

    Dataplane, Mesh and MeshGateway are decoded by protojson, which accepts an integer
    field written as a JSON string (`port: "8080"`); Go structs (the policies and the
    newer resources) do not, so this is only applied to those three kinds. Parts with
    no integer field (tag maps, say) are not walked, and `value` itself is returned
    when nothing needed converting (this runs on every Dataplane at load).
    """
    while isinstance(type_, Ptr):
        type_ = type_.elem
    if isinstance(type_, Scalar):
        if type_.kind in ("int", "uint") and isinstance(value, str):
            text = value.strip()
            digits = text[1:] if type_.kind == "int" and text.startswith("-") else text
            if digits.isdigit() and digits.isascii():
                return int(text)
        return value
    if not _has_integers(type_):
        return value
    if isinstance(type_, Struct) and isinstance(value, dict):
        fields = type_.by_json()
        out = None
        for k, v in value.items():
            field = fields.get(k)
            if field is None:
                continue
            converted = proto_numbers(v, field.type)
            if converted is not v:
                out = dict(value) if out is None else out
                out[k] = converted
        return value if out is None else out
    if isinstance(type_, List | Map) and isinstance(value, list | dict):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        changed = {k: c for k, v in items if (c := proto_numbers(v, type_.elem)) is not v}
        if not changed:
            return value
        if isinstance(value, dict):
            return {**value, **changed}
        return [changed.get(i, v) for i, v in enumerate(value)]
    return value


def _has_integers(type_: Any) -> bool:
    """Whether an integer field is reachable from `type_` (memoised; types are static)."""
    known = _INTEGERS.get(id(type_))
    if known is None:
        known = _reaches_integer(type_)
        _INTEGERS[id(type_)] = known
    return known


def _reaches_integer(start: Any) -> bool:
    seen: set[int] = set()
    todo = [start]
    while todo:
        type_ = todo.pop()
        if id(type_) in seen:
            continue  # structs may refer to each other
        seen.add(id(type_))
        if isinstance(type_, Scalar):
            if type_.kind in ("int", "uint"):
                return True
        elif isinstance(type_, Struct):
            todo.extend(f.type for f in type_.fields)
        elif isinstance(type_, Ptr | List | Map):
            todo.append(type_.elem)
    return False


def field_problem(source: SourceRef, path: str, message: str, resource: str = "") -> Problem:
    return Problem(
        severity="error",
        message=message,
        file=source.file,
        document=source.document,
        path=path,
        resource=resource,
    )


def deprecation_problem(source: SourceRef, path: str, message: str, resource: str) -> Problem:
    """A deprecation Kuma warns about on write: shown, never rejecting the policy."""
    return Problem(
        severity="warning",
        message=f"Kuma warns on write: {message}",
        file=source.file,
        document=source.document,
        path=path,
        resource=resource,
    )


def located_problems(source: SourceRef, who: str, found: list[tuple[str, str]]) -> list[Problem]:
    return [field_problem(source, path, message, who) for path, message in found]
