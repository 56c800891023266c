"""Everything one `KubeSource.run` owns besides the client: the outbox, the threads, the
watches.

A discovery thread asks what the cluster serves (`/apis/kuma.io/v1alpha1` and
`/api/v1`), again every `discovery_interval`, and starts a `KindWatcher` thread for
each served kind that has none, so a CRD installed later is watched. The kinds are
`WATCHED_KINDS` and the ones discovery finds (`discovered_kinds`), at most
`MAX_DISCOVERED` of those.
"""

from __future__ import annotations

import logging
import threading
import time

from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from meshtui.sources.kube.config import Credentials
from meshtui.sources.kube.controlplane import ControlPlaneClient, CpIndex
from meshtui.sources.kube.detect import Unanswered, detect
from meshtui.sources.kube.errors import NETWORK, describe
from meshtui.sources.kube.kinds import (
    KUMA_GROUP,
    KUMA_VERSION,
    MAX_DISCOVERED,
    WATCHED_KINDS,
    WatchedKind,
    discovered_kinds,
)
from meshtui.sources.kube.outbox import SYNCING, Outbox
from meshtui.sources.kube.tuning import KubeTuning
from meshtui.sources.kube.watcher import KindWatcher, OpenWatches, endpoint

log = logging.getLogger(__name__)


def discover(
    api: ApiClient, timeout: tuple[float, float]
) -> tuple[frozenset[str], tuple[WatchedKind, ...]]:
    """Plurals the cluster serves in `kuma.io/v1alpha1` and core `v1`, and the served
    `kuma.io` kinds to watch beyond `WATCHED_KINDS` (`discovered_kinds`)."""
    served: set[str] = set()
    found: tuple[WatchedKind, ...] = ()
    try:
        kuma = CustomObjectsApi(api).get_api_resources(
            KUMA_GROUP, KUMA_VERSION, _request_timeout=timeout
        )
        served.update(r.name for r in kuma.resources)
        found = discovered_kinds((r.name, r.kind) for r in kuma.resources)
    except ApiException as err:
        if err.status != 404:  # 404: Kuma is not installed at all
            raise
    core = CoreV1Api(api).get_api_resources(_request_timeout=timeout)
    served.update(r.name for r in core.resources)
    return frozenset(served), found


class Session:
    """Everything one `run` owns besides the client: the outbox, the threads, the watches."""

    def __init__(
        self,
        api: ApiClient,
        tuning: KubeTuning,
        stop: threading.Event,
        server: str,
        credentials: Credentials | None = None,
        *,
        cp_api: bool = True,
        watch_api: ApiClient | None = None,
    ) -> None:
        """Args:
        api: The client of lists, discovery and detection.
        watch_api: The client of watches (default: `api`); see `KubeSource.run`.
        """
        self.outbox = Outbox(tuning, server)
        self._cp_api = cp_api
        """Whether detection may ask the control plane's API (its index)."""
        self._api = api
        self._watch_api = watch_api or api
        self._credentials = credentials
        self._tuning = tuning
        self._stop = stop
        self._server = server
        self._watches = OpenWatches(stop)
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._kinds: dict[str, WatchedKind] = {kind.plural: kind for kind in WATCHED_KINDS}
        """Every kind to watch when served, by plural: the static ones, then those
        discovery found (read and written by the discovery thread only)."""
        self._passed_over: set[str] = set()
        """Plurals discovery found beyond `MAX_DISCOVERED`, said once each."""
        self._discovery = threading.Thread(
            target=self._discover_loop, name="meshtui-kube-discovery", daemon=True
        )
        self._detection = threading.Thread(
            target=self._detect_loop, name="meshtui-kube-detect", daemon=True
        )

    def start(self) -> None:
        """Start discovery (which starts the kind threads) and control-plane detection."""
        self._discovery.start()
        self._detection.start()

    def shutdown(self, within: float = 0.9) -> None:
        """Stop every watch and join every thread, giving up after `within` seconds.

        `Watch.stop()` is repeated while waiting: a watch still connecting when it is
        first called has no socket to shut yet.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._watches.stop_all()
            with self._lock:
                threads = (self._discovery, self._detection, *self._threads.values())
                alive = [t for t in threads if t.is_alive()]
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
                served, found = discover(self._api, timeout)
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
            self._reconcile(served, found)
            self._stop.wait(self._tuning.discovery_interval)

    def _detect_loop(self) -> None:
        """Detect the control plane once the cluster answers (retried with backoff while
        it does not, or answers 401); what it answers is said, not retried."""
        failures = 0
        while not self._stop.is_set():
            try:
                ask_index = self._ask_index if self._cp_api else None
                detection = detect(self._api, self._tuning, ask_index)
            except (NETWORK, Unanswered) as err:
                failures += 1
                log.debug("control-plane detection: %s", describe(err))
                self._stop.wait(self._tuning.backoff(failures))
                continue
            except Exception:  # a bug must not take the source down: the default applies
                log.exception("control-plane detection failed")
                return
            self.outbox.set_detection(detection)
            return

    def _ask_index(self, namespace: str, service: str) -> tuple[str, CpIndex]:
        """The index of the control plane behind that Service, for detection: where it
        was asked and what it said (with the discovery timeouts; never raises)."""
        read = min(self._tuning.read_timeout, self._tuning.discovery_timeout)
        timeout = (self._tuning.connect_timeout, read)
        configuration = self._api.configuration
        with ControlPlaneClient(configuration, namespace, service, timeout=timeout) as client:
            return client.where, client.index()

    def _reauthorised(self, err: BaseException) -> bool:
        """Whether `err` is a 401 after which re-reading the credentials changed them."""
        unauthorised = isinstance(err, ApiException) and err.status == 401
        return unauthorised and self._credentials is not None and self._credentials.refresh()

    def _unreachable(self, err: BaseException) -> str:
        if isinstance(err, ApiException):
            return f"cannot read the cluster at {self._server}: {describe(err)}"
        return f"cluster unreachable at {self._server}: {describe(err)}"

    def _reconcile(self, served: frozenset[str], found: tuple[WatchedKind, ...]) -> None:
        """Learn the kinds discovery found; start a thread for each served kind without
        one; say the rest are not served."""
        self._learn(found)
        for kind in self._kinds.values():
            with self._lock:
                thread = self._threads.get(kind.plural)
                running = thread is not None and thread.is_alive()
                if kind.plural in served and not running and not self._stop.is_set():
                    self._threads[kind.plural] = self._start_kind(kind)
            if kind.plural not in served and not running:
                self.outbox.not_served(kind)
        self.outbox.mark_discovered()

    def _learn(self, found: tuple[WatchedKind, ...]) -> None:
        """Add the kinds discovery found to the ones watched, up to `MAX_DISCOVERED` in
        all (the connection pool is sized for that many); a kind once added stays."""
        room = MAX_DISCOVERED - (len(self._kinds) - len(WATCHED_KINDS))
        for kind in found:
            if kind.plural in self._kinds:
                continue
            if room > 0:
                self._kinds[kind.plural] = kind
                room -= 1
            elif kind.plural not in self._passed_over:
                self._passed_over.add(kind.plural)
                log.warning(
                    "not watching %s: already watching %d kinds found by discovery",
                    kind.plural,
                    MAX_DISCOVERED,
                )

    def _start_kind(self, kind: WatchedKind) -> threading.Thread:
        self.outbox.set_state(kind.kind, SYNCING)
        watcher = KindWatcher(
            kind,
            endpoint(self._api, kind, self._watch_api),
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
