"""The cluster source: Kuma resources read live from Kubernetes with list+watch.

The only module of meshtui that imports `kubernetes`. `KubeSource` resolves the
kubeconfig (or the in-cluster service account) when it is built, so a bad config is
a `ConfigError` before any UI starts. `run` then owns everything live:

- one `ApiClient`, closed when `run` returns;
- a discovery thread asking what the cluster serves (`/apis/kuma.io/v1alpha1` and
  `/api/v1`), again every `discovery_interval`, so a CRD installed later is watched;
- one list+watch thread per served kind, the kopf way: a paged list replaces the
  kind's origins (`ScopeReplaced` of `kube:{plural}/`), then a watch from the list's
  resourceVersion turns events into `OriginUpdate`s. 410 Gone re-lists; a clean end
  of stream or a dropped connection resumes from the last resourceVersion seen
  (bookmarks included), and so does a connection error while reconnecting (a restarted
  apiserver: 410 says when the history is gone); 403, 404 and other errors become the
  kind's state and are retried (with capped, jittered exponential backoff); 401 first
  re-reads the credentials (a rotated token file, a new service-account token);
- the `_Outbox` every thread writes into, drained on the thread that called `run`:
  it coalesces changes into few `ChangesReady` batches and reports `StatusChanged`.

urllib3 retries only a request that met a dropped connection, once (by default it
retried connect and read timeouts three times, so a silent cluster took four timeouts
to be reported); the loops retry the rest, saying so.

Only GET requests are ever made.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import urllib3
from kubernetes import config as kube_config
from kubernetes import watch
from kubernetes.client import ApiClient, Configuration, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException
from kubernetes.config import kube_config as kube_config_files

from meshtui.errors import ConfigError
from meshtui.inventory import Change, OriginUpdate, ScopeReplaced
from meshtui.kinds import ALL_KINDS
from meshtui.model import SourceRef
from meshtui.raw import RawDocument
from meshtui.sources import ChangesReady, Emit, KindStatus, SourceEvent, StatusChanged

log = logging.getLogger(__name__)

Body = dict[str, Any]
"""A Kubernetes object or list as the client decoded it from JSON."""

KUMA_GROUP = "kuma.io"
KUMA_VERSION = "v1alpha1"
ORIGIN_PREFIX = "kube:"

SYNCING = "syncing"
LIVE = "live"
RECONNECTING = "reconnecting"
FORBIDDEN = "forbidden"
NOT_INSTALLED = "not installed"
ERROR = "error"
STATES = (LIVE, SYNCING, RECONNECTING, FORBIDDEN, NOT_INSTALLED, ERROR)

_IN_CLUSTER_ENV = ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")
_IN_CLUSTER_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
_NETWORK = urllib3.exceptions.HTTPError
"""A connection lost mid-stream, refused, timed out, reset: resume from the last
resourceVersion (urllib3's `MaxRetryError`, `ProtocolError`, `ReadTimeoutError`, ...)."""


class _Retry(urllib3.util.Retry):
    """urllib3's retries as meshtui wants them: once after a connection the server dropped
    (a pooled keep-alive connection it had closed, a reset), never after a timeout or a
    refused connection (the loops retry those, after saying so). A 429/503 with a
    `Retry-After` header is handed back, not retried here: urllib3 would retry it once at
    once and then raise a `MaxRetryError` that reads as a lost connection."""

    def _is_read_error(self, err: Exception) -> bool:
        return isinstance(err, urllib3.exceptions.ProtocolError)  # a read timeout is "other"


_RETRIES = _Retry(
    total=1, connect=0, read=1, redirect=0, status=0, other=0, respect_retry_after_header=False
)
_HEALTHY_WATCH = 1.0
"""Seconds a watch must stay open to count as progress (resets the backoff)."""
_RETRY_AFTER_CAP = 60.0
"""Longest `Retry-After` honoured (a bigger one is a server bug, not a plan)."""
_REAUTH_INTERVAL = 1.0
"""Credentials are re-read at most this often (on 401)."""


class _BadEvent(Exception):
    """A watch stream line that is not a watch event."""


@dataclass(frozen=True, slots=True)
class WatchedKind:
    """One resource type the source lists and watches."""

    kind: str
    plural: str
    api_version: str

    @property
    def scope(self) -> str:
        """The prefix of this kind's inventory origins."""
        return f"{ORIGIN_PREFIX}{self.plural}/"

    def origin(self, obj: Body) -> str:
        """`kube:{plural}/{namespace}/{name}`, or `kube:{plural}/{name}` when cluster-scoped."""
        return self.scope + _qualified_name(obj)

    def update(self, obj: Body) -> OriginUpdate:
        """The origin update carrying `obj` (its `kind`/`apiVersion` filled in if missing)."""
        obj.setdefault("kind", self.kind)
        obj.setdefault("apiVersion", self.api_version)
        ref = SourceRef(f"{self.kind} {_qualified_name(obj)}", 0)
        return OriginUpdate(self.origin(obj), (RawDocument(ref, obj),))


NAMESPACES = WatchedKind("Namespace", "namespaces", "v1")
WATCHED_KINDS: tuple[WatchedKind, ...] = (
    NAMESPACES,
    *(
        WatchedKind(info.kind, info.plural, f"{KUMA_GROUP}/{KUMA_VERSION}")
        for info in ALL_KINDS.values()
    ),
)
"""Core `v1` Namespaces, then every kind meshtui knows (policies, Dataplane, services, ...)."""


def _qualified_name(obj: Body) -> str:
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    return f"{namespace}/{name}" if namespace else str(name)


def _resource_version(obj: Body) -> str | None:
    meta = obj.get("metadata")
    rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
    return str(rv) if rv else None


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeTuning:
    """Timing knobs; the defaults suit a real cluster, tests shrink them."""

    watch_timeout: int = 240
    """Server-side `timeoutSeconds` of each watch request (the client reads for +30 s)."""
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    """Client read timeout of list requests."""
    discovery_timeout: float = 10.0
    """Client read timeout of discovery (small answers; capped by `read_timeout`): how long
    a cluster that accepts connections but does not answer takes to be reported."""
    page_size: int = 500
    discovery_interval: float = 30.0
    batch_window: float = 0.05
    """How long changes are gathered after the first one before a batch goes out."""
    batch_limit: int = 2000
    """A batch goes out at once when this many changes are pending."""
    initial_hold: float = 2.0
    """Longest the first load is held back waiting for every kind to list."""
    backoff_start: float = 0.5
    backoff_cap: float = 30.0
    forbidden_retry: float = 30.0
    """Pause before retrying a kind that answered 403 or 401."""

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): doubling, capped, jittered."""
        delay = min(self.backoff_cap, self.backoff_start * 2.0 ** max(0, attempt - 1))
        return min(self.backoff_cap, delay * random.uniform(0.75, 1.25))


# -- configuration ------------------------------------------------------------------------


def resolve_kubeconfig(kubeconfig: str | None) -> str | None:
    """The kubeconfig path list to load, or None to use the in-cluster service account.

    `kubeconfig` (colon-separated) wins; else `$KUBECONFIG` as it is now; else
    `~/.kube/config`. Missing files of a list are skipped, as kubectl does.
    """
    given = kubeconfig or os.environ.get("KUBECONFIG") or ""
    paths = [os.path.expanduser(p) for p in (given or "~/.kube/config").split(os.pathsep) if p]
    existing = [p for p in paths if os.path.exists(p)]
    if existing:
        return os.pathsep.join(existing)
    if kubeconfig:
        raise ConfigError(f"kubeconfig not found: {kubeconfig}")
    if all(os.environ.get(name) for name in _IN_CLUSTER_ENV):
        return None
    where = f"$KUBECONFIG ({given})" if given else "~/.kube/config"
    raise ConfigError(f"no kubeconfig at {where} and not running in a cluster; use --kubeconfig")


def _first_current_context(paths: str) -> str:
    """kubectl's rule: the first file that sets `current-context` wins (the client's: the last)."""
    merger = cast(Callable[[str], Any], kube_config_files.KubeConfigMerger)(paths)
    for body in cast(dict[str, Any], merger.config_files).values():
        if isinstance(body, dict) and body.get("current-context"):
            return str(body["current-context"])
    raise ConfigError(f"kubeconfig {paths} sets no current-context; use --context")


def load_configuration(kubeconfig: str | None, context: str | None) -> tuple[Configuration, str]:
    """A client `Configuration` and the context name; `ConfigError` when unusable."""
    return _configuration_from(resolve_kubeconfig(kubeconfig), context)


def _configuration_from(paths: str | None, context: str | None) -> tuple[Configuration, str]:
    """`load_configuration` of resolved paths (None: the in-cluster service account)."""
    try:
        if paths is None:
            configuration = Configuration()
            load_incluster = cast(Callable[..., None], kube_config.load_incluster_config)
            load_incluster(client_configuration=configuration)
            return configuration, "in-cluster"
        name = context or _first_current_context(paths)
        new_client = cast(Callable[..., ApiClient], kube_config.new_client_from_config)
        probe = new_client(config_file=paths, context=name, persist_config=False)
    except ConfigError:
        raise
    except Exception as err:  # the loader raises ConfigException, OSError, YAML errors, ...
        where = "in-cluster config" if paths is None else f"kubeconfig {paths}"
        raise ConfigError(f"cannot use {where}: {_one_line(err)}") from None
    _close(probe)
    return probe.configuration, name


def context_namespace(paths: str | None, context: str) -> str:
    """The namespace kubectl would use without `-n`: the context's (`""` when it sets
    none), or in a pod `$POD_NAMESPACE` or the service account's namespace."""
    try:
        if paths is None:
            env = os.environ.get("POD_NAMESPACE", "")
            return env or Path(_IN_CLUSTER_NAMESPACE).read_text().strip()
        list_contexts = cast(Callable[..., Any], kube_config.list_kube_config_contexts)
        contexts, _ = list_contexts(config_file=paths)
    except Exception:  # an unreadable file: the configuration itself loaded, so no focus
        return ""
    for entry in contexts or ():
        if isinstance(entry, dict) and entry.get("name") == context:
            body = entry.get("context")
            return str(body.get("namespace") or "") if isinstance(body, dict) else ""
    return ""


