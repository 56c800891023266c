"""MeshHealthCheck (Kuma 2.10.11): `pkg/plugins/policies/meshhealthcheck/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    DURATION,
    INT,
    INT_OR_STRING,
    STRING,
    Field,
    List,
    Struct,
    opt,
)
from meshtui.kinds.schemas.common import (
    HEADER_KEY_VALUE,
    policy_spec,
    targeted_item,
)

HEADER_MODIFIER = Struct(
    "HeaderModifier",
    (
        Field("Set", "set", List(HEADER_KEY_VALUE)),
        Field("Add", "add", List(HEADER_KEY_VALUE)),
    ),
)

TCP_HEALTH_CHECK = Struct(
    "TcpHealthCheck",
    (
        opt("Disabled", "disabled", BOOL),
        opt("Send", "send", STRING),
        opt("Receive", "receive", List(STRING)),
    ),
)

HTTP_HEALTH_CHECK = Struct(
    "HttpHealthCheck",
    (
        opt("Disabled", "disabled", BOOL),
        opt("Path", "path", STRING),
        opt("RequestHeadersToAdd", "requestHeadersToAdd", HEADER_MODIFIER),
        opt("ExpectedStatuses", "expectedStatuses", List(INT)),
    ),
)

GRPC_HEALTH_CHECK = Struct(
    "GrpcHealthCheck",
    (
        opt("Disabled", "disabled", BOOL),
        opt("ServiceName", "serviceName", STRING),
        opt("Authority", "authority", STRING),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("Interval", "interval", DURATION),
        opt("Timeout", "timeout", DURATION),
        opt("UnhealthyThreshold", "unhealthyThreshold", INT),
        opt("HealthyThreshold", "healthyThreshold", INT),
        opt("InitialJitter", "initialJitter", DURATION),
        opt("IntervalJitter", "intervalJitter", DURATION),
        opt("IntervalJitterPercent", "intervalJitterPercent", INT),
        opt("HealthyPanicThreshold", "healthyPanicThreshold", INT_OR_STRING),
        opt("FailTrafficOnPanic", "failTrafficOnPanic", BOOL),
        opt("EventLogPath", "eventLogPath", STRING),
        opt("AlwaysLogHealthCheckFailures", "alwaysLogHealthCheckFailures", BOOL),
        opt("NoTrafficInterval", "noTrafficInterval", DURATION),
        opt("Tcp", "tcp", TCP_HEALTH_CHECK),
        opt("Http", "http", HTTP_HEALTH_CHECK),
        opt("Grpc", "grpc", GRPC_HEALTH_CHECK),
        opt("ReuseConnection", "reuseConnection", BOOL),
    ),
)
"""The conf merged for `to[]` items.

`healthyPanicThreshold` is deprecated at 2.10 (MeshCircuitBreaker has it now) but still
accepted. No field has a CRD default: the values the docs give for `interval` (1m),
`timeout` (15s), the thresholds and `http.path` are applied by the Envoy configurer, so
they never appear in a merged conf.
"""

SPEC = policy_spec("MeshHealthCheck", ("to", targeted_item("To", CONF)))
"""The whole `spec`, for validation, structural defaulting and display."""
