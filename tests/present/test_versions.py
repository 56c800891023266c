"""Roles, matching and ordering follow the profile everywhere the dashboard shows them:
the policy detail's role line, the roles pane, the AFFECTS counts and the affected list.

Cases from spec kuma-2.14.md: R1 (a `to[]` naming a MeshHTTPRoute in the policy's own
namespace is a producer item since 2.11) and M2 (an `Ignored` inbound is selected since
2.11.13 / 2.12.10 / 2.13.5 and in every 2.14).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import SourceRef
from meshtui.parse import ContextOptions
from meshtui.present import roles_view
from meshtui.present.detail import policy_detail
from meshtui.present.navigator import NavState
from meshtui.present.tables import table_counts
from meshtui.raw import RawDocument
from meshtui.versions import KumaVersion
from tests.engine.rules_support import MESH, MESH_REF, dataplane, inbound, mesh, policy
from tests.versions import V2_10, V2_11, V2_14

KUBE = """
apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata: {name: default}
---
apiVersion: kuma.io/v1alpha1
kind: MeshService
metadata: {name: backend, namespace: demo, labels: {kuma.io/mesh: default}}
spec:
  ports: [{port: 80, name: http, appProtocol: http}]
---
apiVersion: kuma.io/v1alpha1
kind: MeshHTTPRoute
metadata: {name: api, namespace: demo, labels: {kuma.io/mesh: default}}
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches: [{path: {type: PathPrefix, value: /v1}}]
          default: {backendRefs: [{kind: MeshService, name: backend, port: 80}]}
---
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: backend-timeout, namespace: demo, labels: {kuma.io/mesh: default}}
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {idleTimeout: 5s}
"""

ROUTE_TIMEOUT = """
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: api-timeout, namespace: demo, labels: {kuma.io/mesh: default}}
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshHTTPRoute, name: api}
      default: {idleTimeout: 3s}
"""


def evaluation(
    documents: list[Any], version: KumaVersion, mesh_name: str = "default"
) -> MeshEvaluation:
    docs = tuple(RawDocument(SourceRef("/in.yaml", i), d) for i, d in enumerate(documents, 1))
    options = ContextOptions(version=version)
    inventory, _ = Inventory.empty(options).apply([OriginUpdate("file:/in.yaml", docs)])
    assert not [p for p in inventory.problems if p.severity == "error"], inventory.problems
    return MeshEvaluation(
        build_index(inventory.resources, mesh_name, version=inventory.control_plane.version)
    )


def kube(*texts: str) -> list[Any]:
    return [d for text in texts for d in yaml.safe_load_all(text)]


def role_line(ev: MeshEvaluation, kind: str, name: str) -> str:
    found = ev.index.find_policy(kind, name)
    assert found is not None
    view = policy_detail(ev, found, system_namespace="kuma-system")
    assert view.tree is not None
    return view.tree.children[0].label


@pytest.mark.parametrize(
    ("version", "owned"),
    [(V2_10, "a MeshService"), (V2_11, "a MeshService or a MeshHTTPRoute")],
)
def test_the_role_line_says_what_makes_a_producer_at_that_version(
    version: KumaVersion, owned: str
) -> None:
    ev = evaluation(kube(KUBE), version)
    assert role_line(ev, "MeshTimeout", "backend-timeout.demo") == (
        f"Role: producer — every to[] targets by name {owned} in its own namespace demo"
    )


def test_a_to_route_item_is_a_producer_item_from_2_11_in_the_roles_pane_too() -> None:
    ev = evaluation(kube(KUBE, ROUTE_TIMEOUT), V2_14)
    assert role_line(ev, "MeshTimeout", "api-timeout.demo").startswith("Role: producer")
    counts = {item.key: item.counts for item in roles_view(ev, NavState(mesh="default")).items}
    assert counts["producer"] == "3", "backend-timeout, api-timeout and the route itself"


def ignored_only() -> list[Any]:
    return [
        mesh(),
        dataplane("dp-1", inbounds=[{**inbound(8080), "state": "Ignored"}]),
        dataplane("dp-2", inbounds=[inbound(8080)]),
        policy(
            "MeshTimeout",
            "all",
            {
                "targetRef": MESH_REF,
                "to": [{"targetRef": MESH_REF, "default": {"idleTimeout": "1s"}}],
            },
        ),
    ]


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        (V2_10, ["dp-2"]),
        (KumaVersion(2, 12, 9), ["dp-2"]),
        (KumaVersion(2, 12, 10), ["dp-1", "dp-2"]),
        (V2_14, ["dp-1", "dp-2"]),
    ],
)
def test_affected_dataplanes_follow_the_version(version: KumaVersion, affected: list[str]) -> None:
    ev = evaluation(ignored_only(), version, MESH)
    found = ev.index.find_policy("MeshTimeout", "all")
    assert found is not None
    assert list(ev.affected(found)) == affected
    assert table_counts(ev, "policies")[found.key] == len(affected)
    view = policy_detail(ev, found, system_namespace="kuma-system")
    assert view.tree is not None
    section = next(n for n in view.tree.children if n.node_id == "affected")
    assert section.label == f"Affects {len(affected)} dataplane(s)"
    assert [n.target.name for n in section.children if n.target] == affected
