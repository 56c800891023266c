"""Helpers for the cluster-source tests: a `KubeSource` run in a thread, what the fake
server holds, and waits that poll a condition with a deadline.

Every test runs the official client against `FakeKubeAPI` over real HTTP, nothing
patched: each run applies its `ChangesReady` batches to an `Inventory`, compared with
what the server holds after driving the server through its hooks.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import Resource, ResourceKey, SourceRef
from meshtui.parse import ContextOptions
from meshtui.raw import RawDocument
from meshtui.sources import ChangesReady, SourceEvent, StatusChanged
from meshtui.sources.kube import KubeSource, KubeTuning
from tests.fakekube import DEFAULT_RESOURCES, FakeKubeAPI, RequestRecord

REPO_ROOT = Path(__file__).resolve().parents[3]
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
        self.inventory = Inventory.empty(ContextOptions())
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

    def current(self) -> Inventory:
        """The inventory built so far."""
        with self._lock:
            return self.inventory

    def bodies(self, scope: str) -> dict[str, Any]:
        """The object each origin under `scope` (`kube:meshopas/`) carries, by origin."""
        with self._lock:
            return {
                origin: state.documents[0].body
                for origin, state in self.inventory.origins.items()
                if origin.startswith(scope) and state.documents
            }

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
def running(kubeconfig: Path, tuning: KubeTuning = FAST, *, cp_api: bool = True) -> Iterator[Run]:
    """A started run on `kubeconfig`, stopped on exit (`cp_api`: see `KubeSource`)."""
    run = Run(KubeSource(str(kubeconfig), tuning=tuning, cp_api=cp_api)).start()
    try:
        yield run
    finally:
        run.stop()


def server_resources(fake: FakeKubeAPI) -> tuple[dict[ResourceKey, Resource], list[str]]:
    """What the server holds, parsed the way the inventory parses it (resources, namespaces)."""
    objects = [obj for plural in PLURALS for obj in fake.snapshot(plural)]
    docs = tuple(RawDocument(SourceRef("server", i), obj) for i, obj in enumerate(objects, 1))
    inventory, _ = Inventory.empty(ContextOptions()).apply([OriginUpdate("server", docs)])
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


def lists(fake: FakeKubeAPI) -> dict[str, int]:
    return {plural: len(requests_of(fake, "list", plural)) for plural in PLURALS}


def all_live(run: Run) -> bool:
    return all(run.state(kind) == "live" for kind in KINDS)


@contextlib.contextmanager
def synced_run(fake: FakeKubeAPI, kubeconfig: Path, tuning: KubeTuning = FAST) -> Iterator[Run]:
    with running(kubeconfig, tuning) as run:
        run.wait_synced()
        wait_for_all_watchers(fake)
        yield run
    assert {r.method for r in fake.requests} == {"GET"}


class SilentServer:
    """Accepts TCP connections and never answers (a hung apiserver, a dead port-forward)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self._sock.accept()
                self._held.append(conn)
                self.accepted += 1

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)
        for conn in self._held:
            conn.close()
        self._sock.close()
