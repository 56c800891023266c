"""Reading what tells the control plane's version and settings (spec §8), GET only.

The control-plane Deployment is looked for where the charts put it (`kuma-system/
kuma-control-plane`, then `kong-mesh-system/kong-mesh-control-plane`), then by the
charts' `app` label across every namespace the user may list. When neither its image
nor its labels name a version, the `kuma.io` kinds the cluster serves give a lower
bound. `meshtui.sources.detection` makes a `Detection` of what was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient

from meshtui.sources.detection import (
    APP_LABELS,
    WELL_KNOWN,
    Detection,
    from_deployment,
    without_deployment,
)
from meshtui.sources.kube import http
from meshtui.sources.kube.kinds import KUMA_GROUP, KUMA_VERSION
from meshtui.sources.kube.tuning import KubeTuning

Timeout = tuple[float, float]

DEPLOYMENTS = "/apis/apps/v1"
SELECTOR = f"app in ({','.join(APP_LABELS)})"


class Unanswered(Exception):
    """The API server did not let us read anything yet (401): try again later."""


def detect(api: ApiClient, tuning: KubeTuning) -> Detection:
    """What the cluster says about its control plane.

    Raises urllib3's errors when the cluster cannot be reached and `Unanswered` on 401,
    for the caller to retry; every other answer (403, 404, no Deployment) is said in
    the `Detection`.
    """
    timeout = (tuning.connect_timeout, min(tuning.read_timeout, tuning.discovery_timeout))
    found, problem, note = _find(api, timeout)
    if found is None:
        return without_deployment(problem, _served(api, timeout))
    detection = from_deployment(found, None, note)
    if detection.version is None:
        detection = from_deployment(found, _served(api, timeout), note)
    return detection


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
