"""MeshTLS (Kuma 2.10.11): `pkg/plugins/policies/meshtls/api/v1alpha1`."""

from __future__ import annotations

from meshtui.kinds.gotypes import Field, List, Struct, enum, opt
from meshtui.kinds.schemas.common import (
    TLS_CIPHERS,
    TLS_VERSION,
    policy_spec,
    rule_item,
    targeted_item,
)

CONF = Struct(
    "Conf",
    (
        opt("TlsVersion", "tlsVersion", TLS_VERSION),
        Field("TlsCiphers", "tlsCiphers", List(enum(*TLS_CIPHERS))),
        opt("Mode", "mode", enum("Permissive", "Strict")),
    ),
)
"""The conf merged for `from[]` and `rules[]` items; `tlsCiphers` is a plain slice."""

SPEC = policy_spec("MeshTLS", ("from", targeted_item("From", CONF)), ("rules", rule_item(CONF)))
"""The whole `spec`, for validation, structural defaulting and display."""
