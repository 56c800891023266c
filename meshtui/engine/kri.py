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


_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""`k8s.io/apimachinery/pkg/util/rand`'s alphabet, which `SafeEncodeString` maps into."""
_FNV64_OFFSET = 0xCBF29CE484222325
_FNV64_PRIME = 0x100000001B3
_K8S_NAME_LIMIT = 253


def hashed_name(mesh: str, name: str, *values: str) -> str:
    """Kuma's `kds/hash.HashedName`: the store name a resource synced from another control
    plane gets, `name` (cut to fit 253 characters) `-` FNV-1a 64 of mesh, name and
    `values` written one after another, hex-encoded then mapped by `SafeEncodeString`."""
    digest = _FNV64_OFFSET
    for part in (mesh, name, *values):
        for byte in part.encode():
            digest = ((digest ^ byte) * _FNV64_PRIME) & 0xFFFFFFFFFFFFFFFF
    encoded = "".join(_SAFE_ALPHABET[ord(c) % len(_SAFE_ALPHABET)] for c in f"{digest:016x}")
    return f"{name[: _K8S_NAME_LIMIT - 1 - len(encoded)]}-{encoded}"


@dataclass(frozen=True, slots=True)
class StoreNaming:
    """How the control plane answering `/_kri/{kri}` names what it stores (E7)."""

    global_cp: bool = False
    zone: str = "default"
    """The zone of a zone control plane."""
    universal: bool = False
    system_namespace: str = "kuma-system"

    def store_name(self, wanted: Kri, *, namespaced: bool) -> str:
        """Where the resource a KRI names is stored: under its own name (in its namespace,
        else the system one, on Kubernetes) when this control plane authored it (a global
        CP: no zone; a zone CP: its zone), else under `hashed_name` of mesh, name, zone
        and namespace (empty ones add nothing), in the system namespace on Kubernetes."""
        local = wanted.zone == "" if self.global_cp else wanted.zone == self.zone
        if local:
            if self.universal or not namespaced:
                return wanted.name
            return f"{wanted.name}.{wanted.namespace or self.system_namespace}"
        hashed = hashed_name(wanted.mesh, wanted.name, wanted.zone, wanted.namespace)
        return hashed if self.universal else f"{hashed}.{self.system_namespace}"


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
