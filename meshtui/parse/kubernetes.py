"""Kubernetes-form objects → stored resources, as Kuma's Kubernetes store and admission
webhook make them (store name, display name, mesh, computed labels, validation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from meshtui.kinds import (
    EVERY_KIND,
    LEGACY_POLICIES,
    UNMODELLED_KUMA_KINDS,
    KindInfo,
    generic_kind,
    kinds_for,
)
from meshtui.kinds.gojson import describe_value
from meshtui.model import (
    DISPLAY_NAME,
    MESH,
    POLICY_ROLE,
    Problem,
    Resource,
    SourceRef,
)
from meshtui.parse.fields import (
    BODY_AT_TOP_LEVEL,
    KUMA_API_VERSION,
    check_spec,
    defaulted,
    deprecation_problem,
    field_problem,
    generic_problems,
    labels_of,
    located_problems,
    not_generic,
    proto_numbers,
    spec_type,
    string_map,
)
from meshtui.parse.labels import ControlPlane, RoleError, computed_labels
from meshtui.parse.policy_rules import deprecations, support_problems
from meshtui.versions import KumaVersion


def from_kubernetes(
    candidate: Candidate, cp: ControlPlane, problems: list[Problem]
) -> Resource | None:
    body, source = candidate.body, candidate.source
    prefix = f"{candidate.path}." if candidate.path else ""
    api_version = body.get("apiVersion")
    kind = body.get("kind")
    metadata = body.get("metadata")
    if not isinstance(kind, str) or not kind:
        problems.append(field_problem(source, prefix + "kind", "missing `kind`"))
        return None
    if (
        not isinstance(metadata, Mapping)
        or not isinstance(metadata.get("name"), str)
        or not metadata["name"]
    ):
        problems.append(
            field_problem(source, prefix + "metadata.name", f"{kind} has no metadata.name")
        )
        return None
    name = metadata["name"]
    if kind == "Namespace" and api_version == "v1":
        return Resource(type="Namespace", mesh="", name=name, labels=labels_of(body), source=source)
    if api_version != KUMA_API_VERSION:
        problems.append(
            Problem(
                severity="info",
                message=f"ignored {kind} {name}: not a Kuma resource (apiVersion {api_version})",
                file=source.file,
                document=source.document,
                path=candidate.path,
            )
        )
        return None
    unknown = f"unknown kind {kind!r} in {KUMA_API_VERSION}"
    where = Where(source, candidate.path, prefix + "kind", unknown)
    info = kind_named(kind, name, body.get("spec"), cp.version, where, problems)
    if info is None:
        return None
    return _kube_resource(candidate, info, name, metadata, cp, problems)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a document names its kind, for the problems `kind_named` reports."""

    source: SourceRef
    path: str
    """The document's path in its file (`items[3]` of a list), `""` for a whole document."""
    field: str
    """The field that names the kind (`kind`, `type`)."""
    unknown: str
    """The words a problem about an unknown kind starts with."""


def kind_named(
    kind: str,
    name: str,
    spec: Any,
    version: KumaVersion,
    where: Where,
    problems: list[Problem],
) -> KindInfo | None:
    """The kind `kind` of `version`'s line, else a generic policy kind (when `spec` has the
    targetRef shape); otherwise `None` and the problem that says why: a kind meshtui leaves
    aside, one a later line added, or an unknown one (`fields.not_generic`)."""
    info = kinds_for(version).all.get(kind)
    if info is not None:
        return info
    if kind in UNMODELLED_KUMA_KINDS:
        problems.append(unmodelled_problem(where.source, where.path, kind, name))
        return None
    if kind in EVERY_KIND:
        problems.append(too_new_problem(where.source, where.path, kind, name, version))
        return None
    reason = not_generic(kind, spec)
    if reason:
        problems.append(field_problem(where.source, where.field, where.unknown + reason))
        return None
    return generic_kind(kind)


def too_new_problem(
    source: SourceRef, path: str, kind: str, name: str, version: KumaVersion
) -> Problem:
    return Problem(
        severity="warning",
        message=(
            f"ignored {kind} {name}: Kuma {version} has no such kind (a later release added it)"
        ),
        file=source.file,
        document=source.document,
        path=path,
    )


def unmodelled_problem(source: SourceRef, path: str, kind: str, name: str) -> Problem:
    return Problem(
        severity="info",
        message=f"ignored {kind} {name}: it plays no part in targetRef policy matching",
        file=source.file,
        document=source.document,
        path=path,
    )


