"""The Kuma control plane's own API, read through the Kubernetes API server's service proxy.

`GET /api/v1/namespaces/<system ns>/services/<cp service>:5681/proxy/<path>` with the
kubeconfig's credentials (RBAC: `get` on `services/proxy`), GET only. The control
plane's answers come back as they are (its status and JSON body, Kuma's error bodies
included); when it cannot be asked (the proxy forbidden, no such Service, no endpoints,
the control plane or the cluster unreachable) the answer carries one quiet line saying
so, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self, TypeGuard
from urllib.parse import parse_qsl, quote

from kubernetes.client import ApiClient, Configuration

from meshtui.sources.kube import http
from meshtui.sources.kube.config import close
from meshtui.sources.kube.errors import NETWORK, describe
from meshtui.versions import KumaVersion

API_PORT = 5681
"""The control plane's HTTP API port (`cp-service.yaml`: `http-api-server`)."""


@dataclass(frozen=True, slots=True)
class CpAnswer:
    """The control plane's answer to one GET, or why there is none."""

    status: int
    """The HTTP status: the control plane's, or the API server's when it answered for
    itself (403, 404, 503 ...); 0 when nothing answered."""
    body: object = field(hash=False)
    """The JSON body (Kuma's `/std-errors` body on an error); None when there is none."""
    problem: str = ""
    """One line when the control plane could not be asked or gave no JSON; `""` when
    `status` and `body` are its own."""

    @property
    def ok(self) -> bool:
        """The control plane answered with a 2xx and JSON."""
        return not self.problem and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class CpIndex:
    """The control plane's index (`GET /`, `pkg/api-server/index_endpoints.go`)."""

    product: str = ""
    """`Kuma`, `Kong Mesh`, ..."""
    version: str = ""
    """The product's version."""
    based_on_kuma: str = ""
    """The Kuma version a product built on Kuma is based on (`""` for Kuma itself)."""
    problem: str = ""
    """One line when the index could not be read (the other fields are then empty)."""
    status: int = 0
    """The HTTP status of the answer (`CpAnswer.status`; 404: no such Service)."""

    @property
    def kuma_version(self) -> KumaVersion | None:
        """The Kuma version it runs: `basedOnKuma`, else Kuma's own `version`."""
        return KumaVersion.parse(self.based_on_kuma or self.version)


class ControlPlaneClient:
    """GETs to one control plane's API through the service proxy; close it when done.

    Safe to use from several threads (one connection pool).
    """

    def __init__(
        self,
        configuration: Configuration,
        namespace: str,
        service: str,
        *,
        port: int = API_PORT,
        timeout: tuple[float, float] = (5.0, 10.0),
    ) -> None:
        """Args:
        configuration: The cluster's client configuration (credentials, server).
        namespace: Kuma's system namespace, where the control plane's Service is.
        service: The control plane's Service name.
        port: The Service port of the control plane's HTTP API.
        timeout: Connect and read timeouts of each request.
        """
        self._api = ApiClient(configuration=configuration)
        self._base = (
            f"/api/v1/namespaces/{quote(namespace, safe='')}"
            f"/services/{quote(service, safe='')}:{port}/proxy"
        )
        self._timeout = timeout
        self.where = f"{namespace}/{service}:{port}"
        """`kuma-system/kuma-control-plane:5681`, for messages."""

    def index(self) -> CpIndex:
        """The product and version the control plane reports."""
        answer = self.get("/")
        body = answer.body
        if answer.problem:
            return CpIndex(problem=answer.problem, status=answer.status)
        if not answer.ok or not isinstance(body, Mapping):
            problem = f"the control plane's index answered {answer.status}"
            return CpIndex(problem=problem, status=answer.status)
        return CpIndex(
            product=str(body.get("product") or ""),
            version=str(body.get("version") or ""),
            based_on_kuma=str(body.get("basedOnKuma") or ""),
            status=answer.status,
        )

    def get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> CpAnswer:
        """`GET path` on the control plane's API, e.g.
        `/meshes/default/dataplanes/dp-1/_rules` (a query may be part of `path` or given
        as pairs)."""
        bare, _, raw_query = path.partition("?")
        pairs = [*parse_qsl(raw_query, keep_blank_values=True), *query]
        segments = "/".join(quote(part, safe="") for part in bare.strip("/").split("/") if part)
        try:
            answer = http.get(
                self._api, f"{self._base}/{segments}", query=pairs, timeout=self._timeout
            )
        except NETWORK as err:
            return CpAnswer(0, None, f"cannot reach the control plane's API: {describe(err)}")
        body = answer.json()
        if _is_api_server_status(body):
            return CpAnswer(answer.status, body, self._refused(answer, body))
        if body is None and answer.data.strip():
            problem = f"the control plane's answer to {bare or '/'} is not JSON ({answer.status})"
            return CpAnswer(answer.status, None, problem)
        return CpAnswer(answer.status, body)

    def close(self) -> None:
        """Close the connection pool."""
        close(self._api)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _refused(self, answer: http.Answer, status: Mapping[str, object]) -> str:
        """The API server's own refusal in one line."""
        message = " ".join(str(status.get("message") or answer.reason).split())
        head = "cannot reach the control plane's API"
        if answer.status == 403:
            return f"{head}: no permission to proxy to {self.where} (403)"
        if answer.status == 404:
            return f"{head}: no Service {self.where} (404)"
        return f"{head}: {message} ({answer.status})"


def _is_api_server_status(body: object) -> TypeGuard[Mapping[str, object]]:
    """A `kind: Status` body: the API server (or its proxy) speaking, not the control plane."""
    return isinstance(body, Mapping) and body.get("kind") == "Status" and "code" in body
