"""Raw documents → Kuma resources as the control plane would store them, or problems.

Two input forms are understood:

- Kubernetes (`apiVersion: kuma.io/v1alpha1`, `kind`, `metadata`, `spec`; `v1` Namespaces;
  `kind: List` as `kubectl get -o yaml` prints it). Converted the way Kuma's Kubernetes
  store does it: store name `name.namespace`, display name from the annotation or the
  name, mesh from the `kuma.io/mesh` label (or the Dataplane / MeshGateway `mesh` field),
  and the labels the admission webhook computes (`parse.labels`).
- Universal (`type`, `mesh`, `name`, `labels`, `spec`; Dataplane, Mesh and MeshGateway
  with their body at the top level). Taken as stored: nothing is computed.

Every spec is checked against its Go-typed schema (types, enums, durations, required
fields) and gets its CRD defaults, both as the control plane's Kuma release defines them
(`ControlPlane.version`), which also decides the known kinds, the support matrix and the
policy role. A document that fails becomes a `Problem` naming the
file, the document and the field; the other documents load regardless.

Pure: no I/O. Sources hand in `RawDocument`s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meshtui.kinds import EVERY_KIND, LEGACY_POLICIES, KindInfo, kinds_for
from meshtui.kinds.gojson import apply_defaults, check
from meshtui.kinds.gotypes import List, Map, Ptr, Scalar, Struct
from meshtui.model import (
    DISPLAY_NAME,
    ENV,
    MESH,
    ORIGIN,
    POLICY_ROLE,
    ZONE,
    Problem,
    Resource,
    SourceRef,
)
from meshtui.parse.bounds import body_problem
from meshtui.parse.labels import ZONE_AUTHORED_KINDS, ControlPlane, RoleError, computed_labels
from meshtui.parse.policy_rules import deprecations, support_problems
from meshtui.raw import RawDocument
from meshtui.versions import DEFAULT, KumaVersion

KUMA_API_VERSION = "kuma.io/v1alpha1"
_UNIVERSAL_META_KEYS = frozenset(
    {"type", "mesh", "name", "labels", "creationTime", "modificationTime"}
)
_BODY_AT_TOP_LEVEL = frozenset({"Dataplane", "Mesh", "MeshGateway"})
"""Protobuf-based kinds: their JSON goes through protojson (numbers may be quoted)."""

UNMODELLED_KUMA_KINDS = frozenset(
    {
        "CircuitBreaker",
        "ContainerPatch",
        "DataplaneInsight",
        "ExternalService",
        "FaultInjection",
        "HealthCheck",
        "HostnameGenerator",
        "MeshGatewayConfig",
        "MeshGatewayInstance",
        "MeshGatewayRoute",
        "MeshInsight",
        "ProxyTemplate",
        "RateLimit",
        "Retry",
        "ServiceInsight",
        "Timeout",
        "TrafficLog",
        "TrafficPermission",
        "TrafficRoute",
        "TrafficTrace",
        "VirtualOutbound",
        "Zone",
        "ZoneEgress",
        "ZoneEgressInsight",
        "ZoneIngress",
        "ZoneIngressInsight",
        "ZoneInsight",
    }
)
"""Kuma 2.10 kinds that exist but play no part in targetRef policy matching: skipped with a note."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextOptions:
    """What the user told us about the control plane; `None` means "infer it"."""

    cp_mode: str | None = None
    zone: str | None = None
    env: str | None = None
    system_namespace: str = "kuma-system"
    version: KumaVersion = DEFAULT
    """The Kuma release to answer as (`--kuma-version`, detected, or the default)."""


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything a batch of documents yielded."""

    resources: tuple[Resource, ...]
    problems: tuple[Problem, ...]
    control_plane: ControlPlane
    """The control-plane context the Kubernetes-form labels were computed for."""
    context_note: str = ""
    """How the context was chosen, when it was inferred; empty when given."""
    namespaces: tuple[Resource, ...] = field(default=())
    """`v1` Namespace objects (type `Namespace`), for the namespaces pane."""
    legacy: tuple[Resource, ...] = field(default=())
    """Selector-based legacy policies (`kinds.LEGACY_POLICIES`), body as stored."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A Kubernetes object before the control-plane context is known."""

    source: SourceRef
    path: str
    """Where the object sits in its document (`""`, or `items[3]` inside a List)."""
    body: Mapping[str, Any]


