"""Go-typed schema tables of the Kuma 2.10.11 kinds meshtui reads.

One module per policy kind, each exporting `SPEC` (the whole `spec` as a `Struct`) and
`CONF` (the Go type whose values are merged), plus `resources` for the non-policy kinds
and `common` for the shared `api/common/v1alpha1` types. The registries below map a kind
name (e.g. `MeshTimeout`) to those structs.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import Struct
from meshtui.kinds.schemas import (
    meshaccesslog,
    meshcircuitbreaker,
    meshfaultinjection,
    meshhealthcheck,
    meshhttproute,
    meshloadbalancingstrategy,
    meshmetric,
    meshpassthrough,
    meshproxypatch,
    meshratelimit,
    meshretry,
    meshtcproute,
    meshtimeout,
    meshtls,
    meshtrace,
    meshtrafficpermission,
)
from meshtui.kinds.schemas.resources import RESOURCE_SPECS

_MODULES = {
    "MeshAccessLog": meshaccesslog,
    "MeshCircuitBreaker": meshcircuitbreaker,
    "MeshFaultInjection": meshfaultinjection,
    "MeshHealthCheck": meshhealthcheck,
    "MeshHTTPRoute": meshhttproute,
    "MeshLoadBalancingStrategy": meshloadbalancingstrategy,
    "MeshMetric": meshmetric,
    "MeshPassthrough": meshpassthrough,
    "MeshProxyPatch": meshproxypatch,
    "MeshRateLimit": meshratelimit,
    "MeshRetry": meshretry,
    "MeshTCPRoute": meshtcproute,
    "MeshTimeout": meshtimeout,
    "MeshTLS": meshtls,
    "MeshTrace": meshtrace,
    "MeshTrafficPermission": meshtrafficpermission,
}

POLICY_SPECS: dict[str, Struct] = {kind: module.SPEC for kind, module in _MODULES.items()}
"""The whole `spec` of each policy kind."""

POLICY_CONFS: dict[str, Struct] = {kind: module.CONF for kind, module in _MODULES.items()}
"""The Go type merged for each policy kind (`to`/`from`/`rules` items' or the single `default`)."""

__all__ = ["POLICY_CONFS", "POLICY_SPECS", "RESOURCE_SPECS"]
