"""The app's following of the cluster's control plane: the profile it gives, and the
cross-check of the selected proxy against the control plane's own answer, in workers.

A layer of `MeshtuiApp` (below it, above `tracking.ChangeTracking`); the app sets the
attributes declared here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import get_current_worker

from meshtui.cplink import ControlPlaneLink
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.messages import CheckReady, ControlPlaneReached
from meshtui.present.snapshot import Snapshot
from meshtui.present.text import literal
from meshtui.sources.detection import Detection
from meshtui.sources.profile import Asked, Profile
from meshtui.tracking import ChangeTracking
from meshtui.views import ResourceRow

if TYPE_CHECKING:
    from meshtui.sources.kube.controlplane import ControlPlaneClient


class ControlPlaneFollowing(ChangeTracking):
    """What the app does with the control plane a cluster reports."""

    asked: Asked
    """What the command line said about the control plane."""
    profile: Profile
    """The Kuma version answered as, and how it was chosen."""
    link: ControlPlaneLink
    snapshot: Snapshot
    _stop: threading.Event

    def _follow_control_plane(self, detection: Detection) -> dict[str, Any]:
        """The cluster said which control plane runs: the profile it gives, and a link to
        its API for the cross-check (once per control plane)."""
        profile = self.asked.profile(detection)
        if profile.undetected and not self.profile.undetected:
            self.notify(literal(profile.how), markup=False, timeout=8)
        self.profile = profile
        if self.link.wants_connection(detection):
            self._connect(detection)
        return {"profile": profile.label, **self._control_plane_words()}

    def _control_plane_words(self) -> dict[str, str]:
        """The header's and the help's words on the profile and the control plane's API."""
        line, style, story = self.link.header_line(self.profile.version)
        how = self.profile.how + (f"\nControl plane: {story}" if story else "")
        return {"control_plane": line, "control_plane_style": style, "profile_how": how}

    @work(thread=True, exclusive=True, group="cplink", exit_on_error=False, description="cp API")
    def _connect(self, detection: Detection) -> None:
        self.post_message(ControlPlaneReached(*self.link.connect(detection)))

    def on_control_plane_reached(self, message: ControlPlaneReached) -> None:
        if self._stop.is_set():
            message.client.close()
            return
        self.link.connected(message.client, message.index)
        self._publish(None, **self._control_plane_words(), checking=self.link.client is not None)

    def _want_check(self, key: object, mode: str, evaluation: MeshEvaluation | None) -> None:
        """The detail of a proxy is wanted: ask the control plane about it (once for
        each evaluation)."""
        if not isinstance(key, ResourceRow) or key.view != "dataplanes" or mode != "tree":
            return
        again = self.link.retry_due()
        if again is not None:
            self._connect(again)
            return
        done = self.snapshot.checks.get(key.name)
        if done is not None and done.evaluation is evaluation:
            return
        client = self.link.client
        if client is not None and self.link.check_wanted(evaluation, key.name):
            assert evaluation is not None
            self._cross_check(client, evaluation, key.name)

    @work(thread=True, exclusive=True, group="cpcheck", exit_on_error=False, description="check")
    def _cross_check(
        self, client: ControlPlaneClient, evaluation: MeshEvaluation, dataplane: str
    ) -> None:
        worker = get_current_worker()
        check = self.link.check(client, evaluation, dataplane, lambda: worker.is_cancelled)
        if check is not None:
            self.post_message(CheckReady(check))

    def on_check_ready(self, message: CheckReady) -> None:
        check, evaluation = message.check, self.snapshot.evaluation
        if check.evaluation is not evaluation:
            return  # the mesh changed since: the proxy is asked about again when shown
        kept = {n: c for n, c in self.snapshot.checks.items() if c.evaluation is evaluation}
        self._publish(checks={**kept, check.dataplane: check})
