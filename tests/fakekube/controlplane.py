"""A fake Kuma control plane API (port 5681), for tests to put behind the fake API
server's service proxy (`FakeKubeAPI.route_service`).

Serves the index (`GET /`: `hostname`, `tagline`, `product`, `version`, `basedOnKuma`
for a product built on Kuma, `instanceId`, `clusterId`, `gui`, as
`pkg/api-server/index_endpoints.go` writes it) and the answers a test registers by
path, else what a `responder` the test sets answers; anything else is Kuma's 404 error
body. Read-only (405 for any other method);
every request is logged. Real HTTP (aiohttp) on 127.0.0.1, in a thread of its own.

    with FakeControlPlane(version="2.14.3") as cp:
        cp.answer("/meshes/default/dataplanes/dp-1/_rules", {...})
        fake.route_service("kuma-system", "kuma-control-plane", 5681, cp.url)
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from tests.fakekube.protocol import Obj

Responder = Callable[[str], tuple[int, object] | None]
"""What answers a request path (with its query) the test registered nothing for."""


def std_error(status: int, title: str, detail: str) -> Obj:
    """Kuma's error body (`pkg/core/rest/errors/types/error.go`): `details` repeats `detail`."""
    return {
        "type": "/std-errors",
        "status": status,
        "title": title,
        "detail": detail,
        "details": detail,
    }


class FakeControlPlane:
    """The control plane's HTTP API, as far as tests read it."""

    def __init__(
        self,
        *,
        product: str = "Kuma",
        version: str = "2.14.3",
        based_on_kuma: str | None = None,
        hostname: str = "kuma-control-plane-7d9f8-abcde",
    ) -> None:
        self.index: Obj = {
            "hostname": hostname,
            "tagline": product,
            "product": product,
            "version": version,
            "instanceId": f"{hostname}-1a2b",
            "clusterId": "0b9f7f5c-6a41-4c4e-9d8e-2f3a5c1d7e90",
            "gui": "The gui is available at /gui",
        }
        if based_on_kuma is not None:
            self.index["basedOnKuma"] = based_on_kuma
        self._answers: dict[str, tuple[int, object]] = {}
        self._responder: Responder | None = None
        self.requests: list[tuple[str, str]] = []
        """(method, path with query) of every request, in order."""
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def answer(self, path: str, body: object, status: int = 200) -> None:
        """Answer `GET path` (query ignored) with `body` as JSON and `status`."""
        with self._lock:
            self._answers[path.rstrip("/") or "/"] = (status, body)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer the paths no `answer` names with `responder(path with query)`, which
        gives (status, body) or None (then Kuma's 404)."""
        with self._lock:
            self._responder = responder

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        """Serve in a background thread; returns once the port is bound."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        """Stop serving (connections to the port are refused from then on)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
            ready.set()
            loop.run_forever()
        finally:
            ready.set()
            loop.close()
            self._loop = None

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- requests -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        with self._lock:
            self.requests.append((request.method, request.path_qs))
            answer = self._answers.get(request.path.rstrip("/") or "/")
            responder = self._responder
        if request.method != "GET":
            return _json(std_error(405, "Method not allowed", "Method not allowed"), 405)
        if answer is None and responder is not None and request.path != "/":
            answer = responder(request.path_qs)
        if answer is not None:
            return _json(answer[1], answer[0])
        if request.path == "/":
            return _json(self.index, 200)
        return _json(std_error(404, "Could not find resource", "Not found"), 404)


def _json(body: object, status: int) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=status, content_type="application/json"
    )
