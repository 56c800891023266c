"""The app's change tracking: the Changes view's journal, and what-if mode's drafts.

`ChangeTracking` is the base of `MeshtuiApp`. It keeps the live inventory apart from the
one shown and records every live change: a pending record at once, then its effect,
computed by one worker, one change after the other, from the indexes of each mesh before
and after it (`present.journal`). In what-if mode (`:draft PATH`, `--draft PATH`) a
worker reads the drafts with a folder source (watched, like the live folder), another
overlays them on the live state, and a third compares the overlay's evaluation with the
live state (`present.whatif`). Workers only post messages; the handlers here change the
state, through the app's `_publish`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.message import Message
from textual.worker import get_current_worker

from meshtui.engine.diff import MeshDiff
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Diff, Inventory, OriginUpdate
from meshtui.messages import DraftWanted, InventoryChanged
from meshtui.present.journal import (
    ChangeJob,
    ChangeRecord,
    IndexStore,
    Journal,
    effect_of,
    full_diff,
    pending,
)
from meshtui.present.snapshot import Snapshot
from meshtui.present.text import literal
from meshtui.present.whatif import DraftFiles, WhatIf, overlay
from meshtui.sources import ChangesReady, Source, StatusChanged

PROGRESS_SECONDS = 1.0
"""How often a long computation of a change's effect says how far it got."""

PANES_FIRST_SECONDS = 2.0
"""How long a change's effect waits for the panes to show the change first: both run in
workers of one process, and the effect (a diff of every proxy of the mesh) would take
the CPU from the evaluation and the detail the user is looking at."""

_PANES = frozenset({"evaluate", "detail"})
"""The worker groups whose work shows a change in the panes."""

DraftOpener = Callable[[Path], Source]
"""Makes the source that reads (and watches) the drafts at a path."""


def folder_drafts(path: Path) -> Source:
    """Drafts read and watched as the folder source reads a folder."""
    from meshtui.sources.files import FolderSource

    return FolderSource(path)


class DraftSession:
    """One `:draft PATH`: its path, and the event that stops its source."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stop = threading.Event()


class ChangeRecorded(Message):
    """The effect of a live change is computed."""

    def __init__(self, record: ChangeRecord, *, announced: bool) -> None:
        super().__init__()
        self.record = record
        self.announced = announced
        """Whether its pending record is in the journal (it touched resources)."""


class ChangeProgressed(Message):
    """How far the computation of a change's effect got."""

    def __init__(self, sequence: int, progress: str) -> None:
        super().__init__()
        self.sequence = sequence
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChangeProgressed) and message.sequence == self.sequence


class DraftRead(Message):
    """The drafts of a session, whole, after the draft source read or re-read them."""

    def __init__(self, session: DraftSession, drafts: tuple[OriginUpdate, ...]) -> None:
        super().__init__()
        self.session = session
        self.drafts = drafts


class DraftStatus(Message):
    """The draft source's status line."""

    def __init__(self, session: DraftSession, status: str) -> None:
        super().__init__()
        self.session = session
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DraftStatus) and message.session is self.session


class OverlayReady(Message):
    """The drafts overlaid on a live inventory."""

    def __init__(
        self,
        live: Inventory,
        drafts: tuple[OriginUpdate, ...],
        inventory: Inventory,
        diff: Diff,
    ) -> None:
        super().__init__()
        self.live = live
        self.drafts = drafts
        self.inventory = inventory
        self.diff = diff


class LiveCompared(Message):
    """An overlay's evaluation compared with the live state, proxy by proxy."""

    def __init__(self, evaluation: MeshEvaluation, diff: MeshDiff) -> None:
        super().__init__()
        self.evaluation = evaluation
        self.diff = diff


