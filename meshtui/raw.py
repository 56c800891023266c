"""Raw input as it arrives from a source, before `parse` gives it a type.

Declarations only. A YAML file or a Kubernetes watch event becomes `RawDocument`s; the
body is whatever the YAML/JSON decoder produced (usually a dict, but a document can be
anything, and `parse` says so when it is not a resource).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from meshtui.model import SourceRef


class RawMeta(TypedDict, total=False):
    """`metadata` of a Kubernetes object."""

    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    creationTimestamp: str
    resourceVersion: str


class RawKubeObject(TypedDict, total=False):
    """A Kubernetes-form object: `apiVersion`, `kind`, `metadata`, `spec` (+ Dataplane `mesh`)."""

    apiVersion: str
    kind: str
    metadata: RawMeta
    spec: dict[str, Any]
    mesh: str


class RawUniversal(TypedDict, total=False):
    """A Universal-form resource: `type`, `mesh`, `name`, `labels`, `spec` (or top-level body)."""

    type: str
    mesh: str
    name: str
    labels: dict[str, str]
    spec: dict[str, Any]
    creationTime: str


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One decoded document and where it came from."""

    source: SourceRef
    body: Any = field(hash=False)
