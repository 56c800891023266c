"""The outbox every thread of the cluster source writes into, and the kinds' states.

Stdlib only. The threads (discovery, one watcher per kind) report changes and states
here from any thread; the thread running the source drains it into `SourceEvent`s.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter

from meshtui.inventory import Change
from meshtui.sources import ChangesReady, KindStatus, SourceEvent, StatusChanged
from meshtui.sources.detection import Detection
from meshtui.sources.kube.kinds import WatchedKind
from meshtui.sources.kube.tuning import KubeTuning

SYNCING = "syncing"
LIVE = "live"
RECONNECTING = "reconnecting"
FORBIDDEN = "forbidden"
NOT_INSTALLED = "not installed"
ERROR = "error"
STATES = (LIVE, SYNCING, RECONNECTING, FORBIDDEN, NOT_INSTALLED, ERROR)


class Outbox:
    """What every thread reports, drained into events on the thread running the source.

    Owns batching and the status board. Changes are gathered for `batch_window` after
    the first one (or until `batch_limit`), so a burst of watch events is one batch.
    The board has a state for each kind being watched and for each kind every Kuma line
    serves that the cluster does not (`not installed`); an optional kind the cluster
    does not serve is not on it. The first load is held until discovery has run, every kind
    on the board has settled (listed, or found forbidden, not installed or failing) and
    the control plane is detected (for at most `initial_hold` more), and goes out as
    `initial=True` (after a status carrying the detection, when there is one: it
    decides how the load is read), then `StatusChanged(synced=True)`. Status goes out
    whenever a kind's state changes, after the changes gathered before it; state
    changes are gathered like changes, so twenty kinds going live at once are one
    `StatusChanged`.
    """

    def __init__(self, tuning: KubeTuning, server: str) -> None:
        self._cond = threading.Condition()
        self._tuning = tuning
        self._server = server
        self._pending: list[Change] = []
        self._first_pending = 0.0
        self._states: dict[str, KindStatus] = {}
        self._cluster_problem = ""
        self._discovered = False
        self._synced = False
        self._status_dirty = True
        self._dirty_since = 0.0
        self._detection: Detection | None = None
        self._settled_at: float | None = None

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

    def not_served(self, kind: WatchedKind) -> None:
        """A kind the cluster does not serve (any thread): `not installed` when every Kuma
        line serves it, else off the board (its absence says nothing is wrong)."""
        if not kind.optional:
            self.set_state(kind.kind, NOT_INSTALLED, f"{kind.plural} is not served by the cluster")
            return
        with self._cond:
            if self._states.pop(kind.kind, None) is not None:
                self._mark_dirty()

    def set_cluster_problem(self, message: str) -> None:
        """Why the cluster as a whole cannot be read (`""` once it can)."""
        with self._cond:
            if message != self._cluster_problem:
                self._cluster_problem = message
                self._mark_dirty()

    def set_detection(self, detection: Detection) -> None:
        """What the cluster says about its control plane (any thread)."""
        with self._cond:
            if detection != self._detection:
                self._detection = detection
                self._mark_dirty()

    def mark_discovered(self) -> None:
        """Discovery has run once: every kind it watches has a state."""
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

    def _sync_at(self) -> float:
        """When the first load is complete (`inf`: not yet known): once every kind on the
        board has settled and the control plane is detected, or `initial_hold` after the
        kinds settled without it."""
        if self._synced or not self._discovered:
            return math.inf
        if any(status.state == SYNCING for status in self._states.values()):
            return math.inf
        if self._detection is not None:
            return 0.0
        if self._settled_at is None:
            self._settled_at = time.monotonic()
        return self._settled_at + self._tuning.initial_hold

    def _ready_to_sync(self) -> bool:
        return self._sync_at() <= time.monotonic()

    def _due_at(self) -> float:
        """When the next events are due (`inf`: nothing to send)."""
        due = self._dirty_since + self._tuning.batch_window if self._status_dirty else math.inf
        due = min(due, self._sync_at())
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
        first_load = not self._synced and (ready or (bool(self._pending) and hold_over))
        if first_load and self._detection is not None:
            # What the control plane is decides how the first load is read: it goes first.
            events.append(self._status())
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
        return StatusChanged(
            synced=self._synced,
            message=self._summary(),
            kinds=kinds,
            control_plane=self._detection,
        )

    def _summary(self) -> str:
        """`http://server: 23 live; MeshRetry forbidden: ...`."""
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
        problem = f"; {problems[0]}" if problems else ""
        return f"{self._server}: {parts}{problem}"
