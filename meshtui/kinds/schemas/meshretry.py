"""MeshRetry (Kuma 2.10.11): `pkg/plugins/policies/meshretry/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    DURATION,
    INT,
    STRING,
    UINT,
    Field,
    List,
    Map,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import (
    HEADER_MATCH,
    HEADER_NAME,
    policy_spec,
    targeted_item,
)

GRPC_RETRY_ON = ("Canceled", "DeadlineExceeded", "Internal", "ResourceExhausted", "Unavailable")

TCP = Struct("TCP", (opt("MaxConnectAttempt", "maxConnectAttempt", UINT),))

BACK_OFF = Struct(
    "BackOff",
    (
        opt("BaseInterval", "baseInterval", DURATION),
        opt("MaxInterval", "maxInterval", DURATION),
    ),
)

RESET_HEADER = Struct(
    "ResetHeader",
    (
        req("Name", "name", HEADER_NAME),
        req("Format", "format", enum("Seconds", "UnixTimestamp")),
    ),
)

RATE_LIMITED_BACK_OFF = Struct(
    "RateLimitedBackOff",
    (
        opt("ResetHeaders", "resetHeaders", List(RESET_HEADER)),
        opt("MaxInterval", "maxInterval", DURATION),
    ),
)

PREDICATE = Struct(
    "Predicate",
    (
        req(
            "PredicateType",
            "predicate",
            enum("OmitPreviousHosts", "OmitHostsWithTags", "OmitPreviousPriorities"),
        ),
        Field("Tags", "tags", Map(STRING)),
        Field("UpdateFrequency", "updateFrequency", INT, default=2),
    ),
)

HTTP = Struct(
    "HTTP",
    (
        opt("NumRetries", "numRetries", UINT),
        opt("PerTryTimeout", "perTryTimeout", DURATION),
        opt("BackOff", "backOff", BACK_OFF),
        opt("RateLimitedBackOff", "rateLimitedBackOff", RATE_LIMITED_BACK_OFF),
        opt("RetryOn", "retryOn", List(STRING)),
        opt("RetriableResponseHeaders", "retriableResponseHeaders", List(HEADER_MATCH)),
        opt("RetriableRequestHeaders", "retriableRequestHeaders", List(HEADER_MATCH)),
        opt("HostSelection", "hostSelection", List(PREDICATE)),
        opt("HostSelectionMaxAttempts", "hostSelectionMaxAttempts", INT),
    ),
)
"""`retryOn` takes the named conditions or any HTTP status code, so it has no CRD enum."""

GRPC = Struct(
    "GRPC",
    (
        opt("NumRetries", "numRetries", UINT),
        opt("PerTryTimeout", "perTryTimeout", DURATION),
        opt("BackOff", "backOff", BACK_OFF),
        opt("RateLimitedBackOff", "rateLimitedBackOff", RATE_LIMITED_BACK_OFF),
        opt("RetryOn", "retryOn", List(enum(*GRPC_RETRY_ON))),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("TCP", "tcp", TCP),
        opt("HTTP", "http", HTTP),
        opt("GRPC", "grpc", GRPC),
    ),
)
"""The conf merged for `to[]` items; `retryOn` lists are replaced, not appended."""

SPEC = policy_spec("MeshRetry", ("to", targeted_item("To", CONF)))
"""The whole `spec`, for validation, structural defaulting and display."""
