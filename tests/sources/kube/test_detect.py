"""Control-plane detection in cluster mode: a `KubeSource` on the fake API server serving
the Deployment the Kuma or Kong Mesh chart renders (real HTTP, nothing patched), and,
when that names no version, the fallbacks: a `FakeControlPlane` behind the service proxy
(its index), DataplaneInsights and ZoneInsights as a control plane writes them.

Each case checks what `StatusChanged.control_plane` says it did, that the first load
(`synced`) carries it, and that only GETs were sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meshtui.cli import _dashboard_parser, dashboard_source
from meshtui.sources.detection import Detection
from meshtui.sources.kube import KubeSource
from meshtui.versions import DEFAULT, KumaVersion
from tests.fakekube import (
    DATAPLANE_INSIGHTS,
    DEPLOYMENTS,
    NAMESPACES,
    SERVICES,
    FakeControlPlane,
    FakeKubeAPI,
    kuma_resources,
)
from tests.fakekube.charts import API_PORT, control_plane
from tests.fakekube.insights import dataplane_insight
from tests.fakekube.loading import kubeconfig, write_yaml
from tests.sources.kube.harness import FAST, SAMPLE, all_get, all_live, running, wait_until

NO_VERSION_LABELS: dict[str, str | None] = {
    "app.kubernetes.io/version": None,
    "helm.sh/chart": None,
}
DIGEST = "sha256:" + "3" * 64
NOT_SERVED = "DataplaneInsights are not served (404); ZoneInsights are not served (404)"
NO_SERVICES = (
    "cannot reach the control plane's API: no Service kuma-system/kuma-control-plane:5681 "
    "(404), no Service kong-mesh-system/kong-mesh-control-plane:5681 (404)"
)
PROXY_FORBIDDEN = (
    "cannot reach the control plane's API: no permission to proxy to "
    "kuma-system/kuma-control-plane:5681 (403)"
)


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

    def run(fake: FakeKubeAPI, *, cp_api: bool = True) -> Detection:
        fakes.append(fake)
        fake.start()
        with running(fake.write_kubeconfig(tmp_path / "kc"), cp_api=cp_api) as source_run:
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
        "cannot reach the control plane's API: no Service kuma-system/kuma-control-plane:5681 "
        f"(404); {NOT_SERVED}; CRDs say at least 2.12: answering as 2.12.14"
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
        f"could not read Deployments (403); {NO_SERVICES}; {NOT_SERVED}; "
        "CRDs give no lower bound: using the default 2.14"
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
        f"no Kuma or Kong Mesh control-plane Deployment found; {NO_SERVICES}; {NOT_SERVED}; "
        "CRDs say at least 2.13: answering as 2.13.10"
    )


def test_a_cluster_without_the_apps_api_still_loads(detected: Any) -> None:
    """The fake's default catalogue serves no apps/v1: detection says so, nothing waits."""
    fake = FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1)
    found = detected(fake)
    assert found.how == (
        "no control-plane Deployment in kuma-system or kong-mesh-system; "
        f"cannot list them elsewhere (404); {NO_SERVICES}; {NOT_SERVED}; "
        "CRDs give no lower bound: using the default 2.14"
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


# -- fallbacks when the Deployment names no version ------------------------------------------


def proxied(requests: Any) -> list[str]:
    """Paths of the requests sent through the service proxy."""
    return [r.path for r in requests if "/proxy" in r.path]


def test_deployments_forbidden_the_control_plane_index_tells(detected: Any) -> None:
    _, service = control_plane("2.13.2")
    fake = cluster("2.13", service)
    fake.forbid("deployments")
    with FakeControlPlane(version="2.13.2") as cp:
        fake.start()
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        found = detected(fake)
    assert found.how == (
        "Kuma 2.13.2 (from the control plane's API, kuma-system/kuma-control-plane:5681; "
        "could not read Deployments (403))"
    )
    assert found.version == KumaVersion(2, 13, 2) == found.profile
    assert (found.evidence, found.short) == ("control plane's API", "Kuma 2.13.2 (detected)")
    assert (found.system_namespace, found.service) == ("kuma-system", "kuma-control-plane")
    assert proxied(fake.requests) == [
        "/api/v1/namespaces/kuma-system/services/kuma-control-plane:5681/proxy/"
    ]
    assert cp.requests == [("GET", "/")]
    assert not [r for r in fake.requests if "insights" in r.path], "the index told"


def test_a_kong_mesh_index_answers_as_the_kuma_it_is_based_on(detected: Any) -> None:
    """The Deployment is read but its image is pinned by digest and its labels name no
    version: its settings stay, the version comes from the Service it names."""
    deployment, service = control_plane(
        "2.12.5",
        product="kong-mesh",
        image=f"docker.io/kong/kuma-cp@{DIGEST}",
        labels=NO_VERSION_LABELS,
    )
    fake = cluster("2.12", deployment, service)
    with FakeControlPlane(product="Kong Mesh", version="2.12.5", based_on_kuma="2.12.9") as cp:
        fake.start()
        fake.route_service("kong-mesh-system", "kong-mesh-control-plane", API_PORT, cp.url)
        found = detected(fake)
    assert found.how == (
        "Kong Mesh 2.12.5 (from the control plane's API, "
        "kong-mesh-system/kong-mesh-control-plane:5681; kong-mesh-control-plane: image "
        f"'docker.io/kong/kuma-cp@{DIGEST}' has no tag): answering as Kuma 2.12.9"
    )
    assert (found.product, found.product_version) == ("Kong Mesh", "2.12.5")
    assert found.version == KumaVersion(2, 12, 9) == found.profile
    assert found.short == "Kong Mesh 2.12.5 (detected)"
    assert found.deployment == "kong-mesh-system/kong-mesh-control-plane"
    assert (found.mode, found.system_namespace) == ("zone", "kong-mesh-system")
    assert cp.requests == [("GET", "/")]


def test_without_a_deployment_the_charts_services_are_asked_in_turn(detected: Any) -> None:
    """No Kuma Service (404): Kong Mesh's is asked next (a Service that is not there is not
    mentioned once another answered, as a Deployment that is not there), and named for
    the cross-check."""
    _, service = control_plane("2.14.1", product="kong-mesh")
    fake = cluster("2.14", service)
    fake.forbid("deployments")
    with FakeControlPlane(product="Kong Mesh", version="2.14.1", based_on_kuma="2.14.3") as cp:
        fake.start()
        fake.route_service("kong-mesh-system", "kong-mesh-control-plane", API_PORT, cp.url)
        found = detected(fake)
    assert found.how == (
        "Kong Mesh 2.14.1 (from the control plane's API, "
        "kong-mesh-system/kong-mesh-control-plane:5681; could not read Deployments (403)): "
        "answering as Kuma 2.14.3"
    )
    assert (found.system_namespace, found.service) == (
        "kong-mesh-system",
        "kong-mesh-control-plane",
    )
    assert found.deployment == "", "no Deployment was read"
    assert [r.status for r in fake.requests if "/proxy" in r.path] == [404, 200]


def dataplane_insights() -> list[dict[str, Any]]:
    """Proxies of a 2.12 control plane: one from before its upgrade from 2.11, one whose
    latest connection reported no version, one development build."""
    return [
        dataplane_insight("backend-1", "kuma-demo", "2.11.4", "2.12.3"),
        dataplane_insight("backend-2", "kuma-demo", "2.12.3"),
        dataplane_insight("legacy-1", "kuma-demo", "2.11.4"),
        dataplane_insight("restarted-1", "kuma-demo", "2.12.1", None),
        dataplane_insight("dev-1", "kuma-demo", "0.0.0-preview.vlocal-build"),
    ]


def with_insights(line: str, *objects: dict[str, Any]) -> FakeKubeAPI:
    """`cluster(line, ...)` that also serves DataplaneInsights (not ZoneInsights)."""
    served = [NAMESPACES, *kuma_resources(line), DEPLOYMENTS, SERVICES, DATAPLANE_INSIGHTS]
    fake = FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1)
    fake.upsert_many([*objects, *dataplane_insights()])
    return fake


