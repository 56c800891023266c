"""MeshTrafficPermission.

Go package: `pkg/plugins/policies/meshtrafficpermission/api/v1alpha1`. `SPEC` is the Kuma
2.10.11 shape (`from` only); `spec_with_rules` builds the 2.12 one, whose `rules[]` items
carry a `RuleConf` of allow/deny lists of matches.
"""

from __future__ import annotations

from functools import cache

from meshtui.kinds.gotypes import List, Struct, enum, opt
from meshtui.kinds.schemas.common import policy_spec, rule_item, targeted_item

ACTIONS = ("Allow", "Deny", "AllowWithShadowDeny")

CONF = Struct("Conf", (opt("Action", "action", enum(*ACTIONS)),))
"""The conf merged for `from[]` items: a single `action`, replaced like any scalar."""

_FROM = targeted_item("From", CONF)

SPEC = policy_spec("MeshTrafficPermission", ("from", _FROM))
"""The whole `spec`, for validation, structural defaulting and display."""


@cache
def rule_conf(match: Struct) -> Struct:
    """`RuleConf` (2.12): the conf of a `rules[]` item, lists of `match` (replaced on merge)."""
    return Struct(
        "RuleConf",
        (
            opt("Deny", "deny", List(match)),
            opt("AllowWithShadowDeny", "allowWithShadowDeny", List(match)),
            opt("Allow", "allow", List(match)),
        ),
    )


@cache
def spec_with_rules(match: Struct) -> Struct:
    """The 2.12 `spec`: `from` and `rules` are pointers to slices (`[]` is kept)."""
    rules = rule_item(rule_conf(match), required_default=True)
    return policy_spec("MeshTrafficPermission", ("from", _FROM), ("rules", rules), pointers=True)
