"""The Textual app: runs the workers and routes what they find to the dashboard.

Flow: the source worker turns file or cluster events into a new `Inventory` (parsed
off the UI thread) and posts `InventoryChanged`. The app keeps what it knows in a
`Snapshot` and hands every new one to the `DashboardScreen`, which asks for the work
behind what it shows: an evaluation of its mesh, the counts of its table, the detail of
its selection. Each runs in a thread worker that posts its result back here.

In cluster mode the source also says which control plane runs: unless the command line
said otherwise, its version, mode, zone and system namespace become the context the
inventory is parsed with (`sources.profile.Asked`), and the proxy the user selects is
checked against the control plane's own answer (`following.ControlPlaneFollowing`).
Live changes and what-if drafts are followed by `tracking.ChangeTracking`.

Worker failures are handled in one place, `on_worker_state_changed`: the user is told
what failed, the problems view lists it, and the dashboard keeps the last good state.
"""

from __future__ import annotations

import gc
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual import work
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from meshtui.cplink import ControlPlaneLink
from meshtui.dashboard import Clock, DashboardScreen
from meshtui.engine.bulk import collector_paused
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index_from_groups
from meshtui.following import ControlPlaneFollowing
from meshtui.inventory import Diff, Inventory
from meshtui.messages import (
    CountsReady,
    CountsWanted,
    DetailReady,
    DetailWanted,
    EvaluationReady,
    EvaluationWanted,
    InventoryChanged,
    SourceStatusReceived,
)
from meshtui.model import Problem, ResourceKey
from meshtui.parse import ContextOptions
from meshtui.present.detail import DetailRequest, build_detail
from meshtui.present.navigator import NavState
from meshtui.present.snapshot import Snapshot
from meshtui.present.tables import table_counts
from meshtui.present.text import literal
from meshtui.sources import ChangesReady, Source, StatusChanged
from meshtui.sources.profile import Asked
from meshtui.tracking import DraftOpener, folder_drafts

FIRST_LOAD_PAUSE_SECONDS = 60.0
"""The longest the cyclic collector stays paused for the first load."""


