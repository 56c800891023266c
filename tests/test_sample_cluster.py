"""`sample-cluster/` loads cleanly and gives the results its README describes.

Every expected value below is what Kuma 2.10.11 computes for the sample; the README quotes
them per dataplane. Origins are written `display-name#ruleIndex`.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.sources.files import load_path
from tests.versions import V2_10

SAMPLE = Path(__file__).resolve().parents[1] / "sample-cluster"

FIRST_CONSUMER = "consumer.first-consumer"
SECOND_CONSUMER = "consumer.second-consumer"
DEMO_APP = "demo-app-5d8c6b9f47-xk2lp.kuma-demo"
REDIS = "redis-7b9c6f5d8-4mzqt.kuma-demo"
WEB = "web-6f7c9d8b45-2xkqp.shop-frontend"
WEB_TWIN = "web-6f7c9d8b45-qm4zt.shop-frontend"
EDGE = "edge-gateway-8c5b7d9f6-l8vwx.shop-frontend"
ORDERS = "orders-v1-7d64c9b8f5-h2kfn.shop-backend"
ORDERS_NOT_READY = "orders-v1-7d64c9b8f5-9pzmc.shop-backend"
ORDERS_CANARY = "orders-v2-5b8f7c6d49-x7rjm.shop-backend"
PAYMENTS = "payments-69c7d5b8f4-wq2ls.shop-payments"

DATAPLANES = {
    "default": (FIRST_CONSUMER, SECOND_CONSUMER, DEMO_APP, REDIS),
    "shop": (WEB, WEB_TWIN, EDGE, ORDERS, ORDERS_NOT_READY, ORDERS_CANARY, PAYMENTS),
}

INVENTORY = "inventory-w958w462bz7864bv.kuma-system"
INVENTORY_MZS = "inventory-multizone-b45769dxc2dv7vz4.kuma-system"

MESH_TIMEOUT_INBOUND: dict[str, Any] = {
    "connectionTimeout": "10s",
    "idleTimeout": "2h0m0s",
    "http": {"requestTimeout": "0s", "streamIdleTimeout": "1h0m0s", "maxStreamDuration": "0s"},
}
"""`mesh-timeout-all-shop`'s `from` conf: what every sidecar's inbound gets."""
WEB_INBOUND: dict[str, Any] = {
    **MESH_TIMEOUT_INBOUND,
    "http": {**MESH_TIMEOUT_INBOUND["http"], "requestTimeout": "1s"},
}
"""The same with `legacy-with-timeout`'s `from` merged on top (the `web` pods)."""
RETRY_BACKOFF = {"baseInterval": "25ms", "maxInterval": "250ms"}
GRPC_RETRY = {
    "numRetries": 3,
    "perTryTimeout": "16s",
    "backOff": RETRY_BACKOFF,
    "retryOn": ["Unavailable", "DeadlineExceeded"],
}


@cache
def _parsed() -> ParseResult:
    documents, problems = load_path(SAMPLE)
    assert problems == []
    return parse_documents(documents, ContextOptions(version=V2_10))


@cache
def _evaluation(mesh: str) -> MeshEvaluation:
    return MeshEvaluation(build_index(_parsed().resources, mesh, version=V2_10))


def _body(mesh: str, dataplane: str) -> dict[str, Any]:
    body = _evaluation(mesh).rules_body(dataplane)
    assert body is not None, f"no dataplane {dataplane} in mesh {mesh}"
    return body


def _block(mesh: str, dataplane: str, policy_type: str) -> dict[str, Any]:
    blocks = [b for b in _body(mesh, dataplane)["rules"] if b["type"] == policy_type]
    assert len(blocks) == 1, f"{policy_type} is not in the _rules of {dataplane}"
    block: dict[str, Any] = blocks[0]
    return block


def _name(meta: dict[str, Any]) -> str:
    name: str = meta["labels"].get("kuma.io/display-name") or meta["name"]
    return name


