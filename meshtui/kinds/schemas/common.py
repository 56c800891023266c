"""Types shared by the policies: `api/common/v1alpha1` and its `tls` package.

`TargetRef`, `BackendRef`, `HeaderMatch`, `JsonPatchBlock` and the TLS version block. At
2.10 these are plain Go values with `omitempty` (the pointer-everywhere shape and the
split `TopLevelTargetRef`/`OutboundTargetRef` types only arrive on the 3.0 line).
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    JSON,
    STRING,
    UINT,
    Field,
    List,
    Map,
    Ptr,
    Scalar,
    Struct,
    enum,
    opt,
    req,
)

TARGET_REF_KINDS = (
    "Mesh",
    "MeshSubset",
    "MeshGateway",
    "MeshService",
    "MeshExternalService",
    "MeshMultiZoneService",
    "MeshServiceSubset",
    "MeshHTTPRoute",
    "Dataplane",
)
"""The CRD enum of `targetRef.kind`, in the schema's order."""

PROXY_TYPE = enum("Sidecar", "Gateway")

TARGET_REF = Struct(
    "TargetRef",
    (
        Field("Kind", "kind", enum(*TARGET_REF_KINDS)),
        Field("Name", "name", STRING),
        Field("Tags", "tags", Map(STRING)),
        Field("Mesh", "mesh", STRING),
        Field("ProxyTypes", "proxyTypes", List(PROXY_TYPE, min_items=1)),
        Field("Namespace", "namespace", STRING),
        Field("Labels", "labels", Map(STRING)),
        Field("SectionName", "sectionName", STRING),
    ),
)
"""`common_api.TargetRef`: plain (non-pointer) fields, all `omitempty`.

The CRD requires `kind`; the table leaves that to `parse.policy_rules`, which reports a
missing or unsupported kind with the policy's context. An empty string, map or list is
dropped when marshalled. The shape is the same on every supported line (2.10-2.14).
"""


def targeted_item(name: str, conf: Struct) -> Struct:
    """A `to[]` or `from[]` item: its required `targetRef` and its `default` conf."""
    return Struct(
        name,
        (
            Field("TargetRef", "targetRef", TARGET_REF, omitempty=False, required=True),
            Field("Default", "default", conf, omitempty=True),
        ),
    )


def rule_item(
    conf: Struct, *, matches: Struct | None = None, required_default: bool = False
) -> Struct:
    """A `rules[]` item: `matches` (a list of `matches`, when the line has them), then its
    `default` conf (`omitempty`, or CRD-required)."""
    default = (
        req("Default", "default", conf)
        if required_default
        else Field("Default", "default", conf, omitempty=True)
    )
    head = () if matches is None else (opt("Matches", "matches", List(matches)),)
    return Struct("Rule", (*head, default))


def policy_spec(kind: str, *sections: tuple[str, Struct], pointers: bool = False) -> Struct:
    """A policy's `spec`: an optional top-level `targetRef`, then each section (`to`,
    `from`, `rules`) as a list of its items, in the Go struct's field order; `pointers`
    makes the lists pointers (an empty list is kept, not omitted)."""
    fields = [opt("TargetRef", "targetRef", TARGET_REF)]
    for json_name, item in sections:
        go_name = json_name[:1].upper() + json_name[1:]
        if pointers:
            fields.append(opt(go_name, json_name, List(item)))
        else:
            fields.append(Field(go_name, json_name, List(item), omitempty=True))
    return Struct(kind, tuple(fields))


GENERIC_CONF = Struct("Conf", open=True)
"""The conf of a generic policy kind: any object, kept as written and merged as plain
JSON (no `Append*` lists, no merge keys)."""


def generic_spec(match: Struct | None) -> Struct:
    """The `spec` of a generic policy kind: the targetRef envelope with every section (`to`,
    `from`, `rules`, with `matches` on lines that have them) and a top-level `default`."""
    envelope = policy_spec(
        "Generic",
        ("to", targeted_item("To", GENERIC_CONF)),
        ("from", targeted_item("From", GENERIC_CONF)),
        ("rules", rule_item(GENERIC_CONF, matches=match)),
    )
    return Struct(
        envelope.name, (*envelope.fields, Field("Default", "default", GENERIC_CONF, omitempty=True))
    )