def _kube_resource(
    candidate: Candidate,
    info: KindInfo,
    name: str,
    metadata: Mapping[str, Any],
    cp: ControlPlane,
    problems: list[Problem],
) -> Resource | None:
    body, source = candidate.body, candidate.source
    prefix = f"{candidate.path}." if candidate.path else ""
    namespace = ""
    if info.namespaced:
        raw_namespace = metadata.get("namespace")
        if raw_namespace is not None and not isinstance(raw_namespace, str):
            problems.append(
                field_problem(
                    source,
                    prefix + "metadata.namespace",
                    f"must be a string, got {describe_value(raw_namespace)}",
                    f"{info.kind} {name}",
                )
            )
            return None
        namespace = raw_namespace or "default"
        if not raw_namespace:
            problems.append(
                Problem(
                    severity="info",
                    message=(
                        f"{info.kind} {name} has no metadata.namespace;"
                        " taken as `default`, as kubectl would"
                    ),
                    file=source.file,
                    document=source.document,
                    path=prefix + "metadata.namespace",
                )
            )
    who = f"{info.kind} {namespace}/{name}" if namespace else f"{info.kind} {name}"
    labels, label_problems = string_map(metadata.get("labels"), prefix + "metadata.labels")
    raw_spec = body.get("spec")
    version = cp.version
    if info.kind in BODY_AT_TOP_LEVEL:
        raw_spec = proto_numbers(raw_spec, spec_type(info, version))
    spec_problems = label_problems + check_spec(
        info, {} if raw_spec is None else raw_spec, prefix + "spec", version
    )
    if info.generic and isinstance(raw_spec, Mapping):
        spec_problems += generic_problems(raw_spec, prefix + "spec")
    raw_mesh = body.get("mesh")
    if info.kind in ("Dataplane", "MeshGateway"):
        if raw_mesh is not None and not isinstance(raw_mesh, str):
            spec_problems.append(
                (prefix + "mesh", f"must be a string, got {describe_value(raw_mesh)}")
            )
        mesh = raw_mesh if isinstance(raw_mesh, str) and raw_mesh else "default"
    elif info.kind == "Mesh":
        mesh = ""
    else:
        # The generated `GetMesh` of Kuma's CRD types: the label when present, else `default`.
        mesh = labels.get(MESH, "default")
    if spec_problems:
        problems.extend(located_problems(source, who, spec_problems))
        return None
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, Mapping) else {}
    networking = spec.get("networking") if info.kind == "Dataplane" else None
    gateway = networking.get("gateway") if isinstance(networking, Mapping) else None
    try:
        labels = computed_labels(
            kind=info.kind,
            is_policy=info.is_policy,
            mesh=mesh,
            namespace=namespace,
            labels=labels,
            spec=spec,
            cp=cp,
            gateway_type=gateway.get("type", "DELEGATED") if isinstance(gateway, Mapping) else "",
        )
    except RoleError as err:
        problems.append(
            field_problem(
                source, prefix + "spec.to", f"rejected by Kuma's admission webhook: {err}", who
            )
        )
        return None
    if info.is_policy:
        role = labels.get(POLICY_ROLE) or "system"
        unsupported = list(support_problems(info.kind, spec, role, version))
        if unsupported:
            problems.extend(
                field_problem(
                    source, prefix + path, f"rejected by Kuma's validation: {message}", who
                )
                for path, message in unsupported
            )
            return None
        problems.extend(
            deprecation_problem(source, prefix + path, message, who)
            for path, message in deprecations(info.kind, spec, version)
        )
    # Kuma's `KubernetesMetaAdapter.GetLabels`: the annotation when it is there (even
    # empty), else the object's name; it replaces a `kuma.io/display-name` label.
    annotations = metadata.get("annotations")
    display = annotations.get(DISPLAY_NAME) if isinstance(annotations, Mapping) else None
    labels[DISPLAY_NAME] = display if isinstance(display, str) else name
    return Resource(
        type=info.kind,
        mesh=mesh,
        name=f"{name}.{namespace}" if namespace else name,
        labels=labels,
        spec=defaulted(info, spec, version),
        creation_time=str(metadata.get("creationTimestamp") or ""),
        source=source,
    )


def legacy_kubernetes(candidate: Candidate) -> Resource | None:
    """A legacy policy in Kubernetes form (`mesh` beside `metadata`, the body in `spec`)."""
    body = candidate.body
    kind, metadata = body.get("kind"), body.get("metadata")
    if body.get("apiVersion") != KUMA_API_VERSION or kind not in LEGACY_POLICIES:
        return None
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("name"), str):
        return None
    mesh = body.get("mesh")
    spec = body.get("spec")
    return Resource(
        type=str(kind),
        mesh=mesh if isinstance(mesh, str) and mesh else "default",
        name=metadata["name"],
        labels=labels_of(body),
        spec=spec if isinstance(spec, Mapping) else {},
        source=candidate.source,
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A Kubernetes object before the control-plane context is known."""

    source: SourceRef
    path: str
    """Where the object sits in its document (`""`, or `items[3]` inside a List)."""
    body: Mapping[str, Any]
