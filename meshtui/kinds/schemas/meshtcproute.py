"""MeshTCPRoute (Kuma 2.10.11): `pkg/plugins/policies/meshtcproute/api/v1alpha1`.

A `to[]` item carries `rules` (at most one) instead of `default`; the merged type is the
`Rule` itself, because a to-item's conf is its first rule.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import Field, List, Struct, opt, req
from meshtui.kinds.schemas.common import BACKEND_REF, TARGET_REF

RULE_CONF = Struct(
    "RuleConf",
    (
        Field(
            "BackendRefs",
            "backendRefs",
            List(BACKEND_REF, min_items=1),
            omitempty=False,
            required=True,
        ),
    ),
)
"""`backendRefs` is not `omitempty`: a missing list marshals as `null`."""

RULE = Struct("Rule", (req("Default", "default", RULE_CONF),))

CONF = RULE
"""The merged type: `{default: {backendRefs}}`."""

_TO = Struct(
    "To",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Rules", "rules", List(RULE)),
    ),
)
"""`rules` has `MaxItems=1` in the CRD (not modelled)."""

SPEC = Struct(
    "MeshTCPRoute",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("To", "to", List(_TO, min_items=1), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