def _close(api: ApiClient) -> None:
    """`ApiClient.close()` (unannotated in the client): closes its connection pool."""
    cast(Callable[[], None], api.close)()


# -- errors -------------------------------------------------------------------------------


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _status_message(body: object) -> str:
    """`message` of a `kind: Status` error body, if it is one."""
    try:
        status = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        return ""
    return str(status.get("message") or "") if isinstance(status, dict) else ""


def describe(err: BaseException) -> str:
    """One line for the status bar."""
    if isinstance(err, _BadEvent):
        return str(err)
    if isinstance(err, ApiException):
        head = f"{err.status} {err.reason or ''}".strip()
        message = _status_message(err.body)
        return f"{head}: {message}" if message else head
    if isinstance(err, urllib3.exceptions.MaxRetryError):
        cause = err.reason
        if isinstance(cause, urllib3.exceptions.ProtocolError):
            return describe(cause)
        if cause is not None and len(cause.args) > 1 and isinstance(cause.args[-1], str):
            return " ".join(cause.args[-1].split())  # (connection, message): a connect timeout
        reason = _one_line(cause) if cause is not None else _one_line(err)
        # Drop urllib3's "HTTPConnection(host=..., port=...): " prefix, keep the cause.
        return reason.split(">: ", 1)[-1].split("): ", 1)[-1]
    if isinstance(err, urllib3.exceptions.ReadTimeoutError):
        return "read timed out"
    if isinstance(err, urllib3.exceptions.ProtocolError):
        cause = err.args[-1] if err.args else err  # ("Connection aborted.", ConnectionResetError)
        text = _one_line(cause) if isinstance(cause, BaseException) else str(cause)
        return f"connection lost: {text}"
    return f"{type(err).__name__}: {_one_line(err)}"


