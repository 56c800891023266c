"""Audit of conf merging and the Go types of every policy conf (Kuma 2.10.11).

Spec `kuma-rules.md` §3 (typed RFC 7396 merge, `Append*` fields, `mergeValuesByKey`,
`mergeValues`, schema defaulting §3.7) and TV-6..TV-9. Every expected value below was
worked out by hand from the spec and from the Go `Conf` structs of
`pkg/plugins/policies/<kind>/api/v1alpha1` (JSON name, `omitempty` or not, pointer or
value, scalar type, `+kubebuilder:default`). Each kind has at least one case that breaks
if a non-`omitempty` field, a schema default or a duration rendering were modelled wrong.

Two paths are used:

- `loaded(...)`: policies go through `meshtui`'s real loader, so CRD defaults are applied
  as Kuma applies them at load (§3.7); the confs are then taken from the stored spec the
  way `GetDefault` takes them (§3.5) and merged.
- `merged(...)`: raw confs straight into `merge_confs`, for the typed-JSON rules of §3.1
  without defaulting (e.g. TV-9's explicit `false`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from meshtui.engine.merging import merge_confs
from meshtui.kinds.gojson import canon
from meshtui.kinds.gotypes import Field, List, Map, Ptr, Struct
from meshtui.kinds.schemas import POLICY_CONFS
from meshtui.kinds.schemas.common import BACKEND_REF
from tests.engine import matching_support as kuma

Conf = dict[str, Any]

MESH_REF: Conf = {"kind": "Mesh"}
BACKEND: Conf = {"kind": "MeshService", "name": "backend"}


def merged(kind: str, *confs: Any) -> list[Any]:
    """`merge.Confs` over raw confs (no schema defaulting), low → high priority."""
    return merge_confs([copy.deepcopy(c) for c in confs], POLICY_CONFS[kind])


def loaded_specs(kind: str, *specs: Mapping[str, Any]) -> list[Conf]:
    """Load one Universal policy per spec (named p1, p2, ...) and return the stored specs."""
    docs = [
        kuma.universal_policy(kind, f"p{i}", {"targetRef": MESH_REF, **spec})
        for i, spec in enumerate(specs, start=1)
    ]
    result = kuma.load(kuma.yaml_text(*docs))
    assert not kuma.errors(result), kuma.errors(result)
    return [dict(kuma.resource(result, kind, f"p{i}").spec) for i in range(1, len(specs) + 1)]


def item_confs(kind: str, section: str, *defaults: Mapping[str, Any]) -> list[Conf]:
    """Load policies with one `section` item each (`to`, `from` or `rules`); their confs."""
    specs = []
    for conf in defaults:
        item: Conf = {"default": dict(conf)}
        if section != "rules":
            item["targetRef"] = MESH_REF if section == "from" else BACKEND
        specs.append({section: [item]})
    return [spec[section][0]["default"] for spec in loaded_specs(kind, *specs)]


def single_confs(kind: str, *defaults: Mapping[str, Any]) -> list[Conf]:
    """Load single-item policies (top-level `default`); their confs."""
    return [spec["default"] for spec in loaded_specs(kind, *({"default": d} for d in defaults))]


def loaded(kind: str, section: str, *defaults: Mapping[str, Any]) -> list[Any]:
    """Load policies (defaults applied) and merge their confs in the given order."""
    if section == "default":
        confs = single_confs(kind, *defaults)
    else:
        confs = item_confs(kind, section, *defaults)
    return merge_confs(confs, POLICY_CONFS[kind])


# ---------------------------------------------------------------------------------------
# MeshAccessLog: `backends` is `*[]Backend,omitempty` (replaced); Format.omitEmptyValues
# is `*bool` with `+kubebuilder:default=false`; TCPBackend.address / FileBackend.path /
# Format.type are plain non-omitempty strings.


def test_mesh_access_log_backends_replace_and_format_default() -> None:
    file_backend = {
        "type": "File",
        "file": {"path": "/tmp/a.log", "format": {"type": "Plain", "plain": "%START_TIME%"}},
    }
    tcp_backend = {"type": "Tcp", "tcp": {"address": "10.0.0.1:5000"}}
    assert loaded("MeshAccessLog", "from", {"backends": [file_backend]}) == [
        {
            "backends": [
                {
                    "type": "File",
                    "file": {
                        "format": {
                            "type": "Plain",
                            "plain": "%START_TIME%",
                            "omitEmptyValues": False,  # schema default, a non-nil *bool
                        },
                        "path": "/tmp/a.log",
                    },
                }
            ]
        }
    ]
    # §3.1: lists are replaced wholesale; an empty conf (nil pointer) erases nothing.
    assert loaded("MeshAccessLog", "to", {"backends": [file_backend]}, {"backends": [tcp_backend]})[
        0
    ] == {"backends": [tcp_backend]}
    assert loaded("MeshAccessLog", "rules", {"backends": [tcp_backend]}, {}) == [
        {"backends": [tcp_backend]}
    ]


def test_mesh_access_log_plain_strings_render_when_empty() -> None:
    # Format.type, TCPBackend.address and FileBackend.path have no omitempty.
    assert merged(
        "MeshAccessLog", {"backends": [{"type": "Tcp", "tcp": {"format": {}}}, {"file": {}}]}
    ) == [
        {
            "backends": [
                {"type": "Tcp", "tcp": {"format": {"type": ""}, "address": ""}},
                {"type": "", "file": {"path": ""}},
            ]
        }
    ]


# ---------------------------------------------------------------------------------------
# MeshCircuitBreaker: every field is an omitempty pointer (*uint32, *bool, *Duration,
# *IntOrString), so explicit zero values are kept and override earlier ones.


def test_mesh_circuit_breaker_pointer_zeros_and_durations() -> None:
    first = {
        "connectionLimits": {"maxConnections": 10, "maxRequests": 5},
        "outlierDetection": {
            "disabled": True,
            "interval": "90s",
            "detectors": {"totalFailures": {"consecutive": 3}},
        },
    }
    second = {
        "connectionLimits": {"maxConnections": 0},
        "outlierDetection": {
            "disabled": False,
            "baseEjectionTime": "0.5s",
            "healthyPanicThreshold": "12.5",
            "detectors": {"gatewayFailures": {"consecutive": 0}},
        },
    }
    expected = {
        "connectionLimits": {"maxConnections": 0, "maxRequests": 5},
        "outlierDetection": {
            "disabled": False,
            "interval": "1m30s",
            "baseEjectionTime": "500ms",
            "detectors": {
                "totalFailures": {"consecutive": 3},
                "gatewayFailures": {"consecutive": 0},
            },
            "healthyPanicThreshold": "12.5",
        },
    }
    for section in ("to", "from", "rules"):
        assert loaded("MeshCircuitBreaker", section, first, second) == [expected], section


# ---------------------------------------------------------------------------------------
# MeshFaultInjection: `http` is `*[]FaultInjectionConf` (replaced); AbortConf.httpStatus
# (int32), *.percentage (IntOrString) and DelayConf.value (Duration) are non-omitempty
# values, so a missing one renders as 0 / "0s".


def test_mesh_fault_injection_non_omitempty_values() -> None:
    assert merged(
        "MeshFaultInjection",
        {"http": [{"abort": {}}, {"delay": {}}, {"responseBandwidth": {}}]},
    ) == [
        {
            "http": [
                {"abort": {"httpStatus": 0, "percentage": 0}},
                {"delay": {"value": "0s", "percentage": 0}},
                {"responseBandwidth": {"limit": "", "percentage": 0}},
            ]
        }
    ]


def test_mesh_fault_injection_list_replaced_and_values_typed() -> None:
    first = {
        "http": [
            {"abort": {"httpStatus": 503, "percentage": 0}},
            {"delay": {"value": "1500ms", "percentage": "12.5"}},
        ]
    }
    second = {"http": [{"responseBandwidth": {"limit": "10kbps", "percentage": 50.0}}]}
    assert loaded("MeshFaultInjection", "from", first) == [
        {
            "http": [
                {"abort": {"httpStatus": 503, "percentage": 0}},
                {"delay": {"value": "1.5s", "percentage": "12.5"}},
            ]
        }
    ]
    # YAML 50.0 reaches Go as the JSON number 50, which IntOrString reads as an int.
    assert loaded("MeshFaultInjection", "to", first, second) == [
        {"http": [{"responseBandwidth": {"limit": "10kbps", "percentage": 50}}]}
    ]
    out = loaded("MeshFaultInjection", "to", second)[0]
    assert isinstance(out["http"][0]["responseBandwidth"]["percentage"], int)


# ---------------------------------------------------------------------------------------
# MeshHealthCheck: the CRD has no defaults (kuma.io_meshhealthchecks.yaml at every
# supported tag): the documented interval=1m, timeout=15s, thresholds 5/1 and
# http.path="/" are the Envoy configurer's fallbacks, so an earlier policy's values survive
# a later policy that leaves them out.


def test_mesh_health_check_values_survive_a_later_policy_without_them() -> None:
    first = {"interval": "10s", "healthyThreshold": 3, "tcp": {"send": "cGluZw==", "receive": []}}
    second = {"timeout": "2s", "http": {"expectedStatuses": [200]}}
    assert loaded("MeshHealthCheck", "to", first) == [
        {
            "interval": "10s",
            "healthyThreshold": 3,
            "tcp": {"send": "cGluZw==", "receive": []},  # *[]string: [] is not nil
        }
    ]
    assert loaded("MeshHealthCheck", "to", first, second) == [
        {
            "interval": "10s",
            "timeout": "2s",
            "healthyThreshold": 3,
            "tcp": {"send": "cGluZw==", "receive": []},
            "http": {"expectedStatuses": [200]},
        }
    ]


def test_mesh_health_check_rules_body_adds_no_defaults() -> None:
    docs = [
        kuma.mesh_doc(),
        kuma.web_1(),
        kuma.universal_policy(
            "MeshHealthCheck",
            "hc",
            {"targetRef": MESH_REF, "to": [kuma.to_(MESH_REF, {"grpc": {"serviceName": "x"}})]},
        ),
    ]
    body = kuma.body(docs)
    (block,) = [b for b in body["rules"] if b["type"] == "MeshHealthCheck"]
    assert [r["conf"] for r in block["toResourceRules"]] == [[{"grpc": {"serviceName": "x"}}]]


# ---------------------------------------------------------------------------------------
# MeshHTTPRoute: conf = {rules: reversed(to.rules), hostnames} (§3.5); rules merge by
# deep-equal `matches` (§3.3); hostnames split into groups (§3.4). Rule.matches and
# Rule.default are non-omitempty; BackendRef.weight defaults to 1, HeaderMatch.type to
# Exact and RequestRedirect.statusCode to 302 at load.


def route_confs(*tos: Mapping[str, Any]) -> list[Conf]:
    """Load one MeshHTTPRoute per `to` item; return the `GetDefault` confs."""
    specs = loaded_specs("MeshHTTPRoute", *({"to": [dict(to)]} for to in tos))
    out = []
    for spec in specs:
        to = spec["to"][0]
        conf: Conf = {"rules": list(reversed(to.get("rules") or []))}
        if to.get("hostnames") is not None:
            conf["hostnames"] = to["hostnames"]
        out.append(conf)
    return out


API_MATCH_RAW = [{"path": {"type": "PathPrefix", "value": "/api"}, "headers": [{"name": "x-v"}]}]
API_MATCH = [
    {
        "path": {"value": "/api", "type": "PathPrefix"},
        "headers": [{"type": "Exact", "name": "x-v"}],
    }
]
ROOT_MATCH = [{"path": {"value": "/", "type": "PathPrefix"}}]


def test_mesh_http_route_merge_by_matches_with_load_defaults() -> None:
    p1 = {
        "targetRef": BACKEND,
        "rules": [
            {
                "matches": API_MATCH_RAW,
                "default": {"backendRefs": [{"kind": "MeshService", "name": "backend-v1"}]},
            },
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "default": {
                    "filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]
                },
            },
        ],
    }
    p2 = {
        "targetRef": BACKEND,
        "rules": [
            {
                # equal to p1's first rule only once defaults are applied
                "matches": [
                    {
                        "path": {"type": "PathPrefix", "value": "/api"},
                        "headers": [{"type": "Exact", "name": "x-v"}],
                    }
                ],
                "default": {
                    "backendRefs": [{"kind": "MeshService", "name": "backend-v2", "weight": 5}]
                },
            }
        ],
    }
    confs = route_confs(p1, p2)
    assert merge_confs(confs, POLICY_CONFS["MeshHTTPRoute"]) == [
        {
            "rules": [
                {
                    "matches": API_MATCH,
                    "default": {
                        # RFC 7396 over {filters, backendRefs}: p2's list replaces p1's
                        "backendRefs": [{"kind": "MeshService", "name": "backend-v2", "weight": 5}]
                    },
                },
                {
                    "matches": ROOT_MATCH,
                    "default": {
                        "filters": [
                            {
                                "type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 302},
                            }
                        ]
                    },
                },
            ]
        }
    ]
    # One route alone: authored order restored, weight defaulted to 1.
    assert merge_confs(confs[:1], POLICY_CONFS["MeshHTTPRoute"])[0]["rules"][0] == {
        "matches": API_MATCH,
        "default": {"backendRefs": [{"kind": "MeshService", "name": "backend-v1", "weight": 1}]},
    }


def test_mesh_http_route_matches_empty_list_is_not_absent() -> None:
    # Rule.matches has no omitempty: absent renders null, and [] ≠ null for mergeKey.
    out = merged(
        "MeshHTTPRoute",
        {"rules": [{"default": {"backendRefs": [BACKEND]}}]},
        {"rules": [{"matches": [], "default": {"filters": []}}]},
    )
    assert out == [
        {
            "rules": [
                # Transform reverses the groups: the last conf's rule comes first
                {"matches": [], "default": {"filters": []}},
                {"matches": None, "default": {"backendRefs": [BACKEND]}},
            ]
        }
    ]


def test_mesh_http_route_hostname_groups() -> None:
    a = {"hostnames": ["a.com", "b.com"], "rules": [{"matches": ROOT_MATCH, "default": {}}]}
    b = {"rules": [{"matches": API_MATCH, "default": {}}]}
    c = {"hostnames": [], "rules": [{"matches": ROOT_MATCH, "default": {}}]}
    assert merged("MeshHTTPRoute", a, b, c) == [
        {"rules": [{"matches": ROOT_MATCH, "default": {}}], "hostnames": ["a.com"]},
        {"rules": [{"matches": ROOT_MATCH, "default": {}}], "hostnames": ["b.com"]},
        # group "": b then c, c's rule first; hostnames [] is omitted (omitempty)
        {
            "rules": [
                {"matches": ROOT_MATCH, "default": {}},
                {"matches": API_MATCH, "default": {}},
            ]
        },
    ]


def test_backend_ref_inlines_target_ref_and_drops_empty_values() -> None:
    # TargetRef is embedded (json:",inline") with omitempty plain fields at 2.10.
    assert canon(
        {
            "kind": "MeshService",
            "name": "b",
            "labels": {},
            "tags": {},
            "namespace": "",
            "weight": 1,
            "port": 0,
        },
        BACKEND_REF,
    ) == {"kind": "MeshService", "name": "b", "weight": 1, "port": 0}


# ---------------------------------------------------------------------------------------
# MeshLoadBalancingStrategy: nested objects merge key by key (ringHash survives a later
# RoundRobin), FromZone.zones is a plain non-omitempty slice, Cookie.ttl a duration,
# FailoverThreshold.percentage a non-omitempty IntOrString.


def test_mesh_load_balancing_strategy_objects_union_and_typed_values() -> None:
    first = {
        "loadBalancer": {
            "type": "RingHash",
            "ringHash": {
                "hashFunction": "MurmurHash2",
                "hashPolicies": [{"type": "Cookie", "cookie": {"name": "s", "ttl": "3600s"}}],
            },
        },
        "localityAwareness": {
            "crossZone": {"failover": [{"from": {}, "to": {"type": "Any"}}]},
        },
    }
    second = {
        "loadBalancer": {"type": "RoundRobin"},
        "localityAwareness": {"crossZone": {"failoverThreshold": {}}},
    }
    assert merged("MeshLoadBalancingStrategy", first, second) == [
        {
            "localityAwareness": {
                "crossZone": {
                    "failover": [{"from": {"zones": None}, "to": {"type": "Any"}}],
                    "failoverThreshold": {"percentage": 0},
                }
            },
            "loadBalancer": {
                "type": "RoundRobin",
                "ringHash": {
                    "hashFunction": "MurmurHash2",
                    "hashPolicies": [{"type": "Cookie", "cookie": {"name": "s", "ttl": "1h0m0s"}}],
                },
            },
        }
    ]


# ---------------------------------------------------------------------------------------
# MeshMetric: `sidecar.profiles.appendProfiles` concatenates (TV-8), `backends` and
# `applications` are replaced. CRD defaults: application.path=/metrics,
# prometheus.port=5670 and path=/metrics (plain non-omitempty), tls.mode=Disabled (plain
# non-omitempty); `sidecar.includeUnused` has none (kuma.io_meshmetrics.yaml).


def test_mesh_metric_append_profiles_and_defaults() -> None:
    first = {
        "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}]}, "includeUnused": True},
        "backends": [{"type": "Prometheus", "prometheus": {"tls": {}}}],
    }
    second = {
        "sidecar": {
            "profiles": {
                "appendProfiles": [{"name": "All"}],
                "exclude": [{"type": "Prefix", "match": "envoy_"}],
            }
        },
        "applications": [{"port": 8080}],
        "backends": [
            {
                "type": "OpenTelemetry",
                "openTelemetry": {"endpoint": "otel:4317", "refreshInterval": "60s"},
            }
        ],
    }
    assert loaded("MeshMetric", "default", first) == [
        {
            "sidecar": {"profiles": {"appendProfiles": [{"name": "Basic"}]}, "includeUnused": True},
            "backends": [
                {
                    "type": "Prometheus",
                    "prometheus": {"port": 5670, "path": "/metrics", "tls": {"mode": "Disabled"}},
                }
            ],
        }
    ]
    assert loaded("MeshMetric", "default", first, second) == [
        {
            "sidecar": {
                "profiles": {
                    "appendProfiles": [{"name": "Basic"}, {"name": "All"}],
                    "exclude": [{"type": "Prefix", "match": "envoy_"}],
                },
                "includeUnused": True,  # second says nothing, so first's value stays
            },
            "applications": [{"path": "/metrics", "port": 8080}],
            "backends": [
                {
                    "type": "OpenTelemetry",
                    "openTelemetry": {"endpoint": "otel:4317", "refreshInterval": "1m0s"},
                }
            ],
        }
    ]


def test_mesh_metric_append_field_edges() -> None:
    # §3.2 edge: the pointer is kept when a conf had it, but no items serialise as null;
    # a conf whose parent object is absent contributes nothing.
    assert merged(
        "MeshMetric", {"sidecar": {"profiles": {"appendProfiles": []}}}, {"sidecar": {}}
    ) == [{"sidecar": {"profiles": {"appendProfiles": None}}}]
    assert merged(
        "MeshMetric",
        {"sidecar": {"profiles": {"appendProfiles": [{"name": "None"}]}}},
        {"backends": []},
        {"sidecar": {"profiles": {"include": [{"type": "Exact", "match": "a"}]}}},
    ) == [
        {
            "sidecar": {
                "profiles": {
                    "appendProfiles": [{"name": "None"}],
                    "include": [{"type": "Exact", "match": "a"}],
                }
            },
            "backends": [],
        }
    ]
    # Application.port and Prometheus port/path are not omitempty.
    assert merged("MeshMetric", {"applications": [{}], "backends": [{"prometheus": {}}]}) == [
        {
            "applications": [{"port": 0}],
            "backends": [{"type": "", "prometheus": {"port": 0, "path": ""}}],
        }
    ]


# ---------------------------------------------------------------------------------------
# MeshPassthrough: `appendMatch` ([]Match, omitempty) concatenates; the match protocol
# defaults to tcp; passthroughMode (*PassthroughMode) has no CRD default.


def test_mesh_passthrough_append_match_and_defaults() -> None:
    first = {
        "passthroughMode": "Matched",
        "appendMatch": [{"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"}],
    }
    second = {"appendMatch": [{"type": "CIDR", "value": "10.0.0.0/8"}]}
    assert loaded("MeshPassthrough", "default", first, second) == [
        {
            "passthroughMode": "Matched",  # second sets none, so first's value stays
            "appendMatch": [
                {"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"},
                {"type": "CIDR", "value": "10.0.0.0/8", "protocol": "tcp"},
            ],
        }
    ]
    # A plain omitempty slice: no items at all → the field is absent, not null.
    assert loaded(
        "MeshPassthrough", "default", {"passthroughMode": "All"}, {"appendMatch": []}
    ) == [{"passthroughMode": "All"}]


# ---------------------------------------------------------------------------------------
# MeshProxyPatch: `appendModifications` (*[]Modification) concatenates (TV-8).
# VirtualHostMod.match is a non-omitempty pointer; JsonPatchBlock.path is a
# non-omitempty pointer and value a json.RawMessage with omitempty.


def test_mesh_proxy_patch_append_modifications() -> None:
    first = {"appendModifications": [{"cluster": {"operation": "Add", "value": "name: c1"}}]}
    second = {
        "appendModifications": [
            {
                "virtualHost": {
                    "operation": "Patch",
                    "jsonPatches": [{"op": "remove", "path": "/d"}],
                }
            },
            {"listener": {"operation": "Remove", "match": {"tags": {}}}},
        ]
    }
    assert merged("MeshProxyPatch", first, second) == [
        {
            "appendModifications": [
                {"cluster": {"operation": "Add", "value": "name: c1"}},
                {
                    "virtualHost": {
                        "match": None,
                        "operation": "Patch",
                        "jsonPatches": [{"op": "remove", "path": "/d"}],
                    }
                },
                # ListenerMatch.tags is *map[string]string: {} is not nil
                {"listener": {"match": {"tags": {}}, "operation": "Remove"}},
            ]
        }
    ]
    assert merged(
        "MeshProxyPatch",
        {"appendModifications": [{"cluster": {"operation": "Patch", "jsonPatches": [{}]}}]},
    ) == [
        {
            "appendModifications": [
                {"cluster": {"operation": "Patch", "jsonPatches": [{"op": "", "path": None}]}}
            ]
        }
    ]
    # §3.2 edge: all empty → the pointer stays, serialised as null.
    assert merged("MeshProxyPatch", {"appendModifications": []}, {}) == [
        {"appendModifications": None}
    ]


def test_json_patch_value_kept_as_written() -> None:
    patch = {"op": "add", "path": "/a", "value": {"b": [1, None, "c"]}}
    out = merged(
        "MeshProxyPatch",
        {"appendModifications": [{"listener": {"operation": "Patch", "jsonPatches": [patch]}}]},
    )
    assert out[0]["appendModifications"][0]["listener"]["jsonPatches"] == [patch]


# ---------------------------------------------------------------------------------------
# MeshRateLimit: Rate.num (uint32) and Rate.interval (Duration) are non-omitempty, so a
# later `requestRate` without `interval` carries "0s" and overwrites the earlier one.


def test_mesh_rate_limit_non_omitempty_rate_erases() -> None:
    first = {
        "local": {
            "http": {"requestRate": {"num": 5, "interval": "10s"}},
            "tcp": {"connectionRate": {"num": 100, "interval": "1s"}, "disabled": False},
        }
    }
    second = {
        "local": {
            "http": {
                "requestRate": {"num": 10},
                "onRateLimit": {
                    "status": 429,
                    "headers": {"add": [{"name": "x-rl", "value": "1"}]},
                },
            }
        }
    }
    assert merged("MeshRateLimit", first, second) == [
        {
            "local": {
                "http": {
                    "requestRate": {"num": 10, "interval": "0s"},
                    "onRateLimit": {
                        "status": 429,
                        "headers": {"add": [{"name": "x-rl", "value": "1"}]},
                    },
                },
                "tcp": {"disabled": False, "connectionRate": {"num": 100, "interval": "1s"}},
            }
        }
    ]
    assert loaded(
        "MeshRateLimit",
        "rules",
        {"local": {"tcp": {"connectionRate": {"num": 1, "interval": "60s"}}}},
    ) == [{"local": {"tcp": {"connectionRate": {"num": 1, "interval": "1m0s"}}}}]


# ---------------------------------------------------------------------------------------
# MeshRetry: CRD default hostSelection[].updateFrequency=2 (the docs' backOff 25ms and
# rate-limited 300s are Envoy configurer fallbacks, not CRD defaults); retryOn lists are
# replaced (TV-8).


def test_mesh_retry_defaults_and_replaced_lists() -> None:
    first = {
        "http": {"numRetries": 3, "retryOn": ["5xx", "429"], "backOff": {"maxInterval": "1s"}},
        "grpc": {"retryOn": ["Canceled"]},
    }
    second = {
        "http": {
            "retryOn": ["Reset"],
            "rateLimitedBackOff": {"resetHeaders": [{"name": "retry-after", "format": "Seconds"}]},
            "hostSelection": [{"predicate": "OmitHostsWithTags", "tags": {"v": "1"}}],
        },
        "tcp": {"maxConnectAttempt": 2},
    }
    assert loaded("MeshRetry", "to", first, second) == [
        {
            "tcp": {"maxConnectAttempt": 2},
            "http": {
                "numRetries": 3,
                "backOff": {"maxInterval": "1s"},
                "rateLimitedBackOff": {
                    "resetHeaders": [{"name": "retry-after", "format": "Seconds"}],
                },
                "retryOn": ["Reset"],
                "hostSelection": [
                    {"predicate": "OmitHostsWithTags", "tags": {"v": "1"}, "updateFrequency": 2}
                ],
            },
            "grpc": {"retryOn": ["Canceled"]},
        }
    ]


def test_mesh_retry_empty_retry_on_replaces() -> None:
    # retryOn is *[]HTTPRetryOn: [] is a non-nil pointer, so it replaces the earlier list.
    assert merged("MeshRetry", {"http": {"retryOn": ["5xx"]}}, {"http": {"retryOn": []}}) == [
        {"http": {"retryOn": []}}
    ]


# ---------------------------------------------------------------------------------------
# MeshTCPRoute: conf = first rule {default: {backendRefs}}; RuleConf.backendRefs is a plain
# slice without omitempty, so a rule without it serialises null and erases (§3.1).


def test_mesh_tcp_route_backend_refs_not_omitempty() -> None:
    (spec,) = loaded_specs(
        "MeshTCPRoute",
        {
            "to": [
                {
                    "targetRef": BACKEND,
                    "rules": [
                        {"default": {"backendRefs": [{"kind": "MeshService", "name": "v2"}]}}
                    ],
                }
            ]
        },
    )
    conf = spec["to"][0]["rules"][0]
    later: Conf = {"default": {}}
    assert merge_confs([conf], POLICY_CONFS["MeshTCPRoute"]) == [
        {"default": {"backendRefs": [{"kind": "MeshService", "name": "v2", "weight": 1}]}}
    ]
    assert merge_confs([conf, later], POLICY_CONFS["MeshTCPRoute"]) == [
        {"default": {"backendRefs": None}}
    ]


# ---------------------------------------------------------------------------------------
# MeshTimeout: TV-9 duration rendering, and `0s` kept (the fields are *Duration).


def test_mesh_timeout_durations_and_zero() -> None:
    first = {
        "connectionTimeout": "111s",
        "http": {"requestTimeout": "3600s", "maxStreamDuration": "0s"},
    }
    second = {"idleTimeout": "0.5s", "http": {"streamIdleTimeout": "1.5h"}}
    expected = {
        "connectionTimeout": "1m51s",
        "idleTimeout": "500ms",
        "http": {
            "requestTimeout": "1h0m0s",
            "streamIdleTimeout": "1h30m0s",
            "maxStreamDuration": "0s",
        },
    }
    for section in ("to", "from", "rules"):
        assert loaded("MeshTimeout", section, first, second) == [expected], section


# ---------------------------------------------------------------------------------------
# MeshTLS: tlsVersion min/max default to TLSAuto; tlsCiphers is a plain omitempty slice
# (so [] is "absent" and does not replace), mode a *Mode.


def test_mesh_tls_version_defaults_and_plain_cipher_slice() -> None:
    first = {
        "mode": "Strict",
        "tlsCiphers": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
        "tlsVersion": {"min": "TLS12"},
    }
    second = {"tlsCiphers": ["ECDHE-ECDSA-CHACHA20-POLY1305"], "tlsVersion": {"max": "TLS13"}}
    assert loaded("MeshTLS", "from", first, second) == [
        {
            "tlsVersion": {"min": "TLSAuto", "max": "TLS13"},
            "tlsCiphers": ["ECDHE-ECDSA-CHACHA20-POLY1305"],
            "mode": "Strict",
        }
    ]
    assert loaded("MeshTLS", "rules", first, {"tlsCiphers": [], "mode": "Permissive"}) == [
        {
            "tlsVersion": {"min": "TLS12", "max": "TLSAuto"},
            "tlsCiphers": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
            "mode": "Permissive",
        }
    ]


# ---------------------------------------------------------------------------------------
# MeshTrace: zipkin traceId128bit/apiVersion/sharedSpanContext and datadog splitService
# are plain non-omitempty values (TV-9) with defaults false/httpJson/true/false;
# sampling has no CRD default (the docs' 100% is the Envoy configurer's); backends is
# replaced.


def test_mesh_trace_typed_rendering_without_defaults() -> None:
    assert merged(
        "MeshTrace", {"backends": [{"type": "Zipkin", "zipkin": {"url": "http://z"}}]}
    ) == [
        {
            "backends": [
                {
                    "type": "Zipkin",
                    "zipkin": {
                        "url": "http://z",
                        "traceId128bit": False,
                        "apiVersion": "",
                        "sharedSpanContext": False,
                    },
                }
            ]
        }
    ]


def test_mesh_trace_defaults_and_merge() -> None:
    first = {
        "backends": [{"type": "Zipkin", "zipkin": {"url": "http://z:9411/api/v2/spans"}}],
        "sampling": {"random": 50},
    }
    second = {
        "backends": [{"type": "Datadog", "datadog": {"url": "http://dd:8126"}}],
        "tags": [{"name": "team", "literal": "core"}],
    }
    assert loaded("MeshTrace", "default", first) == [
        {
            "backends": [
                {
                    "type": "Zipkin",
                    "zipkin": {
                        "url": "http://z:9411/api/v2/spans",
                        "traceId128bit": False,
                        "apiVersion": "httpJson",
                        "sharedSpanContext": True,
                    },
                }
            ],
            "sampling": {"random": 50},
        }
    ]
    assert loaded("MeshTrace", "default", first, second) == [
        {
            "backends": [
                {"type": "Datadog", "datadog": {"url": "http://dd:8126", "splitService": False}}
            ],
            "sampling": {"random": 50},
            "tags": [{"name": "team", "literal": "core"}],
        }
    ]


# ---------------------------------------------------------------------------------------
# MeshTrafficPermission (2.10): conf {action} (*Action), replaced like a scalar.


def test_mesh_traffic_permission_action() -> None:
    assert loaded("MeshTrafficPermission", "from", {"action": "Deny"}, {}) == [{"action": "Deny"}]
    assert loaded(
        "MeshTrafficPermission", "from", {"action": "Allow"}, {"action": "AllowWithShadowDeny"}
    ) == [{"action": "AllowWithShadowDeny"}]


# ---------------------------------------------------------------------------------------
# §3.2 / §3.3 / §3.4: the special fields of all 16 conf types.


def _walk(struct: Struct, path: str, through_lists: bool) -> Iterator[tuple[str, Field]]:
    for f in struct.flat_fields():
        here = f"{path}.{f.json}" if path else f.json
        yield here, f
        inner: Any = f.type
        while isinstance(inner, Ptr | Map) or (through_lists and isinstance(inner, List)):
            inner = inner.elem
        if isinstance(inner, Struct):
            yield from _walk(inner, here, through_lists)


def _fields(kind: str, through_lists: bool) -> list[tuple[str, Field]]:
    return list(_walk(POLICY_CONFS[kind], "", through_lists))


def test_exactly_three_append_fields() -> None:
    found = {
        (kind, path)
        for kind in POLICY_CONFS
        for path, f in _fields(kind, through_lists=True)
        if f.appends
    }
    assert found == {
        ("MeshProxyPatch", "appendModifications"),
        ("MeshMetric", "sidecar.profiles.appendProfiles"),
        ("MeshPassthrough", "appendMatch"),
    }
    # and all three are lists reached through structs only, never through a list
    reachable = {
        (kind, path)
        for kind in POLICY_CONFS
        for path, f in _fields(kind, through_lists=False)
        if f.appends
    }
    assert reachable == found


def test_policy_merge_tags_only_on_mesh_http_route() -> None:
    tags = {
        (kind, path, f.policy_merge)
        for kind in POLICY_CONFS
        for path, f in _fields(kind, through_lists=True)
        if f.policy_merge
    }
    assert tags == {
        ("MeshHTTPRoute", "rules", "mergeValuesByKey"),
        ("MeshHTTPRoute", "rules.matches", "mergeKey"),
        ("MeshHTTPRoute", "hostnames", "mergeValues"),
    }


def test_sixteen_conf_types() -> None:
    assert len(POLICY_CONFS) == 16


def test_empty_input_gives_empty_list() -> None:
    # §3.6
    for kind in POLICY_CONFS:
        assert merge_confs([], POLICY_CONFS[kind]) == []


@pytest.mark.parametrize("kind", sorted(POLICY_CONFS))
def test_inputs_are_not_mutated(kind: str) -> None:
    confs: Sequence[Any] = [
        {"http": {"requestTimeout": "60s"}, "rules": [{"matches": [], "default": {}}]},
        {"appendMatch": [{"type": "IP"}], "hostnames": ["a"], "default": {}},
    ]
    before = copy.deepcopy(confs)
    merge_confs(confs, POLICY_CONFS[kind])
    assert confs == before
