"""The simulated cluster state and every operation on it, run on the server's loop.

Owns what a test changes through hooks and what HTTP handlers read: the store,
which resource types are installed (served) and which are forbidden, the open
watches, and the request log. Writes go through here so that each one is
recorded in history *and* dispatched to open watches in the same synchronous
step: a watch registered before a write sees it, one registered after replays it.

Not thread-safe: `FakeKubeAPI` marshals every call onto the event-loop thread.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tests.fakekube.protocol import ApiError, Obj, expired
from tests.fakekube.resources import DEFAULT_RESOURCES, NAMESPACES, ResourceType, catalogue
from tests.fakekube.store import Key, Store, deep_copy, encode_event, to_json_object
from tests.fakekube.watch import Close, WatchRegistry


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request as the fake saw it."""

    method: str
    path: str
    query: Mapping[str, str] = field(hash=False)
    verb: str
    """Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection."""
    status: int
    """HTTP status code of the response (200 for a watch that was established; 0 for a
    held request the client gave up on)."""
    at: float = field(default_factory=time.monotonic, compare=False)
    """`time.monotonic()` when the fake answered."""


class Cluster:
    """Store + served/forbidden types + watches + request log."""

    def __init__(
        self,
        resources: Iterable[ResourceType | str] | None,
        *,
        initial_rv: int,
        history_limit: int,
        auto_namespaces: bool,
    ) -> None:
        resources = None if resources is None else list(resources)
        extra = [r for r in resources or () if isinstance(r, ResourceType)]
        self.known = catalogue(extra)
        defaults = [rt.plural for rt in DEFAULT_RESOURCES]
        names = defaults if resources is None else [_plural(r) for r in resources]
        unknown = [n for n in names if n not in self.known]
        if unknown:
            raise ValueError(f"unknown resource types: {unknown}")
        self.served: dict[str, ResourceType] = {n: self.known[n] for n in names}
        self.forbidden: set[str] = set()
        self.failures: dict[tuple[str, str], deque[ApiError]] = {}
        """Errors to answer the next requests with, by (plural, verb), oldest first."""
        self.endpoints: dict[tuple[str, str, str], str] = {}
        """Where the service proxy sends `(namespace, service, port)`: a backend's base URL."""
        self.stalls: dict[tuple[str, str], int] = {}
        """How many of the next requests, by (plural, verb), get no answer until released."""
        self._released: asyncio.Event | None = None
        self.store = Store(initial_rv=initial_rv, history_limit=history_limit)
        self.watches = WatchRegistry()
        self.requests: list[RequestRecord] = []
        self.auto_namespaces = auto_namespaces

    # -- lookups ------------------------------------------------------------------------

    def served_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The installed type at that URL, if any."""
        rt = self.served.get(plural)
        if rt is None or rt.group != group or rt.version != version:
            return None
        return rt

    def type_for(self, api_version: str, kind: str) -> ResourceType | None:
        """The installed type of an object with that apiVersion and kind."""
        for rt in self.served.values():
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None

    def _installed(self, plural: str) -> ResourceType:
        rt = self.served.get(plural)
        if rt is None:
            raise KeyError(f"resource type {plural!r} is not installed")
        return rt

    # -- writes -------------------------------------------------------------------------

    def upsert(self, obj: Mapping[str, object]) -> Obj:
        """Create or replace an object given in Kubernetes form; returns the stored copy."""
        clean = to_json_object(obj)
        rt = self.type_for(str(clean.get("apiVersion")), str(clean.get("kind")))
        if rt is None:
            raise KeyError(f"no installed type for {clean.get('apiVersion')} {clean.get('kind')}")
        if rt.namespaced and self.auto_namespaces:
            self._ensure_namespace(clean.get("metadata", {}).get("namespace") or "default")
        event = self.store.put(rt, clean)
        if event is not None:
            self.watches.dispatch(event)
            return deep_copy(event.obj)
        key = (clean["metadata"].get("namespace") or "", clean["metadata"]["name"])
        current = self.store.get(rt.plural, key)
        assert current is not None
        return deep_copy(current)

    def _ensure_namespace(self, namespace: str) -> None:
        if NAMESPACES.plural not in self.served:
            return
        if self.store.get(NAMESPACES.plural, ("", namespace)) is None:
            obj: Obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            event = self.store.put(NAMESPACES, obj)
            if event is not None:
                self.watches.dispatch(event)

    def delete(self, plural: str, namespace: str | None, name: str) -> Obj:
        """Delete one object; returns its last state. KeyError when absent."""
        rt = self._installed(plural)
        key: Key = ((namespace or "default") if rt.namespaced else "", name)
        if self.store.get(plural, key) is None:
            raise KeyError(f"{plural} {key[0]}/{key[1]} not found")
        event = self.store.remove(plural, key)
        self.watches.dispatch(event)
        return deep_copy(event.obj)

    def uninstall(self, plural: str) -> list[int]:
        """Like deleting the CRD: delete its objects, close its watches, leave discovery."""
        self._installed(plural)
        for key in sorted(self.store.objects(plural)):
            self.watches.dispatch(self.store.remove(plural, key))
        ids = self.close_watches(plural, Close())
        del self.served[plural]
        return ids

    def install(self, plural: str) -> None:
        """Serve a known type again (empty), as after applying its CRD."""
        if plural not in self.known:
            raise KeyError(f"unknown resource type {plural!r}")
        self.served[plural] = self.known[plural]

    # -- watches ------------------------------------------------------------------------

    def close_watches(self, plural: str | None, close: Close) -> list[int]:
        """Queue `close` on every open watch (of one plural or all); returns their ids."""
        watchers = self.watches.watchers(plural)
        for watcher in watchers:
            watcher.push(close)
        return [w.id for w in watchers]

    def expire_watches(self, plural: str | None) -> list[int]:
        """Send each open watch an ERROR 410 event, then close it."""
        watchers = self.watches.watchers(plural)
        for watcher in watchers:
            message = f"too old resource version: {watcher.last_rv} ({self.store.compacted_rv})"
            status = expired(message).status()
            watcher.push(Close(final_line=encode_event("ERROR", status)))
        return [w.id for w in watchers]

    def inject_line(self, plural: str, line: bytes) -> list[int]:
        """Queue a raw line on every open watch of `plural`; returns their ids."""
        watchers = self.watches.watchers(plural)
        for watcher in watchers:
            watcher.push((watcher.last_rv, line))
        return [w.id for w in watchers]

    # -- injected failures --------------------------------------------------------------

    def fail(self, plural: str, verb: str, error: ApiError, times: int) -> None:
        """Answer the next `times` `verb` requests of `plural` with `error`."""
        self.failures.setdefault((plural, verb), deque()).extend([error] * times)

    def take_failure(self, plural: str, verb: str) -> ApiError | None:
        """The error to answer this request with, if one is queued."""
        queued = self.failures.get((plural, verb))
        return queued.popleft() if queued else None

    # -- stalled requests ---------------------------------------------------------------

    def stall(self, plural: str, verb: str, times: int) -> None:
        """Hold the next `times` `verb` requests of `plural` without an answer."""
        self.stalls[(plural, verb)] = self.stalls.get((plural, verb), 0) + times

    def take_stall(self, plural: str, verb: str) -> bool:
        """Whether this request is to be held (counts it off)."""
        left = self.stalls.get((plural, verb), 0)
        if left <= 0:
            return False
        self.stalls[(plural, verb)] = left - 1
        return True

    async def held(self) -> None:
        """Wait until `release_stalls` (a held request is then answered as usual)."""
        if self._released is None:
            self._released = asyncio.Event()
        await self._released.wait()

    def release_stalls(self) -> None:
        """Answer every held request now, and hold no more."""
        self.stalls.clear()
        if self._released is not None:
            self._released.set()
            self._released = None

    # -- reads for hooks ----------------------------------------------------------------

    def snapshot(self, plural: str, namespace: str | None) -> list[Obj]:
        """Deep copies of the current objects, sorted by namespace and name."""
        objects = self.store.objects(plural)
        return [
            deep_copy(objects[k]) for k in sorted(objects) if namespace is None or k[0] == namespace
        ]

    def record(self, record: RequestRecord) -> None:
        """Append to the request log."""
        self.requests.append(record)


def _plural(resource: ResourceType | str) -> str:
    return resource.plural if isinstance(resource, ResourceType) else resource
