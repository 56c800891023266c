"""MeshTLS (Kuma 2.10.11): `pkg/plugins/policies/meshtls/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import Field, List, Struct, enum, opt
from meshtui.kinds.schemas.common import TARGET_REF, TLS_CIPHERS, TLS_VERSION

CONF = Struct(
    "Conf",
    (
        opt("TlsVersion", "tlsVersion", TLS_VERSION),
        Field("TlsCiphers", "tlsCiphers", List(enum(*TLS_CIPHERS))),
        opt("Mode", "mode", enum("Permissive", "Strict")),
    ),
)
"""The conf merged for `from[]` and `rules[]` items; `tlsCiphers` is a plain slice."""

_FROM = Struct(
    "From",
    (
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
        Field("Default", "default", CONF, omitempty=True),
    ),
)
_RULE = Struct("Rule", (Field("Default", "default", CONF, omitempty=True),))

SPEC = Struct(
    "MeshTLS",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("From", "from", List(_FROM), omitempty=True),
        Field("Rules", "rules", List(_RULE), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
