"""Which Kuma control plane a cluster runs, read from what the cluster shows (spec §8).

Pure: this module interprets what was read (the control plane's Deployment, its API's
index, DataplaneInsights and ZoneInsights, the `kuma.io` kinds the cluster serves);
`meshtui.sources.kube.detect` does the reading. Evidence is trusted in the spec's order
(V2): the control-plane image tag, then the Deployment's `app.kubernetes.io/version`
label, then its `helm.sh/chart` label. When the Deployment cannot be read or names no
version, the fallbacks of V4 are read in this order, the first that names a release
winning (`with_fallbacks`):

1. the control plane's own index (`GET /` of its API through the service proxy): what
   it says it runs, trusted as much as the image tag;
2. DataplaneInsights: the newest `kuma-dp` among the latest subscription of each proxy.
   The injector gives every new proxy the control plane's own `kuma-dp`, and a proxy
   keeps the one it started with, so proxies started before an upgrade lag and none
   leads: the newest is the nearest to the control plane's version (a lower bound);
3. ZoneInsights (a global control plane): the newest `kuma-cp` among the latest
   subscription of each zone; zones are upgraded after the global one, so this too is
   a lower bound.

An insight's version is only a lower bound, so a CRD floor of a later line wins over it;
the index's is not (it is the control plane's own word). When nothing names a version,
the CRDs give the floor (V4: a lower bound), else meshtui answers as the default profile
and says so. Kong Mesh (V5) runs `kong/kuma-cp:<Kong Mesh version>` in
`kong-mesh-system`; its chart is built on Kuma's chart of the same line, so a Kong Mesh
version answers as that Kuma line's profile, unless its index names the Kuma version it
is based on (`basedOnKuma`), which is answered as exactly.

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
"""(namespace, Deployment) of the charts' control planes, Kuma first (V1, V5); the
Service in front of each has the Deployment's name."""