# -- the outbox ---------------------------------------------------------------------------


class _Outbox:
    """What every thread reports, drained into events on the thread running the source.

    Owns batching and the status board. Changes are gathered for `batch_window` after
    the first one (or until `batch_limit`), so a burst of watch events is one batch.
    The first load is held until every kind has settled (listed, or found forbidden,
    not installed or failing) and goes out as `initial=True`, then
    `StatusChanged(synced=True)`. Status goes out whenever a kind's state changes,
    after the changes gathered before it; state changes are gathered like changes, so
    twenty kinds going live at once are one `StatusChanged`.
    """

    def __init__(self, kinds: Iterable[str], tuning: KubeTuning, server: str) -> None:
        self._cond = threading.Condition()
        self._tuning = tuning
        self._server = server
        self._kinds = tuple(kinds)
        self._pending: list[Change] = []
        self._first_pending = 0.0
        self._states: dict[str, KindStatus] = {}
        self._cluster_problem = ""
        self._discovered = False
        self._synced = False
        self._status_dirty = True
        self._dirty_since = 0.0

    def add(self, change: Change) -> None:
        """Queue one change (any thread)."""
        with self._cond:
            self._pending.append(change)
            if len(self._pending) == 1:
                self._first_pending = time.monotonic()
                self._cond.notify()
            elif len(self._pending) == self._tuning.batch_limit:
                self._cond.notify()

    def set_state(self, kind: str, state: str, message: str = "") -> None:
        """Record a kind's state (any thread); `since` changes only when the state does."""
        with self._cond:
            old = self._states.get(kind)
            if old is not None and (old.state, old.message) == (state, message):
                return
            since = old.since if old is not None and old.state == state else time.time()
            self._states[kind] = KindStatus(state, since, message)
            self._mark_dirty()

    def set_cluster_problem(self, message: str) -> None:
        """Why the cluster as a whole cannot be read (`""` once it can)."""
        with self._cond:
            if message != self._cluster_problem:
                self._cluster_problem = message
                self._mark_dirty()

    def mark_discovered(self) -> None:
        """Discovery has run once: every kind now has (or is about to get) a state."""
        with self._cond:
            if not self._discovered:
                self._discovered = True
                self._mark_dirty()

    def _mark_dirty(self) -> None:
        if not self._status_dirty:
            self._status_dirty = True
            self._dirty_since = time.monotonic()
            self._cond.notify()

    def take(self, wait: float) -> list[SourceEvent]:
        """The events due now, waiting up to `wait` seconds for some."""
        with self._cond:
            deadline = time.monotonic() + wait
            while (due := self._due_at()) > (now := time.monotonic()):
                if now >= deadline:
                    return []
                self._cond.wait(min(due, deadline) - now)
            return self._drain()

    def _ready_to_sync(self) -> bool:
        if self._synced or not self._discovered:
            return False
        states = [self._states.get(kind) for kind in self._kinds]
        return all(s is not None and s.state != SYNCING for s in states)

    def _due_at(self) -> float:
        """When the next events are due (`inf`: nothing to send)."""
        if self._ready_to_sync():
            return 0.0
        due = self._dirty_since + self._tuning.batch_window if self._status_dirty else math.inf
        if not self._pending:
            return due
        if not self._synced:
            return min(due, self._first_pending + self._tuning.initial_hold)
        if len(self._pending) >= self._tuning.batch_limit:
            return 0.0
        return min(due, self._first_pending + self._tuning.batch_window)

    def _drain(self) -> list[SourceEvent]:
        events: list[SourceEvent] = []
        ready = self._ready_to_sync()
        hold_over = time.monotonic() >= self._first_pending + self._tuning.initial_hold
        if self._pending and (self._synced or ready or hold_over):
            events.append(ChangesReady(tuple(self._pending), initial=not self._synced))
            self._pending = []
        elif ready:
            # Nothing listed (every kind forbidden, say): the first load is done all the same.
            events.append(ChangesReady((), initial=True))
        if ready:
            self._synced = True
            self._status_dirty = True
        if self._status_dirty:
            events.append(self._status())
            self._status_dirty = False
        return events

    def _status(self) -> StatusChanged:
        kinds = dict(sorted(self._states.items()))
        return StatusChanged(synced=self._synced, message=self._summary(), kinds=kinds)

    def _summary(self) -> str:
        if self._cluster_problem:
            return self._cluster_problem
        if not self._discovered:
            return f"connecting to {self._server}"
        counts = Counter(status.state for status in self._states.values())
        parts = ", ".join(f"{counts[state]} {state}" for state in STATES if counts[state])
        problems = [
            f"{kind} {status.state}: {status.message}"
            for kind, status in sorted(self._states.items())
            if status.state in (RECONNECTING, ERROR, FORBIDDEN) and status.message
        ]
        return f"{self._server}: {parts}" + (f"; {problems[0]}" if problems else "")


