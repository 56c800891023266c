"""Reading what tells the control plane's version and settings (spec §8), GET only.

The control-plane Deployment is looked for where the charts put it (`kuma-system/
kuma-control-plane`, then `kong-mesh-system/kong-mesh-control-plane`), then by the
charts' `app` label across every namespace the user may list. When none can be read or
neither its image nor its labels name a version, the fallbacks are read in order until
one names a version (`meshtui.sources.detection` says how far each is trusted):

1. the control plane's index through the service proxy (`AskIndex`, given by the
   session; none when the control plane's API may not be asked, `--no-cp-check`): at
   the Service the Deployment names (its own namespace and name when it names none),
   else at the charts' Services, the next one asked only when the one before does not
   exist (404);
2. one page of DataplaneInsights across every namespace (the Kubernetes API, not the
   control plane's);
3. one page of ZoneInsights (a global control plane's);

and the `kuma.io` kinds the cluster serves give a lower bound. Each fallback's failure
(403, 404, no answer, not JSON, no version) is one clause of the `Detection`'s sentence,
never an exception; each request has the discovery timeouts.
`meshtui.sources.detection` makes a `Detection` of what was read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

from kubernetes.client import ApiClient

from meshtui.sources.detection import (
    APP_LABELS,
    INDEX,
    INSIGHTS,
    KUMA,
    WELL_KNOWN,
    Detection,
    InsightKind,
    Reading,
    from_deployment,
    from_index,
    from_insights,
    without_deployment,
)
from meshtui.sources.kube import http
from meshtui.sources.kube.errors import NETWORK, describe
from meshtui.sources.kube.kinds import KUMA_GROUP, KUMA_VERSION
from meshtui.sources.kube.tuning import KubeTuning

Timeout = tuple[float, float]

DEPLOYMENTS = "/apis/apps/v1"
SELECTOR = f"app in ({','.join(APP_LABELS)})"


class Unanswered(Exception):
    """The API server did not let us read anything yet (401): try again later."""


class IndexAnswer(Protocol):
    """The control plane's index as `ControlPlaneClient.index` reads it (`CpIndex`)."""

    @property
    def product(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def based_on_kuma(self) -> str: ...
    @property
    def problem(self) -> str:
        """One line when the index could not be read."""
        ...

    @property
    def status(self) -> int:
        """The HTTP status (404: no such Service)."""
        ...


AskIndex = Callable[[str, str], tuple[str, IndexAnswer]]
"""Reads the index of the control plane behind the Service (namespace, name): where it
asked (`kuma-system/kuma-control-plane:5681`) and what it read; never raises."""


def detect(api: ApiClient, tuning: KubeTuning, ask_index: AskIndex | None = None) -> Detection:
    """What the cluster says about its control plane.

    Raises urllib3's errors when the cluster cannot be reached and `Unanswered` on 401
    while looking for the Deployment or reading the served kinds, for the caller to
    retry; every other answer (403, 404, no Deployment), and every failure of a
    fallback, is said in the `Detection`.

    Args:
        api: The session's client.
        tuning: Its timeouts (`discovery_timeout` caps each read).
        ask_index: Reads the control plane's index; None: its API may not be asked.
    """
    timeout = (tuning.connect_timeout, min(tuning.read_timeout, tuning.discovery_timeout))
    found, problem, note = _find(api, timeout)
    first = from_deployment(found, None, note) if found is not None else None
    if first is not None and first.version is not None:
        return first
    fallbacks = _fallbacks(api, timeout, tuning.page_size, first, ask_index)
    named = fallbacks[-1] if fallbacks[-1].version is not None else None
    served = None if named is not None and named.evidence == INDEX else _served(api, timeout)
    if found is None:
        return without_deployment(problem, served, fallbacks)
    return from_deployment(found, served, note, fallbacks)


def _fallbacks(
    api: ApiClient,
    timeout: Timeout,
    page: int,
    first: Detection | None,
    ask_index: AskIndex | None,
) -> list[Reading]:
    """What each fallback read, in order, up to the first that names a version."""
    product = first.product if first is not None else KUMA
    readings: list[Reading] = []
    if ask_index is not None:
        readings.append(_index(ask_index, first))
    else:
        problem = "the control plane's API is not asked (--no-cp-check)"
        readings.append(Reading(INDEX, problem=problem))
    for kind in INSIGHTS:
        if readings[-1].version is not None:
            break
        readings.append(_insights(api, timeout, page, kind, product))
    return readings


def _index(ask_index: AskIndex, first: Detection | None) -> Reading:
    """The control plane's index at the Service the Deployment names, else at each of
    the charts' Services until one exists (a Service that is not there is said only when
    no other answered, as a Deployment that is not there)."""
    if first is not None:
        namespace, _, name = first.deployment.partition("/")
        places = [(first.system_namespace or namespace, first.service or name)]
    else:
        places = list(WELL_KNOWN)
    problems: list[str] = []
    for namespace, service in places:
        where, index = ask_index(namespace, service)
        if not index.problem:
            return from_index(
                (namespace, service), where, index.product, index.version, index.based_on_kuma
            )
        problems.append(index.problem)
        if index.status != 404:
            break
    head = "cannot reach the control plane's API: "
    rest = [p.removeprefix(head) for p in problems[1:]] if problems[0].startswith(head) else []
    problem = ", ".join([problems[0], *rest]) if rest else "; ".join(problems)
    return Reading(INDEX, problem=problem)


def _insights(
    api: ApiClient, timeout: Timeout, page: int, kind: InsightKind, product: str
) -> Reading:
    """One page of `kind` across every namespace, and the version it names."""
    path = f"/apis/{KUMA_GROUP}/{KUMA_VERSION}/{kind.plural}"
    try:
        answer = http.get(api, path, query=[("limit", str(page))], timeout=timeout)
    except NETWORK as err:
        return Reading(kind.name, problem=f"cannot list {kind.name}: {describe(err)}")
    body = answer.json()
    if answer.status == 404:
        return Reading(kind.name, problem=f"{kind.name} are not served (404)")
    if not answer.ok:
        return Reading(kind.name, problem=f"could not list {kind.name} ({answer.status})")
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        problem = f"{kind.name} answered no list ({answer.status})"
        return Reading(kind.name, problem=problem)
    meta = body.get("metadata") if isinstance(body, dict) else None
    more = isinstance(meta, dict) and bool(meta.get("continue"))
    return from_insights(kind, items, product, more=more)


def _find(api: ApiClient, timeout: Timeout) -> tuple[Mapping[str, Any] | None, str, str]:
    """The Deployment, or why there is none; and a note when several were found."""
    refused: list[int] = []
    for namespace, name in WELL_KNOWN:
        path = f"{DEPLOYMENTS}/namespaces/{quote(namespace)}/deployments/{quote(name)}"
        answer = _get(api, path, timeout)
        body = answer.json()
        if answer.ok and isinstance(body, dict):
            return body, "", ""
        if answer.status != 404:
            refused.append(answer.status)
    listed = _get(api, f"{DEPLOYMENTS}/deployments", timeout, ("labelSelector", SELECTOR))
    body = listed.json()
    items = body.get("items") if listed.ok and isinstance(body, dict) else None
    if isinstance(items, list):
        found = sorted(
            (i for i in items if isinstance(i, dict)),
            key=lambda i: (i.get("metadata", {}).get("namespace", ""), _name(i)),
        )
        if not found:
            return None, "no Kuma or Kong Mesh control-plane Deployment found", ""
        note = f"{len(found)} control planes found, read {_where(found[0])}" if found[1:] else ""
        return found[0], "", note
    if refused and listed.status in (401, 403) and set(refused) <= {401, 403}:
        return None, f"could not read Deployments ({listed.status})", ""
    places = " or ".join(namespace for namespace, _ in WELL_KNOWN)
    why = f"cannot list them elsewhere ({listed.status})"
    return None, f"no control-plane Deployment in {places}; {why}", ""


def _served(api: ApiClient, timeout: Timeout) -> frozenset[str] | None:
    """The `kuma.io/v1alpha1` plurals served (empty: Kuma is not installed); None when
    discovery did not answer."""
    answer = _get(api, f"/apis/{KUMA_GROUP}/{KUMA_VERSION}", timeout)
    body = answer.json()
    if answer.status == 404:
        return frozenset()
    if not answer.ok or not isinstance(body, dict):
        return None
    resources = body.get("resources") or ()
    return frozenset(str(r.get("name")) for r in resources if isinstance(r, dict))


def _get(api: ApiClient, path: str, timeout: Timeout, *query: tuple[str, str]) -> http.Answer:
    answer = http.get(api, path, query=query, timeout=timeout)
    if answer.status == 401:
        raise Unanswered(f"{answer.status} {answer.reason}".strip())
    return answer


def _name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def _where(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    namespace = str(meta.get("namespace") or "") if isinstance(meta, dict) else ""
    return f"{namespace}/{_name(obj)}"
