"""MeshCircuitBreaker (Kuma 2.10.11): `pkg/plugins/policies/meshcircuitbreaker/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    DURATION,
    INT_OR_STRING,
    UINT,
    Struct,
    opt,
)
from meshtui.kinds.schemas.common import policy_spec, rule_item, targeted_item

CONNECTION_LIMITS = Struct(
    "ConnectionLimits",
    (
        opt("MaxConnections", "maxConnections", UINT),
        opt("MaxConnectionPools", "maxConnectionPools", UINT),
        opt("MaxPendingRequests", "maxPendingRequests", UINT),
        opt("MaxRetries", "maxRetries", UINT),
        opt("MaxRequests", "maxRequests", UINT),
    ),
)

DETECTOR_TOTAL_FAILURES = Struct(
    "DetectorTotalFailures", (opt("Consecutive", "consecutive", UINT),)
)
DETECTOR_GATEWAY_FAILURES = Struct(
    "DetectorGatewayFailures", (opt("Consecutive", "consecutive", UINT),)
)
DETECTOR_LOCAL_ORIGIN_FAILURES = Struct(
    "DetectorLocalOriginFailures", (opt("Consecutive", "consecutive", UINT),)
)
DETECTOR_SUCCESS_RATE = Struct(
    "DetectorSuccessRateFailures",
    (
        opt("MinimumHosts", "minimumHosts", UINT),
        opt("RequestVolume", "requestVolume", UINT),
        opt("StandardDeviationFactor", "standardDeviationFactor", INT_OR_STRING),
    ),
)
DETECTOR_FAILURE_PERCENTAGE = Struct(
    "DetectorFailurePercentageFailures",
    (
        opt("MinimumHosts", "minimumHosts", UINT),
        opt("RequestVolume", "requestVolume", UINT),
        opt("Threshold", "threshold", UINT),
    ),
)

DETECTORS = Struct(
    "Detectors",
    (
        opt("TotalFailures", "totalFailures", DETECTOR_TOTAL_FAILURES),
        opt("GatewayFailures", "gatewayFailures", DETECTOR_GATEWAY_FAILURES),
        opt("LocalOriginFailures", "localOriginFailures", DETECTOR_LOCAL_ORIGIN_FAILURES),
        opt("SuccessRate", "successRate", DETECTOR_SUCCESS_RATE),
        opt("FailurePercentage", "failurePercentage", DETECTOR_FAILURE_PERCENTAGE),
    ),
)

OUTLIER_DETECTION = Struct(
    "OutlierDetection",
    (
        opt("Disabled", "disabled", BOOL),
        opt("Interval", "interval", DURATION),
        opt("BaseEjectionTime", "baseEjectionTime", DURATION),
        opt("MaxEjectionPercent", "maxEjectionPercent", UINT),
        opt("SplitExternalAndLocalErrors", "splitExternalAndLocalErrors", BOOL),
        opt("Detectors", "detectors", DETECTORS),
        opt("HealthyPanicThreshold", "healthyPanicThreshold", INT_OR_STRING),
    ),
)
"""`healthyPanicThreshold` arrived in 2.10 (moved here from MeshHealthCheck)."""

CONF = Struct(
    "Conf",
    (
        opt("ConnectionLimits", "connectionLimits", CONNECTION_LIMITS),
        opt("OutlierDetection", "outlierDetection", OUTLIER_DETECTION),
    ),
)
"""The conf merged for `to[]`, `from[]` and `rules[]` items."""

SPEC = policy_spec(
    "MeshCircuitBreaker",
    ("to", targeted_item("To", CONF)),
    ("from", targeted_item("From", CONF)),
    ("rules", rule_item(CONF)),
)
"""The whole `spec`, for validation, structural defaulting and display."""