def test_index_forbidden_the_dataplane_insights_tell(detected: Any) -> None:
    deployment, service = control_plane("2.12.3")
    fake = with_insights("2.12", deployment, service)
    fake.forbid("deployments")
    fake.forbid("services/proxy")
    found = detected(fake)
    assert found.how == (
        "Kuma 2.12.3 (from the newest kuma-dp of 4 DataplaneInsights; "
        f"could not read Deployments (403); {PROXY_FORBIDDEN})"
    )
    assert found.version == KumaVersion(2, 12, 3) == found.profile
    assert (found.evidence, found.short) == ("DataplaneInsights", "Kuma 2.12.3 (from kuma-dp)")
    assert [r.status for r in fake.requests if "/proxy" in r.path] == [403], "asked once"
    (listed,) = [r for r in fake.requests if r.path.endswith("/dataplaneinsights")]
    assert listed.path == "/apis/kuma.io/v1alpha1/dataplaneinsights"
    assert listed.verb == "list" and listed.query["limit"] == str(FAST.page_size)
    assert not [r for r in fake.requests if "zoneinsights" in r.path]


def test_every_fallback_failing_leaves_the_crd_floor(detected: Any) -> None:
    deployment, service = control_plane("2.12.3")
    fake = with_insights("2.12", deployment, service)
    for forbidden in ("deployments", "services/proxy", "dataplaneinsights"):
        fake.forbid(forbidden)
    found = detected(fake)
    assert found.how == (
        f"could not read Deployments (403); {PROXY_FORBIDDEN}; "
        "could not list DataplaneInsights (403); ZoneInsights are not served (404); "
        "CRDs say at least 2.12: answering as 2.12.14"
    )
    assert found.profile == KumaVersion(2, 12, 14) and found.evidence == "CRDs"
    assert found.short == "Kuma 2.12 (from CRDs)"


