"""The fake API server, exercised only through the official `kubernetes` client over HTTP.

These tests pin the protocol behaviour the app's list+watch loop depends on:
discovery, paged lists, watch replay from a resourceVersion, bookmarks, 410 on a
compacted resourceVersion, clean disconnects, TCP resets, 403/404 per resource,
the read-only guard, and prompt shutdown.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from tests.fakekube import DEPLOYMENTS, KUMA_RESOURCES, SERVICES, FakeControlPlane, FakeKubeAPI
from tests.fakekube.charts import control_plane

G, V = "kuma.io", "v1alpha1"
MT = "meshtimeouts"
NS = "kuma-system"
REPO_ROOT = Path(__file__).resolve().parents[1]

Event = dict[str, Any]


# -- helpers ------------------------------------------------------------------------------


def timeout_obj(name: str, ns: str = NS, labels: dict[str, str] | None = None, **spec: Any) -> Any:
    """A MeshTimeout in Kubernetes form."""
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {"app": "a"}}
    return {"apiVersion": f"{G}/{V}", "kind": "MeshTimeout", "metadata": meta, "spec": spec}


def status_of(exc: ApiException) -> dict[str, Any]:
    """The `kind: Status` body of an API error."""
    return cast(dict[str, Any], json.loads(cast(str, exc.body)))


def list_cr(api: CustomObjectsApi, plural: str, **kwargs: Any) -> dict[str, Any]:
    """List custom objects cluster-wide (the client types the result as `object`)."""
    return cast(dict[str, Any], api.list_cluster_custom_object(G, V, plural, **kwargs))


def list_mt(api: CustomObjectsApi, **kwargs: Any) -> dict[str, Any]:
    """List MeshTimeouts cluster-wide."""
    return list_cr(api, MT, **kwargs)


def namespace_names(core: CoreV1Api) -> list[str]:
    """Names of all namespaces, through the typed core client."""
    result: list[str] = []
    for ns in core.list_namespace().items:
        assert ns.metadata is not None and ns.metadata.name is not None
        result.append(ns.metadata.name)
    return result


new_client_from_config = cast(Callable[..., ApiClient], config.new_client_from_config)
"""`config.new_client_from_config`, typed (the client leaves it unannotated)."""


def close_client(api: ApiClient) -> None:
    """`ApiClient.close()` (unannotated in the client): closes its connection pool."""
    cast(Callable[[], None], api.close)()


def names(items: list[dict[str, Any]]) -> list[str]:
    """`metadata.name` of each item."""
    return [item["metadata"]["name"] for item in items]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `predicate` until true, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.005)


class Collector:
    """Runs `Watch.stream` in a thread; collects events and how the stream ended."""

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.watch = watch.Watch()
        self.events: queue.Queue[Event] = queue.Queue()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(func, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            for event in self.watch.stream(func, *args, **kwargs):
                self.events.put(cast(Event, event))
        except BaseException as exc:
            self.error = exc

    def next(self, timeout: float = 5.0, *, skip_bookmarks: bool = True) -> Event:
        """The next event (BOOKMARKs skipped unless asked for)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if not (skip_bookmarks and event["type"] == "BOOKMARK"):
                return event

    def take(self, n: int) -> list[tuple[str, str]]:
        """The next `n` non-bookmark events as (type, name)."""
        return [
            (e["type"], e["raw_object"]["metadata"]["name"])
            for e in (self.next() for _ in range(n))
        ]

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the stream to end."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "watch stream did not end"

    def close(self) -> None:
        """Stop the watch (shuts its socket) and wait for the thread."""
        self.watch.stop()
        self.join()


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI(bookmark_interval=0.1) as server:
        yield server


def make_client(fake: FakeKubeAPI, tmp_path: Path, **kwargs: Any) -> ApiClient:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig", **kwargs)
    return new_client_from_config(config_file=str(kubeconfig))


@pytest.fixture
def api_client(fake: FakeKubeAPI, tmp_path: Path) -> Iterator[ApiClient]:
    api = make_client(fake, tmp_path)
    yield api
    close_client(api)


