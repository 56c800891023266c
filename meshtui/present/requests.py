"""One build at a time, the latest wanted: how the detail keeps up with a held key.

Textual-free bookkeeping for a worker that builds what the user looks at. While a build
runs, newer requests replace each other in one waiting slot; when it ends, the waiting
one (if any) starts. A result is applied only if no newer request was made since: a
held `j` builds the detail of the row it started on and of the row it stopped on, not
of every row in between.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Inventory
from meshtui.model import Problem
from meshtui.present.crosscheck import CpCheck
from meshtui.present.detail import DetailBuilt, DetailRequest
from meshtui.present.journal import Journal
from meshtui.present.text import literal
from meshtui.present.whatif import WhatIf
from meshtui.views import DetailView, ResourceRow, RowKey

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


class DetailFeed:
    """The detail pane's builds: what to build next, and which result to show.

    One build at a time, the latest wanted (`LatestOnly`). A request carries the view
    shown for the same subject, so that its build can mark what changed.
    """

    def __init__(self) -> None:
        self._latest: LatestOnly[DetailRequest] = LatestOnly()
        self.shown: DetailBuilt | None = None
        """The result on screen."""

    @property
    def building(self) -> bool:
        """Whether a build is running (its result may still be dropped)."""
        return self._latest.running is not None

    def ask(
        self,
        key: RowKey | None,
        mode: str,
        opened: frozenset[str],
        evaluation: MeshEvaluation | None,
        inventory: Inventory,
        problems: tuple[Problem, ...],
        *,
        focus: str = "",
        other: ResourceRow | None = None,
        check: CpCheck | None = None,
        journal: Journal | None = None,
        whatif: WhatIf | None = None,
    ) -> DetailRequest | None:
        """The detail of `key` is wanted: returns the request to build now, if any (none
        when the same is already being built or shown, or when a build is running)."""
        shown = self.shown
        previous = shown.view if shown is not None and shown.request.key == key else None
        request = DetailRequest(
            key,
            mode,
            opened,
            evaluation,
            inventory,
            problems,
            previous,
            focus=focus,
            other=other,
            check=check,
            journal=journal,
            whatif=whatif,
        )
        latest = self._latest.latest
        if latest is None and shown is not None:
            latest = shown.request
        if request.same_as(latest):
            return None
        return self._latest.want(request)

    def built(self, built: DetailBuilt) -> tuple[DetailBuilt | None, DetailRequest | None]:
        """A build ended: what to show (nothing if a newer request was made meanwhile),
        and the request to build next."""
        current, following = self._latest.finished()
        return (built if current else None), following

    def failed(self, error: str) -> tuple[DetailBuilt | None, DetailRequest | None]:
        """The running build failed: a view saying so (if still current), and the next."""
        request = self._latest.running
        current, following = self._latest.finished()
        if not current or request is None:
            return None, following
        return DetailBuilt(request, failed_view(request.key, error), frozenset()), following

    def show(self, built: DetailBuilt) -> bool:
        """`built` goes on screen; returns whether it shows the same subject as before."""
        same = self.shown is not None and self.shown.request.key == built.request.key
        self.shown = built
        return same


def failed_view(key: RowKey | None, error: str) -> DetailView:
    """What the detail pane says when its build failed."""
    what = key.name if isinstance(key, ResourceRow) else "this row"
    return DetailView(
        title=f"could not show {literal(what)}",
        subtitle="the error is listed in the problems view (!)",
        text=literal(error) + "\n",
    )
