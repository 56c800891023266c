"""One build at a time, and only the latest wanted: how the detail keeps up with a held key.

Textual-free bookkeeping for a worker that builds what the user looks at. While a build
runs, newer requests replace each other in one waiting slot; when it ends, the waiting
one (if any) starts. A result is applied only if no newer request was made since: a
held `j` builds the detail of the row it started on and of the row it stopped on, not
of every row in between.
"""

from __future__ import annotations

from typing import Generic, TypeVar

R = TypeVar("R")


class LatestOnly(Generic[R]):
    """Tracks the request being built and the one waiting (the latest wanted)."""

    def __init__(self) -> None:
        self.running: R | None = None
        self.waiting: R | None = None

    @property
    def latest(self) -> R | None:
        """The request most recently wanted."""
        return self.waiting if self.waiting is not None else self.running

    def want(self, request: R) -> R | None:
        """`request` is wanted now: returns it if it is to start at once, else `None` (it
        waits for the running build, replacing any request waiting before it)."""
        if self.running is None:
            self.running = request
            return request
        self.waiting = request
        return None

    def finished(self) -> tuple[bool, R | None]:
        """The running build ended (with a result or an error).

        Returns:
            Whether its result is still current (nothing newer was wanted), and the
            request to start next, if one was waiting.
        """
        current = self.waiting is None
        self.running, self.waiting = self.waiting, None
        return current, self.running
