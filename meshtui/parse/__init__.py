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
fields) and gets its CRD defaults. A document that fails becomes a `Problem` naming the
file, the document and the field; the other documents load regardless.

Pure: no I/O. Sources hand in `RawDocument`s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meshtui.kinds import ALL_KINDS, KindInfo
from meshtui.kinds.gojson import apply_defaults, check
from meshtui.kinds.gotypes import Struct
from meshtui.model import DISPLAY_NAME, ENV, ORIGIN, POLICY_ROLE, ZONE, Problem, Resource, SourceRef
from meshtui.parse.labels import ControlPlane, RoleError, computed_labels
from meshtui.parse.policy_rules import support_problems
from meshtui.raw import RawDocument

KUMA_API_VERSION = "kuma.io/v1alpha1"
_UNIVERSAL_META_KEYS = frozenset(
    {"type", "mesh", "name", "labels", "creationTime", "modificationTime"}
)
_BODY_AT_TOP_LEVEL = frozenset({"Dataplane", "Mesh", "MeshGateway"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextOptions:
    """What the user told us about the control plane; `None` means "infer it"."""

    cp_mode: str | None = None
    zone: str | None = None
    env: str | None = None
    system_namespace: str = "kuma-system"


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
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """What one group of documents (one file, one Kubernetes object) parses into."""

    resources: tuple[Resource, ...]
    namespaces: tuple[Resource, ...]
    problems: tuple[Problem, ...]
    context_used: int = 0
    """How many resources got `kuma.io/origin`, `zone` or `env` from the control-plane context."""


def parse_batch(documents: Iterable[RawDocument], cp: ControlPlane) -> Batch:
    """Parse documents for a known control-plane context (no de-duplication)."""
    problems: list[Problem] = []
    kube: list[_Candidate] = []
    universal: list[tuple[SourceRef, Mapping[str, Any]]] = []
    for doc in documents:
        _classify(doc, kube, universal, problems)
    resources: list[Resource] = []
    namespaces: list[Resource] = []
    context_used = 0
    for candidate in kube:
        res = _from_kubernetes(candidate, cp, problems)
        if res is None:
            continue
        (namespaces if res.type == "Namespace" else resources).append(res)
        written = _labels_of(candidate.body)
        if any(k in res.labels and k not in written for k in (ORIGIN, ZONE, ENV)):
            context_used += 1
    for source, body in universal:
        res = _from_universal(source, body, problems)
        if res is not None:
            resources.append(res)
    return Batch(tuple(resources), tuple(namespaces), tuple(problems), context_used)


def _kube_bodies(documents: Iterable[RawDocument]) -> Iterable[Mapping[str, Any]]:
    for doc in documents:
        body = doc.body
        if not isinstance(body, Mapping) or not ("apiVersion" in body or "metadata" in body):
            continue
        if body.get("kind") == "List" and isinstance(body.get("items"), list):
            yield from (item for item in body["items"] if isinstance(item, Mapping))
        else:
            yield body


def _any_kube(documents: Iterable[RawDocument]) -> bool:
    return any(True for _ in _kube_bodies(documents))


def dataplane_zones(documents: Iterable[RawDocument]) -> Counter[str]:
    """Zones named by Kubernetes-form, zone-originated Dataplanes: the evidence for the CP."""
    zones: Counter[str] = Counter()
    for body in _kube_bodies(documents):
        if body.get("kind") != "Dataplane":
            continue
        labels = _labels_of(body)
        if labels.get(ZONE) and labels.get(ORIGIN, "zone") == "zone":
            zones[labels[ZONE]] += 1
    return zones


def _classify(
    doc: RawDocument,
    kube: list[_Candidate],
    universal: list[tuple[SourceRef, Mapping[str, Any]]],
    problems: list[Problem],
) -> None:
    body = doc.body
    if body is None:
        return
    if not isinstance(body, Mapping):
        problems.append(
            _problem(doc.source, "", "the document is not a mapping; expected a resource")
        )
        return
    if "apiVersion" in body or "metadata" in body:
        if body.get("kind") == "List" and isinstance(body.get("items"), list):
            for i, item in enumerate(body["items"]):
                if isinstance(item, Mapping):
                    kube.append(_Candidate(doc.source, f"items[{i}]", item))
                else:
                    problems.append(
                        _problem(doc.source, f"items[{i}]", "a list item is not an object")
                    )
            return
        kube.append(_Candidate(doc.source, "", body))
    elif "type" in body:
        universal.append((doc.source, body))
    elif body:
        problems.append(
            _problem(doc.source, "", "not a Kuma resource: no `apiVersion`/`kind` and no `type`")
        )


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
    if options.cp_mode == "global":
        return ControlPlane(mode="global", zone="", env=env, system_namespace=system_ns), ""
    if options.zone is not None:
        return ControlPlane(mode="zone", zone=options.zone, env=env, system_namespace=system_ns), ""
    if options.cp_mode == "zone" or len(zones) <= 1:
        zone = zones.most_common(1)[0][0] if zones else "default"
        cp = ControlPlane(mode="zone", zone=zone, env=env, system_namespace=system_ns)
        if not has_kube:
            return cp, ""
        if zones:
            why = f"the zone of {zones[zone]} Dataplane(s)"
        else:
            why = "no Dataplane names its zone; Kuma's default zone name"
        return cp, f"no --zone given: labels computed as on zone control plane {zone!r} ({why})"
    names = ", ".join(sorted(zones))
    cp = ControlPlane(mode="global", zone="", env=env, system_namespace=system_ns)
    return cp, (
        f"no --cp-mode given: Dataplanes from several zones ({names}), so a global control plane"
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
    info = ALL_KINDS.get(kind)
    if info is None:
        problems.append(
            _problem(source, prefix + "kind", f"unknown kind {kind!r} in {KUMA_API_VERSION}")
        )
        return None
    return _kube_resource(candidate, info, name, metadata, cp, problems)


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
        namespace = metadata.get("namespace") or "default"
        if not metadata.get("namespace"):
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
    labels = _labels_of(body)
    raw_spec = body.get("spec")
    spec_problems = _check_spec(info, {} if raw_spec is None else raw_spec, prefix + "spec")
    if spec_problems:
        problems.extend(_located(source, who, spec_problems))
        return None
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, Mapping) else {}
    raw_mesh = body.get("mesh")
    if info.kind in ("Dataplane", "MeshGateway"):
        mesh = raw_mesh if isinstance(raw_mesh, str) and raw_mesh else "default"
    elif info.kind == "Mesh":
        mesh = ""
    else:
        mesh = labels.get("kuma.io/mesh") or "default"
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
        unsupported = list(support_problems(info.kind, spec, labels.get(POLICY_ROLE) or "system"))
        if unsupported:
            problems.extend(
                _problem(source, prefix + path, f"rejected by Kuma's validation: {message}", who)
                for path, message in unsupported
            )
            return None
    annotations = metadata.get("annotations")
    display = annotations.get(DISPLAY_NAME) if isinstance(annotations, Mapping) else None
    labels[DISPLAY_NAME] = display if isinstance(display, str) and display else name
    return Resource(
        type=info.kind,
        mesh=mesh,
        name=f"{name}.{namespace}" if namespace else name,
        labels=labels,
        spec=_defaulted(info, spec),
        creation_time=str(metadata.get("creationTimestamp") or ""),
        source=source,
    )


# ---------------------------------------------------------------------------------------
# Universal form


def _from_universal(
    source: SourceRef, body: Mapping[str, Any], problems: list[Problem]
) -> Resource | None:
    kind = body.get("type")
    name = body.get("name")
    if not isinstance(kind, str) or kind not in ALL_KINDS:
        problems.append(_problem(source, "type", f"unknown resource type {kind!r}"))
        return None
    info = ALL_KINDS[kind]
    if not isinstance(name, str) or not name:
        problems.append(_problem(source, "name", f"{kind} has no name"))
        return None
    mesh = body.get("mesh")
    if kind == "Mesh":
        mesh = ""
    elif not isinstance(mesh, str) or not mesh:
        mesh = "default"
    raw_labels = body.get("labels")
    if raw_labels is not None and not _is_string_map(raw_labels):
        problems.append(
            _problem(source, "labels", "labels must be a map of strings", f"{kind} {name}")
        )
        return None
    if kind in _BODY_AT_TOP_LEVEL:
        spec: Any = {k: v for k, v in body.items() if k not in _UNIVERSAL_META_KEYS}
        path = ""
    else:
        spec = body.get("spec") if body.get("spec") is not None else {}
        path = "spec"
    spec_problems = _check_spec(info, spec, path)
    if spec_problems:
        problems.extend(_located(source, f"{kind} {name}", spec_problems))
        return None
    if info.is_policy:
        role = (raw_labels or {}).get(POLICY_ROLE) or "system"
        problems.extend(
            Problem(
                severity="warning",
                message=f"Kuma's validation would reject this on write: {message}",
                file=source.file,
                document=source.document,
                path=field_path,
                resource=f"{kind} {name}",
            )
            for field_path, message in support_problems(kind, spec, role)
        )
    return Resource(
        type=kind,
        mesh=mesh,
        name=name,
        labels=dict(raw_labels or {}),
        spec=_defaulted(info, spec),
        creation_time=str(body.get("creationTime") or ""),
        source=source,
    )


# ---------------------------------------------------------------------------------------
# helpers


def _spec_type(info: KindInfo) -> Struct | None:
    from meshtui.kinds.schemas import POLICY_SPECS, RESOURCE_SPECS

    if info.is_policy:
        return POLICY_SPECS.get(info.kind)
    return RESOURCE_SPECS.get(info.kind)


def _check_spec(info: KindInfo, spec: Any, path: str) -> list[tuple[str, str]]:
    if not isinstance(spec, Mapping):
        return [(path or "spec", "must be an object")]
    struct = _spec_type(info)
    if struct is None:
        return []
    return [(p.path, p.message) for p in check(spec, struct, path)]


def _defaulted(info: KindInfo, spec: Mapping[str, Any]) -> dict[str, Any]:
    struct = _spec_type(info)
    if struct is None:
        return dict(spec)
    result = apply_defaults(dict(spec), struct)
    assert isinstance(result, dict)
    return result


def _labels_of(body: Mapping[str, Any]) -> dict[str, str]:
    metadata = body.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): v if isinstance(v, str) else str(v) for k, v in labels.items()}


def _is_string_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())


def _problem(source: SourceRef, path: str, message: str, resource: str = "") -> Problem:
    return Problem(
        severity="error",
        message=message,
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
            problems.append(
                Problem(
                    severity="warning",
                    message=f"defined again; this definition replaces the one at {earlier.source}",
                    file=res.source.file if res.source else "",
                    document=res.source.document if res.source else 0,
                    resource=str(res.key),
                )
            )
        by_key[key] = res
    return tuple(sorted(by_key.values(), key=lambda r: (r.type, r.mesh, r.name)))