class MeshtuiApp(ControlPlaneFollowing):
    """The meshtui dashboard (its Changes view and what-if mode: `ChangeTracking`)."""

    CSS_PATH = "meshtui.tcss"
    TITLE = "meshtui"

    def __init__(
        self,
        source: Source,
        options: ContextOptions,
        *,
        clock: Clock = datetime.now,
        mesh: str = "",
        namespace: str = "",
        highlight_seconds: float = 3.0,
        asked: Asked | None = None,
        cp_check: bool = True,
        draft: Path | None = None,
        open_draft: DraftOpener = folder_drafts,
    ) -> None:
        """Args:
        asked: What the command line said about the control plane; what it leaves out is
            taken from the cluster's control plane. Default: all of `options`, as given.
        cp_check: Check the selected proxy against the control plane's own answer
            (cluster mode; `--no-cp-check` turns it off).
        draft: Draft resources to overlay on the live state from the start (what-if).
        open_draft: How a draft path is read and watched.
        """
        empty = Inventory.empty(options)
        super().__init__(empty, open_draft=open_draft, draft=draft)
        self.source = source
        self.clock = clock
        self.asked = asked if asked is not None else Asked.pinned(options)
        self.profile = self.asked.profile()
        """The Kuma version answered as, and how it was chosen."""
        self.link = ControlPlaneLink(source, enabled=cp_check)
        self.snapshot = Snapshot(
            empty,
            profile=self.profile.label,
            profile_how=self.profile.how,
        )
        """Everything the app knows; replaced whole, then handed to the dashboard."""
        self.dashboard = DashboardScreen(
            self.snapshot,
            mode=source.mode,
            source=source.description,
            clock=clock,
            state=NavState(mesh=mesh, namespaces=frozenset({namespace} - {""})),
            highlight_seconds=highlight_seconds,
        )
        self.status = StatusChanged(synced=False, message="starting")
        """The source's health, as it last reported it."""
        self._stop = threading.Event()
        """Set when the app quits: the source stops, and results stop being routed."""
        self._evaluating: tuple[str, int] | None = None
        """The mesh and inventory version of the evaluation wanted last."""
        self._frozen = False
        self._first_load = ExitStack()
        """Holds the collector paused from mount until the first load is frozen."""
        self._first_load_until = float("inf")

    def get_default_screen(self) -> Screen[Any]:
        return self.dashboard

    @property
    def inventory(self) -> Inventory:
        return self.snapshot.inventory

    @property
    def evaluation(self) -> MeshEvaluation | None:
        return self.snapshot.evaluation

    @property
    def affected(self) -> dict[ResourceKey, int]:
        """What the policies and services tables count (affected dataplanes, uses)."""
        return dict(self.snapshot.counts)

    def on_mount(self) -> None:
        # The first load (decoding, parsing, the first evaluation) makes millions of
        # long-lived objects and little garbage: the cyclic collector would walk them again
        # and again as they grow. It is paused until they are frozen (on_evaluation_ready),
        # or, if that never comes (no mesh, a failing source), until the first snapshot
        # published FIRST_LOAD_PAUSE_SECONDS later.
        self._first_load.enter_context(collector_paused())
        self._first_load_until = time.monotonic() + FIRST_LOAD_PAUSE_SECONDS
        self._run_source()
        self.start_tracking()

    def on_unmount(self) -> None:
        self._first_load.close()
        self._stop.set()
        self.link.close()
        self.stop_tracking()

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        """Quit: the source is told to stop at once, before Textual closes the screens
        (which can take a moment on a big tree), so no loop outlives the app."""
        self._stop.set()
        self.stop_tracking()
        super().exit(result, return_code, message)

    def _publish(self, diff: Diff | None = None, **changes: Any) -> None:
        """Replace the snapshot and hand it to the dashboard (unless the app is quitting)."""
        self.snapshot = replace(self.snapshot, **changes)
        if time.monotonic() > self._first_load_until:
            self._first_load.close()
        if self._routing:
            self.dashboard.show_snapshot(self.snapshot, diff)

    @property
    def _routing(self) -> bool:
        """Whether results still go to the dashboard: not once quitting began, by a key
        (`exit`) or by Textual shutting the app down (its screens' widgets go first)."""
        return self.is_running and not self._stop.is_set()

    # ------------------------------------------------------------------ the source

    @work(thread=True, exclusive=True, group="source", exit_on_error=False, description="source")
    def _run_source(self) -> None:
        inventory = self.snapshot.inventory

        def emit(event: ChangesReady | StatusChanged) -> None:
            nonlocal inventory
            if isinstance(event, StatusChanged):
                options = self.asked.options(event.control_plane)
                if options != inventory.options:
                    # The control plane is known: read everything as it does.
                    loaded = bool(inventory.origins)
                    inventory, _ = inventory.apply((), options=options)
                    if loaded:
                        self.post_message(InventoryChanged(inventory, Diff(), False))
                self.post_message(SourceStatusReceived(event))
                return
            before = inventory
            inventory, diff = inventory.apply(event.changes)
            if event.initial or inventory is not before:
                self.post_message(InventoryChanged(inventory, diff, event.initial))

        self.source.run(emit, self._stop)

    def on_inventory_changed(self, message: InventoryChanged) -> None:
        journal = self.follow_live(message)
        if self.drafting:
            self._publish(journal=journal)  # the overlay of the new live state follows
            return
        self._publish(
            None if message.initial else message.diff,
            inventory=message.inventory,
            loaded=True,
            updated=self.clock().strftime("%H:%M:%S"),
            journal=journal,
        )

    def on_source_status_received(self, message: SourceStatusReceived) -> None:
        self._set_status(message.status)

    def _set_status(self, status: StatusChanged) -> None:
        self.status = status
        kinds = {kind: (k.state, k.since) for kind, k in status.kinds.items()}
        changes: dict[str, Any] = {"status": status.message, "kinds": kinds}
        detection = status.control_plane
        if detection is not None:
            changes.update(self._follow_control_plane(detection))
        self._publish(**changes)

    # ------------------------------------------------------------------ evaluation

    def on_evaluation_wanted(self, message: EvaluationWanted) -> None:
        mesh, inventory = message.mesh, message.inventory
        if inventory is not self.snapshot.inventory:
            return  # a newer inventory is on its way to the dashboard, which will ask again
        self._evaluating = (mesh, inventory.version)
        if not mesh:
            self._publish(evaluation=None, evaluated=inventory.version, counts={})
            return
        ev = self.snapshot.evaluation
        self._evaluate(inventory, mesh, ev if ev is not None and ev.mesh == mesh else None)

    @work(
        thread=True, exclusive=True, group="evaluate", exit_on_error=False, description="evaluation"
    )
    def _evaluate(self, inventory: Inventory, mesh: str, previous: MeshEvaluation | None) -> None:
        index = build_index_from_groups(
            inventory.groups_of(mesh),
            inventory.groups_of("").get("Mesh", {}).values(),
            mesh,
            previous=previous.index if previous else None,
            version=inventory.control_plane.version,
        )
        evaluation = MeshEvaluation.following(previous, index)
        self.post_message(EvaluationReady(mesh, inventory.version, evaluation))

    def on_evaluation_ready(self, message: EvaluationReady) -> None:
        if (message.mesh, message.version) != self._evaluating:
            return  # the inventory or the mesh changed since: another evaluation follows
        old = self.snapshot.evaluation
        same_mesh = old is not None and old.mesh == message.mesh
        counts = self.snapshot.counts if same_mesh else {}
        self._publish(
            evaluation=message.evaluation,
            evaluated=message.version,
            counts=counts,
            evaluation_failed="",
        )
        self.compare_with_live()
        if not self._frozen and self.status.synced:
            # The first load made millions of long-lived objects: left to the cyclic
            # collector, each of its full passes would stall the screen for 100+ ms.
            gc.freeze()
            self._frozen = True
            self._first_load.close()  # frozen: the collector has nothing young to walk

    # ------------------------------------------------------------------ counts and detail

    def on_counts_wanted(self, message: CountsWanted) -> None:
        self._count(message.evaluation, message.view)

    @work(thread=True, group="counts", exit_on_error=False, description="counting")
    def _count(self, evaluation: MeshEvaluation, view: str) -> None:
        self.post_message(CountsReady(evaluation, view, table_counts(evaluation, view)))

    def on_counts_ready(self, message: CountsReady) -> None:
        if message.evaluation is self.snapshot.evaluation:
            self._publish(counts={**self.snapshot.counts, **message.counts})

    def on_detail_wanted(self, message: DetailWanted) -> None:
        request = message.request
        self._build_detail(request)
        self._want_check(request.key, request.mode, request.evaluation)

    @work(thread=True, group="detail", exit_on_error=False, description="the detail")
    def _build_detail(self, request: DetailRequest) -> None:
        self.post_message(DetailReady(build_detail(request)))

    def on_detail_ready(self, message: DetailReady) -> None:
        if self._routing:
            self.dashboard.detail_built(message.built)

    # ------------------------------------------------------------------ failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure: said, listed with the problems, and survived."""
        worker = event.worker
        if event.state != WorkerState.ERROR or not self._routing:
            return
        error = worker.error
        text = f"{worker.description} failed: {type(error).__name__}: {error}"
        self.log.error(text)
        self.notify(literal(text), severity="error", markup=False, timeout=10)
        changes: dict[str, Any] = {}
        failure = Problem(severity="error", message=text, resource="meshtui")
        if failure not in self.snapshot.failures:
            changes["failures"] = (*self.snapshot.failures, failure)
        if worker.group == "evaluate":
            changes["evaluation_failed"] = text
        self._publish(**changes)
        if worker.group == "source":
            self._set_status(StatusChanged(synced=False, message=f"source failed: {error}"))
        if worker.group == "detail":
            self.dashboard.detail_failed(text)


def run_dashboard(
    source: Source,
    options: ContextOptions,
    *,
    mesh: str,
    namespace: str,
    asked: Asked | None = None,
    cp_check: bool = True,
    draft: Path | None = None,
    open_draft: DraftOpener = folder_drafts,
) -> int:
    """Run the dashboard over `source` until the user quits (with `draft` overlaid)."""
    app = MeshtuiApp(
        source,
        options,
        mesh=mesh,
        namespace=namespace,
        asked=asked,
        cp_check=cp_check,
        draft=draft,
        open_draft=open_draft,
    )
    app.run()
    return 0
