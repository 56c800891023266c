"""An in-memory source for tests and snapshots: fixed documents, then changes pushed later."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from meshtui.inventory import Change
from meshtui.sources import ChangesReady, Emit, StatusChanged


class StaticSource:
    """Emits `initial` as the first load, then each of `later` when `release()` is called."""

    mode = "FOLDER"
    default_namespace = ""  # a folder has no current namespace: all of them

    def __init__(self, initial: Sequence[Change], *, description: str = "memory") -> None:
        self._initial = tuple(initial)
        self._description = description
        self._queue: list[tuple[Change, ...]] = []
        self._wake = threading.Event()
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return self._description

    def push(self, *changes: Change) -> None:
        """Deliver more changes (from any thread)."""
        with self._lock:
            self._queue.append(tuple(changes))
        self._wake.set()

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """Emit the initial load, then pushed changes, until stopped."""
        emit(ChangesReady(self._initial, initial=True))
        emit(StatusChanged(synced=True, message="static"))
        while not stop.is_set():
            self._wake.wait(0.05)
            self._wake.clear()
            with self._lock:
                pending, self._queue = self._queue, []
            for changes in pending:
                emit(ChangesReady(changes))
