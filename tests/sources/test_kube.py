"""`KubeSource` against the fake API server: real HTTP, the official client, nothing patched.

Each test runs the source in a thread with a collecting `emit`, applies its
`ChangesReady` batches to an `Inventory`, and compares that with what the server
holds, after driving the server through its hooks (writes, compaction, 410s,
disconnects, resets, 403/404, restarts). Waits poll a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meshtui.errors import ConfigError
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import Resource, ResourceKey, SourceRef
from meshtui.parse import ContextOptions
from meshtui.raw import RawDocument
from meshtui.sources import ChangesReady, SourceEvent, StatusChanged
from meshtui.sources.files import load_path
from meshtui.sources.kube import KubeSource, KubeTuning
from tests.fakekube import DEFAULT_RESOURCES, FakeKubeAPI, RequestRecord
from tests.versions import V2_10

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "sample-cluster" / "producer-consumer"
PLURALS = [rt.plural for rt in DEFAULT_RESOURCES]
KINDS = [rt.kind for rt in DEFAULT_RESOURCES]
G_V = "kuma.io/v1alpha1"

FAST = KubeTuning(
    watch_timeout=5,
    connect_timeout=2.0,
    read_timeout=5.0,
    discovery_interval=0.2,
    backoff_start=0.05,
    backoff_cap=0.3,
    forbidden_retry=0.2,
)


# -- helpers ------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Poll `predicate` until true, or fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.01)


class Run:
    """A `KubeSource` running in a thread: the events it emitted and the inventory they build."""

    def __init__(self, source: KubeSource) -> None:
        self.source = source
        self.stop_event = threading.Event()
        self.inventory = Inventory.empty(ContextOptions(version=V2_10))
        self._events: list[SourceEvent] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="test-kube-run")
        self.error: BaseException | None = None

    def start(self) -> Run:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.source.run(self._emit, self.stop_event)
        except BaseException as exc:
            self.error = exc

    def _emit(self, event: SourceEvent) -> None:
        with self._lock:
            self._events.append(event)
            if isinstance(event, ChangesReady):
                self.inventory, _ = self.inventory.apply(event.changes)

    @property
    def events(self) -> list[SourceEvent]:
        with self._lock:
            return list(self._events)

    def batches(self) -> list[ChangesReady]:
        return [e for e in self.events if isinstance(e, ChangesReady)]

    def status(self) -> StatusChanged | None:
        statuses = [e for e in self.events if isinstance(e, StatusChanged)]
        return statuses[-1] if statuses else None

    def state(self, kind: str) -> str:
        status = self.status()
        kind_status = status.kinds.get(kind) if status else None
        return kind_status.state if kind_status else ""

    def resources(self) -> dict[ResourceKey, Resource]:
        with self._lock:
            return dict(self.inventory.resource_map)

    def namespaces(self) -> list[str]:
        with self._lock:
            return [ns.name for ns in self.inventory.namespaces]

    def wait_synced(self, timeout: float = 5.0) -> StatusChanged:
        wait_until(lambda: (s := self.status()) is not None and s.synced, "synced", timeout)
        status = self.status()
        assert status is not None
        return status

    def stop(self) -> float:
        """Set `stop`; returns how long `run` took to return."""
        started = time.monotonic()
        self.stop_event.set()
        self._thread.join(5)
        assert not self._thread.is_alive(), "run did not return"
        assert self.error is None, self.error
        return time.monotonic() - started


@contextlib.contextmanager
def running(kubeconfig: Path, tuning: KubeTuning = FAST) -> Iterator[Run]:
    """A started run on `kubeconfig`, stopped on exit."""
    run = Run(KubeSource(str(kubeconfig), tuning=tuning)).start()
    try:
        yield run
    finally:
        run.stop()


def server_resources(fake: FakeKubeAPI) -> tuple[dict[ResourceKey, Resource], list[str]]:
    """What the server holds, parsed the way the inventory parses it (resources, namespaces)."""
    objects = [obj for plural in PLURALS for obj in fake.snapshot(plural)]
    docs = tuple(RawDocument(SourceRef("server", i), obj) for i, obj in enumerate(objects, 1))
    inventory, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [OriginUpdate("server", docs)]
    )
    return dict(inventory.resource_map), [ns.name for ns in inventory.namespaces]


def matches_server(run: Run, fake: FakeKubeAPI) -> bool:
    resources, namespaces = server_resources(fake)
    return run.resources() == resources and run.namespaces() == namespaces


def requests_of(fake: FakeKubeAPI, verb: str, plural: str) -> list[RequestRecord]:
    return [r for r in fake.requests if r.verb == verb and r.path.endswith(f"/{plural}")]


def wait_for_all_watchers(fake: FakeKubeAPI, plurals: list[str] = PLURALS) -> None:
    for plural in plurals:
        fake.wait_for_watchers(plural)


def timeout_obj(name: str, ns: str = "kuma-demo", **spec: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "labels": {"kuma.io/mesh": "default"}}
    body = spec or {"targetRef": {"kind": "Mesh"}}
    return {"apiVersion": G_V, "kind": "MeshTimeout", "metadata": meta, "spec": body}


def has_timeout(run: Run, name: str, ns: str = "kuma-demo") -> bool:
    return any(k.type == "MeshTimeout" and k.name == f"{name}.{ns}" for k in run.resources())


def all_get(fake: FakeKubeAPI) -> bool:
    return all(r.method == "GET" for r in fake.requests)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1) as server:
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return fake.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def start(kubeconfig: Path, fake: FakeKubeAPI) -> Iterator[Callable[[], Run]]:
    """Start a source on the fake; every run is stopped (and checked read-only) at teardown."""
    runs: list[Run] = []

    def start_run() -> Run:
        run = Run(KubeSource(str(kubeconfig), tuning=FAST)).start()
        runs.append(run)
        return run

    yield start_run
    for run in runs:
        run.stop()
    assert all_get(fake)


@pytest.fixture
def synced(start: Callable[[], Run], fake: FakeKubeAPI) -> Run:
    """A run past its initial load, with every watch open."""
    run = start()
    run.wait_synced()
    wait_for_all_watchers(fake)
    return run


# -- initial load -------------------------------------------------------------------------


def test_initial_sync_reaches_the_inventory(synced: Run, fake: FakeKubeAPI) -> None:
    assert fake.skipped == []
    documents, problems = load_path(SAMPLE)
    folder, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [OriginUpdate("folder", tuple(documents), tuple(problems))]
    )
    assert set(synced.resources()) == set(folder.resource_map)
    assert {"Mesh", "Dataplane", "MeshService", "MeshTimeout"} <= {
        k.type for k in synced.resources()
    }
    assert matches_server(synced, fake)
    assert synced.namespaces() == sorted(ns.name for ns in folder.namespaces)


def test_initial_load_is_one_flagged_batch_then_synced(synced: Run, fake: FakeKubeAPI) -> None:
    events = synced.events
    synced_at = next(i for i, e in enumerate(events) if isinstance(e, StatusChanged) and e.synced)
    before = [e for e in events[:synced_at] if isinstance(e, ChangesReady)]
    assert len(before) == 1 and before[0].initial
    assert len(before[0].changes) == len(PLURALS)  # one ScopeReplaced per kind
    status = events[synced_at]
    assert isinstance(status, StatusChanged)
    assert {kind: s.state for kind, s in status.kinds.items()} == dict.fromkeys(KINDS, "live")
    assert synced.source.mode == "LIVE" and synced.source.description == "fake"
    for plural in PLURALS:
        (listed,) = requests_of(fake, "list", plural)
        assert listed.query["limit"] == "500"


def test_paged_list(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.upsert_many(timeout_obj(f"t{i:03}") for i in range(120))
    with running(kubeconfig, dataclasses.replace(FAST, page_size=50)) as run:
        run.wait_synced()
        assert matches_server(run, fake)
        pages = requests_of(fake, "list", "meshtimeouts")
        assert [r.query.get("limit") for r in pages] == ["50"] * 3
        assert all(r.query.get("continue") for r in pages[1:])


# -- watch events -------------------------------------------------------------------------


def test_added_modified_deleted_reach_the_inventory(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("new-timeout", ns="team-a"))
    wait_until(lambda: has_timeout(synced, "new-timeout", "team-a"), "ADDED")
    assert "team-a" in synced.namespaces()  # the Namespace watch too
    fake.upsert(timeout_obj("new-timeout", ns="team-a", targetRef={"kind": "Mesh"}, to=[]))
    wait_until(lambda: matches_server(synced, fake), "MODIFIED")
    fake.delete("meshtimeouts", "team-a", "new-timeout")
    wait_until(lambda: not has_timeout(synced, "new-timeout", "team-a"), "DELETED")
    fake.delete("meshes", None, "default")
    wait_until(lambda: matches_server(synced, fake), "cluster-scoped DELETED")
    assert all(not b.initial for b in synced.batches()[1:])


def test_burst_arrives_in_a_handful_of_batches(synced: Run, fake: FakeKubeAPI) -> None:
    before = len(synced.batches())
    fake.upsert_many(timeout_obj(f"burst-{i:04}") for i in range(2000))
    wait_until(lambda: has_timeout(synced, "burst-1999"), "the last of the burst")
    wait_until(lambda: matches_server(synced, fake), "the whole burst")
    assert 1 <= len(synced.batches()) - before <= 20


def test_bookmarks_are_tracked_but_not_changes(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("marker"))
    wait_until(lambda: has_timeout(synced, "marker"), "the marker")
    batches = len(synced.batches())
    target = str(fake.resource_version)  # newer than any MeshRetry: only bookmarks carry it

    def resumed_from_bookmark() -> bool:
        fake.disconnect_watches("meshretries")
        fake.wait_for_watchers("meshretries")
        watches = requests_of(fake, "watch", "meshretries")
        if watches[-1].query.get("resourceVersion") == target:
            return True
        time.sleep(0.1)  # let a bookmark (every 0.1 s) reach the resumed watch
        return False

    wait_until(resumed_from_bookmark, "a watch resumed from a bookmark's resourceVersion")
    assert len(synced.batches()) == batches
    assert len(requests_of(fake, "list", "meshretries")) == 1


# -- resuming and re-listing --------------------------------------------------------------


def test_410_relists_and_replaces(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("before-compaction"))
    wait_until(lambda: has_timeout(synced, "before-compaction"), "the first write")
    fake.compact()
    assert fake.expire_watches("meshtimeouts") == 1
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
    fake.wait_for_watchers("meshtimeouts")
    fake.upsert(timeout_obj("after-relist"))
    wait_until(lambda: has_timeout(synced, "after-relist"), "a write after the re-list")
    wait_until(lambda: matches_server(synced, fake), "inventory equal to the server")
    assert synced.state("MeshTimeout") == "live"
    for plural in PLURALS:
        if plural != "meshtimeouts":
            assert len(requests_of(fake, "list", plural)) == 1


def test_410_on_resume_relists(tmp_path: Path) -> None:
    # Rare bookmarks: the services watch keeps the rv of its list, which compaction outdates.
    kc = tmp_path / "kc"
    with (
        FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=30) as fake,
        running(fake.write_kubeconfig(kc)) as run,
    ):
        run.wait_synced()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("moves-the-rv"))
        fake.compact()
        fake.disconnect_watches("meshservices")
        wait_until(lambda: len(requests_of(fake, "list", "meshservices")) == 2, "a re-list")
        resume = requests_of(fake, "watch", "meshservices")[1]
        assert int(resume.query["resourceVersion"]) < fake.resource_version
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


@pytest.mark.parametrize("drop", ["disconnect_watches", "abort_watches"])
def test_dropped_watches_resume_without_relist(synced: Run, fake: FakeKubeAPI, drop: str) -> None:
    stored = fake.upsert(timeout_obj("before-drop"))
    wait_until(lambda: has_timeout(synced, "before-drop"), "the first write")
    watches_before = len(requests_of(fake, "watch", "meshtimeouts"))
    assert getattr(fake, drop)() == len(PLURALS)
    wait_for_all_watchers(fake)
    fake.upsert(timeout_obj("after-drop"))
    wait_until(lambda: has_timeout(synced, "after-drop"), "a write after the drop")
    assert matches_server(synced, fake)
    for plural in PLURALS:
        assert len(requests_of(fake, "list", plural)) == 1
    resumed = requests_of(fake, "watch", "meshtimeouts")[watches_before]
    assert int(resumed.query["resourceVersion"]) >= int(stored["metadata"]["resourceVersion"])
    assert synced.state("MeshTimeout") == "live"


# -- per-kind failures --------------------------------------------------------------------


def test_forbidden_and_not_installed_kinds(tmp_path: Path) -> None:
    served = [p for p in PLURALS if p != "meshtraces"]
    with FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1) as fake:
        fake.forbid("meshretries")
        with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
            status = run.wait_synced()
            assert status.kinds["MeshRetry"].state == "forbidden"
            assert "cannot list" in status.kinds["MeshRetry"].message
            assert status.kinds["MeshTrace"].state == "not installed"
            assert status.kinds["MeshTimeout"].state == "live"
            fake.upsert(timeout_obj("still-working"))
            wait_until(lambda: has_timeout(run, "still-working"), "other kinds keep working")
        assert all_get(fake)


def test_kinds_change_state_while_running(synced: Run, fake: FakeKubeAPI) -> None:
    fake.forbid("meshretries")
    fake.disconnect_watches("meshretries")
    wait_until(lambda: synced.state("MeshRetry") == "forbidden", "forbidden")
    fake.permit("meshretries")
    wait_until(lambda: synced.state("MeshRetry") == "live", "live again after permit")

    fake.uninstall("meshtimeouts")
    wait_until(lambda: synced.state("MeshTimeout") == "not installed", "not installed")
    assert not any(k.type == "MeshTimeout" for k in synced.resources())
    fake.upsert(
        {"apiVersion": G_V, "kind": "MeshRetry", "metadata": {"name": "r", "namespace": "a"}}
    )
    wait_until(lambda: matches_server(synced, fake), "other kinds keep working")

    fake.install("meshtimeouts")  # discovery re-check picks it up
    fake.upsert(timeout_obj("reinstalled"))
    wait_until(lambda: has_timeout(synced, "reinstalled"), "a kind installed later")
    assert synced.state("MeshTimeout") == "live"


def test_unreachable_cluster_says_so_and_recovers(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.stop()
    with running(kubeconfig) as run:
        wait_until(lambda: "unreachable" in getattr(run.status(), "message", ""), "unreachable")
        status = run.status()
        assert status is not None and not status.synced
        assert fake.url in status.message and "refused" in status.message
        fake.start()
        run.wait_synced()
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


def test_server_restart_reconnects_each_kind(synced: Run, fake: FakeKubeAPI) -> None:
    fake.stop()
    wait_until(lambda: synced.state("MeshTimeout") == "reconnecting", "reconnecting")
    status = synced.status()
    assert status is not None
    reconnecting = status.kinds["MeshTimeout"]
    assert "refused" in reconnecting.message and 0 < reconnecting.since <= time.time()
    fake.start()
    wait_until(lambda: all(synced.state(kind) == "live" for kind in KINDS), "live again")
    fake.upsert(timeout_obj("after-restart"))
    wait_until(lambda: has_timeout(synced, "after-restart"), "a write after the restart")
    assert matches_server(synced, fake)


def test_watch_timeout_resumes_without_relist(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    with running(kubeconfig, dataclasses.replace(FAST, watch_timeout=1)) as run:
        run.wait_synced()
        wait_until(lambda: len(requests_of(fake, "watch", "meshes")) >= 2, "a second watch")
        first, second = requests_of(fake, "watch", "meshes")[:2]
        assert first.query["timeoutSeconds"] == "1"
        assert first.query["allowWatchBookmarks"].lower() == "true"
        assert int(second.query["resourceVersion"]) >= int(first.query["resourceVersion"])
        assert len(requests_of(fake, "list", "meshes")) == 1
        fake.upsert(timeout_obj("after-timeout"))
        wait_until(lambda: has_timeout(run, "after-timeout"), "a write after the timeout")


# -- stopping and read-only ---------------------------------------------------------------


def test_stop_is_prompt_with_watches_open(synced: Run) -> None:
    assert synced.stop() < 1.0
    assert not [t for t in threading.enumerate() if t.name.startswith("meshtui-kube")]


def test_only_get_requests(synced: Run, fake: FakeKubeAPI) -> None:
    fake.compact()
    fake.expire_watches()
    fake.abort_watches()
    wait_for_all_watchers(fake)
    verbs = {r.verb for r in fake.requests}
    assert verbs <= {"get", "list", "watch"} and {"list", "watch"} <= verbs
    assert all_get(fake)


# -- configuration ------------------------------------------------------------------------


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kubeconfig not found: .*missing"):
        KubeSource(str(tmp_path / "missing"))


def test_invalid_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("clusters: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot use kubeconfig") as err:
        KubeSource(str(path))
    assert "\n" not in str(err.value)


def test_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(ConfigError, match="nope"):
        KubeSource(str(kubeconfig), context="nope")


def test_kubeconfig_env_is_read_at_construction(
    fake: FakeKubeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fake.write_kubeconfig(tmp_path / "a", context="ctx-a")
    second = fake.write_kubeconfig(tmp_path / "b", context="ctx-b")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'absent'}:{second}")
    source = KubeSource()
    assert source.description == "ctx-a"  # kubectl: the first current-context wins
    assert source.server == fake.url
    assert KubeSource(context="ctx-b").description == "ctx-b"


def test_no_kubeconfig_falls_back_to_in_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="not running in a cluster"):
        KubeSource()
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ConfigError, match="cannot use in-cluster config"):
        KubeSource()  # no service-account token outside a pod
