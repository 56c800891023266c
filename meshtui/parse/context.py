"""The control plane a batch of documents is read for: the flags, else what the
Kubernetes-form objects say (the zones they name)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from meshtui.model import (
    ORIGIN,
    ZONE,
)
from meshtui.parse.fields import KUMA_API_VERSION, labels_of
from meshtui.parse.labels import ControlPlane
from meshtui.raw import RawDocument
from meshtui.versions import DEFAULT, KumaVersion


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextOptions:
    """What the user told us about the control plane; `None` means "infer it"."""

    cp_mode: str | None = None
    zone: str | None = None
    env: str | None = None
    system_namespace: str = "kuma-system"
    version: KumaVersion = DEFAULT
    """The Kuma release to answer as (`--kuma-version`, detected, or the default)."""


def is_kubernetes_form(body: Any) -> bool:
    """A Kubernetes object (`apiVersion` or `metadata`), not a Universal resource."""
    return isinstance(body, Mapping) and ("apiVersion" in body or "metadata" in body)


def kube_bodies(documents: Iterable[RawDocument]) -> Iterable[Mapping[str, Any]]:
    for doc in documents:
        body = doc.body
        if not is_kubernetes_form(body):
            continue
        if body.get("kind") == "List" and isinstance(body.get("items"), list):
            yield from (item for item in body["items"] if isinstance(item, Mapping))
        else:
            yield body


def any_kube(documents: Iterable[RawDocument]) -> bool:
    return any(True for _ in kube_bodies(documents))


def dataplane_zones(documents: Iterable[RawDocument]) -> Counter[str]:
    """Zones named by zone-originated Kubernetes-form objects: the evidence for the CP.

    Each Kuma object whose `kuma.io/origin` is `zone` or absent counts once for the
    zone its `kuma.io/zone` label names (Dataplanes and MeshServices read back from a
    cluster carry it). A Dataplane without that label counts for the `kuma.io/zone`
    tag of its inbounds or gateway, as hand-written Dataplanes often carry only that.
    Objects synced from elsewhere (`kuma.io/origin: global`) say nothing about this CP.
    """
    zones: Counter[str] = Counter()
    for body in kube_bodies(documents):
        if body.get("apiVersion") != KUMA_API_VERSION:
            continue
        labels = labels_of(body)
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