def _origins(origins: list[dict[str, Any]]) -> list[str]:
    return [f"{_name(o['resourceMeta'])}#{o['ruleIndex']}" for o in origins]


def _matchers(matchers: list[dict[str, Any]]) -> str:
    return ", ".join(f"{m['key']}{'!=' if m['not'] else '='}{m['value']}" for m in matchers)


def test_the_sample_loads_with_no_problem_at_all() -> None:
    documents, read_problems = load_path(SAMPLE)
    assert read_problems == []
    assert len(documents) == 53
    parsed = _parsed()
    assert parsed.problems == ()
    assert parsed.context_note == ""
    assert (parsed.control_plane.mode, parsed.control_plane.zone) == ("zone", "default")
    assert len(parsed.namespaces) == 7
    kinds = Counter(r.type for r in parsed.resources)
    assert (kinds["Mesh"], kinds["Dataplane"], kinds["MeshService"]) == (2, 11, 7)
    assert (kinds["MeshExternalService"], kinds["MeshMultiZoneService"]) == (1, 1)
    assert sum(kinds.values()) == 46
    for mesh, dataplanes in DATAPLANES.items():
        evaluation = _evaluation(mesh)
        assert sorted(evaluation.index.dataplanes) == sorted(dataplanes)
        for dataplane in dataplanes:
            rules = evaluation.rules(dataplane)
            assert rules is not None
            assert rules.warnings == (), dataplane
            assert all(t.ties == () for t in rules.types), dataplane
            assert all(b["warnings"] == [] for b in _body(mesh, dataplane)["rules"]), dataplane


def test_policy_roles_and_the_synced_copy_labels() -> None:
    roles = Counter(
        p.resource.role for mesh in DATAPLANES for p in _evaluation(mesh).index.all_policies()
    )
    assert roles == {"system": 11, "producer": 4, "consumer": 3, "workload-owner": 5}
    copy = _evaluation("shop").index.find_policy(
        "MeshTimeout", "inventory-timeout-66929w5b2bwc4zzx.kuma-system"
    )
    assert copy is not None
    labels = copy.resource.labels
    assert (labels["kuma.io/origin"], labels["kuma.io/zone"]) == ("global", "zone-west")
    assert (labels["kuma.io/policy-role"], labels["k8s.kuma.io/namespace"]) == (
        "producer",
        "shop-backend",
    )


@pytest.mark.parametrize(
    ("mesh", "dataplane", "types"),
    [
        ("default", FIRST_CONSUMER, ["MeshTimeout"]),
        ("default", DEMO_APP, ["MeshTimeout", "MeshTrafficPermission"]),
        (
            "shop",
            WEB,
            [
                "MeshHTTPRoute",
                "MeshTrace",
                "MeshRateLimit",
                "MeshTimeout",
                "MeshTrafficPermission",
                "MeshHealthCheck",
                "MeshCircuitBreaker",
                "MeshRetry",
                "MeshMetric",
            ],
        ),
        (
            "shop",
            EDGE,
            [
                "MeshHTTPRoute",
                "MeshTrace",
                "MeshTimeout",
                "MeshHealthCheck",
                "MeshCircuitBreaker",
                "MeshRetry",
                "MeshMetric",
            ],
        ),
        (
            "shop",
            ORDERS_NOT_READY,
            [
                "MeshHTTPRoute",
                "MeshTrace",
                "MeshTimeout",
                "MeshTrafficPermission",
                "MeshHealthCheck",
                "MeshCircuitBreaker",
                "MeshRetry",
                "MeshMetric",
            ],
        ),
    ],
)
def test_blocks_in_rules(mesh: str, dataplane: str, types: list[str]) -> None:
    assert [b["type"] for b in _body(mesh, dataplane)["rules"]] == types


