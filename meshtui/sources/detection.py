"""Which Kuma control plane a cluster runs, read from what the cluster shows (spec §8).

Pure: this module interprets what was read (the control plane's Deployment, the
`kuma.io` kinds the cluster serves); `meshtui.sources.kube.detect` does the reading.
Evidence is trusted in the spec's order (V2): the control-plane image tag, then the
Deployment's `app.kubernetes.io/version` label, then its `helm.sh/chart` label, then
which CRDs exist (V4: a lower bound); when nothing tells, meshtui answers as the default
profile and says so. Kong Mesh (V5) runs `kong/kuma-cp:<Kong Mesh version>` in
`kong-mesh-system`; its chart is built on Kuma's chart of the same line, so a Kong Mesh
version answers as that Kuma line's profile.

The same Deployment's environment (V3) tells the control plane's settings; they are
reported as read (None: not set there, so Kuma's own default or its config file applies).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.versions import DEFAULT, PROFILES, KumaVersion

KUMA = "Kuma"
KONG_MESH = "Kong Mesh"

WELL_KNOWN: tuple[tuple[str, str], ...] = (
    ("kuma-system", "kuma-control-plane"),
    ("kong-mesh-system", "kong-mesh-control-plane"),
)
"""(namespace, Deployment) of the charts' control planes, Kuma first (V1, V5)."""

APP_LABELS = ("kuma-control-plane", "kong-mesh-control-plane")
"""Values of the `app` label the charts put on the control-plane Deployment."""

CRD_FLOORS: tuple[tuple[str, frozenset[str]], ...] = (
    ("2.14", frozenset({"meshopentelemetrybackends", "meshzoneaddresses"})),
    ("2.13", frozenset({"workloads"})),
    ("2.12", frozenset({"meshidentities", "meshtrusts"})),
)
"""`kuma.io` kinds by the line whose chart first installs them, newest first (V4)."""

