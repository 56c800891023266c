"""MeshHTTPRoute (Kuma 2.10.11): `pkg/plugins/policies/meshhttproute/api/v1alpha1`.

A `to[]` item has no `default`: its conf is a `PolicyDefault` built from the item (rules
reversed, hostnames as given), merged with `mergeValuesByKey` on `rules` (keyed by
`Rule.matches`) and split by `mergeValues` on `hostnames`.
"""

from __future__ import annotations

from meshtui.kinds.gotypes import (
    BOOL,
    INT,
    INT_OR_STRING,
    STRING,
    Field,
    List,
    Scalar,
    Struct,
    enum,
    opt,
    req,
)
from meshtui.kinds.schemas.common import BACKEND_REF, HEADER_KEY_VALUE, HEADER_MATCH, TARGET_REF

METHODS = ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")

FILTER_TYPES = (
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestRedirect",
    "URLRewrite",
    "RequestMirror",
)

PATH_MATCH = Struct(
    "PathMatch",
    (
        req("Value", "value", STRING),
        req("Type", "type", enum("Exact", "PathPrefix", "RegularExpression")),
    ),
)

QUERY_PARAMS_MATCH = Struct(
    "QueryParamsMatch",
    (
        req("Type", "type", enum("Exact", "RegularExpression")),
        req("Name", "name", STRING),
        req("Value", "value", STRING),
    ),
)

MATCH = Struct(
    "Match",
    (
        opt("Path", "path", PATH_MATCH),
        opt("Method", "method", enum(*METHODS)),
        Field("QueryParams", "queryParams", List(QUERY_PARAMS_MATCH)),
        Field("Headers", "headers", List(HEADER_MATCH)),
    ),
)
"""One request matcher; its Go JSON is what `HashMatches` hashes."""

HEADER_MODIFIER = Struct(
    "HeaderModifier",
    (
        Field("Set", "set", List(HEADER_KEY_VALUE)),
        Field("Add", "add", List(HEADER_KEY_VALUE)),
        Field("Remove", "remove", List(STRING)),
    ),
)

PATH_REWRITE = Struct(
    "PathRewrite",
    (
        req("Type", "type", enum("ReplaceFullPath", "ReplacePrefixMatch")),
        opt("ReplaceFullPath", "replaceFullPath", STRING),
        opt("ReplacePrefixMatch", "replacePrefixMatch", STRING),
    ),
)

REQUEST_REDIRECT = Struct(
    "RequestRedirect",
    (
        opt("Scheme", "scheme", enum("http", "https")),
        opt("Hostname", "hostname", STRING),
        opt("Path", "path", PATH_REWRITE),
        opt("Port", "port", Scalar("int", minimum=1, maximum=65535)),
        opt("StatusCode", "statusCode", INT, default=302),
    ),
)
"""`statusCode` is also restricted to 301, 302, 303, 307, 308 (an integer enum, not modelled)."""

URL_REWRITE = Struct(
    "URLRewrite",
    (
        opt("Hostname", "hostname", STRING),
        opt("Path", "path", PATH_REWRITE),
        Field("HostToBackendHostname", "hostToBackendHostname", BOOL),
    ),
)

REQUEST_MIRROR = Struct(
    "RequestMirror",
    (
        opt("Percentage", "percentage", INT_OR_STRING),
        req("BackendRef", "backendRef", BACKEND_REF),
    ),
)

FILTER = Struct(
    "Filter",
    (
        req("Type", "type", enum(*FILTER_TYPES)),
        opt("RequestHeaderModifier", "requestHeaderModifier", HEADER_MODIFIER),
        opt("ResponseHeaderModifier", "responseHeaderModifier", HEADER_MODIFIER),
        opt("RequestRedirect", "requestRedirect", REQUEST_REDIRECT),
        opt("URLRewrite", "urlRewrite", URL_REWRITE),
        opt("RequestMirror", "requestMirror", REQUEST_MIRROR),
    ),
)

RULE_CONF = Struct(
    "RuleConf",
    (
        opt("Filters", "filters", List(FILTER)),
        opt("BackendRefs", "backendRefs", List(BACKEND_REF)),
    ),
)
"""What two rules with equal `matches` merge (RFC 7396: later lists replace earlier ones)."""

RULE = Struct(
    "Rule",
    (
        Field(
            "Matches",
            "matches",
            List(MATCH, min_items=1),
            omitempty=False,
            required=True,
            policy_merge="mergeKey",
        ),
        req("Default", "default", RULE_CONF),
    ),
)

_TO = Struct(
    "To",
    (
        Field("Hostnames", "hostnames", List(STRING)),
        Field("TargetRef", "targetRef", TARGET_REF, omitempty=True),
        Field("Rules", "rules", List(RULE)),
    ),
)

CONF = Struct(
    "PolicyDefault",
    (
        Field("Rules", "rules", List(RULE), policy_merge="mergeValuesByKey"),
        Field("Hostnames", "hostnames", List(STRING), policy_merge="mergeValues"),
    ),
)
"""The merged type: `{rules, hostnames}` made from a `to[]` item."""

SPEC = Struct(
    "MeshHTTPRoute",
    (
        opt("TargetRef", "targetRef", TARGET_REF),
        Field("To", "to", List(_TO), omitempty=True),
    ),
)
"""The whole `spec`, for validation, structural defaulting and display."""
