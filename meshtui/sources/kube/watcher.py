"""One kind's list+watch loop, the kopf way, in a thread of its own.

A paged list replaces the kind's origins (`ScopeReplaced` of `kube:{plural}/`), then a
watch from the list's resourceVersion turns events into `OriginUpdate`s. A clean end of
stream or a watch that drops after it opened resumes from the last resourceVersion seen
(bookmarks included); 410 Gone re-lists, and so does a request that got no answer at
all (a server down or restarting: its history once back may not be ours, whatever its
resourceVersions say); 403, 404 and other errors become the kind's state and are
retried (with capped, jittered exponential backoff); 401 first re-reads the credentials.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from kubernetes import watch
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from meshtui.inventory import OriginUpdate, ScopeReplaced
from meshtui.sources.kube.config import Credentials
from meshtui.sources.kube.errors import NETWORK, BadEvent, describe, retry_after
from meshtui.sources.kube.kinds import NAMESPACES, Body, WatchedKind, resource_version
from meshtui.sources.kube.outbox import ERROR, FORBIDDEN, LIVE, RECONNECTING, Outbox
from meshtui.sources.kube.tuning import KubeTuning

log = logging.getLogger(__name__)

_HEALTHY_WATCH = 1.0
"""Seconds a watch must stay open to count as progress (resets the backoff)."""


class OpenWatches:
    """Every open `Watch`, so the stopping thread can shut their sockets."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._lock = threading.Lock()
        self._open: set[watch.Watch] = set()

    def open(self, stream: watch.Watch) -> bool:
        """Register a watch about to start; False once stopping (do not start it)."""
        with self._lock:
            if self._stop.is_set():
                return False
            self._open.add(stream)
            return True

    def close(self, stream: watch.Watch) -> None:
        """Forget a watch whose stream has ended."""
        with self._lock:
            self._open.discard(stream)

    def stop_all(self) -> None:
        """`Watch.stop()` each open watch: in kubernetes>=36 it shuts the socket down."""
        with self._lock:
            streams = list(self._open)
        for stream in streams:
            stream.stop()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How the client lists (one page) and watches one kind."""

    list_page: Callable[..., Body]
    watch_call: Callable[..., object]
    watch_args: tuple[str, ...]


def endpoint(api: ApiClient, kind: WatchedKind, watch_api: ApiClient | None = None) -> Endpoint:
    """Custom objects cluster-wide; Namespaces read as raw JSON too (no model classes).
    Lists go through `api`, watches through `watch_api` (default: `api`)."""
    watching = watch_api or api
    if kind is NAMESPACES:
        core = CoreV1Api(api)

        def list_namespaces(**kwargs: Any) -> Body:
            response = cast(Any, core.list_namespace(_preload_content=False, **kwargs))
            try:
                return cast(Body, json.loads(response.data))
            finally:
                response.release_conn()

        return Endpoint(list_namespaces, CoreV1Api(watching).list_namespace, ())
    custom = CustomObjectsApi(api)
    group, version = kind.api_version.split("/")

    def list_custom(**kwargs: Any) -> Body:
        return cast(Body, custom.list_cluster_custom_object(group, version, kind.plural, **kwargs))

    watch_call = CustomObjectsApi(watching).list_cluster_custom_object
    return Endpoint(list_custom, watch_call, (group, version, kind.plural))


class KindWatcher:
    """One kind's list+watch loop, run in its own thread until stopped or uninstalled.

    Owns the kind's last seen resourceVersion (None: list next) and how many times in
    a row it failed (which sets the backoff). If it dies of a bug, discovery's next
    round starts a new one.
    """

    def __init__(
        self,
        kind: WatchedKind,
        endpoint: Endpoint,
        outbox: Outbox,
        watches: OpenWatches,
        tuning: KubeTuning,
        stop: threading.Event,
        credentials: Credentials | None = None,
    ) -> None:
        self.kind = kind
        self.resource_version: str | None = None
        self._endpoint = endpoint
        self._outbox = outbox
        self._watches = watches
        self._tuning = tuning
        self._stop = stop
        self._credentials = credentials
        self._failures = 0
        self._live = False
        self._connected_at: float | None = None
        self._listed_at = -math.inf

    def run(self) -> None:
        """The thread's body: never raises (an unexpected error becomes the `error` state)."""
        try:
            self._loop()
        except Exception as err:
            log.exception("watching %s failed", self.kind.plural)
            self._set(ERROR, describe(err))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                if self.resource_version is not None:
                    self._watch()
            except ApiException as err:
                if self._stop.is_set() or not self._on_api_error(err):
                    return
            except NETWORK as err:
                if not self._stop.is_set():
                    if self._connected_at is None:
                        # No answer at all: the server is down, restarting or out of reach.
                        # The history it has once back need not be the one our
                        # resourceVersion came from (an etcd restored from a backup keeps
                        # no deletion made since, whatever its versions), so list again.
                        self.resource_version = None
                    # A watch that drops after it opened resumes from its resourceVersion.
                    self._retry(describe(err), immediate_first=True)
            except Exception as err:  # a bad response, a malformed event, ...
                if not self._stop.is_set():
                    self.resource_version = None
                    self._retry(describe(err), immediate_first=False)

    def _on_api_error(self, err: ApiException) -> bool:
        """React to an HTTP error; False when the loop should end (kind not installed)."""
        if err.status == 410:  # Gone: history compacted past our resourceVersion
            self.resource_version = None
            if time.monotonic() - self._listed_at >= _HEALTHY_WATCH:
                self._failures = 0  # the server answers: list again now, whatever came before
            self._retry("", immediate_first=True)
        elif err.status == 404:
            self._live = False
            self._outbox.not_served(self.kind)
            self._outbox.add(ScopeReplaced(self.kind.scope, ()))
            return False
        elif err.status == 401 and self._credentials is not None and self._credentials.refresh():
            self._retry(describe(err), immediate_first=True)  # new credentials: try them
        elif err.status in (429, 503):  # throttled, starting: the history is still there
            self._retry(describe(err), immediate_first=False, at_least=retry_after(err))
        elif err.status in (401, 403):
            self._set(FORBIDDEN if err.status == 403 else ERROR, describe(err))
            self.resource_version = None
            self._stop.wait(self._tuning.forbidden_retry)
        else:
            self.resource_version = None
            self._retry(describe(err), immediate_first=False)
        return True

    def _retry(self, problem: str, *, immediate_first: bool, at_least: float = 0.0) -> None:
        """Count a failure, say so, then wait the backoff (the first of a run may retry at
        once), or `at_least` seconds when the server asked for longer (Retry-After).

        A live kind's first failure retried at once goes unsaid (a dropped watch that
        resumes is routine); a kind that is not live says what failed at once, so a list
        that gets no answer is reported after one timeout.
        """
        self._failures += 1
        attempt = self._failures - 1 if immediate_first else self._failures
        if problem and (attempt > 0 or not self._live):
            self._set(RECONNECTING, problem)
        if attempt == 0:
            return
        self._stop.wait(max(self._tuning.backoff(attempt), at_least))

    def _set(self, state: str, message: str = "") -> None:
        self._live = state == LIVE
        self._outbox.set_state(self.kind.kind, state, message)

    def _progress(self) -> None:
        self._failures = 0
        if not self._live:
            self._set(LIVE)

    def _list(self) -> None:
        """List every object (paged) and replace the kind's origins with them."""
        listed = self._list_all()
        if listed is None:
            return
        items, resource_version = listed
        updates = tuple(self.kind.update(item) for item in items if isinstance(item, dict))
        self._outbox.add(ScopeReplaced(self.kind.scope, updates))
        self.resource_version = resource_version
        self._listed_at = time.monotonic()
        self._progress()

    def _list_all(self) -> tuple[list[Any], str] | None:
        """Every page of the list, with its resourceVersion; None when stopped midway."""
        items: list[Any] = []
        token = ""
        timeout = (self._tuning.connect_timeout, self._tuning.read_timeout)
        while not self._stop.is_set():
            extra = {"_continue": token} if token else {}
            page = self._endpoint.list_page(
                limit=self._tuning.page_size, _request_timeout=timeout, **extra
            )
            items.extend(page.get("items") or ())
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                return items, str(meta.get("resourceVersion") or "")
        return None

    def _call_watch(self, *args: Any, **kwargs: Any) -> Any:
        # The watch request itself, as `Watch.stream` makes it: an answer that opens the
        # stream makes the kind live (a resumed watch may carry no event for minutes).
        # Being a plain function (no `:rtype:`), it also makes the stream yield raw JSON
        # events instead of building client models of Namespaces.
        response = self._endpoint.watch_call(*args, **kwargs)
        status = getattr(response, "status", None)
        if isinstance(status, int) and 200 <= status < 300:
            self._connected_at = time.monotonic()
            if not self._live:
                self._set(LIVE)
        return response

    def _watch(self) -> None:
        """One watch request from `resource_version`, followed until its stream ends."""
        stream = watch.Watch()
        if not self._watches.open(stream):
            return
        started, received = time.monotonic(), False
        timeout = self._tuning.watch_timeout
        self._connected_at = None
        events = stream.stream(
            self._call_watch,
            *self._endpoint.watch_args,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _request_timeout=(self._tuning.connect_timeout, timeout + 30),
        )
        try:
            while True:
                try:
                    event = next(events)
                except StopIteration:
                    break
                except (KeyError, TypeError) as err:  # the client decoding a line that is no event
                    raise BadEvent(self._malformed) from err
                received = True
                self._on_event(event)
        finally:
            self._watches.close(stream)
            opened = self._connected_at
            if opened is not None and time.monotonic() - opened >= _HEALTHY_WATCH:
                self._failures = 0  # it worked for a while: the next failure retries at once
        if not received and time.monotonic() - started < 1.0 and not self._stop.is_set():
            self._retry("watch ended at once", immediate_first=True)

    @property
    def _malformed(self) -> str:
        return f"malformed watch event on {self.kind.plural}, listing again"

    def _on_event(self, event: object) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("raw_object"), dict):
            raise BadEvent(self._malformed)
        obj, kind = cast(Body, event["raw_object"]), event.get("type")
        self.resource_version = resource_version(obj) or self.resource_version
        if kind in ("ADDED", "MODIFIED"):
            self._outbox.add(self.kind.update(obj))
        elif kind == "DELETED":
            self._outbox.add(OriginUpdate(self.kind.origin(obj), None))
        elif kind != "BOOKMARK":
            log.warning("skipping a %s event on %s", kind, self.kind.plural)
        self._progress()
