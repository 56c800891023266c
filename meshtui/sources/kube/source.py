"""`KubeSource`: the cluster as a `Source`, one kubeconfig context (or the in-cluster
service account), live.

Building it resolves the kubeconfig, so a bad config is a `ConfigError` before any UI
starts; `run` owns one `ApiClient` and one `Session`, both closed when it returns.

urllib3 retries only a request that met a dropped connection, once; connect and read
timeouts are not retried there, so a silent cluster is reported after one timeout and
the loops retry the rest, saying so.
"""

from __future__ import annotations

import threading

import urllib3
from kubernetes.client import ApiClient, Configuration

from meshtui.sources import Emit
from meshtui.sources.detection import WELL_KNOWN, Detection
from meshtui.sources.kube.config import (
    Credentials,
    close,
    configuration_from,
    context_namespace,
    resolve_kubeconfig,
)
from meshtui.sources.kube.controlplane import API_PORT, ControlPlaneClient
from meshtui.sources.kube.kinds import MAX_DISCOVERED, WATCHED_KINDS
from meshtui.sources.kube.session import Session
from meshtui.sources.kube.tuning import KubeTuning


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
_WATCH_RETRIES = _Retry(
    total=0, connect=0, read=0, redirect=0, status=0, other=0, respect_retry_after_header=False
)
"""Watches are never retried by urllib3: a watch resumed on a new connection after the old
one dropped may reach a server restarted on another history (from a backup, with its
resourceVersions since moved past ours), which accepts it and replays that other history.
The watch loop sees the dropped connection instead and lists again."""


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
        cp_api: bool = True,
    ) -> None:
        """Args:
        kubeconfig: Path(s), colon-separated; default `$KUBECONFIG`, else `~/.kube/config`,
            else the in-cluster service account when running in a pod.
        context: The kubeconfig context; default kubectl's current context.
        tuning: Timeouts, batching and backoff.
        cp_api: Whether detection may ask the control plane's API (its index, through
            the service proxy) when the Deployment names no version (`--no-cp-check`
            turns it off).
        """
        self.tuning = tuning or KubeTuning()
        self.cp_api = cp_api
        self._paths = resolve_kubeconfig(kubeconfig)
        self._configuration, self._context = configuration_from(self._paths, context)
        # A connection for each kind's list+watch (the static kinds and as many as
        # discovery may add), and a few for discovery and detection.
        pool = self._configuration.connection_pool_maxsize or 0
        wanted = len(WATCHED_KINDS) + MAX_DISCOVERED + 8
        self._configuration.connection_pool_maxsize = max(pool, wanted)
        self._configuration.retries = _RETRIES

    def _reload(self) -> Configuration:
        """The configuration loaded again from the same files and context (or service account)."""
        return configuration_from(self._paths, self._context)[0]

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

    def control_plane_client(
        self,
        detection: Detection | None = None,
        *,
        namespace: str | None = None,
        service: str | None = None,
        port: int = API_PORT,
    ) -> ControlPlaneClient:
        """A client of the control plane's API through the service proxy, with this
        context's credentials (close it when done).

        The Service is the one `namespace`/`service` name, else the one the detection
        read (`KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE` and
        `KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME`, else the Deployment's
        own namespace and name), else Kuma's `kuma-system/kuma-control-plane`.
        """
        where = detection.deployment.partition("/") if detection else ("", "", "")
        namespace = namespace or (detection and detection.system_namespace) or where[0]
        service = service or (detection and detection.service) or where[2]
        timeout = (self.tuning.connect_timeout, self.tuning.discovery_timeout)
        return ControlPlaneClient(
            self._configuration,
            namespace or WELL_KNOWN[0][0],
            service or WELL_KNOWN[0][1],
            port=port,
            timeout=timeout,
        )

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """List and watch until `stop` is set; returns within about a second of it.

        The threads stop on an event of their own, set when this returns for any reason
        (`stop`, or an exception from `emit`), so none outlives the call.
        """
        # Both clients read the one configuration per request (credentials re-read on a
        # 401 reach both); each takes its retries when it is built.
        self._configuration.retries = _WATCH_RETRIES
        watch_api = ApiClient(configuration=self._configuration)
        self._configuration.retries = _RETRIES
        api = ApiClient(configuration=self._configuration)
        halt = threading.Event()
        credentials = Credentials(self._configuration, self._reload)
        session = Session(
            api,
            self.tuning,
            halt,
            self.server,
            credentials,
            cp_api=self.cp_api,
            watch_api=watch_api,
        )
        try:
            session.start()
            while not stop.is_set():
                for event in session.outbox.take(wait=0.05):
                    emit(event)
        finally:
            halt.set()
            session.shutdown()
            close(api)
            close(watch_api)
