"""The live control plane's own API, for the cross-check (cluster mode only).

Once the cluster source says which control plane runs (`StatusChanged.control_plane`),
the link opens a client of its API through the API server's service proxy
(`KubeSource.control_plane_client`, GET only), reads its index (product and version),
and from then on asks it about the proxy the user selects (`present.crosscheck`). A
control plane that cannot be asked is one quiet line in the header, never an error.

The blocking parts (`connect`, `check`) run in the app's workers; the rest is
bookkeeping on the UI thread.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.present.crosscheck import Answer, CpCheck, judge, plan_check
from meshtui.sources.detection import Detection
from meshtui.versions import KumaVersion

if TYPE_CHECKING:
    from meshtui.sources.kube.controlplane import ControlPlaneClient, CpIndex


_STATUS = re.compile(r"\((\d{3})\)$")
"""The HTTP status a problem line ends with."""


@runtime_checkable
class ControlPlaneAccess(Protocol):
    """A source that can reach the control plane's API (`KubeSource`)."""

    def control_plane_client(self, detection: Detection | None = None) -> ControlPlaneClient:
        """A client of the API of the control plane `detection` found."""
        ...


class ControlPlaneLink:
    """One client per detected control plane, what its index said, and the last check."""

    def __init__(self, source: object, *, enabled: bool, retry_after: float = 30.0) -> None:
        """Args:
        source: The source; only one that can reach the control plane's API is used.
        enabled: Whether to check at all (`--no-cp-check` turns it off).
        retry_after: Seconds after a failed try before a selected proxy tries again.
        """
        self._access = source if enabled and isinstance(source, ControlPlaneAccess) else None
        self.retry_after = retry_after
        self._detection: Detection | None = None
        self._tried_at: float | None = None
        self.client: ControlPlaneClient | None = None
        """The client, once the control plane's index answered."""
        self.index: CpIndex | None = None
        self._asked: tuple[MeshEvaluation, str] | None = None
        self._where = ""

    @property
    def enabled(self) -> bool:
        """Whether proxies are checked (cluster mode, not `--no-cp-check`)."""
        return self._access is not None

    def wants_connection(self, detection: Detection | None) -> bool:
        """Whether `detection` names a control plane not connected to (or tried) yet."""
        if self._access is None or detection is None:
            return False
        place = (detection.deployment, detection.system_namespace, detection.service)
        known = self._detection
        if known is not None and (known.deployment, known.system_namespace, known.service) == place:
            return False
        self._detection = detection
        self._tried_at = time.monotonic()
        return True

    def retry_due(self) -> Detection | None:
        """The control plane to try again, when the last try failed `retry_after` ago."""
        tried, detection = self._tried_at, self._detection
        if self.client is not None or tried is None or detection is None:
            return None
        if self.index is None or time.monotonic() - tried < self.retry_after:
            return None  # still trying, or tried a moment ago
        self._tried_at = time.monotonic()
        return detection

    def connect(self, detection: Detection) -> tuple[ControlPlaneClient, CpIndex]:
        """A client and the index it read (worker thread; never raises for the network)."""
        assert self._access is not None
        client = self._access.control_plane_client(detection)
        return client, client.index()

    def connected(self, client: ControlPlaneClient, index: CpIndex) -> None:
        """The connection attempt ended (UI thread): keep the client if it answered."""
        old, self.client, self.index = self.client, None, index
        self._where = client.where
        if old is not None and old is not client:
            old.close()
        if index.problem:
            client.close()
        else:
            self.client = client
        self._asked = None

    def header_line(self, answering: KumaVersion) -> tuple[str, str, str]:
        """The header's quiet words about the control plane's API, their style, and the
        whole story for the help."""
        index = self.index
        if self._access is None or index is None:
            return "", "", ""
        if index.problem:
            code = _STATUS.search(index.problem)
            short = "CP API unreachable" + (f" ({code.group(1)})" if code else "")
            return short, "muted", f"{index.problem}; proxies are not checked"
        product = f"{index.product or 'Kuma'} {index.version}".strip()
        said = f"its API ({self._where}) says it runs {product}"
        running = index.kuma_version
        if running is not None and running.line != answering.line:
            return f"CP API: {product}", "warning", f"{said}, not Kuma {answering.line}"
        return "CP API ✓", "muted", f"{said}; the selected proxy is checked against it"

    def check_wanted(self, evaluation: MeshEvaluation | None, dataplane: str) -> bool:
        """Whether to ask about `dataplane` now (once per evaluation and proxy)."""
        if self.client is None or evaluation is None:
            return False
        wanted = (evaluation, dataplane)
        if self._asked is not None and self._asked[0] is evaluation and self._asked[1] == dataplane:
            return False
        self._asked = wanted
        return True

    @staticmethod
    def check(
        client: ControlPlaneClient,
        evaluation: MeshEvaluation,
        dataplane: str,
        cancelled: Callable[[], bool],
    ) -> CpCheck | None:
        """Ask the control plane about `dataplane` and compare (worker thread); `None`
        when the proxy is gone or the asking was cancelled for a newer one."""
        plan = plan_check(evaluation, dataplane)
        if plan is None:
            return None
        answers: list[Answer] = []
        for path, _, _ in plan.requests:
            if cancelled():
                return None
            answer = client.get(path)
            answers.append(answer)
            if answer.problem:
                break
        return judge(plan, answers)

    def close(self) -> None:
        """Close the client (the app is quitting)."""
        if self.client is not None:
            self.client.close()
            self.client = None
