"""Control-plane detection in cluster mode: a `KubeSource` on the fake API server serving
the Deployment the Kuma or Kong Mesh chart renders (real HTTP, nothing patched).

Each case checks what `StatusChanged.control_plane` says it did, that the first load
(`synced`) carries it, and that only GETs were sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meshtui.sources.detection import Detection
from meshtui.versions import DEFAULT, KumaVersion
from tests.fakekube import DEPLOYMENTS, NAMESPACES, SERVICES, FakeKubeAPI, kuma_resources
from tests.fakekube.charts import control_plane
from tests.sources.kube.harness import FAST, SAMPLE, all_get, all_live, running, wait_until


def cluster(line: str = "2.14", *objects: dict[str, Any]) -> FakeKubeAPI:
    """The sample cluster on a fake serving `line`'s Kuma kinds, Deployments and Services."""
    served = [NAMESPACES, *kuma_resources(line), DEPLOYMENTS, SERVICES]
    fake = FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1)
    for obj in objects:
        fake.upsert(obj)
    return fake


@pytest.fixture
def detected(tmp_path: Path) -> Iterator[Any]:
    """`detected(fake)`: start a source on `fake`, return what its first load said."""
    fakes: list[FakeKubeAPI] = []

    def run(fake: FakeKubeAPI) -> Detection:
        fakes.append(fake)
        fake.start()
        with running(fake.write_kubeconfig(tmp_path / "kc")) as source_run:
            status = source_run.wait_synced()
        assert status.control_plane is not None, "the first load carries the detection"
        return status.control_plane

    yield run
    for fake in fakes:
        assert all_get(fake)
        fake.stop()


def test_kuma_version_and_settings_from_the_control_plane_deployment(detected: Any) -> None:
    deployment, service = control_plane("2.14.3", zone="zone-1")
    found = detected(cluster("2.14", deployment, service))
    assert found.how == "Kuma 2.14.3 (detected from the kuma-control-plane image tag)"
    assert found.version == KumaVersion(2, 14, 3) == found.profile
    assert found.short == "Kuma 2.14.3 (detected)"
    assert found.deployment == "kuma-system/kuma-control-plane"
    assert (found.mode, found.zone, found.system_namespace) == ("zone", "zone-1", "kuma-system")
    assert (found.environment, found.service) == ("kubernetes", "kuma-control-plane")
    assert found.inbound_tags_disabled is None


def test_kong_mesh_answers_as_its_kuma_line(detected: Any) -> None:
    deployment, _ = control_plane(
        "2.12.5",
        product="kong-mesh",
        env={"KUMA_EXPERIMENTAL_INBOUND_TAGS_DISABLED": "true"},
    )
    found = detected(cluster("2.12", deployment))
    assert found.how == (
        "Kong Mesh 2.12.5 (detected from the kong-mesh-control-plane image tag): "
        "answering as Kuma 2.12.14"
    )
    assert (found.product, found.product_version) == ("Kong Mesh", "2.12.5")
    assert found.profile == KumaVersion(2, 12, 14)
    assert found.deployment == "kong-mesh-system/kong-mesh-control-plane"
    assert found.system_namespace == "kong-mesh-system"
    assert found.inbound_tags_disabled is True


def test_an_unparseable_tag_falls_back_to_the_labels(detected: Any) -> None:
    deployment, _ = control_plane("2.13.4", tag="latest")
    found = detected(cluster("2.13", deployment))
    assert found.how == (
        "Kuma 2.13.4 (detected from the kuma-control-plane label app.kubernetes.io/version; "
        "image tag 'latest' cannot be parsed)"
    )
    assert found.profile == KumaVersion(2, 13, 4)


def test_an_unparseable_tag_without_labels_says_what_the_crds_allow(detected: Any) -> None:
    deployment, _ = control_plane(
        "2.12.2",
        tag="latest",
        labels={"app.kubernetes.io/version": None, "helm.sh/chart": None},
    )
    found = detected(cluster("2.12", deployment))
    assert found.how == (
        "kuma-control-plane: image tag 'latest' cannot be parsed; "
        "CRDs say at least 2.12: answering as 2.12.14"
    )
    assert found.profile == KumaVersion(2, 12, 14) and found.evidence == "CRDs"
    assert found.short == "Kuma 2.12 (from CRDs)"
    assert found.mode == "zone", "the settings are read all the same"


def test_no_permission_to_read_deployments_uses_the_default(detected: Any) -> None:
    deployment, _ = control_plane("2.11.3")
    fake = cluster("2.11", deployment)
    fake.forbid("deployments")
    found = detected(fake)
    assert found.how == (
        "could not read Deployments (403); CRDs give no lower bound: using the default 2.14"
    )
    assert found.version is None and found.profile == DEFAULT
    assert found.short == "Kuma 2.14 (default)"
    forbidden = [r for r in fake.requests if "deployments" in r.path]
    assert [r.status for r in forbidden] == [403, 403, 403]  # two by name, one list


def test_a_control_plane_elsewhere_is_found_by_its_label(detected: Any) -> None:
    deployment, _ = control_plane("2.14.1", namespace="mesh-control")
    fake = cluster("2.14", deployment)
    found = detected(fake)
    assert found.how == "Kuma 2.14.1 (detected from the kuma-control-plane image tag)"
    assert found.deployment == "mesh-control/kuma-control-plane"
    assert found.system_namespace == "mesh-control"
    (listed,) = [r for r in fake.requests if r.verb == "list" and r.path.endswith("/deployments")]
    assert listed.path == "/apis/apps/v1/deployments"
    assert listed.query["labelSelector"] == "app in (kuma-control-plane,kong-mesh-control-plane)"


def test_no_control_plane_deployment(detected: Any) -> None:
    found = detected(cluster("2.13"))
    assert found.how == (
        "no Kuma or Kong Mesh control-plane Deployment found; "
        "CRDs say at least 2.13: answering as 2.13.10"
    )


def test_a_cluster_without_the_apps_api_still_loads(detected: Any) -> None:
    """The fake's default catalogue serves no apps/v1: detection says so, nothing waits."""
    fake = FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1)
    found = detected(fake)
    assert found.how == (
        "no control-plane Deployment in kuma-system or kong-mesh-system; "
        "cannot list them elsewhere (404); CRDs give no lower bound: using the default 2.14"
    )


def test_the_first_load_waits_a_little_for_detection(tmp_path: Path) -> None:
    """The first load waits for the detection once every kind is live, for `initial_hold`
    at most; a detection that comes later goes out in a later status."""
    deployment, _ = control_plane("2.14.3")
    with cluster("2.14", deployment) as fake:
        fake.stall_next("deployments", "get")
        tuning = dataclasses.replace(FAST, initial_hold=1.0)
        with running(fake.write_kubeconfig(tmp_path / "kc"), tuning) as run:
            wait_until(lambda: all_live(run), "every kind live")
            status = run.status()
            assert status is not None and not status.synced, "waiting for the detection"
            status = run.wait_synced()
            assert status.control_plane is None, "held for initial_hold, not longer"
            fake.release_stalls()
            wait_until(lambda: getattr(run.status(), "control_plane", None) is not None, "later")
            status = run.status()
            assert status is not None and status.control_plane is not None
            assert status.control_plane.version == KumaVersion(2, 14, 3)
        assert all_get(fake)
