"""Kuma Resource Identifiers (KRI, 2.11+): `kri_<short>_<mesh>_<zone>_<namespace>_<name>_<section>`.

Spec kuma-2.14.md §6. A KRI names a resource by its type's short name, its mesh (empty
for a Mesh), its `kuma.io/zone` and `k8s.kuma.io/namespace` labels, its display name
and an optional section (an inbound, listener or port name, else the decimal port).
"""

from __future__ import annotations

from dataclasses import dataclass

from meshtui.engine.matching import go_quote
from meshtui.kinds import kinds_for
from meshtui.model import Resource
from meshtui.versions import KumaVersion


def short_name(resource_type: str, version: KumaVersion) -> str:
    """The type's KRI short name at this version, or ``""`` (then it has no KRI)."""
    for short, kind in kinds_for(version).kri_kinds.items():
        if kind == resource_type:
            return short
    return ""


def type_of_short(short: str, version: KumaVersion) -> str:
    """The resource type of a short name at this version, or ``""``."""
    return kinds_for(version).kri_kinds.get(short, "")


class KriError(ValueError):
    """A string that is not a KRI; the message is Kuma's (`kri.FromString`)."""


@dataclass(frozen=True, slots=True)
class Kri:
    """A parsed KRI."""

    resource_type: str
    mesh: str
    zone: str
    namespace: str
    name: str
    section: str = ""

    def without_section(self) -> Kri:
        return Kri(self.resource_type, self.mesh, self.zone, self.namespace, self.name)

    def text(self, version: KumaVersion) -> str:
        short = short_name(self.resource_type, version)
        if not short:
            return ""
        parts = (short, self.mesh, self.zone, self.namespace, self.name, self.section)
        return "kri_" + "_".join(parts)

    @classmethod
    def parse(cls, text: str, version: KumaVersion) -> Kri:
        """`kri.FromString` (K3): at least 7 `_`-separated parts (2.11: exactly 7), the
        first `kri`, a known short name; the section is the rest, joined with nothing."""
        parts = text.split("_")
        exact = not version.kri_section_joins_parts
        if len(parts) < 7 or (exact and len(parts) != 7):
            raise KriError(f"invalid identifier string: {go_quote(text)}")
        if parts[0] != "kri":
            raise KriError(f"identifier must start with 'kri': {go_quote(text)}")
        resource_type = type_of_short(parts[1], version)
        if not resource_type:
            raise KriError(f"unknown short name of resource type: {go_quote(parts[1])}")
        return cls(resource_type, parts[2], parts[3], parts[4], parts[5], "".join(parts[6:]))


def of(resource: Resource, section: str = "", *, as_type: str = "") -> Kri:
    """The KRI of a stored resource (K1): mesh (empty for a Mesh), zone and namespace
    labels, display name; `as_type` overrides the type (an origin's policy type)."""
    resource_type = as_type or resource.type
    mesh = "" if resource_type == "Mesh" else resource.mesh
    return Kri(
        resource_type, mesh, resource.zone, resource.namespace, resource.display_name, section
    )


def text_of(
    resource: Resource, version: KumaVersion, section: str = "", *, as_type: str = ""
) -> str:
    """`of(...).text(version)`."""
    return of(resource, section, as_type=as_type).text(version)
