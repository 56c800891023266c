"""A deterministic generator of large, realistic synthetic Kuma 2.10 meshes in Kubernetes form.

The output is what `kubectl get <kind> -o yaml` on the Kubernetes cluster of a Kuma 2.10
**zone** control plane (zone `zone-1`, system namespace `kuma-system`) would give for one
federated mesh `default`, noise dropped as in `sample-cluster/` (see its README for the
conventions): labels are the ones Kuma's webhook, converters and KDS set.

What a zone CP stores, and therefore what is generated:

* the Mesh (created on global, so `kuma.io/origin: global`) and the Namespaces;
* `N` Dataplanes of the **local** zone, one per pod, in `M` namespaces `ns-000`...: pods of
  Deployments behind a Service (one inbound per Service port, tagged
  `kuma.io/service: <svc>_<ns>_svc_<port>`, `app`, `version`, `pod-template-hash`,
  `k8s.kuma.io/*`, `kuma.io/protocol`, `kuma.io/zone`), some canary (`version: v2`) pods, a few
  NotReady inbounds, a few service-less pods (port 49151) and a few delegated gateways.
  A zone CP never stores the Dataplanes of other zones, so the other `Z - 1` zones show up the
  way KDS brings them: synced MeshService copies and producer-policy copies in `kuma-system`
  under hashed names, still labelled with their zone and origin namespace, and with
  `kuma.io/origin: global` (the global CP stamps everything it sends down to a zone; see
  `sample-cluster/README.md`);
* `S` MeshServices (as the k8s MeshService controller generates them, one per Service; about
  10 % per remote zone are synced copies), a few MeshExternalServices (zone-created, in
  `kuma-system`) and MeshMultiZoneServices (global copies grouping a service of all zones);
* `P` policies of all 16 kinds: system ones in `kuma-system` (zone-created, plus the global
  default policies and a few more global copies), producer ones (`to` a MeshService of their
  own namespace by name), consumer ones (`to` MeshServices by labels or in other namespaces,
  MeshExternalServices, MeshMultiZoneServices), workload-owner ones (`from`, `rules`, or the
  single-item kinds), and a few shadow ones. Top-level targetRefs are mostly Mesh (or
  omitted), some Dataplane by labels, some MeshSubset by tags, a few MeshService by legacy
  `kuma.io/service` name and MeshServiceSubset; `from` items include legacy MeshSubset /
  MeshService / MeshServiceSubset entries.

Layout, as a person would keep it: `namespaces.yaml`; `kuma-system/` (mesh, system policies,
global copies, external and multi-zone services, other zones' synced copies); one folder per
namespace with `meshservices.yaml`, `dataplanes-<k>.yaml` (at most 50 documents each) and
`policies.yaml`. A `perf-mesh.json` manifest (not YAML, so not read by meshtui) records the
shape and `GENERATOR_VERSION`; `ensure_mesh` uses it to cache folders.

Everything is drawn from one `random.Random(seed)`: same arguments, same bytes.

    python -m tests.perf.generate OUT --dataplanes 10000 [--namespaces 200] [--zones 2]
        [--services 2000] [--policies 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

GENERATOR_VERSION = 2
"""Bump whenever the output changes: cached folders of another version are regenerated."""

MANIFEST = "perf-mesh.json"
CACHE_ROOT = Path("/tmp/meshtui-perf")
MESH = "default"
LOCAL_ZONE = "zone-1"
SYSTEM_NS = "kuma-system"
DOCS_PER_FILE = 50
SERVICELESS_PORT = 49151
SAFE = "bcdfghjklmnpqrstvwxz2456789"
"""Kubernetes' `rand.SafeEncodeString` alphabet (pod suffixes, hashed names)."""

Obj = dict[str, Any]

# --------------------------------------------------------------------------------------- shape


