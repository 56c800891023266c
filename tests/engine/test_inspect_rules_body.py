"""The `_rules` response shape and conversion (spec `kuma-rules.md` §8, §8.5).

Envelope, plugin order, per-block keys, the 2.10 skip condition, `Exclusive` mesh
mode, ordering of `fromRules`, warnings, `httpMatches` (source, hash, order) and the
Go JSON rendering.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from meshtui.engine.inspect import to_json
from meshtui.engine.tag_rules import hash_matches
from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    WEB_INBOUND,
    Json,
    block,
    dataplane,
    external_service,
    go_hash,
    go_matches_json,
    inbound,
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
HTTPR = "MeshHTTPRoute"
SVC = "kuma.io/service"
BLOCK_KEYS = {"type", "toRules", "toResourceRules", "fromRules", "inboundRules", "warnings"}


def mt_to_mesh(name: str = "t", **conf: str) -> Json:
    return policy(
        MT, name, {"targetRef": MESH_REF, "to": [to_item(MESH_REF, conf or {"idleTimeout": "1s"})]}
    )


# ---------------------------------------------------------------------------------------
# envelope


def test_envelope_with_no_policies() -> None:
    body = rules(mesh(), dataplane(inbounds=[WEB], labels={"team": "a", "kuma.io/zone": "z1"}))
    assert body == {
        "resource": meta("Dataplane", "dp-1", labels={"team": "a", "kuma.io/zone": "z1"}),
        "rules": [],
        "httpMatches": [],
    }


def test_resource_labels_never_null() -> None:
    body = rules(mesh(), dataplane(inbounds=[WEB]))
    assert body["resource"] == {"type": "Dataplane", "mesh": "m", "name": "dp-1", "labels": {}}


def test_blocks_follow_plugin_order() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        policy(
            "MeshProxyPatch", "mpp", {"targetRef": MESH_REF, "default": {"appendModifications": []}}
        ),
        policy(
            "MeshRetry",
            "mr",
            {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"tcp": {"maxConnectAttempt": 2}})]},
        ),
        policy(
            "MeshTrafficPermission",
            "mtp",
            {"targetRef": MESH_REF, "from": [to_item(MESH_REF, {"action": "Allow"})]},
        ),
        mt_to_mesh(),
        policy(
            "MeshTrace",
            "mtr",
            {"targetRef": MESH_REF, "default": {"tags": [{"name": "team", "literal": "a"}]}},
        ),
        policy(
            "MeshTLS", "mtls", {"targetRef": MESH_REF, "rules": [{"default": {"mode": "Strict"}}]}
        ),
        policy(
            HTTPR,
            "route",
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": svc_ref("backend"),
                        "rules": [
                            {
                                "matches": [{"path": {"type": "Exact", "value": "/"}}],
                                "default": {
                                    "backendRefs": [{"kind": "MeshService", "name": "backend"}]
                                },
                            }
                        ],
                    }
                ],
            },
        ),
    )
    assert types(body) == [
        HTTPR,
        "MeshTLS",
        "MeshTrace",
        MT,
        "MeshTrafficPermission",
        "MeshRetry",
        "MeshProxyPatch",
    ]
    for item in body["rules"]:
        single = item["type"] in ("MeshTrace", "MeshProxyPatch")
        assert set(item) == (BLOCK_KEYS | {"proxyRule"} if single else BLOCK_KEYS), item["type"]


def test_proxy_patch_with_no_modifications_still_has_a_proxy_rule() -> None:
    # §3.2 edge: a plain `[]` contributes nothing; the single-item rule still exists.
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshProxyPatch", "mpp", {"targetRef": MESH_REF, "default": {"appendModifications": []}}
        ),
    )
    assert block(body, "MeshProxyPatch")["proxyRule"]["origin"] == [meta("MeshProxyPatch", "mpp")]


# ---------------------------------------------------------------------------------------
# §8.3 skip condition


def test_warnings_alone_do_not_keep_a_type() -> None:
    # not matched at all: no lengths, only a warning
    broken = policy(
        MT,
        "broken",
        {
            "targetRef": {"kind": "MeshHTTPRoute", "name": "missing"},
            "to": [to_item(MESH_REF, {"idleTimeout": "1s"})],
        },
    )
    assert block(rules(mesh(), dataplane(inbounds=[WEB]), broken), MT) is None


def test_unresolvable_top_level_route_warning() -> None:
    broken = policy(
        MT,
        "broken",
        {
            "targetRef": {"kind": "MeshHTTPRoute", "name": "missing"},
            "to": [to_item(MESH_REF, {"idleTimeout": "1s"})],
        },
    )
    got = block(rules(mesh(), dataplane(inbounds=[WEB]), broken, mt_to_mesh("ok")), MT)
    assert len(got["warnings"]) == 1
    assert got["warnings"][0].startswith(
        'unable to resolve TargetRef on policy: mesh:m name:broken error:"'
    )
    assert got["toRules"] == [
        {"matchers": [], "conf": {"idleTimeout": "1s"}, "origin": [meta(MT, "ok")]}
    ]


def test_to_item_that_cannot_be_tags_empties_to_rules_with_a_warning() -> None:
    gateway_item = to_item({"kind": "MeshGateway", "name": "gw-1"}, {"idleTimeout": "2s"})
    got = block(
        rules(
            mesh(),
            dataplane(inbounds=[WEB]),
            mt_to_mesh("ok"),
            policy(MT, "odd", {"targetRef": MESH_REF, "to": [gateway_item]}),
            policy(
                MT, "in", {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "4s"}}]}
            ),
            allow_invalid=True,  # a stored object validation would reject today
        ),
        MT,
    )
    # the whole To side is emptied (legacy and resource rules alike); the inbound rule
    # keeps the type in the output (an all-empty block would be dropped, §8.3)
    assert got["toRules"] == []
    assert got["toResourceRules"] == []
    assert got["inboundRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [{"conf": [{"idleTimeout": "4s"}], "origin": [origin(MT, "in", 0)]}],
        }
    ]
    assert len(got["warnings"]) == 1
    assert got["warnings"][0].startswith("couldn't create To rules: ")
    assert "can't represent MeshGateway as tags" in got["warnings"][0]


def test_route_to_mesh_external_service_only_is_hidden() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        external_service("ext"),
        policy(
            HTTPR,
            "to-ext",
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": {"kind": "MeshExternalService", "name": "ext"},
                        "rules": [
                            {
                                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                "default": {
                                    "backendRefs": [{"kind": "MeshExternalService", "name": "ext"}]
                                },
                            }
                        ],
                    }
                ],
            },
        ),
    )
    assert block(body, HTTPR) is None
    assert body["httpMatches"] == []


def test_type_with_only_a_from_map_entry_is_shown() -> None:
    # A rules-only MeshTimeout gives inbound rules; no legacy to-rules; kept.
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(MT, "in", {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "4s"}}]}),
    )
    assert block(body, MT) == {
        "type": MT,
        "toRules": [],
        "toResourceRules": [],
        "fromRules": [],
        "inboundRules": [
            {
                "inbound": WEB_INBOUND,
                "rules": [{"conf": [{"idleTimeout": "4s"}], "origin": [origin(MT, "in", 0)]}],
            }
        ],
        "warnings": [],
    }


# ---------------------------------------------------------------------------------------
# Exclusive mesh services mode


ROOT_MATCH = [{"path": {"type": "PathPrefix", "value": "/"}}]


def test_exclusive_mode_blanks_to_rules_only() -> None:
    body = rules(
        mesh(meshServices={"mode": "Exclusive"}),
        dataplane(inbounds=[WEB]),
        service("backend"),
        mt_to_mesh(),
        policy(
            HTTPR,
            "route",
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": svc_ref("backend"),
                        "rules": [
                            {
                                "matches": ROOT_MATCH,
                                "default": {
                                    "backendRefs": [{"kind": "MeshService", "name": "backend"}]
                                },
                            }
                        ],
                    }
                ],
            },
        ),
    )
    timeout = block(body, MT)
    assert timeout["toRules"] == []
    assert timeout["toResourceRules"] == [
        resource_rule(mesh_meta(), "", [{"idleTimeout": "1s"}], [origin(MT, "t", 0)])
    ]
    route = block(body, HTTPR)
    assert route["toRules"] == []
    assert len(route["toResourceRules"]) == 1
    # httpMatches are collected from the legacy rules before the blanking
    assert body["httpMatches"] == [{"hash": go_hash(ROOT_MATCH), "match": ROOT_MATCH}]


@pytest.mark.parametrize("mode", ["Disabled", "Everywhere", "ReachableBackends"])
def test_other_modes_keep_to_rules(mode: str) -> None:
    body = rules(mesh(meshServices={"mode": mode}), dataplane(inbounds=[WEB]), mt_to_mesh())
    assert block(body, MT)["toRules"] == [
        {"matchers": [], "conf": {"idleTimeout": "1s"}, "origin": [meta(MT, "t")]}
    ]


# ---------------------------------------------------------------------------------------
# fromRules port order, inbound rendering


def test_from_rules_sorted_by_port_and_inbound_shape() -> None:
    body = rules(
        mesh(),
        dataplane(
            inbounds=[inbound(9090, "admin", version="v1"), inbound(80, "web", name="main"), WEB]
        ),
        policy(
            "MeshTrafficPermission",
            "mtp",
            {"targetRef": MESH_REF, "from": [to_item(MESH_REF, {"action": "Allow"})]},
        ),
    )
    rule = [
        {
            "matchers": [],
            "conf": {"action": "Allow"},
            "origin": [meta("MeshTrafficPermission", "mtp")],
        }
    ]
    assert block(body, "MeshTrafficPermission")["fromRules"] == [
        {"inbound": {"name": "main", "port": 80, "tags": {SVC: "web"}}, "rules": rule},
        {"inbound": WEB_INBOUND, "rules": rule},
        {"inbound": {"port": 9090, "tags": {SVC: "admin", "version": "v1"}}, "rules": rule},
    ]


def test_legacy_matchers_keep_subset_order() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshTrafficPermission",
            "mtp",
            {
                "targetRef": MESH_REF,
                "from": [
                    to_item(
                        {"kind": "MeshSubset", "tags": {"zone": "z1", "env": "prod"}},
                        {"action": "Deny"},
                    )
                ],
            },
        ),
    )
    # One item with two keys: graph path; only {env=prod, zone=z1} is covered.
    assert block(body, "MeshTrafficPermission")["fromRules"][0]["rules"] == [
        {
            "matchers": [matcher("env", "prod"), matcher("zone", "z1")],
            "conf": {"action": "Deny"},
            "origin": [meta("MeshTrafficPermission", "mtp")],
        }
    ]


# ---------------------------------------------------------------------------------------
# §8.5 httpMatches hash


def test_hash_check_value() -> None:
    matches = [{"path": {"value": "/", "type": "Exact"}}]
    assert go_hash(matches) == "JNNc6//C3P17nUsOJm5f4kqG+U3v8pXhS0od9C3+oss="
    assert hash_matches(matches) == "JNNc6//C3P17nUsOJm5f4kqG+U3v8pXhS0od9C3+oss="


HASH_CASES = [
    pytest.param([{"path": {"type": "PathPrefix", "value": "/api"}}], id="path-prefix"),
    pytest.param([{"method": "GET"}], id="method-only"),
    pytest.param(
        [{"path": {"type": "Exact", "value": "/"}, "method": "POST"}], id="path-and-method"
    ),
    pytest.param(
        [
            {
                "queryParams": [
                    {"type": "Exact", "name": "v", "value": "1"},
                    {"type": "RegularExpression", "name": "q", "value": ".*"},
                ]
            }
        ],
        id="query-params",
    ),
    pytest.param(
        [
            {
                "headers": [
                    {"type": "Exact", "name": "x-a", "value": "1"},
                    {"type": "Present", "name": "x-b"},
                ]
            }
        ],
        id="headers-value-omitempty",
    ),
    pytest.param([{"headers": [{"name": "x-c", "value": "2"}]}], id="header-without-type"),
    pytest.param([{"path": {"type": "RegularExpression", "value": "/a<b>&c"}}], id="html-escaping"),
    pytest.param([{"path": {"type": "Exact", "value": "/caf\u00e9"}}], id="non-ascii-raw-utf8"),
    pytest.param(
        [
            {"path": {"type": "Exact", "value": "/a"}},
            {"method": "DELETE", "headers": [{"type": "Prefix", "name": "x-d", "value": "z"}]},
        ],
        id="two-matches",
    ),
]


@pytest.mark.parametrize("matches", HASH_CASES)
def test_hash_is_sha256_of_go_json(matches: list[dict[str, Any]]) -> None:
    assert hash_matches(matches) == go_hash(matches)


def test_go_json_of_matches_field_order_and_escaping() -> None:
    # sanity of the independent encoder used above
    assert (
        go_matches_json([{"method": "GET", "path": {"type": "Exact", "value": "<&>"}}])
        == '[{"path":{"value":"\\u003c\\u0026\\u003e","type":"Exact"},"method":"GET"}]'
    )


def test_http_matches_sorted_by_hash_with_stored_defaults() -> None:
    header_match: list[Json] = [{"headers": [{"name": "x-version", "value": "v2"}]}]
    stored_header_match: list[Json] = [
        {"headers": [{"type": "Exact", "name": "x-version", "value": "v2"}]}
    ]
    paths: list[list[Json]] = [
        [{"path": {"type": "PathPrefix", "value": f"/p{i}"}}] for i in range(4)
    ]
    route_rules = [
        {"matches": m, "default": {"backendRefs": [{"kind": "MeshService", "name": "backend"}]}}
        for m in [*paths, header_match]
    ]
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        policy(
            HTTPR,
            "route",
            {
                "targetRef": MESH_REF,
                "to": [{"targetRef": svc_ref("backend"), "rules": route_rules}],
            },
        ),
    )
    expected = [{"hash": go_hash(m), "match": m} for m in [*paths, stored_header_match]]
    assert body["httpMatches"] == sorted(expected, key=lambda e: str(e["hash"]))


def test_http_matches_deduplicated_across_routes() -> None:
    def route(name: str, backend: str) -> Json:
        return policy(
            HTTPR,
            name,
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": svc_ref(backend),
                        "rules": [
                            {
                                "matches": ROOT_MATCH,
                                "default": {
                                    "backendRefs": [{"kind": "MeshService", "name": backend}]
                                },
                            }
                        ],
                    }
                ],
            },
        )

    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("a"),
        service("b"),
        route("ra", "a"),
        route("rb", "b"),
    )
    assert body["httpMatches"] == [{"hash": go_hash(ROOT_MATCH), "match": ROOT_MATCH}]


# ---------------------------------------------------------------------------------------
# Go JSON rendering


def test_to_json_is_go_style() -> None:
    text = to_json({"a": ["<&>", 1], "b": {}})
    assert text == '{\n "a": [\n  "\\u003c\\u0026\\u003e",\n  1\n ],\n "b": {}\n}\n'
    assert json.loads(text) == {"a": ["<&>", 1], "b": {}}


def test_all_empty_block_with_a_warning_is_dropped() -> None:
    # §8.3: passes the legacy-length test (from-rules map has the inbound) but every
    # output list is empty and there is no proxy rule: dropped despite the warning.
    gateway_item = to_item({"kind": "MeshGateway", "name": "gw-1"}, {"idleTimeout": "2s"})
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(MT, "odd", {"targetRef": MESH_REF, "to": [gateway_item]}),
        allow_invalid=True,
    )
    assert block(body, MT) is None


@pytest.mark.parametrize(
    ("effect", "shown"),
    [
        pytest.param("shadow", False, id="shadow-excluded"),
        pytest.param("Shadow", True, id="case-sensitive"),
    ],
)
def test_shadow_policies_are_not_in_rules(effect: str, shown: bool) -> None:
    timeout = policy(
        MT,
        "t",
        {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"idleTimeout": "1s"})]},
        labels={"kuma.io/effect": effect},
    )
    body = rules(mesh(), dataplane(inbounds=[WEB]), timeout)
    assert (block(body, MT) is not None) is shown