INDEX = "control plane's API"
"""`Detection.evidence` of a version the control plane's index named."""

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
    helm.sh/chart`, `control plane's API` (its index), `DataplaneInsights` or
    `ZoneInsights` (the newest `kuma-dp` or zone `kuma-cp`: a lower bound), `CRDs` (a
    lower bound); `""` when nothing told."""
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
    """`KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE` (the chart sets it to its namespace); with
    no Deployment read, the namespace of the Service whose API answered the index (the
    charts put both in their release namespace)."""
    environment: str | None = None
    """`KUMA_ENVIRONMENT`: `kubernetes` or `universal`."""
    inbound_tags_disabled: bool | None = None
    """`KUMA_EXPERIMENTAL_INBOUND_TAGS_DISABLED`."""
    unified_resource_naming: bool | None = None
    """`KUMA_RUNTIME_KUBERNETES_INJECTOR_UNIFIED_RESOURCE_NAMING_ENABLED` (K6)."""
    service: str | None = None
    """`KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME`: the Service in front of the
    control plane's API (port 5681); with no Deployment read, the Service whose API
    answered the index."""

    @property
    def profile(self) -> KumaVersion:
        """The version meshtui answers as: the detected one (the nearest supported line
        if it is not supported), else the default."""
        return self.version.supported() if self.version is not None else DEFAULT

    @property
    def short(self) -> str:
        """For the header: `Kuma 2.14.3 (detected)`, `Kong Mesh 2.14.1 (detected)` (from
        the Deployment or the control plane's index), `Kuma 2.13.4 (from kuma-dp)`, `Kuma
        2.13.4 (from zone CPs)` (the newest proxy or zone: a lower bound), `Kuma 2.12 (from
        CRDs)`, or `Kuma 2.14 (default)` when nothing told."""
        if self.version is None:
            return f"{KUMA} {DEFAULT.line} (default)"
        if self.evidence == "CRDs":
            return f"{KUMA} {self.version.line} (from CRDs)"
        said = f"{self.product} {self.product_version or self.version}"
        insight = next((i for i in INSIGHTS if i.name == self.evidence), None)
        if insight is not None:
            return f"{said} (from {insight.short})"
        return f"{said} (detected)"


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
    deployment: Mapping[str, Any],
    served: frozenset[str] | None,
    note: str = "",
    fallbacks: Sequence[Reading] = (),
) -> Detection:
    """Read a control-plane Deployment (a raw `apps/v1` body).

    Args:
        deployment: The Deployment as the API server returned it.
        served: The `kuma.io/v1alpha1` plurals the cluster serves (None: unknown), for
            the CRD floor when neither the image nor the labels name a version.
        note: Said after the sentence (e.g. that several control planes were found).
        fallbacks: What the fallbacks read, in the order they were read, for when
            neither the image nor the labels name a version (`with_fallbacks`).
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
        said = "; ".join(problems) if problems else "names no version"
        outcome = with_fallbacks(f"{name}: {said}", fallbacks, served)
        version, how, evidence = outcome.version, outcome.how, outcome.evidence
        product = outcome.product or product
        product_version = outcome.product_version
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


def without_deployment(
    problem: str, served: frozenset[str] | None, fallbacks: Sequence[Reading] = ()
) -> Detection:
    """No Deployment could be read (`problem` says why): the fallbacks (`with_fallbacks`),
    else the CRDs, else the default."""
    outcome = with_fallbacks(problem, fallbacks, served)
    namespace, service = outcome.service or (None, None)
    return Detection(
        version=outcome.version,
        how=outcome.how,
        evidence=outcome.evidence,
        product=outcome.product or KUMA,
        product_version=outcome.product_version,
        system_namespace=namespace,
        service=service,
    )


def _detected(product: str, clue: _Clue, name: str, earlier: Sequence[str]) -> str:
    assert clue.version is not None
    source = f"detected from the {name} {clue.where}"
    return _sentence(product, clue.product_version, clue.version, [source, *earlier])


def _sentence(product: str, said: str, version: KumaVersion, why: Sequence[str]) -> str:
    """`Kuma 2.14.3 (<why>)`, with what it answers as when that is another version."""
    text = f"{product} {said} ({'; '.join(why)})"
    profile = version.supported()
    if profile != version:
        return f"{text}: not a supported line, answering as Kuma {profile}"
    if product != KUMA:
        return f"{text}: answering as Kuma {profile}"
    return text


# -- the fallbacks: the control plane's index, DataplaneInsights, ZoneInsights -----------


@dataclass(frozen=True, slots=True)
class InsightKind:
    """A `kuma.io` insight kind whose subscriptions name a Kuma component's version (V4)."""

    plural: str
    name: str
    """`DataplaneInsights`: the kind in the plural, for sentences and `Detection.evidence`."""
    singular: str
    part: str
    """Where the subscriptions are: `status` (DataplaneInsight) or `spec` (ZoneInsight)."""
    component: str
    """The key under a subscription's `version`: `kumaDp` or `kumaCp`."""
    binary: str
    """`kuma-dp` or `kuma-cp`, for sentences."""
    short: str
    """For the header: `kuma-dp`, `zone CPs`."""


DATAPLANE_INSIGHTS = InsightKind(
    "dataplaneinsights",
    "DataplaneInsights",
    "DataplaneInsight",
    "status",
    "kumaDp",
    "kuma-dp",
    "kuma-dp",
)
"""Namespaced; `status.subscriptions[].version.kumaDp.version` (V4)."""
ZONE_INSIGHTS = InsightKind(
    "zoneinsights", "ZoneInsights", "ZoneInsight", "spec", "kumaCp", "kuma-cp", "zone CPs"
)
"""Cluster-scoped, on a global control plane; `spec.subscriptions[].version.kumaCp.version`."""
INSIGHTS = (DATAPLANE_INSIGHTS, ZONE_INSIGHTS)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one fallback read: the version it names, or why it names none."""

    evidence: str
    """`control plane's API`, `DataplaneInsights` or `ZoneInsights`."""
    source: str = ""
    """What named the version, as the sentence says it: `the control plane's API,
    kuma-system/kuma-control-plane:5681`, `the newest kuma-dp of 3 DataplaneInsights`."""
    version: KumaVersion | None = None
    """The Kuma version answered as (a Kong Mesh release as its Kuma line's profile)."""
    product: str = KUMA
    product_version: str = ""
    problem: str = ""
    """Why nothing was named (`""` when `version` is set)."""
    service: tuple[str, str] | None = None
    """(namespace, Service) whose API answered the index."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the fallbacks and the CRD floor make of a control plane whose Deployment
    named no version."""

    version: KumaVersion | None
    how: str
    evidence: str = ""
    product: str = ""
    """The product a fallback named (`""`: none did)."""
    product_version: str = ""
    service: tuple[str, str] | None = None


def from_index(
    service: tuple[str, str], where: str, product: str, version: str, based_on_kuma: str = ""
) -> Reading:
    """What the control plane's index (`{"product","version","basedOnKuma"?}`) names.

    A product built on Kuma answers as the Kuma version it names in `basedOnKuma`; Kong
    Mesh without it as its Kuma line's profile (V5); another product without it names
    nothing meshtui can answer as.

    Args:
        service: (namespace, name) of the Service whose API answered.
        where: The same with the port, for the sentence (`kuma-system/kuma-control-plane:5681`).
        product: The index's `product`.
        version: Its `version`.
        based_on_kuma: Its `basedOnKuma` (`""` when absent).
    """
    product = product.strip() or KUMA
    if based_on_kuma:
        kuma, said = _release(based_on_kuma, KUMA)
        said = version.strip().removeprefix("v") or said
    elif product in (KUMA, KONG_MESH):
        kuma, said = _release(version, product)
    else:
        kuma, said = None, ""
    if kuma is None:
        named = f"{product} {version}".strip()
        return Reading(
            INDEX, problem=f"the control plane's API ({where}) names no release: {named}"
        )
    source = f"the control plane's API, {where}"
    return Reading(INDEX, source, kuma, product, said, service=service)


def from_insights(
    kind: InsightKind, items: Sequence[object], product: str = KUMA, *, more: bool = False
) -> Reading:
    """The newest version that the latest subscription (the last one naming a version) of
    each insight names; a Kong Mesh release (`product`) answers as its Kuma line's profile.

    Args:
        kind: Which insights these are.
        items: The insight objects as the API server listed them.
        product: The product of the Deployment read, else Kuma.
        more: Whether the list had more pages than the one read.
    """
    found: list[tuple[KumaVersion, str]] = []
    for item in items:
        text = _latest_version(item, kind)
        parsed = KumaVersion.parse(text) if text else None
        if parsed is not None and parsed.major >= 1:
            found.append((parsed, text))
    if not found:
        said = f"no {kind.singular} names a {kind.binary} release"
        return Reading(kind.name, problem=said if items else f"no {kind.name}")
    _, text = max(found)
    version, said = _release(text, product)
    count = f"{len(found)} {kind.name}" + (" (the first page)" if more else "")
    return Reading(kind.name, f"the newest {kind.binary} of {count}", version, product, said)


def with_fallbacks(
    why: str, fallbacks: Sequence[Reading], served: frozenset[str] | None
) -> Outcome:
    """The version the first fallback naming one gives, else the CRD floor, else none.

    Args:
        why: Why the Deployment gave no version (`could not read Deployments (403)`).
        fallbacks: What each fallback read, in the order read.
        served: The `kuma.io/v1alpha1` plurals served (None: unknown), for the CRD floor:
            the answer when no fallback names a version, and the answer over an insight
            (a lower bound) of an older line.
    """
    found = next((r for r in fallbacks if r.version is not None), None)
    before = fallbacks[: fallbacks.index(found)] if found is not None else fallbacks
    problems = [why, *(r.problem for r in before if r.problem)]
    if found is None or found.version is None:
        version, floor_text = _floor(served)
        evidence = "CRDs" if version is not None else ""
        return Outcome(version, "; ".join(problems) + floor_text, evidence)
    if found.evidence != INDEX:
        floor, floor_text = _floor(served)
        if floor is not None and (floor.major, floor.minor) > (
            found.version.major,
            found.version.minor,
        ):
            said = f"{found.source} is {found.product_version}"
            return Outcome(floor, "; ".join([*problems, said]) + floor_text, "CRDs")
    how = _sentence(
        found.product, found.product_version, found.version, [f"from {found.source}", *problems]
    )
    return Outcome(
        found.version, how, found.evidence, found.product, found.product_version, found.service
    )


def _latest_version(item: object, kind: InsightKind) -> str:
    """`<part>.subscriptions[].version.<component>.version` of the last subscription that
    names one; `""` when none does."""
    part = _mapping(_mapping(item).get(kind.part))
    subscriptions = part.get("subscriptions")
    for subscription in reversed(subscriptions if isinstance(subscriptions, list) else []):
        version = _mapping(_mapping(_mapping(subscription).get("version")).get(kind.component))
        text = version.get("version")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return ""


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