def parse_documents(documents: Iterable[RawDocument], options: ContextOptions) -> ParseResult:
    """Turn documents into stored resources, computing Kubernetes labels for one CP.

    Args:
        documents: Decoded YAML/JSON documents in a stable order (files sorted, then
            document order); later duplicates of a resource replace earlier ones.
        options: The control-plane context given on the command line.

    Returns:
        Resources (sorted by key), namespaces, problems, and the context used.
    """
    documents = list(documents)
    cp, note = choose_control_plane(
        dataplane_zones(documents), options, has_kube=_any_kube(documents)
    )
    batch = parse_batch(documents, cp)
    problems = list(batch.problems)
    note = note if batch.context_used else ""
    if note:
        problems.insert(0, Problem(severity="info", message=note))
    return ParseResult(
        resources=dedupe(batch.resources, problems),
        problems=tuple(problems),
        control_plane=cp,
        context_note=note,
        namespaces=dedupe(batch.namespaces, problems),
        legacy=dedupe(batch.legacy, []),
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """What one group of documents (one file, one Kubernetes object) parses into."""

    resources: tuple[Resource, ...]
    namespaces: tuple[Resource, ...]
    problems: tuple[Problem, ...]
    context_used: int = 0
    """How many resources got `kuma.io/origin`, `zone` or `env` from the control-plane context."""
    legacy: tuple[Resource, ...] = ()
    """Selector-based legacy policies (only `_resources/dataplanes` reads them)."""


def parse_batch(documents: Iterable[RawDocument], cp: ControlPlane) -> Batch:
    """Parse documents for a known control-plane context (no de-duplication).

    Resources and problems come out in document order, whatever the form of each
    document, so a later definition of a resource is the one `dedupe` keeps.
    """
    problems: list[Problem] = []
    resources: list[Resource] = []
    namespaces: list[Resource] = []
    legacy: list[Resource] = []
    context_used = 0
    for doc in documents:
        kube: list[_Candidate] = []
        universal: list[tuple[SourceRef, Mapping[str, Any]]] = []
        _classify(doc, kube, universal, problems)
        for candidate in kube:
            found = _legacy_kubernetes(candidate)
            if found is not None:
                legacy.append(found)
            res = _from_kubernetes(candidate, cp, problems)
            if res is None:
                continue
            (namespaces if res.type == "Namespace" else resources).append(res)
            if _context_mattered(res, _labels_of(candidate.body), cp):
                context_used += 1
        for source, body in universal:
            found = _legacy_universal(source, body)
            if found is not None:
                legacy.append(found)
            res = _from_universal(source, body, problems, cp.version)
            if res is not None:
                resources.append(res)
    return Batch(tuple(resources), tuple(namespaces), tuple(problems), context_used, tuple(legacy))


def _legacy_kubernetes(candidate: _Candidate) -> Resource | None:
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
        labels=_labels_of(body),
        spec=spec if isinstance(spec, Mapping) else {},
        source=candidate.source,
    )


def _legacy_universal(source: SourceRef, body: Mapping[str, Any]) -> Resource | None:
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
        spec={k: v for k, v in body.items() if k not in _UNIVERSAL_META_KEYS},
        source=source,
    )


def _context_mattered(res: Resource, written: Mapping[str, str], cp: ControlPlane) -> bool:
    """Whether the CP context decided labels of this object (so a guessed one must be said).

    On a zone CP: it got `kuma.io/origin`, `zone` or `env` from the context. On a
    global CP: a zone CP would have given it an origin, and the global one did not.
    """
    if cp.mode == "global":
        info = EVERY_KIND.get(res.type)
        zone_authored = info is not None and (info.is_policy or res.type in ZONE_AUTHORED_KINDS)
        return zone_authored and ORIGIN not in written
    return any(k in res.labels and k not in written for k in (ORIGIN, ZONE, ENV))