@dataclass(frozen=True, slots=True)
class Shape:
    """How big a mesh to generate."""

    dataplanes: int
    namespaces: int
    zones: int
    services: int
    policies: int
    seed: int = 1

    @classmethod
    def for_size(cls, dataplanes: int, seed: int = 1) -> Shape:
        """The reference proportions: 10k dataplanes, 200 namespaces, 2k services, 2k policies."""
        return cls.derive(dataplanes, seed=seed)

    @classmethod
    def derive(
        cls,
        dataplanes: int,
        *,
        namespaces: int | None = None,
        zones: int | None = None,
        services: int | None = None,
        policies: int | None = None,
        seed: int = 1,
    ) -> Shape:
        """Fill the counts not given in proportion to `dataplanes`."""
        return cls(
            dataplanes=dataplanes,
            namespaces=namespaces if namespaces is not None else max(2, dataplanes // 50),
            zones=zones if zones is not None else 2,
            services=services if services is not None else max(4, dataplanes // 5),
            policies=policies if policies is not None else max(40, dataplanes // 5),
            seed=seed,
        )

    def check(self) -> None:
        """Reject shapes the generator cannot honour."""
        if self.dataplanes < 1 or self.namespaces < 1 or self.zones < 1:
            raise ValueError("dataplanes, namespaces and zones must be at least 1")
        if self.services < 1:
            raise ValueError("services must be at least 1")
        if self.policies < 24:
            raise ValueError("policies must be at least 24 (16 kinds + global defaults)")


# --------------------------------------------------------------------------------------- model


@dataclass(slots=True)
class Port:
    """One Service port (`name` empty when the port is unnamed)."""

    port: int
    name: str
    protocol: str


@dataclass(slots=True)
class Service:
    """A Kubernetes Service and the MeshService the controller generates from it."""

    name: str
    namespace: str
    ports: list[Port]
    zone: str = LOCAL_ZONE
    versions: tuple[str, ...] = ("v1",)
    replicas: int = 0

    def tag(self, port: Port) -> str:
        """The legacy `kuma.io/service` value of one port."""
        return f"{self.name}_{self.namespace}_svc_{port.port}"

    @property
    def section(self) -> str:
        """A `sectionName` for the first port: its name, or its number."""
        first = self.ports[0]
        return first.name or str(first.port)


@dataclass(slots=True)
class Namespace:
    """An application namespace and what lives in it."""

    name: str
    weight: float
    services: list[Service] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    """`app` label values of the pods (services, service-less workloads, gateways)."""
    dataplanes: list[Obj] = field(default_factory=list)
    policies: list[Obj] = field(default_factory=list)


SERVICE_NAMES = {
    "http": (
        "web", "frontend", "api", "orders", "cart", "catalog", "checkout", "users", "search",
        "reviews", "shipping", "notifications", "billing", "pricing", "profile", "accounts",
        "recommendations", "inventory", "media", "content", "auth", "sessions", "webhooks",
        "admin", "reports", "invoices", "coupons", "wishlist", "ratings", "feeds",
    ),
    "grpc": (
        "payments", "ledger", "fraud", "identity", "geo", "quotes", "risk", "tokens",
        "matching", "ranking", "scoring", "audit",
    ),
    "tcp": ("redis", "postgres", "memcached", "mysql", "kafka-proxy", "mongo", "rabbitmq"),
}  # fmt: skip
TCP_PORTS = {
    "redis": 6379, "postgres": 5432, "memcached": 11211, "mysql": 3306, "kafka-proxy": 9092,
    "mongo": 27017, "rabbitmq": 5672,
}  # fmt: skip
WORKERS = ("worker", "scheduler", "consumer", "batch", "sync", "indexer", "cron-runner")
EXTERNAL_NAMES = (
    "stripe-api", "github-api", "s3", "sendgrid", "twilio", "pagerduty", "slack-webhooks",
    "datadog-intake", "okta", "salesforce", "maps-api", "geoip", "openai-api", "sentry",
)  # fmt: skip

# --------------------------------------------------------------------------------------- helpers


def _safe(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SAFE) for _ in range(n))


def hashed_name(display: str, mesh: str, zone: str, namespace: str) -> str:
    """`<display>-<16 chars>`: the name KDS stores a synced copy under (FNV-64a, safe alphabet)."""
    h = 0xCBF29CE484222325
    for byte in f"{mesh}/{display}/{zone}/{namespace}".encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    digits = f"{h:016x}"
    return f"{display}-" + "".join(SAFE[int(d, 16)] for d in digits)


def _allocate(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), each at least `minimum`."""
    n = len(weights)
    base = [minimum] * n if total >= minimum * n else [0] * n
    rest = total - sum(base)
    scale = sum(weights)
    shares = [rest * w / scale for w in weights]
    out = [b + int(s) for b, s in zip(base, shares, strict=True)]
    order = sorted(range(n), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    names = [w[0] for w in weighted]
    return rng.choices(names, weights=[w[1] for w in weighted])[0]


def _kube_labels(namespace: str, zone: str = LOCAL_ZONE) -> dict[str, str]:
    """Labels of a zone-authored object; another zone's copy arrives via global (origin global)."""
    return {
        "k8s.kuma.io/namespace": namespace,
        "kuma.io/env": "kubernetes",
        "kuma.io/mesh": MESH,
        "kuma.io/origin": "zone" if zone == LOCAL_ZONE else "global",
        "kuma.io/zone": zone,
    }


def _meta(name: str, namespace: str, labels: dict[str, str], display: str = "") -> Obj:
    meta: Obj = {"name": name, "namespace": namespace}
    if display:
        meta["annotations"] = {"kuma.io/display-name": display}
    meta["labels"] = dict(sorted(labels.items()))
    return meta


def _obj(kind: str, meta: Obj, spec: Obj) -> Obj:
    return {"apiVersion": "kuma.io/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


# --------------------------------------------------------------------------------------- the mesh


class _Builder:
    """Draws one mesh. Call order matters: it fixes the random stream."""

    def __init__(self, shape: Shape) -> None:
        shape.check()
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.remote_zones = [f"zone-{i}" for i in range(2, shape.zones + 1)]
        width = max(3, len(str(shape.namespaces - 1)))
        self.namespaces = [
            Namespace(f"ns-{i:0{width}d}", self.rng.uniform(0.4, 1.6))
            for i in range(shape.namespaces)
        ]
        self.remote_services: list[Service] = []
        self.external: list[str] = []
        self.multizone: list[tuple[str, Service]] = []
        self.system_policies: list[Obj] = []
        self.global_policies: list[Obj] = []
        self.remote_policies: dict[str, list[Obj]] = {z: [] for z in self.remote_zones}
        self._pod_names: set[tuple[str, str]] = set()
        self.namespaces_by_name = {ns.name: ns for ns in self.namespaces}
        self._policy_names: set[tuple[str, str, str]] = set()

    # -- services ------------------------------------------------------------------------

    def services(self) -> None:
        shape, rng = self.shape, self.rng
        remote = min(shape.services // 2, round(shape.services * 0.1 * len(self.remote_zones)))
        counts = _allocate(shape.services - remote, [ns.weight for ns in self.namespaces])
        for ns, count in zip(self.namespaces, counts, strict=True):
            used: set[str] = set()
            for _ in range(count):
                kind = _pick(rng, (("http", 70), ("grpc", 17), ("tcp", 8), ("both", 5)))
                pool = SERVICE_NAMES["http" if kind == "both" else kind]
                name = rng.choice(pool)
                suffix = 2
                base = name
                while name in used:
                    name = f"{base}-{suffix}"
                    suffix += 1
                used.add(name)
                if kind == "http":
                    ports = [Port(8080, "http", "http")]
                elif kind == "grpc":
                    ports = [Port(9090, "grpc", "grpc")]
                elif kind == "tcp":
                    ports = [Port(TCP_PORTS[base], "", "tcp")]
                else:
                    ports = [Port(8080, "http", "http"), Port(9090, "grpc", "grpc")]
                versions = ("v1", "v2") if rng.random() < 0.2 else ("v1",)
                ns.services.append(Service(name, ns.name, ports, versions=versions))
                ns.apps.append(name)
        local = [s for ns in self.namespaces for s in ns.services]
        per_zone = remote // max(1, len(self.remote_zones))
        for zi, zone in enumerate(self.remote_zones):
            n = per_zone + (1 if zi < remote - per_zone * len(self.remote_zones) else 0)
            twins = rng.sample(local, min(len(local), n - n // 5))
            for svc in twins:
                self.remote_services.append(
                    Service(svc.name, svc.namespace, svc.ports, zone=zone, versions=svc.versions)
                )
            for i in range(n - len(twins)):
                ns = rng.choice(self.namespaces)
                name = f"{rng.choice(SERVICE_NAMES['http'])}-{zone}-{i}"
                self.remote_services.append(
                    Service(name, ns.name, [Port(8080, "http", "http")], zone=zone)
                )
        n_ext = max(2, shape.services // 100)
        self.external = [
            EXTERNAL_NAMES[i % len(EXTERNAL_NAMES)]
            + (f"-{i // len(EXTERNAL_NAMES) + 1}" if i >= len(EXTERNAL_NAMES) else "")
            for i in range(n_ext)
        ]
        twins_by_key = {(s.namespace, s.name) for s in self.remote_services}
        candidates = [s for s in local if (s.namespace, s.name) in twins_by_key]
        for svc in candidates[: max(1, shape.services // 100)]:
            self.multizone.append((f"{svc.name}-{svc.namespace}-mz", svc))

    # -- dataplanes ----------------------------------------------------------------------

    def dataplanes(self) -> None:
        shape, rng = self.shape, self.rng
        counts = _allocate(shape.dataplanes, [ns.weight for ns in self.namespaces])
        gateways = max(1, shape.dataplanes // 400)
        gateway_ns = set(range(0, len(self.namespaces), max(1, len(self.namespaces) // gateways)))
        index = 0
        for i, (ns, count) in enumerate(zip(self.namespaces, counts, strict=True)):
            if count == 0:
                continue
            gw = 1 if i in gateway_ns and count > 1 else 0
            serviceless = sum(rng.random() < 0.02 for _ in range(count - gw))
            if not ns.services:
                serviceless = count - gw
            backed = count - gw - serviceless
            replicas = _allocate(backed, [rng.uniform(0.3, 2.0) for _ in ns.services], minimum=1)
            for svc, n in zip(ns.services, replicas, strict=True):
                svc.replicas = n
                canary = 0
                if len(svc.versions) > 1 and n >= 2:
                    canary = max(1, n // 5)
                hashes = {v: _safe(rng, 10) for v in svc.versions}
                for r in range(n):
                    version = "v2" if r >= n - canary else "v1"
                    ns.dataplanes.append(
                        self._pod(ns, svc.name, version, hashes[version], index, svc)
                    )
                    index += 1
            if serviceless:
                worker = rng.choice(WORKERS)
                if worker not in ns.apps:
                    ns.apps.append(worker)
                pod_hash = _safe(rng, 10)
                for _ in range(serviceless):
                    ns.dataplanes.append(self._pod(ns, worker, "v1", pod_hash, index, None))
                    index += 1
            if gw:
                ns.apps.append("edge-gateway")
                ns.dataplanes.append(self._gateway(ns, index))
                index += 1

    def _pod_name(self, namespace: str, app: str, pod_hash: str) -> str:
        while True:
            name = f"{app}-{pod_hash}-{_safe(self.rng, 5)}"
            if (namespace, name) not in self._pod_names:
                self._pod_names.add((namespace, name))
                return name

    @staticmethod
    def _address(index: int) -> str:
        return f"10.244.{index // 250}.{index % 250 + 2}"

    def _dp_labels(self, ns: str, pod_labels: dict[str, str]) -> dict[str, str]:
        return {
            **dict(sorted(pod_labels.items())),
            "k8s.kuma.io/namespace": ns,
            "kuma.io/env": "kubernetes",
            "kuma.io/mesh": MESH,
            "kuma.io/origin": "zone",
            "kuma.io/proxy-type": "sidecar",
            "kuma.io/zone": LOCAL_ZONE,
        }

    def _pod(
        self,
        ns: Namespace,
        app: str,
        version: str,
        pod_hash: str,
        index: int,
        svc: Service | None,
    ) -> Obj:
        name = self._pod_name(ns.name, app, pod_hash)
        pod = {"app": app, "pod-template-hash": pod_hash, "version": version}
        inbounds: list[Obj] = []
        not_ready = self.rng.random() < 0.01
        ports = svc.ports if svc is not None else [Port(SERVICELESS_PORT, "", "tcp")]
        for port in ports:
            inbound: Obj = {"port": port.port}
            if port.name:
                inbound["name"] = port.name
            if not_ready:
                inbound["state"] = "NotReady"
            inbound["health"] = {"ready": not not_ready}
            tags = dict(sorted(pod.items()))
            tags["k8s.kuma.io/namespace"] = ns.name
            if svc is not None:
                tags["k8s.kuma.io/service-name"] = svc.name
                tags["k8s.kuma.io/service-port"] = str(port.port)
            else:
                tags["kuma.io/instance"] = name
            tags["kuma.io/protocol"] = port.protocol
            tags["kuma.io/service"] = svc.tag(port) if svc is not None else f"{app}_{ns.name}_svc"
            tags["kuma.io/zone"] = LOCAL_ZONE
            inbound["tags"] = tags
            inbounds.append(inbound)
        return {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "Dataplane",
            "mesh": MESH,
            "metadata": {
                "name": name,
                "namespace": ns.name,
                "labels": self._dp_labels(ns.name, pod),
            },
            "spec": {
                "networking": {
                    "address": self._address(index),
                    "admin": {"port": 9901},
                    "inbound": inbounds,
                }
            },
        }

    def _gateway(self, ns: Namespace, index: int) -> Obj:
        pod_hash = _safe(self.rng, 9)
        name = self._pod_name(ns.name, "edge-gateway", pod_hash)
        pod = {"app": "edge-gateway", "pod-template-hash": pod_hash}
        tags = {
            **pod,
            "k8s.kuma.io/namespace": ns.name,
            "kuma.io/instance": name,
            "kuma.io/protocol": "tcp",
            "kuma.io/service": f"edge-gateway_{ns.name}_svc",
            "kuma.io/zone": LOCAL_ZONE,
        }
        return {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "Dataplane",
            "mesh": MESH,
            "metadata": {
                "name": name,
                "namespace": ns.name,
                "labels": self._dp_labels(ns.name, pod),
            },
            "spec": {
                "networking": {
                    "address": self._address(index),
                    "admin": {"port": 9901},
                    "gateway": {"type": "DELEGATED", "tags": tags},
                }
            },
        }

    # -- service objects -----------------------------------------------------------------

    @staticmethod
    def mesh_service(svc: Service) -> Obj:
        labels = {
            "app": svc.name,
            "k8s.kuma.io/service-name": svc.name,
            "kuma.io/managed-by": "k8s-controller",
            **_kube_labels(svc.namespace, svc.zone),
        }
        ports: list[Obj] = []
        for port in svc.ports:
            entry: Obj = {"name": port.name} if port.name else {}
            entry.update({"port": port.port, "targetPort": port.port, "appProtocol": port.protocol})
            ports.append(entry)
        spec: Obj = {
            "selector": {
                "dataplaneTags": {"app": svc.name, "k8s.kuma.io/namespace": svc.namespace}
            },
            "ports": ports,
            "identities": [{"type": "ServiceTag", "value": svc.tag(p)} for p in svc.ports],
            "state": "Available" if svc.replicas or svc.zone != LOCAL_ZONE else "Unavailable",
        }
        if svc.zone == LOCAL_ZONE:
            meta = _meta(svc.name, svc.namespace, labels)
        else:
            labels["kuma.io/display-name"] = svc.name
            meta = _meta(
                hashed_name(svc.name, MESH, svc.zone, svc.namespace), SYSTEM_NS, labels, svc.name
            )
        return _obj("MeshService", meta, spec)

    def external_service(self, name: str) -> Obj:
        protocol = self.rng.choice(("http", "http", "tcp"))
        host = f"{name}.example.com"
        spec: Obj = {
            "match": {"type": "HostnameGenerator", "port": 443, "protocol": protocol},
            "endpoints": [{"address": host, "port": 443}],
            "tls": {
                "enabled": True,
                "allowRenegotiation": False,
                "verification": {"mode": "Secured", "serverName": host},
            },
        }
        return _obj("MeshExternalService", _meta(name, SYSTEM_NS, _kube_labels(SYSTEM_NS)), spec)

    @staticmethod
    def multizone_service(display: str, svc: Service) -> Obj:
        labels = {
            "k8s.kuma.io/namespace": SYSTEM_NS,
            "kuma.io/display-name": display,
            "kuma.io/mesh": MESH,
            "kuma.io/origin": "global",
        }
        ports: list[Obj] = []
        for port in svc.ports:
            entry: Obj = {"name": port.name} if port.name else {}
            entry.update({"port": port.port, "appProtocol": port.protocol})
            ports.append(entry)
        spec: Obj = {
            "selector": {
                "meshService": {
                    "matchLabels": {
                        "k8s.kuma.io/namespace": svc.namespace,
                        "k8s.kuma.io/service-name": svc.name,
                    }
                }
            },
            "ports": ports,
        }
        meta = _meta(hashed_name(display, MESH, "", SYSTEM_NS), SYSTEM_NS, labels, display)
        return _obj("MeshMultiZoneService", meta, spec)

    # -- policies ------------------------------------------------------------------------

    def policies(self) -> None:
        shape, rng = self.shape, self.rng
        self._global_defaults()
        remote_total = round(shape.policies * 0.05 * len(self.remote_zones))
        if not self.remote_services:
            remote_total = 0
        system = max(16, round(shape.policies * 0.08))
        app_total = shape.policies - len(self.global_policies) - remote_total - system
        if app_total < 0:
            system += app_total
            app_total = 0
        kinds = list(ALL_POLICY_KINDS)
        for i in range(system):
            kind = kinds[i] if i < len(kinds) else _pick(rng, SYSTEM_KINDS)
            self.system_policies.append(self._system_policy(kind))
        for i in range(remote_total):
            svc = self.remote_services[i % len(self.remote_services)]
            self.remote_policies[svc.zone].append(self._remote_policy(svc))
        weights = [ns.weight for ns in self.namespaces]
        for _ in range(app_total):
            ns = rng.choices(self.namespaces, weights=weights)[0]
            role = _pick(rng, (("producer", 35), ("consumer", 30), ("workload-owner", 35)))
            if role == "producer" and not ns.services:
                role = "consumer"
            if role == "producer":
                policy = self._producer(ns)
            elif role == "consumer":
                policy = self._consumer(ns)
            else:
                policy = self._workload_owner(ns)
            ns.policies.append(policy)

    def _name(self, kind: str, namespace: str, base: str) -> str:
        name, i = base, 2
        while (kind, namespace, name) in self._policy_names:
            name = f"{base}-{i}"
            i += 1
        self._policy_names.add((kind, namespace, name))
        return name

    def _policy(
        self,
        kind: str,
        namespace: str,
        base: str,
        role: str,
        spec: Obj,
        *,
        shadow: bool = False,
    ) -> Obj:
        name = self._name(kind, namespace, base)
        labels = {**_kube_labels(namespace), "kuma.io/policy-role": role}
        if shadow:
            labels["kuma.io/effect"] = "shadow"
        return _obj(kind, _meta(name, namespace, labels), spec)

    def _global_defaults(self) -> None:
        def copy(kind: str, display: str, spec: Obj) -> None:
            labels = {
                "k8s.kuma.io/namespace": SYSTEM_NS,
                "kuma.io/display-name": display,
                "kuma.io/mesh": MESH,
                "kuma.io/origin": "global",
                "kuma.io/policy-role": "system",
            }
            meta = _meta(hashed_name(display, MESH, "", SYSTEM_NS), SYSTEM_NS, labels, display)
            self.global_policies.append(_obj(kind, meta, spec))

        mesh: Obj = {"kind": "Mesh"}
        copy(
            "MeshTimeout",
            f"mesh-timeout-all-{MESH}",
            {
                "targetRef": {"kind": "Mesh", "proxyTypes": ["Sidecar"]},
                "from": [
                    {
                        "targetRef": mesh,
                        "default": {
                            "connectionTimeout": "10s",
                            "idleTimeout": "2h0m0s",
                            "http": {
                                "requestTimeout": "0s",
                                "streamIdleTimeout": "1h0m0s",
                                "maxStreamDuration": "0s",
                            },
                        },
                    }
                ],
                "to": [
                    {
                        "targetRef": mesh,
                        "default": {
                            "connectionTimeout": "5s",
                            "idleTimeout": "1h0m0s",
                            "http": {"requestTimeout": "15s", "streamIdleTimeout": "30m0s"},
                        },
                    }
                ],
            },
        )
        copy(
            "MeshTimeout",
            f"mesh-gateways-timeout-all-{MESH}",
            {
                "targetRef": {"kind": "Mesh", "proxyTypes": ["Gateway"]},
                "from": [
                    {
                        "targetRef": mesh,
                        "default": {
                            "idleTimeout": "5m0s",
                            "http": {"streamIdleTimeout": "5s", "requestHeadersTimeout": "500ms"},
                        },
                    }
                ],
                "to": [
                    {
                        "targetRef": mesh,
                        "default": {"idleTimeout": "1h0m0s", "http": {"streamIdleTimeout": "5s"}},
                    }
                ],
            },
        )
        backoff = {"baseInterval": "25ms", "maxInterval": "250ms"}
        copy(
            "MeshRetry",
            f"mesh-retry-all-{MESH}",
            {
                "targetRef": mesh,
                "to": [
                    {
                        "targetRef": mesh,
                        "default": {
                            "tcp": {"maxConnectAttempt": 5},
                            "http": {"numRetries": 5, "perTryTimeout": "16s", "backOff": backoff},
                            "grpc": {"numRetries": 5, "perTryTimeout": "16s", "backOff": backoff},
                        },
                    }
                ],
            },
        )
        copy(
            "MeshCircuitBreaker",
            f"mesh-circuit-breaker-all-{MESH}",
            {
                "targetRef": mesh,
                "to": [
                    {
                        "targetRef": mesh,
                        "default": {
                            "connectionLimits": {
                                "maxConnections": 1024,
                                "maxPendingRequests": 1024,
                                "maxRequests": 1024,
                                "maxRetries": 3,
                            }
                        },
                    }
                ],
            },
        )
        copy(
            "MeshTrafficPermission",
            f"allow-all-{MESH}",
            {"targetRef": mesh, "from": [{"targetRef": mesh, "default": {"action": "Allow"}}]},
        )
        copy("MeshMetric", f"metrics-{MESH}", {"targetRef": mesh, "default": _metric_conf(None)})
        copy("MeshTrace", f"tracing-{MESH}", {"targetRef": mesh, "default": _trace_conf(10)})

    # ---- targetRefs

    def _legacy_tag(self, ns: Namespace) -> tuple[Service, Port] | None:
        if not ns.services:
            return None
        svc = self.rng.choice(ns.services)
        return svc, svc.ports[0]

    def _top(self, kind: str, ns: Namespace, role: str, *, inbound: bool) -> Obj | None:
        """A top-level targetRef for a policy of `role` in `ns` (None: omitted, i.e. Mesh).

        `inbound`: the policy has `from` or `rules` (sectionName allowed on Dataplane).
        """
        rng = self.rng
        allowed = TOP_LEVEL_KINDS[kind]
        if role in ("producer", "consumer"):
            choice = _pick(
                rng,
                (("omit", 20), ("Mesh", 62), ("Dataplane", 8), ("MeshSubset", 5),
                 ("MeshService", 3), ("MeshServiceSubset", 2)),
            )  # fmt: skip
        else:
            choice = _pick(
                rng,
                (("Mesh", 45), ("Dataplane", 30), ("MeshSubset", 13),
                 ("MeshService", 7), ("MeshServiceSubset", 5)),
            )  # fmt: skip
        no_gateways = kind in ("MeshFaultInjection", "MeshRateLimit") and inbound
        if choice not in allowed and choice != "omit":
            choice = "Dataplane" if "Dataplane" in allowed and no_gateways else "Mesh"
        if choice == "omit":
            return None if not no_gateways else {"kind": "Mesh", "proxyTypes": ["Sidecar"]}
        if choice == "Mesh":
            return {"kind": "Mesh", "proxyTypes": ["Sidecar"]} if no_gateways else {"kind": "Mesh"}
        app = rng.choice(ns.apps) if ns.apps else "worker"
        if choice == "Dataplane":
            ref: Obj = {"kind": "Dataplane", "labels": {"app": app}}
            svc = next((s for s in ns.services if s.name == app), None)
            if inbound and svc is not None and svc.ports[0].name and rng.random() < 0.4:
                ref["sectionName"] = svc.ports[0].name
            return ref
        if choice == "MeshSubset":
            tags = {"app": app} if rng.random() < 0.6 else {"app": app, "version": "v2"}
            ref = {"kind": "MeshSubset", "tags": tags}
            if no_gateways:
                ref["proxyTypes"] = ["Sidecar"]
            return ref
        legacy = self._legacy_tag(ns)
        if legacy is None:
            return {"kind": "Mesh", "proxyTypes": ["Sidecar"]} if no_gateways else {"kind": "Mesh"}
        svc, port = legacy
        if choice == "MeshService":
            return {"kind": "MeshService", "name": svc.tag(port)}
        return {"kind": "MeshServiceSubset", "name": svc.tag(port), "tags": {"version": "v1"}}

    def _other_service(self, ns: Namespace) -> Service | None:
        """A MeshService of another namespace (None when no other namespace has one)."""
        for _ in range(8):
            other = self.rng.choice(self.namespaces)
            if other is not ns and other.services:
                return self.rng.choice(other.services)
        others = [n for n in self.namespaces if n is not ns and n.services]
        return self.rng.choice(others).services[0] if others else None

    def _any_service(self, ns: Namespace) -> Service:
        """A MeshService of another namespace if there is one, else of `ns` (or anywhere)."""
        found = self._other_service(ns)
        if found is not None:
            return found
        if ns.services:
            return ns.services[0]
        return next(s for n in self.namespaces for s in n.services)

    def _consumer_target(self, kind: str, ns: Namespace) -> tuple[Obj, Service | None]:
        """A consumer `to` targetRef (and the MeshService it names, if one)."""
        rng = self.rng
        allowed = TO_KINDS[kind]
        routes = kind in ("MeshHTTPRoute", "MeshTCPRoute")
        choice = _pick(rng, (("labels", 40), ("other-ns", 40), ("MES", 10), ("MZS", 10)))
        if choice == "MES" and "MeshExternalService" in allowed and self.external:
            name = rng.choice(self.external)
            return {"kind": "MeshExternalService", "name": name, "namespace": SYSTEM_NS}, None
        if choice == "MZS" and not routes and "MeshMultiZoneService" in allowed and self.multizone:
            display, mz = rng.choice(self.multizone)
            ref: Obj = {"kind": "MeshMultiZoneService", "labels": {"kuma.io/display-name": display}}
            return ref, mz
        svc = self._other_service(ns)
        if svc is None:
            svc = self._any_service(ns)
            return {"kind": "MeshService", "labels": {"k8s.kuma.io/service-name": svc.name}}, svc
        if choice == "labels":
            labels = {"k8s.kuma.io/service-name": svc.name}
            if rng.random() < 0.5:
                labels["k8s.kuma.io/namespace"] = svc.namespace
            return {"kind": "MeshService", "labels": labels}, svc
        ref = {"kind": "MeshService", "name": svc.name, "namespace": svc.namespace}
        if rng.random() < 0.2 and not routes:
            ref["sectionName"] = svc.section
        return ref, svc

    # ---- roles

    def _producer(self, ns: Namespace) -> Obj:
        rng = self.rng
        kind = _pick(rng, PRODUCER_KINDS)
        targets = rng.sample(ns.services, min(len(ns.services), 2 if rng.random() < 0.15 else 1))
        items: list[Obj] = []
        for svc in targets:
            ref: Obj = {"kind": "MeshService", "name": svc.name}
            if rng.random() < 0.25 and kind not in ("MeshHTTPRoute", "MeshTCPRoute"):
                ref["sectionName"] = svc.section
            items.append(self._to_item(kind, ref, svc, ns))
        spec: Obj = {}
        top = self._top(kind, ns, "producer", inbound=False)
        if top is not None:
            spec["targetRef"] = top
        spec["to"] = items
        base = f"{targets[0].name}-{SUFFIX[kind]}"
        return self._policy(kind, ns.name, base, "producer", spec)

    def _consumer(self, ns: Namespace) -> Obj:
        rng = self.rng
        kind = _pick(rng, CONSUMER_KINDS)
        items: list[Obj] = []
        names: list[str] = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            ref, svc = self._consumer_target(kind, ns)
            if (
                ref["kind"] == "MeshService"
                and ref.get("namespace") in (None, ns.name)
                and ref.get("name")
            ):
                continue
            items.append(self._to_item(kind, ref, svc, ns))
            names.append(str(ref.get("name") or (svc.name if svc else "services")))
        if not items:
            ref = {"kind": "MeshService", "labels": {"k8s.kuma.io/service-name": "web"}}
            items.append(self._to_item(kind, ref, None, ns))
            names.append("web")
        spec: Obj = {}
        top = self._top(kind, ns, "consumer", inbound=False)
        if top is not None:
            spec["targetRef"] = top
        spec["to"] = items
        app = rng.choice(ns.apps) if ns.apps else ns.name
        base = f"{app}-to-{names[0]}-{SUFFIX[kind]}"
        shadow = rng.random() < 0.02
        return self._policy(kind, ns.name, base, "consumer", spec, shadow=shadow)

    def _workload_owner(self, ns: Namespace) -> Obj:
        rng = self.rng
        kind = _pick(rng, OWNER_KINDS)
        spec: Obj = {}
        if kind in SINGLE_ITEM:
            top = self._top(kind, ns, "workload-owner", inbound=False)
            if top is not None:
                spec["targetRef"] = top
            spec["default"] = self._single_conf(kind, ns)
        else:
            use_rules = kind in RULES_KINDS and (kind not in FROM_KINDS or rng.random() < 0.6)
            top = self._top(kind, ns, "workload-owner", inbound=True)
            if top is not None:
                spec["targetRef"] = top
            if use_rules:
                spec["rules"] = [{"default": self._conf(kind, inbound=True)}]
            else:
                spec["from"] = self._from_items(kind, ns)
        app = str((spec.get("targetRef") or {}).get("labels", {}).get("app", ns.name))
        return self._policy(kind, ns.name, f"{app}-{SUFFIX[kind]}", "workload-owner", spec)

    def _from_items(self, kind: str, ns: Namespace) -> list[Obj]:
        rng = self.rng
        mesh: Obj = {"kind": "Mesh"}
        if kind == "MeshTrafficPermission":
            items: list[Obj] = []
            if rng.random() < 0.6:
                items.append({"targetRef": mesh, "default": {"action": "Deny"}})
            for _ in range(rng.choice((1, 1, 2, 3))):
                items.append(
                    {"targetRef": self._legacy_from_ref(ns), "default": {"action": "Allow"}}
                )
            return items
        if kind == "MeshFaultInjection":
            ref = self._legacy_from_ref(ns) if rng.random() < 0.5 else mesh
            return [{"targetRef": ref, "default": self._conf(kind, inbound=True)}]
        return [{"targetRef": mesh, "default": self._conf(kind, inbound=True)}]

    def _legacy_from_ref(self, ns: Namespace) -> Obj:
        """A `from` targetRef naming clients the pre-MeshService way (tags, `kuma.io/service`)."""
        rng = self.rng
        other = rng.choice(self.namespaces)
        choice = _pick(rng, (("ns", 35), ("subset", 30), ("service", 25), ("servicesubset", 10)))
        if choice == "ns" or not other.services:
            return {"kind": "MeshSubset", "tags": {"k8s.kuma.io/namespace": other.name}}
        svc = rng.choice(other.services)
        if choice == "subset":
            return {
                "kind": "MeshSubset",
                "tags": {"app": svc.name, "k8s.kuma.io/namespace": other.name},
            }
        if choice == "service":
            return {"kind": "MeshService", "name": svc.tag(svc.ports[0])}
        return {
            "kind": "MeshServiceSubset",
            "name": svc.tag(svc.ports[0]),
            "tags": {"version": "v1"},
        }

    def _system_policy(self, kind: str) -> Obj:
        rng = self.rng
        ns = rng.choice(self.namespaces)
        spec: Obj = {}
        choice = _pick(rng, (("Mesh", 70), ("MeshSubset", 15), ("Dataplane", 10), ("legacy", 5)))
        allowed = TOP_LEVEL_KINDS[kind]
        inbound = kind not in TO_KINDS and kind not in SINGLE_ITEM
        no_gateways = kind in ("MeshFaultInjection", "MeshRateLimit") and inbound
        top: Obj = {"kind": "Mesh"}
        if choice == "MeshSubset":
            tags = rng.choice(
                (
                    {"version": "v2"},
                    {"k8s.kuma.io/namespace": ns.name},
                    {"kuma.io/zone": LOCAL_ZONE},
                )
            )
            top = {"kind": "MeshSubset", "tags": dict(tags)}
        elif choice == "Dataplane" and ns.apps:
            top = {
                "kind": "Dataplane",
                "labels": {"app": rng.choice(ns.apps), "k8s.kuma.io/namespace": ns.name},
            }
        elif choice == "legacy" and ns.services and "MeshService" in allowed:
            svc = rng.choice(ns.services)
            top = {"kind": "MeshService", "name": svc.tag(svc.ports[0])}
        if top["kind"] not in allowed:
            top = {"kind": "Mesh"}
        if no_gateways and top["kind"] in ("Mesh", "MeshSubset"):
            top["proxyTypes"] = ["Sidecar"]
        spec["targetRef"] = top
        if kind in SINGLE_ITEM:
            spec["default"] = self._single_conf(kind, ns)
            base = f"{SUFFIX[kind]}-defaults"
        elif kind in TO_KINDS:
            items: list[Obj] = []
            if kind not in ("MeshHTTPRoute", "MeshTCPRoute") and rng.random() < 0.7:
                items.append(self._to_item(kind, {"kind": "Mesh"}, None, ns))
            if not items or rng.random() < 0.4:
                svc = self._any_service(ns)
                ref = {"kind": "MeshService", "name": svc.name, "namespace": svc.namespace}
                items.append(self._to_item(kind, ref, svc, ns))
            spec["to"] = items
            base = f"{SUFFIX[kind]}-defaults"
        else:
            if kind in RULES_KINDS and rng.random() < 0.3:
                spec["rules"] = [{"default": self._conf(kind, inbound=True)}]
            else:
                spec["from"] = self._from_items(kind, ns)
            base = f"{SUFFIX[kind]}-baseline"
        return self._policy(kind, SYSTEM_NS, base, "system", spec)

    def _remote_policy(self, svc: Service) -> Obj:
        """A producer policy written in `svc.zone`, as its KDS copy in this zone's kuma-system."""
        rng = self.rng
        kind = _pick(rng, PRODUCER_KINDS)
        ns = next(n for n in self.namespaces if n.name == svc.namespace)
        ref: Obj = {"kind": "MeshService", "name": svc.name}
        spec: Obj = {"targetRef": {"kind": "Mesh"}, "to": [self._to_item(kind, ref, svc, ns)]}
        display = self._name(kind, f"{svc.zone}/{svc.namespace}", f"{svc.name}-{SUFFIX[kind]}")
        labels = {
            **_kube_labels(svc.namespace, svc.zone),
            "kuma.io/display-name": display,
            "kuma.io/policy-role": "producer",
        }
        name = hashed_name(display, MESH, svc.zone, svc.namespace)
        return _obj(kind, _meta(name, SYSTEM_NS, labels, display), spec)

    # ---- confs

    def _to_item(self, kind: str, ref: Obj, svc: Service | None, ns: Namespace) -> Obj:
        rng = self.rng
        if kind in ("MeshHTTPRoute", "MeshTCPRoute"):
            backends: list[Obj] = []
            if svc is not None and ref["kind"] == "MeshService":
                port = svc.ports[0].port
                backend: Obj = {"kind": "MeshService", "name": svc.name}
                if svc.namespace != ns.name:
                    backend["namespace"] = svc.namespace
                backend.update({"port": port, "weight": 90 if kind == "MeshHTTPRoute" else 1})
                backends.append(backend)
                siblings = [
                    s
                    for s in self.namespaces_by_name[svc.namespace].services
                    if s is not svc and s.ports[0].port == port
                ]
                if kind == "MeshHTTPRoute" and siblings:
                    backends.append(dict(backend, name=rng.choice(siblings).name, weight=10))
            elif ref["kind"] == "MeshExternalService":
                backends.append(
                    {"kind": "MeshExternalService", "name": ref["name"], "namespace": SYSTEM_NS,
                     "port": 443}
                )  # fmt: skip
            if kind == "MeshTCPRoute":
                return {"targetRef": ref, "rules": [{"default": {"backendRefs": backends}}]}
            prefix = rng.choice(("/api", "/v2", "/admin", "/static", "/internal"))
            rule: Obj = {"matches": [{"path": {"type": "PathPrefix", "value": prefix}}]}
            if backends:
                rule["default"] = {"backendRefs": backends}
            else:
                rule["default"] = {
                    "filters": [
                        {
                            "type": "RequestHeaderModifier",
                            "requestHeaderModifier": {
                                "set": [{"name": "x-routed-by", "value": ns.name}]
                            },
                        }
                    ]
                }
            return {"targetRef": ref, "rules": [rule]}
        return {"targetRef": ref, "default": self._conf(kind, inbound=False)}

    def _conf(self, kind: str, *, inbound: bool) -> Obj:
        rng = self.rng
        if kind == "MeshTimeout":
            conf: Obj = {}
            if rng.random() < 0.5:
                conf["connectionTimeout"] = rng.choice(("1s", "2s", "3s", "5s"))
            if rng.random() < 0.3:
                conf["idleTimeout"] = rng.choice(("30m", "1h", "15m"))
            http: Obj = {"requestTimeout": rng.choice(TIMEOUTS)}
            if rng.random() < 0.3:
                http["streamIdleTimeout"] = rng.choice(("30m", "1h", "5m"))
            if inbound and rng.random() < 0.3:
                http["maxStreamDuration"] = rng.choice(("30s", "1m", "0s"))
            conf["http"] = http
            return conf
        if kind == "MeshRetry":
            conf = {
                "http": {
                    "numRetries": rng.choice((1, 2, 3, 4)),
                    "perTryTimeout": rng.choice(("500ms", "1s", "2s", "5s")),
                    "retryOn": rng.sample(
                        ["GatewayError", "Reset", "ConnectFailure", "RefusedStream"], 2
                    ),
                }
            }
            if rng.random() < 0.3:
                conf["grpc"] = {"numRetries": 2, "retryOn": ["Unavailable", "DeadlineExceeded"]}
            if rng.random() < 0.2:
                conf["tcp"] = {"maxConnectAttempt": rng.choice((2, 3, 5))}
            return conf
        if kind == "MeshCircuitBreaker":
            if rng.random() < 0.5:
                return {
                    "connectionLimits": {
                        "maxConnections": rng.choice((256, 512, 1024, 2048)),
                        "maxPendingRequests": rng.choice((128, 256, 512)),
                        "maxRequests": rng.choice((512, 1024)),
                    }
                }
            return {
                "outlierDetection": {
                    "disabled": False,
                    "interval": rng.choice(("5s", "10s", "30s")),
                    "baseEjectionTime": rng.choice(("30s", "1m")),
                    "maxEjectionPercent": rng.choice((10, 20, 50)),
                    "detectors": {"totalFailures": {"consecutive": rng.choice((3, 5, 10))}},
                }
            }
        if kind == "MeshHealthCheck":
            conf = {
                "interval": rng.choice(("5s", "10s", "15s")),
                "timeout": rng.choice(("1s", "2s")),
                "unhealthyThreshold": rng.choice((2, 3, 5)),
                "healthyThreshold": 1,
            }
            if rng.random() < 0.6:
                conf["http"] = {"path": rng.choice(("/healthz", "/ready", "/status")),
                                "expectedStatuses": [200]}  # fmt: skip
            return conf
        if kind == "MeshLoadBalancingStrategy":
            if rng.random() < 0.6:
                lb = rng.choice(
                    (
                        {"type": "LeastRequest", "leastRequest": {"choiceCount": 2}},
                        {"type": "RoundRobin"},
                        {"type": "RingHash", "ringHash": {"hashPolicies": [
                            {"type": "Header", "header": {"name": "x-user-id"}}]}},
                    )
                )  # fmt: skip
                return {"loadBalancer": lb}
            return {
                "localityAwareness": {
                    "localZone": {"affinityTags": [{"key": "topology.kubernetes.io/zone"}]},
                    "crossZone": {"failover": [{"to": {"type": "Any"}}]},
                }
            }
        if kind == "MeshAccessLog":
            return {
                "backends": [
                    rng.choice(
                        (
                            {"type": "File", "file": {"path": "/dev/stdout"}},
                            {"type": "File", "file": {"path": "/dev/stdout", "format": {
                                "type": "Json", "json": [
                                    {"key": "start_time", "value": "%START_TIME%"},
                                    {"key": "path", "value": "%REQ(:PATH)%"}]}}},
                            {"type": "Tcp", "tcp": {"address": "logstash.logging:5000"}},
                            {"type": "OpenTelemetry", "openTelemetry": {
                                "endpoint": "otel-collector.observability:4317"}},
                        )
                    )
                ]
            }  # fmt: skip
        if kind == "MeshRateLimit":
            return {
                "local": {
                    "http": {
                        "requestRate": {"num": rng.choice((50, 100, 200, 1000)), "interval": "1s"},
                        "onRateLimit": {"status": 429},
                    }
                }
            }
        if kind == "MeshFaultInjection":
            fault = rng.choice(
                (
                    {"abort": {"httpStatus": 503, "percentage": rng.choice((1, 5, 10))}},
                    {"delay": {"value": "200ms", "percentage": rng.choice((1, 5, 10))}},
                )
            )
            return {"http": [fault]}
        if kind == "MeshTLS":
            return {"mode": "Strict", "tlsVersion": {"min": "TLS12", "max": "TLS13"}}
        if kind == "MeshTrafficPermission":
            return {"action": "Allow"}
        raise AssertionError(kind)

    def _single_conf(self, kind: str, ns: Namespace) -> Obj:
        rng = self.rng
        if kind == "MeshMetric":
            port = rng.choice((8080, 9102, 9090))
            return _metric_conf(port if rng.random() < 0.6 else None)
        if kind == "MeshTrace":
            return _trace_conf(rng.choice((1, 5, 10, 50, 100)))
        if kind == "MeshPassthrough":
            return {
                "passthroughMode": "Matched",
                "appendMatch": [
                    {"type": "Domain", "value": f"{ns.name}.legacy.example.com", "port": 443,
                     "protocol": "tls"},
                    {"type": "CIDR", "value": "10.96.0.0/12", "protocol": "tcp"},
                ],
            }  # fmt: skip
        if kind == "MeshProxyPatch":
            return {
                "appendModifications": [
                    {
                        "cluster": {
                            "operation": "Patch",
                            "match": {"origin": "outbound"},
                            "jsonPatches": [
                                {"op": "replace", "path": "/connectTimeout", "value": "5s"}
                            ],
                        }
                    }
                ]
            }
        raise AssertionError(kind)


def _metric_conf(app_port: int | None) -> Obj:
    conf: Obj = {
        "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic" if app_port else "All"}]}},
    }
    if app_port is not None:
        conf["applications"] = [{"path": "/metrics", "port": app_port}]
    else:
        conf["backends"] = [
            {"type": "Prometheus", "prometheus": {"port": 5670, "path": "/metrics"}}
        ]
    return conf


def _trace_conf(sampling: int) -> Obj:
    return {
        "sampling": {"overall": sampling},
        "backends": [
            {
                "type": "Zipkin",
                "zipkin": {"url": "http://jaeger-collector.observability:9411/api/v2/spans"},
            }
        ],
    }


TIMEOUTS = ("1s", "2s", "3s", "5s", "10s", "15s", "30s", "1m")
ALL_POLICY_KINDS = (
    "MeshHTTPRoute", "MeshTCPRoute", "MeshTLS", "MeshLoadBalancingStrategy", "MeshPassthrough",
    "MeshAccessLog", "MeshTrace", "MeshFaultInjection", "MeshRateLimit", "MeshTimeout",
    "MeshTrafficPermission", "MeshHealthCheck", "MeshCircuitBreaker", "MeshRetry", "MeshMetric",
    "MeshProxyPatch",
)  # fmt: skip
SUFFIX = {
    "MeshHTTPRoute": "route", "MeshTCPRoute": "tcp-route", "MeshTLS": "tls",
    "MeshLoadBalancingStrategy": "lb", "MeshPassthrough": "passthrough",
    "MeshAccessLog": "access-log", "MeshTrace": "tracing", "MeshFaultInjection": "faults",
    "MeshRateLimit": "rate-limit", "MeshTimeout": "timeout", "MeshTrafficPermission": "allow",
    "MeshHealthCheck": "health-check", "MeshCircuitBreaker": "circuit-breaker",
    "MeshRetry": "retries", "MeshMetric": "metrics", "MeshProxyPatch": "proxy-patch",
}  # fmt: skip
PRODUCER_KINDS = (
    ("MeshTimeout", 20), ("MeshRetry", 15), ("MeshHTTPRoute", 15), ("MeshCircuitBreaker", 12),
    ("MeshHealthCheck", 10), ("MeshLoadBalancingStrategy", 8), ("MeshTCPRoute", 5),
    ("MeshAccessLog", 5),
)  # fmt: skip
CONSUMER_KINDS = (
    ("MeshTimeout", 20), ("MeshRetry", 18), ("MeshCircuitBreaker", 10), ("MeshHTTPRoute", 10),
    ("MeshLoadBalancingStrategy", 6), ("MeshHealthCheck", 6), ("MeshAccessLog", 5),
    ("MeshTCPRoute", 3),
)  # fmt: skip
OWNER_KINDS = (
    ("MeshTrafficPermission", 30), ("MeshTimeout", 12), ("MeshRateLimit", 12), ("MeshMetric", 8),
    ("MeshAccessLog", 6), ("MeshFaultInjection", 5), ("MeshTrace", 5), ("MeshCircuitBreaker", 5),
    ("MeshTLS", 4), ("MeshPassthrough", 3), ("MeshProxyPatch", 3),
)  # fmt: skip
SYSTEM_KINDS = (
    ("MeshTrafficPermission", 10), ("MeshTimeout", 10), ("MeshRetry", 8),
    ("MeshCircuitBreaker", 8), ("MeshHealthCheck", 5), ("MeshAccessLog", 5), ("MeshTLS", 4),
    ("MeshMetric", 4), ("MeshTrace", 3), ("MeshRateLimit", 4), ("MeshLoadBalancingStrategy", 4),
    ("MeshFaultInjection", 2), ("MeshHTTPRoute", 3), ("MeshTCPRoute", 1), ("MeshPassthrough", 2),
    ("MeshProxyPatch", 2),
)  # fmt: skip
SINGLE_ITEM = frozenset({"MeshTrace", "MeshMetric", "MeshPassthrough", "MeshProxyPatch"})
RULES_KINDS = frozenset(
    {"MeshTimeout", "MeshRateLimit", "MeshAccessLog", "MeshCircuitBreaker", "MeshTLS"}
)
FROM_KINDS = frozenset(
    {"MeshTrafficPermission", "MeshFaultInjection", "MeshTimeout", "MeshRateLimit",
     "MeshAccessLog", "MeshCircuitBreaker", "MeshTLS"}
)  # fmt: skip
TO_KINDS = {
    "MeshHTTPRoute": frozenset({"MeshService", "MeshExternalService", "MeshMultiZoneService"}),
    "MeshTCPRoute": frozenset({"MeshService", "MeshExternalService", "MeshMultiZoneService"}),
    "MeshTimeout": frozenset({"Mesh", "MeshService", "MeshExternalService",
                              "MeshMultiZoneService"}),
    "MeshRetry": frozenset({"Mesh", "MeshService", "MeshExternalService", "MeshMultiZoneService"}),
    "MeshAccessLog": frozenset({"Mesh", "MeshService", "MeshExternalService",
                                "MeshMultiZoneService"}),
    "MeshCircuitBreaker": frozenset({"Mesh", "MeshService", "MeshMultiZoneService"}),
    "MeshHealthCheck": frozenset({"Mesh", "MeshService", "MeshMultiZoneService"}),
    "MeshLoadBalancingStrategy": frozenset({"Mesh", "MeshService", "MeshMultiZoneService"}),
}  # fmt: skip
"""`to[]` kinds each kind accepts with a sidecar top level (Kuma 2.10's support matrix)."""
_M, _MS, _DP, _SVC, _SVCS = "Mesh", "MeshSubset", "Dataplane", "MeshService", "MeshServiceSubset"
TOP_LEVEL_KINDS = {
    kind: frozenset({_M, _MS, _DP}) if kind in ("MeshTLS", "MeshPassthrough")
    else frozenset({_M, _MS, _DP, _SVC, _SVCS})
    for kind in ALL_POLICY_KINDS
}  # fmt: skip
"""Top-level kinds allowed for every role (gateway kinds are never generated)."""

# --------------------------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class Generated:
    """What `generate` wrote."""

    root: Path
    shape: Shape
    files: int
    counts: dict[str, int]


def _dump(path: Path, documents: Sequence[Obj]) -> None:
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump_all(
        documents, Dumper=dumper, sort_keys=False, default_flow_style=False, width=100
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _chunks(items: Sequence[Obj], size: int = DOCS_PER_FILE) -> Iterable[Sequence[Obj]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build(shape: Shape) -> dict[str, list[Obj]]:
    """The mesh as relative file path → documents (nothing written)."""
    b = _Builder(shape)
    b.services()
    b.dataplanes()
    b.policies()
    files: dict[str, list[Obj]] = {}
    namespace_objs: list[Obj] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": SYSTEM_NS, "labels": {"kubernetes.io/metadata.name": SYSTEM_NS}},
        }
    ]
    for ns in b.namespaces:
        namespace_objs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns.name,
                    "labels": {
                        "kubernetes.io/metadata.name": ns.name,
                        "kuma.io/sidecar-injection": "enabled",
                    },
                },
            }
        )
    files["namespaces.yaml"] = namespace_objs
    mesh: Obj = {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "Mesh",
        "metadata": {"name": MESH, "labels": {"kuma.io/origin": "global"}},
        "spec": {
            "meshServices": {"mode": "Everywhere"},
            "mtls": {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]},
        },
    }
    files[f"{SYSTEM_NS}/mesh.yaml"] = [mesh]
    files[f"{SYSTEM_NS}/global-default-policies.yaml"] = b.global_policies
    for i, chunk in enumerate(_chunks(b.system_policies)):
        files[f"{SYSTEM_NS}/system-policies-{i}.yaml"] = list(chunk)
    files[f"{SYSTEM_NS}/external-services.yaml"] = [b.external_service(n) for n in b.external]
    if b.multizone:
        files[f"{SYSTEM_NS}/multizone-services.yaml"] = [
            b.multizone_service(d, s) for d, s in b.multizone
        ]
    for zone in b.remote_zones:
        copies = [b.mesh_service(s) for s in b.remote_services if s.zone == zone]
        for i, chunk in enumerate(_chunks(copies)):
            files[f"{SYSTEM_NS}/{zone}-services-{i}.yaml"] = list(chunk)
        for i, chunk in enumerate(_chunks(b.remote_policies[zone])):
            files[f"{SYSTEM_NS}/{zone}-policies-{i}.yaml"] = list(chunk)
    for ns in b.namespaces:
        if ns.services:
            files[f"{ns.name}/meshservices.yaml"] = [b.mesh_service(s) for s in ns.services]
        for i, chunk in enumerate(_chunks(ns.dataplanes)):
            files[f"{ns.name}/dataplanes-{i}.yaml"] = list(chunk)
        if ns.policies:
            files[f"{ns.name}/policies.yaml"] = ns.policies
    return files


def generate(out: Path, shape: Shape) -> Generated:
    """Write the mesh under `out` (emptied first) and its manifest; returns the counts."""
    files = build(shape)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    counts: dict[str, int] = {}
    for rel, documents in files.items():
        _dump(out / rel, documents)
        for doc in documents:
            counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "shape": asdict(shape),
        "files": len(files),
        "counts": dict(sorted(counts.items())),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Generated(out, shape, len(files), dict(sorted(counts.items())))


def ensure_mesh(shape: Shape, cache: Path = CACHE_ROOT) -> Path:
    """The cached folder for `shape` (`/tmp/meshtui-perf/<size>`), generated when stale.

    Treat it as read-only: benchmarks that edit files work on a copy.
    """
    folder = cache / str(shape.dataplanes)
    if shape != Shape.for_size(shape.dataplanes, shape.seed):
        folder = cache / f"{shape.dataplanes}-custom"
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            found = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            found = {}
        if found.get("generator_version") == GENERATOR_VERSION and found.get("shape") == asdict(
            shape
        ):
            return folder
    generate(folder, shape)
    return folder


# --------------------------------------------------------------------------------------- check


def validate(folder: Path) -> list[str]:
    """Load `folder` the way the app does; every error, and every role label Kuma disagrees with.

    Empty means: every document loads in meshtui without an error, the `kuma.io/policy-role`
    written on each policy is the one meshtui ends up with (the webhook's, for locally created
    ones), and the control plane inferred is zone `zone-1`.
    """
    from meshtui.parse import ContextOptions, parse_documents
    from meshtui.sources.files import load_path

    documents, read_problems = load_path(folder)
    result = parse_documents(documents, ContextOptions())
    # Warnings (Kuma's deprecation notices on the older forms the mesh keeps on purpose) load.
    problems = (*read_problems, *result.problems)
    found = [f"{p.severity}: {p}" for p in problems if p.severity == "error"]
    written: dict[tuple[str, str], str] = {}
    for doc in documents:
        body = doc.body
        meta = body.get("metadata", {}) if isinstance(body, dict) else {}
        role = meta.get("labels", {}).get("kuma.io/policy-role")
        if role:
            written[(body["kind"], f"{meta['name']}.{meta['namespace']}")] = role
    for res in result.resources:
        want = written.get((res.type, res.name))
        if want is not None and want != res.role:
            found.append(f"role: {res.type} {res.name} written {want}, computed {res.role}")
    if result.control_plane.mode != "zone" or result.control_plane.zone != LOCAL_ZONE:
        found.append(f"inferred control plane {result.control_plane.describe()}")
    return found


# --------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.perf.generate OUT --dataplanes N ...`."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf.generate",
        description="Write a synthetic Kuma 2.10 zone-CP mesh in Kubernetes form.",
    )
    parser.add_argument("out", type=Path, help="folder to write (emptied first)")
    parser.add_argument("--dataplanes", type=int, required=True)
    parser.add_argument("--namespaces", type=int, help="default: dataplanes / 50")
    parser.add_argument("--zones", type=int, help="default: 2")
    parser.add_argument("--services", type=int, help="default: dataplanes / 5")
    parser.add_argument("--policies", type=int, help="default: dataplanes / 5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--check", action="store_true", help="then load it with meshtui and list any problem"
    )
    args = parser.parse_args(argv)
    shape = Shape.derive(
        args.dataplanes,
        namespaces=args.namespaces,
        zones=args.zones,
        services=args.services,
        policies=args.policies,
        seed=args.seed,
    )
    try:
        result = generate(args.out, shape)
    except ValueError as err:
        parser.error(str(err))
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    print(f"wrote {result.files} files under {result.root}: {counts}")
    if args.check:
        problems = validate(args.out)
        for line in problems[:50]:
            print(line)
        print(f"{len(problems)} problem(s) loading it in meshtui")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
