"""Kubernetes API wire conventions: Status errors, URL paths, query parameters, discovery.

Owns everything about *how* the apiserver speaks that does not depend on the
stored objects: the `kind: Status` error bodies, the URL layout of collections
and items, parsing of query parameters (Go `ParseBool` semantics), and the
discovery documents. Pure functions; no aiohttp, no state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakekube.resources import ResourceType

Obj = dict[str, Any]
"""A JSON object as decoded: a Kubernetes object, a list, a Status."""

NOT_FOUND_MESSAGE = "the server could not find the requested resource"

SERVER_VERSION: Obj = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-fakekube",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


class ApiError(Exception):
    """An error the apiserver reports as a `kind: Status` body with an HTTP code."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Obj | None = None,
        metadata: Obj | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.metadata = metadata

    @property
    def retry_after(self) -> int:
        """`details.retryAfterSeconds`, which the apiserver also sends as a `Retry-After`
        header whatever the code (0: none)."""
        seconds = (self.details or {}).get("retryAfterSeconds", 0)
        return seconds if isinstance(seconds, int) else 0

    def status(self) -> Obj:
        """The `Status` object, as sent in an error response or an ERROR watch event."""
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": dict(self.metadata or {}),
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found_resource() -> ApiError:
    """An unknown path, or a resource type that is not installed."""
    return ApiError(404, "NotFound", NOT_FOUND_MESSAGE, details={})


def bad_request(message: str) -> ApiError:
    """A malformed query parameter."""
    return ApiError(400, "BadRequest", message)


def expired(message: str) -> ApiError:
    """410 Gone: a resourceVersion or continue token that history no longer covers."""
    return ApiError(410, "Expired", message)


# ---------------------------------------------------------------------------------------
# URL paths


@dataclass(frozen=True, slots=True)
class DiscoveryPath:
    """`/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}` or `/apis/{group}/{version}`."""

    doc: str
    """One of `health`, `version`, `api`, `apis`, `group`, `resources`."""
    group: str = ""
    version: str = ""


@dataclass(frozen=True, slots=True)
class ResourcePath:
    """A collection (`name` is None) or an item, optionally inside a namespace."""

    group: str
    version: str
    plural: str
    namespace: str | None
    name: str | None
    subresource: str | None = None
    """`proxy` in `/namespaces/{ns}/services/{name}/proxy/...` (the only one served)."""
    subpath: str = ""
    """What follows the subresource, e.g. `meshes/default` (without the leading slash)."""


def parse_path(path: str) -> DiscoveryPath | ResourcePath | None:
    """Split a request path into what it addresses; None for anything else (a 404)."""
    parts = [p for p in path.split("/") if p]
    match parts:
        case ["healthz" | "readyz" | "livez"]:
            return DiscoveryPath("health")
        case ["version"]:
            return DiscoveryPath("version")
        case ["api"]:
            return DiscoveryPath("api")
        case ["api", version]:
            return DiscoveryPath("resources", "", version)
        case ["apis"]:
            return DiscoveryPath("apis")
        case ["apis", group]:
            return DiscoveryPath("group", group)
        case ["apis", group, version]:
            return DiscoveryPath("resources", group, version)
        case ["api", version, *rest]:
            return _resource_path("", version, rest)
        case ["apis", group, version, *rest]:
            return _resource_path(group, version, rest)
    return None


def _resource_path(group: str, version: str, rest: list[str]) -> ResourcePath | None:
    match rest:
        case [plural]:
            return ResourcePath(group, version, plural, None, None)
        case [plural, name]:
            return ResourcePath(group, version, plural, None, name)
        case ["namespaces", namespace, plural]:
            return ResourcePath(group, version, plural, namespace, None)
        case ["namespaces", namespace, plural, name]:
            return ResourcePath(group, version, plural, namespace, name)
        case ["namespaces", namespace, plural, name, subresource, *rest]:
            subpath = "/".join(rest)
            return ResourcePath(group, version, plural, namespace, name, subresource, subpath)
    return None