def is_kubernetes_form(body: Any) -> bool:
    """A Kubernetes object (`apiVersion` or `metadata`), not a Universal resource."""
    return isinstance(body, Mapping) and ("apiVersion" in body or "metadata" in body)


def _kube_bodies(documents: Iterable[RawDocument]) -> Iterable[Mapping[str, Any]]:
    for doc in documents:
        body = doc.body
        if not is_kubernetes_form(body):
            continue
        if body.get("kind") == "List" and isinstance(body.get("items"), list):
            yield from (item for item in body["items"] if isinstance(item, Mapping))
        else:
            yield body


def _any_kube(documents: Iterable[RawDocument]) -> bool:
    return any(True for _ in _kube_bodies(documents))


def dataplane_zones(documents: Iterable[RawDocument]) -> Counter[str]:
    """Zones named by zone-originated Kubernetes-form objects: the evidence for the CP.

    Each Kuma object whose `kuma.io/origin` is `zone` or absent counts once for the
    zone its `kuma.io/zone` label names (Dataplanes and MeshServices read back from a
    cluster carry it). A Dataplane without that label counts for the `kuma.io/zone`
    tag of its inbounds or gateway, as hand-written Dataplanes often carry only that.
    Objects synced from elsewhere (`kuma.io/origin: global`) say nothing about this CP.
    """
    zones: Counter[str] = Counter()
    for body in _kube_bodies(documents):
        if body.get("apiVersion") != KUMA_API_VERSION:
            continue
        labels = _labels_of(body)
        if labels.get(ORIGIN, "zone") != "zone":
            continue
        zone = labels.get(ZONE) or (
            _dataplane_tag_zone(body) if body.get("kind") == "Dataplane" else ""
        )
        if zone:
            zones[zone] += 1
    return zones


def _dataplane_tag_zone(body: Mapping[str, Any]) -> str:
    spec = body.get("spec")
    networking = spec.get("networking") if isinstance(spec, Mapping) else None
    if not isinstance(networking, Mapping):
        return ""
    inbounds = networking.get("inbound")
    candidates = [*(inbounds if isinstance(inbounds, list) else []), networking.get("gateway")]
    for item in candidates:
        tags = item.get("tags") if isinstance(item, Mapping) else None
        zone = tags.get(ZONE) if isinstance(tags, Mapping) else None
        if isinstance(zone, str) and zone:
            return zone
    return ""


def _classify(
    doc: RawDocument,
    kube: list[_Candidate],
    universal: list[tuple[SourceRef, Mapping[str, Any]]],
    problems: list[Problem],
) -> None:
    body = doc.body
    if body is None:
        return
    if _is_list(body):
        for i, item in enumerate(body["items"]):
            if not isinstance(item, Mapping):
                problems.append(_problem(doc.source, f"items[{i}]", "a list item is not an object"))
            elif _within_bounds(doc.source, item, f"items[{i}]", problems):
                kube.append(_Candidate(doc.source, f"items[{i}]", item))
        return
    if not _within_bounds(doc.source, body, "", problems):
        return
    if not isinstance(body, Mapping):
        problems.append(
            _problem(doc.source, "", "the document is not a mapping; expected a resource")
        )
        return
    if is_kubernetes_form(body):
        kube.append(_Candidate(doc.source, "", body))
    elif "type" in body:
        universal.append((doc.source, body))
    elif body:
        problems.append(
            _problem(doc.source, "", "not a Kuma resource: no `apiVersion`/`kind` and no `type`")
        )


def _is_list(body: Any) -> bool:
    """A Kubernetes `kind: List`, whose items are objects of their own."""
    return (
        is_kubernetes_form(body)
        and body.get("kind") == "List"
        and isinstance(body.get("items"), list)
    )


