"""`meshtui.sources.detection`: what a control-plane Deployment and the served CRDs say.

Pure: Deployment bodies as the charts render them (`tests.fakekube.charts`), edited to
each case; the cluster round trip is in tests/sources/kube/test_detect.py.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from meshtui.sources.detection import (
    DATAPLANE_INSIGHTS,
    INDEX,
    KONG_MESH,
    ZONE_INSIGHTS,
    Detection,
    Reading,
    from_deployment,
    from_index,
    from_insights,
    with_fallbacks,
    without_deployment,
)
from meshtui.sources.profile import Asked
from meshtui.versions import DEFAULT, KumaVersion
from tests.fakekube.charts import control_plane
from tests.fakekube.insights import dataplane_insight, zone_insight

NO_LABELS: dict[str, str | None] = {"app.kubernetes.io/version": None, "helm.sh/chart": None}


def deployment(version: str = "2.14.3", **kwargs: Any) -> dict[str, Any]:
    return control_plane(version, **kwargs)[0]


@pytest.mark.parametrize(
    ("image", "version", "said"),
    [
        ("docker.io/kumahq/kuma-cp:2.14.3", KumaVersion(2, 14, 3), "2.14.3"),
        ("kumahq/kuma-cp:v2.13.1", KumaVersion(2, 13, 1), "2.13.1"),
        ("registry.local:5000/mirror/kuma-cp:2.11.4-ubi", KumaVersion(2, 11, 4), "2.11.4-ubi"),
        ("kumahq/kuma-cp:2.12.3@sha256:" + "0" * 64, KumaVersion(2, 12, 3), "2.12.3"),
        ("kuma-cp:2.12", KumaVersion(2, 12, 14), "2.12"),  # a line: its profile
    ],
)
def test_the_image_tag_names_the_version(image: str, version: KumaVersion, said: str) -> None:
    found = from_deployment(deployment(image=image, labels=NO_LABELS), None)
    assert (found.version, found.product_version, found.evidence) == (version, said, "image tag")
    assert found.how == f"Kuma {said} (detected from the kuma-control-plane image tag)"


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("kumahq/kuma-cp:latest", "image tag 'latest' cannot be parsed"),
        ("kumahq/kuma-cp:0.0.0-preview.vlocal-build", "image tag '0.0.0-preview.vlocal-build'"),
        ("kumahq/kuma-cp@sha256:" + "1" * 64, "has no tag"),
        ("kumahq/kuma-cp", "has no tag"),
    ],
)
def test_a_tag_that_names_no_release_is_said(image: str, problem: str) -> None:
    found = from_deployment(deployment(image=image, labels=NO_LABELS), None)
    assert found.version is None and found.profile == DEFAULT
    assert problem in found.how
    assert found.how.startswith("kuma-control-plane: ")
    assert found.how.endswith(": using the default 2.14")


def test_labels_are_read_in_order_after_the_tag() -> None:
    by_version = deployment("2.13.4", tag="dev")
    found = from_deployment(by_version, None)
    assert found.evidence == "label app.kubernetes.io/version"
    assert found.version == KumaVersion(2, 13, 4)
    by_chart = deployment("2.12.7", tag="dev", labels={"app.kubernetes.io/version": None})
    found = from_deployment(by_chart, None)
    assert found.evidence == "label helm.sh/chart" and found.version == KumaVersion(2, 12, 7)
    assert found.how == (
        "Kuma 2.12.7 (detected from the kuma-control-plane label helm.sh/chart; "
        "image tag 'dev' cannot be parsed)"
    )
    unreadable = deployment(
        "2.12.7", tag="dev", labels={"app.kubernetes.io/version": "x", "helm.sh/chart": "kuma"}
    )
    found = from_deployment(unreadable, None)
    assert found.version is None
    assert "label app.kubernetes.io/version 'x' cannot be parsed" in found.how
    assert "label helm.sh/chart 'kuma' cannot be parsed" in found.how


@pytest.mark.parametrize(
    ("version", "profile", "tail"),
    [
        ("2.9.3", KumaVersion(2, 10, 11), ": not a supported line, answering as Kuma 2.10.11"),
        ("2.15.0", DEFAULT, ": not a supported line, answering as Kuma 2.14.3"),
        ("2.11.2", KumaVersion(2, 11, 2), ""),
    ],
)
def test_a_version_outside_the_supported_lines(
    version: str, profile: KumaVersion, tail: str
) -> None:
    found = from_deployment(deployment(version), None)
    assert found.version == KumaVersion.parse(version) and found.profile == profile
    assert found.how == f"Kuma {version} (detected from the kuma-control-plane image tag){tail}"


def test_kong_mesh_by_image_name_label_or_chart() -> None:
    own = from_deployment(deployment("2.13.2", product="kong-mesh"), None)
    assert (own.product, own.product_version, own.profile) == (
        "Kong Mesh",
        "2.13.2",
        KumaVersion(2, 13, 10),
    )
    assert own.short == "Kong Mesh 2.13.2 (detected)"
    mirrored = deployment("2.13.2", product="kong-mesh", image="mirror.local/kuma-cp:2.13.2")
    assert from_deployment(mirrored, None).product == "Kong Mesh"  # by name and labels
    old = from_deployment(deployment("2.7.4", product="kong-mesh"), None)
    assert old.profile == KumaVersion(2, 10, 11)
    assert old.how.endswith(": not a supported line, answering as Kuma 2.10.11")


def test_settings_from_the_environment() -> None:
    body = deployment(
        "2.14.3",
        mode="global",
        env={
            "KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE": "mesh-system",
            "KUMA_EXPERIMENTAL_INBOUND_TAGS_DISABLED": "false",
            "KUMA_RUNTIME_KUBERNETES_INJECTOR_UNIFIED_RESOURCE_NAMING_ENABLED": "1",
            "KUMA_ENVIRONMENT": "universal",
        },
    )
    found = from_deployment(body, None)
    assert (found.mode, found.zone, found.system_namespace) == ("global", None, "mesh-system")
    assert found.inbound_tags_disabled is False and found.unified_resource_naming is True
    assert found.environment == "universal"
    unset = from_deployment(deployment(env={"KUMA_MODE": None}), None)
    assert unset.mode is None, "not set: Kuma's default (or its config file) applies"


def test_the_control_plane_container_is_found_among_others() -> None:
    body = deployment("2.12.1")
    pod = body["spec"]["template"]["spec"]
    main = pod["containers"][0]
    main["name"] = "kuma"
    pod["containers"] = [{"name": "proxy", "image": "envoyproxy/envoy:v1.30"}, main]
    assert from_deployment(body, None).version == KumaVersion(2, 12, 1)
    pod["containers"] = []
    found = from_deployment(body, None)  # the labels still tell
    assert found.version == KumaVersion(2, 12, 1)
    assert "the control-plane container names no image" in found.how


@pytest.mark.parametrize(
    ("served", "tail", "profile"),
    [
        (None, ": using the default 2.14", DEFAULT),
        (frozenset(), "; no kuma.io kinds are served: using the default 2.14", DEFAULT),
        (frozenset({"meshes"}), "; CRDs give no lower bound: using the default 2.14", DEFAULT),
        (frozenset({"meshtrusts"}), "; CRDs say at least 2.12: answering as 2.12.14", None),
        (frozenset({"meshtrusts", "workloads"}), "; CRDs say at least 2.13: answering as", None),
        (frozenset({"meshzoneaddresses"}), "; CRDs say at least 2.14: answering as 2.14.3", None),
    ],
)
def test_the_crds_give_a_lower_bound(
    served: frozenset[str] | None, tail: str, profile: KumaVersion | None
) -> None:
    found = without_deployment("could not read Deployments (403)", served)
    assert found.how.startswith("could not read Deployments (403)" + tail)
    if profile is not None:
        assert found.version is None and found.profile == profile
    else:
        assert found.version is not None and found.evidence == "CRDs"
        assert found.short == f"Kuma {found.version.line} (from CRDs)"


# -- the fallbacks ---------------------------------------------------------------------------

KUMA_SYSTEM = ("kuma-system", "kuma-control-plane")
WHERE = "kuma-system/kuma-control-plane:5681"


@pytest.mark.parametrize(
    ("product", "version", "based_on", "answer", "said"),
    [
        ("Kuma", "2.13.2", "", KumaVersion(2, 13, 2), "2.13.2"),
        ("Kong Mesh", "2.12.5", "2.12.9", KumaVersion(2, 12, 9), "2.12.5"),
        ("Kong Mesh", "2.12.5", "", KumaVersion(2, 12, 14), "2.12.5"),  # its line's profile
        ("Acme Mesh", "1.4.0", "2.13.1", KumaVersion(2, 13, 1), "1.4.0"),
    ],
)
def test_the_index_names_the_kuma_version_it_runs_or_is_based_on(
    product: str, version: str, based_on: str, answer: KumaVersion, said: str
) -> None:
    reading = from_index(KUMA_SYSTEM, WHERE, product, version, based_on)
    assert (reading.version, reading.product, reading.product_version) == (answer, product, said)
    assert reading.source == f"the control plane's API, {WHERE}" and not reading.problem
    assert reading.service == KUMA_SYSTEM


@pytest.mark.parametrize(
    ("product", "version", "based_on"),
    [("Kuma", "0.0.0-preview.vlocal-build", ""), ("Kuma", "", ""), ("Acme Mesh", "1.4.0", "")],
)
def test_an_index_that_names_no_kuma_release_is_said(
    product: str, version: str, based_on: str
) -> None:
    reading = from_index(KUMA_SYSTEM, WHERE, product, version, based_on)
    assert reading.version is None
    assert reading.problem == (
        f"the control plane's API ({WHERE}) names no release: {product} {version}".strip()
    )


def test_insights_name_the_newest_version_of_each_latest_subscription() -> None:
    items = [
        dataplane_insight("a", "ns", "2.11.4", "2.12.3"),
        dataplane_insight("b", "ns", "2.12.10"),  # compared as versions, not as text
        dataplane_insight("c", "ns", "2.13.0", "2.12.1"),  # reconnected to an older one
        dataplane_insight("d", "ns", "2.12.4", None),  # the latest named none: the one before
        dataplane_insight("e", "ns", "0.0.0-preview.vlocal-build"),
        dataplane_insight("f", "ns"),
        {"status": None},
    ]
    reading = from_insights(DATAPLANE_INSIGHTS, items)
    assert (reading.version, reading.product_version) == (KumaVersion(2, 12, 10), "2.12.10")
    assert reading.source == "the newest kuma-dp of 4 DataplaneInsights"
    paged = from_insights(DATAPLANE_INSIGHTS, items, more=True)
    assert paged.source == "the newest kuma-dp of 4 DataplaneInsights (the first page)"
    kong = from_insights(DATAPLANE_INSIGHTS, items[:1], KONG_MESH)
    assert (kong.version, kong.product, kong.product_version) == (
        KumaVersion(2, 12, 14),
        KONG_MESH,
        "2.12.3",
    )
    assert from_insights(DATAPLANE_INSIGHTS, []).problem == "no DataplaneInsights"
    assert from_insights(DATAPLANE_INSIGHTS, items[4:]).problem == (
        "no DataplaneInsight names a kuma-dp release"
    )


def test_zone_insights_name_the_zone_control_planes() -> None:
    items = [zone_insight("zone-1", "2.13.1"), zone_insight("zone-2", "2.12.6", "2.13.4")]
    reading = from_insights(ZONE_INSIGHTS, items)
    assert (reading.version, reading.evidence) == (KumaVersion(2, 13, 4), "ZoneInsights")
    assert reading.source == "the newest kuma-cp of 2 ZoneInsights"
    found = without_deployment("could not read Deployments (403)", None, [reading])
    assert found.short == "Kuma 2.13.4 (from zone CPs)"


def test_an_insight_of_an_older_line_than_the_crds_gives_way_to_them() -> None:
    """Proxies keep the kuma-dp they started with: a newer line's CRDs say more."""
    reading = from_insights(DATAPLANE_INSIGHTS, [dataplane_insight("a", "ns", "2.12.3")])
    lifted = with_fallbacks("could not read Deployments (403)", [reading], frozenset({"workloads"}))
    assert (lifted.version, lifted.evidence) == (KumaVersion(2, 13, 10), "CRDs")
    assert lifted.how == (
        "could not read Deployments (403); the newest kuma-dp of 1 DataplaneInsights is 2.12.3; "
        "CRDs say at least 2.13: answering as 2.13.10"
    )
    kept = with_fallbacks("x", [reading], frozenset({"meshtrusts"}))
    assert (kept.version, kept.evidence) == (KumaVersion(2, 12, 3), "DataplaneInsights")
    index = from_index(KUMA_SYSTEM, WHERE, "Kuma", "2.12.3")
    trusted = with_fallbacks("x", [index], frozenset({"workloads"}))
    assert trusted.version == KumaVersion(2, 12, 3), "the control plane's own word stands"