@pytest.fixture
def custom(api_client: ApiClient) -> CustomObjectsApi:
    return CustomObjectsApi(api_client)


@pytest.fixture
def collectors() -> Iterator[Callable[..., Collector]]:
    """Start watch collectors that are stopped at teardown."""
    started: list[Collector] = []

    def start(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Collector:
        collector = Collector(func, *args, **kwargs)
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.close()


# -- discovery and configuration ----------------------------------------------------------


def test_discovery_lists_kuma_kinds(api_client: ApiClient, custom: CustomObjectsApi) -> None:
    resources = {r.name: r for r in custom.get_api_resources(G, V).resources}
    assert set(resources) == {rt.plural for rt in KUMA_RESOURCES}
    assert resources["meshtimeouts"].kind == "MeshTimeout"
    assert resources["meshtimeouts"].namespaced
    assert resources["meshtimeouts"].short_names == ["mt"]
    assert {"get", "list", "watch"} <= set(resources["meshtimeouts"].verbs)
    assert not resources["meshes"].namespaced
    assert not resources["meshgateways"].namespaced
    groups = client.ApisApi(api_client).get_api_versions().groups
    assert [g.name for g in groups] == ["kuma.io"]
    core = CoreV1Api(api_client).get_api_resources().resources
    assert [(r.name, r.namespaced) for r in core] == [("namespaces", False)]
    assert client.VersionApi(api_client).get_code().major == "1"


def test_served_set_is_configurable(tmp_path: Path) -> None:
    with FakeKubeAPI(["namespaces", "meshes", MT]) as fake:
        api = make_client(fake, tmp_path)
        try:
            custom = CustomObjectsApi(api)
            served = {r.name for r in custom.get_api_resources(G, V).resources}
            assert served == {"meshes", MT}
            with pytest.raises(ApiException) as err:
                custom.list_cluster_custom_object(G, V, "meshretries")
            assert err.value.status == 404
            assert status_of(err.value)["kind"] == "Status"
        finally:
            close_client(api)


def test_uninstall_and_install(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    fake.upsert(timeout_obj("t1"))
    fake.uninstall(MT)
    assert MT not in {r.name for r in custom.get_api_resources(G, V).resources}
    calls: list[Callable[[], object]] = [
        lambda: custom.list_namespaced_custom_object(G, V, NS, MT),
        lambda: custom.get_namespaced_custom_object(G, V, NS, MT, "t1"),
    ]
    for call in calls:
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404
        assert status_of(err.value)["reason"] == "NotFound"
    fake.install(MT)
    assert list_mt(custom)["items"] == []


def test_forbidden_resource(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    fake.forbid(MT)
    with pytest.raises(ApiException) as err:
        custom.list_namespaced_custom_object(G, V, NS, MT)
    assert err.value.status == 403
    assert 'cannot list resource "meshtimeouts"' in status_of(err.value)["message"]
    with pytest.raises(ApiException) as err:
        next(
            iter(
                watch.Watch().stream(custom.list_cluster_custom_object, G, V, MT, timeout_seconds=1)
            )
        )
    assert err.value.status == 403
    assert list_cr(custom, "meshretries")["items"] == []
    fake.permit(MT)
    assert list_mt(custom)["items"] == []


def test_stalled_request_gets_no_answer_until_released(
    fake: FakeKubeAPI, custom: CustomObjectsApi
) -> None:
    fake.upsert(timeout_obj("t1"))
    fake.stall_next(MT, "list", times=4)  # the stock client retries a read timeout 3 times
    with pytest.raises(urllib3.exceptions.MaxRetryError, match="Read timed out"):
        list_mt(custom, _request_timeout=(1, 0.2))
    deadline = time.monotonic() + 5
    while len([r for r in fake.requests if r.verb == "list" and r.status == 0]) < 4:
        assert time.monotonic() < deadline, "each abandoned request is logged with status 0"
        time.sleep(0.01)
    assert [o["metadata"]["name"] for o in list_mt(custom)["items"]] == ["t1"]  # 4 stalls only
    fake.stall_next(MT, "list")
    answered: queue.Queue[dict[str, Any]] = queue.Queue()
    thread = threading.Thread(target=lambda: answered.put(list_mt(custom)))
    thread.start()
    time.sleep(0.2)
    assert answered.empty()
    fake.release_stalls()
    assert [o["metadata"]["name"] for o in answered.get(timeout=5)["items"]] == ["t1"]
    thread.join(5)


def test_get_by_name(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    stored = fake.upsert(timeout_obj("t1"))
    got = cast(dict[str, Any], custom.get_namespaced_custom_object(G, V, NS, MT, "t1"))
    assert got == stored
    assert got["metadata"]["resourceVersion"] == str(fake.resource_version)
    assert got["metadata"]["generation"] == 1 and got["metadata"]["uid"]
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object(G, V, NS, MT, "missing")
    assert err.value.status == 404
    assert status_of(err.value)["message"] == 'meshtimeouts.kuma.io "missing" not found'


def test_writes_are_refused_and_logged(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object(G, V, NS, MT, timeout_obj("t1"))
    assert err.value.status == 405
    assert status_of(err.value)["reason"] == "MethodNotAllowed"
    assert fake.snapshot(MT) == []
    writes = [r for r in fake.requests if r.method != "GET"]
    assert [(r.method, r.verb, r.status) for r in writes] == [("POST", "create", 405)]
    assert writes[0].path == f"/apis/{G}/{V}/namespaces/{NS}/{MT}"


def test_deployments_and_the_service_proxy(tmp_path: Path) -> None:
    """Built-in types served on request: a labelSelector list of Deployments across
    namespaces (items without kind/apiVersion), a named 403 as RBAC words it, and the
    service proxy (its backend's answer; 405 for a write, before it is forwarded)."""
    deployment, service = control_plane("2.14.3")
    with (
        FakeControlPlane(version="2.14.3") as cp,
        FakeKubeAPI(resources=[*KUMA_RESOURCES, DEPLOYMENTS, SERVICES]) as fake,
    ):
        fake.upsert_many([deployment, service])
        fake.route_service("kuma-system", "kuma-control-plane", 5681, cp.url)
        api = make_client(fake, tmp_path)
        apps, core = client.AppsV1Api(api), CoreV1Api(api)
        listed: Any = apps.list_deployment_for_all_namespaces(
            label_selector="app in (kuma-control-plane,other)", _preload_content=False
        )
        items = json.loads(listed.data)["items"]
        assert [i["metadata"]["name"] for i in items] == ["kuma-control-plane"]
        assert "kind" not in items[0] and "apiVersion" not in items[0]
        cp.answer("/meshes", {"items": [], "total": 0})
        proxied: Any = core.connect_get_namespaced_service_proxy_with_path(
            "kuma-control-plane:5681", "kuma-system", "meshes", _preload_content=False
        )
        assert json.loads(proxied.data) == {"items": [], "total": 0}  # the backend's answer
        index: Any = core.connect_get_namespaced_service_proxy(
            "kuma-control-plane:5681", "kuma-system", _preload_content=False
        )
        assert json.loads(index.data)["version"] == "2.14.3"
        with pytest.raises(ApiException) as err:
            core.connect_post_namespaced_service_proxy("kuma-control-plane:5681", "kuma-system")
        assert err.value.status == 405
        assert cp.requests == [("GET", "/meshes"), ("GET", "/")]
        fake.forbid("deployments")
        with pytest.raises(ApiException) as err:
            apps.read_namespaced_deployment("kuma-control-plane", "kuma-system")
        assert status_of(err.value)["message"] == (
            'deployments.apps "kuma-control-plane" is forbidden: User '
            '"system:serviceaccount:default:meshtui" cannot get resource "deployments" '
            'in API group "apps" in the namespace "kuma-system"'
        )
        close_client(api)


def test_wrong_token_is_unauthorized(fake: FakeKubeAPI, tmp_path: Path) -> None:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
    kubeconfig.write_text(kubeconfig.read_text().replace("fake-token", "stolen"))
    api = new_client_from_config(config_file=str(kubeconfig))
    try:
        with pytest.raises(ApiException) as err:
            CustomObjectsApi(api).list_cluster_custom_object(G, V, MT)
        assert err.value.status == 401
    finally:
        close_client(api)


# -- lists ----------------------------------------------------------------------------------


def test_paged_list_is_complete_and_consistent(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    assert (
        fake.upsert_many(timeout_obj(f"t{i:02}", ns=("a" if i % 2 else "b")) for i in range(25))
        == 27
    )
    first = list_mt(custom, limit=7)
    rv = first["metadata"]["resourceVersion"]
    assert first["metadata"]["remainingItemCount"] == 18
    # Writes between pages do not leak into the paged list (it is a snapshot at `rv`).
    fake.upsert(timeout_obj("zz-new", ns="b"))
    fake.delete(MT, "b", "t24")
    items, page = first["items"], first
    while page["metadata"].get("continue"):
        page = list_mt(custom, limit=7, _continue=page["metadata"]["continue"])
        assert page["metadata"]["resourceVersion"] == rv
        items += page["items"]
    assert sorted(names(items)) == [f"t{i:02}" for i in range(25)]
    assert all(i["kind"] == "MeshTimeout" and i["apiVersion"] == f"{G}/{V}" for i in items)
    assert len(names(list_mt(custom)["items"])) == 25  # t24 gone, zz-new added


def test_expired_continue_token_gives_410(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    for i in range(5):
        fake.upsert(timeout_obj(f"t{i}"))
    first = list_mt(custom, limit=2)
    fake.upsert(timeout_obj("t9"))
    fake.compact()
    with pytest.raises(ApiException) as err:
        list_mt(custom, limit=2, _continue=first["metadata"]["continue"])
    assert err.value.status == 410
    assert status_of(err.value)["reason"] == "Expired"


def test_selectors(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    fake.upsert(timeout_obj("t1", labels={"app": "a", "tier": "x"}))
    fake.upsert(timeout_obj("t2", labels={"app": "b"}))
    fake.upsert(timeout_obj("t3", ns="other", labels={"app": "a"}))

    def select(**kwargs: str) -> list[str]:
        return names(list_mt(custom, **kwargs)["items"])

    assert select(label_selector="app=a") == ["t1", "t3"]  # sorted by namespace, then name
    assert select(label_selector="app!=a") == ["t2"]
    assert select(label_selector="app=a,tier") == ["t1"]
    assert select(label_selector="tier in (x,y),app==a") == ["t1"]
    assert select(field_selector="metadata.name=t2") == ["t2"]
    assert select(field_selector=f"metadata.namespace!={NS}") == ["t3"]
    namespaced = cast(dict[str, Any], custom.list_namespaced_custom_object(G, V, "other", MT))
    assert names(namespaced["items"]) == ["t3"]
    # Created on demand, as the objects' namespaces:
    assert namespace_names(CoreV1Api(custom.api_client)) == [
        NS,
        "other",
    ]  # created on demand, as the objects' namespaces
    with pytest.raises(ApiException) as err:
        list_mt(custom, field_selector="spec.x=1")
    assert err.value.status == 400


# -- watches --------------------------------------------------------------------------------


def test_watch_from_list_rv_receives_hook_writes(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    fake.upsert(timeout_obj("t1"))
    rv = list_mt(custom)["metadata"]["resourceVersion"]
    events = collectors(custom.list_cluster_custom_object, G, V, MT, resource_version=rv)
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t2"))
    fake.upsert(timeout_obj("t1", http={"requestTimeout": "5s"}))
    fake.delete(MT, NS, "t2")
    got = [events.next() for _ in range(3)]
    assert [(e["type"], e["raw_object"]["metadata"]["name"]) for e in got] == [
        ("ADDED", "t2"),
        ("MODIFIED", "t1"),
        ("DELETED", "t2"),
    ]
    rvs = [int(e["raw_object"]["metadata"]["resourceVersion"]) for e in got]
    assert rvs == sorted(rvs) and rvs[0] > int(rv) and rvs[-1] == fake.resource_version
    assert got[1]["raw_object"]["metadata"]["generation"] == 2


def test_watch_replays_history_and_starts_fresh_with_added(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    rv = fake.upsert(timeout_obj("t1"))["metadata"]["resourceVersion"]
    fake.upsert(timeout_obj("t2"))
    fake.upsert(timeout_obj("t1", x=1))
    replay = collectors(custom.list_cluster_custom_object, G, V, MT, resource_version=rv)
    assert replay.take(2) == [("ADDED", "t2"), ("MODIFIED", "t1")]
    fresh = collectors(custom.list_cluster_custom_object, G, V, MT)
    assert fresh.take(2) == [("ADDED", "t1"), ("ADDED", "t2")]


def test_watch_selector_transitions(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    rv = fake.upsert(timeout_obj("t1"))["metadata"]["resourceVersion"]
    events = collectors(
        custom.list_cluster_custom_object, G, V, MT, resource_version=rv, label_selector="app=a"
    )
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t1", labels={"app": "b"}))
    fake.upsert(timeout_obj("t2", labels={"app": "b"}))  # never selected: not sent
    fake.upsert(timeout_obj("t1", labels={"app": "a"}))
    assert events.take(2) == [("DELETED", "t1"), ("ADDED", "t1")]


def test_bookmarks_arrive(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    rv = fake.upsert(timeout_obj("t1"))["metadata"]["resourceVersion"]
    events = collectors(
        custom.list_cluster_custom_object, G, V, MT, resource_version=rv, allow_watch_bookmarks=True
    )
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t2"))
    fake.upsert({"apiVersion": f"{G}/{V}", "kind": "MeshRetry", "metadata": {"name": "r"}})
    assert events.next()["type"] == "ADDED"
    bookmark = events.next(skip_bookmarks=False)
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["raw_object"]["kind"] == "MeshTimeout"
    # The bookmark covers writes to other kinds too: resuming from it skips nothing.
    assert bookmark["raw_object"]["metadata"]["resourceVersion"] == str(fake.resource_version)
    assert events.watch.resource_version == str(fake.resource_version)


def test_timeout_seconds_ends_with_a_bookmark(tmp_path: Path) -> None:
    with FakeKubeAPI(bookmark_interval=30) as fake:
        api = make_client(fake, tmp_path)
        try:
            custom = CustomObjectsApi(api)
            started = time.monotonic()
            stream = watch.Watch().stream(
                custom.list_cluster_custom_object,
                G,
                V,
                MT,
                resource_version=str(fake.resource_version),
                allow_watch_bookmarks=True,
                timeout_seconds=1,
            )
            assert [e["type"] for e in stream] == ["BOOKMARK"]
            assert 0.9 < time.monotonic() - started < 2.5
        finally:
            close_client(api)


def test_send_initial_events(fake: FakeKubeAPI, api_client: ApiClient) -> None:
    fake.upsert(timeout_obj("t1"))
    fake.upsert(timeout_obj("t2"))
    query = {
        "watch": "true",
        "sendInitialEvents": "true",
        "allowWatchBookmarks": "true",
        "resourceVersionMatch": "NotOlderThan",
    }
    lines = read_watch(fake, api_client, f"/apis/{G}/{V}/{MT}", query, count=3)
    assert [line["type"] for line in lines] == ["ADDED", "ADDED", "BOOKMARK"]
    end = lines[2]["object"]["metadata"]
    assert end["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert end["resourceVersion"] == str(fake.resource_version)


def read_watch(
    fake: FakeKubeAPI, api_client: ApiClient, path: str, query: dict[str, str], count: int
) -> list[dict[str, Any]]:
    """Issue a raw watch request with the client's auth; read `count` lines, then disconnect."""
    method, url, headers, _, _ = api_client.param_serialize(
        "GET", path, query_params=list(query.items()), auth_settings=["BearerToken"]
    )
    response = api_client.call_api(method, url, header_params=headers, _request_timeout=5)
    lines: list[dict[str, Any]] = []
    try:
        for line in iter_resp_lines(response.response):
            lines.append(json.loads(line))
            if len(lines) == count:
                break
    finally:
        response.response.close()
        response.response.release_conn()
    return lines


def test_python_bool_spelling_is_accepted(fake: FakeKubeAPI, api_client: ApiClient) -> None:
    """kubernetes<=35 sends `watch=True`; Go's ParseBool accepts it, so must the fake."""
    fake.upsert(timeout_obj("t1"))
    lines = read_watch(fake, api_client, f"/apis/{G}/{V}/{MT}", {"watch": "True"}, count=1)
    assert lines[0]["type"] == "ADDED"
    assert fake.requests[-1].verb == "watch"


def test_watch_from_compacted_rv_gives_410(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    old = fake.upsert(timeout_obj("t1"))["metadata"]["resourceVersion"]
    fake.upsert(timeout_obj("t2"))
    fake.compact()
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(
            custom.list_cluster_custom_object, G, V, MT, resource_version=old, timeout_seconds=5
        ):
            pytest.fail("no event expected before the error")
    assert err.value.status == 410
    assert f"too old resource version: {old} ({fake.resource_version})" in str(err.value.reason)


def test_stock_watch_retries_a_410_once_then_raises(
    fake: FakeKubeAPI, custom: CustomObjectsApi
) -> None:
    """The fact the app's informer is built around (ECOSYSTEM 1.1): one retry, same rv."""
    old = fake.upsert(timeout_obj("t1"))["metadata"]["resourceVersion"]
    fake.upsert(timeout_obj("t2"))
    fake.compact()
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(
            custom.list_cluster_custom_object, G, V, MT, resource_version=old
        ):
            pytest.fail("no event expected before the error")
    assert err.value.status == 410
    watches = [r for r in fake.requests if r.verb == "watch"]
    assert [r.query["resourceVersion"] for r in watches] == [old, old]


def test_no_event_falls_between_list_and_watch(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    """Writes racing the list and the watch start: the watch sees every later rv once."""
    fake.upsert(timeout_obj("seed"))
    done = threading.Event()

    def writer() -> None:
        for i in range(300):
            fake.upsert(timeout_obj(f"t{i % 7}", n=i))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        rv = int(list_mt(custom)["metadata"]["resourceVersion"])
        events = collectors(custom.list_cluster_custom_object, G, V, MT, resource_version=str(rv))
        done.wait(10)
        final = fake.resource_version
        seen: list[int] = []
        while not seen or seen[-1] < final:
            seen.append(int(events.next()["raw_object"]["metadata"]["resourceVersion"]))
    finally:
        thread.join()
    assert seen == list(range(rv + 1, final + 1))


def test_kubeconfig_contexts(fake: FakeKubeAPI, tmp_path: Path) -> None:
    path = fake.write_kubeconfig(
        tmp_path / "kubeconfig", namespace=NS, extra_contexts={"fake-other": "other"}
    )
    list_contexts = cast(Callable[..., Any], config.list_kube_config_contexts)
    contexts, active = list_contexts(config_file=str(path))
    assert [c["name"] for c in contexts] == ["fake", "fake-other"]
    assert active["context"]["namespace"] == NS
    api = new_client_from_config(config_file=str(path), context="fake-other")
    try:
        assert cast(Any, api).configuration.host == fake.url
    finally:
        close_client(api)


def test_bounded_history_compacts_itself(tmp_path: Path) -> None:
    with FakeKubeAPI(history_limit=2) as fake:
        api = make_client(fake, tmp_path)
        try:
            custom = CustomObjectsApi(api)
            rvs = [
                fake.upsert(timeout_obj(f"t{i}"))["metadata"]["resourceVersion"] for i in range(3)
            ]
            # History keeps the two newest writes, so it covers watches from rvs[0] on.
            replay = watch.Watch().stream(
                custom.list_cluster_custom_object, G, V, MT, resource_version=rvs[0]
            )
            assert [next(replay)["raw_object"]["metadata"]["name"] for _ in range(2)] == [
                "t1",
                "t2",
            ]
            replay.close()
            too_old = str(int(rvs[0]) - 1)
            with pytest.raises(ApiException) as err:
                list(
                    watch.Watch().stream(
                        custom.list_cluster_custom_object,
                        G,
                        V,
                        MT,
                        resource_version=too_old,
                        timeout_seconds=1,
                    )
                )
            assert err.value.status == 410
        finally:
            close_client(api)


def test_watch_from_future_rv_is_rejected(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as err:
        next(
            iter(
                watch.Watch().stream(
                    custom.list_cluster_custom_object,
                    G,
                    V,
                    MT,
                    resource_version=str(fake.resource_version + 100),
                    timeout_seconds=1,
                )
            )
        )
    assert err.value.status == 504


def test_expire_watches_sends_error_410(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    rv = str(fake.resource_version)
    events = collectors(
        custom.list_cluster_custom_object, G, V, MT, resource_version=rv, timeout_seconds=30
    )
    fake.wait_for_watchers(MT)
    assert fake.expire_watches() == 1
    events.join()
    assert isinstance(events.error, ApiException) and events.error.status == 410


def test_disconnect_then_resume_without_replay(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    rv = list_mt(custom)["metadata"]["resourceVersion"]
    first = collectors(
        custom.list_cluster_custom_object, G, V, MT, resource_version=rv, timeout_seconds=30
    )
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t1"))
    fake.upsert(timeout_obj("t2"))
    assert first.take(2) == [("ADDED", "t1"), ("ADDED", "t2")]
    assert fake.disconnect_watches() == 1
    first.join()
    assert first.error is None  # a clean end of stream
    assert fake.watcher_count(MT) == 0
    resumed = collectors(
        custom.list_cluster_custom_object,
        G,
        V,
        MT,
        resource_version=first.watch.resource_version,
        timeout_seconds=30,
    )
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t3"))
    assert resumed.take(1) == [("ADDED", "t3")]


def test_stock_watch_reconnects_after_disconnect(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    """Without timeout_seconds, Watch.stream re-issues the watch from its last rv."""
    events = collectors(custom.list_cluster_custom_object, G, V, MT)
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t1"))
    assert events.take(1) == [("ADDED", "t1")]
    fake.disconnect_watches()
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t2"))
    assert events.take(1) == [("ADDED", "t2")]
    watches = [r for r in fake.requests if r.verb == "watch"]
    assert len(watches) == 2 and watches[1].query["resourceVersion"] == str(
        fake.resource_version - 1
    )


def test_abort_watches_surfaces_protocol_error(
    fake: FakeKubeAPI, custom: CustomObjectsApi, collectors: Callable[..., Collector]
) -> None:
    events = collectors(
        custom.list_cluster_custom_object, G, V, MT, resource_version="1", timeout_seconds=30
    )
    fake.wait_for_watchers(MT)
    fake.upsert(timeout_obj("t1"))
    assert events.take(1) == [("ADDED", "t1")]
    assert fake.abort_watches() == 1
    events.join()
    assert isinstance(events.error, urllib3.exceptions.ProtocolError)


def test_core_namespace_watch(
    fake: FakeKubeAPI, api_client: ApiClient, collectors: Callable[..., Collector]
) -> None:
    core = CoreV1Api(api_client)
    listed = core.list_namespace()
    assert listed.metadata is not None
    rv = listed.metadata.resource_version
    events = collectors(core.list_namespace, resource_version=rv, timeout_seconds=30)
    fake.wait_for_watchers("namespaces")
    fake.upsert(timeout_obj("t1", ns="team-a"))
    event = events.next()
    assert event["type"] == "ADDED"
    assert event["object"].metadata.name == "team-a"
    assert event["object"].status.phase == "Active"


# -- lifecycle and loading ------------------------------------------------------------------


def test_stop_is_prompt_with_open_watch(tmp_path: Path) -> None:
    fake = FakeKubeAPI().start()
    api = make_client(fake, tmp_path)
    try:
        custom = CustomObjectsApi(api)
        events = Collector(custom.list_cluster_custom_object, G, V, MT, timeout_seconds=300)
        fake.wait_for_watchers(MT)
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 1.0
        events.join(timeout=2)
        assert events.error is None
        assert not fake.running
    finally:
        fake.stop()
        close_client(api)


def test_restart_keeps_state_and_port(fake: FakeKubeAPI, custom: CustomObjectsApi) -> None:
    fake.upsert(timeout_obj("t1"))
    port, rv = fake.port, fake.resource_version
    fake.stop()
    fake.start()
    assert fake.port == port
    listed = list_mt(custom)
    assert names(listed["items"]) == ["t1"]
    assert listed["metadata"]["resourceVersion"] == str(rv)


def test_restore_from_backup_goes_back_in_state_and_versions(
    fake: FakeKubeAPI, custom: CustomObjectsApi
) -> None:
    fake.upsert(timeout_obj("t1"))
    backup, rv = fake.backup(), fake.resource_version
    fake.upsert(timeout_obj("t2"))
    later = fake.resource_version
    fake.stop()
    fake.restore(backup)
    fake.start()
    listed = list_mt(custom)
    assert names(listed["items"]) == ["t1"]
    assert listed["metadata"]["resourceVersion"] == str(rv)
    with pytest.raises(ApiException) as err:  # the apiserver's answer to a version from the future
        list_mt(custom, resource_version=str(later))
    assert err.value.status == 504
    fake.upsert(timeout_obj("t3"))  # versions continue from the backup's
    assert fake.resource_version == rv + 1


def test_wait_for_watchers_times_out(fake: FakeKubeAPI) -> None:
    with pytest.raises(TimeoutError):
        fake.wait_for_watchers(MT, timeout=0.05)


FOLDER_DOCS = {
    "mesh.yaml": """
apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata:
  name: default
  creationTimestamp: 2024-05-01T10:00:00Z
---
---
- not
- a mapping
---
apiVersion: kuma.io/v1alpha1
kind: Unknown
metadata: {name: x}
""",
    "policies/timeouts.yml": """
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: t1, namespace: kuma-system, labels: {kuma.io/mesh: default}}
spec: {targetRef: {kind: Mesh}}
""",
    "policies/list.yaml": """
apiVersion: v1
kind: List
items:
- apiVersion: kuma.io/v1alpha1
  kind: MeshRetry
  metadata: {name: r1, namespace: kuma-system}
""",
    "notes.txt": "ignored",
    "universal.yaml": "type: Mesh\nname: default\n",
}


def write_folder(root: Path) -> Path:
    for name, text in FOLDER_DOCS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_from_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cluster")
    with FakeKubeAPI.from_folder(folder) as fake:
        api = make_client(fake, tmp_path)
        try:
            custom = CustomObjectsApi(api)
            meshes = list_cr(custom, "meshes")["items"]
            assert names(meshes) == ["default"]
            assert meshes[0]["metadata"]["creationTimestamp"] == "2024-05-01T10:00:00Z"
            assert names(list_mt(custom)["items"]) == ["t1"]
            assert names(list_cr(custom, "meshretries")["items"]) == ["r1"]
            assert [n["metadata"]["name"] for n in fake.snapshot("namespaces")] == [NS]
        finally:
            close_client(api)
    assert len(fake.skipped) == 3  # the YAML sequence, the Unknown kind, the universal one
    assert any("Unknown" in note for note in fake.skipped)


def test_sync_folder_applies_only_differences(fake: FakeKubeAPI, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cluster")
    assert fake.load_folder(folder) == 3
    rv = fake.resource_version
    assert fake.sync_folder(folder) == (0, 0)  # unchanged objects are not rewritten
    assert fake.resource_version == rv
    timeouts = folder / "policies" / "timeouts.yml"
    timeouts.write_text(timeouts.read_text().replace("kind: Mesh}", "kind: Mesh}, to: []"))
    (folder / "policies" / "list.yaml").unlink()
    assert fake.sync_folder(folder) == (1, 1)
    assert fake.snapshot(MT)[0]["metadata"]["generation"] == 2
    assert fake.snapshot("meshretries") == []
    assert [n["metadata"]["name"] for n in fake.snapshot("namespaces")] == [NS]


def test_standalone_command(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "cluster")
    kubeconfig = tmp_path / "kc" / "config"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakekube",
            "serve",
            str(folder),
            "--kubeconfig",
            str(kubeconfig),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(kubeconfig.exists, timeout=10)
        api = new_client_from_config(config_file=str(kubeconfig))
        try:
            assert names(list_mt(CustomObjectsApi(api))["items"]) == ["t1"]
        finally:
            close_client(api)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"kubeconfig: {kubeconfig}" in out
