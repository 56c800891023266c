"""MeshPassthrough (Kuma 2.10.11): `pkg/plugins/policies/meshpassthrough/api/v1alpha1`.

A single-item policy: the top-level `default` is the merged conf.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import STRING, UINT, Field, List, Struct, enum, opt
from meshtui.kinds.schemas.common import TARGET_REF

MATCH = Struct(
    "Match",
    (
        Field("Type", "type", enum("Domain", "IP", "CIDR")),
        Field("Value", "value", STRING),
        opt("Port", "port", UINT),
        Field(
            "Protocol",
            "protocol",
            enum("tcp", "tls", "grpc", "http", "http2", "mysql"),
            default="tcp",
        ),
    ),
)
"""Every field is `omitempty`; `protocol` defaults to `tcp`."""

CONF = Struct(
    "Conf",
    (
        opt("PassthroughMode", "passthroughMode", enum("All", "Matched", "None")),
        Field("AppendMatch", "appendMatch", List(MATCH)),
    ),
)
"""The merged conf (the top-level `default`); `appendMatch` concatenates across policies."""

SPEC = Struct(
    "MeshPassthrough",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
