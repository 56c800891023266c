"""A protocol-faithful fake Kubernetes API server for tests (read-only, over real HTTP).

The official `kubernetes` client talks to it through a kubeconfig it writes, so
list/watch code is tested exactly as it runs against a cluster: global
resourceVersions, history replay, 410 Expired, bookmarks, paging, selectors,
clean disconnects and TCP resets, requests held without an answer, etcd restored
from a backup (versions going back), 403/404 per resource, and a request log.

Served on request: apps/v1 Deployments and v1 Services (with the service proxy to a
backend such as `FakeControlPlane`), the `kuma.io` kinds of later Kuma lines, the
legacy selector-based policies, DataplaneInsights and ZoneInsights, and any
`ResourceType` given.

    with FakeKubeAPI.from_folder("sample-cluster") as fake:
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
        ...
        fake.upsert({...}); fake.compact(); fake.abort_watches()

Standalone: `python -m tests.fakekube serve FOLDER --kubeconfig PATH`.
"""

from tests.fakekube.cluster import RequestRecord
from tests.fakekube.controlplane import FakeControlPlane
from tests.fakekube.resources import (
    DATAPLANE_INSIGHTS,
    DEFAULT_RESOURCES,
    DEPLOYMENTS,
    KUMA_RESOURCES,
    LEGACY_KUMA_RESOURCES,
    NAMESPACES,
    SERVICES,
    ZONE_INSIGHTS,
    ResourceType,
    kuma_resources,
)
from tests.fakekube.server import FakeKubeAPI

__all__ = [
    "DATAPLANE_INSIGHTS",
    "DEFAULT_RESOURCES",
    "DEPLOYMENTS",
    "KUMA_RESOURCES",
    "LEGACY_KUMA_RESOURCES",
    "NAMESPACES",
    "SERVICES",
    "ZONE_INSIGHTS",
    "FakeControlPlane",
    "FakeKubeAPI",
    "RequestRecord",
    "ResourceType",
    "kuma_resources",
]
