"""MeshTimeout: `pkg/plugins/policies/meshtimeout/api/v1alpha1`.

`SPEC` is the Kuma 2.10.11 shape; `spec_with_matches` adds the `rules[].matches` of 2.14.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import DURATION, Struct, opt
from meshtui.kinds.schemas.common import policy_spec, rule_item, targeted_item

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

_TO = targeted_item("To", CONF)
_FROM = targeted_item("From", CONF)

SPEC = policy_spec("MeshTimeout", ("to", _TO), ("from", _FROM), ("rules", rule_item(CONF)))
"""The whole `spec`, for validation, structural defaulting and display."""


@cache
def spec_with_matches(match: Struct) -> Struct:
    """The 2.14 `spec`: each `rules[]` item may carry `matches` (a list of `match`)."""
    rules = rule_item(CONF, matches=match)
    return policy_spec("MeshTimeout", ("to", _TO), ("from", _FROM), ("rules", rules))
