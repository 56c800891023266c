"""MeshRateLimit: `pkg/plugins/policies/meshratelimit/api/v1alpha1`.

`SPEC` is the Kuma 2.10.11 shape; `spec_with_matches` adds the `rules[].matches` of 2.14.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import BOOL, DURATION, UINT, Field, List, Struct, opt, req
from meshtui.kinds.schemas.common import (
    HEADER_KEY_VALUE,
    policy_spec,
    rule_item,
    targeted_item,
)

RATE = Struct(
    "Rate",
    (
        req("Num", "num", UINT),
        req("Interval", "interval", DURATION),
    ),
)

HEADER_MODIFIER = Struct(
    "HeaderModifier",
    (
        Field("Set", "set", List(HEADER_KEY_VALUE)),
        Field("Add", "add", List(HEADER_KEY_VALUE)),
    ),
)

ON_RATE_LIMIT = Struct(
    "OnRateLimit",
    (
        opt("Status", "status", UINT),
        opt("Headers", "headers", HEADER_MODIFIER),
    ),
)

LOCAL_HTTP = Struct(
    "LocalHTTP",
    (
        opt("Disabled", "disabled", BOOL),
        opt("RequestRate", "requestRate", RATE),
        opt("OnRateLimit", "onRateLimit", ON_RATE_LIMIT),
    ),
)

LOCAL_TCP = Struct(
    "LocalTCP",
    (
        opt("Disabled", "disabled", BOOL),
        opt("ConnectionRate", "connectionRate", RATE),
    ),
)

LOCAL = Struct(
    "Local",
    (
        opt("HTTP", "http", LOCAL_HTTP),
        opt("TCP", "tcp", LOCAL_TCP),
    ),
)

CONF = Struct("Conf", (opt("Local", "local", LOCAL),))
"""The conf merged for `from[]`, `to[]` and `rules[]` items."""

_FROM = targeted_item("From", CONF)
_TO = targeted_item("To", CONF)

SPEC = policy_spec("MeshRateLimit", ("from", _FROM), ("to", _TO), ("rules", rule_item(CONF)))
"""The whole `spec`, for validation, structural defaulting and display."""


@cache
def spec_with_matches(match: Struct) -> Struct:
    """The 2.14 `spec`: each `rules[]` item may carry `matches` (a list of `match`)."""
    rules = rule_item(CONF, matches=match)
    return policy_spec("MeshRateLimit", ("from", _FROM), ("to", _TO), ("rules", rules))
