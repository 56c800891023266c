"""MeshAccessLog: `pkg/plugins/policies/meshaccesslog/api/v1alpha1`.

`SPEC`/`CONF` are the Kuma 2.10.11 shapes; `conf_for` and `spec_for` build the 2.14 ones
(OpenTelemetry `backendRef`, `rules[].matches`).
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import BOOL, JSON, STRING, Field, List, Struct, enum, opt, req
from meshtui.kinds.schemas.common import (
    BACKEND_RESOURCE_REF,
    policy_spec,
    rule_item,
    targeted_item,
)

JSON_VALUE = Struct(
    "JsonValue",
    (
        Field("Key", "key", STRING),
        Field("Value", "value", STRING),
    ),
)

FORMAT = Struct(
    "Format",
    (
        req("Type", "type", enum("Plain", "Json")),
        opt("Plain", "plain", STRING),
        opt("Json", "json", List(JSON_VALUE)),
        opt("OmitEmptyValues", "omitEmptyValues", BOOL, default=False),
    ),
)

TCP_BACKEND = Struct(
    "TCPBackend",
    (
        opt("Format", "format", FORMAT),
        req("Address", "address", STRING),
    ),
)

OTEL_BACKEND = Struct(
    "OtelBackend",
    (
        Field("Attributes", "attributes", List(JSON_VALUE)),
        opt("Body", "body", JSON),
        req("Endpoint", "endpoint", STRING),
    ),
)

FILE_BACKEND = Struct(
    "FileBackend",
    (
        opt("Format", "format", FORMAT),
        req("Path", "path", STRING),
    ),
)

BACKEND = Struct(
    "Backend",
    (
        req("Type", "type", enum("Tcp", "File", "OpenTelemetry")),
        opt("Tcp", "tcp", TCP_BACKEND),
        opt("File", "file", FILE_BACKEND),
        opt("OpenTelemetry", "openTelemetry", OTEL_BACKEND),
    ),
)

CONF = Struct("Conf", (opt("Backends", "backends", List(BACKEND)),))
"""The conf merged for `to[]`, `from[]` and `rules[]` items; `backends` is replaced."""

SPEC = policy_spec(
    "MeshAccessLog",
    ("to", targeted_item("To", CONF)),
    ("from", targeted_item("From", CONF)),
    ("rules", rule_item(CONF)),
)
"""The whole `spec`, for validation, structural defaulting and display."""

OTEL_BACKEND_WITH_REF = Struct(
    "OtelBackend",
    (
        Field("Attributes", "attributes", List(JSON_VALUE)),
        opt("Body", "body", JSON),
        Field("Endpoint", "endpoint", STRING, omitempty=False, default=""),
        opt("BackendRef", "backendRef", BACKEND_RESOURCE_REF),
    ),
)
"""2.14: `endpoint` is optional (CRD default `""`), or a `backendRef` names the backend."""

CONF_WITH_BACKEND_REF = Struct(
    "Conf",
    (
        opt(
            "Backends",
            "backends",
            List(
                Struct(
                    "Backend",
                    (
                        req("Type", "type", enum("Tcp", "File", "OpenTelemetry")),
                        opt("Tcp", "tcp", TCP_BACKEND),
                        opt("File", "file", FILE_BACKEND),
                        opt("OpenTelemetry", "openTelemetry", OTEL_BACKEND_WITH_REF),
                    ),
                )
            ),
        ),
    ),
)
"""The 2.14 conf: OpenTelemetry backends may name a MeshOpenTelemetryBackend."""


def conf_for(*, otel_backend_ref: bool) -> Struct:
    """The conf of the version: 2.10's, or 2.14's with OpenTelemetry `backendRef`."""
    return CONF_WITH_BACKEND_REF if otel_backend_ref else CONF


@cache
def spec_for(conf: Struct, match: Struct | None) -> Struct:
    """The `spec` around `conf`; with a `match` type, `rules[]` items carry `matches`."""
    if conf is CONF and match is None:
        return SPEC
    return policy_spec(
        "MeshAccessLog",
        ("to", targeted_item("To", conf)),
        ("from", targeted_item("From", conf)),
        ("rules", rule_item(conf, matches=match)),
    )
