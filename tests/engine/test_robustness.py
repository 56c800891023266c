"""Inputs Kuma would reject still never crash the engine (Universal input is taken as stored)."""

from __future__ import annotations

from tests.engine.matching_support import index, load, rules_for

ROUTE_LOOP = """
type: Mesh
name: default
---
type: Dataplane
mesh: default
name: web-1
networking:
  address: 10.0.0.5
  inbound:
  - port: 8080
    tags: {kuma.io/service: web}
---
type: MeshHTTPRoute
mesh: default
name: r
spec:
  targetRef: {kind: MeshHTTPRoute, name: r}
  to: []
---
type: MeshTimeout
mesh: default
name: t
spec:
  targetRef: {kind: MeshHTTPRoute, name: r}
  to:
  - targetRef: {kind: Mesh}
    default: {idleTimeout: 5s}
"""


def test_a_route_targeting_itself_is_loaded_with_a_warning_and_selects_nothing() -> None:
    result = load(ROUTE_LOOP)
    warnings = [p for p in result.problems if p.severity == "warning"]
    assert any(
        "MeshHTTPRoute does not support a top-level MeshHTTPRoute" in p.message for p in warnings
    )
    assert {r.name for r in result.resources if r.type == "MeshHTTPRoute"} == {"r"}
    rules = rules_for(ROUTE_LOOP, "MeshTimeout", "web-1")
    assert rules.matched == ()
    assert index(ROUTE_LOOP).dataplanes["web-1"].resource.name == "web-1"
