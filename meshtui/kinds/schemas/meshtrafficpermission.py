"""MeshTrafficPermission (Kuma 2.10.11).

Go package: `pkg/plugins/policies/meshtrafficpermission/api/v1alpha1`.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import Field, List, Struct, enum, opt
from meshtui.kinds.schemas.common import TARGET_REF

ACTIONS = ("Allow", "Deny", "AllowWithShadowDeny")

CONF = Struct("Conf", (opt("Action", "action", enum(*ACTIONS)),))
"""The conf merged for `from[]` items: a single `action`, replaced like any scalar."""

_FROM = Struct(
    "From",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)

SPEC = Struct(
    "MeshTrafficPermission",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("From", "from", List(_FROM), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
