"""Every field, enum, default, required list and bound of every CRD of every supported
Kuma release against `schemas_for(version)` and `kinds_for(version)`.

The CRD facts are vendored in `crds/facts.json` (see `crds/README.md`). A difference
is a failure unless `KNOWN` lists it with the reason meshtui models it otherwise; an
entry of `KNOWN` that no release shows any more is a failure too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from meshtui.kinds import EVERY_KIND, POLICY_KINDS, kinds_for
from meshtui.kinds.gotypes import NO_DEFAULT, GoType, List, Map, Ptr, Scalar, Struct
from meshtui.kinds.schemas import schemas_for
from meshtui.versions import KumaVersion

FACTS = Path(__file__).with_name("crds") / "facts.json"

_VALIDATOR = "the Go validator reports it, with the policy's context"
_PORT = "the 1-65535 range Kuma's validator enforces, checked with the schema"
_SPLIT = "required in the CRD, optional in the table so the Go-side validation message applies"

_TARGET_REFS = [
    (kind, where)
    for kind, info in POLICY_KINDS.items()
    for where, present in ((".", True), (".to[].", info.has_to), (".from[].", info.has_from))
    if present
]
"""Every targetRef of every policy: the CRD requires `kind` and sets no `minItems` on
`proxyTypes`; the table checks both through `parse.policy_rules`."""

KNOWN: dict[tuple[str, str, str], str] = {
    # (kind, path, what differs) -> why the table differs from the CRD
    **{
        (kind, f"spec{where}targetRef{field}", what): _VALIDATOR
        for kind, where in _TARGET_REFS
        for field, what in (("", "required"), (".proxyTypes", "minItems"))
    },
    **{
        ("MeshHTTPRoute", f"spec.to[].rules[].default.{where}", what): _VALIDATOR
        for where in ("backendRefs[]", "filters[].requestMirror.backendRef")
        for what in ("required", "proxyTypes.minItems")
    },
    **{
        ("MeshTCPRoute", "spec.to[].rules[].default.backendRefs[]", what): _VALIDATOR
        for what in ("required", "proxyTypes.minItems")
    },
    **{
        ("MeshAccessLog", f"spec.{section}.default.backends[].{backend}", "required"): _SPLIT
        for section in ("to[]", "from[]", "rules[]")
        for backend in ("file.format.json[]", "tcp.format.json[]", "openTelemetry.attributes[]")
    },
    ("MeshAccessLog", "spec.to[]", "required"): _SPLIT,
    ("MeshAccessLog", "spec.from[]", "required"): _SPLIT,
    ("MeshAccessLog", "spec.rules[]", "required"): _SPLIT,
    ("MeshHTTPRoute", "spec.to[]", "required"): _SPLIT,
    ("MeshHTTPRoute", "spec.to[].rules[].default.filters[].requestRedirect.statusCode", "enum"): (
        "not modelled: an integer enum (`gotypes.Scalar.enum` holds strings)"
    ),
    ("MeshTCPRoute", "spec.to[]", "required"): _SPLIT,
    ("MeshTCPRoute", "spec.to[].rules[].default", "required"): (
        "the table requires backendRefs (with at least one item) as Kuma's validator does"
    ),
    ("MeshTCPRoute", "spec.to[].rules[].default.backendRefs", "minItems"): (
        "the table requires backendRefs (with at least one item) as Kuma's validator does"
    ),
    ("MeshPassthrough", "spec.default.appendMatch[]", "required"): _SPLIT,
    ("MeshService", "spec.ports[].port", "minimum"): _PORT,
    ("MeshService", "spec.ports[].port", "maximum"): _PORT,
    ("MeshMultiZoneService", "spec.ports[].port", "minimum"): _PORT,
    ("MeshMultiZoneService", "spec.ports[].port", "maximum"): _PORT,
    ("MeshMultiZoneService", "spec.ports", "minItems"): _SPLIT,
    ("MeshMultiZoneService", "spec.selector", "required"): _SPLIT,
    ("MeshMultiZoneService", "spec.selector.meshService", "required"): _SPLIT,
    ("MeshExternalService", "spec.endpoints[]", "required"): _SPLIT,
}

_KINDS_BY_PLURAL = {info.plural: kind for kind, info in EVERY_KIND.items()}


@cache
def _facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FACTS.read_text())
    return data


def _tags() -> list[str]:
    return sorted(_facts()["tags"], key=lambda tag: KumaVersion.parse(tag) or tag)


def _unwrap(type_: GoType) -> GoType:
    while isinstance(type_, Ptr):
        type_ = type_.elem
    return type_


def _has_default(node: Mapping[str, Any]) -> bool:
    if "default" in node:
        return True
    children = [*node.get("properties", {}).values()]
    children += [node[key] for key in ("items", "additionalProperties") if key in node]
    return any(_has_default(child) for child in children)


def _differences(node: Mapping[str, Any], type_: GoType, path: str) -> Iterator[tuple[str, str]]:
    """(path, what) for each way the Go type differs from the CRD schema node."""
    type_ = _unwrap(type_)
    if isinstance(type_, Scalar) and type_.kind == "json":
        if _has_default(node):
            yield path, "free-form leaf hides defaults"
        return
    if "properties" in node or (node.get("type") == "object" and isinstance(type_, Struct)):
        yield from _struct_differences(node, type_, path)
    elif node.get("type") == "array":
        if not isinstance(type_, List):
            yield path, "type"
            return
        if node.get("minItems", 0) != type_.min_items:
            yield path, "minItems"
        yield from _differences(node["items"], type_.elem, path + "[]")
    elif "additionalProperties" in node:
        if not isinstance(type_, Map):
            yield path, "type"
            return
        yield from _differences(node["additionalProperties"], type_.elem, path + "{}")
    elif node.get("x-kubernetes-preserve-unknown-fields"):
        yield path, "free-form in the CRD, typed here"
    else:
        yield from _scalar_differences(node, type_, path)


def _struct_differences(
    node: Mapping[str, Any], type_: GoType, path: str
) -> Iterator[tuple[str, str]]:
    if not isinstance(type_, Struct):
        yield path, "type"
        return
    props: Mapping[str, Any] = node.get("properties", {})
    fields = type_.by_json()
    for name in sorted(set(props) | set(fields)):
        if name not in fields:
            yield f"{path}.{name}", "missing here"
        elif name not in props:
            yield f"{path}.{name}", "not in the CRD"
    if set(node.get("required", [])) != {name for name, f in fields.items() if f.required}:
        yield path, "required"
    for name, sub in sorted(props.items()):
        found = fields.get(name)
        if found is None:
            continue
        if sub.get("default", NO_DEFAULT) != found.default:
            yield f"{path}.{name}", "default"
        yield from _differences(sub, found.type, f"{path}.{name}")


_TYPES = {"string": ("string", "duration"), "integer": ("int", "uint"), "boolean": ("bool",)}


def _scalar_differences(
    node: Mapping[str, Any], type_: GoType, path: str
) -> Iterator[tuple[str, str]]:
    if not isinstance(type_, Scalar):
        yield path, "type"
        return
    if node.get("x-kubernetes-int-or-string"):
        expected: tuple[str, ...] = ("intorstring",)
    else:
        expected = _TYPES.get(node.get("type", ""), ("float",))
    if type_.kind not in expected:
        yield path, "type"
    if tuple(node.get("enum", ())) != type_.enum:
        yield path, "enum"
    for bound in ("minimum", "maximum"):
        if node.get(bound) != getattr(type_, bound):
            yield path, bound


def _found(tag: str) -> set[tuple[str, str, str]]:
    version = KumaVersion.parse(tag)
    assert version is not None
    schemas = schemas_for(version)
    out: set[tuple[str, str, str]] = set()
    for plural, digest in _facts()["tags"][tag].items():
        kind = _KINDS_BY_PLURAL[plural]
        spec = schemas.spec(kind)
        assert spec is not None, f"{tag}: no schema for {kind}"
        for path, what in _differences(_facts()["schemas"][digest], spec, "spec"):
            # A bound or item count below an unmodelled `targetRef` is named after it.
            if path.endswith(".proxyTypes") and what == "minItems" and "backendRef" in path:
                path, what = path.removesuffix(".proxyTypes"), "proxyTypes.minItems"
            out.add((kind, path, what))
    return out


@pytest.mark.parametrize("tag", _tags())
def test_schema_tables_follow_the_crds(tag: str) -> None:
    unexplained = sorted(_found(tag) - set(KNOWN))
    assert unexplained == [], "\n".join(" ".join(item) for item in unexplained)


def test_every_known_difference_still_exists() -> None:
    seen = set().union(*(_found(tag) for tag in _tags()))
    assert sorted(set(KNOWN) - seen) == []


@pytest.mark.parametrize("tag", _tags())
def test_a_line_knows_exactly_the_kinds_its_crds_define(tag: str) -> None:
    version = KumaVersion.parse(tag)
    assert version is not None
    catalogue = kinds_for(version)
    with_crd = {_KINDS_BY_PLURAL[plural] for plural in _facts()["tags"][tag]}
    typed = {kind for kind in EVERY_KIND if kind not in ("Mesh", "Dataplane", "MeshGateway")}
    assert {kind for kind in typed if kind in catalogue.all} == with_crd
    for kind in with_crd:
        assert schemas_for(version).spec(kind) is not None, kind


def test_the_facts_cover_every_supported_line() -> None:
    from meshtui.versions import PROFILES

    assert [f"v{version}" for version in PROFILES.values()] == _tags()
