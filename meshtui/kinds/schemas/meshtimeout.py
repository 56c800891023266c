"""MeshTimeout: `pkg/plugins/policies/meshtimeout/api/v1alpha1`.

`SPEC` is the Kuma 2.10.11 shape; `spec_with_matches` adds the `rules[].matches` of 2.14.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import DURATION, Field, List, Struct, opt
from meshtui.kinds.schemas.common import TARGET_REF

HTTP = Struct(
    "Http",
    (
        opt("RequestTimeout", "requestTimeout", DURATION),
        opt("StreamIdleTimeout", "streamIdleTimeout", DURATION),
        opt("MaxStreamDuration", "maxStreamDuration", DURATION),
        opt("MaxConnectionDuration", "maxConnectionDuration", DURATION),
        opt("RequestHeadersTimeout", "requestHeadersTimeout", DURATION),
    ),
)

CONF = Struct(
    "Conf",
    (
        opt("ConnectionTimeout", "connectionTimeout", DURATION),
        opt("IdleTimeout", "idleTimeout", DURATION),
        opt("Http", "http", HTTP),
    ),
)
"""The conf merged for `to[]`, `from[]` and `rules[]` items."""

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
    "MeshTimeout",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("To", "to", List(_TO), omitempty=True),
        Field("From", "from", List(_FROM), omitempty=True),
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
        "MeshTimeout",
        (
            opt("TargetRef", "targetRef", TARGET_REF),
            Field("To", "to", List(_TO), omitempty=True),
            Field("From", "from", List(_FROM), omitempty=True),
            Field("Rules", "rules", List(rule), omitempty=True),
        ),
    )
