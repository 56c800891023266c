"""MeshFaultInjection: `pkg/plugins/policies/meshfaultinjection/api/v1alpha1`.

`SPEC` is the Kuma 2.10.11 shape; `spec_with_rules` adds the `rules[]` (with `matches`) of
2.13.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import (
    DURATION,
    INT,
    INT_OR_STRING,
    STRING,
    List,
    Struct,
    opt,
    req,
)
from meshtui.kinds.schemas.common import policy_spec, rule_item, targeted_item

ABORT_CONF = Struct(
    "AbortConf",
    (
        req("HttpStatus", "httpStatus", INT),
        req("Percentage", "percentage", INT_OR_STRING),
    ),
)

DELAY_CONF = Struct(
    "DelayConf",
    (
        req("Value", "value", DURATION),
        req("Percentage", "percentage", INT_OR_STRING),
    ),
)

RESPONSE_BANDWIDTH_CONF = Struct(
    "ResponseBandwidthConf",
    (
        req("Limit", "limit", STRING),
        req("Percentage", "percentage", INT_OR_STRING),
    ),
)

FAULT_INJECTION_CONF = Struct(
    "FaultInjectionConf",
    (
        opt("Abort", "abort", ABORT_CONF),
        opt("Delay", "delay", DELAY_CONF),
        opt("ResponseBandwidth", "responseBandwidth", RESPONSE_BANDWIDTH_CONF),
    ),
)

CONF = Struct("Conf", (opt("Http", "http", List(FAULT_INJECTION_CONF)),))
"""The conf merged for `from[]` and `to[]` items; `http` is replaced, not appended."""

_FROM = targeted_item("From", CONF)
_TO = targeted_item("To", CONF)

SPEC = policy_spec("MeshFaultInjection", ("from", _FROM), ("to", _TO))
"""The whole `spec`, for validation, structural defaulting and display."""


@cache
def spec_with_rules(match: Struct) -> Struct:
    """The 2.13 `spec`: `rules[]` items with optional `matches` and a required `default`."""
    rules = rule_item(CONF, matches=match, required_default=True)
    return policy_spec("MeshFaultInjection", ("from", _FROM), ("to", _TO), ("rules", rules))