BACKEND_REF = Struct(
    "BackendRef",
    (
        Field("TargetRef", "", TARGET_REF, omitempty=False),
        Field("Weight", "weight", Ptr(Scalar("uint", minimum=0)), default=1),
        Field("Port", "port", Ptr(UINT)),
    ),
)
"""`common_api.BackendRef`: an inlined TargetRef plus `weight` (schema default 1) and `port`."""

HEADER_NAME = Scalar("string")
"""`common_api.HeaderName` (1-256 chars of a lower-case token; the pattern is not modelled)."""

HEADER_MATCH_TYPES = ("Exact", "Present", "RegularExpression", "Absent", "Prefix")

HEADER_MATCH = Struct(
    "HeaderMatch",
    (
        opt("Type", "type", enum(*HEADER_MATCH_TYPES), default="Exact"),
        req("Name", "name", HEADER_NAME),
        Field("Value", "value", STRING),
    ),
)
"""`common_api.HeaderMatch`: `type` defaults to `Exact`; `type` and `value` are `omitempty`."""

HEADER_KEY_VALUE = Struct(
    "HeaderKeyValue",
    (
        req("Name", "name", HEADER_NAME),
        req("Value", "value", STRING),
    ),
)
"""The `{name, value}` pair each policy package declares for its header modifiers."""

JSON_PATCH_BLOCK = Struct(
    "JsonPatchBlock",
    (
        req("Op", "op", enum("add", "remove", "replace", "move", "copy")),
        Field("Path", "path", Ptr(STRING), omitempty=False, required=True),
        Field("Value", "value", JSON),
        opt("From", "from", STRING),
    ),
)
"""`common_api.JsonPatchBlock`; `value` is a `json.RawMessage` (kept as written)."""

TLS_VERSION_VALUES = ("TLSAuto", "TLS10", "TLS11", "TLS12", "TLS13")

TLS_VERSION = Struct(
    "Version",
    (
        opt("Min", "min", enum(*TLS_VERSION_VALUES), default="TLSAuto"),
        opt("Max", "max", enum(*TLS_VERSION_VALUES), default="TLSAuto"),
    ),
)
"""`tls.Version` from `api/common/v1alpha1/tls`: both ends default to `TLSAuto`."""

TLS_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
"""`tls.TlsCipher` enum values."""

# ---------------------------------------------------------------------------------------
# Added after 2.10 (the schema registry picks them per version)

SPIFFE_ID_MATCH = Struct(
    "SpiffeIDMatch",
    (
        req("Type", "type", enum("Exact", "Prefix")),
        req("Value", "value", STRING),
    ),
)

SNI_MATCH = Struct(
    "SNIMatch",
    (
        req("Type", "type", enum("Exact")),
        req("Value", "value", STRING),
    ),
)

MATCH_SPIFFE = Struct("Match", (opt("SpiffeID", "spiffeID", SPIFFE_ID_MATCH),))
"""`common_api.Match` of 2.12-2.13: a client matched by SPIFFE ID only."""

MATCH = Struct(
    "Match",
    (
        opt("SpiffeID", "spiffeID", SPIFFE_ID_MATCH),
        opt("SNI", "sni", SNI_MATCH),
    ),
)
"""`common_api.Match` of 2.14: by SPIFFE ID (`Exact`/`Prefix`) or SNI (`Exact`)."""

BACKEND_RESOURCE_REF = Struct(
    "BackendResourceRef",
    (
        req("Kind", "kind", enum("MeshOpenTelemetryBackend")),
        Field("Labels", "labels", Map(STRING)),
    ),
)
"""`common_api.BackendResourceRef` (2.14): an OpenTelemetry backend chosen by labels."""