def test_a_control_plane_that_is_down_is_said_and_passed_over(detected: Any) -> None:
    """The Service has no endpoints (503), the next fallback is read at once."""
    deployment, service = control_plane("2.12.3", tag="latest", labels=NO_VERSION_LABELS)
    fake = with_insights("2.12", deployment, service)
    found = detected(fake)
    assert found.how == (
        "Kuma 2.12.3 (from the newest kuma-dp of 4 DataplaneInsights; "
        "kuma-control-plane: image tag 'latest' cannot be parsed; "
        "cannot reach the control plane's API: no endpoints available for service "
        '"kuma-control-plane:5681" (503))'
    )
    assert found.mode == "zone" and found.deployment == "kuma-system/kuma-control-plane"


def test_without_the_control_plane_api_the_proxy_is_never_asked(detected: Any) -> None:
    """`--no-cp-check`: detection reads DataplaneInsights (the Kubernetes API) instead."""
    deployment, service = control_plane("2.12.3")
    fake = with_insights("2.12", deployment, service)
    fake.forbid("deployments")
    with FakeControlPlane(version="2.12.3") as cp:
        fake.start()
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        found = detected(fake, cp_api=False)
        assert cp.requests == []
    assert proxied(fake.requests) == []
    assert found.how == (
        "Kuma 2.12.3 (from the newest kuma-dp of 4 DataplaneInsights; "
        "could not read Deployments (403); "
        "the control plane's API is not asked (--no-cp-check))"
    )


def test_no_cp_check_on_the_command_line_reaches_the_source(tmp_path: Path) -> None:
    """cli.py builds the cluster source with the flag (building it sends no request)."""
    path = tmp_path / "kc"
    write_yaml(path, kubeconfig("http://127.0.0.1:9", "t", {"fake": None}, "fake"))
    kubeconfig_path = str(path)
    parse = _dashboard_parser().parse_args
    off = dashboard_source(parse(["--kubeconfig", kubeconfig_path, "--no-cp-check"]))
    on = dashboard_source(parse(["--kubeconfig", kubeconfig_path]))
    assert isinstance(off, KubeSource) and isinstance(on, KubeSource)
    assert (off.cp_api, on.cp_api) == (False, True)
