"""MeshAccessLog (Kuma 2.10.11): `pkg/plugins/policies/meshaccesslog/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import BOOL, JSON, STRING, Field, List, Struct, enum, opt, req
from meshtui.kinds.schemas.common import TARGET_REF

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

_TO = Struct(
    "To",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
_FROM = Struct(
    "From",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
_RULE = Struct("Rule", (Field("Default", "default", CONF, omitempty=True),))

SPEC = Struct(
    "MeshAccessLog",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("To", "to", List(_TO), omitempty=True),
        Field("From", "from", List(_FROM), omitempty=True),
        Field("Rules", "rules", List(_RULE), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
