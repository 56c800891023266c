"""`merge_confs`: Kuma's `merge.Confs` (spec `kuma-rules.md` §3, TV-6/7/8/9).

Every expected value is worked out by hand from the spec: RFC 7396 over the *typed*
JSON of each conf, the three `Append*` fields, `mergeValuesByKey` for MeshHTTPRoute
rules (with the `GetDefault` reversal and the final `Transform` reversal) and
`mergeValues` hostname groups. Confs are given as `GetDefault()` returns them, i.e.
MeshHTTPRoute confs carry their `rules` already reversed.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.merging import merge_confs
from meshtui.kinds.schemas import POLICY_CONFS

Conf = dict[str, Any]


def merged(kind: str, *confs: Any) -> list[Any]:
    return merge_confs(list(confs), POLICY_CONFS[kind])


# ---------------------------------------------------------------------------------------
# §3.1 RFC 7396 over typed JSON


RFC7396_CASES = [
    pytest.param(
        "MeshTimeout",
        [{"idleTimeout": "10s"}, {"idleTimeout": "20s"}],
        {"idleTimeout": "20s"},
        id="later-scalar-wins",
    ),
    pytest.param(
        "MeshTimeout",
        [{"idleTimeout": "10s"}, {"connectionTimeout": "5s"}],
        {"connectionTimeout": "5s", "idleTimeout": "10s"},
        id="disjoint-fields-union",
    ),
    pytest.param(
        "MeshTimeout",
        [
            {"http": {"requestTimeout": "1s", "streamIdleTimeout": "2s"}},
            {"http": {"requestTimeout": "3s"}},
        ],
        {"http": {"requestTimeout": "3s", "streamIdleTimeout": "2s"}},
        id="objects-merge-key-by-key",
    ),
    pytest.param(
        "MeshTimeout",
        [{"idleTimeout": "10s"}, {"idleTimeout": None}],
        {"idleTimeout": "10s"},
        id="null-on-omitempty-pointer-is-absent-not-a-delete",
    ),
    pytest.param(
        "MeshTimeout",
        [{"http": {"requestTimeout": "1s"}}, {}, {"http": {}}],
        {"http": {"requestTimeout": "1s"}},
        id="empty-confs-change-nothing",
    ),
    pytest.param(
        "MeshTimeout",
        [{"idleTimeout": "1s", "unknownField": "x"}],
        {"idleTimeout": "1s"},
        id="unknown-keys-vanish",
    ),
    pytest.param(
        "MeshRetry",
        [
            {"http": {"numRetries": 3, "retryOn": ["5xx", "gateway-error"]}},
            {"http": {"retryOn": ["reset"]}},
        ],
        {"http": {"numRetries": 3, "retryOn": ["reset"]}},
        id="lists-are-replaced-not-unioned",
    ),
    pytest.param(
        "MeshLoadBalancingStrategy",
        [
            {"loadBalancer": {"type": "RingHash", "ringHash": {"minRingSize": 100}}},
            {"loadBalancer": {"type": "RoundRobin"}},
        ],
        {"loadBalancer": {"type": "RoundRobin", "ringHash": {"minRingSize": 100}}},
        id="sibling-object-survives-type-switch",
    ),
    pytest.param(
        "MeshTrafficPermission",
        [{"action": "Allow"}, {"action": "Deny"}, {"action": "AllowWithShadowDeny"}],
        {"action": "AllowWithShadowDeny"},
        id="mtp-action-replaced-like-a-scalar",
    ),
]


@pytest.mark.parametrize(("kind", "confs", "expected"), RFC7396_CASES)
def test_rfc7396_over_typed_json(kind: str, confs: list[Conf], expected: Conf) -> None:
    assert merged(kind, *confs) == [expected]


def test_no_confs_give_an_empty_list() -> None:
    # §3.6
    assert merged("MeshTimeout") == []


def test_merge_does_not_mutate_its_inputs() -> None:
    first: Conf = {"http": {"requestTimeout": "1s"}}
    second: Conf = {"http": {"streamIdleTimeout": "2s"}}
    merged("MeshTimeout", first, second)
    assert first == {"http": {"requestTimeout": "1s"}}
    assert second == {"http": {"streamIdleTimeout": "2s"}}


# Non-omitempty fields: materialised before merging (spec §3.1 "Consequences").

TCP_BACKEND_A = {"kind": "MeshService", "name": "a", "weight": 1}


def test_non_omitempty_nil_slice_erases_the_earlier_value() -> None:
    # MeshTCPRoute `RuleConf.backendRefs` is a plain slice without omitempty: a conf
    # that lacks it serialises `"backendRefs": null`, which deletes the earlier list.
    assert merged(
        "MeshTCPRoute",
        {"default": {"backendRefs": [TCP_BACKEND_A]}},
        {"default": {}},
    ) == [{"default": {"backendRefs": None}}]


def test_non_omitempty_nil_slice_renders_null_even_unmerged() -> None:
    assert merged("MeshTCPRoute", {"default": {}}) == [{"default": {"backendRefs": None}}]


def test_non_omitempty_scalars_in_list_items_render_explicitly() -> None:
    # TV-9: zipkin `traceId128bit` / `sharedSpanContext` are plain bools.
    zipkin = {"url": "http://zipkin:9411/api/v2/spans", "apiVersion": "httpJson"}
    assert merged("MeshTrace", {"backends": [{"type": "Zipkin", "zipkin": zipkin}]}) == [
        {
            "backends": [
                {
                    "type": "Zipkin",
                    "zipkin": {**zipkin, "traceId128bit": False, "sharedSpanContext": False},
                }
            ]
        }
    ]


def test_replaced_list_keeps_nothing_of_the_earlier_items() -> None:
    zipkin = {
        "url": "http://a",
        "traceId128bit": True,
        "apiVersion": "httpProto",
        "sharedSpanContext": True,
    }
    datadog = {"url": "http://b:8126", "splitService": True}
    assert merged(
        "MeshTrace",
        {"backends": [{"type": "Zipkin", "zipkin": zipkin}], "sampling": {"overall": 10}},
        {"backends": [{"type": "Datadog", "datadog": datadog}]},
    ) == [{"backends": [{"type": "Datadog", "datadog": datadog}], "sampling": {"overall": 10}}]


# ---------------------------------------------------------------------------------------
# Durations print in Go form (§3.1), merged or not.


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("111s", "1m51s"),
        ("60s", "1m0s"),
        ("3600s", "1h0m0s"),
        ("0.5s", "500ms"),
        ("1500ms", "1.5s"),
        ("90m", "1h30m0s"),
        ("1.5h", "1h30m0s"),
        ("2h45m", "2h45m0s"),
        ("1h", "1h0m0s"),
        ("100ms", "100ms"),
        ("1m30s", "1m30s"),
        ("5s", "5s"),
        ("0s", "0s"),
        ("1000ns", "1\u00b5s"),
    ],
)
def test_durations_are_canonicalised(written: str, printed: str) -> None:
    assert merged("MeshTimeout", {"connectionTimeout": written}) == [{"connectionTimeout": printed}]


def test_durations_canonicalised_in_every_merged_conf() -> None:
    assert merged(
        "MeshTimeout",
        {"idleTimeout": "60s", "http": {"requestTimeout": "3600s"}},
        {"connectionTimeout": "0.5s"},
    ) == [
        {"connectionTimeout": "500ms", "idleTimeout": "1m0s", "http": {"requestTimeout": "1h0m0s"}}
    ]


# ---------------------------------------------------------------------------------------
# §3.2 the three Append fields (TV-8)

MOD_1 = {"cluster": {"operation": "Add", "value": "name: extra-1"}}
MOD_2 = {"listener": {"operation": "Remove", "match": {"name": "inbound:10.0.0.1:8080"}}}
MOD_3 = {"cluster": {"operation": "Add", "value": "name: extra-3"}}


@pytest.mark.parametrize(
    ("confs", "expected"),
    [
        pytest.param(
            [{"appendModifications": [MOD_1]}, {"appendModifications": [MOD_2]}],
            {"appendModifications": [MOD_1, MOD_2]},
            id="two-confs-concatenate",
        ),
        pytest.param(
            [{"appendModifications": [MOD_1, MOD_2]}, {}, {"appendModifications": [MOD_3]}],
            {"appendModifications": [MOD_1, MOD_2, MOD_3]},
            id="absent-contributes-nothing",
        ),
        pytest.param(
            [{"appendModifications": [MOD_2]}],
            {"appendModifications": [MOD_2]},
            id="single-conf",
        ),
    ],
)
def test_mesh_proxy_patch_appends(confs: list[Conf], expected: Conf) -> None:
    assert merged("MeshProxyPatch", *confs) == [expected]


PROMETHEUS = {"type": "Prometheus", "prometheus": {"port": 5670, "path": "/metrics"}}
OTEL = {"type": "OpenTelemetry", "openTelemetry": {"endpoint": "otel-collector:4317"}}


def test_mesh_metric_profiles_append_backends_replace() -> None:
    assert merged(
        "MeshMetric",
        {
            "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}]}},
            "backends": [PROMETHEUS],
        },
        {"sidecar": {"profiles": {"appendProfiles": [{"name": "All"}]}}, "backends": [OTEL]},
    ) == [
        {
            "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}, {"name": "All"}]}},
            "backends": [OTEL],
        }
    ]


def test_mesh_metric_conf_without_parent_object_contributes_nothing() -> None:
    assert merged(
        "MeshMetric",
        {"sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}]}}},
        {"backends": [OTEL]},
        {"sidecar": {"profiles": {"exclude": [{"type": "Prefix", "match": "envoy_"}]}}},
        {"sidecar": {"profiles": {"appendProfiles": [{"name": "None"}]}}},
    ) == [
        {
            "sidecar": {
                "profiles": {
                    "appendProfiles": [{"name": "Basic"}, {"name": "None"}],
                    "exclude": [{"type": "Prefix", "match": "envoy_"}],
                }
            },
            "backends": [OTEL],
        }
    ]


def test_append_field_with_no_items_serialises_as_null() -> None:
    # §3.2 edge: the pointer is kept (some conf had the field) but nothing was appended.
    assert merged(
        "MeshMetric",
        {"sidecar": {"profiles": {"appendProfiles": []}}},
        {"sidecar": {"profiles": {"appendProfiles": []}}},
    ) == [{"sidecar": {"profiles": {"appendProfiles": None}}}]


def test_mesh_passthrough_append_match() -> None:
    first = {"type": "Domain", "value": "api.example.com", "port": 443, "protocol": "tls"}
    second = {"type": "CIDR", "value": "10.0.0.0/8", "protocol": "tcp"}
    assert merged(
        "MeshPassthrough",
        {"passthroughMode": "Matched", "appendMatch": [first]},
        {"appendMatch": [second]},
    ) == [{"passthroughMode": "Matched", "appendMatch": [first, second]}]


# ---------------------------------------------------------------------------------------
# §3.3 mergeValuesByKey (MeshHTTPRoute rules) and §3.4 mergeValues (hostnames)


def prefix(path: str) -> list[Conf]:
    return [{"path": {"type": "PathPrefix", "value": path}}]


def backends(*names: str) -> Conf:
    return {"backendRefs": [{"kind": "MeshService", "name": n, "weight": 1} for n in names]}


def rule(matches: Any, default: Conf) -> Conf:
    return {"matches": matches, "default": default}


def route_conf(*authored: Conf, hostnames: list[str] | None = None) -> Conf:
    """What `GetDefault()` of a MeshHTTPRoute `to[]` item returns: rules reversed."""
    conf: Conf = {"rules": list(reversed(authored))}
    if hostnames is not None:
        conf["hostnames"] = hostnames
    return conf


HEADER_FILTER = {
    "type": "RequestHeaderModifier",
    "requestHeaderModifier": {"set": [{"name": "x-from", "value": "a"}]},
}


def test_tv7_same_matches_in_two_routes() -> None:
    m1, m2, m3 = prefix("/one"), prefix("/two"), prefix("/three")
    x = {**backends("x"), "filters": [HEADER_FILTER]}
    a = route_conf(rule(m1, x), rule(m2, backends("y")))  # lower priority
    b = route_conf(rule(m3, backends("z")), rule(m1, backends("w")))  # higher priority
    assert merged("MeshHTTPRoute", a, b) == [
        {
            "rules": [
                rule(m3, backends("z")),
                # x merged with w: w's backendRefs replace x's, x's filters stay
                rule(
                    m1,
                    {"filters": [HEADER_FILTER], "backendRefs": [backends("w")["backendRefs"][0]]},
                ),
                rule(m2, backends("y")),
            ]
        }
    ]


def test_highest_priority_rules_first_in_authored_order() -> None:
    low = route_conf(rule(prefix("/a"), backends("a")), rule(prefix("/b"), backends("b")))
    high = route_conf(rule(prefix("/c"), backends("c")), rule(prefix("/d"), backends("d")))
    assert merged("MeshHTTPRoute", low, high) == [
        {
            "rules": [
                rule(prefix("/c"), backends("c")),
                rule(prefix("/d"), backends("d")),
                rule(prefix("/a"), backends("a")),
                rule(prefix("/b"), backends("b")),
            ]
        }
    ]


def test_duplicate_matches_inside_one_conf_merge() -> None:
    first = {**backends("first"), "filters": [HEADER_FILTER]}
    conf = route_conf(rule(prefix("/x"), first), rule(prefix("/x"), backends("second")))
    # reversed: [second, first] → merged second then first → first's lists win
    assert merged("MeshHTTPRoute", conf) == [{"rules": [rule(prefix("/x"), first)]}]


def test_duplicate_matches_merged_rule_sits_at_highest_priority_position() -> None:
    low = route_conf(rule(prefix("/shared"), backends("old")), rule(prefix("/low"), backends("l")))
    high = route_conf(
        rule(prefix("/high"), backends("h")), rule(prefix("/shared"), backends("new"))
    )
    assert merged("MeshHTTPRoute", low, high) == [
        {
            "rules": [
                rule(prefix("/high"), backends("h")),
                rule(prefix("/shared"), backends("new")),
                rule(prefix("/low"), backends("l")),
            ]
        }
    ]


def test_matches_equality_is_order_sensitive() -> None:
    get: Conf = {"method": "GET"}
    path: Conf = {"path": {"type": "Exact", "value": "/"}}
    low = route_conf(rule([path, get], backends("a")))
    high = route_conf(rule([get, path], backends("b")))
    assert merged("MeshHTTPRoute", low, high) == [
        {"rules": [rule([get, path], backends("b")), rule([path, get], backends("a"))]}
    ]


def test_equal_matches_compare_deeply() -> None:
    header_a: Conf = {"headers": [{"type": "Exact", "name": "x-v", "value": "1"}]}
    header_b: Conf = {"headers": [{"type": "Exact", "name": "x-v", "value": "1"}]}
    low = route_conf(rule([header_a], {**backends("a"), "filters": [HEADER_FILTER]}))
    high = route_conf(rule([header_b], backends("b")))
    assert merged("MeshHTTPRoute", low, high) == [
        {"rules": [rule([header_a], {**backends("b"), "filters": [HEADER_FILTER]})]}
    ]


def test_empty_matches_differs_from_absent_matches() -> None:
    low: Conf = {"rules": [{"default": backends("absent")}]}
    high: Conf = {"rules": [{"matches": [], "default": backends("empty")}]}
    # `matches` is not omitempty: absent renders as null.
    assert merged("MeshHTTPRoute", low, high) == [
        {"rules": [rule([], backends("empty")), rule(None, backends("absent"))]}
    ]


def bar() -> Conf:
    return rule(prefix("/bar"), backends("bar"))


def baz() -> Conf:
    return rule(prefix("/baz"), backends("baz"))


def bazz() -> Conf:
    return rule(prefix("/bazz"), backends("bazz"))


def test_tv6_hostname_groups() -> None:
    r1 = route_conf(bar())
    r3 = route_conf(bazz(), hostnames=["foo.com"])
    r2 = route_conf(baz())
    assert merged("MeshHTTPRoute", r1, r3, r2) == [
        {"rules": [baz(), bar()]},
        {"hostnames": ["foo.com"], "rules": [bazz()]},
    ]


def test_conf_with_two_hostnames_is_copied_into_both_groups() -> None:
    ab = rule(prefix("/ab"), backends("ab"))
    only_b = rule(prefix("/b"), backends("b"))
    anywhere = rule(prefix("/any"), backends("any"))
    assert merged(
        "MeshHTTPRoute",
        route_conf(ab, hostnames=["a.com", "b.com"]),
        route_conf(only_b, hostnames=["b.com"]),
        route_conf(anywhere),
    ) == [
        {"hostnames": ["a.com"], "rules": [ab]},
        {"hostnames": ["b.com"], "rules": [only_b, ab]},
        {"rules": [anywhere]},
    ]


def test_empty_hostnames_go_to_the_unnamed_group() -> None:
    one = rule(prefix("/1"), backends("one"))
    two = rule(prefix("/2"), backends("two"))
    assert merged("MeshHTTPRoute", route_conf(one, hostnames=[]), route_conf(two)) == [
        {"rules": [two, one]}
    ]


def test_tcp_route_rule_replaced_wholesale() -> None:
    first = {"default": {"backendRefs": [TCP_BACKEND_A]}}
    second = {"default": {"backendRefs": [{"kind": "MeshService", "name": "b", "weight": 3}]}}
    assert merged("MeshTCPRoute", first, second) == [second]
