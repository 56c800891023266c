"""Kuma's inspect API, answered offline: a request path in, a status and a JSON body out.

`InspectApi.get` serves what a control plane of the index's version serves (spec
kuma-rules.md §8, kuma-2.14.md §4-§6):

- `/meshes/{mesh}/dataplanes/{name}/_rules` and `/meshes/{mesh}/meshgateways/{name}/_rules`
- `/meshes/{mesh}/{policy plural}/{name}/_resources/dataplanes?size=&offset=&name=`
- 2.12+: `/meshes/{mesh}/dataplanes/{name}/` + `_layout`, `_policies`,
  `_inbounds/{kri}/_policies`, `_outbounds/{kri}/_policies`, `_outbounds/{kri}/_routes`,
  `_outbounds/{kri}/_routes/{kri}/_policies`

Errors come back in Kuma's `/std-errors` shape with the status, title and detail that
release's handler writes, checked in the handler's order. A path the version does not
serve answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from meshtui.engine import kri
from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.inspect import (
    affected_dataplanes,
    all_type_rules,
    meta,
    rules_body,
)
from meshtui.engine.kri import Kri, KriError
from meshtui.engine.matching import Listener, tag_selector_matches
from meshtui.engine.resource_rules import ResourceRule
from meshtui.engine.rules import TypeRules
from meshtui.engine.tag_rules import hash_matches
from meshtui.kinds import LEGACY_BY_PLURAL, LEGACY_POLICIES, kinds_for, policy_info
from meshtui.model import Dataplane, Resource
from meshtui.versions import KumaVersion

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
PUBLIC_URL = "http://localhost:5681"
"""Where the `next` links of paged answers point (the API server's default address)."""

ROUTE_TYPES = ("MeshHTTPRoute", "MeshTCPRoute")


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP status and the JSON body a control plane would answer with."""

    status: int
    body: Any


def std_error(
    status: int,
    title: str,
    detail: str,
    *,
    invalid_parameters: Sequence[Mapping[str, str]] = (),
) -> Response:
    """Kuma's error body (`rest/errors/types.Error`): `details` repeats `detail`."""
    body: dict[str, Any] = {
        "type": "/std-errors",
        "status": status,
        "title": title,
        "detail": detail,
        "details": detail,
    }
    if invalid_parameters:
        body["invalid_parameters"] = [dict(p) for p in invalid_parameters]
    return Response(status, body)


def _page_size_error(reason: str) -> Response:
    return std_error(
        400,
        "Bad Request",
        "Invalid page size",
        invalid_parameters=[{"field": "size", "reason": reason}],
    )


def _not_found(title: str) -> Response:
    return std_error(404, title, "Not found")


def _bad_request(message: str) -> Response:
    return std_error(400, "Bad Request", f"bad request: {message}")


def _internal(title: str) -> Response:
    return std_error(500, title, "Internal Server Error")


_NO_ROUTE = std_error(404, "Not Found", "Not found")
"""What an unknown path gets (the server has no route for it)."""


class _Failed(Exception):
    """Ends a handler with this response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body.get("title", ""))
        self.response = response


Handler = Callable[["_Request"], Response]


@dataclass(frozen=True, slots=True)
class _Request:
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]


class InspectApi:
    """The read-only inspect endpoints of one control plane over a set of resources.

    Args:
        resources: Every stored resource (all meshes).
        version: The Kuma release to answer as.
    """

    def __init__(
        self,
        resources: Iterable[Resource],
        version: KumaVersion,
        *,
        legacy: Iterable[Resource] = (),
        naming: kri.StoreNaming | None = None,
    ) -> None:
        self.resources = tuple(resources)
        self.legacy = tuple(legacy)
        """Selector-based legacy policies, for their `_resources/dataplanes`."""
        self.naming = naming or kri.StoreNaming()
        """The control plane's store names (what `/_kri/{kri}` looks a resource up by; a
        Kubernetes zone control plane of zone `default` unless given)."""
        self.version = version
        self._indexes: dict[str, MeshIndex] = {}
        self._routes = self._route_table()
        self._generic = {
            info.plural: info
            for info in map(policy_info, {r.type for r in self.resources})
            if info is not None and info.generic
        }
        """The generic policy kinds among the resources, by plural."""

    def get(self, request: str) -> Response:
        """Answer `GET request` (a path with an optional query string)."""
        parts = urlsplit(request)
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        for pattern, handler in self._routes:
            found = pattern.fullmatch(path.rstrip("/") or "/")
            if found is None:
                continue
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            try:
                return handler(_Request(path, params, query))
            except _Failed as failed:
                return failed.response
        return _NO_ROUTE

    def everything(self, request: str) -> Response:
        """`get` of a paged proxies request without the page bound: every item."""
        response = self.get(f"{request}?size=0")
        if response.status == 200 and isinstance(response.body, dict):
            response.body.pop("next", None)
        return response

    # -- routing -------------------------------------------------------------------

    def _route_table(self) -> list[tuple[re.Pattern[str], Handler]]:
        seg = r"[^/]+"
        dp = rf"/meshes/(?P<mesh>{seg})/dataplanes/(?P<name>{seg})"
        table: list[tuple[str, Handler]] = [
            (rf"{dp}/_rules", self._rules),
            (rf"/meshes/(?P<mesh>{seg})/meshgateways/(?P<name>{seg})/_rules", self._gateway_rules),
            (
                rf"/meshes/(?P<mesh>{seg})/(?P<plural>{seg})/(?P<name>{seg})/_resources/dataplanes",
                self._affected,
            ),
        ]
        if self.version.mesh_service_dataplanes_endpoint:
            table.append(
                (
                    rf"/meshes/(?P<mesh>{seg})/meshservices/(?P<name>{seg})/_dataplanes",
                    self._service_dataplanes,
                )
            )
        if self.version.kri_endpoint:
            table.append((rf"/_kri/(?P<kri>{seg})", self._by_kri))
        if self.version.policies_endpoints:
            table += [
                (rf"{dp}/_layout", self._layout),
                (rf"{dp}/_policies", self._proxy_policies),
                (rf"{dp}/_inbounds/(?P<inbound>{seg})/_policies", self._inbound_policies),
                (rf"{dp}/_outbounds/(?P<outbound>{seg})/_policies", self._outbound_policies),
                (rf"{dp}/_outbounds/(?P<outbound>{seg})/_routes", self._routes_of),
                (
                    rf"{dp}/_outbounds/(?P<outbound>{seg})/_routes/(?P<route>{seg})/_policies",
                    self._route_policies,
                ),
            ]
        return [(re.compile(p), h) for p, h in table]

    # -- lookups -------------------------------------------------------------------

    def _index(self, mesh: str) -> MeshIndex:
        index = self._indexes.get(mesh)
        if index is None:
            index = build_index(self.resources, mesh, version=self.version)
            self._indexes[mesh] = index
        return index

    def _mesh(self, request: _Request) -> MeshIndex:
        """The request's mesh: a Mesh resource must exist (`Failed to retrieve Mesh`)."""
        mesh = request.params["mesh"]
        if not any(r.type == "Mesh" and r.name == mesh for r in self.resources):
            raise _Failed(_not_found("Failed to retrieve Mesh"))
        return self._index(mesh)

    def _dataplane(self, index: MeshIndex, name: str, title: str) -> Dataplane:
        found = index.dataplanes.get(name)
        if found is None:
            raise _Failed(_not_found(title))
        return found

    def _exclusive(self, index: MeshIndex, endpoint: str) -> None:
        if _mesh_services_mode(index) != "Exclusive":
            raise _Failed(
                _bad_request(f"can't use {endpoint} endpoint without meshService enabled")
            )

    def _kri(self, text: str) -> Kri:
        try:
            return Kri.parse(text, self.version)
        except KriError as err:
            raise _Failed(_bad_request(str(err))) from None

    def _kri_text(self, resource: Resource, section: str = "", as_type: str = "") -> str:
        return kri.text_of(resource, self.version, section, as_type=as_type)

    # -- _rules ----------------------------------------------------------------------

    def _rules(self, request: _Request) -> Response:
        index = self._mesh(request)
        dataplane = self._dataplane(index, request.params["name"], "Could not retrieve Dataplane")
        return Response(200, rules_body(index, dataplane))

    def _gateway_rules(self, request: _Request) -> Response:
        """2.10-2.14: the rules of a synthetic built-in gateway proxy with the MeshGateway's
        meta and its first selector's tags."""
        index = self._mesh(request)
        name = request.params["name"]
        gateway = next((g for g in index.gateways if g.name == name), None)
        if gateway is None:
            return _not_found("Could not retrieve MeshGateway")
        selectors = gateway.spec.get("selectors")
        first = selectors[0] if isinstance(selectors, list) and selectors else None
        match = first.get("match") if isinstance(first, Mapping) else None
        if first is None:
            return _internal("Could not create a dataplane for the gateway")
        tags = {str(k): str(v) for k, v in match.items()} if isinstance(match, Mapping) else {}
        proxy = Dataplane(resource=gateway, address="", gateway_type="BUILTIN", gateway_tags=tags)
        return Response(200, rules_body(index, proxy))

    # -- _resources/dataplanes ----------------------------------------------------

    def _affected(self, request: _Request) -> Response:
        plural = request.params["plural"]
        if plural in LEGACY_BY_PLURAL:
            return self._legacy_affected(request, LEGACY_BY_PLURAL[plural])
        info = kinds_for(self.version).by_plural.get(plural) or self._generic.get(plural)
        if info is None or not info.is_policy:
            return _NO_ROUTE
        index = self._mesh(request)
        size = self._page_size(request)
        policy = index.find_policy(info.kind, request.params["name"])
        if policy is None:
            return _not_found("Could not retrieve policy")
        return self._page(request, affected_dataplanes(index, policy), size)

    def _legacy_affected(self, request: _Request, kind: str) -> Response:
        """A legacy policy's proxies: any of its tag selectors (`selectors`, or `sources`
        and `destinations`) matching an inbound's tags, or a gateway's."""
        index = self._mesh(request)
        size = self._page_size(request)
        name, mesh = request.params["name"], request.params["mesh"]
        policy = next(
            (r for r in self.legacy if r.type == kind and r.name == name and r.mesh == mesh), None
        )
        if policy is None:
            return _not_found("Could not retrieve policy")
        style = LEGACY_POLICIES[kind][1]
        fields = ("selectors",) if style == "dataplane" else ("sources", "destinations")
        selectors = [
            {str(k): str(v) for k, v in item["match"].items()}
            for key in fields
            for item in _list(policy.spec.get(key))
            if isinstance(item.get("match"), Mapping)
        ]
        picked = [
            dp
            for _, dp in sorted(index.dataplanes.items())
            if any(_proxy_has_tags(dp, selector) for selector in selectors)
        ]
        return self._page(request, picked, size)

    def _service_dataplanes(self, request: _Request) -> Response:
        """2.13+: the proxies a MeshService's selector picks, paged like `_resources`."""
        index = self._mesh(request)
        size = self._page_size(request)
        name = request.params["name"]
        service = next((s for s in index.services.get("MeshService", ()) if s.name == name), None)
        if service is None:
            return _not_found("Could not retrieve policy")
        picked = [dp for _, dp in sorted(index.dataplanes.items()) if _service_selects(service, dp)]
        return self._page(request, picked, size)

    def _page_size(self, request: _Request) -> int:
        size_text = request.query.get("size", "")
        size = DEFAULT_PAGE_SIZE
        if size_text:
            try:
                size = int(size_text)
            except ValueError:
                raise _Failed(_page_size_error("Invalid format")) from None
            if size > MAX_PAGE_SIZE:
                reason = f"Invalid page size of {size}. Maximum page size is {MAX_PAGE_SIZE}"
                raise _Failed(_page_size_error(reason))
        return size

    def _page(self, request: _Request, dataplanes: Sequence[Dataplane], size: int) -> Response:
        """One page of proxies (`offset` is a position), filtered by `name` (a substring)."""
        offset_text = request.query.get("offset", "")
        try:
            offset = int(offset_text) if offset_text else 0
        except ValueError:
            return _bad_request("invalid offset")
        contains = request.query.get("name", "")
        items = [dp for dp in dataplanes if contains in dp.resource.name]
        page = items[offset : offset + size] if size > 0 else items[offset:]
        body: dict[str, Any] = {"items": [meta(dp.resource) for dp in page], "total": len(items)}
        if size > 0 and offset + size < len(items):
            query = dict(request.query)
            query["offset"] = str(offset + size)
            body["next"] = f"{PUBLIC_URL}{request.path}?{urlencode(sorted(query.items()))}"
        return Response(200, body)

    # -- /_kri --------------------------------------------------------------------

    def _by_kri(self, request: _Request) -> Response:
        """E7 (2.13+): the stored resource a KRI names, looked up by the store name the
        control plane gives it (`kri.StoreNaming`), in the REST form (or `format=k8s`)."""
        wanted = self._kri(request.params["kri"])
        info = kinds_for(self.version).all.get(wanted.resource_type)
        name = self.naming.store_name(wanted, namespaced=info is None or info.namespaced)
        found = next(
            (
                r
                for r in self.resources
                if r.type == wanted.resource_type and r.mesh == wanted.mesh and r.name == name
            ),
            None,
        )
        if found is None:
            return _not_found("Could not retrieve a resource")
        if request.query.get("format") in ("k8s", "kubernetes"):
            return Response(200, _kubernetes_form(found))
        body: dict[str, Any] = {"type": found.type}
        if found.mesh:
            body["mesh"] = found.mesh
        body["name"] = found.name
        if found.creation_time:
            body["creationTime"] = found.creation_time
        body["labels"] = dict(sorted(found.labels.items()))
        body["kri"] = kri.text_of(found, self.version)
        if found.type in _TOP_LEVEL_BODY:
            body.update(found.spec)
        else:
            body["spec"] = dict(found.spec)
        return Response(200, body)

    # -- the 2.12 policies family -------------------------------------------------

    def _proxy(self, request: _Request, endpoint: str) -> ProxyPolicies:
        """E0: mesh, proxy, Exclusive mesh, then every plugin's matched policies."""
        index = self._mesh(request)
        dataplane = self._dataplane(index, request.params["name"], "Could not retrieve Dataplane")
        self._exclusive(index, endpoint)
        return ProxyPolicies(index, dataplane, all_type_rules(index, dataplane))

    def _proxy_policies(self, request: _Request) -> Response:
        return Response(200, self._proxy(request, "_policies").proxy_body())

    def _inbound_policies(self, request: _Request) -> Response:
        proxy = self._proxy(request, "_policies")
        body = proxy.inbound_body(self._kri(request.params["inbound"]).section)
        if body is None:
            return _internal("Failed building response")
        return Response(200, body)

    def _outbound_policies(self, request: _Request) -> Response:
        proxy = self._proxy(request, "_policies")
        return Response(200, proxy.outbound_body(self._kri(request.params["outbound"])))

    def _route_policies(self, request: _Request) -> Response:
        proxy = self._proxy(request, "_policies")
        outbound = self._kri(request.params["outbound"])
        route = self._kri(request.params["route"])
        return Response(200, proxy.route_body(outbound, route))

    def _routes_of(self, request: _Request) -> Response:
        proxy = self._proxy(request, "_policies")
        return Response(200, proxy.routes_body(self._kri(request.params["outbound"])))

    # -- _layout -----------------------------------------------------------------

    def _layout(self, request: _Request) -> Response:
        index = self._mesh(request)
        self._exclusive(index, "_layout")
        name = request.params["name"]
        dataplane = self._dataplane(index, name, "Failed to retrieve Dataplane")
        return Response(200, self.layout(index, dataplane))

    def layout(self, index: MeshIndex, dataplane: Dataplane) -> dict[str, Any]:
        """E1: the proxy's inbounds, listeners and reachable outbounds, by KRI."""
        res = dataplane.resource
        dp_kri = kri.of(res)
        inbounds = []
        for inbound in dataplane.inbounds:
            section = inbound.section_name
            inbounds.append(
                {
                    "kri": replace(dp_kri, section=section).text(self.version),
                    "port": inbound.port,
                    "protocol": _inbound_protocol(res, inbound.port, self.version),
                    "proxyResourceName": f"self_inbound_dp_{section}",
                }
            )
        body: dict[str, Any] = {
            "inbounds": inbounds,
            "kri": dp_kri.text(self.version),
            "labels": dict(sorted(res.labels.items())) or None,
        }
        if self.version.zone_proxy_listeners:
            body["listeners"] = [
                {
                    "kri": replace(dp_kri, section=listener.section_name).text(self.version),
                    "port": listener.port,
                    "proxyResourceName": (
                        f"self_{listener.type.lower()}_dp_{listener.section_name}"
                    ),
                    "type": listener.type,
                }
                for listener in dataplane.listeners
                if listener.type in ("ZoneIngress", "ZoneEgress")
            ]
        body["outbounds"] = [
            {"kri": text, "port": port, "protocol": protocol, "proxyResourceName": text}
            for text, port, protocol in sorted(self._outbounds(index, dataplane))
        ]
        return body

    def _outbounds(self, index: MeshIndex, dataplane: Dataplane) -> set[tuple[str, int, str]]:
        """`GetReachableBackends`: the DPP's backendRef outbounds, else its reachable
        backends, else every port of every destination of the mesh."""
        networking = dataplane.resource.spec.get("networking")
        networking = networking if isinstance(networking, Mapping) else {}
        refs: list[Mapping[str, Any]] = []
        for outbound in _list(networking.get("outbound")):
            backend = outbound.get("backendRef")
            if isinstance(backend, Mapping):
                refs.append(backend)
        found: set[tuple[str, int, str]] = set()
        if not refs:
            proxying = networking.get("transparentProxying")
            reachable = proxying.get("reachableBackends") if isinstance(proxying, Mapping) else None
            if not isinstance(reachable, Mapping):
                for destination in _destinations(index):
                    for port in _ports(destination):
                        found.add(self._outbound(destination, port))
                return found
            refs = _list(reachable.get("refs"))
        for ref in refs:
            found.update(self._reachable(index, dataplane, ref))
        return found

    def _reachable(
        self, index: MeshIndex, dataplane: Dataplane, ref: Mapping[str, Any]
    ) -> set[tuple[str, int, str]]:
        kind = str(ref.get("kind", ""))
        labels = ref.get("labels")
        port_value = ref.get("port")
        section = str(port_value) if isinstance(port_value, int) and port_value else ""
        if isinstance(labels, Mapping) and labels:
            targets = [
                d
                for d in _destinations(index)
                if d.type == kind and all(d.labels.get(k) == v for k, v in labels.items())
            ]
        else:
            res = dataplane.resource
            wanted = (
                str(ref.get("name", "")),
                str(ref.get("namespace", "")) or res.namespace,
                res.zone,
            )
            targets = [
                d
                for d in _destinations(index)
                if d.type == kind and (d.display_name, d.namespace, d.zone) == wanted
            ][:1]
        out: set[tuple[str, int, str]] = set()
        for destination in targets:
            ports = _ports(destination)
            picked = next((p for p in ports if p.matches(section)), None)
            for port in [picked] if picked is not None else ports:
                out.add(self._outbound(destination, port))
        return out

    def _outbound(self, destination: Resource, port: _Port) -> tuple[str, int, str]:
        return (self._kri_text(destination, port.name), port.value, port.protocol)


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One rule of a route an outbound takes (E5): what it matches, its conf, and the
    route policy whose entry set it (`None`: a MeshTCPRoute's, or not found)."""

    conf: Any
    matches: Any
    origin: Resource | None


@dataclass(frozen=True, slots=True)
class OutboundRoute:
    """One route type's resource rule on an outbound (E5), with its rules."""

    type: str
    rule: ResourceRule
    rules: tuple[RouteRule, ...]


class ProxyPolicies:
    """The 2.12 policies family of one proxy (E2-E6), from its computed rules.

    What `_policies`, `_inbounds/{kri}/_policies`, `_outbounds/{kri}/_policies`,
    `_outbounds/{kri}/_routes` and `…/_routes/{kri}/_policies` answer, as bodies, and the
    resource rules behind them, typed, for views that show the same thing. Lookups of a
    rule by KRI are indexed once per policy type.

    Args:
        index: The proxy's mesh (its version decides the shapes).
        dataplane: The proxy.
        matched: Every plugin's rules for it, in plugin order (`all_type_rules`).
    """

    def __init__(
        self, index: MeshIndex, dataplane: Dataplane, matched: Sequence[TypeRules]
    ) -> None:
        self.index = index
        self.dataplane = dataplane
        self.matched = tuple(matched)
        self.version = index.version
        self._by_kri: dict[str, dict[Kri, ResourceRule]] = {}

    def kri_text(self, resource: Resource, *, as_type: str = "") -> str:
        """A resource's KRI as this version writes it (`as_type`: an origin's policy type)."""
        return kri.text_of(resource, self.version, as_type=as_type)

    def layout(self) -> dict[str, Any]:
        """E1: the `_layout` body."""
        return InspectApi((), self.version).layout(self.index, self.dataplane)

    # -- E2 ---------------------------------------------------------------------------

    def proxy_body(self) -> dict[str, Any]:
        """E2: per type with a proxy-wide rule, its merged conf and origins."""
        out = []
        for rules in self.matched:
            if not rules.single_rules:
                continue
            first = rules.single_rules[0]
            out.append(
                {
                    "conf": first.conf,
                    "kind": rules.type,
                    "origins": self._origins(rules.type, (p.resource for p in first.origins)),
                }
            )
        return {"policies": out}

    # -- E3 ---------------------------------------------------------------------------

    def inbound_key(self, section: str) -> Listener | None:
        """The inbound (or 2.14 listener) an inbound KRI's section names, else `None`."""
        return _inbound_key(self.dataplane, section, self.version)

    def inbound_body(self, section: str) -> dict[str, Any] | None:
        """E3 for the inbound named by `section`; `None` when there is none (a 500)."""
        key = self.inbound_key(section)
        if key is None:
            return None
        out = []
        for rules in self.matched:
            entries = rules.inbound_rules.get(key, ())
            if not entries:
                continue
            origins: list[Resource] = []
            seen: set[tuple[str, str]] = set()
            for entry in entries:
                for origin in entry.origins:
                    res = origin.policy.resource
                    if not self.version.deduplicated_inbound_origins:
                        origins.append(res)
                    elif (res.mesh, res.name) not in seen:
                        seen.add((res.mesh, res.name))
                        origins.append(res)
            out.append(
                {
                    "kind": rules.type,
                    "origins": self._origins(rules.type, origins),
                    "rules": [
                        {
                            "conf": entry.confs[0] if entry.confs else {},
                            "kri": self.kri_text(
                                entry.origins[0].policy.resource, as_type=rules.type
                            ),
                        }
                        for entry in entries
                    ],
                }
            )
        return {"policies": out}

    # -- E4, E6 -----------------------------------------------------------------------

    def outbound_rules(self, outbound: Kri) -> list[tuple[str, ResourceRule]]:
        """E4: per type (routes too), the rule at the outbound, without its section, or
        the Mesh's."""
        keys = [outbound, outbound.without_section()]
        return self._first_rules(keys, skip=())

    def outbound_body(self, outbound: Kri) -> dict[str, Any]:
        """E4: the `_outbounds/{kri}/_policies` body."""
        return {"policies": [self._policy_conf(t, r) for t, r in self.outbound_rules(outbound)]}

    def route_rules(self, outbound: Kri, route: Kri) -> list[tuple[str, ResourceRule]]:
        """E6: per type but the routes', the rule at the route, the outbound, the outbound
        without its section, or the Mesh's."""
        keys = [route, outbound, outbound.without_section()]
        return self._first_rules(keys, skip=ROUTE_TYPES)

    def route_body(self, outbound: Kri, route: Kri) -> dict[str, Any]:
        """E6: the `_outbounds/{kri}/_routes/{kri}/_policies` body."""
        found = self.route_rules(outbound, route)
        return {"policies": [self._policy_conf(t, r) for t, r in found]}

    # -- E5 ---------------------------------------------------------------------------

    def routes(self, outbound: Kri) -> list[OutboundRoute]:
        """E5: the MeshHTTPRoute and MeshTCPRoute rules the outbound takes (O5 lookup)."""
        keys = [outbound]
        if outbound.resource_type in _SECTION_FALLBACK:
            keys.append(outbound.without_section())
        out = []
        for rules in self.matched:
            if rules.type not in ROUTE_TYPES:
                continue
            found = self._first_rule(rules, keys)
            if found is None:
                continue
            route_rules: list[RouteRule] = []
            if rules.type == "MeshHTTPRoute":
                by_matches = _origin_by_matches(found)
                for conf in found.confs:
                    for rule in conf.get("rules", []) if isinstance(conf, Mapping) else []:
                        origin = by_matches.get(hash_matches(rule.get("matches")))
                        route_rules.append(
                            RouteRule(rule.get("default", {}), rule.get("matches"), origin)
                        )
            else:
                for conf in found.confs:
                    default = conf.get("default", {}) if isinstance(conf, Mapping) else {}
                    route_rules.append(RouteRule(default, None, None))
            out.append(OutboundRoute(rules.type, found, tuple(route_rules)))
        return out

    def routes_body(self, outbound: Kri) -> dict[str, Any]:
        """E5: the `_outbounds/{kri}/_routes` body."""
        out = []
        for route in self.routes(outbound):
            out.append(
                {
                    "kind": route.type,
                    "origins": self._origins(
                        route.type, (o.policy.resource for o in route.rule.origins)
                    ),
                    "rules": [
                        {
                            "conf": r.conf,
                            "kri": self.kri_text(r.origin, as_type=route.type)
                            if r.origin is not None
                            else "",
                            "matches": r.matches,
                        }
                        for r in route.rules
                    ]
                    or None,
                }
            )
        return {"routes": out}

    # -- lookups ----------------------------------------------------------------------

    def _first_rules(
        self, keys: Sequence[Kri], *, skip: Iterable[str]
    ) -> list[tuple[str, ResourceRule]]:
        skipped = frozenset(skip)
        out = []
        for rules in self.matched:
            if rules.type in skipped:
                continue
            found = self._first_rule(rules, keys)
            if found is not None:
                out.append((rules.type, found))
        return out

    def _first_rule(self, rules: TypeRules, keys: Sequence[Kri]) -> ResourceRule | None:
        """The resource rule of the first key that has one, else the Mesh's."""
        by_kri = self._by_kri.get(rules.type)
        if by_kri is None:
            by_kri = {kri.of(r.resource, r.section): r for r in rules.resource_rules}
            self._by_kri[rules.type] = by_kri
        for key in keys:
            if key in by_kri:
                return by_kri[key]
        if self.index.mesh is not None:
            return by_kri.get(kri.of(self.index.mesh))
        return None

    def _origins(self, policy_type: str, policies: Iterable[Resource]) -> list[dict[str, str]]:
        return [{"kri": self.kri_text(p, as_type=policy_type)} for p in policies]

    def _policy_conf(self, policy_type: str, rule: ResourceRule) -> dict[str, Any]:
        return {
            "conf": list(rule.confs),
            "kind": policy_type,
            "origins": self._origins(policy_type, (o.policy.resource for o in rule.origins)),
        }


_SECTION_FALLBACK = frozenset(
    {"MeshService", "MeshExternalService", "MeshMultiZoneService", "MeshHTTPRoute"}
)
"""O5: kinds whose rule lookup falls back to the key without its section."""


@dataclass(frozen=True, slots=True)
class _Port:
    name: str
    """`GetName()`: the port's name, else its number as text."""
    value: int
    protocol: str
    named: bool

    def matches(self, section: str) -> bool:
        """`FindPortByName`: by name or number; `""` finds the first unnamed port."""
        if not section:
            return not self.named
        return self.name == section or str(self.value) == section


def _destinations(index: MeshIndex) -> list[Resource]:
    return [
        r
        for kind in ("MeshService", "MeshExternalService", "MeshMultiZoneService")
        for r in index.services.get(kind, ())
    ]


def _ports(destination: Resource) -> list[_Port]:
    spec = destination.spec
    if destination.type == "MeshExternalService":
        match = spec.get("match")
        match = match if isinstance(match, Mapping) else {}
        number = _int(match.get("port"))
        return [_Port(str(number), number, str(match.get("protocol", "")), True)]
    out = []
    for item in _list(spec.get("ports")):
        number = _int(item.get("port"))
        name = str(item.get("name") or "")
        out.append(_Port(name or str(number), number, str(item.get("appProtocol", "")), bool(name)))
    return out


def _int(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def _list(raw: Any) -> list[Mapping[str, Any]]:
    return [i for i in raw if isinstance(i, Mapping)] if isinstance(raw, list) else []


def _inbound_protocol(resource: Resource, port: int, version: KumaVersion) -> str:
    """The inbound's `protocol` field (2.14), else its `kuma.io/protocol` tag, else ``""``."""
    networking = resource.spec.get("networking")
    inbounds = networking.get("inbound") if isinstance(networking, Mapping) else None
    for item in _list(inbounds):
        if item.get("port") != port:
            continue
        protocol = item.get("protocol")
        if version.inbound_protocol_field and isinstance(protocol, str) and protocol:
            return protocol
        tags = item.get("tags")
        if isinstance(tags, Mapping) and isinstance(tags.get("kuma.io/protocol"), str):
            return str(tags["kuma.io/protocol"])
        return ""
    return ""


def _inbound_key(
    dataplane: Dataplane, section: str, version: KumaVersion
) -> tuple[str, int] | None:
    """E3: the first inbound with this section name (`""`: the first inbound), else from
    2.14 the first zone-proxy listener with it."""
    for inbound in dataplane.inbounds:
        if not section or inbound.section_name == section:
            return inbound.listener
    if version.zone_proxy_listeners:
        for listener in dataplane.listeners:
            if not section or listener.section_name == section:
                return listener.listener
    return None


def _origin_by_matches(rule: ResourceRule) -> dict[str, Resource]:
    """`OriginByMatches`: for each route rule's matches, the policy whose entry set it
    last (entries are merged in order, so a later one wins)."""
    out: dict[str, Resource] = {}
    for origin in rule.origins:
        items = origin.policy.to
        if origin.index >= len(items):
            continue
        conf = items[origin.index].conf
        for route_rule in conf.get("rules", []) if isinstance(conf, Mapping) else []:
            if isinstance(route_rule, Mapping):
                out[hash_matches(route_rule.get("matches"))] = origin.policy.resource
    return out


_TOP_LEVEL_BODY = frozenset({"Mesh", "Dataplane", "MeshGateway"})
"""Kinds whose REST form holds the body at the top level (no `spec`)."""


def _kubernetes_form(resource: Resource) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": resource.display_name}
    if resource.namespace:
        metadata["namespace"] = resource.namespace
    metadata["labels"] = dict(sorted(resource.labels.items()))
    out: dict[str, Any] = {"apiVersion": "kuma.io/v1alpha1", "kind": resource.type}
    if resource.mesh and resource.type in _TOP_LEVEL_BODY:
        out["mesh"] = resource.mesh
    out["metadata"] = metadata
    out["spec"] = dict(resource.spec)
    return out


def _proxy_has_tags(dataplane: Dataplane, selector: Mapping[str, str]) -> bool:
    """`Dataplane.Matches(selector)`: a gateway's tags or any inbound's carry them all."""
    groups = [i.tags for i in dataplane.inbounds]
    if dataplane.is_gateway:
        groups.append(dataplane.gateway_tags)
    return any(tag_selector_matches(selector, group) for group in groups)


def _service_selects(service: Resource, dataplane: Dataplane) -> bool:
    """`meshservice.MatchesDataplane`: by `dataplaneRef` name, else by `dataplaneTags`
    (an inbound, or a gateway, carrying them all)."""
    selector = service.spec.get("selector")
    selector = selector if isinstance(selector, Mapping) else {}
    ref = selector.get("dataplaneRef")
    if isinstance(ref, Mapping):
        return bool(ref.get("name")) and ref.get("name") == dataplane.resource.name
    tags = selector.get("dataplaneTags")
    if not isinstance(tags, Mapping):
        return False
    return _proxy_has_tags(dataplane, {str(k): str(v) for k, v in tags.items()})


def _mesh_services_mode(index: MeshIndex) -> str:
    if index.mesh is None:
        return ""
    mode = index.mesh.spec.get("meshServices")
    return str(mode.get("mode", "")) if isinstance(mode, Mapping) else ""


def exit_status(status: int) -> int:
    """`meshtui inspect api`'s exit status: 0 for 2xx, 3 for 404, 4 for another 4xx, 5 else."""
    if 200 <= status < 300:
        return 0
    if status == 404:
        return 3
    if 400 <= status < 500:
        return 4
    return 5
