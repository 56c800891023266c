"""Inbound rules through `_rules` (spec `kuma-rules.md` §5.1, §4.1 from-side, TV-17, TV-18).

2.10: one merged `InboundRule` per inbound, built from `rules[]` entries and, for the
from-as-rules types, `from[]` entries (targetRef ignored), sorted by the entry
comparator; `fromRules` holds the legacy tag partition of `from[]` items only.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    WEB_INBOUND,
    Doc,
    Json,
    block,
    dataplane,
    inbound,
    matcher,
    mesh,
    meta,
    origin,
    policy,
    rules,
    to_item,
)

MT = "MeshTimeout"
SIDECARS = {"kind": "Mesh", "proxyTypes": ["Sidecar"]}
"""MFI `from` is only valid when the top level excludes gateways (matching spec TV16)."""


def timeout(name: str, spec: dict[str, Any], labels: dict[str, str] | None = None) -> Doc:
    return policy(MT, name, spec, labels=labels)


def rules_items(*defaults: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"default": d} for d in defaults]


def inbound_entry(inbound_json: Json, confs: list[Json], origins: list[Json]) -> Json:
    return {"inbound": inbound_json, "rules": [{"conf": confs, "origin": origins}]}


def test_from_as_rules_feeds_both_from_rules_and_inbound_rules() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        timeout("in", {"targetRef": MESH_REF, "from": [to_item(MESH_REF, {"idleTimeout": "5s"})]}),
    )
    assert block(body, MT) == {
        "type": MT,
        "fromRules": [
            {
                "inbound": WEB_INBOUND,
                "rules": [
                    {"matchers": [], "conf": {"idleTimeout": "5s"}, "origin": [meta(MT, "in")]}
                ],
            }
        ],
        "inboundRules": [
            inbound_entry(WEB_INBOUND, [{"idleTimeout": "5s"}], [origin(MT, "in", 0)])
        ],
        "toRules": [],
        "toResourceRules": [],
        "warnings": [],
    }


def test_tv17_rules_and_from_mixed() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        timeout("mt-aaaaaa", {"targetRef": MESH_REF, "rules": rules_items({"idleTimeout": "10s"})}),
        timeout(
            "mt-bbbbbb",
            {
                "targetRef": MESH_REF,
                "from": [to_item(MESH_REF, {"idleTimeout": "100s", "connectionTimeout": "101s"})],
            },
        ),
        timeout(
            "mt-cccccc",
            {
                "targetRef": MESH_REF,
                "rules": rules_items({"idleTimeout": "200s", "http": {"requestTimeout": "202s"}}),
            },
        ),
    )
    got = block(body, MT)
    assert got["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND,
            [
                {
                    "connectionTimeout": "1m41s",
                    "idleTimeout": "10s",
                    "http": {"requestTimeout": "3m22s"},
                }
            ],
            [origin(MT, "mt-cccccc", 0), origin(MT, "mt-bbbbbb", 0), origin(MT, "mt-aaaaaa", 0)],
        )
    ]
    assert got["fromRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {
                    "matchers": [],
                    "conf": {"connectionTimeout": "1m41s", "idleTimeout": "1m40s"},
                    "origin": [meta(MT, "mt-bbbbbb")],
                }
            ],
        }
    ]


def test_tv17_single_mesh_subset_from_item() -> None:
    # Only old stored objects have this; `fromRules` partitions by tags (one rule, no
    # `app≠ui` rule since nothing covers it) while `inboundRules` ignores the targetRef.
    item = to_item({"kind": "MeshSubset", "tags": {"app": "ui"}}, {"idleTimeout": "7s"})
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        timeout("old", {"targetRef": MESH_REF, "from": [item]}),
        allow_invalid=True,
    )
    got = block(body, MT)
    assert got["fromRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {
                    "matchers": [matcher("app", "ui")],
                    "conf": {"idleTimeout": "7s"},
                    "origin": [meta(MT, "old")],
                }
            ],
        }
    ]
    assert got["inboundRules"] == [
        inbound_entry(WEB_INBOUND, [{"idleTimeout": "7s"}], [origin(MT, "old", 0)])
    ]


def test_several_rules_of_one_policy_merge_in_index_order() -> None:
    spec = {
        "targetRef": MESH_REF,
        "rules": rules_items(
            {"idleTimeout": "1s", "connectionTimeout": "2s"}, {"idleTimeout": "3s"}
        ),
    }
    body = rules(mesh(), dataplane(inbounds=[WEB]), timeout("multi", spec))
    got = block(body, MT)
    assert got["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND,
            [{"connectionTimeout": "2s", "idleTimeout": "3s"}],
            [origin(MT, "multi", 0), origin(MT, "multi", 1)],
        )
    ]
    # no from[] items: the legacy from-rules map has the inbound with no rules → not listed,
    # but the type is kept (§8.3 counts map entries)
    assert got["fromRules"] == []


ENTRY_ORDER_CASES = [
    pytest.param(
        [
            ("zzz", {"kind": "Dataplane"}, None, "1s"),
            ("aaa", MESH_REF, None, "2s"),
        ],
        None,
        ["aaa", "zzz"],
        "1s",
        id="top-level-kind-beats-name",
    ),
    pytest.param(
        [
            (
                "z-owner",
                MESH_REF,
                {"kuma.io/policy-role": "workload-owner", "k8s.kuma.io/namespace": "demo"},
                "1s",
            ),
            ("a-system", MESH_REF, None, "2s"),
        ],
        {"k8s.kuma.io/namespace": "demo"},
        ["a-system", "z-owner"],
        "1s",
        id="role-beats-name",
    ),
    pytest.param(
        [
            ("a-zone", MESH_REF, {"kuma.io/origin": "zone"}, "1s"),
            ("z-global", MESH_REF, {"kuma.io/origin": "global"}, "2s"),
            ("m-plain", MESH_REF, None, "3s"),
        ],
        None,
        ["z-global", "m-plain", "a-zone"],
        "1s",
        id="origin-global-absent-zone",
    ),
    pytest.param(
        [("a", MESH_REF, None, "1s"), ("b", MESH_REF, None, "2s"), ("c", MESH_REF, None, "3s")],
        None,
        ["c", "b", "a"],
        "1s",
        id="equal-attributes-name-descending",
    ),
]


@pytest.mark.parametrize(("policies", "dp_labels", "order", "winner"), ENTRY_ORDER_CASES)
def test_inbound_entry_order(
    policies: list[tuple[str, dict[str, Any], dict[str, str] | None, str]],
    dp_labels: dict[str, str] | None,
    order: list[str],
    winner: str,
) -> None:
    docs = [
        timeout(name, {"targetRef": ref, "rules": rules_items({"idleTimeout": value})}, labels)
        for name, ref, labels, value in policies
    ]
    labels_of = {name: labels for name, _, labels, _ in policies}
    body = rules(mesh(), dataplane(inbounds=[WEB], labels=dp_labels), *docs)
    assert block(body, MT)["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND,
            [{"idleTimeout": winner}],
            [origin(MT, name, 0, labels=labels_of[name]) for name in order],
        )
    ]


def test_per_inbound_lists_and_port_order() -> None:
    # Inbounds listed 9090 first; the API sorts by port. An inbound without a name
    # has no `name` key. `sectionName` picks the named inbound only.
    body = rules(
        mesh(),
        dataplane(inbounds=[inbound(9090, "admin"), WEB]),
        timeout("all", {"targetRef": MESH_REF, "rules": rules_items({"idleTimeout": "1s"})}),
        timeout(
            "only-http",
            {
                "targetRef": {"kind": "Dataplane", "sectionName": "http"},
                "rules": rules_items({"idleTimeout": "2s"}),
            },
        ),
    )
    assert block(body, MT)["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND, [{"idleTimeout": "2s"}], [origin(MT, "all", 0), origin(MT, "only-http", 0)]
        ),
        inbound_entry(
            {"port": 9090, "tags": {"kuma.io/service": "admin"}},
            [{"idleTimeout": "1s"}],
            [origin(MT, "all", 0)],
        ),
    ]


def test_section_name_on_unnamed_inbound_selects_nothing() -> None:
    # 2.10 compares sectionName with the inbound name only: nothing matched, type dropped.
    body = rules(
        mesh(),
        dataplane(inbounds=[inbound(9090, "admin")]),
        timeout(
            "by-port",
            {
                "targetRef": {"kind": "Dataplane", "sectionName": "9090"},
                "rules": rules_items({"idleTimeout": "2s"}),
            },
        ),
    )
    assert block(body, MT) is None


def test_ignored_inbound_gets_no_rules() -> None:
    ignored = {**inbound(9090, "admin"), "state": "Ignored"}
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB, ignored]),
        timeout("all", {"targetRef": MESH_REF, "rules": rules_items({"idleTimeout": "1s"})}),
    )
    assert block(body, MT)["inboundRules"] == [
        inbound_entry(WEB_INBOUND, [{"idleTimeout": "1s"}], [origin(MT, "all", 0)])
    ]


@pytest.mark.parametrize(
    ("kind", "conf"),
    [
        pytest.param("MeshTrafficPermission", {"action": "Deny"}, id="mtp"),
        pytest.param(
            "MeshFaultInjection",
            {"http": [{"abort": {"httpStatus": 503, "percentage": 50}}]},
            id="mfi",
        ),
    ],
)
def test_from_types_without_rules_support_have_only_from_rules(
    kind: str, conf: dict[str, Any]
) -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(kind, "p", {"targetRef": SIDECARS, "from": [to_item(MESH_REF, conf)]}),
    )
    assert block(body, kind) == {
        "type": kind,
        "fromRules": [
            {
                "inbound": WEB_INBOUND,
                "rules": [{"matchers": [], "conf": conf, "origin": [meta(kind, "p")]}],
            }
        ],
        "inboundRules": [],
        "toRules": [],
        "toResourceRules": [],
        "warnings": [],
    }


def test_tv18_at_2_10_all_rules_of_an_inbound_merge_into_one() -> None:
    # TV-18 is HEAD behaviour (unmerged, match-sorted). At 2.10 `rules[]` have no
    # `matches`, and the five policies in priority order p1..p5 give ONE rule whose
    # conf is merge(p1..p5) and whose origins follow that order; no `match` key.
    names = ["e-p1", "d-p2", "c-p3", "b-p4", "a-p5"]  # name-descending = p1..p5
    confs: list[dict[str, Any]] = [
        {"idleTimeout": "1s"},
        {"connectionTimeout": "2s"},
        {"http": {"requestTimeout": "3s"}},
        {"idleTimeout": "4s"},
        {"http": {"streamIdleTimeout": "5s"}},
    ]
    docs = [
        timeout(n, {"targetRef": MESH_REF, "rules": rules_items(c)})
        for n, c in zip(names, confs, strict=True)
    ]
    body = rules(mesh(), dataplane(inbounds=[WEB]), *docs)
    assert block(body, MT)["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND,
            [
                {
                    "connectionTimeout": "2s",
                    "idleTimeout": "4s",
                    "http": {"requestTimeout": "3s", "streamIdleTimeout": "5s"},
                }
            ],
            [origin(MT, n, 0) for n in names],
        )
    ]


def test_mesh_tls_rules_and_access_log_from() -> None:
    body = rules(
        mesh(),
        dataplane(inbounds=[WEB]),
        policy(
            "MeshTLS", "tls", {"targetRef": MESH_REF, "rules": rules_items({"mode": "Permissive"})}
        ),
        policy(
            "MeshAccessLog",
            "log",
            {
                "targetRef": MESH_REF,
                "from": [
                    to_item(
                        MESH_REF, {"backends": [{"type": "File", "file": {"path": "/dev/stdout"}}]}
                    )
                ],
            },
        ),
    )
    tls = block(body, "MeshTLS")
    assert tls["inboundRules"] == [
        inbound_entry(WEB_INBOUND, [{"mode": "Permissive"}], [origin("MeshTLS", "tls", 0)])
    ]
    assert tls["fromRules"] == []
    log_conf = {"backends": [{"type": "File", "file": {"path": "/dev/stdout"}}]}
    log = block(body, "MeshAccessLog")
    assert log["inboundRules"] == [
        inbound_entry(WEB_INBOUND, [log_conf], [origin("MeshAccessLog", "log", 0)])
    ]
    assert log["fromRules"] == [
        {
            "inbound": WEB_INBOUND,
            "rules": [{"matchers": [], "conf": log_conf, "origin": [meta("MeshAccessLog", "log")]}],
        }
    ]


DATAPLANE_REFINEMENT_CASES = [
    pytest.param(
        [
            ("z-named", {"kind": "Dataplane", "name": "dp-1"}, None),
            ("a-labels", {"kind": "Dataplane", "labels": {"app": "web"}}, None),
        ],
        ["a-labels", "z-named"],
        id="labels-based-before-name-based",
    ),
    pytest.param(
        [
            ("z-section", {"kind": "Dataplane", "sectionName": "http"}, None),
            ("a-all", {"kind": "Dataplane"}, None),
        ],
        ["a-all", "z-section"],
        id="no-section-before-section",
    ),
    pytest.param(
        [
            ("z-section", {"kind": "Dataplane", "sectionName": "http"}, None),
            ("a-zone", {"kind": "Dataplane"}, {"kuma.io/origin": "zone"}),
        ],
        ["a-zone", "z-section"],
        id="section-key-comes-before-origin",
    ),
]


@pytest.mark.parametrize(("policies", "order"), DATAPLANE_REFINEMENT_CASES)
def test_dataplane_refinement_orders_inbound_entries(
    policies: list[tuple[str, dict[str, Any], dict[str, str] | None]], order: list[str]
) -> None:
    docs = [
        timeout(
            name, {"targetRef": ref, "rules": rules_items({"idleTimeout": f"{i + 1}s"})}, labels
        )
        for i, (name, ref, labels) in enumerate(policies)
    ]
    value = {name: f"{i + 1}s" for i, (name, _, _) in enumerate(policies)}
    labels_of = {name: labels for name, _, labels in policies}
    body = rules(mesh(), dataplane(inbounds=[WEB], labels={"app": "web"}), *docs)
    assert block(body, MT)["inboundRules"] == [
        inbound_entry(
            WEB_INBOUND,
            [{"idleTimeout": value[order[-1]]}],
            [origin(MT, name, 0, labels=labels_of[name]) for name in order],
        )
    ]
