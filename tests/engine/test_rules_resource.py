"""Per-resource outbound rules through `_rules` (spec `kuma-rules.md` §6, §2.3; TV-10, TV-11,
TV-14, TV-15, TV-16, TV-19, TV-20).

`toResourceRules` come out sorted by `resourceMeta.name` only (unstable for ties), so
they are compared in (name, section) order.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    Json,
    block,
    by_key,
    dataplane,
    external_service,
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
)

MT = "MeshTimeout"
DN = "kuma.io/display-name"
NS = "k8s.kuma.io/namespace"
ZONE = "kuma.io/zone"
SVC = "kuma.io/service"


def timeout(
    name: str, items: list[dict[str, Any]], labels: dict[str, str] | None = None, top: Any = None
) -> Any:
    return policy(MT, name, {"targetRef": top or MESH_REF, "to": items}, labels=labels)


def keys(body: Json, kind: str = MT) -> list[tuple[str, str]]:
    """(store name, section) of every resource rule."""
    return [
        (r["resourceMeta"]["name"], r["resourceSectionName"])
        for r in by_key(block(body, kind)["toResourceRules"])
    ]


# ---------------------------------------------------------------------------------------
# §6.2 resolution by name (namespace/zone defaulting) and by labels; TV-19 (2.10 part)

BACKENDS = [
    service("backend-a-z1", labels={DN: "backend", NS: "a", ZONE: "z1"}),
    service("backend-b-z1", labels={DN: "backend", NS: "b", ZONE: "z1"}),
    service("backend-a-z2", labels={DN: "backend", NS: "a", ZONE: "z2"}),
    service("backend"),
]
CONSUMER_A_Z1 = {NS: "a", ZONE: "z1", "kuma.io/origin": "zone", "kuma.io/policy-role": "consumer"}
GLOBAL = {"kuma.io/origin": "global"}

RESOLUTION_CASES = [
    pytest.param(
        CONSUMER_A_Z1,
        svc_ref("backend"),
        [("backend-a-z1", "")],
        id="name-defaults-to-own-namespace-and-zone",
    ),
    pytest.param(
        CONSUMER_A_Z1,
        svc_ref("backend", namespace="b"),
        [("backend-b-z1", "")],
        id="explicit-namespace-own-zone",
    ),
    pytest.param(CONSUMER_A_Z1, svc_ref("backend", namespace="c"), [], id="no-such-namespace"),
    pytest.param(
        CONSUMER_A_Z1,
        {"kind": "MeshService", "labels": {DN: "backend"}},
        [("backend-a-z1", ""), ("backend-a-z2", ""), ("backend-b-z1", "")],
        id="labels-match-every-namespace-and-zone",
    ),
    pytest.param(
        CONSUMER_A_Z1,
        {"kind": "MeshService", "labels": {DN: "backend", ZONE: "z1"}},
        [("backend-a-z1", ""), ("backend-b-z1", "")],
        id="labels-narrowed-by-zone",
    ),
    pytest.param(
        GLOBAL,
        svc_ref("backend"),
        [("backend", "")],
        id="global-policy-by-name-finds-only-zoneless",
    ),
    pytest.param(GLOBAL, svc_ref("nothing"), [], id="unknown-name"),
]


@pytest.mark.parametrize(("policy_labels", "ref", "expected"), RESOLUTION_CASES)
def test_resolution(
    policy_labels: dict[str, str], ref: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB], labels={NS: "a"}),
        *BACKENDS,
        timeout("t", [to_item(ref, {"idleTimeout": "1s"})], labels=policy_labels),
    )
    got = block(body, MT)
    assert keys(body) == expected
    for rule in got["toResourceRules"]:
        assert rule["conf"] == [{"idleTimeout": "1s"}]
        assert rule["origin"] == [origin(MT, "t", 0, labels=policy_labels)]


def test_tv19_each_resolved_service_gets_its_own_rule_with_its_labels() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB], labels={NS: "a"}),
        *BACKENDS,
        timeout(
            "t",
            [to_item({"kind": "MeshService", "labels": {DN: "backend"}}, {"idleTimeout": "1s"})],
        ),
    )
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", name, labels={DN: "backend", NS: ns, ZONE: zone}),
            "",
            [{"idleTimeout": "1s"}],
            [origin(MT, "t", 0)],
        )
        for name, ns, zone in [
            ("backend-a-z1", "a", "z1"),
            ("backend-a-z2", "a", "z2"),
            ("backend-b-z1", "b", "z1"),
        ]
    ]


# ---------------------------------------------------------------------------------------
# TV-16: the legacy `<svc>_<ns>_svc[_<port>]` bridge

BRIDGE_SERVICES = [
    service(
        "backend-z1",
        (8080, "http"),
        (9090, ""),
        labels={DN: "backend", NS: "kuma-demo", ZONE: "z1"},
    ),
    service(
        "backend-z2",
        (8080, "http"),
        (9090, ""),
        labels={DN: "backend", NS: "kuma-demo", ZONE: "z2"},
    ),
    service("backend-other", (8080, "http"), labels={DN: "backend", NS: "other", ZONE: "z1"}),
    service("frontend", (8080, ""), labels={DN: "frontend", NS: "kuma-demo"}),
]

BRIDGE_CASES = [
    pytest.param(
        svc_ref("backend_kuma-demo_svc_8080"),
        [("backend-z1", "http"), ("backend-z2", "http")],
        id="port-of-named-port-every-zone",
    ),
    pytest.param(
        svc_ref("backend_kuma-demo_svc_9090"),
        [("backend-z1", "9090"), ("backend-z2", "9090")],
        id="port-of-unnamed-port",
    ),
    pytest.param(
        svc_ref("backend_kuma-demo_svc"),
        [("backend-z1", ""), ("backend-z2", "")],
        id="three-parts-all-ports",
    ),
    pytest.param(
        svc_ref("backend_kuma-demo_xyz_8080"),
        [("backend-z1", "http"), ("backend-z2", "http")],
        id="third-part-not-checked",
    ),
    pytest.param(svc_ref("backend_kuma-demo_svc_7070"), [], id="no-such-port"),
    pytest.param(
        svc_ref("frontend_kuma-demo_svc_8080"), [("frontend", "8080")], id="zoneless-service"
    ),
    pytest.param(
        svc_ref("backend_kuma-demo_svc_abc"), [], id="non-integer-fourth-part-is-a-plain-name"
    ),
    pytest.param(
        svc_ref("backend_kuma-demo_svc_8080", sectionName="http"),
        [],
        id="section-name-disables-the-bridge",
    ),
]


@pytest.mark.parametrize(("ref", "expected"), BRIDGE_CASES)
def test_tv16_legacy_service_name_bridge(
    ref: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        *BRIDGE_SERVICES,
        timeout("t", [to_item(ref, {"idleTimeout": "1s"})]),
    )
    assert keys(body) == expected


# ---------------------------------------------------------------------------------------
# TV-14: sectionName and named / unnamed ports


@pytest.mark.parametrize(
    ("ports", "section", "expected"),
    [
        pytest.param(
            [(80, "super-port")],
            "super-port",
            [("backend-4", "super-port")],
            id="named-port-by-name",
        ),
        pytest.param([(80, "super-port")], "80", [], id="named-port-not-by-number"),
        pytest.param([(80, "")], "80", [("backend-4", "80")], id="unnamed-port-by-number"),
        pytest.param([(80, "")], "super-port", [], id="unnamed-port-no-name"),
        pytest.param([(80, "a"), (81, "")], "81", [("backend-4", "81")], id="second-port-unnamed"),
    ],
)
def test_tv14_section_names(
    ports: list[tuple[int, str]], section: str, expected: list[tuple[str, str]]
) -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend-4", *ports),
        timeout("t", [to_item(svc_ref("backend-4", sectionName=section), {"idleTimeout": "1s"})]),
    )
    assert keys(body) == expected


def test_section_name_on_mesh_external_service_is_ignored() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        external_service("ext"),
        timeout(
            "t",
            [
                to_item(
                    {"kind": "MeshExternalService", "name": "ext", "sectionName": "x"},
                    {"idleTimeout": "1s"},
                )
            ],
        ),
        allow_invalid=True,
    )
    assert keys(body) == [("ext", "")]


# ---------------------------------------------------------------------------------------
# TV-15: service-wide + port-level


@pytest.mark.parametrize(
    ("x_labels", "port_level_origins", "port_level_conf"),
    [
        pytest.param(None, ["a-x", "z-y"], "2s", id="no-section-first-despite-names"),
        pytest.param(
            {"kuma.io/origin": "zone"}, ["z-y", "a-x"], "1s", id="zone-origin-service-wide-wins"
        ),
    ],
)
def test_tv15_service_level_and_port_level(
    x_labels: dict[str, str] | None, port_level_origins: list[str], port_level_conf: str
) -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend", (8080, "http")),
        timeout("a-x", [to_item(svc_ref("backend"), {"idleTimeout": "1s"})], labels=x_labels),
        timeout("z-y", [to_item(svc_ref("backend", sectionName="http"), {"idleTimeout": "2s"})]),
    )
    labels = {"a-x": x_labels, "z-y": None}
    backend = meta("MeshService", "backend")
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(
            backend, "", [{"idleTimeout": "1s"}], [origin(MT, "a-x", 0, labels=x_labels)]
        ),
        resource_rule(
            backend,
            "http",
            [{"idleTimeout": port_level_conf}],
            [origin(MT, n, 0, labels=labels[n]) for n in port_level_origins],
        ),
    ]


# ---------------------------------------------------------------------------------------
# §6.4 relevance; TV-20


def mesh_and_service_policies() -> list[Any]:
    return [
        service("backend"),
        timeout("p-mesh", [to_item(MESH_REF, {"idleTimeout": "5s"})]),
        timeout("p-svc", [to_item(svc_ref("backend"), {"connectionTimeout": "1s"})]),
    ]


LEGACY_MESH_AND_SERVICE = [
    {
        "matchers": [matcher(SVC, "backend")],
        "conf": {"connectionTimeout": "1s", "idleTimeout": "5s"},
        "origin": [meta(MT, "p-svc"), meta(MT, "p-mesh")],
    },
    {"matchers": [], "conf": {"idleTimeout": "5s"}, "origin": [meta(MT, "p-mesh")]},
]


def test_mesh_item_feeds_every_key() -> None:
    body = rules(mesh(), dataplane(inbounds=[WEB]), *mesh_and_service_policies())
    got = block(body, MT)
    assert by_key(got["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [{"connectionTimeout": "1s", "idleTimeout": "5s"}],
            [origin(MT, "p-mesh", 0), origin(MT, "p-svc", 0)],
        ),
        resource_rule(mesh_meta(), "", [{"idleTimeout": "5s"}], [origin(MT, "p-mesh", 0)]),
    ]
    assert got["toRules"] == LEGACY_MESH_AND_SERVICE


def test_tv20_mesh_item_needs_the_mesh_resource() -> None:
    body = rules(dataplane(inbounds=[WEB]), *mesh_and_service_policies())
    got = block(body, MT)
    assert got["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [{"connectionTimeout": "1s"}],
            [origin(MT, "p-svc", 0)],
        )
    ]
    assert got["toRules"] == LEGACY_MESH_AND_SERVICE


def test_mesh_external_service_key_merges_mesh_items() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        external_service("ext"),
        timeout(
            "p",
            [
                to_item(
                    {"kind": "MeshExternalService", "name": "ext"}, {"connectionTimeout": "2s"}
                ),
                to_item(MESH_REF, {"idleTimeout": "1s", "connectionTimeout": "9s"}),
            ],
        ),
    )
    got = block(body, MT)
    assert by_key(got["toResourceRules"]) == [
        # entry order: Mesh item (to-kind rank 1) before the MES item (rank 6)
        resource_rule(
            meta("MeshExternalService", "ext"),
            "",
            [{"connectionTimeout": "2s", "idleTimeout": "1s"}],
            [origin(MT, "p", 1), origin(MT, "p", 0)],
        ),
        resource_rule(
            mesh_meta(),
            "",
            [{"idleTimeout": "1s", "connectionTimeout": "9s"}],
            [origin(MT, "p", 1)],
        ),
    ]
    # MES items are not an old kind: legacy to-rules only see the Mesh item
    assert got["toRules"] == [
        {
            "matchers": [],
            "conf": {"idleTimeout": "1s", "connectionTimeout": "9s"},
            "origin": [meta(MT, "p")],
        }
    ]


def test_port_key_merges_service_wide_items_of_every_policy() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend", (8080, "http"), (9090, "grpc")),
        timeout("wide", [to_item(svc_ref("backend"), {"idleTimeout": "1s"})]),
        timeout(
            "port", [to_item(svc_ref("backend", sectionName="grpc"), {"connectionTimeout": "2s"})]
        ),
    )
    backend = meta("MeshService", "backend")
    # `backend:http` is not a key: no entry resolved to it (fallbacks are not materialised)
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(backend, "", [{"idleTimeout": "1s"}], [origin(MT, "wide", 0)]),
        resource_rule(
            backend,
            "grpc",
            [{"connectionTimeout": "2s", "idleTimeout": "1s"}],
            [origin(MT, "wide", 0), origin(MT, "port", 0)],
        ),
    ]


def test_port_level_item_does_not_feed_the_service_wide_key() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend", (8080, "http"), (9090, "grpc")),
        timeout(
            "http-only", [to_item(svc_ref("backend", sectionName="http"), {"idleTimeout": "1s"})]
        ),
        timeout(
            "grpc-only", [to_item(svc_ref("backend", sectionName="grpc"), {"idleTimeout": "2s"})]
        ),
    )
    backend = meta("MeshService", "backend")
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(backend, "grpc", [{"idleTimeout": "2s"}], [origin(MT, "grpc-only", 0)]),
        resource_rule(backend, "http", [{"idleTimeout": "1s"}], [origin(MT, "http-only", 0)]),
    ]


def test_same_policy_item_listed_once_per_index_in_origins() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        timeout(
            "p",
            [
                to_item(svc_ref("backend"), {"idleTimeout": "1s"}),
                to_item(svc_ref("backend"), {"connectionTimeout": "2s"}),
            ],
        ),
    )
    assert block(body, MT)["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [{"idleTimeout": "1s", "connectionTimeout": "2s"}],
            [origin(MT, "p", 0), origin(MT, "p", 1)],
        )
    ]


# ---------------------------------------------------------------------------------------
# §2.3 outbound entry order; TV-10, TV-11


def test_tv10_top_level_specificity_beats_destination_specificity() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        timeout("p1", [to_item(svc_ref("backend"), {"http": {"requestTimeout": "10s"}})]),
        timeout(
            "p2",
            [to_item(MESH_REF, {"http": {"requestTimeout": "99s"}})],
            top={"kind": "Dataplane"},
        ),
    )
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [{"http": {"requestTimeout": "1m39s"}}],
            [origin(MT, "p1", 0), origin(MT, "p2", 0)],
        ),
        resource_rule(
            mesh_meta(), "", [{"http": {"requestTimeout": "1m39s"}}], [origin(MT, "p2", 0)]
        ),
    ]


def test_destination_kind_beats_name_at_equal_attributes() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        timeout("aaa", [to_item(MESH_REF, {"idleTimeout": "2s"})]),
        timeout("zzz", [to_item(svc_ref("backend"), {"idleTimeout": "1s"})]),
    )
    got = block(body, MT)
    assert by_key(got["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [{"idleTimeout": "1s"}],
            [origin(MT, "aaa", 0), origin(MT, "zzz", 0)],
        ),
        resource_rule(mesh_meta(), "", [{"idleTimeout": "2s"}], [origin(MT, "aaa", 0)]),
    ]
    # the legacy rules use policy order only (zzz, aaa): there `aaa` wins
    assert got["toRules"] == [
        {
            "matchers": [matcher(SVC, "backend")],
            "conf": {"idleTimeout": "2s"},
            "origin": [meta(MT, "zzz"), meta(MT, "aaa")],
        },
        {"matchers": [], "conf": {"idleTimeout": "2s"}, "origin": [meta(MT, "aaa")]},
    ]


TV11_CASES = [
    pytest.param(
        [("aaa", {"kuma.io/origin": "global"}), ("bbb", None), ("ccc", {"kuma.io/origin": "zone"})],
        None,
        ["aaa", "bbb", "ccc"],
        id="origin-global-absent-zone",
    ),
    pytest.param(
        [
            ("d", {"kuma.io/policy-role": "workload-owner", NS: "demo"}),
            ("c", {"kuma.io/policy-role": "consumer", NS: "demo"}),
            ("b", {"kuma.io/policy-role": "producer"}),
            ("a", {"kuma.io/policy-role": "system"}),
        ],
        {NS: "demo"},
        ["a", "b", "c", "d"],
        id="roles-system-producer-consumer-workload-owner",
    ),
    pytest.param([("a", None), ("b", None)], None, ["b", "a"], id="equal-attributes-a-wins"),
    pytest.param(
        [("a", {"kuma.io/origin": "zone"}), ("z", {"kuma.io/origin": "global"})],
        None,
        ["z", "a"],
        id="origin-beats-name",
    ),
]


@pytest.mark.parametrize(("policies", "dp_labels", "order"), TV11_CASES)
def test_tv11_origin_and_role_beat_name(
    policies: list[tuple[str, dict[str, str] | None]],
    dp_labels: dict[str, str] | None,
    order: list[str],
) -> None:
    docs = [
        timeout(name, [to_item(MESH_REF, {"idleTimeout": f"{i + 1}s"})], labels=labels)
        for i, (name, labels) in enumerate(policies)
    ]
    value = {name: f"{i + 1}s" for i, (name, _) in enumerate(policies)}
    labels_of = {name: labels for name, labels in policies}
    body = rules(mesh(), dataplane(inbounds=[WEB], labels=dp_labels), *docs)
    assert block(body, MT)["toResourceRules"] == [
        resource_rule(
            mesh_meta(),
            "",
            [{"idleTimeout": value[order[-1]]}],
            [origin(MT, name, 0, labels=labels_of[name]) for name in order],
        )
    ]


def test_labels_of_resource_and_origin_are_the_stored_labels() -> None:
    svc_labels = {"team": "payments", DN: "backend"}
    pol_labels = {"team": "platform"}
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend-x1", labels=svc_labels),
        timeout(
            "t",
            [
                to_item(
                    {"kind": "MeshService", "labels": {"team": "payments"}}, {"idleTimeout": "1s"}
                )
            ],
            labels=pol_labels,
        ),
    )
    assert block(body, MT)["toResourceRules"] == [
        resource_rule(
            meta("MeshService", "backend-x1", labels=svc_labels),
            "",
            [{"idleTimeout": "1s"}],
            [origin(MT, "t", 0, labels=pol_labels)],
        )
    ]


def test_subset_kinds_resolve_to_no_resource() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        timeout(
            "t",
            [
                to_item(
                    {"kind": "MeshServiceSubset", "name": "backend", "tags": {"version": "v1"}},
                    {"idleTimeout": "1s"},
                )
            ],
        ),
        allow_invalid=True,  # MeshServiceSubset in to[]: only old stored objects
    )
    got = block(body, MT)
    assert got["toResourceRules"] == []
    assert got["toRules"] == [
        {
            "matchers": [matcher(SVC, "backend"), matcher("version", "v1")],
            "conf": {"idleTimeout": "1s"},
            "origin": [meta(MT, "t")],
        }
    ]


# ---------------------------------------------------------------------------------------
# §3.5 MeshTCPRoute confs; MeshMultiZoneService keys


def test_tcp_route_conf_is_first_rule_or_synthetic_backend() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        service("backend"),
        service("other"),
        policy(
            "MeshTCPRoute",
            "synthetic",
            {"targetRef": MESH_REF, "to": [{"targetRef": svc_ref("backend")}]},
        ),
        policy(
            "MeshTCPRoute",
            "explicit",
            {
                "targetRef": MESH_REF,
                "to": [
                    {
                        "targetRef": svc_ref("other"),
                        "rules": [
                            {
                                "default": {
                                    "backendRefs": [
                                        {"kind": "MeshService", "name": "backend", "weight": 5}
                                    ]
                                }
                            }
                        ],
                    }
                ],
            },
        ),
    )
    got = block(body, "MeshTCPRoute")
    assert by_key(got["toResourceRules"]) == [
        resource_rule(
            meta("MeshService", "backend"),
            "",
            [
                {
                    "default": {
                        "backendRefs": [{"kind": "MeshService", "name": "backend", "weight": 1}]
                    }
                }
            ],
            [origin("MeshTCPRoute", "synthetic", 0)],
        ),
        resource_rule(
            meta("MeshService", "other"),
            "",
            [
                {
                    "default": {
                        "backendRefs": [{"kind": "MeshService", "name": "backend", "weight": 5}]
                    }
                }
            ],
            [origin("MeshTCPRoute", "explicit", 0)],
        ),
    ]


def multi_zone_service(name: str, labels: dict[str, str]) -> Any:
    spec = {
        "selector": {"meshService": {"matchLabels": {DN: "backend"}}},
        "ports": [
            {"port": 8080, "name": "http", "appProtocol": "http"},
            {"port": 9090, "appProtocol": "tcp"},
        ],
    }
    return policy("MeshMultiZoneService", name, spec, labels=labels)


def test_mesh_multi_zone_service_by_labels_and_sections() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        multi_zone_service("mzs-backend", {"team": "x"}),
        timeout(
            "t",
            [
                to_item(
                    {"kind": "MeshMultiZoneService", "labels": {"team": "x"}}, {"idleTimeout": "1s"}
                ),
                to_item(
                    {
                        "kind": "MeshMultiZoneService",
                        "labels": {"team": "x"},
                        "sectionName": "9090",
                    },
                    {"connectionTimeout": "2s"},
                ),
            ],
        ),
    )
    mzs = meta("MeshMultiZoneService", "mzs-backend", labels={"team": "x"})
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(mzs, "", [{"idleTimeout": "1s"}], [origin(MT, "t", 0)]),
        resource_rule(
            mzs,
            "9090",
            [{"idleTimeout": "1s", "connectionTimeout": "2s"}],
            [origin(MT, "t", 0), origin(MT, "t", 1)],
        ),
    ]


def test_section_key_of_the_entry_comparator_is_meshservice_only() -> None:
    # For MeshMultiZoneService items the "no section first" key does not apply: the
    # names decide (descending), so the service-wide `a-wide` merges last and wins.
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        multi_zone_service("mzs-backend", {"team": "x"}),
        timeout(
            "z-sec",
            [
                to_item(
                    {
                        "kind": "MeshMultiZoneService",
                        "labels": {"team": "x"},
                        "sectionName": "http",
                    },
                    {"idleTimeout": "2s"},
                )
            ],
        ),
        timeout(
            "a-wide",
            [
                to_item(
                    {"kind": "MeshMultiZoneService", "labels": {"team": "x"}}, {"idleTimeout": "1s"}
                )
            ],
        ),
    )
    mzs = meta("MeshMultiZoneService", "mzs-backend", labels={"team": "x"})
    assert by_key(block(body, MT)["toResourceRules"]) == [
        resource_rule(mzs, "", [{"idleTimeout": "1s"}], [origin(MT, "a-wide", 0)]),
        resource_rule(
            mzs, "http", [{"idleTimeout": "1s"}], [origin(MT, "z-sec", 0), origin(MT, "a-wide", 0)]
        ),
    ]
