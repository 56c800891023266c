"""Which kinds are watched: every kind of every supported Kuma line, the legacy policies,
and the policy-like kinds the cluster serves that meshtui does not know. A kind the
cluster does not serve is `not installed` only when every Kuma line serves it; the
others stay off the status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from kubernetes import config
from kubernetes.client import ApiClient, CustomObjectsApi

from meshtui.engine.api import InspectApi
from meshtui.inventory import Inventory
from meshtui.loading import read_once
from meshtui.parse import ContextOptions
from meshtui.present import kind_states
from meshtui.sources.kube import KubeSource
from meshtui.sources.kube.kinds import MAX_DISCOVERED
from meshtui.versions import KumaVersion
from tests.fakekube import (
    DEFAULT_RESOURCES,
    LEGACY_KUMA_RESOURCES,
    NAMESPACES,
    FakeKubeAPI,
    ResourceType,
    kuma_resources,
)
from tests.sources.kube.harness import (
    FAST,
    G_V,
    PLURALS,
    SAMPLE,
    Run,
    running,
    wait_for_all_watchers,
    wait_until,
)

IDENTITY = "kube:meshidentities/kuma-system/identity"
DEMO_APP = "demo-app_kuma-demo_svc_5000"

MESH_OPA = ResourceType(
    plural="meshopas", kind="MeshOPA", namespaced=True, subresources=("status",)
)
"""Kong Mesh's OPA policy: a targetRef policy meshtui does not know."""
ACCESS_ROLE = ResourceType(plural="accessroles", kind="AccessRole", namespaced=False)
"""Kong Mesh's RBAC kind: unknown, and not policy-like."""
MESH_INSIGHT = ResourceType(plural="meshinsights", kind="MeshInsight", namespaced=False)
"""Kuma's own mesh statistics: known, and no part of policy matching."""


def identity(name: str = "identity") -> dict[str, Any]:
    meta = {"name": name, "namespace": "kuma-system", "labels": {"kuma.io/mesh": "default"}}
    spec = {
        "selector": {"dataplane": {"matchLabels": {"app": "demo-app"}}},
        "spiffeID": {"trustDomain": "default.default.mesh.local"},
        "provider": {"type": "Bundled", "bundled": {"autogenerate": {"enabled": True}}},
    }
    return {"apiVersion": G_V, "kind": "MeshIdentity", "metadata": meta, "spec": spec}


def retry(name: str, service: str) -> dict[str, Any]:
    """A legacy Retry between `service`'s proxies, as Kuma stores it on Kubernetes:
    cluster-scoped, `mesh` beside `metadata`, the body in `spec`."""
    match = [{"match": {"kuma.io/service": service}}]
    spec = {"sources": match, "destinations": match, "conf": {"http": {"numRetries": 5}}}
    meta = {"name": name}
    return {"apiVersion": G_V, "kind": "Retry", "mesh": "default", "metadata": meta, "spec": spec}