class ChangeTracking(App[None]):
    """The Changes view's journal and what-if mode, for `MeshtuiApp`."""

    snapshot: Snapshot
    clock: Callable[[], datetime]
    _stop: threading.Event

    def __init__(self, live: Inventory, *, open_draft: DraftOpener, draft: Path | None) -> None:
        super().__init__()
        self.live = live
        """The source's inventory (in what-if mode, the snapshot shows the overlay)."""
        self._live_loaded = False
        self._open_draft = open_draft
        self._first_draft = draft
        self._jobs: queue.SimpleQueue[ChangeJob] = queue.SimpleQueue()
        self._sequence = 0
        self._indexes = IndexStore()
        self._draft: DraftSession | None = None
        self._drafts: tuple[OriginUpdate, ...] = ()
        self._overlaid = live
        """The live inventory under the overlay shown."""

    def _publish(self, diff: Diff | None = None, **changes: Any) -> None:
        """Hand the dashboard a new snapshot with `changes` (the app defines it; the tracker
        only calls it)."""

    def _now(self) -> str:
        return self.clock().strftime("%H:%M:%S")

    @property
    def drafting(self) -> bool:
        """Whether drafts are overlaid on the live state."""
        return self._draft is not None

    def start_tracking(self) -> None:
        """Follow the changes, and read the drafts given at start."""
        self._follow_changes()
        if self._first_draft is not None:
            self.start_draft(self._first_draft)

    def stop_tracking(self) -> None:
        """The app quits: the draft source stops too."""
        if self._draft is not None:
            self._draft.stop.set()

    # ------------------------------------------------------------------ live changes

    def follow_live(self, message: InventoryChanged) -> Journal:
        """A new live inventory: recorded (unless part of the first load), and in what-if
        mode overlaid. Returns the journal with the change pending."""
        before, self.live = self.live, message.inventory
        self._live_loaded = True
        journal = self.snapshot.journal
        if not message.initial:
            self._sequence += 1
            job = ChangeJob(self._sequence, self._now(), before, self.live, message.diff)
            if not job.diff.empty:
                journal = journal.add(pending(job))
            self._jobs.put(job)
        if self._draft is not None:
            self._overlay(self.live, self._drafts)
        return journal

    @work(thread=True, group="changes", exit_on_error=False, description="the changes view")
    def _follow_changes(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            self._let_panes_show(job.after)
            self._compute(job)

    def _let_panes_show(self, after: Inventory) -> None:
        """Wait (at most `PANES_FIRST_SECONDS`) until the panes show `after` or a later
        inventory: its evaluation published, no evaluation or detail being built."""
        deadline = time.monotonic() + PANES_FIRST_SECONDS
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._panes_show(after):
                return
            self._stop.wait(0.02)

    def _panes_show(self, after: Inventory) -> bool:
        snapshot = self.snapshot
        if self._draft is not None:
            return True  # the panes show the drafts
        shown = snapshot.inventory.version
        if shown < after.version or snapshot.evaluated != shown:
            return False
        try:
            return not self.call_from_thread(self._panes_working)
        except RuntimeError:  # the app is closing
            return True

    def _panes_working(self) -> bool:
        """Whether an evaluation or a detail is being built (UI thread)."""
        return any(w.group in _PANES and not w.is_finished for w in self.workers)

    def _compute(self, job: ChangeJob) -> None:
        """The effect of one change, unless the app quits or newer changes fill the
        journal first (then it stops between batches)."""

        def stopped() -> bool:
            return self._stop.is_set() or self.snapshot.journal.dropped(job.sequence)

        said = [time.monotonic()]

        def progress(text: str) -> None:  # at most once a second: each redraws the screen
            if time.monotonic() - said[0] >= PROGRESS_SECONDS:
                said[0] = time.monotonic()
                self.post_message(ChangeProgressed(job.sequence, text))

        if stopped():
            return
        try:
            record = effect_of(job, self._indexes, stopped=stopped, progress=progress)
        except Exception as error:  # one change that cannot be computed stops no other
            failed = literal(f"{type(error).__name__}: {error}")
            record = replace(pending(job), failed=failed)
        if record is not None:
            self.post_message(ChangeRecorded(record, announced=not job.diff.empty))

    def on_change_progressed(self, message: ChangeProgressed) -> None:
        journal = self.snapshot.journal
        record = journal.find(message.sequence)
        if record is not None and record.effects is None:
            self._publish(journal=journal.replaced(replace(record, progress=message.progress)))

    def on_change_recorded(self, message: ChangeRecorded) -> None:
        journal = self.snapshot.journal
        record = message.record
        self._publish(
            journal=journal.replaced(record) if message.announced else journal.add(record)
        )

    # ------------------------------------------------------------------ what-if

    def on_draft_wanted(self, message: DraftWanted) -> None:
        argument = message.argument
        if argument == "off":
            self.end_draft()
        elif argument:
            self.start_draft(Path(argument).expanduser())
        elif self._draft is not None:
            self._say(f"what-if: drafts from {self._draft.path} (:draft off returns to live)")
        else:
            self._say("showing the live state (:draft PATH overlays draft files)")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.notify(literal(text), severity="error" if error else "information", markup=False)

    def start_draft(self, path: Path) -> None:
        """Overlay the drafts at `path` (a file or folder), watched, on the live state."""
        if not path.exists():
            self._say(f"{path}: no such file or directory", error=True)
            return
        if self._draft is not None:
            self._draft.stop.set()
        session = self._draft = DraftSession(str(path))
        self._drafts = ()
        self._publish(whatif=WhatIf(path=session.path))
        self._read_drafts(session, self._open_draft(path))

    def end_draft(self) -> None:
        """Back to the live state."""
        if self._draft is None:
            self._say("not in what-if mode (:draft PATH overlays draft files)")
            return
        self._draft.stop.set()
        self._draft, self._drafts = None, ()
        self._publish(inventory=self.live, whatif=None, updated=self._now())

    @work(thread=True, group="draft", exit_on_error=False, description="reading the drafts")
    def _read_drafts(self, session: DraftSession, source: Source) -> None:
        files = DraftFiles()

        def emit(event: ChangesReady | StatusChanged) -> None:
            if session.stop.is_set():
                return
            if isinstance(event, StatusChanged):
                self.post_message(DraftStatus(session, event.message))
            else:
                self.post_message(DraftRead(session, files.apply(event.changes)))

        source.run(emit, session.stop)

    def on_draft_read(self, message: DraftRead) -> None:
        if message.session is self._draft:
            self._drafts = message.drafts
            self._overlay(self.live, message.drafts)

    def on_draft_status(self, message: DraftStatus) -> None:
        whatif = self.snapshot.whatif
        if message.session is self._draft and whatif is not None:
            self._publish(whatif=replace(whatif, status=message.status))

    @work(thread=True, exclusive=True, group="overlay", exit_on_error=False, description="what-if")
    def _overlay(self, live: Inventory, drafts: tuple[OriginUpdate, ...]) -> None:
        inventory, diff = overlay(live, drafts)
        self.post_message(OverlayReady(live, drafts, inventory, diff))

    def on_overlay_ready(self, message: OverlayReady) -> None:
        whatif = self.snapshot.whatif
        current = message.live is self.live and message.drafts is self._drafts
        if self._draft is None or whatif is None or not current:
            return  # another overlay follows, or the live state is back
        drafted = {
            **dict.fromkeys(message.diff.added, "added"),
            **dict.fromkeys(message.diff.changed, "changed"),
        }
        self._overlaid = message.live
        self._publish(
            inventory=message.inventory,
            loaded=self._live_loaded,
            updated=self._now(),
            whatif=replace(whatif, drafted=drafted, compared=None, compared_for=None),
        )

    def compare_with_live(self) -> None:
        """A new evaluation is shown: in what-if mode, compare it with the live state."""
        ev = self.snapshot.evaluation
        if self._draft is not None and self.snapshot.whatif is not None and ev is not None:
            self._compare(self._overlaid, ev)

    @work(
        thread=True,
        exclusive=True,
        group="whatif",
        exit_on_error=False,
        description="comparing with the live state",
    )
    def _compare(self, live: Inventory, evaluation: MeshEvaluation) -> None:
        worker = get_current_worker()

        def stopped() -> bool:
            return self._stop.is_set() or worker.is_cancelled

        before = self._indexes.index_of(live, evaluation.mesh)
        diff = full_diff(before, evaluation.index, stopped=stopped)
        if diff is not None:
            self.post_message(LiveCompared(evaluation, diff))

    def on_live_compared(self, message: LiveCompared) -> None:
        whatif = self.snapshot.whatif
        if whatif is not None and message.evaluation is self.snapshot.evaluation:
            self._publish(
                whatif=replace(whatif, compared=message.diff, compared_for=message.evaluation)
            )
