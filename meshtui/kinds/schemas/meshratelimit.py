"""MeshRateLimit: `pkg/plugins/policies/meshratelimit/api/v1alpha1`.

`SPEC` is the Kuma 2.10.11 shape; `spec_with_matches` adds the `rules[].matches` of 2.14.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import BOOL, DURATION, UINT, Field, List, Struct, opt, req
from meshtui.kinds.schemas.common import HEADER_KEY_VALUE, TARGET_REF

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

_FROM = Struct(
    "From",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
_TO = Struct(
    "To",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
_RULE = Struct("Rule", (Field("Default", "default", CONF, omitempty=True),))

SPEC = Struct(
    "MeshRateLimit",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("From", "from", List(_FROM), omitempty=True),
        Field("To", "to", List(_TO), omitempty=True),
        Field("Rules", "rules", List(_RULE), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""


@cache
def spec_with_matches(match: Struct) -> Struct:
    """The 2.14 `spec`: each `rules[]` item may carry `matches` (a list of `match`)."""
    rule = Struct(
        "Rule",
        (
            opt("Matches", "matches", List(match)),
            Field("Default", "default", CONF, omitempty=True),
        ),
    )
    return Struct(
        "MeshRateLimit",
        (
            opt("TargetRef", "targetRef", TARGET_REF),
            Field("From", "from", List(_FROM), omitempty=True),
            Field("To", "to", List(_TO), omitempty=True),
            Field("Rules", "rules", List(rule), omitempty=True),
        ),
    )
