"""`_rules` per Kuma version (spec `kuma-2.14.md` §3-§4: S1-S8, O2).

Each switch on both sides: the last line without it, the first with it. Inputs are
Universal resources; bodies are read back through `to_json`, as `inspect rules` prints
them. Expected values were worked out from the spec rules named in each test.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.rules import match_key, type_rules
from meshtui.versions import KumaVersion
from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    WEB_INBOUND,
    block,
    dataplane,
    external_service,
    go_hash,
    inbound,
    load,
    mesh,
    mesh_meta,
    meta,
    origin,
    policy,
    resource,
    resource_rule,
    rules,
    service,
    svc_ref,
    to_item,
    types,
)
from tests.versions import V2_10, V2_11, V2_12, V2_13, V2_14

MT = "MeshTimeout"
DP = dataplane(inbounds=[WEB])


def timeout(name: str, spec: dict[str, Any], labels: dict[str, str] | None = None) -> Any:
    return policy(MT, name, spec, labels=labels)


def two_rule_timeouts() -> list[Any]:
    return [
        timeout("b-low", {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "1s"}}]}),
        timeout(
            "a-high",
            {
                "targetRef": MESH_REF,
                "rules": [
                    {"default": {"idleTimeout": "2s", "connectionTimeout": "3s"}},
                    {"default": {"http": {"requestTimeout": "4s"}}},
                ],
            },
        ),
    ]


def test_inbound_rules_are_merged_into_one_up_to_2_11() -> None:
    body = rules(mesh(), DP, *two_rule_timeouts(), version=V2_11)
    assert block(body, MT)["inboundRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {
                    "conf": [
                        {
                            "connectionTimeout": "3s",
                            "idleTimeout": "2s",
                            "http": {"requestTimeout": "4s"},
                        }
                    ],
                    "origin": [
                        origin(MT, "b-low", 0),
                        origin(MT, "a-high", 0),
                        origin(MT, "a-high", 1),
                    ],
                }
            ],
        }
    ]


def test_inbound_rules_are_one_per_entry_in_entry_order_from_2_12() -> None:
    # S3: display name descending puts b-low first (lower priority), then a-high's entries
    body = rules(mesh(), DP, *two_rule_timeouts(), version=V2_12)
    assert block(body, MT)["inboundRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {"conf": [{"idleTimeout": "1s"}], "origin": [origin(MT, "b-low", 0)]},
                {
                    "conf": [{"connectionTimeout": "3s", "idleTimeout": "2s"}],
                    "origin": [origin(MT, "a-high", 0)],
                },
                {
                    "conf": [{"http": {"requestTimeout": "4s"}}],
                    "origin": [origin(MT, "a-high", 1)],
                },
            ],
        }
    ]


def test_from_entries_are_inbound_rules_of_their_own_from_2_12() -> None:
    # from-as-rules: MeshTimeout `from[]` feeds inboundRules too (targetRef ignored)
    spec = {"targetRef": MESH_REF, "from": [to_item(MESH_REF, {"idleTimeout": "5s"})]}
    body = rules(mesh(), DP, timeout("in", spec), version=V2_12)
    got = block(body, MT)
    assert got["inboundRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [{"conf": [{"idleTimeout": "5s"}], "origin": [origin(MT, "in", 0)]}],
        }
    ]
    assert [r["conf"] for r in got["fromRules"][0]["rules"]] == [{"idleTimeout": "5s"}]


SPIFFE_EXACT = {"spiffeID": {"type": "Exact", "value": "spiffe://m/ns/a/sa/x"}}
SPIFFE_PREFIX = {"spiffeID": {"type": "Prefix", "value": "spiffe://m/ns/a/"}}
SNI = {"sni": {"type": "Exact", "value": "web.m"}}


def matched_timeouts() -> list[Any]:
    return [
        timeout(
            "z-catch-all", {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "1s"}}]}
        ),
        timeout(
            "y-matches",
            {
                "targetRef": MESH_REF,
                "rules": [
                    {
                        "matches": [SNI, SPIFFE_PREFIX, SPIFFE_EXACT],
                        "default": {"http": {"requestTimeout": "2s"}},
                    }
                ],
            },
        ),
    ]


def test_rules_matches_expand_and_sort_by_specificity_from_2_14() -> None:
    body = rules(mesh(), DP, *matched_timeouts(), version=V2_14, allow_invalid=True)
    conf = [{"http": {"requestTimeout": "2s"}}]
    y = [origin(MT, "y-matches", 0)]
    assert block(body, MT)["inboundRules"][0]["rules"] == [
        {"conf": conf, "match": SPIFFE_EXACT, "origin": y},
        {"conf": conf, "match": SPIFFE_PREFIX, "origin": y},
        {"conf": conf, "match": SNI, "origin": y},
        {"conf": [{"idleTimeout": "1s"}], "origin": [origin(MT, "z-catch-all", 0)]},
    ]


def test_rules_matches_are_neither_expanded_nor_shown_before_2_14() -> None:
    body = rules(mesh(), DP, *matched_timeouts(), version=V2_13, allow_invalid=True)
    assert block(body, MT)["inboundRules"][0]["rules"] == [
        {"conf": [{"idleTimeout": "1s"}], "origin": [origin(MT, "z-catch-all", 0)]},
        {"conf": [{"http": {"requestTimeout": "2s"}}], "origin": [origin(MT, "y-matches", 0)]},
    ]


def test_match_key_orders_spiffe_exact_prefix_then_sni_then_catch_all() -> None:
    both = {**SPIFFE_PREFIX, **SNI}
    keys = [match_key(m) for m in (None, SNI, SPIFFE_PREFIX, both, SPIFFE_EXACT)]
    order = sorted(range(5), key=lambda i: keys[i])
    assert order == [4, 3, 2, 1, 0]


MR = "MeshRetry"
EXTERNAL_ONLY = [
    mesh(),
    DP,
    external_service("ext"),
    policy(
        MR,
        "to-ext",
        {
            "targetRef": MESH_REF,
            "to": [
                to_item({"kind": "MeshExternalService", "name": "ext"}, {"http": {"numRetries": 3}})
            ],
        },
    ),
]


def test_a_type_with_only_resource_rules_is_dropped_up_to_2_13() -> None:
    # S1 / rules spec TV-12: MeshRetry has no `from`, and a MeshExternalService is no
    # legacy tag target, so every legacy length is 0
    assert MR not in types(rules(*EXTERNAL_ONLY, version=V2_13))


def test_a_type_with_only_resource_rules_is_kept_from_2_14() -> None:
    got = block(rules(*EXTERNAL_ONLY, version=V2_14), MR)
    assert got["toRules"] == []
    assert [r["resourceMeta"] for r in got["toResourceRules"]] == [
        meta("MeshExternalService", "ext")
    ]
    assert got["toResourceRules"][0]["origin"] == [origin(MR, "to-ext", 0)]


def route(name: str, **extra: Any) -> Any:
    return policy(
        "MeshHTTPRoute",
        name,
        {
            "targetRef": MESH_REF,
            "to": [
                {
                    "targetRef": svc_ref("backend"),
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                            "default": {"backendRefs": [svc_ref("backend")]},
                        }
                    ],
                }
            ],
        },
        **extra,
    )


ROUTE_TARGET = [
    mesh(),
    DP,
    service("backend"),
    route("api"),
    timeout(
        "per-route",
        {
            "targetRef": MESH_REF,
            "to": [to_item({"kind": "MeshHTTPRoute", "name": "api"}, {"idleTimeout": "7s"})],
        },
    ),
    timeout(
        "mesh-wide",
        {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {"connectionTimeout": "2s"})]},
    ),
]


def test_to_mesh_http_route_keys_a_resource_rule_on_the_route_from_2_11() -> None:
    got = block(rules(*ROUTE_TARGET, version=V2_11, allow_invalid=True), MT)
    # S2: the legacy to-rules leave the route-targeting policy out
    assert [[o["name"] for o in r["origin"]] for r in got["toRules"]] == [["mesh-wide"]]
    # S7: Mesh items feed every key, route items only their route's
    assert got["toResourceRules"] == [
        resource_rule(
            meta("MeshHTTPRoute", "api"),
            "",
            [{"connectionTimeout": "2s", "idleTimeout": "7s"}],
            [origin(MT, "mesh-wide", 0), origin(MT, "per-route", 0)],
        ),
        resource_rule(mesh_meta(), "", [{"connectionTimeout": "2s"}], [origin(MT, "mesh-wide", 0)]),
    ]


def test_to_mesh_http_route_is_not_a_destination_in_2_10() -> None:
    # the route item fails the legacy tag model, which empties the whole to side; with
    # nothing else left the type is dropped (its warning alone does not keep it)
    index = load(*ROUTE_TARGET, version=V2_10, allow_invalid=True)
    computed = type_rules(index, index.dataplanes["dp-1"], MT)
    assert computed.kuma_warnings == (
        "couldn't create To rules: can't represent MeshHTTPRoute as tags",
    )
    assert computed.resource_rules == ()
    assert MT not in types(rules(*ROUTE_TARGET, version=V2_10, allow_invalid=True))


def sectioned(section: str) -> list[Any]:
    return [
        mesh(),
        DP,
        service("backend", (8080, "")),
        timeout(
            "to-port",
            {
                "targetRef": MESH_REF,
                "to": [to_item(svc_ref("backend", sectionName=section), {"idleTimeout": "3s"})],
            },
        ),
    ]


@pytest.mark.parametrize(
    ("version", "section", "keys"),
    [
        (V2_11, "8080", [("backend", "8080")]),
        (V2_11, "08080", [("backend", "8080")]),  # 2.11: ParseUint of the section name
        (V2_12, "8080", [("backend", "8080")]),
        (V2_12, "08080", []),  # 2.12: the port's name, else its decimal number, as text
    ],
)
def test_section_names_compare_port_names_as_text_from_2_12(
    version: KumaVersion, section: str, keys: list[tuple[str, str]]
) -> None:
    got = block(rules(*sectioned(section), version=version), MT)
    found = [(r["resourceMeta"]["name"], r["resourceSectionName"]) for r in got["toResourceRules"]]
    assert found == keys


ROUTE_TO_EXTERNAL = [
    mesh(),
    DP,
    external_service("ext"),
    policy(
        "MeshHTTPRoute",
        "to-ext",
        {
            "targetRef": MESH_REF,
            "to": [
                {
                    "targetRef": {"kind": "MeshExternalService", "name": "ext"},
                    "rules": [
                        {
                            "matches": [{"path": {"type": "Exact", "value": "/x"}}],
                            "default": {},
                        }
                    ],
                }
            ],
        },
    ),
]


def test_http_matches_come_from_resource_rules_too_from_2_14() -> None:
    before = rules(*ROUTE_TO_EXTERNAL, version=V2_13)
    after = rules(*ROUTE_TO_EXTERNAL, version=V2_14)
    matches = [{"path": {"type": "Exact", "value": "/x"}}]
    assert before["httpMatches"] == []
    assert after["httpMatches"] == [{"hash": go_hash(matches), "match": matches}]
    assert "MeshHTTPRoute" not in types(before)
    assert "MeshHTTPRoute" in types(after)


def test_ignored_inbound_gets_inbound_rules_from_2_14() -> None:
    dp = dataplane(inbounds=[WEB, {**inbound(9090, "admin"), "state": "Ignored"}])
    spec = {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "1s"}}]}
    ports_before = [
        e["inbound"]["port"]
        for e in block(rules(mesh(), dp, timeout("t", spec), version=V2_10), MT)["inboundRules"]
    ]
    ports_after = [
        e["inbound"]["port"]
        for e in block(rules(mesh(), dp, timeout("t", spec), version=V2_14), MT)["inboundRules"]
    ]
    assert ports_before == [8080]
    assert ports_after == [8080, 9090]


def test_zone_proxy_listener_inbound_has_null_tags_and_no_name() -> None:
    dp = dataplane(inbounds=[WEB])
    dp["networking"]["listeners"] = [{"type": "ZoneIngress", "port": 10001, "name": "zi"}]
    spec = {"targetRef": MESH_REF, "rules": [{"default": {"idleTimeout": "1s"}}]}
    got = block(rules(mesh(), dp, timeout("t", spec), version=V2_14, allow_invalid=True), MT)
    assert [e["inbound"] for e in got["inboundRules"]] == [
        WEB_INBOUND,
        {"port": 10001, "tags": None},
    ]


def test_resource_kinds_used_above_exist() -> None:
    # the helpers build exactly the resources the tests name
    assert resource("MeshService", "x", {})["type"] == "MeshService"


MTP = "MeshTrafficPermission"
MTP_RULES = policy(
    MTP,
    "deny-x",
    {
        "targetRef": MESH_REF,
        "rules": [
            {
                "default": {
                    "deny": [{"spiffeID": {"type": "Exact", "value": "spiffe://m/ns/x/sa/y"}}],
                    "allow": [{"spiffeID": {"type": "Prefix", "value": "spiffe://m/"}}],
                }
            }
        ],
    },
)


def test_mesh_traffic_permission_rules_keep_their_own_conf_from_2_12() -> None:
    got = block(rules(mesh(), DP, MTP_RULES, version=V2_12), MTP)
    assert got["inboundRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {
                    "conf": [
                        {
                            "deny": [
                                {"spiffeID": {"type": "Exact", "value": "spiffe://m/ns/x/sa/y"}}
                            ],
                            "allow": [{"spiffeID": {"type": "Prefix", "value": "spiffe://m/"}}],
                        }
                    ],
                    "origin": [origin(MTP, "deny-x", 0)],
                }
            ],
        }
    ]


def test_mesh_traffic_permission_has_no_rules_before_2_12() -> None:
    got = block(rules(mesh(), DP, MTP_RULES, version=V2_11, allow_invalid=True), MTP)
    assert got is None or got["inboundRules"] == []