def opa(name: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": "kuma-demo", "labels": {"kuma.io/mesh": "default"}}
    spec = {"targetRef": {"kind": "Mesh"}, "default": {"appendPolicies": []}}
    return {"apiVersion": G_V, "kind": "MeshOPA", "metadata": meta, "spec": spec}


def cluster_scoped(kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": G_V, "kind": kind, "metadata": {"name": name}, "spec": {}}


def serving(*resources: ResourceType | str) -> FakeKubeAPI:
    """The sample on a fake serving `resources` (none given: the default 2.10 kinds)."""
    return FakeKubeAPI.from_folder(SAMPLE, resources=resources or None, bookmark_interval=0.1)


def later_and_legacy() -> FakeKubeAPI:
    """The sample on a fake serving Kuma 2.14's kinds and the legacy policies."""
    return serving(NAMESPACES, *kuma_resources("2.14"), *LEGACY_KUMA_RESOURCES)


def asked(fake: FakeKubeAPI) -> set[str]:
    """The plurals listed or watched (the last segment of each such request's path)."""
    return {r.path.rsplit("/", 1)[-1] for r in fake.requests if r.verb in ("list", "watch")}


def served(kubeconfig: Path) -> set[str]:
    """The names discovery lists in `kuma.io/v1alpha1` (subresources included)."""
    new_client = cast(Callable[..., ApiClient], config.new_client_from_config)
    api = new_client(config_file=str(kubeconfig))
    try:
        return {
            r.name for r in CustomObjectsApi(api).get_api_resources("kuma.io", "v1alpha1").resources
        }
    finally:
        cast(Callable[[], None], api.close)()


def discoveries(fake: FakeKubeAPI) -> int:
    """How many times `kuma.io/v1alpha1` was discovered."""
    return sum(r.path == "/apis/kuma.io/v1alpha1" for r in fake.requests)


def inspect(run: Run, request: str) -> Any:
    """The body of `GET request` answered as Kuma 2.14 over what the run holds."""
    inventory = run.current()
    api = InspectApi(inventory.resources, KumaVersion.profile("2.14"), legacy=inventory.legacy)
    response = api.get(request)
    assert response.status == 200, response.body
    return response.body


def test_later_kinds_and_legacy_policies_reach_the_inventory(tmp_path: Path) -> None:
    with later_and_legacy() as fake:
        fake.upsert_many([identity(), retry("retry-demo-app", DEMO_APP)])
        with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
            status = run.wait_synced()
            for kind in ("MeshIdentity", "MeshTrust", "Workload", "MeshZoneAddress", "Retry"):
                assert status.kinds[kind].state == "live", kind
            assert {"CircuitBreaker", "ProxyTemplate", "MeshGatewayRoute"} <= set(status.kinds)
            assert set(run.bodies("kube:meshidentities/")) == {IDENTITY}
            assert set(run.bodies("kube:retries/")) == {"kube:retries/retry-demo-app"}

            kri = inspect(run, "/_kri/kri_mid_default_default_kuma-system_identity_")
            assert (kri["type"], kri["name"]) == ("MeshIdentity", "identity.kuma-system")
            selected = "/meshes/default/retries/retry-demo-app/_resources/dataplanes"
            assert [i["name"] for i in inspect(run, selected)["items"]] == [
                "demo-app-5d8c6b9f47-xk2lp.kuma-demo"
            ]

            wait_for_all_watchers(fake, ["meshidentities", "retries"])
            fake.upsert(retry("retry-redis", "redis_kuma-demo_svc_6379"))
            wait_until(lambda: len(run.bodies("kube:retries/")) == 2, "a Retry added")
            fake.delete("meshidentities", "kuma-system", "identity")
            wait_until(lambda: not run.bodies("kube:meshidentities/"), "a MeshIdentity deleted")


def test_a_mesh_identity_read_once_counts_from_2_12(tmp_path: Path) -> None:
    """The headless commands' read of the cluster: the MeshIdentity is a resource on a
    2.12 profile, and on 2.11 ignored with a warning (that line has no such kind)."""
    with later_and_legacy() as fake:
        fake.upsert(identity())
        source = KubeSource(str(fake.write_kubeconfig(tmp_path / "kc")), tuning=FAST)
        loaded = read_once(source, ContextOptions(version=KumaVersion.profile("2.12")))
    assert [k.name for k in loaded.inventory.resource_map if k.type == "MeshIdentity"] == [
        "identity.kuma-system"
    ]
    older, _ = Inventory.empty(ContextOptions(version=KumaVersion.profile("2.11"))).apply(
        loaded.changes
    )
    assert not [k for k in older.resource_map if k.type == "MeshIdentity"]
    assert any("Kuma 2.11.18 has no such kind" in p.message for p in older.problems)


def test_kinds_the_cluster_does_not_serve(tmp_path: Path) -> None:
    """On a 2.10 cluster without MeshTrace's CRD: MeshTrace is `not installed` (every Kuma
    line serves it), while the kinds of later lines and the legacy policies, none served,
    are neither asked for nor named; nothing is an error and the header names MeshTrace
    alone."""
    with serving(*(p for p in PLURALS if p != "meshtraces")) as fake:
        with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
            status = run.wait_synced()
            assert {kind: s.state for kind, s in status.kinds.items() if s.state != "live"} == {
                "MeshTrace": "not installed"
            }
            assert status.kinds["MeshTrace"].message == "meshtraces is not served by the cluster"
            assert not {"MeshIdentity", "Workload", "Retry", "ProxyTemplate"} & set(status.kinds)
            assert status.message.endswith(": 22 live, 1 not installed")
            kinds = {kind: (s.state, s.since) for kind, s in status.kinds.items()}
            assert kind_states(kinds) == (("MeshTrace", "not installed"),)
        assert not {"meshtraces", "meshidentities", "retries", "proxytemplates"} & asked(fake)


def test_an_optional_kind_installed_then_removed(tmp_path: Path) -> None:
    """A later line's CRD applied while running is watched; deleted again, its objects go
    and so does its state (it is not `not installed`)."""
    with serving() as fake, running(fake.write_kubeconfig(tmp_path / "kc")) as run:
        run.wait_synced()
        fake.install("meshidentities")
        wait_until(lambda: run.state("MeshIdentity") == "live", "watched once installed")
        fake.upsert(identity())
        wait_until(lambda: IDENTITY in run.bodies("kube:meshidentities/"), "its object")
        fake.uninstall("meshidentities")
        wait_until(lambda: not run.bodies("kube:meshidentities/"), "its objects gone")
        wait_until(lambda: run.state("MeshIdentity") == "", "off the status")
        status = run.status()
        assert status is not None and "not installed" not in status.message


def test_unknown_policy_like_kinds_are_watched(tmp_path: Path) -> None:
    """A served kind meshtui does not know whose name starts with `Mesh` (Kong Mesh's
    MeshOPA) is listed and watched, its objects arriving as origins; its `status`
    subresource is no kind. An unknown kind not starting with `Mesh` (AccessRole) and a
    known non-policy kind (MeshInsight) are not watched."""
    with serving(*DEFAULT_RESOURCES, MESH_OPA, ACCESS_ROLE, MESH_INSIGHT) as fake:
        fake.upsert_many(
            [
                opa("opa-1"),
                cluster_scoped("AccessRole", "admin"),
                cluster_scoped("MeshInsight", "m"),
            ]
        )
        kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
        assert {"meshopas", "meshopas/status", "accessroles", "meshinsights"} <= served(kubeconfig)
        with running(kubeconfig) as run:
            status = run.wait_synced()
            assert status.kinds["MeshOPA"].state == "live"
            assert not {"AccessRole", "MeshInsight"} & set(status.kinds)
            body = run.bodies("kube:meshopas/")["kube:meshopas/kuma-demo/opa-1"]
            assert (body["kind"], body["spec"]) == ("MeshOPA", opa("opa-1")["spec"])
            fake.wait_for_watchers("meshopas")
            fake.upsert(opa("opa-2"))
            wait_until(lambda: len(run.bodies("kube:meshopas/")) == 2, "a MeshOPA added")
            fake.delete("meshopas", "kuma-demo", "opa-1")
            wait_until(lambda: len(run.bodies("kube:meshopas/")) == 1, "a MeshOPA deleted")
        assert "meshopas" in asked(fake)
        assert not {"accessroles", "meshinsights", "status"} & asked(fake)


def test_at_most_max_discovered_unknown_kinds_are_watched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Past `MAX_DISCOVERED` unknown kinds the rest are said once and not watched; the
    connection pool holds a connection for every watch."""
    extra = [
        ResourceType(plural=f"meshpolicy{i:02}s", kind=f"MeshPolicy{i:02}", namespaced=True)
        for i in range(MAX_DISCOVERED + 2)
    ]
    caplog.set_level(logging.WARNING)
    with serving(*DEFAULT_RESOURCES, *extra) as fake:
        with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
            status = run.wait_synced()
            watched = [rt.kind for rt in extra if rt.kind in status.kinds]
            assert watched == [rt.kind for rt in extra[:MAX_DISCOVERED]]
            wait_for_all_watchers(fake, [rt.plural for rt in extra[:MAX_DISCOVERED]])
            rounds = discoveries(fake)
            wait_until(lambda: discoveries(fake) >= rounds + 2, "more discovery rounds")
        assert not {rt.plural for rt in extra[MAX_DISCOVERED:]} & asked(fake)
    passed_over = [r.getMessage() for r in caplog.records if "not watching" in r.getMessage()]
    assert sorted(passed_over) == [
        f"not watching {rt.plural}: already watching {MAX_DISCOVERED} kinds found by discovery"
        for rt in extra[MAX_DISCOVERED:]
    ]
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