def service_target(target: str) -> tuple[str, str]:
    """`[scheme:]name[:port]` of a service proxy URL as (name, port); port `""` when none."""
    parts = target.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2 and parts[0] in ("http", "https"):
        return parts[1], ""
    if len(parts) == 2:
        return parts[0], parts[1]
    return target, ""


# ---------------------------------------------------------------------------------------
# Query parameters

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def query_bool(query: Mapping[str, str], name: str) -> bool:
    """A boolean parameter as Go's `strconv.ParseBool` reads it (`true`, `True`, `1`...)."""
    value = query.get(name)
    if value is None or value == "":
        return False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise bad_request(f'invalid value for {name}: "{value}" is not a boolean')


def query_int(query: Mapping[str, str], name: str) -> int | None:
    """A non-negative integer parameter, or None when absent."""
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f'invalid value for {name}: "{value}" is not an integer') from None
    if number < 0:
        raise bad_request(f"invalid value for {name}: must be non-negative")
    return number


def parse_resource_version(value: str | None) -> int | None:
    """`resourceVersion`: None when unset or "0" (any version), else the integer."""
    if value is None or value in ("", "0"):
        return None
    try:
        rv = int(value)
    except ValueError:
        raise bad_request(f'invalid resource version: "{value}"') from None
    if rv < 0:
        raise bad_request(f'invalid resource version: "{value}"')
    return rv


# ---------------------------------------------------------------------------------------
# Discovery documents


def api_versions(server_address: str) -> Obj:
    """`GET /api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_entry(group: str, versions: Iterable[str]) -> Obj:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in sorted(set(versions))]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(served: Iterable[ResourceType]) -> Obj:
    """`GET /apis`: every non-core group with at least one served type."""
    by_group: dict[str, set[str]] = {}
    for rt in served:
        if rt.group:
            by_group.setdefault(rt.group, set()).add(rt.version)
    groups = [_group_entry(g, vs) for g, vs in sorted(by_group.items())]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str, served: Iterable[ResourceType]) -> Obj:
    """`GET /apis/{group}`; 404 when the group has no served type."""
    versions = {rt.version for rt in served if rt.group == group and group}
    if not versions:
        raise not_found_resource()
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def api_resource_list(group: str, version: str, served: Iterable[ResourceType]) -> Obj:
    """`GET /api/v1` or `GET /apis/{group}/{version}`; 404 when nothing is served there."""
    types = [rt for rt in served if rt.group == group and rt.version == version]
    if not types and group:
        raise not_found_resource()
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            entry
            for rt in sorted(types, key=lambda t: t.plural)
            for entry in rt.discovery_entries()
        ],
    }


def forbidden(
    rt: ResourceType,
    verb: str,
    namespace: str | None,
    user: str,
    *,
    name: str | None = None,
    subresource: str | None = None,
) -> ApiError:
    """403 as RBAC words it (`services "x" is forbidden: ... resource "services/proxy"`)."""
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    what = f'{rt.qualified} "{name}"' if name else rt.qualified
    resource = f"{rt.plural}/{subresource}" if subresource else rt.plural
    message = (
        f'{what} is forbidden: User "{user}" cannot {verb} resource '
        f'"{resource}" in API group "{rt.group}" {scope}'
    )
    details: Obj = {"group": rt.group, "kind": rt.plural}
    if name:
        details["name"] = name
    return ApiError(403, "Forbidden", message, details=details)


def service_unavailable(message: str) -> ApiError:
    """503 from the apiserver's service proxy (no endpoints, the backend unreachable)."""
    return ApiError(503, "ServiceUnavailable", message, details={})


def method_not_allowed() -> ApiError:
    """405: the fake is read-only, whatever discovery advertises."""
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        details={},
    )


def unauthorized() -> ApiError:
    """401: missing or wrong bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")