@pytest.mark.parametrize(
    ("mesh", "dataplane", "policy_type", "order"),
    [
        ("default", FIRST_CONSUMER, "MeshTimeout", ["producer-timeout", "consumer-timeout"]),
        ("default", SECOND_CONSUMER, "MeshTimeout", ["producer-timeout"]),
        ("default", FIRST_CONSUMER, "MeshTrafficPermission", []),
        (
            "shop",
            WEB,
            "MeshTimeout",
            ["mesh-timeout-all-shop", "inventory-timeout", "orders-timeout", "legacy-with-timeout"],
        ),
        (
            "shop",
            EDGE,
            "MeshTimeout",
            ["mesh-gateways-timeout-all-shop", "inventory-timeout", "orders-timeout"],
        ),
        ("shop", EDGE, "MeshRetry", ["mesh-retry-all-shop", "retry-defaults", "web-retries"]),
        ("shop", EDGE, "MeshRateLimit", []),
        ("shop", EDGE, "MeshTrafficPermission", ["allow-all-shop"]),
        (
            "shop",
            ORDERS_NOT_READY,
            "MeshTimeout",
            ["mesh-timeout-all-shop", "inventory-timeout", "orders-timeout"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTimeout",
            [
                "mesh-timeout-all-shop",
                "inventory-timeout",
                "orders-timeout",
                "payments-provider-timeout",
                "payments-grpc-inbound",
            ],
        ),
        ("shop", PAYMENTS, "MeshMetric", ["shop-metrics", "payments-metrics"]),
    ],
)
def test_matched_policies_in_merge_order(
    mesh: str, dataplane: str, policy_type: str, order: list[str]
) -> None:
    rules = _evaluation(mesh).rules(dataplane)
    assert rules is not None
    typed = rules.of_type(policy_type)
    matched = [p.resource.display_name for p in typed.matched] if typed is not None else []
    assert matched == order


def _timeout(
    connect: str | None, idle: str, request: str | None, stream_idle: str
) -> dict[str, Any]:
    conf: dict[str, Any] = {}
    if connect is not None:
        conf["connectionTimeout"] = connect
    conf["idleTimeout"] = idle
    http: dict[str, Any] = {}
    if request is not None:
        http["requestTimeout"] = request
    http["streamIdleTimeout"] = stream_idle
    conf["http"] = http
    return conf


def _retry(http_retries: int, per_try: str) -> dict[str, Any]:
    return {
        "tcp": {"maxConnectAttempt": 5},
        "http": {
            "numRetries": http_retries,
            "perTryTimeout": per_try,
            "backOff": RETRY_BACKOFF,
            "retryOn": ["GatewayError", "Reset", "ConnectFailure"],
        },
        "grpc": GRPC_RETRY,
    }


RESOURCE_RULES: list[tuple[str, str, str, str, str, str, Any, list[str]]] = [
    # (mesh, dataplane, policy type, resource type, store name, section, conf, origins)
    (
        "default",
        FIRST_CONSUMER,
        "MeshTimeout",
        "MeshService",
        "demo-app.kuma-demo",
        "",
        {"http": {"requestTimeout": "3s"}},
        ["producer-timeout#0", "consumer-timeout#0"],
    ),
    (
        "default",
        SECOND_CONSUMER,
        "MeshTimeout",
        "MeshService",
        "demo-app.kuma-demo",
        "",
        {"http": {"requestTimeout": "1s"}},
        ["producer-timeout#0"],
    ),
    (
        "default",
        REDIS,
        "MeshTimeout",
        "MeshService",
        "demo-app.kuma-demo",
        "",
        {"http": {"requestTimeout": "1s"}},
        ["producer-timeout#0"],
    ),
    (
        "shop",
        WEB,
        "MeshTimeout",
        "MeshService",
        "orders.shop-backend",
        "http",
        _timeout("5s", "30m0s", "5s", "30m0s"),
        ["mesh-timeout-all-shop#0", "orders-timeout#0", "legacy-with-timeout#0"],
    ),
    (
        "shop",
        WEB,
        "MeshTimeout",
        "MeshService",
        "payments.shop-payments",
        "grpc",
        _timeout("5s", "1h0m0s", "2s", "30m0s"),
        ["mesh-timeout-all-shop#0", "legacy-with-timeout#1"],
    ),
    (
        "shop",
        WEB,
        "MeshTimeout",
        "MeshService",
        INVENTORY,
        "",
        _timeout("2s", "1h0m0s", "6s", "30m0s"),
        ["mesh-timeout-all-shop#0", "inventory-timeout#0"],
    ),
    (
        "shop",
        WEB,
        "MeshTimeout",
        "Mesh",
        "shop",
        "",
        _timeout("5s", "1h0m0s", "15s", "30m0s"),
        ["mesh-timeout-all-shop#0"],
    ),
    (
        "shop",
        WEB,
        "MeshRetry",
        "MeshService",
        "orders.shop-backend",
        "",
        _retry(2, "1s"),
        ["mesh-retry-all-shop#0", "retry-defaults#0", "web-retries#0"],
    ),
    (
        "shop",
        WEB,
        "MeshRetry",
        "MeshMultiZoneService",
        INVENTORY_MZS,
        "",
        _retry(4, "16s"),
        ["mesh-retry-all-shop#0", "retry-defaults#0", "web-retries#1"],
    ),
    (
        "shop",
        WEB_TWIN,
        "MeshHealthCheck",
        "MeshService",
        "orders.shop-backend",
        "http",
        {
            "interval": "5s",
            "timeout": "2s",
            "unhealthyThreshold": 3,
            "healthyThreshold": 1,
            "http": {"path": "/healthz", "expectedStatuses": [200]},
        },
        ["orders-health-check#0", "orders-health-check#1"],
    ),
    (
        "shop",
        EDGE,
        "MeshTimeout",
        "MeshService",
        "orders.shop-backend",
        "http",
        _timeout(None, "30m0s", "4s", "5s"),
        ["mesh-gateways-timeout-all-shop#0", "orders-timeout#0"],
    ),
    (
        "shop",
        EDGE,
        "MeshTimeout",
        "Mesh",
        "shop",
        "",
        _timeout(None, "1h0m0s", None, "5s"),
        ["mesh-gateways-timeout-all-shop#0"],
    ),
    (
        "shop",
        ORDERS_CANARY,
        "MeshTimeout",
        "MeshService",
        "orders.shop-backend",
        "http",
        _timeout("5s", "30m0s", "4s", "30m0s"),
        ["mesh-timeout-all-shop#0", "orders-timeout#0"],
    ),
    (
        "shop",
        PAYMENTS,
        "MeshTimeout",
        "MeshExternalService",
        "payment-provider.kuma-system",
        "",
        _timeout("3s", "1h0m0s", "8s", "30m0s"),
        ["mesh-timeout-all-shop#0", "payments-provider-timeout#0"],
    ),
    (
        "shop",
        ORDERS,
        "MeshRetry",
        "Mesh",
        "shop",
        "",
        _retry(3, "16s"),
        ["mesh-retry-all-shop#0", "retry-defaults#0"],
    ),
]


@pytest.mark.parametrize(
    ("mesh", "dataplane", "policy_type", "kind", "name", "section", "conf", "origins"),
    RESOURCE_RULES,
)
def test_resource_rules(
    mesh: str,
    dataplane: str,
    policy_type: str,
    kind: str,
    name: str,
    section: str,
    conf: Any,
    origins: list[str],
) -> None:
    found = [
        r
        for r in _block(mesh, dataplane, policy_type)["toResourceRules"]
        if (r["resourceMeta"]["type"], r["resourceMeta"]["name"], r["resourceSectionName"])
        == (kind, name, section)
    ]
    assert len(found) == 1
    assert found[0]["conf"] == [conf]
    assert _origins(found[0]["origin"]) == origins


def test_the_api_lists_resource_rules_by_store_name() -> None:
    names = [
        r["resourceMeta"]["name"]
        for r in _block("shop", PAYMENTS, "MeshTimeout")["toResourceRules"]
    ]
    assert names == [
        INVENTORY,
        "orders.shop-backend",
        "payment-provider.kuma-system",
        "shop",
    ]


@pytest.mark.parametrize(
    ("mesh", "dataplane", "policy_type", "port", "conf", "origins"),
    [
        (
            "shop",
            WEB,
            "MeshTimeout",
            8080,
            WEB_INBOUND,
            ["mesh-timeout-all-shop#0", "legacy-with-timeout#0"],
        ),
        (
            "shop",
            WEB_TWIN,
            "MeshRateLimit",
            8080,
            {
                "local": {
                    "http": {
                        "requestRate": {"num": 200, "interval": "1s"},
                        "onRateLimit": {
                            "status": 429,
                            "headers": {"set": [{"name": "x-shop-rate-limited", "value": "true"}]},
                        },
                    }
                }
            },
            ["web-rate-limit#0"],
        ),
        (
            "shop",
            ORDERS_NOT_READY,
            "MeshTimeout",
            8080,
            MESH_TIMEOUT_INBOUND,
            ["mesh-timeout-all-shop#0"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTimeout",
            9090,
            {
                "connectionTimeout": "10s",
                "idleTimeout": "15m0s",
                "http": {
                    "requestTimeout": "10s",
                    "streamIdleTimeout": "1h0m0s",
                    "maxStreamDuration": "30s",
                },
            },
            ["mesh-timeout-all-shop#0", "payments-grpc-inbound#0"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTimeout",
            8080,
            MESH_TIMEOUT_INBOUND,
            ["mesh-timeout-all-shop#0"],
        ),
    ],
)
def test_inbound_rules(
    mesh: str, dataplane: str, policy_type: str, port: int, conf: Any, origins: list[str]
) -> None:
    entries = [
        e
        for e in _block(mesh, dataplane, policy_type)["inboundRules"]
        if e["inbound"]["port"] == port
    ]
    assert len(entries) == 1
    assert [(r["conf"], _origins(r["origin"])) for r in entries[0]["rules"]] == [([conf], origins)]


ALLOW_ORDERS_ONLY = [
    ("app=orders, k8s.kuma.io/namespace=shop-backend", {"action": "Allow"}),
    ("app!=orders, k8s.kuma.io/namespace=shop-backend", {"action": "Deny"}),
    ("app=orders, k8s.kuma.io/namespace!=shop-backend", {"action": "Deny"}),
    ("app!=orders, k8s.kuma.io/namespace!=shop-backend", {"action": "Deny"}),
]


@pytest.mark.parametrize(
    ("mesh", "dataplane", "policy_type", "port", "rules", "origins"),
    [
        ("default", DEMO_APP, "MeshTrafficPermission", 5000, [("", {"action": "Allow"})], ["mtp"]),
        ("default", REDIS, "MeshTrafficPermission", 6379, [("", {"action": "Allow"})], ["mtp"]),
        (
            "shop",
            WEB,
            "MeshTimeout",
            8080,
            [("", WEB_INBOUND)],
            ["mesh-timeout-all-shop", "legacy-with-timeout"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTimeout",
            9090,
            [("", MESH_TIMEOUT_INBOUND)],
            ["mesh-timeout-all-shop"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTrafficPermission",
            9090,
            ALLOW_ORDERS_ONLY,
            ["allow-all-shop", "payments-allow-orders"],
        ),
        (
            "shop",
            PAYMENTS,
            "MeshTrafficPermission",
            8080,
            ALLOW_ORDERS_ONLY,
            ["allow-all-shop", "payments-allow-orders"],
        ),
    ],
)
def test_legacy_from_rules(
    mesh: str,
    dataplane: str,
    policy_type: str,
    port: int,
    rules: list[tuple[str, Any]],
    origins: list[str],
) -> None:
    entries = [
        e for e in _block(mesh, dataplane, policy_type)["fromRules"] if e["inbound"]["port"] == port
    ]
    assert len(entries) == 1
    got = entries[0]["rules"]
    assert [(_matchers(r["matchers"]), r["conf"]) for r in got] == rules
    assert all([_name(o) for o in r["origin"]] == origins for r in got)


def test_legacy_to_rules_only_in_the_mesh_that_is_not_exclusive() -> None:
    to_rules = _block("default", FIRST_CONSUMER, "MeshTimeout")["toRules"]
    assert [
        (_matchers(r["matchers"]), r["conf"], [_name(o) for o in r["origin"]]) for r in to_rules
    ] == [
        ("kuma.io/service=demo-app", {"http": {"requestTimeout": "1s"}}, ["producer-timeout"]),
        ("kuma.io/service=", {"http": {"requestTimeout": "3s"}}, ["consumer-timeout"]),
    ]
    for dataplane in DATAPLANES["shop"]:
        assert all(b["toRules"] == [] for b in _body("shop", dataplane)["rules"]), dataplane


def test_proxy_rules_of_single_item_policies() -> None:
    metric = _block("shop", PAYMENTS, "MeshMetric")["proxyRule"]
    assert metric["conf"] == {
        "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}, {"name": "All"}]}},
        "applications": [{"path": "/internal/metrics", "port": 8080}],
        "backends": [{"type": "Prometheus", "prometheus": {"port": 5670, "path": "/metrics"}}],
    }
    assert [_name(o) for o in metric["origin"]] == ["shop-metrics", "payments-metrics"]
    trace = _block("shop", EDGE, "MeshTrace")["proxyRule"]
    assert trace["conf"]["sampling"] == {"overall": 10}
    assert [_name(o) for o in trace["origin"]] == ["shop-tracing"]


def test_route_rules_keep_their_authored_order() -> None:
    (rule,) = _block("shop", ORDERS, "MeshHTTPRoute")["toResourceRules"]
    assert (rule["resourceMeta"]["name"], rule["resourceSectionName"]) == (
        "orders.shop-backend",
        "",
    )
    (conf,) = rule["conf"]
    assert [
        [(b["name"], b["port"], b["weight"]) for b in r["default"]["backendRefs"]]
        for r in conf["rules"]
    ] == [[("orders-canary", 8080, 1)], [("orders", 8080, 90), ("orders-canary", 8080, 10)]]
    assert len(_body("shop", ORDERS)["httpMatches"]) == 2


def test_identical_pods_give_identical_rules() -> None:
    web, twin = _body("shop", WEB), _body("shop", WEB_TWIN)
    assert web["resource"]["name"] != twin["resource"]["name"]
    assert web["rules"] == twin["rules"]


@pytest.mark.parametrize(
    ("mesh", "policy_type", "policy", "affected"),
    [
        ("default", "MeshTimeout", "producer-timeout.kuma-demo", sorted(DATAPLANES["default"])),
        ("default", "MeshTimeout", "consumer-timeout.first-consumer", [FIRST_CONSUMER]),
        ("default", "MeshTrafficPermission", "mtp.kuma-demo", [DEMO_APP, REDIS]),
        (
            "shop",
            "MeshTimeout",
            "inventory-timeout-66929w5b2bwc4zzx.kuma-system",
            sorted(DATAPLANES["shop"]),
        ),
        (
            "shop",
            "MeshTimeout",
            "mesh-gateways-timeout-all-shop-42f28d88df692w25.kuma-system",
            [EDGE],
        ),
        ("shop", "MeshTimeout", "legacy-with-timeout.kuma-system", [WEB, WEB_TWIN]),
        ("shop", "MeshRateLimit", "web-rate-limit.shop-frontend", [WEB, WEB_TWIN]),
        ("shop", "MeshRetry", "web-retries.shop-frontend", [EDGE, WEB, WEB_TWIN]),
    ],
)
def test_affected_dataplanes(mesh: str, policy_type: str, policy: str, affected: list[str]) -> None:
    evaluation = _evaluation(mesh)
    found = evaluation.index.find_policy(policy_type, policy)
    assert found is not None
    assert list(evaluation.affected(found)) == affected
