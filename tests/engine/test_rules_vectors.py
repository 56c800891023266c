"""The test vectors of spec `kuma-rules.md` §11 through the full `_rules` output.

TV-1..TV-5 (legacy subset partitions), TV-6/TV-7 (route merging), TV-8 (append vs
replace), TV-9 (typed canonicalisation), TV-12 (skip condition), TV-13 (MeshGateway
tag-count key), plus §4.7 (top-level MeshHTTPRoute artificial items) and §7 (proxy rule).
TV-10/11/14/15/16/19/20 live in `test_rules_resource.py`, TV-17/18 in
`test_rules_inbound.py`. Expected values are derived by hand from the spec.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    WEB_INBOUND,
    Json,
    block,
    by_key,
    dataplane,
    external_service,
    go_hash,
    matcher,
    mesh,
    mesh_meta,
    meta,
    origin,
    policy,
    resource_rule,
    rules,
    service,
    svc_ref,
    to_item,
    types,
)

MT = "MeshTimeout"
MTP = "MeshTrafficPermission"
HTTPR = "MeshHTTPRoute"
SVC = "kuma.io/service"
HASH_TAG = "__rule-matches-hash__"


def legacy(matchers: list[Json], conf: Json, origins: list[str], kind: str = MT) -> Json:
    return {"matchers": matchers, "conf": conf, "origin": [meta(kind, n) for n in origins]}


def from_rules(rules_list: list[Json]) -> list[Json]:
    return [{"inbound": WEB_INBOUND, "rules": rules_list}]


# ---------------------------------------------------------------------------------------
# TV-1 clique overlap


def test_tv1_clique_overlap_is_not_a_partition() -> None:
    spec = {
        "targetRef": MESH_REF,
        "from": [
            to_item(MESH_REF, {"action": "Allow"}),
            to_item({"kind": "MeshSubset", "tags": {"app": "x"}}, {"action": "Deny"}),
            to_item(
                {"kind": "MeshSubset", "tags": {"app": "y"}}, {"action": "AllowWithShadowDeny"}
            ),
        ],
    }
    body = rules(mesh(), dataplane(inbounds=[WEB]), policy(MTP, "mtp", spec))
    assert block(body, MTP) == {
        "type": MTP,
        "fromRules": from_rules(
            [
                legacy([matcher("app", "y")], {"action": "AllowWithShadowDeny"}, ["mtp"], MTP),
                legacy([matcher("app", "x")], {"action": "Deny"}, ["mtp"], MTP),
                legacy([matcher("app", "y", negated=True)], {"action": "Allow"}, ["mtp"], MTP),
                legacy([matcher("app", "x", negated=True)], {"action": "Allow"}, ["mtp"], MTP),
            ]
        ),
        "inboundRules": [],
        "toRules": [],
        "toResourceRules": [],
        "warnings": [],
    }


# ---------------------------------------------------------------------------------------
# TV-2 clique order is a string sort


def test_tv2_clique_order_is_a_string_sort() -> None:
    values = [f"a{i:02d}" for i in range(1, 12)]
    spec = {
        "targetRef": MESH_REF,
        "from": [
            to_item(MESH_REF, {"action": "Deny"}),
            *(
                to_item({"kind": "MeshSubset", "tags": {"app": v}}, {"action": "Allow"})
                for v in values
            ),
        ],
    }
    body = rules(mesh(), dataplane(inbounds=[WEB]), policy(MTP, "mtp", spec))
    order = ["a09", "a08", "a07", "a06", "a05", "a04", "a03", "a02", "a11", "a10", "a01"]
    expected = [legacy([matcher("app", v)], {"action": "Allow"}, ["mtp"], MTP) for v in order] + [
        legacy([matcher("app", v, negated=True)], {"action": "Deny"}, ["mtp"], MTP) for v in order
    ]
    assert block(body, MTP)["fromRules"] == from_rules(expected)


# ---------------------------------------------------------------------------------------
# TV-3 / TV-4 / TV-5 legacy `toRules`


def test_tv3_to_fast_path() -> None:
    # policy order ccc (p1), bbb (p2), aaa (p3): equal attributes, names descending
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("a"),
        service("b"),
        policy(
            MT,
            "ccc",
            {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"connectionTimeout": "1s"})]},
        ),
        policy(
            MT,
            "bbb",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_item(svc_ref("b"), {"idleTimeout": "2s"}),
                    to_item(svc_ref("a"), {"idleTimeout": "3s"}),
                ],
            },
        ),
        policy(
            MT,
            "aaa",
            {
                "targetRef": MESH_REF,
                "to": [to_item(svc_ref("b"), {"http": {"requestTimeout": "4s"}})],
            },
        ),
    )
    got = block(body, MT)
    b_conf = {"connectionTimeout": "1s", "idleTimeout": "2s", "http": {"requestTimeout": "4s"}}
    a_conf = {"connectionTimeout": "1s", "idleTimeout": "3s"}
    assert got["toRules"] == [
        legacy([matcher(SVC, "b")], b_conf, ["ccc", "bbb", "aaa"]),
        legacy([matcher(SVC, "a")], a_conf, ["ccc", "bbb"]),
        legacy([], {"connectionTimeout": "1s"}, ["ccc"]),
    ]
    assert got["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "a"), "", [a_conf], [origin(MT, "ccc", 0), origin(MT, "bbb", 1)]
        ),
        resource_rule(
            meta("MeshService", "b"),
            "",
            [b_conf],
            [origin(MT, "ccc", 0), origin(MT, "bbb", 0), origin(MT, "aaa", 0)],
        ),
        resource_rule(mesh_meta(), "", [{"connectionTimeout": "1s"}], [origin(MT, "ccc", 0)]),
    ]


def test_tv4_to_with_a_subset_gets_negations() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            MT, "bbb", {"targetRef": MESH_REF, "to": [to_item(svc_ref("b"), {"idleTimeout": "1s"})]}
        ),
        policy(
            MT,
            "aaa",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_item(
                        {"kind": "MeshServiceSubset", "name": "b", "tags": {"version": "v1"}},
                        {"connectionTimeout": "2s"},
                    )
                ],
            },
        ),
        allow_invalid=True,  # MeshServiceSubset in to[]: only old stored objects at 2.10.11
    )
    got = block(body, MT)
    assert got["toRules"] == [
        legacy(
            [matcher(SVC, "b"), matcher("version", "v1")],
            {"idleTimeout": "1s", "connectionTimeout": "2s"},
            ["bbb", "aaa"],
        ),
        legacy(
            [matcher(SVC, "b"), matcher("version", "v1", negated=True)],
            {"idleTimeout": "1s"},
            ["bbb"],
        ),
    ]
    assert got["toResourceRules"] == []


def test_tv5_labels_only_meshservice_in_legacy_to_rules() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("prod-1", labels={"env": "prod"}),
        service("prod-2", labels={"env": "prod"}),
        service("dev-1", labels={"env": "dev"}),
        policy(
            MT,
            "by-labels",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_item(
                        {"kind": "MeshService", "labels": {"env": "prod"}}, {"idleTimeout": "5s"}
                    )
                ],
            },
        ),
    )
    got = block(body, MT)
    assert got["toRules"] == [legacy([matcher(SVC, "")], {"idleTimeout": "5s"}, ["by-labels"])]
    assert by_key(got["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", name, labels={"env": "prod"}),
            "",
            [{"idleTimeout": "5s"}],
            [origin(MT, "by-labels", 0)],
        )
        for name in ("prod-1", "prod-2")
    ]


# ---------------------------------------------------------------------------------------
# TV-6 / TV-7 MeshHTTPRoute


def prefix(path: str) -> list[Json]:
    return [{"path": {"type": "PathPrefix", "value": path}}]


def to_backend(name: str) -> Json:
    """A rule default as written (weight left to the schema default)."""
    return {"backendRefs": [{"kind": "MeshService", "name": name}]}


def with_weight(name: str) -> Json:
    """The same default as stored: schema default `weight: 1` (§3.7)."""
    return {"backendRefs": [{"kind": "MeshService", "name": name, "weight": 1}]}


def route(
    name: str,
    target: Json,
    rules_list: list[Json],
    *,
    hostnames: list[str] | None = None,
    top: Json | None = None,
) -> Json:
    item: dict[str, Any] = {"targetRef": target, "rules": rules_list}
    if hostnames is not None:
        item["hostnames"] = hostnames
    return policy(HTTPR, name, {"targetRef": top or MESH_REF, "to": [item]})


def http_rule(path: str, backend: str) -> Json:
    return {"matches": prefix(path), "default": to_backend(backend)}


def stored_rule(path: str, backend: str) -> Json:
    return {"matches": prefix(path), "default": with_weight(backend)}


def http_matches(*paths: str) -> list[Json]:
    entries = [{"hash": go_hash(prefix(p)), "match": prefix(p)} for p in paths]
    return sorted(entries, key=lambda e: str(e["hash"]))


def test_tv6_hostname_grouping_and_merge_by_matches() -> None:
    # merge order r1, r3, r2 (equal attributes; display names c-r1 > b-r3 > a-r2)
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        route("c-r1", svc_ref("backend"), [http_rule("/bar", "bar")]),
        route("b-r3", svc_ref("backend"), [http_rule("/bazz", "bazz")], hostnames=["foo.com"]),
        route("a-r2", svc_ref("backend"), [http_rule("/baz", "baz")]),
    )
    confs = [
        {"rules": [stored_rule("/baz", "baz"), stored_rule("/bar", "bar")]},
        {"hostnames": ["foo.com"], "rules": [stored_rule("/bazz", "bazz")]},
    ]
    order = ["c-r1", "b-r3", "a-r2"]
    got = block(body, HTTPR)
    assert got == {
        "type": HTTPR,
        "toRules": [legacy([matcher(SVC, "backend")], conf, order, HTTPR) for conf in confs],
        "toResourceRules": [
            resource_rule(
                meta("MeshService", "backend"), "", confs, [origin(HTTPR, n, 0) for n in order]
            )
        ],
        "fromRules": [],
        "inboundRules": [],
        "warnings": [],
    }
    assert body["httpMatches"] == http_matches("/bar", "/baz", "/bazz")


def test_tv7_same_matches_in_two_routes() -> None:
    header_filter = {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"set": [{"name": "x-route", "value": "a"}]},
    }
    x = {"matches": prefix("/m1"), "default": {**to_backend("x"), "filters": [header_filter]}}
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        route("bbb-a", svc_ref("backend"), [x, http_rule("/m2", "y")]),  # A: lower priority
        route("aaa-b", svc_ref("backend"), [http_rule("/m3", "z"), http_rule("/m1", "w")]),  # B
    )
    conf = {
        "rules": [
            stored_rule("/m3", "z"),
            {"matches": prefix("/m1"), "default": {"filters": [header_filter], **with_weight("w")}},
            stored_rule("/m2", "y"),
        ]
    }
    got = block(body, HTTPR)
    assert got["toRules"] == [legacy([matcher(SVC, "backend")], conf, ["bbb-a", "aaa-b"], HTTPR)]
    assert got["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [conf],
            [origin(HTTPR, "bbb-a", 0), origin(HTTPR, "aaa-b", 0)],
        )
    ]
    assert body["httpMatches"] == http_matches("/m1", "/m2", "/m3")


# ---------------------------------------------------------------------------------------
# TV-8 append vs replace; §7 proxy rule


MOD_1 = {"cluster": {"operation": "Add", "value": "name: extra-1"}}
MOD_2 = {"cluster": {"operation": "Add", "value": "name: extra-2"}}


def proxy_block(kind: str, conf: Json, origins: list[Json]) -> Json:
    return {
        "type": kind,
        "proxyRule": {"conf": conf, "origin": origins},
        "toRules": [],
        "toResourceRules": [],
        "fromRules": [],
        "inboundRules": [],
        "warnings": [],
    }


def test_tv8_proxy_patch_appends() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshProxyPatch",
            "b-p1",
            {"targetRef": MESH_REF, "default": {"appendModifications": [MOD_1]}},
        ),
        policy(
            "MeshProxyPatch",
            "a-p2",
            {"targetRef": MESH_REF, "default": {"appendModifications": [MOD_2]}},
        ),
    )
    assert block(body, "MeshProxyPatch") == proxy_block(
        "MeshProxyPatch",
        {"appendModifications": [MOD_1, MOD_2]},
        [meta("MeshProxyPatch", "b-p1"), meta("MeshProxyPatch", "a-p2")],
    )


def test_tv8_retry_on_is_replaced() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshRetry",
            "b-p1",
            {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"http": {"retryOn": ["5xx"]}})]},
        ),
        policy(
            "MeshRetry",
            "a-p2",
            {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"http": {"retryOn": ["reset"]}})]},
        ),
    )
    conf = {"http": {"retryOn": ["reset"]}}
    assert block(body, "MeshRetry") == {
        "type": "MeshRetry",
        "toRules": [legacy([], conf, ["b-p1", "a-p2"], "MeshRetry")],
        "toResourceRules": [
            resource_rule(
                mesh_meta(),
                "",
                [conf],
                [origin("MeshRetry", "b-p1", 0), origin("MeshRetry", "a-p2", 0)],
            )
        ],
        "fromRules": [],
        "inboundRules": [],
        "warnings": [],
    }


def test_tv8_metric_profiles_append_backends_replace() -> None:
    prom_1 = {"type": "Prometheus", "prometheus": {"port": 5670, "path": "/metrics"}}
    prom_2 = {"type": "Prometheus", "prometheus": {"port": 5671, "path": "/stats"}}
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshMetric",
            "b-p1",
            {
                "targetRef": MESH_REF,
                "default": {
                    "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}]}},
                    "backends": [prom_1],
                },
            },
        ),
        policy(
            "MeshMetric",
            "a-p2",
            {
                "targetRef": MESH_REF,
                "default": {
                    "sidecar": {"profiles": {"appendProfiles": [{"name": "All"}]}},
                    "backends": [prom_2],
                },
            },
        ),
    )
    conf = {
        # `includeUnused` has no CRD default, so no stored `sidecar` carries it
        "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}, {"name": "All"}]}},
        "backends": [prom_2],
    }
    assert block(body, "MeshMetric") == proxy_block(
        "MeshMetric", conf, [meta("MeshMetric", "b-p1"), meta("MeshMetric", "a-p2")]
    )


def test_proxy_rule_merge_order_follows_the_policy_comparator() -> None:
    # Mesh-level before Dataplane-level whatever the names; global before zone.
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshProxyPatch",
            "z-dp",
            {"targetRef": {"kind": "Dataplane"}, "default": {"appendModifications": [MOD_2]}},
        ),
        policy(
            "MeshProxyPatch",
            "a-mesh",
            {"targetRef": MESH_REF, "default": {"appendModifications": [MOD_1]}},
        ),
        policy(
            "MeshPassthrough",
            "a-zone",
            {
                "targetRef": MESH_REF,
                "default": {
                    "passthroughMode": "Matched",
                    "appendMatch": [
                        {"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"}
                    ],
                },
            },
            labels={"kuma.io/origin": "zone"},
        ),
        policy(
            "MeshPassthrough",
            "z-global",
            {
                "targetRef": MESH_REF,
                "default": {
                    "passthroughMode": "All",
                    "appendMatch": [
                        {"type": "IP", "value": "10.1.1.1", "port": 80, "protocol": "tcp"}
                    ],
                },
            },
            labels={"kuma.io/origin": "global"},
        ),
    )
    assert block(body, "MeshProxyPatch") == proxy_block(
        "MeshProxyPatch",
        {"appendModifications": [MOD_1, MOD_2]},
        [meta("MeshProxyPatch", "a-mesh"), meta("MeshProxyPatch", "z-dp")],
    )
    assert block(body, "MeshPassthrough") == proxy_block(
        "MeshPassthrough",
        {
            "passthroughMode": "Matched",
            "appendMatch": [
                {"type": "IP", "value": "10.1.1.1", "port": 80, "protocol": "tcp"},
                {"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"},
            ],
        },
        [
            meta("MeshPassthrough", "z-global", labels={"kuma.io/origin": "global"}),
            meta("MeshPassthrough", "a-zone", labels={"kuma.io/origin": "zone"}),
        ],
    )


# ---------------------------------------------------------------------------------------
# TV-9 typed canonicalisation (and §3.7 defaults in MeshTrace)


def test_tv9_durations_in_rules() -> None:
    conf = {"connectionTimeout": "1m51s", "http": {"requestTimeout": "1h0m0s"}}
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            MT,
            "t",
            {
                "targetRef": MESH_REF,
                "to": [
                    to_item(
                        MESH_REF, {"connectionTimeout": "111s", "http": {"requestTimeout": "3600s"}}
                    )
                ],
            },
        ),
    )
    got = block(body, MT)
    assert got["toRules"] == [legacy([], conf, ["t"])]
    assert got["toResourceRules"] == [resource_rule(mesh_meta(), "", [conf], [origin(MT, "t", 0)])]


def test_tv9_mesh_trace_plain_bools_and_schema_defaults() -> None:
    url = "http://zipkin.mesh-observability:9411/api/v2/spans"
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshTrace",
            "b-backend",
            {
                "targetRef": MESH_REF,
                "default": {
                    "backends": [
                        {"type": "Zipkin", "zipkin": {"url": url, "sharedSpanContext": False}}
                    ]
                },
            },
        ),
        policy(
            "MeshTrace",
            "a-sampling",
            {"targetRef": MESH_REF, "default": {"sampling": {"overall": 50}}},
        ),
    )
    assert block(body, "MeshTrace") == proxy_block(
        "MeshTrace",
        {
            "backends": [
                {
                    "type": "Zipkin",
                    "zipkin": {
                        "url": url,
                        "traceId128bit": False,
                        "apiVersion": "httpJson",
                        "sharedSpanContext": False,
                    },
                }
            ],
            "sampling": {"overall": 50},  # no CRD default for client/random
        },
        [meta("MeshTrace", "b-backend"), meta("MeshTrace", "a-sampling")],
    )


def test_mesh_trace_shared_span_context_defaults_to_true() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshTrace",
            "t",
            {
                "targetRef": MESH_REF,
                "default": {"backends": [{"type": "Zipkin", "zipkin": {"url": "http://z"}}]},
            },
        ),
    )
    zipkin = {
        "url": "http://z",
        "traceId128bit": False,
        "apiVersion": "httpJson",
        "sharedSpanContext": True,
    }
    assert block(body, "MeshTrace")["proxyRule"]["conf"] == {
        "backends": [{"type": "Zipkin", "zipkin": zipkin}]
    }


# ---------------------------------------------------------------------------------------
# TV-12 2.10 `_rules` hides pure real-resource types


def to_external(kind: str, default: Json) -> Json:
    return policy(
        kind,
        "to-ext",
        {
            "targetRef": MESH_REF,
            "to": [to_item({"kind": "MeshExternalService", "name": "ext"}, default)],
        },
    )


def test_tv12_mesh_retry_to_mes_only_is_omitted() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        external_service("ext"),
        to_external("MeshRetry", {"http": {"numRetries": 3}}),
        to_external(MT, {"idleTimeout": "3s"}),
    )
    assert types(body) == [MT]
    assert block(body, MT) == {
        "type": MT,
        "toRules": [],
        "toResourceRules": [
            resource_rule(
                meta("MeshExternalService", "ext"),
                "",
                [{"idleTimeout": "3s"}],
                [origin(MT, "to-ext", 0)],
            )
        ],
        "fromRules": [],
        "inboundRules": [],
        "warnings": [],
    }


def test_tv12_mesh_timeout_to_mes_hidden_without_inbounds() -> None:
    # A delegated gateway has no inbounds: the from-rules map is empty too.
    gateway = {"type": "DELEGATED", "tags": {SVC: "edge"}}
    body = rules(
        mesh(),
        dataplane(gateway=gateway),
        external_service("ext"),
        to_external(MT, {"idleTimeout": "3s"}),
    )
    assert block(body, MT) is None


# ---------------------------------------------------------------------------------------
# TV-13 MeshGateway tag-count tie-break is legacy-only


GATEWAY_DOCS = [
    {
        "type": "MeshGateway",
        "mesh": "m",
        "name": "gw-1",
        "selectors": [{"match": {SVC: "edge"}}],
        "conf": {
            "listeners": [
                {"port": 8080, "protocol": "HTTP", "tags": {"listener": "foo"}},
                {"port": 9090, "protocol": "HTTP"},
            ]
        },
    },
    dataplane("gw-dp", gateway={"type": "BUILTIN", "tags": {SVC: "edge"}}, address="10.0.0.9"),
]


def test_tv13_gateway_tag_count_only_orders_legacy_rules() -> None:
    gw = {"kind": "MeshGateway", "name": "gw-1"}
    gw_foo = {"kind": "MeshGateway", "name": "gw-1", "tags": {"listener": "foo"}}
    body = rules(
        mesh(),
        *GATEWAY_DOCS,
        route("r1", MESH_REF, [http_rule("/bar", "backend")], top=gw),
        route("r2", MESH_REF, [http_rule("/baz", "backend")], top=gw_foo),
        route("r3", MESH_REF, [http_rule("/bazz", "backend")], top=gw_foo, hostnames=["foo.com"]),
        dp="gw-dp",
    )
    got = block(body, HTTPR)
    bar, baz, bazz = (stored_rule(p, "backend") for p in ("/bar", "/baz", "/bazz"))
    assert got["toRules"] == [
        legacy([], {"rules": [baz, bar]}, ["r1", "r3", "r2"], HTTPR),
        legacy([], {"hostnames": ["foo.com"], "rules": [bazz]}, ["r1", "r3", "r2"], HTTPR),
    ]
    assert got["toResourceRules"] == [
        resource_rule(
            mesh_meta(),
            "",
            [{"hostnames": ["foo.com"], "rules": [bazz]}, {"rules": [bar, baz]}],
            [origin(HTTPR, "r3", 0), origin(HTTPR, "r2", 0), origin(HTTPR, "r1", 0)],
        )
    ]
    assert got["fromRules"] == []
    assert got["inboundRules"] == []


def test_gateway_listeners_are_inbounds_with_gateway_tags() -> None:
    body = rules(
        mesh(),
        *GATEWAY_DOCS,
        policy(MT, "gw-in", {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "9s"}}]}),
        dp="gw-dp",
    )
    assert block(body, MT)["inboundRules"] == [
        {
            "inbound": {"port": port, "tags": {SVC: "edge"}},
            "rules": [{"conf": [{"idleTimeout": "9s"}], "origin": [origin(MT, "gw-in", 0)]}],
        }
        for port in (8080, 9090)
    ]


# ---------------------------------------------------------------------------------------
# §4.7 top-level MeshHTTPRoute policies in legacy `toRules`


def test_top_level_route_policy_items_get_hash_matchers() -> None:
    route_matches = [{"path": {"type": "Exact", "value": "/orders"}}]
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        policy(
            HTTPR,
            "route-1",
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": svc_ref("backend"),
                        "rules": [{"matches": route_matches, "default": to_backend("backend")}],
                    }
                ],
            },
        ),
        policy(
            MT,
            "svc",
            {"targetRef": MESH_REF, "to": [to_item(svc_ref("backend"), {"idleTimeout": "20s"})]},
        ),
        policy(
            MT,
            "on-route",
            {
                "targetRef": {"kind": "MeshHTTPRoute", "name": "route-1"},
                "to": [to_item(MESH_REF, {"idleTimeout": "15s"})],
            },
        ),
    )
    digest = go_hash(route_matches)
    got = block(body, MT)
    assert got["toRules"] == [
        legacy(
            [matcher(HASH_TAG, digest), matcher(SVC, "backend")],
            {"idleTimeout": "15s"},
            ["svc", "on-route"],
        ),
        legacy(
            [matcher(HASH_TAG, digest, negated=True), matcher(SVC, "backend")],
            {"idleTimeout": "20s"},
            ["svc"],
        ),
    ]
    # top-level MeshHTTPRoute policies are excluded from resource rules (2.10)
    assert got["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "backend"), "", [{"idleTimeout": "20s"}], [origin(MT, "svc", 0)]
        )
    ]
    assert body["httpMatches"] == [{"hash": digest, "match": route_matches}]


@pytest.mark.parametrize(
    "own_target",
    [
        pytest.param(MESH_REF, id="to-mesh"),
        pytest.param({"kind": "MeshExternalService", "name": "ext"}, id="to-mes-treated-as-mesh"),
    ],
)
def test_top_level_route_policy_on_a_gateway_route_to_mesh(own_target: Json) -> None:
    # §4.7: a route whose to[] targets Mesh gives MeshSubset{hash} items (no service
    # tag); the policy's own to[].targetRef is ignored. One key: fast path, one rule.
    bar = prefix("/bar")
    body = rules(
        mesh(),
        *GATEWAY_DOCS,
        external_service("ext"),
        route(
            "r1",
            MESH_REF,
            [http_rule("/bar", "backend")],
            top={"kind": "MeshGateway", "name": "gw-1"},
        ),
        policy(
            MT,
            "on-route",
            {
                "targetRef": {"kind": "MeshHTTPRoute", "name": "r1"},
                "to": [to_item(own_target, {"idleTimeout": "15s"})],
            },
        ),
        dp="gw-dp",
    )
    got = block(body, MT)
    assert got["toRules"] == [
        legacy([matcher(HASH_TAG, go_hash(bar))], {"idleTimeout": "15s"}, ["on-route"])
    ]
    assert got["toResourceRules"] == []
    assert body["httpMatches"] == [{"hash": go_hash(bar), "match": bar}]


def test_gateway_tag_count_is_not_an_inbound_entry_key() -> None:
    # Policy order on listener 8080 (key 4): a-notags, z-tags. Inbound entries drop
    # key 4 and fall back to names (descending): z-tags, a-notags → a-notags wins.
    body = rules(
        mesh(),
        *GATEWAY_DOCS,
        policy(
            "MeshAccessLog",
            "a-notags",
            {"targetRef": {"kind": "MeshGateway", "name": "gw-1"}, "rules": [{"default": LOG_A}]},
        ),
        policy(
            "MeshAccessLog",
            "z-tags",
            {
                "targetRef": {"kind": "MeshGateway", "name": "gw-1", "tags": {"listener": "foo"}},
                "rules": [{"default": LOG_B}],
            },
        ),
        dp="gw-dp",
        allow_invalid=True,
    )
    mal = "MeshAccessLog"
    assert block(body, mal)["inboundRules"] == [
        {
            "inbound": {"port": 8080, "tags": {SVC: "edge"}},
            "rules": [
                {"conf": [LOG_A], "origin": [origin(mal, "z-tags", 0), origin(mal, "a-notags", 0)]}
            ],
        },
        {
            "inbound": {"port": 9090, "tags": {SVC: "edge"}},
            "rules": [{"conf": [LOG_A], "origin": [origin(mal, "a-notags", 0)]}],
        },
    ]


LOG_A = {"backends": [{"type": "File", "file": {"path": "/tmp/a.log"}}]}
LOG_B = {"backends": [{"type": "File", "file": {"path": "/tmp/b.log"}}]}


def test_matches_equal_after_schema_defaults_merge() -> None:
    # One route writes the header match type, the other leaves it to the schema
    # default (Exact): stored, the two `matches` are deep-equal and merge (§3.3, §3.7).
    written = [{"headers": [{"type": "Exact", "name": "x-v", "value": "2"}]}]
    defaulted = [{"headers": [{"name": "x-v", "value": "2"}]}]
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        route("bbb", svc_ref("backend"), [{"matches": written, "default": to_backend("old")}]),
        route("aaa", svc_ref("backend"), [{"matches": defaulted, "default": to_backend("new")}]),
    )
    assert block(body, HTTPR)["toResourceRules"][0]["conf"] == [
        {"rules": [{"matches": written, "default": with_weight("new")}]}
    ]
    assert body["httpMatches"] == [{"hash": go_hash(written), "match": written}]
