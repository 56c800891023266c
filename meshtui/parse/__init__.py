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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meshtui.kinds import EVERY_KIND
from meshtui.model import ENV, ORIGIN, ZONE, Problem, Resource, SourceRef
from meshtui.parse.bounds import body_problem
from meshtui.parse.context import (
    ContextOptions,
    any_kube,
    choose_control_plane,
    dataplane_zones,
    is_kubernetes_form,
)
from meshtui.parse.fields import field_problem, labels_of
from meshtui.parse.kubernetes import Candidate, from_kubernetes, legacy_kubernetes
from meshtui.parse.labels import ZONE_AUTHORED_KINDS, ControlPlane
from meshtui.parse.universal import from_universal, legacy_universal
from meshtui.raw import RawDocument


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
        dataplane_zones(documents), options, has_kube=any_kube(documents)
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
        kube: list[Candidate] = []
        universal: list[tuple[SourceRef, Mapping[str, Any]]] = []
        _classify(doc, kube, universal, problems)
        for candidate in kube:
            found = legacy_kubernetes(candidate)
            if found is not None:
                legacy.append(found)
            res = from_kubernetes(candidate, cp, problems)
            if res is None:
                continue
            (namespaces if res.type == "Namespace" else resources).append(res)
            if _context_mattered(res, labels_of(candidate.body), cp):
                context_used += 1
        for source, body in universal:
            found = legacy_universal(source, body)
            if found is not None:
                legacy.append(found)
            res = from_universal(source, body, problems, cp.version)
            if res is not None:
                resources.append(res)
    return Batch(tuple(resources), tuple(namespaces), tuple(problems), context_used, tuple(legacy))


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


def _classify(
    doc: RawDocument,
    kube: list[Candidate],
    universal: list[tuple[SourceRef, Mapping[str, Any]]],
    problems: list[Problem],
) -> None:
    body = doc.body
    if body is None:
        return
    if _is_list(body):
        for i, item in enumerate(body["items"]):
            if not isinstance(item, Mapping):
                problems.append(
                    field_problem(doc.source, f"items[{i}]", "a list item is not an object")
                )
            elif _within_bounds(doc.source, item, f"items[{i}]", problems):
                kube.append(Candidate(doc.source, f"items[{i}]", item))
        return
    if not _within_bounds(doc.source, body, "", problems):
        return
    if not isinstance(body, Mapping):
        problems.append(
            field_problem(doc.source, "", "the document is not a mapping; expected a resource")
        )
        return
    if is_kubernetes_form(body):
        kube.append(Candidate(doc.source, "", body))
    elif "type" in body:
        universal.append((doc.source, body))
    elif body:
        problems.append(
            field_problem(
                doc.source, "", "not a Kuma resource: no `apiVersion`/`kind` and no `type`"
            )
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
    problems.append(field_problem(source, found.path, found.message, _who(body)))
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


__all__ = [
    "Batch",
    "ContextOptions",
    "ParseResult",
    "choose_control_plane",
    "dataplane_zones",
    "dedupe",
    "duplicate_problem",
    "is_kubernetes_form",
    "parse_batch",
    "parse_documents",
]