def _within_bounds(source: SourceRef, body: Any, path: str, problems: list[Problem]) -> bool:
    """Whether `body` keeps the input limits (`bounds`); if not, the problem is recorded."""
    found = body_problem(body, path)
    if found is None:
        return True
    problems.append(_problem(source, found.path, found.message, _who(body)))
    return False


def _who(body: Any) -> str:
    """`Kind name` of a body when it says so plainly (for a problem), else `""`."""
    if not isinstance(body, Mapping):
        return ""
    kind = body.get("kind", body.get("type"))
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else body.get("name")
    if isinstance(kind, str) and isinstance(name, str):
        return f"{kind} {name}"
    return ""


# ---------------------------------------------------------------------------------------
# control-plane context


def choose_control_plane(
    zones: Counter[str], options: ContextOptions, *, has_kube: bool
) -> tuple[ControlPlane, str]:
    """The CP to compute labels for: the flags, else inferred from the Dataplanes' zones.

    Returns:
        The control plane and, when it was inferred, a sentence saying how.
    """
    env = options.env or "kubernetes"
    system_ns = options.system_namespace
    version = options.version
    if options.cp_mode == "global":
        return ControlPlane(
            mode="global", zone="", env=env, system_namespace=system_ns, version=version
        ), ""
    if options.zone is not None:
        return ControlPlane(
            mode="zone", zone=options.zone, env=env, system_namespace=system_ns, version=version
        ), ""
    if options.cp_mode == "zone" or len(zones) <= 1:
        zone = zones.most_common(1)[0][0] if zones else "default"
        cp = ControlPlane(
            mode="zone", zone=zone, env=env, system_namespace=system_ns, version=version
        )
        if not has_kube:
            return cp, ""
        if zones:
            why = f"named by {zones[zone]} zone-originated object(s)"
        else:
            why = "no object names its zone; Kuma's default zone name"
        return cp, f"no --zone given: labels computed as on zone control plane {zone!r} ({why})"
    names = ", ".join(sorted(zones))
    cp = ControlPlane(mode="global", zone="", env=env, system_namespace=system_ns, version=version)
    return cp, (
        f"no --cp-mode given: objects from several zones ({names}), so a global control plane"
    )


# ---------------------------------------------------------------------------------------
# Kubernetes form


def _from_kubernetes(
    candidate: _Candidate, cp: ControlPlane, problems: list[Problem]
) -> Resource | None:
    body, source = candidate.body, candidate.source
    prefix = f"{candidate.path}." if candidate.path else ""
    api_version = body.get("apiVersion")
    kind = body.get("kind")
    metadata = body.get("metadata")
    if not isinstance(kind, str) or not kind:
        problems.append(_problem(source, prefix + "kind", "missing `kind`"))
        return None
    if (
        not isinstance(metadata, Mapping)
        or not isinstance(metadata.get("name"), str)
        or not metadata["name"]
    ):
        problems.append(_problem(source, prefix + "metadata.name", f"{kind} has no metadata.name"))
        return None
    name = metadata["name"]
    if kind == "Namespace" and api_version == "v1":
        return Resource(
            type="Namespace", mesh="", name=name, labels=_labels_of(body), source=source
        )
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
    info = kinds_for(cp.version).all.get(kind)
    if info is None:
        if kind in UNMODELLED_KUMA_KINDS:
            problems.append(_unmodelled(source, candidate.path, kind, name))
        elif kind in EVERY_KIND:
            problems.append(_too_new(source, candidate.path, kind, name, cp.version))
        else:
            problems.append(
                _problem(source, prefix + "kind", f"unknown kind {kind!r} in {KUMA_API_VERSION}")
            )
        return None
    return _kube_resource(candidate, info, name, metadata, cp, problems)


def _too_new(source: SourceRef, path: str, kind: str, name: str, version: KumaVersion) -> Problem:
    return Problem(
        severity="warning",
        message=(
            f"ignored {kind} {name}: Kuma {version} has no such kind (a later release added it)"
        ),
        file=source.file,
        document=source.document,
        path=path,
    )


