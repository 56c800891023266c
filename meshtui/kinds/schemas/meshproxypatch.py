"""MeshProxyPatch (Kuma 2.10.11): `pkg/plugins/policies/meshproxypatch/api/v1alpha1`.

A single-item policy: the top-level `default` is the merged conf.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import STRING, Field, List, Map, Ptr, Struct, enum, opt, req
from meshtui.kinds.schemas.common import JSON_PATCH_BLOCK, TARGET_REF

RESOURCE_OPERATION = enum("Add", "Remove", "Patch")
"""Operations allowed on clusters, listeners and virtual hosts."""

FILTER_OPERATION = enum("Remove", "Patch", "AddFirst", "AddBefore", "AddAfter", "AddLast")
"""Operations allowed on network and HTTP filters."""

CLUSTER_MATCH = Struct(
    "ClusterMatch",
    (
        opt("Origin", "origin", STRING),
        opt("Name", "name", STRING),
    ),
)

CLUSTER_MOD = Struct(
    "ClusterMod",
    (
        opt("Match", "match", CLUSTER_MATCH),
        req("Operation", "operation", RESOURCE_OPERATION),
        opt("Value", "value", STRING),
        opt("JsonPatches", "jsonPatches", List(JSON_PATCH_BLOCK)),
    ),
)

LISTENER_MATCH = Struct(
    "ListenerMatch",
    (
        opt("Origin", "origin", STRING),
        opt("Name", "name", STRING),
        opt("Tags", "tags", Map(STRING)),
    ),
)

LISTENER_MOD = Struct(
    "ListenerMod",
    (
        opt("Match", "match", LISTENER_MATCH),
        req("Operation", "operation", RESOURCE_OPERATION),
        opt("Value", "value", STRING),
        opt("JsonPatches", "jsonPatches", List(JSON_PATCH_BLOCK)),
    ),
)

NETWORK_FILTER_MATCH = Struct(
    "NetworkFilterMatch",
    (
        opt("Origin", "origin", STRING),
        opt("Name", "name", STRING),
        opt("ListenerName", "listenerName", STRING),
        opt("ListenerTags", "listenerTags", Map(STRING)),
    ),
)

NETWORK_FILTER_MOD = Struct(
    "NetworkFilterMod",
    (
        opt("Match", "match", NETWORK_FILTER_MATCH),
        req("Operation", "operation", FILTER_OPERATION),
        opt("Value", "value", STRING),
        opt("JsonPatches", "jsonPatches", List(JSON_PATCH_BLOCK)),
    ),
)

HTTP_FILTER_MATCH = Struct(
    "HTTPFilterMatch",
    (
        opt("Origin", "origin", STRING),
        opt("Name", "name", STRING),
        opt("ListenerName", "listenerName", STRING),
        opt("ListenerTags", "listenerTags", Map(STRING)),
    ),
)

HTTP_FILTER_MOD = Struct(
    "HTTPFilterMod",
    (
        opt("Match", "match", HTTP_FILTER_MATCH),
        req("Operation", "operation", FILTER_OPERATION),
        opt("Value", "value", STRING),
        opt("JsonPatches", "jsonPatches", List(JSON_PATCH_BLOCK)),
    ),
)

VIRTUAL_HOST_MATCH = Struct(
    "VirtualHostMatch",
    (
        opt("Origin", "origin", STRING),
        opt("Name", "name", STRING),
        opt("RouteConfigurationName", "routeConfigurationName", STRING),
    ),
)

VIRTUAL_HOST_MOD = Struct(
    "VirtualHostMod",
    (
        Field("Match", "match", Ptr(VIRTUAL_HOST_MATCH), omitempty=False, required=True),
        req("Operation", "operation", RESOURCE_OPERATION),
        opt("Value", "value", STRING),
        opt("JsonPatches", "jsonPatches", List(JSON_PATCH_BLOCK)),
    ),
)
"""Unlike the other mods, `match` is not `omitempty` (a nil match marshals as `null`)."""

MODIFICATION = Struct(
    "Modification",
    (
        opt("Cluster", "cluster", CLUSTER_MOD),
        opt("Listener", "listener", LISTENER_MOD),
        opt("NetworkFilter", "networkFilter", NETWORK_FILTER_MOD),
        opt("HTTPFilter", "httpFilter", HTTP_FILTER_MOD),
        opt("VirtualHost", "virtualHost", VIRTUAL_HOST_MOD),
    ),
)

CONF = Struct(
    "Conf",
    (opt("AppendModifications", "appendModifications", List(MODIFICATION)),),
)
"""The merged conf (the top-level `default`); `appendModifications` concatenates."""

SPEC = Struct(
    "MeshProxyPatch",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF, omitempty=False, required=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