# -- one kind -----------------------------------------------------------------------------


class _OpenWatches:
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
class _Endpoint:
    """How the client lists (one page) and watches one kind."""

    list_page: Callable[..., Body]
    watch_call: Callable[..., object]
    watch_args: tuple[str, ...]


def _endpoint(api: ApiClient, kind: WatchedKind) -> _Endpoint:
    """Custom objects cluster-wide; Namespaces read as raw JSON too (no model classes)."""
    if kind is NAMESPACES:
        core = CoreV1Api(api)

        def list_namespaces(**kwargs: Any) -> Body:
            response = cast(Any, core.list_namespace(_preload_content=False, **kwargs))
            try:
                return cast(Body, json.loads(response.data))
            finally:
                response.release_conn()

        return _Endpoint(list_namespaces, core.list_namespace, ())
    custom = CustomObjectsApi(api)
    group, version = kind.api_version.split("/")

    def list_custom(**kwargs: Any) -> Body:
        return cast(Body, custom.list_cluster_custom_object(group, version, kind.plural, **kwargs))

    return _Endpoint(list_custom, custom.list_cluster_custom_object, (group, version, kind.plural))


class _Credentials:
    """The session's credentials, re-read from their source when the cluster answers 401.

    The client re-reads some credentials on its own (a service-account token every
    minute, an exec plugin's token past its expiry) but not a kubeconfig `token` or
    `tokenFile` rewritten since, nor an exec token rejected before its expiry.
    `refresh` loads the configuration again (the same files and context) and takes its
    credentials (and the hook that refreshes them) into the running client.
    """

    def __init__(self, configuration: Configuration, load: Callable[[], Configuration]) -> None:
        self._configuration = configuration
        self._load = load
        self._lock = threading.Lock()
        self._last = -math.inf
        self._changed = False

    def refresh(self) -> bool:
        """Re-read the credentials (at most once per `_REAUTH_INTERVAL`); True if they changed.

        Callers within the interval of a refresh get its answer, so each of the threads
        that met the same 401 retries at once when the refresh found new credentials.
        """
        with self._lock:
            now = time.monotonic()
            if now - self._last < _REAUTH_INTERVAL:
                return self._changed
            self._last = now
            try:
                fresh = self._load()
            except Exception as err:  # ConfigError, an exec plugin failing, ...
                log.warning("re-reading credentials failed: %s", _one_line(err))
                self._changed = False
                return False
            target = self._configuration
            before = _auth_of(target)
            after = _auth_of(fresh)
            # The hook first: it re-sets the token on every request, from its own loader.
            target.refresh_api_key_hook = fresh.refresh_api_key_hook
            target.api_key = dict(fresh.api_key)
            target.api_key_prefix = dict(fresh.api_key_prefix)
            target.username, target.password = fresh.username, fresh.password
            self._changed = after != before
            return self._changed