def _unmodelled(source: SourceRef, path: str, kind: str, name: str) -> Problem:
    return Problem(
        severity="info",
        message=f"ignored {kind} {name}: it plays no part in targetRef policy matching",
        file=source.file,
        document=source.document,
        path=path,
    )


def _kube_resource(
    candidate: _Candidate,
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
                _problem(
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
    labels, label_problems = _string_map(metadata.get("labels"), prefix + "metadata.labels")
    raw_spec = body.get("spec")
    version = cp.version
    if info.kind in _BODY_AT_TOP_LEVEL:
        raw_spec = _proto_numbers(raw_spec, _spec_type(info, version))
    spec_problems = label_problems + _check_spec(
        info, {} if raw_spec is None else raw_spec, prefix + "spec", version
    )
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
        problems.extend(_located(source, who, spec_problems))
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
            _problem(
                source, prefix + "spec.to", f"rejected by Kuma's admission webhook: {err}", who
            )
        )
        return None
    if info.is_policy:
        role = labels.get(POLICY_ROLE) or "system"
        unsupported = list(support_problems(info.kind, spec, role, version))
        if unsupported:
            problems.extend(
                _problem(source, prefix + path, f"rejected by Kuma's validation: {message}", who)
                for path, message in unsupported
            )
            return None
        problems.extend(
            _deprecated(source, prefix + path, message, who)
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
        spec=_defaulted(info, spec, version),
        creation_time=str(metadata.get("creationTimestamp") or ""),
        source=source,
    )


# ---------------------------------------------------------------------------------------
# Universal form


def _from_universal(
    source: SourceRef, body: Mapping[str, Any], problems: list[Problem], version: KumaVersion
) -> Resource | None:
    kind = body.get("type")
    name = body.get("name")
    known = kinds_for(version).all
    if not isinstance(kind, str) or kind not in known:
        shown = name if isinstance(name, str) else ""
        if isinstance(kind, str) and kind in UNMODELLED_KUMA_KINDS:
            problems.append(_unmodelled(source, "", kind, shown))
        elif isinstance(kind, str) and kind in EVERY_KIND:
            problems.append(_too_new(source, "", kind, shown, version))
        else:
            problems.append(_problem(source, "type", f"unknown resource type {kind!r}"))
        return None
    info = known[kind]
    if name is None or name == "":
        problems.append(_problem(source, "name", f"{kind} has no name"))
        return None
    if not isinstance(name, str):
        problems.append(
            _problem(source, "name", f"must be a string, got {describe_value(name)}", kind)
        )
        return None
    who = f"{kind} {name}"
    mesh = body.get("mesh")
    if mesh is not None and not isinstance(mesh, str):
        problems.append(
            _problem(source, "mesh", f"must be a string, got {describe_value(mesh)}", who)
        )
        return None
    if kind == "Mesh":
        mesh = ""
    elif not mesh:
        mesh = "default"
    labels, label_problems = _string_map(body.get("labels"), "labels")
    if kind in _BODY_AT_TOP_LEVEL:
        spec: Any = _proto_numbers(
            {k: v for k, v in body.items() if k not in _UNIVERSAL_META_KEYS},
            _spec_type(info, version),
        )
        path = ""
    else:
        spec = body.get("spec") if body.get("spec") is not None else {}
        path = "spec"
    spec_problems = label_problems + _check_spec(info, spec, path, version)
    if spec_problems:
        problems.extend(_located(source, who, spec_problems))
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
            _deprecated(source, field_path, message, f"{kind} {name}")
            for field_path, message in deprecations(kind, spec, version)
        )
    return Resource(
        type=kind,
        mesh=mesh,
        name=name,
        labels=labels,
        spec=_defaulted(info, spec, version),
        creation_time=str(body.get("creationTime") or ""),
        source=source,
    )


# ---------------------------------------------------------------------------------------
# helpers