def test_the_first_fallback_naming_a_version_wins_and_earlier_ones_are_said() -> None:
    failed = Reading(INDEX, problem="cannot reach the control plane's API: nope (403)")
    insight = from_insights(DATAPLANE_INSIGHTS, [dataplane_insight("a", "ns", "2.11.2")])
    zones = from_insights(ZONE_INSIGHTS, [zone_insight("z", "2.14.1")])
    found = without_deployment("why", None, [failed, insight, zones])
    assert found.how == (
        "Kuma 2.11.2 (from the newest kuma-dp of 1 DataplaneInsights; why; "
        "cannot reach the control plane's API: nope (403))"
    )
    assert (found.version, found.evidence) == (KumaVersion(2, 11, 2), "DataplaneInsights")
    assert (found.system_namespace, found.service) == (None, None)
    profile = Asked().profile(found)
    assert profile.label == "Kuma 2.11.2 (from kuma-dp)"
    assert profile.how == f"Answering as {found.how}"


def test_a_kong_mesh_index_in_the_header() -> None:
    index = from_index(
        ("kong-mesh-system", "kong-mesh-control-plane"),
        "kong-mesh-system/kong-mesh-control-plane:5681",
        "Kong Mesh",
        "2.12.5",
        "2.12.9",
    )
    found = without_deployment("could not read Deployments (403)", None, [index])
    assert found.evidence == INDEX
    assert Asked().profile(found).label == "Kong Mesh 2.12.5 (detected) · as Kuma 2.12.9"
    assert Asked().options(found).system_namespace == "kong-mesh-system"


def test_detections_compare_by_value() -> None:
    assert from_deployment(deployment(), None) == from_deployment(deployment(), None)
    assert isinstance(hash(without_deployment("x", None)), int)
    assert Detection(version=None, how="x").profile == DEFAULT


def test_the_detection_value_loads_no_kubernetes_client() -> None:
    """The app and a folder source read `StatusChanged.control_plane` without `kubernetes`."""
    code = "import sys, meshtui.sources.detection\nprint('kubernetes' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = "import sys, meshtui.sources.kube\nprint('kubernetes' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", "the check would notice"