def _auth_of(configuration: Configuration) -> tuple[object, ...]:
    """What requests authenticate with: a loaded configuration holds its current token."""
    return (
        sorted(configuration.api_key.items()),
        sorted(configuration.api_key_prefix.items()),
        configuration.username,
        configuration.password,
    )


def _retry_after(err: ApiException) -> float:
    """The seconds a 429/503 asks the client to wait: its `Retry-After` header (seconds, as
    API Priority and Fairness sends, or an HTTP date, as a proxy in front may), capped at a
    minute; 0 when absent or unreadable."""
    headers = getattr(err, "headers", None) or {}
    value = str(headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value) if value else 0.0
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            seconds = 0.0
    return min(_RETRY_AFTER_CAP, max(0.0, seconds)) if math.isfinite(seconds) else 0.0


class _KindWatcher:
    """One kind's list+watch loop, run in its own thread until stopped or uninstalled.

    Owns the kind's last seen resourceVersion (None: list next) and how many times in
    a row it failed (which sets the backoff). If it dies of a bug, discovery's next
    round starts a new one.
    """

    def __init__(
        self,
        kind: WatchedKind,
        endpoint: _Endpoint,
        outbox: _Outbox,
        watches: _OpenWatches,
        tuning: KubeTuning,
        stop: threading.Event,
        credentials: _Credentials | None = None,
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
            except _NETWORK as err:
                # Lost, refused, timed out: the resourceVersion stays (None while listing).
                # A restarted apiserver still has the history; 410 says when it does not.
                if not self._stop.is_set():
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
            self._set(NOT_INSTALLED, f"{self.kind.plural} is not served by the cluster")
            self._outbox.add(ScopeReplaced(self.kind.scope, ()))
            return False
        elif err.status == 401 and self._credentials is not None and self._credentials.refresh():
            self._retry(describe(err), immediate_first=True)  # new credentials: try them
        elif err.status in (429, 503):  # throttled, starting: the history is still there
            self._retry(describe(err), immediate_first=False, at_least=_retry_after(err))
        elif err.status in (401, 403):
            self._set(FORBIDDEN if err.status == 403 else ERROR, describe(err))
            self.resource_version = None
            self._stop.wait(self._tuning.forbidden_retry)
        else:
            self.resource_version = None
            self._retry(describe(err), immediate_first=False)
        return True

    def _retry(self, problem: str, *, immediate_first: bool, at_least: float = 0.0) -> None:
        """Count a failure, then wait the backoff (the first of a run may retry at once),
        or `at_least` seconds when the server asked for longer (Retry-After)."""
        self._failures += 1
        attempt = self._failures - 1 if immediate_first else self._failures
        if attempt == 0:
            return
        if problem:
            self._set(RECONNECTING, problem)
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
                    raise _BadEvent(self._malformed) from err
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
            raise _BadEvent(self._malformed)
        obj, kind = cast(Body, event["raw_object"]), event.get("type")
        self.resource_version = _resource_version(obj) or self.resource_version
        if kind in ("ADDED", "MODIFIED"):
            self._outbox.add(self.kind.update(obj))
        elif kind == "DELETED":
            self._outbox.add(OriginUpdate(self.kind.origin(obj), None))
        elif kind != "BOOKMARK":
            log.warning("skipping a %s event on %s", kind, self.kind.plural)
        self._progress()


# -- the session --------------------------------------------------------------------------


def discover(api: ApiClient, timeout: tuple[float, float]) -> frozenset[str]:
    """Plurals the cluster serves in `kuma.io/v1alpha1` and core `v1`."""
    served: set[str] = set()
    try:
        kuma = CustomObjectsApi(api).get_api_resources(
            KUMA_GROUP, KUMA_VERSION, _request_timeout=timeout
        )
        served.update(r.name for r in kuma.resources)
    except ApiException as err:
        if err.status != 404:  # 404: Kuma is not installed at all
            raise
    core = CoreV1Api(api).get_api_resources(_request_timeout=timeout)
    served.update(r.name for r in core.resources)
    return frozenset(served)


class _Session:
    """Everything one `run` owns besides the client: the outbox, the threads, the watches."""

    def __init__(
        self,
        api: ApiClient,
        tuning: KubeTuning,
        stop: threading.Event,
        server: str,
        credentials: _Credentials | None = None,
    ) -> None:
        self.outbox = _Outbox((k.kind for k in WATCHED_KINDS), tuning, server)
        self._api = api
        self._credentials = credentials
        self._tuning = tuning
        self._stop = stop
        self._server = server
        self._watches = _OpenWatches(stop)
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._discovery = threading.Thread(
            target=self._discover_loop, name="meshtui-kube-discovery", daemon=True
        )

    def start(self) -> None:
        """Start discovery (which starts the kind threads)."""
        self._discovery.start()

    def shutdown(self, within: float = 0.9) -> None:
        """Stop every watch and join every thread, giving up after `within` seconds.

        `Watch.stop()` is repeated while waiting: a watch still connecting when it is
        first called has no socket to shut yet.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._watches.stop_all()
            with self._lock:
                alive = [t for t in (self._discovery, *self._threads.values()) if t.is_alive()]
            if not alive:
                return
            alive[0].join(0.02)
        log.warning("kube source threads still running after %.1fs", within)

    def _discover_loop(self) -> None:
        failures = 0
        read = min(self._tuning.read_timeout, self._tuning.discovery_timeout)
        timeout = (self._tuning.connect_timeout, read)
        retried = False
        while not self._stop.is_set():
            try:
                served = discover(self._api, timeout)
            except Exception as err:
                failures += 1
                if not retried and self._reauthorised(err):
                    retried = True
                    continue  # a 401, and the credentials were re-read: try them at once
                retried = False
                self.outbox.set_cluster_problem(self._unreachable(err))
                self._stop.wait(self._tuning.backoff(failures))
                continue
            failures = 0
            self.outbox.set_cluster_problem("")
            self._reconcile(served)
            self._stop.wait(self._tuning.discovery_interval)

    def _reauthorised(self, err: BaseException) -> bool:
        """Whether `err` is a 401 after which re-reading the credentials changed them."""
        unauthorised = isinstance(err, ApiException) and err.status == 401
        return unauthorised and self._credentials is not None and self._credentials.refresh()

    def _unreachable(self, err: BaseException) -> str:
        if isinstance(err, ApiException):
            return f"cannot read the cluster at {self._server}: {describe(err)}"
        return f"cluster unreachable at {self._server}: {describe(err)}"

    def _reconcile(self, served: frozenset[str]) -> None:
        """Start a thread for each served kind without one; mark the rest not installed."""
        for kind in WATCHED_KINDS:
            with self._lock:
                thread = self._threads.get(kind.plural)
                running = thread is not None and thread.is_alive()
                if kind.plural in served and not running and not self._stop.is_set():
                    self._threads[kind.plural] = self._start_kind(kind)
            if kind.plural not in served and not running:
                self.outbox.set_state(kind.kind, NOT_INSTALLED, "not served by the cluster")
        self.outbox.mark_discovered()

    def _start_kind(self, kind: WatchedKind) -> threading.Thread:
        self.outbox.set_state(kind.kind, SYNCING)
        watcher = _KindWatcher(
            kind,
            _endpoint(self._api, kind),
            self.outbox,
            self._watches,
            self._tuning,
            self._stop,
            self._credentials,
        )
        thread = threading.Thread(
            target=watcher.run, name=f"meshtui-kube-{kind.plural}", daemon=True
        )
        thread.start()
        return thread


# -- the source ---------------------------------------------------------------------------


class KubeSource:
    """Kuma resources of one kubeconfig context (or the in-cluster service account), live.

    Building it loads the config (`ConfigError` if it is missing or unusable); no
    request is made until `run`.
    """

    mode = "LIVE"

    def __init__(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        tuning: KubeTuning | None = None,
    ) -> None:
        """Args:
        kubeconfig: Path(s), colon-separated; default `$KUBECONFIG`, else `~/.kube/config`,
            else the in-cluster service account when running in a pod.
        context: The kubeconfig context; default kubectl's current context.
        tuning: Timeouts, batching and backoff.
        """
        self.tuning = tuning or KubeTuning()
        self._paths = resolve_kubeconfig(kubeconfig)
        self._configuration, self._context = _configuration_from(self._paths, context)
        pool = self._configuration.connection_pool_maxsize or 0
        self._configuration.connection_pool_maxsize = max(pool, len(WATCHED_KINDS) + 8)
        self._configuration.retries = _RETRIES

    def _reload(self) -> Configuration:
        """The configuration loaded again from the same files and context (or service account)."""
        return _configuration_from(self._paths, self._context)[0]

    @property
    def description(self) -> str:
        """The context name (`in-cluster` inside a pod)."""
        return self._context

    @property
    def default_namespace(self) -> str:
        """The namespace kubectl would use without `-n` (the context's, or the pod's), or `""`.

        For the app to focus when no `-n` is given, as kubectl would.
        """
        return context_namespace(self._paths, self._context)

    @property
    def server(self) -> str:
        """The API server URL."""
        return str(self._configuration.host)

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """List and watch until `stop` is set; returns within about a second of it.

        The threads stop on an event of their own, set when this returns for any reason
        (`stop`, or an exception from `emit`), so none outlives the call.
        """
        api = ApiClient(configuration=self._configuration)
        halt = threading.Event()
        credentials = _Credentials(self._configuration, self._reload)
        session = _Session(api, self.tuning, halt, self.server, credentials)
        try:
            session.start()
            while not stop.is_set():
                for event in session.outbox.take(wait=0.05):
                    emit(event)
        finally:
            halt.set()
            session.shutdown()
            _close(api)
