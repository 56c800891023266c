"""MeshTrace: `pkg/plugins/policies/meshtrace/api/v1alpha1`.

A single-item policy: the top-level `default` is the merged conf. `SPEC`/`CONF` are the
Kuma 2.10.11 shapes; `CONF_WITH_BACKEND_REF`/`SPEC_WITH_BACKEND_REF` the 2.14 ones.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    INT_OR_STRING,
    STRING,
    Field,
    List,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import BACKEND_RESOURCE_REF, TARGET_REF

ZIPKIN_BACKEND = Struct(
    "ZipkinBackend",
    (
        req("Url", "url", STRING),
        Field("TraceId128Bit", "traceId128bit", BOOL, omitempty=False, default=False),
        Field(
            "ApiVersion",
            "apiVersion",
            enum("httpJson", "httpProto"),
            omitempty=False,
            default="httpJson",
        ),
        Field("SharedSpanContext", "sharedSpanContext", BOOL, omitempty=False, default=True),
    ),
)
"""Plain, non-`omitempty` fields: `false` and `""` are printed, never dropped."""

DATADOG_BACKEND = Struct(
    "DatadogBackend",
    (
        req("Url", "url", STRING),
        Field("SplitService", "splitService", BOOL, omitempty=False, default=False),
    ),
)

OPEN_TELEMETRY_BACKEND = Struct(
    "OpenTelemetryBackend",
    (req("Endpoint", "endpoint", STRING),),
)

BACKEND = Struct(
    "Backend",
    (
        req("Type", "type", enum("Zipkin", "Datadog", "OpenTelemetry")),
        opt("Zipkin", "zipkin", ZIPKIN_BACKEND),
        opt("Datadog", "datadog", DATADOG_BACKEND),
        opt("OpenTelemetry", "openTelemetry", OPEN_TELEMETRY_BACKEND),
    ),
)

SAMPLING = Struct(
    "Sampling",
    (
        opt("Overall", "overall", INT_OR_STRING),
        opt("Client", "client", INT_OR_STRING),
        opt("Random", "random", INT_OR_STRING),
    ),
)

HEADER_TAG = Struct(
    "HeaderTag",
    (
        req("Name", "name", STRING),
        opt("Default", "default", STRING),
    ),
)

TAG = Struct(
    "Tag",
    (
        req("Name", "name", STRING),
        opt("Literal", "literal", STRING),
        opt("Header", "header", HEADER_TAG),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("Backends", "backends", List(BACKEND)),
        opt("Sampling", "sampling", SAMPLING),
        opt("Tags", "tags", List(TAG)),
    ),
)
"""The merged conf (the top-level `default`); `backends` (max 1 item) is replaced."""

SPEC = Struct(
    "MeshTrace",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""

OPEN_TELEMETRY_BACKEND_WITH_REF = Struct(
    "OpenTelemetryBackend",
    (
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
                        req("Type", "type", enum("Zipkin", "Datadog", "OpenTelemetry")),
                        opt("Zipkin", "zipkin", ZIPKIN_BACKEND),
                        opt("Datadog", "datadog", DATADOG_BACKEND),
                        opt("OpenTelemetry", "openTelemetry", OPEN_TELEMETRY_BACKEND_WITH_REF),
                    ),
                )
            ),
        ),
        opt("Sampling", "sampling", SAMPLING),
        opt("Tags", "tags", List(TAG)),
    ),
)

SPEC_WITH_BACKEND_REF = Struct(
    "MeshTrace",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("Default", "default", CONF_WITH_BACKEND_REF, omitempty=True),
    ),
)
