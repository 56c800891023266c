"""Watch streaming: one `Watcher` per open watch request, and the registry of them.

Owns the server side of a watch after it is established: the per-watch queue of
encoded event lines, bookmarks (periodic and before a `timeoutSeconds` close),
the `timeoutSeconds` deadline, and the three ways a test can end a stream (clean
close, ERROR event then close, TCP reset).

Runs on the server's event loop only. The registry additionally keeps per-plural
counts under a `threading.Condition`, so a test thread can wait for watchers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakekube.protocol import Obj
from tests.fakekube.resources import ResourceType
from tests.fakekube.selectors import ObjectFilter
from tests.fakekube.store import Event, encode_event

_MAX_BATCH = 512
"""Event lines joined into one write (one HTTP chunk) at most."""


@dataclass(frozen=True, slots=True)
class Close:
    """Queue marker: end the stream after the lines queued before it."""

    final_line: bytes = b""
    """Sent just before closing (an ERROR event), if any."""
    reset: bool = False
    """Close with a TCP reset instead of ending the chunked body cleanly."""
    force_close: bool = False
    """Also close the connection after the body (server shutdown: no keep-alive reuse)."""


Item = tuple[int, bytes] | Close
"""A queued event line with its resourceVersion, or a close marker."""


def bookmark_line(rt: ResourceType, rv: int, *, initial_events_end: bool = False) -> bytes:
    """A BOOKMARK event: only kind, apiVersion and metadata.resourceVersion."""
    meta: Obj = {"resourceVersion": str(rv)}
    if initial_events_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return encode_event(
        "BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}
    )


@dataclass(eq=False)
class Watcher:
    """One open watch: what it selects, its queue, and its timing parameters."""

    id: int
    rt: ResourceType
    flt: ObjectFilter
    start_rv: int
    bookmarks: bool
    bookmark_interval: float
    timeout: float | None
    """`timeoutSeconds`, or None to stream until closed."""
    items: deque[Item] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    last_rv: int = 0
    """resourceVersion of the last event written to the client (for error messages)."""

    def __post_init__(self) -> None:
        self.last_rv = self.start_rv

    def offer(self, event: Event) -> None:
        """Queue `event` if this watch selects it (with selector transitions)."""
        seen = event.seen_as(self.flt)
        if seen is not None:
            self.push((event.rv, event.line(seen)))

    def push(self, item: Item) -> None:
        """Queue a line or a close marker and wake the streaming task."""
        self.items.append(item)
        self.wake.set()

    async def stream(
        self, request: web.Request, resp: web.StreamResponse, current_rv: Callable[[], int]
    ) -> None:
        """Write queued lines until closed, the deadline passes, or the client goes away."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = None if self.timeout is None else started + self.timeout
        next_bookmark = started + self.bookmark_interval if self.bookmarks else None
        while True:
            if not self.items:
                await self._idle(
                    min((t for t in (deadline, next_bookmark) if t is not None), default=None)
                )
            chunk, close = self._drain()
            if chunk:
                await resp.write(chunk)
            if close is not None:
                await self._close(request, resp, close)
                return
            now = loop.time()
            # Bookmarks only go out with nothing queued: then every event up to the
            # current rv was sent or filtered out, so the bookmark never skips one.
            # A busy stream postpones them; at the deadline a busy stream gets none.
            idle = not self.items
            if deadline is not None and now >= deadline:
                if self.bookmarks and idle:
                    await resp.write(bookmark_line(self.rt, current_rv()))
                return
            if next_bookmark is not None and now >= next_bookmark and idle:
                await resp.write(bookmark_line(self.rt, current_rv()))
                next_bookmark = now + self.bookmark_interval

    async def _idle(self, until: float | None) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(until):
                await self.wake.wait()

    def _drain(self) -> tuple[bytes, Close | None]:
        lines: list[bytes] = []
        while self.items and len(lines) < _MAX_BATCH:
            item = self.items.popleft()
            if isinstance(item, Close):
                return b"".join(lines), item
            self.last_rv, line = item
            lines.append(line)
        return b"".join(lines), None

    async def _close(self, request: web.Request, resp: web.StreamResponse, close: Close) -> None:
        if close.final_line:
            await resp.write(close.final_line)
        if close.force_close:
            resp.force_close()
        if close.reset:
            reset_connection(request)


def reset_connection(request: web.Request) -> None:
    """Abort the connection with SO_LINGER 0, so the peer gets a TCP RST."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class WatchRegistry:
    """The open watchers by plural; dispatches events and counts them for tests."""

    def __init__(self) -> None:
        self._by_plural: dict[str, dict[int, Watcher]] = {}
        self._ids = itertools.count(1)
        self.changed = threading.Condition()
        """Notified (from the loop thread) whenever a watcher opens or closes."""
        self._counts: dict[str, int] = {}
        self._open_ids: set[int] = set()

    def new_id(self) -> int:
        """A fresh watcher id."""
        return next(self._ids)

    def register(self, watcher: Watcher) -> None:
        """Start delivering events to `watcher`."""
        self._by_plural.setdefault(watcher.rt.plural, {})[watcher.id] = watcher
        with self.changed:
            self._counts[watcher.rt.plural] = self._counts.get(watcher.rt.plural, 0) + 1
            self._open_ids.add(watcher.id)
            self.changed.notify_all()

    def unregister(self, watcher: Watcher) -> None:
        """Stop delivering events to `watcher` (idempotent)."""
        if self._by_plural.get(watcher.rt.plural, {}).pop(watcher.id, None) is None:
            return
        with self.changed:
            self._counts[watcher.rt.plural] -= 1
            self._open_ids.discard(watcher.id)
            self.changed.notify_all()

    def dispatch(self, event: Event) -> None:
        """Offer a write event to every watcher of its plural."""
        for watcher in self._by_plural.get(event.plural, {}).values():
            watcher.offer(event)

    def watchers(self, plural: str | None = None) -> list[Watcher]:
        """Open watchers, of one plural or all."""
        if plural is not None:
            return list(self._by_plural.get(plural, {}).values())
        return [w for ws in self._by_plural.values() for w in ws.values()]

    def count(self, plural: str | None = None) -> int:
        """Open watchers (call with `changed` held, from any thread)."""
        if plural is None:
            return sum(self._counts.values())
        return self._counts.get(plural, 0)

    def any_open(self, ids: set[int]) -> bool:
        """Whether any of `ids` is still open (call with `changed` held)."""
        return not ids.isdisjoint(self._open_ids)
