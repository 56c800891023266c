"""Universal-form resources → stored resources, taken as stored (labels as written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshtui.kinds import (
    LEGACY_POLICIES,
    KindInfo,
)
from meshtui.kinds.gojson import describe_value
from meshtui.model import (
    POLICY_ROLE,
    Problem,
    Resource,
    SourceRef,
)
from meshtui.parse.fields import (
    BODY_AT_TOP_LEVEL,
    UNIVERSAL_META_KEYS,
    check_spec,
    defaulted,
    deprecation_problem,
    field_problem,
    generic_problems,
    located_problems,
    proto_numbers,
    spec_type,
    string_map,
)
from meshtui.parse.kubernetes import Where, kind_named
from meshtui.parse.policy_rules import deprecations, support_problems
from meshtui.versions import KumaVersion


def from_universal(
    source: SourceRef, body: Mapping[str, Any], problems: list[Problem], version: KumaVersion
) -> Resource | None:
    kind = body.get("type")
    name = body.get("name")
    info = _kind(kind, name, body, source, problems, version)
    if info is None:
        return None
    kind = info.kind
    if name is None or name == "":
        problems.append(field_problem(source, "name", f"{kind} has no name"))
        return None
    if not isinstance(name, str):
        problems.append(
            field_problem(source, "name", f"must be a string, got {describe_value(name)}", kind)
        )
        return None
    who = f"{kind} {name}"
    mesh = body.get("mesh")
    if mesh is not None and not isinstance(mesh, str):
        problems.append(
            field_problem(source, "mesh", f"must be a string, got {describe_value(mesh)}", who)
        )
        return None
    if kind == "Mesh":
        mesh = ""
    elif not mesh:
        mesh = "default"
    labels, label_problems = string_map(body.get("labels"), "labels")
    if kind in BODY_AT_TOP_LEVEL:
        spec: Any = proto_numbers(
            {k: v for k, v in body.items() if k not in UNIVERSAL_META_KEYS},
            spec_type(info, version),
        )
        path = ""
    else:
        spec = body.get("spec") if body.get("spec") is not None else {}
        path = "spec"
    spec_problems = label_problems + check_spec(info, spec, path, version)
    if info.generic and isinstance(spec, Mapping):
        spec_problems += generic_problems(spec, path)
    if spec_problems:
        problems.extend(located_problems(source, who, spec_problems))
        return None
    if info.is_policy:
        role = labels.get(POLICY_ROLE) or "system"
        problems.extend(
            Problem(
                severity="warning",
                message=f"Kuma's validation would reject this on write: {message}",
                file=source.file,
                document=source.document,
                path=field_path,
                resource=f"{kind} {name}",
            )
            for field_path, message in support_problems(kind, spec, role, version)
        )
        problems.extend(
            deprecation_problem(source, field_path, message, f"{kind} {name}")
            for field_path, message in deprecations(kind, spec, version)
        )
    return Resource(
        type=kind,
        mesh=mesh,
        name=name,
        labels=labels,
        spec=defaulted(info, spec, version),
        creation_time=str(body.get("creationTime") or ""),
        source=source,
    )


def _kind(
    kind: Any,
    name: Any,
    body: Mapping[str, Any],
    source: SourceRef,
    problems: list[Problem],
    version: KumaVersion,
) -> KindInfo | None:
    """The kind of a Universal resource: one of the line's, or a generic policy kind."""
    unknown = f"unknown resource type {kind!r}"
    if not isinstance(kind, str):
        problems.append(field_problem(source, "type", unknown))
        return None
    shown = name if isinstance(name, str) else ""
    where = Where(source, "", "type", unknown)
    return kind_named(kind, shown, body.get("spec"), version, where, problems)


def legacy_universal(source: SourceRef, body: Mapping[str, Any]) -> Resource | None:
    """A legacy policy in Universal form (its body beside `type`, `mesh` and `name`)."""
    kind, name, mesh = body.get("type"), body.get("name"), body.get("mesh")
    if kind not in LEGACY_POLICIES or not isinstance(name, str) or not name:
        return None
    labels = body.get("labels")
    return Resource(
        type=str(kind),
        mesh=mesh if isinstance(mesh, str) and mesh else "default",
        name=name,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {},
        spec={k: v for k, v in body.items() if k not in UNIVERSAL_META_KEYS},
        source=source,
    )
