"""What the Kuma and Kong Mesh Helm charts put on a cluster, as far as meshtui reads it.

The control plane's Deployment and Service as `deployments/charts/kuma/templates/
cp-deployment.yaml` and `cp-service.yaml` render them (spec §8, V1-V3): names, the
labels on both (`app`, `app.kubernetes.io/*`, `helm.sh/chart`), the `control-plane`
container with its `kuma-cp` image and the environment `kuma.defaultEnv` sets. Kong
Mesh's chart (V5) renames them `kong-mesh-*` and runs `kong/kuma-cp:<Kong Mesh version>`.
Upsert the objects into a `FakeKubeAPI` serving `DEPLOYMENTS` and `SERVICES`.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.fakekube.protocol import Obj

API_PORT = 5681


def control_plane(
    version: str = "2.14.3",
    *,
    product: str = "kuma",
    namespace: str | None = None,
    image: str | None = None,
    tag: str | None = None,
    labels: Mapping[str, str | None] | None = None,
    env: Mapping[str, str | None] | None = None,
    mode: str = "zone",
    zone: str | None = None,
) -> tuple[Obj, Obj]:
    """The control plane's (Deployment, Service) as the chart of `product` (`kuma` or
    `kong-mesh`) at `version` renders them.

    Args:
        namespace: The release namespace (default `kuma-system` / `kong-mesh-system`).
        image: The whole image reference, instead of the chart's.
        tag: The image tag, instead of `version` (`controlPlane.image.tag`).
        labels: Labels to add, or to drop (None) from the chart's.
        env: Environment entries to add, or to drop (None) from the chart's.
    """
    name = f"{product}-control-plane"
    namespace = namespace or f"{product}-system"
    registry = "docker.io/kong" if product == "kong-mesh" else "docker.io/kumahq"
    chart_labels: dict[str, str | None] = {
        "app": name,
        "app.kubernetes.io/name": product,
        "app.kubernetes.io/instance": product,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": f"{product}-{version}",
        **(labels or {}),
    }
    meta_labels = {k: v for k, v in chart_labels.items() if v is not None}
    variables: dict[str, str | None] = {
        "KUMA_ENVIRONMENT": "kubernetes",
        "KUMA_STORE_TYPE": "kubernetes",
        "KUMA_STORE_KUBERNETES_SYSTEM_NAMESPACE": namespace,
        "KUMA_RUNTIME_KUBERNETES_CONTROL_PLANE_SERVICE_NAME": name,
        "KUMA_API_SERVER_READ_ONLY": "true",
        "KUMA_RUNTIME_KUBERNETES_INJECTOR_SIDECAR_CONTAINER_IMAGE": (
            f"{registry}/kuma-dp:{tag or version}"
        ),
        "KUMA_DEFAULTS_SKIP_MESH_CREATION": "false",
        "KUMA_MODE": mode,
        **({"KUMA_MULTIZONE_ZONE_NAME": zone} if zone else {}),
        **(env or {}),
    }
    container = {
        "name": "control-plane",
        "image": image or f"{registry}/kuma-cp:{tag or version}",
        "imagePullPolicy": "IfNotPresent",
        "env": [
            *({"name": k, "value": v} for k, v in variables.items() if v is not None),
            {
                "name": "KUMA_INTER_CP_CATALOG_INSTANCE_ADDRESS",
                "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
            },
        ],
        "args": [
            "run",
            "--log-level=info",
            "--config-file=/etc/kuma.io/kuma-control-plane/config.yaml",
        ],
        "ports": [{"containerPort": API_PORT}, {"containerPort": 5678}],
    }
    deployment: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": meta_labels},
        "spec": {
            "replicas": 1,
            "selector": {
                "matchLabels": {"app.kubernetes.io/name": product, "app": name},
            },
            "template": {
                "metadata": {"labels": meta_labels},
                "spec": {"serviceAccountName": name, "containers": [container]},
            },
        },
    }
    service: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": meta_labels},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": product, "app": name},
            "ports": [
                {"name": "http-api-server", "port": API_PORT, "protocol": "TCP"},
                {"name": "https-api-server", "port": 5682, "protocol": "TCP"},
            ],
        },
    }
    return deployment, service
