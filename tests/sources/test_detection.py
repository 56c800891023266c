"""`meshtui.sources.detection`: what a control-plane Deployment and the served CRDs say.

Pure: Deployment bodies as the charts render them (`tests.fakekube.charts`), edited to
each case; the cluster round trip is in tests/sources/kube/test_detect.py.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from meshtui.sources.detection import Detection, from_deployment, without_deployment
from meshtui.versions import DEFAULT, KumaVersion
from tests.fakekube.charts import control_plane

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
