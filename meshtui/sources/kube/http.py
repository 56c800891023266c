"""One GET with the session's client, answered as raw bytes whatever its status.

For reads outside list+watch (control-plane detection, the control plane's API through
the service proxy): no client model classes, no exception for an HTTP error status (the
caller decides what a 403 or 404 means there); a network failure still raises
urllib3's error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from kubernetes.client import ApiClient


@dataclass(frozen=True, slots=True)
class Answer:
    """What the API server answered."""

    status: int
    reason: str
    data: bytes

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300

    def json(self) -> object:
        """The body as JSON; None when it is not JSON."""
        try:
            return cast(object, json.loads(self.data))
        except ValueError:
            return None


def get(
    api: ApiClient,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    timeout: tuple[float, float],
) -> Answer:
    """`GET path` (already quoted, from the server's root) with the client's credentials."""
    serialize = cast(Callable[..., tuple[Any, ...]], api.param_serialize)
    method, url, headers, _, _ = serialize(
        method="GET",
        resource_path=path,
        query_params=list(query) or None,
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    call = cast(Callable[..., Any], api.call_api)
    response = call(method, url, header_params=headers, _request_timeout=timeout)
    try:
        data = response.read()
    finally:
        response.response.release_conn()
    return Answer(int(response.status), str(response.reason or ""), bytes(data or b""))
