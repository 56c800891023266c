"""What a control plane writes about the proxies and zones it serves, as Kuma's Kubernetes
store keeps it (spec §8, V4): a DataplaneInsight (namespaced, beside its Dataplane, the
subscriptions under `status`) and a ZoneInsight (cluster-scoped, on a global control
plane, the subscriptions under `spec`). Each subscription is one connection of the proxy
(or zone) to a control plane instance, oldest first, with the versions the proxy (or zone
control plane) reported; only the last one is still connected.

Upsert the objects into a `FakeKubeAPI` serving `DATAPLANE_INSIGHTS` / `ZONE_INSIGHTS`.
"""

from __future__ import annotations

from tests.fakekube.protocol import Obj

API_VERSION = "kuma.io/v1alpha1"


def dataplane_insight(
    name: str, namespace: str, *kuma_dp: str | None, mesh: str = "default"
) -> Obj:
    """The DataplaneInsight of proxy `name` with one subscription per `kuma_dp` version,
    oldest first (None: a subscription whose proxy reported no version)."""
    subscriptions = [
        _subscription(i, len(kuma_dp), "kumaDp", version, envoy="1.34.1")
        for i, version in enumerate(kuma_dp)
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "DataplaneInsight",
        "mesh": mesh,
        "metadata": {"name": name, "namespace": namespace},
        "status": {"subscriptions": subscriptions, "metadata": {"features": []}},
    }


def zone_insight(zone: str, *kuma_cp: str | None) -> Obj:
    """The ZoneInsight of `zone` on a global control plane, with one subscription per
    `kuma_cp` version the zone's control plane reported, oldest first."""
    subscriptions = [
        _subscription(i, len(kuma_cp), "kumaCp", version) for i, version in enumerate(kuma_cp)
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": "ZoneInsight",
        "metadata": {"name": zone},
        "spec": {"subscriptions": subscriptions},
    }


def _subscription(
    index: int, count: int, component: str, version: str | None, envoy: str | None = None
) -> Obj:
    connected = f"2025-06-0{index + 1}T10:00:00Z"
    versions: Obj = {}
    if version is not None:
        versions[component] = {
            "version": version,
            "gitTag": version,
            "gitCommit": "8d5c1ff6c5a1a3fa3c4a4a4e1a7a4f5b6c7d8e9f",
            "buildDate": "2025-05-20T08:00:00Z",
        }
        if envoy is not None:
            versions["envoy"] = {"version": envoy, "build": "hash/1.34.1/RELEASE"}
    subscription: Obj = {
        "id": f"5c0f8c4e-0000-4000-8000-00000000000{index}",
        "controlPlaneInstanceId": "kuma-control-plane-7d9f8-abcde-1a2b",
        "connectTime": connected,
        "status": {"lastUpdateTime": connected, "total": {"responsesSent": "3"}},
        "version": versions,
        "generation": 3,
    }
    if index < count - 1:
        subscription["disconnectTime"] = f"2025-06-0{index + 1}T11:00:00Z"
    return subscription