def _spec_type(info: KindInfo, version: KumaVersion) -> Struct | None:
    from meshtui.kinds.schemas import schemas_for

    return schemas_for(version).spec(info.kind)


def _check_spec(
    info: KindInfo, spec: Any, path: str, version: KumaVersion
) -> list[tuple[str, str]]:
    if not isinstance(spec, Mapping):
        return [(path or "spec", "must be an object")]
    struct = _spec_type(info, version)
    if struct is None:
        return []
    return [(p.path, p.message) for p in check(spec, struct, path)]


def _defaulted(info: KindInfo, spec: Mapping[str, Any], version: KumaVersion) -> dict[str, Any]:
    struct = _spec_type(info, version)
    if struct is None:
        return dict(spec)
    result = apply_defaults(dict(spec), struct)
    assert isinstance(result, dict)
    return result


def _labels_of(body: Mapping[str, Any]) -> dict[str, str]:
    """The labels as written, as text; read before `bounds` is checked, so a value that is
    not a scalar (which `_string_map` reports later) is never turned into text."""
    metadata = body.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if not isinstance(labels, Mapping):
        return {}
    return {_scalar_text(k): _scalar_text(v) for k, v in labels.items()}


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        return "<int>"  # beyond JSON numbers (`bounds` refuses it); maybe beyond str() too
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    return f"<{type(value).__name__}>"


def _string_map(value: Any, path: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
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
        text = _yaml_key(key)
        if item is None:
            out[text] = ""
        elif isinstance(item, str):
            out[text] = item
        else:
            problems.append(
                (f"{path}[{text!r}]", f"must be a string, got {describe_value(item)} (quote it)")
            )
    return out, problems


def _yaml_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


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


def _proto_numbers(value: Any, type_: Any) -> Any:
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
            converted = _proto_numbers(v, field.type)
            if converted is not v:
                out = dict(value) if out is None else out
                out[k] = converted
        return value if out is None else out
    if isinstance(type_, List | Map) and isinstance(value, list | dict):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        changed = {k: c for k, v in items if (c := _proto_numbers(v, type_.elem)) is not v}
        if not changed:
            return value
        if isinstance(value, dict):
            return {**value, **changed}
        return [changed.get(i, v) for i, v in enumerate(value)]
    return value


_INTEGERS: dict[int, bool] = {}


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


def _problem(source: SourceRef, path: str, message: str, resource: str = "") -> Problem:
    return Problem(
        severity="error",
        message=message,
        file=source.file,
        document=source.document,
        path=path,
        resource=resource,
    )


def _deprecated(source: SourceRef, path: str, message: str, resource: str) -> Problem:
    """A deprecation Kuma warns about on write: shown, never rejecting the policy."""
    return Problem(
        severity="warning",
        message=f"Kuma warns on write: {message}",
        file=source.file,
        document=source.document,
        path=path,
        resource=resource,
    )


def _located(source: SourceRef, who: str, found: list[tuple[str, str]]) -> list[Problem]:
    return [_problem(source, path, message, who) for path, message in found]


def dedupe(resources: Iterable[Resource], problems: list[Problem]) -> tuple[Resource, ...]:
    """One resource per key: a later definition replaces an earlier one, with a warning."""
    by_key: dict[tuple[str, str, str], Resource] = {}
    for res in resources:
        key = (res.type, res.mesh, res.name)
        earlier = by_key.get(key)
        if earlier is not None and earlier.source != res.source:
            problems.append(duplicate_problem(res, earlier))
        by_key[key] = res
    return tuple(sorted(by_key.values(), key=lambda r: (r.type, r.mesh, r.name)))


def duplicate_problem(res: Resource, earlier: Resource) -> Problem:
    """The warning for `res` replacing an `earlier` definition of the same key."""
    return Problem(
        severity="warning",
        message=f"defined again; this definition replaces the one at {earlier.source}",
        file=res.source.file if res.source else "",
        document=res.source.document if res.source else 0,
        resource=str(res.key),
    )