_CHART = re.compile(r"^(?P<chart>.+?)-(?P<version>v?\d+\.\d+\.\d+\S*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """What the cluster says about its control plane, and how meshtui found out."""

    version: KumaVersion | None
    """The Kuma version the evidence names (with its patch; possibly a line meshtui does
    not support); None when nothing told."""
    how: str
    """One sentence: what was read and what came of it, e.g. `Kuma 2.14.3 (detected from
    the kuma-control-plane image tag)`, `could not read Deployments (403): using the
    default 2.14`."""
    evidence: str = ""
    """Where `version` came from: `image tag`, `label app.kubernetes.io/version`, `label
    helm.sh/chart`, `CRDs` (a lower bound); `""` when nothing told."""
    product: str = KUMA
    """`Kuma` or `Kong Mesh`."""
    product_version: str = ""
    """The version as the product names it (`2.14.1` for Kong Mesh 2.14.1); `""` unknown."""
    deployment: str = ""
    """`namespace/name` of the control-plane Deployment read; `""` when none was."""
    mode: str | None = None
    """`KUMA_MODE`: `zone` or `global`."""
    zone: str | None = None
    """`KUMA_MULTIZONE_ZONE_NAME`."""
    system_namespace: str | None = None
    """`KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE` (the chart sets it to its namespace)."""
    environment: str | None = None
    """`KUMA_ENVIRONMENT`: `kubernetes` or `universal`."""
    inbound_tags_disabled: bool | None = None
    """`KUMA_EXPERIMENTAL_INBOUND_TAGS_DISABLED`."""
    unified_resource_naming: bool | None = None
    """`KUMA_RUNTIME_KUBERNETES_INJECTOR_UNIFIED_RESOURCE_NAMING_ENABLED` (K6)."""
    service: str | None = None
    """`KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME`: the Service in front of the
    control plane's API (port 5681)."""

    @property
    def profile(self) -> KumaVersion:
        """The version meshtui answers as: the detected one (the nearest supported line
        if it is not supported), else the default."""
        return self.version.supported() if self.version is not None else DEFAULT

    @property
    def short(self) -> str:
        """For the header: `Kuma 2.14.3 (detected)`, `Kong Mesh 2.14.1 (detected)`,
        `Kuma 2.12 (from CRDs)`, or `Kuma 2.14 (default)` when nothing told."""
        if self.version is None:
            return f"{KUMA} {DEFAULT.line} (default)"
        if self.evidence == "CRDs":
            return f"{KUMA} {self.version.line} (from CRDs)"
        return f"{self.product} {self.product_version or self.version} (detected)"


# -- from a Deployment --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Clue:
    """A version one place names, or why it names none."""

    version: KumaVersion | None
    product_version: str
    where: str
    """`image tag`, `label app.kubernetes.io/version`, ..."""
    problem: str = ""


def from_deployment(
    deployment: Mapping[str, Any], served: frozenset[str] | None, note: str = ""
) -> Detection:
    """Read a control-plane Deployment (a raw `apps/v1` body).

    Args:
        deployment: The Deployment as the API server returned it.
        served: The `kuma.io/v1alpha1` plurals the cluster serves (None: unknown), for
            the CRD floor when neither the image nor the labels name a version.
        note: Said after the sentence (e.g. that several control planes were found).
    """
    meta = _mapping(deployment.get("metadata"))
    labels = {str(k): str(v) for k, v in _mapping(meta.get("labels")).items()}
    name = str(meta.get("name") or "")
    container = _control_plane_container(deployment)
    image = str(container.get("image") or "")
    env = _env(container)
    product = _product(name, labels, image)
    clues = (
        _image_clue(image, product),
        _version_clue(labels.get("app.kubernetes.io/version"), product),
        _chart_clue(labels.get("helm.sh/chart")),
    )
    found = next((c for c in clues if c.version is not None), None)
    problems = [c.problem for c in clues if c.problem]
    if found is not None:
        how = _detected(product, found, name, problems[: clues.index(found)])
        version, product_version, evidence = found.version, found.product_version, found.where
    else:
        version, floor_text = _floor(served)
        said = "; ".join(problems) if problems else "names no version"
        how = f"{name}: {said}{floor_text}"
        product_version, evidence = "", "CRDs" if version is not None else ""
    return Detection(
        version=version,
        how=how + (f" ({note})" if note else ""),
        evidence=evidence,
        product=product,
        product_version=product_version,
        deployment=f"{meta.get('namespace') or ''}/{name}",
        mode=env.get("KUMA_MODE"),
        zone=env.get("KUMA_MULTIZONE_ZONE_NAME"),
        system_namespace=env.get("KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE"),
        environment=env.get("KUMA_ENVIRONMENT"),
        inbound_tags_disabled=_flag(env.get("KUMA_EXPERIMENTAL_INBOUND_TAGS_DISABLED")),
        unified_resource_naming=_flag(
            env.get("KUMA_RUNTIME_KUBERNETES_INJECTOR_UNIFIED_RESOURCE_NAMING_ENABLED")
        ),
        service=env.get("KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME"),
    )


def without_deployment(problem: str, served: frozenset[str] | None) -> Detection:
    """No Deployment could be read (`problem` says why): the CRDs, else the default."""
    version, floor_text = _floor(served)
    evidence = "CRDs" if version is not None else ""
    return Detection(version=version, how=problem + floor_text, evidence=evidence)


def _detected(product: str, clue: _Clue, name: str, earlier: Sequence[str]) -> str:
    assert clue.version is not None
    said = f"{product} {clue.product_version}"
    source = f"detected from the {name} {clue.where}"
    if earlier:
        source += "; " + "; ".join(earlier)
    text = f"{said} ({source})"
    profile = clue.version.supported()
    if profile != clue.version:
        return f"{text}: not a supported line, answering as Kuma {profile}"
    if product != KUMA:
        return f"{text}: answering as Kuma {profile}"
    return text


def _floor(served: frozenset[str] | None) -> tuple[KumaVersion | None, str]:
    """The CRD floor (V4) as the version to answer as, and the words that end a sentence
    with it (`; CRDs say at least 2.12: answering as 2.12.14`)."""
    default = f": using the default {DEFAULT.line}"
    if served is None:
        return None, default
    if not served:
        return None, f"; no kuma.io kinds are served{default}"
    for line, plurals in CRD_FLOORS:
        if plurals & served:
            version = PROFILES[line]
            return version, f"; CRDs say at least {line}: answering as {version}"
    return None, f"; CRDs give no lower bound{default}"


def _control_plane_container(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    """The chart's `control-plane` container, else the first running `kuma-cp`, else the first."""
    pod = _mapping(_mapping(_mapping(deployment.get("spec")).get("template")).get("spec"))
    containers = [c for c in pod.get("containers") or () if isinstance(c, Mapping)]
    for test in (
        lambda c: c.get("name") == "control-plane",
        lambda c: _repository(str(c.get("image") or "")).endswith("kuma-cp"),
    ):
        chosen = next((c for c in containers if test(c)), None)
        if chosen is not None:
            return chosen
    return containers[0] if containers else {}


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    """Plain `value` entries of the container's env (`valueFrom` ones cannot be read here)."""
    env: dict[str, str] = {}
    for entry in container.get("env") or ():
        if isinstance(entry, Mapping) and "value" in entry and entry.get("name"):
            env[str(entry["name"])] = str(entry["value"])
    return env


def _product(name: str, labels: Mapping[str, str], image: str) -> str:
    """Kong Mesh when its image, Deployment name, name label or chart says so."""
    chart = _CHART.match(labels.get("helm.sh/chart", ""))
    signs = (
        _repository(image).endswith("kong/kuma-cp"),
        name.startswith("kong-mesh"),
        labels.get("app.kubernetes.io/name") == "kong-mesh",
        chart is not None and chart.group("chart") == "kong-mesh",
    )
    return KONG_MESH if any(signs) else KUMA


def _repository(image: str) -> str:
    """`docker.io/kumahq/kuma-cp` of `docker.io/kumahq/kuma-cp:2.14.3@sha256:...`."""
    name = image.split("@", 1)[0]
    head, _, tail = name.rpartition("/")
    return f"{head}/{tail.split(':', 1)[0]}" if head else tail.split(":", 1)[0]


def _tag(image: str) -> str:
    """`2.14.3` of `docker.io/kumahq/kuma-cp:2.14.3@sha256:...`; `""` when untagged."""
    last = image.split("@", 1)[0].rpartition("/")[2]
    return last.partition(":")[2]


def _release(text: str, product: str) -> tuple[KumaVersion | None, str]:
    """The Kuma version a release number of `product` answers as, and the number itself.

    A development build (major 0, e.g. `0.0.0-preview.vlocal-build`) is no release; a
    Kong Mesh release answers as its Kuma line's profile (V5).
    """
    version = KumaVersion.parse(text)
    if version is None or version.major < 1:
        return None, ""
    said = text.strip().removeprefix("v")
    if product == KONG_MESH:
        line = PROFILES.get(version.line)
        return (line or KumaVersion(version.major, version.minor, 0)), said
    return version, said


def _image_clue(image: str, product: str) -> _Clue:
    where = "image tag"
    if not image:
        return _Clue(None, "", where, "the control-plane container names no image")
    tag = _tag(image)
    if not tag:
        return _Clue(None, "", where, f"image {image!r} has no tag")
    version, said = _release(tag, product)
    if version is None:
        return _Clue(None, "", where, f"image tag {tag!r} cannot be parsed")
    return _Clue(version, said, where)


def _version_clue(value: str | None, product: str) -> _Clue:
    where = "label app.kubernetes.io/version"
    if not value:
        return _Clue(None, "", where)
    version, said = _release(value, product)
    if version is None:
        return _Clue(None, "", where, f"{where} {value!r} cannot be parsed")
    return _Clue(version, said, where)


def _chart_clue(value: str | None) -> _Clue:
    where = "label helm.sh/chart"
    if not value:
        return _Clue(None, "", where)
    found = _CHART.match(value)
    product = KONG_MESH if found is not None and found.group("chart") == "kong-mesh" else KUMA
    version, said = _release(found.group("version"), product) if found else (None, "")
    if version is None:
        return _Clue(None, "", where, f"{where} {value!r} cannot be parsed")
    return _Clue(version, said, where)


def _flag(value: str | None) -> bool | None:
    """An env flag as Kuma's config loader reads it (Go's `strconv.ParseBool`)."""
    if value is None:
        return None
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
