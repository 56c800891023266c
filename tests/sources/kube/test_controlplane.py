"""The control plane's API through the API server's service proxy: a `FakeControlPlane`
behind `FakeKubeAPI` (real HTTP both ways, the official client, nothing patched).

Answers come back as the control plane gave them; a proxy that is forbidden, a missing
Service, no endpoints, a control plane or a cluster that cannot be reached are one
quiet line each, never an exception; only GETs are sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meshtui.sources.detection import from_deployment
from meshtui.sources.kube import ControlPlaneClient, KubeSource
from meshtui.versions import KumaVersion
from tests.fakekube import DEFAULT_RESOURCES, SERVICES, FakeControlPlane, FakeKubeAPI
from tests.fakekube.charts import API_PORT, control_plane
from tests.sources.kube.harness import FAST

RULES = "/meshes/default/dataplanes/dp-1/_rules"
RULES_BODY: dict[str, object] = {
    "proxyRule": None,
    "fromRules": [],
    "toRules": [],
    "toResourceRules": [],
}


@pytest.fixture
def cp() -> Iterator[FakeControlPlane]:
    with FakeControlPlane(version="2.14.3") as server:
        server.answer(RULES, RULES_BODY)
        yield server


@pytest.fixture
def fake(cp: FakeControlPlane) -> Iterator[FakeKubeAPI]:
    """A cluster whose `kuma-system/kuma-control-plane:5681` proxies to `cp`."""
    with FakeKubeAPI(resources=[*DEFAULT_RESOURCES, SERVICES]) as server:
        _, service = control_plane("2.14.3")
        server.upsert(service)
        server.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        yield server
        assert {r.method for r in server.requests} <= {"GET"}
    assert {method for method, _ in cp.requests} <= {"GET"}


@pytest.fixture
def client(fake: FakeKubeAPI, tmp_path: Path) -> Iterator[ControlPlaneClient]:
    source = KubeSource(str(fake.write_kubeconfig(tmp_path / "kc")), tuning=FAST)
    with source.control_plane_client() as cp_client:
        yield cp_client


def test_index_says_product_and_version(client: ControlPlaneClient, fake: FakeKubeAPI) -> None:
    index = client.index()
    assert (index.product, index.version, index.based_on_kuma, index.problem) == (
        "Kuma",
        "2.14.3",
        "",
        "",
    )
    assert index.kuma_version == KumaVersion(2, 14, 3)
    (request,) = [r for r in fake.requests if "/proxy" in r.path]
    assert request.path == "/api/v1/namespaces/kuma-system/services/kuma-control-plane:5681/proxy/"
    assert request.verb == "get" and request.status == 200


def test_kong_mesh_index_names_the_kuma_it_is_based_on(fake: FakeKubeAPI, tmp_path: Path) -> None:
    with FakeControlPlane(product="Kong Mesh", version="2.12.5", based_on_kuma="2.12.9") as kong:
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, kong.url)
        source = KubeSource(str(fake.write_kubeconfig(tmp_path / "kc")), tuning=FAST)
        with source.control_plane_client() as client:
            index = client.index()
    assert (index.product, index.version, index.based_on_kuma) == ("Kong Mesh", "2.12.5", "2.12.9")
    assert index.kuma_version == KumaVersion(2, 12, 9)


def test_answers_come_back_as_the_control_plane_gave_them(
    client: ControlPlaneClient, cp: FakeControlPlane
) -> None:
    answer = client.get(RULES)
    assert answer.ok and (answer.status, answer.body, answer.problem) == (200, RULES_BODY, "")
    missing = client.get("/meshes/default/dataplanes/nope/_rules")
    assert (missing.status, missing.problem, missing.ok) == (404, "", False)
    assert missing.body == {
        "type": "/std-errors",
        "status": 404,
        "title": "Could not find resource",
        "detail": "Not found",
        "details": "Not found",
    }
    client.get("/meshes/default/meshtimeouts/t1/_resources/dataplanes?size=2", [("offset", "4")])
    assert cp.requests[-1] == (
        "GET",
        "/meshes/default/meshtimeouts/t1/_resources/dataplanes?size=2&offset=4",
    )


def test_kri_paths_reach_the_control_plane_unchanged(
    client: ControlPlaneClient, cp: FakeControlPlane
) -> None:
    kri = "kri_msvc_default_zone-1_ns_backend_http"
    path = f"/meshes/default/dataplanes/dp-1/_outbounds/{kri}/_policies"
    cp.answer(path, {"policies": []})
    assert client.get(path).body == {"policies": []}


def test_a_forbidden_proxy_is_one_quiet_line(client: ControlPlaneClient, fake: FakeKubeAPI) -> None:
    fake.forbid("services/proxy")
    answer = client.get(RULES)
    assert (answer.status, answer.ok) == (403, False)
    assert answer.problem == (
        "cannot reach the control plane's API: no permission to proxy to "
        "kuma-system/kuma-control-plane:5681 (403)"
    )
    assert client.index().problem == answer.problem


def test_no_service_no_endpoints_and_an_unreachable_control_plane(
    client: ControlPlaneClient, fake: FakeKubeAPI, cp: FakeControlPlane
) -> None:
    fake.route_service("kuma-system", "kuma-control-plane", API_PORT, None)
    answer = client.get(RULES)
    assert answer.status == 503
    assert answer.problem == (
        "cannot reach the control plane's API: no endpoints available for service "
        '"kuma-control-plane:5681" (503)'
    )
    fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
    cp.stop()
    answer = client.get(RULES)
    assert answer.status == 503 and "error trying to reach service" in answer.problem
    fake.delete("services", "kuma-system", "kuma-control-plane")
    answer = client.get(RULES)
    assert answer.problem == (
        "cannot reach the control plane's API: no Service kuma-system/kuma-control-plane:5681 (404)"
    )


def test_an_unreachable_cluster_is_one_quiet_line(
    client: ControlPlaneClient, fake: FakeKubeAPI
) -> None:
    fake.stop()
    answer = client.get(RULES)
    assert (answer.status, answer.body) == (0, None)
    assert answer.problem.startswith("cannot reach the control plane's API: ")
    assert "refused" in answer.problem and "\n" not in answer.problem
    fake.start()
    assert client.get(RULES).ok


def test_the_client_follows_the_detected_service(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """A control plane released under another name, in another namespace: the client
    asks the Service its Deployment names."""
    deployment, service = control_plane("2.14.3", product="kong-mesh", namespace="mesh")
    fake.upsert(service)
    with FakeControlPlane(product="Kong Mesh", version="2.14.3", based_on_kuma="2.14.3") as kong:
        fake.route_service("mesh", "kong-mesh-control-plane", API_PORT, kong.url)
        source = KubeSource(str(fake.write_kubeconfig(tmp_path / "kc")), tuning=FAST)
        detection = from_deployment(deployment, None)
        with source.control_plane_client(detection) as client:
            assert client.where == "mesh/kong-mesh-control-plane:5681"
            assert client.index().product == "Kong Mesh"
