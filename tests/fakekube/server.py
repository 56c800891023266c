"""`FakeKubeAPI`: the server's lifecycle and the thread-safe hooks tests drive it with.

Owns the background thread and its event loop (aiohttp on 127.0.0.1, a random
free port by default), start/stop, and the public hooks. Every hook runs on the
loop thread (marshalled with `call_soon_threadsafe` and waited for), so the
store needs no locks and a hook's write is fully dispatched to open watches
before the hook returns.

The protocol lives elsewhere: `handlers` (HTTP), `watch` (streams), `store`
(objects, rvs, history), `cluster` (state and operations), `loading` (files).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from tests.fakekube.cluster import Cluster, RequestRecord
from tests.fakekube.handlers import ApiHandlers
from tests.fakekube.loading import Document, kubeconfig, read_folder, write_yaml
from tests.fakekube.protocol import ApiError, Obj
from tests.fakekube.resources import NAMESPACES, ResourceType
from tests.fakekube.store import StoreBackup
from tests.fakekube.watch import Close

T = TypeVar("T")


class FakeKubeAPI:
    """A protocol-faithful, read-only fake Kubernetes API server for tests.

    Use as a context manager (`with FakeKubeAPI() as fake:`) or `start()`/`stop()`.
    Point the official client at it with `write_kubeconfig()`.
    """

    def __init__(
        self,
        resources: Iterable[ResourceType | str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = "fake-token",
        user: str = "system:serviceaccount:default:meshtui",
        initial_rv: int = 1,
        history_limit: int = 10_000,
        bookmark_interval: float = 1.0,
        auto_namespaces: bool = True,
        hook_timeout: float = 5.0,
    ) -> None:
        """Configure (does not start).

        Args:
            resources: Served types, as plurals of the default catalogue or
                `ResourceType`s (to add kinds); default: all 22 Kuma kinds + namespaces.
            port: 0 picks a free port at the first `start()`; restarts reuse it.
            token: Bearer token required on every request (None: no auth).
            user: The user named in 403 messages.
            initial_rv: resourceVersion of the empty store; the first write gets +1.
            history_limit: Events kept for watch replay; older ones are compacted.
            bookmark_interval: Seconds between BOOKMARK events on watches that allow them.
            auto_namespaces: Create a missing Namespace when a namespaced object lands in it.
            hook_timeout: How long a hook waits for the server loop.
        """
        self._cluster = Cluster(
            resources,
            initial_rv=initial_rv,
            history_limit=history_limit,
            auto_namespaces=auto_namespaces,
        )
        self._host = host
        self._port = port
        self._token = token
        self._handlers = ApiHandlers(
            self._cluster,
            token=token,
            user=user,
            bookmark_interval=bookmark_interval,
            closing=lambda: self._closing,
        )
        self._hook_timeout = hook_timeout
        self._closing = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread_id: int | None = None
        self._runner: web.AppRunner | None = None
        self.skipped: list[str] = []
        """Documents `load_folder` did not load, with the reason."""

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port is bound."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run, args=(ready, failure), name="fakekube", daemon=True
        )
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._thread = thread
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every watch stream, stop listening, and end the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None

    @property
    def port(self) -> int:
        """The bound port (0 before the first start when chosen at random)."""
        return self._port

    @property
    def url(self) -> str:
        """`http://host:port`."""
        if self._port == 0:
            raise RuntimeError("not started yet: the port is chosen at start()")
        return f"http://{self._host}:{self._port}"

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:
                failure.append(exc)
                return
            finally:
                ready.set()
            loop.run_forever()
        finally:
            self._loop = None
            self._loop_thread_id = None
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread_id = threading.get_ident()
        self._closing = False
        runner = web.AppRunner(
            self._handlers.make_app(),
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=0.5,
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = int(runner.addresses[0][1])
        self._runner = runner

    async def _shutdown(self) -> None:
        runner = self._runner
        self._closing = True
        self._cluster.release_stalls()
        if runner is None:
            return
        for site in list(runner.sites):
            await site.stop()  # refuse reconnects before the streams end
        self._cluster.close_watches(None, Close(force_close=True))
        await runner.cleanup()
        self._runner = None

    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the loop thread (or here, when not serving) and return its result."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread_id:
            return fn()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(self._hook_timeout)

    # -- setup --------------------------------------------------------------------------

    @classmethod
    def from_folder(cls, folder: str | Path, **kwargs: Any) -> Self:
        """A new (unstarted) server seeded from a folder of YAML; see `load_folder`.

        `kwargs` go to the constructor.
        """
        fake = cls(**kwargs)
        fake.load_folder(folder)
        return fake

    def load_folder(self, folder: str | Path) -> int:
        """Upsert every Kubernetes object in `folder` (recursive); returns how many.

        Documents that are not Kubernetes objects, or whose kind is not served, are
        listed in `skipped`. Files load in sorted order, so rvs are reproducible.
        """
        documents, skipped = read_folder(Path(folder))
        self.skipped.extend(skipped)
        loaded = 0
        for doc in documents:
            try:
                self.upsert(doc.obj)
            except KeyError as err:
                self.skipped.append(f"{doc.origin}: {err.args[0]}")
            else:
                loaded += 1
        return loaded

    def sync_folder(self, folder: str | Path) -> tuple[int, int]:
        """Make the store equal `folder`: upsert what changed, delete what is gone.

        Unchanged objects cause no write (no rv bump, no event). Namespaces still
        holding objects are kept. Returns (objects written, objects deleted).
        """
        documents, _ = read_folder(Path(folder))
        return self._call(lambda: self._sync(documents))

    def _sync(self, documents: list[Document]) -> tuple[int, int]:
        cluster = self._cluster
        before = cluster.store.rv
        wanted: set[tuple[str, str, str]] = set()
        for doc in documents:
            try:
                obj = cluster.upsert(doc.obj)
            except KeyError:
                continue
            meta = obj["metadata"]
            rt = cluster.type_for(obj["apiVersion"], obj["kind"])
            assert rt is not None
            wanted.add((rt.plural, meta.get("namespace") or "", meta["name"]))
        written = cluster.store.rv - before
        used = {ns for plural, ns, _ in wanted if plural != NAMESPACES.plural}
        deleted = 0
        for plural in list(cluster.served):
            for ns, name in sorted(cluster.store.objects(plural)):
                gone = (plural, ns, name) not in wanted
                if gone and not (plural == NAMESPACES.plural and name in used):
                    cluster.delete(plural, ns or None, name)
                    deleted += 1
        return written, deleted

    def write_kubeconfig(
        self,
        path: str | Path,
        context: str = "fake",
        namespace: str | None = None,
        *,
        extra_contexts: Mapping[str, str | None] | None = None,
    ) -> Path:
        """Write a kubeconfig (plain http, bearer token) for this server; returns the path.

        `context` is the current context; `extra_contexts` adds more contexts
        (name -> namespace) on the same server, e.g. to test context switching.
        """
        contexts = {context: namespace, **(extra_contexts or {})}
        target = Path(path)
        write_yaml(target, kubeconfig(self.url, self._token, contexts, context))
        return target

    # -- hooks: writes ------------------------------------------------------------------

    def upsert(self, obj: Mapping[str, object]) -> Obj:
        """Create or replace an object (Kubernetes form); returns the stored copy.

        Stamps resourceVersion, uid, creationTimestamp and generation; an unchanged
        object is a no-op. Open watches get ADDED or MODIFIED before this returns.
        """
        return self._call(lambda: self._cluster.upsert(obj))

    def upsert_many(self, objs: Iterable[Mapping[str, object]]) -> int:
        """`upsert` each object in one trip to the server loop (fast bulk seeding).

        Returns how many were written (unchanged ones are not).
        """
        batch = list(objs)

        def run() -> int:
            before = self._cluster.store.rv
            for obj in batch:
                self._cluster.upsert(obj)
            return self._cluster.store.rv - before

        return self._call(run)

    def delete(self, plural: str, namespace: str | None, name: str) -> Obj:
        """Delete an object (namespace ignored for cluster-scoped types); returns its last state."""
        return self._call(lambda: self._cluster.delete(plural, namespace, name))

    def compact(self) -> None:
        """Drop all history: watches and continue tokens older than now get 410."""
        self._call(self._cluster.store.compact)

    def backup(self) -> StoreBackup:
        """A snapshot of every object, the resourceVersion and the history (an etcd backup)."""
        return self._call(self._cluster.store.backup)

    def restore(self, backup: StoreBackup) -> None:
        """Restore the store from `backup`, as etcd restored from a snapshot: the state and
        resourceVersions go back, writes made since are gone, and no watch is told (stop
        the server around it, as an apiserver is restarted around an etcd restore)."""
        self._call(lambda: self._cluster.store.restore(backup))

    def set_token(self, token: str | None) -> None:
        """Require another bearer token from now on (a rotated credential); None: no auth.

        Open watches keep streaming, as on a real apiserver; `write_kubeconfig` writes it.
        """
        self._token = token
        self._call(lambda: setattr(self._handlers, "token", token))

    def fail_next(
        self,
        plural: str,
        verb: str,
        code: int,
        reason: str = "InternalError",
        message: str = "injected failure",
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` `verb` ("list", "watch", "get") requests of `plural`
        with an HTTP error `code` and a `kind: Status` body, e.g. an HTTP 410 on a watch
        (the fake itself answers a too-old watch as the apiserver does: 200 and an ERROR
        event) or a 500 on a list page; `retry_after` sets `details.retryAfterSeconds` and
        so the `Retry-After` header, as API Priority and Fairness sends with a 429."""
        details = {"retryAfterSeconds": retry_after} if retry_after is not None else None
        error = ApiError(code, reason, message, details=details)
        self._call(lambda: self._cluster.fail(plural, verb, error, times))

    def stall_next(self, plural: str, verb: str, *, times: int = 1) -> None:
        """Give the next `times` `verb` ("list", "watch", "get") requests of `plural` no
        answer at all (a hung apiserver or etcd) until `release_stalls()` or `stop()`; a
        client that gives up first is logged with status 0."""
        self._call(lambda: self._cluster.stall(plural, verb, times))

    def release_stalls(self) -> None:
        """Answer every held request now (as usual), and hold no more."""
        self._call(self._cluster.release_stalls)

    def route_service(self, namespace: str, name: str, port: int | str, url: str | None) -> None:
        """Make `url` (e.g. a fake control plane's `http://127.0.0.1:PORT`) the backend the
        service proxy reaches for that Service port, as its endpoints; None: no endpoints
        (503). The Service object itself is upserted like any other."""
        key = (namespace, name, str(port))

        def apply() -> None:
            if url is None:
                self._cluster.endpoints.pop(key, None)
            else:
                self._cluster.endpoints[key] = url

        self._call(apply)

    def forbid(self, plural: str) -> None:
        """Answer every request for `plural` with 403 (open watches keep streaming); a
        subresource is forbidden on its own, e.g. `services/proxy`."""
        self._call(lambda: self._cluster.forbidden.add(plural))

    def permit(self, plural: str) -> None:
        """Undo `forbid`."""
        self._call(lambda: self._cluster.forbidden.discard(plural))

    def uninstall(self, plural: str, timeout: float = 5.0) -> None:
        """Like deleting the CRD: DELETED for each object, its watches closed, then 404."""
        ids = self._call(lambda: self._cluster.uninstall(plural))
        self._await_closed(ids, timeout)

    def install(self, plural: str) -> None:
        """Serve a type of the catalogue again (empty), as after applying its CRD."""
        self._call(lambda: self._cluster.install(plural))

    # -- hooks: watch streams -----------------------------------------------------------

    def disconnect_watches(self, plural: str | None = None, timeout: float = 5.0) -> int:
        """End open watch streams cleanly (after what is queued); returns how many.

        Returns once they are closed server-side.
        """
        ids = self._call(lambda: self._cluster.close_watches(plural, Close()))
        return self._await_closed(ids, timeout)

    def abort_watches(self, plural: str | None = None, timeout: float = 5.0) -> int:
        """Reset the TCP connections of open watches (the client sees a ProtocolError)."""
        ids = self._call(lambda: self._cluster.close_watches(plural, Close(reset=True)))
        return self._await_closed(ids, timeout)

    def expire_watches(self, plural: str | None = None, timeout: float = 5.0) -> int:
        """Send open watches an ERROR event (410 Expired), then close them.

        History is untouched; call `compact()` too for a resume to fail as well.
        """
        ids = self._call(lambda: self._cluster.expire_watches(plural))
        return self._await_closed(ids, timeout)

    def inject_watch_line(self, plural: str, line: bytes) -> int:
        """Send `line` (raw bytes, e.g. a malformed event) on every open watch of `plural`,
        after what is queued; returns how many watches got it."""
        return len(self._call(lambda: self._cluster.inject_line(plural, line)))

    def _await_closed(self, ids: list[int], timeout: float) -> int:
        registry = self._cluster.watches
        wanted = set(ids)
        with registry.changed:
            if not registry.changed.wait_for(lambda: not registry.any_open(wanted), timeout):
                raise TimeoutError(f"watch streams still open after {timeout}s")
        return len(ids)

    def watcher_count(self, plural: str | None = None) -> int:
        """Open watch streams (of one plural, or all)."""
        with self._cluster.watches.changed:
            return self._cluster.watches.count(plural)

    def wait_for_watchers(self, plural: str, n: int = 1, timeout: float = 5.0) -> None:
        """Block until at least `n` watches of `plural` are open; TimeoutError otherwise.

        A watch counts once registered: any write after this returns reaches it.
        """
        registry = self._cluster.watches
        with registry.changed:
            if registry.changed.wait_for(lambda: registry.count(plural) >= n, timeout):
                return
            have = registry.count(plural)
        raise TimeoutError(f"{have} open watches of {plural} after {timeout}s, wanted {n}")

    # -- hooks: reads -------------------------------------------------------------------

    def snapshot(self, plural: str, namespace: str | None = None) -> list[Obj]:
        """Copies of the current objects of `plural`, sorted by namespace and name."""
        return self._call(lambda: self._cluster.snapshot(plural, namespace))

    @property
    def resource_version(self) -> int:
        """The current global resourceVersion."""
        return self._call(lambda: self._cluster.store.rv)

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """Every request so far, logged when its response status was decided."""
        return self._call(lambda: tuple(self._cluster.requests))

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call(self._cluster.requests.clear)
