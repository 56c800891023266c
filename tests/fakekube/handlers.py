"""HTTP handlers: routes every request, serves discovery, get, list and watch.

Owns the request pipeline: authentication (bearer token), path resolution to an
installed resource type (404 otherwise), the read-only guard (405 for any write),
RBAC simulation (403), then the read itself. Every request is logged with its
Kubernetes verb and status. A watch is established synchronously (backlog queued
and watcher registered with no `await` in between, so no write falls into a gap)
before the response starts streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping

import aiohttp
from aiohttp import web

from tests.fakekube import protocol
from tests.fakekube.cluster import Cluster, RequestRecord
from tests.fakekube.protocol import (
    SERVER_VERSION,
    ApiError,
    DiscoveryPath,
    Obj,
    ResourcePath,
    not_found_resource,
    parse_path,
    parse_resource_version,
    query_bool,
    query_int,
)
from tests.fakekube.resources import ResourceType
from tests.fakekube.selectors import FieldSelector, LabelSelector, ObjectFilter
from tests.fakekube.store import encode_event, too_large_resource_version
from tests.fakekube.watch import Watcher, bookmark_line

_WRITE_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def json_response(body: Obj, status: int = 200) -> web.Response:
    """A compact JSON response, as the apiserver sends."""
    data = json.dumps(body, separators=(",", ":")).encode()
    return web.Response(body=data, status=status, content_type="application/json")


def kube_verb(
    method: str, route: DiscoveryPath | ResourcePath | None, query: Mapping[str, str]
) -> str:
    """The Kubernetes verb a request maps to (for the request log and 403 messages)."""
    if method in _WRITE_VERBS:
        return _WRITE_VERBS[method]
    collection = isinstance(route, ResourcePath) and route.name is None
    if method == "DELETE":
        return "deletecollection" if collection else "delete"
    if method != "GET":
        return method.lower()
    try:
        watching = query_bool(query, "watch")
    except ApiError:
        watching = False
    if watching and isinstance(route, ResourcePath):
        return "watch"
    return "list" if collection else "get"


class ApiHandlers:
    """The aiohttp side of the fake: one catch-all route dispatched by path."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        token: str | None,
        user: str,
        bookmark_interval: float,
        closing: Callable[[], bool],
    ) -> None:
        self._cluster = cluster
        self.token = token
        """The bearer token every request must carry (None: no auth); a hook may change it."""
        self._user = user
        self._bookmark_interval = bookmark_interval
        self._closing = closing

    def make_app(self) -> web.Application:
        """The application: every method, every path, one handler."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Authenticate, resolve, guard, then serve; errors become `kind: Status`."""
        query = dict(request.query)
        route = parse_path(request.path)
        verb = kube_verb(request.method, route, query)
        try:
            self._authenticate(request)
            if route is None:
                raise not_found_resource()
            if isinstance(route, DiscoveryPath):
                if request.method != "GET":
                    raise protocol.method_not_allowed()
                if route.doc == "health":
                    response = web.Response(text="ok")
                else:
                    response = json_response(self._discovery(route, request.host))
            else:
                rt = self._resolve(route)
                if request.method != "GET":
                    raise protocol.method_not_allowed()
                self._authorize(rt, route, verb)
                if route.subresource is not None:
                    response = await self._proxy(request, route)
                    self._log(request, verb, response.status)
                    return response
                query_bool(query, "watch")  # 400 on a value Go's ParseBool rejects
                injected = self._cluster.take_failure(rt.plural, verb)
                if injected is not None:
                    raise injected
                if self._cluster.take_stall(rt.plural, verb):
                    await self._hold(request, verb)
                if verb == "watch":
                    return await self._watch(request, rt, route, query)
                response = json_response(self._read(rt, route, query))
        except ApiError as err:
            response = json_response(err.status(), err.code)
            if err.retry_after > 0:
                response.headers["Retry-After"] = str(err.retry_after)
        self._log(request, verb, response.status)
        return response

    async def _hold(self, request: web.Request, verb: str) -> None:
        """No answer until the stalls are released; a client that gives up first is logged
        with status 0 (aiohttp cancels the handler when its connection closes)."""
        try:
            await self._cluster.held()
        except asyncio.CancelledError:
            self._log(request, verb, 0)
            raise

    def _log(self, request: web.Request, verb: str, status: int) -> None:
        query = dict(request.query)
        self._cluster.record(RequestRecord(request.method, request.path, query, verb, status))

    def _authenticate(self, request: web.Request) -> None:
        if self.token is None:
            return
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise protocol.unauthorized()

    def _authorize(self, rt: ResourceType, route: ResourcePath, verb: str) -> None:
        """RBAC: a resource (or `services/proxy`) made forbidden by the test is a 403."""
        resource = f"{rt.plural}/{route.subresource}" if route.subresource else rt.plural
        if resource in self._cluster.forbidden:
            raise protocol.forbidden(
                rt,
                verb,
                route.namespace,
                self._user,
                name=route.name,
                subresource=route.subresource,
            )

    def _resolve(self, route: ResourcePath) -> ResourceType:
        rt = self._cluster.served_type(route.group, route.version, route.plural)
        if rt is None:
            raise not_found_resource()
        if route.subresource is not None and (rt.plural, route.subresource) != (
            "services",
            "proxy",
        ):
            raise not_found_resource()  # `/status`, `/scale`, ... are not served
        if route.namespace is not None and not rt.namespaced:
            raise not_found_resource()
        if route.namespace is None and route.name is not None and rt.namespaced:
            raise not_found_resource()
        return rt

    # -- discovery ----------------------------------------------------------------------

    def _discovery(self, route: DiscoveryPath, host: str) -> Obj:
        served = list(self._cluster.served.values())
        match route.doc:
            case "version":
                return dict(SERVER_VERSION)
            case "api":
                return protocol.api_versions(host)
            case "apis":
                return protocol.api_group_list(served)
            case "group":
                return protocol.api_group(route.group, served)
        return protocol.api_resource_list(route.group, route.version, served)

    # -- get and list -------------------------------------------------------------------

    def _filter(self, route: ResourcePath, query: Mapping[str, str]) -> ObjectFilter:
        fields = FieldSelector.parse(query.get("fieldSelector"))
        if route.name is not None:
            fields = fields.and_name(route.name)
        return ObjectFilter(
            route.namespace, LabelSelector.parse(query.get("labelSelector")), fields
        )

    def _read(self, rt: ResourceType, route: ResourcePath, query: Mapping[str, str]) -> Obj:
        store = self._cluster.store
        if route.name is not None:
            obj = store.get(rt.plural, (route.namespace or "", route.name))
            if obj is None:
                raise ApiError(
                    404,
                    "NotFound",
                    f'{rt.qualified} "{route.name}" not found',
                    details={"name": route.name, "group": rt.group, "kind": rt.plural},
                )
            return obj
        rv = parse_resource_version(query.get("resourceVersion"))
        exact = query.get("resourceVersionMatch") == "Exact"
        if rv is not None and rv > store.rv:
            raise too_large_resource_version(rv, store.rv)
        page = store.list_page(
            rt.plural,
            self._filter(route, query),
            limit=query_int(query, "limit"),
            token=query.get("continue") or None,
            exact_rv=rv if exact else None,
        )
        meta: Obj = {"resourceVersion": str(page.resource_version)}
        if page.continue_token:
            meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
        return {
            "apiVersion": rt.api_version,
            "kind": rt.list_kind,
            "metadata": meta,
            "items": page.items if rt.custom else [_untyped(obj) for obj in page.items],
        }

    # -- the service proxy --------------------------------------------------------------

    async def _proxy(self, request: web.Request, route: ResourcePath) -> web.Response:
        """`GET .../services/[scheme:]name[:port]/proxy/{path}`: the Service's backend answers
        (status, body and content type passed through), or the apiserver's own error."""
        namespace, target = route.namespace or "", route.name or ""
        name, port = protocol.service_target(target)
        if self._cluster.store.get("services", (namespace, name)) is None:
            raise ApiError(
                404,
                "NotFound",
                f'services "{name}" not found',
                details={"name": name, "kind": "services"},
            )
        backend = self._cluster.endpoints.get((namespace, name, port))
        if backend is None:
            raise protocol.service_unavailable(f'no endpoints available for service "{target}"')
        url = f"{backend.rstrip('/')}/{route.subpath}"
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, params=request.query, allow_redirects=False) as answer,
            ):
                body = await answer.read()
                content_type = answer.headers.get("Content-Type", "application/octet-stream")
                return web.Response(
                    body=body, status=answer.status, headers={"Content-Type": content_type}
                )
        except aiohttp.ClientConnectionError as err:
            where = backend.split("://", 1)[-1].rstrip("/")
            raise protocol.service_unavailable(
                f"error trying to reach service: dial tcp {where}: {err}"
            ) from None

    # -- watch --------------------------------------------------------------------------

    async def _watch(
        self, request: web.Request, rt: ResourceType, route: ResourcePath, query: Mapping[str, str]
    ) -> web.StreamResponse:
        try:
            watcher = self._establish(rt, route, query)
        except ApiError as err:
            if err.code != 410:
                raise
            # Like the apiserver's watch cache: 200, one ERROR event, end of stream.
            return await self._stream_once(request, encode_event("ERROR", err.status()))
        if self._closing():
            return await self._stream_once(request, b"")
        registry = self._cluster.watches
        registry.register(watcher)
        try:
            self._log(request, "watch", 200)
            resp = _stream_response()
            await resp.prepare(request)
            with contextlib.suppress(ConnectionError):  # the client went away mid-stream
                await watcher.stream(request, resp, lambda: self._cluster.store.rv)
            return resp
        finally:
            registry.unregister(watcher)

    def _establish(
        self, rt: ResourceType, route: ResourcePath, query: Mapping[str, str]
    ) -> Watcher:
        """Parse the watch, and queue its backlog; synchronous, so nothing can interleave."""
        store = self._cluster.store
        rv = parse_resource_version(query.get("resourceVersion"))
        bookmarks = query_bool(query, "allowWatchBookmarks")
        initial = query_bool(query, "sendInitialEvents")
        if initial and (not bookmarks or query.get("resourceVersionMatch") != "NotOlderThan"):
            raise ApiError(
                422,
                "Invalid",
                "sendInitialEvents requires allowWatchBookmarks=true and "
                "resourceVersionMatch=NotOlderThan",
            )
        if rv is not None and rv > store.rv:
            raise too_large_resource_version(rv, store.rv)
        watcher = Watcher(
            id=self._cluster.watches.new_id(),
            rt=rt,
            flt=self._filter(route, query),
            start_rv=store.rv if rv is None or initial else rv,
            bookmarks=bookmarks,
            bookmark_interval=self._bookmark_interval,
            timeout=query_int(query, "timeoutSeconds") or None,
        )
        if rv is None or initial:
            objects = store.objects(rt.plural)
            for key in sorted(objects):
                obj = objects[key]
                if watcher.flt.matches(obj):
                    watcher.push(
                        (int(obj["metadata"]["resourceVersion"]), encode_event("ADDED", obj))
                    )
            if initial:
                watcher.push((store.rv, bookmark_line(rt, store.rv, initial_events_end=True)))
        else:
            for event in store.events_since(rt.plural, rv):
                watcher.offer(event)
        return watcher

    async def _stream_once(self, request: web.Request, line: bytes) -> web.StreamResponse:
        self._log(request, "watch", 200)
        resp = _stream_response()
        if self._closing():
            resp.force_close()
        await resp.prepare(request)
        if line:
            await resp.write(line)
        return resp


def _stream_response() -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    return resp


def _untyped(obj: Obj) -> Obj:
    """A list item of a built-in type as the apiserver sends it: no `kind`, no `apiVersion`
    (the list's own kind says it; custom resources and watch events keep them)."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
