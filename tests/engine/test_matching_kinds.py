"""Top-level targetRef kind switch (§3.3, §3.3.4, 2.10.11), shadow (§3.5) and test vectors
TV9, TV10, TV12, TV13, TV17, TV18, TV19 and TV20 of `kuma-matching.md`.

The proxy is the §9 Dataplane `web-1` unless stated: namespace `demo`, zone `zone-1`,
inbound 8080 (`name: http`, tags service `web_demo_svc_8080`, `app: web`, `version: v1`)
and inbound 9090 (no name, service `admin_demo_svc_9090`, `app: web`).
Policies are system policies of `zone-1` in `kuma-system` unless stated.
Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.inspect import affected_dataplanes_body
from meshtui.engine.matching import Selection
from tests.engine.matching_support import (
    ABSENT,
    MESH_REF,
    dataplane_doc,
    inbound_conf,
    inbound_ports,
    index,
    matched,
    mesh_doc,
    mesh_service,
    policy,
    ports,
    resource_conf,
    rules_for,
    select_gateway_name,
    selection,
    to_,
    web_1,
)

ALL = [8080, 9090]
NONE: list[int] = []


def with_to(ref: dict[str, Any]) -> dict[str, Any]:
    """A MeshTimeout spec with this top-level targetRef and one `to: Mesh` item."""
    return {"targetRef": ref, "to": [to_(MESH_REF, {"idleTimeout": "1s"})]}


def with_rules(ref: dict[str, Any], value: str = "1s") -> dict[str, Any]:
    """A MeshTimeout spec with this top-level targetRef and one `rules[]` item."""
    return {"targetRef": ref, "rules": [{"default": {"idleTimeout": value}}]}


def select_on_web_1(ref: dict[str, Any], *extra: dict[str, Any], **policy_labels: Any) -> Selection:
    docs = [web_1(), *extra, policy("MeshTimeout", "p", with_to(ref), **policy_labels)]
    return selection(docs, "p")


# --------------------------------------------------------------------------------------
# Mesh, MeshSubset, MeshService, MeshServiceSubset

TAG_KINDS = [
    pytest.param({"kind": "Mesh"}, ALL, id="mesh"),
    pytest.param({"kind": "Mesh", "proxyTypes": ["Sidecar"]}, ALL, id="mesh-sidecar"),
    pytest.param({"kind": "Mesh", "proxyTypes": ["Gateway"]}, NONE, id="mesh-gateway-only"),
    pytest.param(
        {"kind": "Mesh", "proxyTypes": ["Gateway", "Sidecar"]}, ALL, id="mesh-both-proxy-types"
    ),
    pytest.param({"kind": "MeshSubset", "tags": {"app": "web"}}, ALL, id="subset-app"),
    pytest.param({"kind": "MeshSubset", "tags": {"version": "v1"}}, [8080], id="subset-version"),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"version": "*"}}, [8080], id="subset-wildcard-needs-key"
    ),
    pytest.param({"kind": "MeshSubset", "tags": {"version": "v2"}}, NONE, id="subset-other-value"),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"app": "web", "version": "v1"}},
        [8080],
        id="subset-two-tags",
    ),
    pytest.param({"kind": "MeshSubset"}, ALL, id="subset-no-tags"),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"app": "web"}, "proxyTypes": ["Gateway"]},
        NONE,
        id="subset-gateway-only",
    ),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"app": "web"}, "proxyTypes": ["Sidecar"]},
        ALL,
        id="subset-sidecar",
    ),
    pytest.param({"kind": "MeshService", "name": "web_demo_svc_8080"}, [8080], id="service-8080"),
    pytest.param({"kind": "MeshService", "name": "admin_demo_svc_9090"}, [9090], id="service-9090"),
    pytest.param({"kind": "MeshService", "name": "web"}, NONE, id="service-unknown"),
    pytest.param(
        {"kind": "MeshService", "name": "web_demo_svc_8080", "namespace": "other"},
        [8080],
        id="service-namespace-ignored",
    ),
    pytest.param(
        {"kind": "MeshService", "name": "web_demo_svc_8080", "sectionName": "nope"},
        [8080],
        id="service-section-ignored",
    ),
    pytest.param({"kind": "MeshService", "labels": {"app": "web"}}, NONE, id="service-labels-only"),
    pytest.param(
        {"kind": "MeshServiceSubset", "name": "admin_demo_svc_9090", "tags": {"app": "web"}},
        [9090],
        id="svc-subset",
    ),
    pytest.param(
        {"kind": "MeshServiceSubset", "name": "web_demo_svc_8080", "tags": {"version": "v1"}},
        [8080],
        id="svc-subset-version",
    ),
    pytest.param(
        {"kind": "MeshServiceSubset", "name": "web_demo_svc_8080", "tags": {"version": "v2"}},
        NONE,
        id="svc-subset-miss",
    ),
    pytest.param(
        {
            "kind": "MeshServiceSubset",
            "name": "web_demo_svc_8080",
            "tags": {"kuma.io/service": "admin_demo_svc_9090"},
        },
        [9090],
        id="svc-subset-tags-override-name",
    ),
]


@pytest.mark.parametrize(("ref", "expected"), TAG_KINDS)
def test_tag_based_kinds_on_a_sidecar(ref: dict[str, Any], expected: list[int]) -> None:
    sel = select_on_web_1(ref)
    assert ports(sel) == expected
    assert sel.matched is bool(expected)
    assert sel.gateway_listeners == ()
    assert sel.delegated is False


def test_mesh_selects_inbound_listeners_by_address_and_port() -> None:
    assert sorted(select_on_web_1(MESH_REF).inbounds) == [("10.0.0.5", 8080), ("10.0.0.5", 9090)]


def test_inbound_address_overrides_the_dataplane_address() -> None:
    dp = web_1()
    dp["networking"]["inbound"][1]["address"] = "192.168.0.1"
    docs = [dp, policy("MeshTimeout", "p", with_to(MESH_REF))]
    assert sorted(selection(docs, "p").inbounds) == [("10.0.0.5", 8080), ("192.168.0.1", 9090)]


# --------------------------------------------------------------------------------------
# Dataplane

DATAPLANE_REFS = [
    pytest.param({"kind": "Dataplane"}, {}, ALL, id="all"),
    pytest.param({"kind": "Dataplane", "labels": {}}, {}, ALL, id="empty-labels"),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1", "namespace": "demo"},
        {},
        ALL,
        id="name-and-namespace",
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1"},
        {"ns": "demo", "role": "workload-owner"},
        ALL,
        id="name-policy-namespace",
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1", "namespace": "other"},
        {},
        NONE,
        id="name-other-namespace",
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-2", "namespace": "demo"}, {}, NONE, id="other-name"
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1.demo", "namespace": "demo"},
        {},
        NONE,
        id="store-name-is-not-display-name",
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1", "namespace": "demo"},
        {"zone": "zone-2", "role": "producer"},
        NONE,
        id="name-other-zone",
    ),
    pytest.param({"kind": "Dataplane", "labels": {"app": "web"}}, {}, ALL, id="labels"),
    pytest.param(
        {"kind": "Dataplane", "labels": {"app": "web", "k8s.kuma.io/namespace": "demo"}},
        {},
        ALL,
        id="labels-two",
    ),
    pytest.param({"kind": "Dataplane", "labels": {"app": "api"}}, {}, NONE, id="labels-miss"),
    pytest.param(
        {"kind": "Dataplane", "labels": {"team": ""}},
        {},
        ALL,
        id="tv17-empty-value-matches-missing",
    ),
    pytest.param(
        {"kind": "Dataplane", "labels": {"app": ""}}, {}, NONE, id="empty-value-present-key"
    ),
    pytest.param(
        {"kind": "Dataplane", "labels": {"kuma.io/display-name": "web-1"}},
        {},
        ALL,
        id="display-name-label",
    ),
    pytest.param({"kind": "Dataplane", "namespace": "demo"}, {}, NONE, id="tv10-namespace-only"),
]


@pytest.mark.parametrize(("ref", "policy_labels", "expected"), DATAPLANE_REFS)
def test_dataplane_kind(
    ref: dict[str, Any], policy_labels: dict[str, Any], expected: list[int]
) -> None:
    sel = select_on_web_1(ref, **policy_labels)
    assert ports(sel) == expected
    assert sel.delegated is False


# TV9: 2.10 compares sectionName with the inbound name only (HEAD also accepts the port:
# HEAD only, not encoded).
SECTIONS = [
    pytest.param({"kind": "Dataplane", "sectionName": "http"}, [8080], id="named-inbound"),
    pytest.param(
        {"kind": "Dataplane", "sectionName": "9090"}, NONE, id="tv9-unnamed-inbound-by-port"
    ),
    pytest.param({"kind": "Dataplane", "sectionName": "8080"}, NONE, id="named-inbound-by-port"),
    pytest.param(
        {"kind": "Dataplane", "labels": {"app": "web"}, "sectionName": "http"},
        [8080],
        id="labels-and-section",
    ),
    pytest.param(
        {"kind": "Dataplane", "name": "web-1", "namespace": "demo", "sectionName": "http"},
        [8080],
        id="name-and-section",
    ),
]


@pytest.mark.parametrize(("ref", "expected"), SECTIONS)
def test_dataplane_section_name_compares_the_inbound_name(
    ref: dict[str, Any], expected: list[int]
) -> None:
    docs = [web_1(), policy("MeshTimeout", "p", with_rules(ref))]
    assert ports(selection(docs, "p")) == expected


def test_tv9_rules_of_a_section_policy_land_on_that_inbound_only() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "p", with_rules({"kind": "Dataplane", "sectionName": "http"}, "7s")),
    ]
    rules = rules_for(docs)
    assert inbound_conf(rules, 8080) == {"idleTimeout": "7s"}
    assert inbound_conf(rules, 9090) is None


def test_dataplane_display_name_label_is_a_plain_label_compare() -> None:
    # 2.10: a Universal Dataplane has no display-name label, so this selects nothing.
    dp = dataplane_doc(
        "web-1", {"app": "web"}, [{"port": 8080, "tags": {"kuma.io/service": "web"}}]
    )
    docs = [
        dp,
        policy(
            "MeshTimeout",
            "p",
            with_to({"kind": "Dataplane", "labels": {"kuma.io/display-name": "web-1"}}),
        ),
    ]
    assert selection(docs, "p", dp="web-1").matched is False


# TV10 — Dataplane by name across origins


def test_tv10_global_policy_by_name_does_not_match_a_zone_dataplane() -> None:
    ref = {"kind": "Dataplane", "name": "web-1", "namespace": "demo"}
    sel = select_on_web_1(ref, origin="global", zone=ABSENT)
    assert sel.matched is False


def test_tv10_zone_system_policy_by_name_without_namespace_looks_in_kuma_system() -> None:
    sel = select_on_web_1({"kind": "Dataplane", "name": "web-1"})
    assert sel.matched is False


def test_tv10_zone_system_policy_by_name_and_namespace_matches() -> None:
    assert (
        ports(select_on_web_1({"kind": "Dataplane", "name": "web-1", "namespace": "demo"})) == ALL
    )


# --------------------------------------------------------------------------------------
# TV12 — top-level MeshService quirks


def test_tv12_service_policy_configures_one_inbound_but_every_outbound() -> None:
    spec = {
        "targetRef": {"kind": "MeshService", "name": "web_demo_svc_8080"},
        "to": [
            to_(
                {"kind": "MeshService", "name": "backend", "namespace": "backend"},
                {"idleTimeout": "3s"},
            )
        ],
    }
    docs = [
        mesh_doc(),
        web_1(),
        mesh_service("backend", "backend"),
        policy("MeshTimeout", "p", spec),
    ]
    rules = rules_for(docs)
    assert inbound_ports(rules, "p") == [8080]
    assert resource_conf(rules, "backend.backend") == {"idleTimeout": "3s"}


def test_tv12_labels_only_top_level_mesh_service_loads_and_selects_nothing() -> None:
    docs = [
        web_1(),
        policy("MeshTimeout", "p", with_to({"kind": "MeshService", "labels": {"app": "web"}})),
    ]
    assert matched(docs) == []


# --------------------------------------------------------------------------------------
# TV18 — Ignored inbound (2.10: skipped by every kind). HEAD includes it: HEAD only, not encoded.

IGNORED = [
    pytest.param({"kind": "Mesh"}, [9090], id="mesh"),
    pytest.param({"kind": "MeshSubset", "tags": {"app": "web"}}, [9090], id="subset"),
    pytest.param({"kind": "MeshSubset", "tags": {"version": "v1"}}, NONE, id="subset-only-ignored"),
    pytest.param({"kind": "MeshService", "name": "web_demo_svc_8080"}, NONE, id="service"),
    pytest.param(
        {"kind": "MeshServiceSubset", "name": "web_demo_svc_8080", "tags": {"app": "web"}},
        NONE,
        id="svc-subset",
    ),
    pytest.param({"kind": "Dataplane"}, [9090], id="dataplane"),
    pytest.param({"kind": "Dataplane", "sectionName": "http"}, NONE, id="dataplane-section"),
]


@pytest.mark.parametrize(("ref", "expected"), IGNORED)
def test_tv18_ignored_inbound_is_skipped(ref: dict[str, Any], expected: list[int]) -> None:
    docs = [web_1(ignored_8080=True), policy("MeshTimeout", "p", with_rules(ref))]
    assert ports(selection(docs, "p")) == expected


def test_tv18_no_inbound_rules_for_an_ignored_inbound() -> None:
    docs = [web_1(ignored_8080=True), policy("MeshTimeout", "p", with_rules(MESH_REF, "4s"))]
    rules = rules_for(docs)
    assert sorted(port for _, port in rules.inbound_rules) == [9090]
    assert inbound_conf(rules, 9090) == {"idleTimeout": "4s"}


# --------------------------------------------------------------------------------------
# TV13 / §3.5 — shadow


def shadow_docs(effect: str) -> list[dict[str, Any]]:
    return [
        web_1(),
        policy("MeshTimeout", "real", with_to(MESH_REF)),
        policy("MeshTimeout", "experiment", with_to(MESH_REF), **{"kuma.io/effect": effect}),
    ]


def test_tv13_shadow_policy_is_not_matched() -> None:
    assert matched(shadow_docs("shadow")) == ["real"]


def test_tv13_shadow_policy_is_matched_when_asked() -> None:
    assert matched(shadow_docs("shadow"), include_shadow=True) == ["real", "experiment"]


@pytest.mark.parametrize("effect", ["Shadow", "SHADOW", "shadow ", ""])
def test_tv13_only_the_exact_value_shadow_is_special(effect: str) -> None:
    assert matched(shadow_docs(effect)) == ["real", "experiment"]


# --------------------------------------------------------------------------------------
# TV19 — MeshHTTPRoute as top level (2.10). The HEAD labels-based lookup is HEAD only, not encoded.

ROUTE_TO_BACKEND = {"to": [{"targetRef": {"kind": "MeshService", "name": "backend"}, "rules": []}]}


def route(name: str, top: dict[str, Any] | None, **labels: Any) -> dict[str, Any]:
    spec: dict[str, Any] = dict(ROUTE_TO_BACKEND)
    if top is not None:
        spec["targetRef"] = top
    return policy("MeshHTTPRoute", name, spec, **labels)


def consumer_timeout(route_name: str, ns: str = "demo") -> dict[str, Any]:
    return policy(
        "MeshTimeout",
        "t",
        with_to({"kind": "MeshHTTPRoute", "name": route_name}),
        ns=ns,
        role="consumer",
    )


ROUTES = [
    pytest.param(
        route("r", {"kind": "MeshService", "name": "web_demo_svc_8080"}),
        [8080],
        id="system-route-applies-its-top-level",
    ),
    pytest.param(route("r", None), ALL, id="route-without-top-level-is-mesh"),
    pytest.param(
        route("r", MESH_REF, ns="other", role="producer"),
        ALL,
        id="producer-route-in-other-namespace",
    ),
    pytest.param(
        route("r", MESH_REF, ns="other", role="consumer"),
        NONE,
        id="consumer-route-in-other-namespace",
    ),
    pytest.param(
        route("r", MESH_REF, ns="demo", role="consumer"), ALL, id="consumer-route-in-same-namespace"
    ),
    pytest.param(route("r", MESH_REF, zone="zone-2"), NONE, id="route-from-other-zone"),
    pytest.param(
        route("r", {"kind": "Dataplane", "labels": {"app": "api"}}),
        NONE,
        id="route-top-level-misses",
    ),
]


@pytest.mark.parametrize(("route_doc", "expected"), ROUTES)
def test_tv19_route_is_resolved_by_display_name_then_its_own_filters_apply(
    route_doc: dict[str, Any], expected: list[int]
) -> None:
    docs = [web_1(), route_doc, consumer_timeout("r")]
    sel = selection(docs, "t")
    assert ports(sel) == expected
    assert sel.warning == ""


def test_tv19_the_policy_own_filters_apply_first() -> None:
    docs = [web_1(), route("r", MESH_REF), consumer_timeout("r", ns="backend")]
    assert selection(docs, "t").matched is False


def test_tv19_first_route_in_store_order_wins() -> None:
    docs = [
        web_1(),
        route(
            "r", {"kind": "MeshService", "name": "admin_demo_svc_9090"}, ns="aaa", role="producer"
        ),
        route("r", {"kind": "MeshService", "name": "web_demo_svc_8080"}, ns="zzz", role="producer"),
        consumer_timeout("r"),
    ]
    assert ports(selection(docs, "t")) == [9090]


@pytest.mark.parametrize("ref_name", ["missing", "r.kuma-system"])
def test_tv19_unresolvable_route_is_a_warning_and_no_match(ref_name: str) -> None:
    docs = [web_1(), route("r", MESH_REF), consumer_timeout(ref_name)]
    sel = selection(docs, "t")
    assert sel.matched is False
    assert ref_name in sel.warning
    rules = rules_for(docs)
    assert rules.matched == ()
    assert len([w for w in rules.warnings if ref_name in w]) == 1


def test_tv19_shadow_route_is_still_resolvable() -> None:
    # §3.3: "first MeshHTTPRoute (store order) with same mesh and display_name == ref.name";
    # §3.5 only keeps shadow policies out of the candidates being matched.
    shadow_route = route("r", MESH_REF, **{"kuma.io/effect": "shadow"})
    sel = selection([web_1(), shadow_route, consumer_timeout("r")], "t")
    assert (ports(sel), sel.warning) == (ALL, "")


def test_tv19_unresolvable_route_warning_has_kumas_wording() -> None:
    # The spec gives no wording; Kuma's dataplane.go (`MatchedPolicies`/`dppSelectedByPolicy`)
    # formats: unable to resolve TargetRef on policy: mesh:%s name:%s error:%q, with the error
    # "couldn't resolve MeshHTTPRoute targetRef with name '%s'".
    docs = [web_1(), consumer_timeout("missing")]
    assert rules_for(docs).warnings == (
        "unable to resolve TargetRef on policy: mesh:default name:t.demo "
        "error:\"couldn't resolve MeshHTTPRoute targetRef with name 'missing'\"",
    )


def test_unsupported_kind_warning_has_kumas_wording() -> None:
    spec = with_to({"kind": "MeshExternalService", "name": "x"})
    docs = [web_1(), policy("MeshTimeout", "p", spec)]
    assert rules_for(docs).warnings == (
        "unable to resolve TargetRef on policy: mesh:default name:p.kuma-system "
        "error:\"unsupported targetRef kind 'MeshExternalService'\"",
    )


@pytest.mark.parametrize("kind", ["MeshExternalService", "MeshMultiZoneService"])
def test_unsupported_top_level_kind_is_a_warning_and_no_match(kind: str) -> None:
    docs = [web_1(), policy("MeshTimeout", "p", with_to({"kind": kind, "name": "x"}))]
    sel = selection(docs, "p")
    assert sel.matched is False
    assert sel.warning != ""
    assert rules_for(docs).warnings != ()


# --------------------------------------------------------------------------------------
# TV20 — delegated gateway (2.10). HEAD `Dataplane` selecting it is HEAD only, not encoded.

DELEGATED = dataplane_doc(
    "edge.demo",
    {
        "app": "edge",
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/zone": "zone-1",
        "kuma.io/origin": "zone",
        "kuma.io/display-name": "edge",
    },
    gateway={"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}},
)

DELEGATED_REFS = [
    pytest.param({"kind": "Mesh"}, True, id="mesh"),
    pytest.param({"kind": "Mesh", "proxyTypes": ["Sidecar"]}, False, id="mesh-sidecar-only"),
    pytest.param({"kind": "Mesh", "proxyTypes": ["Gateway"]}, True, id="mesh-gateway-only"),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"kuma.io/service": "edge"}}, True, id="subset-gateway-tags"
    ),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"kuma.io/service": "other"}}, False, id="subset-miss"
    ),
    pytest.param({"kind": "MeshService", "name": "edge"}, True, id="service"),
    pytest.param({"kind": "Dataplane", "labels": {"app": "edge"}}, False, id="dataplane-labels"),
    pytest.param({"kind": "Dataplane"}, False, id="dataplane-all"),
    pytest.param({"kind": "MeshGateway", "name": "edge"}, False, id="mesh-gateway"),
]


@pytest.mark.parametrize(("ref", "expected"), DELEGATED_REFS)
def test_tv20_delegated_gateway(ref: dict[str, Any], expected: bool) -> None:
    docs = [DELEGATED, policy("MeshTimeout", "p", with_to(ref))]
    sel = selection(docs, "p", dp="edge.demo")
    assert sel.matched is expected
    assert sel.delegated is expected
    assert sel.inbounds == ()


# --------------------------------------------------------------------------------------
# MeshGateway kind and the built-in gateway (2.10)

BUILTIN = dataplane_doc(
    "edge-gw.demo",
    {
        "k8s.kuma.io/namespace": "demo",
        "kuma.io/zone": "zone-1",
        "kuma.io/origin": "zone",
        "kuma.io/display-name": "edge-gw",
    },
    gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}},
    address="10.0.0.9",
)


def mesh_gateway(
    name: str = "edge",
    match: dict[str, str] | None = None,
    *,
    labels: dict[str, str] | None = None,
    creation_time: str = "",
    selectors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "MeshGateway",
        "mesh": "default",
        "name": name,
        "labels": labels or {},
        "selectors": selectors
        if selectors is not None
        else [{"match": match or {"kuma.io/service": "edge"}}],
        "tags": {"gw": name},
        "conf": {
            "listeners": [
                {"port": 8080, "protocol": "HTTP", "tags": {"port": "http"}},
                {"port": 8443, "protocol": "HTTP", "hostname": "shop.example.com"},
            ]
        },
    }
    if creation_time:
        doc["creationTime"] = creation_time
    return doc


GATEWAY_REFS = [
    pytest.param({"kind": "MeshGateway", "name": "edge"}, [8080, 8443], id="by-name"),
    pytest.param({"kind": "MeshGateway", "name": "other"}, NONE, id="other-name"),
    pytest.param(
        {"kind": "MeshGateway", "name": "edge", "tags": {"port": "http"}},
        [8080],
        id="listener-tags",
    ),
    pytest.param(
        {"kind": "MeshGateway", "name": "edge", "tags": {"gw": "edge"}},
        [8080, 8443],
        id="gateway-tags",
    ),
    pytest.param(
        {"kind": "MeshGateway", "name": "edge", "tags": {"kuma.io/service": "edge"}},
        [8080, 8443],
        id="dp-tags",
    ),
    pytest.param({"kind": "Mesh"}, [8080, 8443], id="mesh"),
    pytest.param({"kind": "Mesh", "proxyTypes": ["Sidecar"]}, NONE, id="mesh-sidecar-only"),
    pytest.param(
        {"kind": "MeshSubset", "tags": {"port": "http"}}, [8080], id="subset-listener-tags"
    ),
    pytest.param({"kind": "MeshService", "name": "edge"}, [8080, 8443], id="service"),
    pytest.param({"kind": "Dataplane"}, NONE, id="dataplane-never-with-gateway"),
]


@pytest.mark.parametrize(("ref", "expected"), GATEWAY_REFS)
def test_builtin_gateway_selection(ref: dict[str, Any], expected: list[int]) -> None:
    docs = [BUILTIN, mesh_gateway(), policy("MeshTimeout", "p", with_to(ref))]
    sel = selection(docs, "p", dp="edge-gw.demo")
    assert ports(sel) == expected
    assert sorted(port for _, port, _ in sel.gateway_listeners) == expected
    assert sel.delegated is False


def test_gateway_listeners_carry_the_hostname_or_star() -> None:
    docs = [BUILTIN, mesh_gateway(), policy("MeshTimeout", "p", with_to(MESH_REF))]
    sel = selection(docs, "p", dp="edge-gw.demo")
    assert sorted(sel.gateway_listeners) == [
        ("10.0.0.9", 8080, "*"),
        ("10.0.0.9", 8443, "shop.example.com"),
    ]
    assert sorted(sel.inbounds) == [("10.0.0.9", 8080), ("10.0.0.9", 8443)]


def test_mesh_gateway_kind_never_selects_a_sidecar() -> None:
    sel = select_on_web_1(
        {"kind": "MeshGateway", "name": "edge"}, mesh_gateway(match={"app": "web"})
    )
    assert sel.matched is False


# §3.3.4 which MeshGateway the bulk path attaches to a proxy


def test_gateway_selected_by_dataplane_gateway_tags() -> None:
    assert select_gateway_name([BUILTIN, mesh_gateway()], "edge-gw.demo") == "edge"


def test_no_gateway_when_no_selector_matches() -> None:
    assert (
        select_gateway_name(
            [BUILTIN, mesh_gateway(match={"kuma.io/service": "other"})], "edge-gw.demo"
        )
        is None
    )


def test_more_exact_values_win_at_equal_total() -> None:
    docs = [
        BUILTIN,
        mesh_gateway("a", {"kuma.io/service": "*"}),
        mesh_gateway("b", {"kuma.io/service": "edge"}),
    ]
    assert select_gateway_name(docs, "edge-gw.demo") == "b"


def test_higher_total_wins_over_more_exact() -> None:
    dp = dataplane_doc(
        "edge-gw.demo",
        {"kuma.io/origin": "zone", "kuma.io/zone": "zone-1"},
        gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge", "version": "v1"}},
    )
    docs = [
        dp,
        mesh_gateway("a", {"kuma.io/service": "edge"}),
        mesh_gateway("b", {"kuma.io/service": "*", "version": "*"}),
    ]
    assert select_gateway_name(docs, "edge-gw.demo") == "b"


def test_matching_selector_beats_an_empty_selector() -> None:
    docs = [
        BUILTIN,
        mesh_gateway("a", selectors=[]),
        mesh_gateway("b", {"kuma.io/service": "edge"}),
    ]
    assert select_gateway_name(docs, "edge-gw.demo") == "b"


@pytest.mark.parametrize(
    ("time_a", "time_b", "winner"),
    [
        pytest.param(
            "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", "a", id="first-by-name-is-newer"
        ),
        pytest.param(
            "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "b", id="second-by-name-is-newer"
        ),
    ],
)
def test_equal_rank_later_creation_time_wins(time_a: str, time_b: str, winner: str) -> None:
    docs = [
        BUILTIN,
        mesh_gateway("a", creation_time=time_a),
        mesh_gateway("b", creation_time=time_b),
    ]
    assert select_gateway_name(docs, "edge-gw.demo") == winner


@pytest.mark.parametrize(
    ("gateway_labels", "dp_zone", "expected"),
    [
        pytest.param({"kuma.io/origin": "global"}, "zone-1", "edge", id="global-gateway"),
        pytest.param({}, "zone-1", "edge", id="gateway-without-origin"),
        pytest.param(
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-1"},
            "zone-1",
            "edge",
            id="local-zone-gateway",
        ),
        pytest.param(
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-2"},
            "zone-1",
            None,
            id="other-zone-gateway",
        ),
        pytest.param(
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-2"},
            None,
            "edge",
            id="dataplane-without-zone",
        ),
    ],
)
def test_gateways_filtered_by_zone(
    gateway_labels: dict[str, str], dp_zone: str | None, expected: str | None
) -> None:
    labels = {"kuma.io/origin": "zone"}
    if dp_zone is not None:
        labels["kuma.io/zone"] = dp_zone
    dp = dataplane_doc(
        "edge-gw.demo", labels, gateway={"type": "BUILTIN", "tags": {"kuma.io/service": "edge"}}
    )
    assert (
        select_gateway_name([dp, mesh_gateway(labels=gateway_labels)], "edge-gw.demo") == expected
    )


def test_quirk_sidecar_whose_inbound_tags_satisfy_a_gateway_selector_gets_it() -> None:
    docs = [web_1(), mesh_gateway(match={"version": "v1"})]
    assert select_gateway_name(docs, "web-1.demo") == "edge"


def test_quirk_such_a_sidecar_is_no_longer_selectable_by_dataplane_kind() -> None:
    sel = select_on_web_1({"kind": "Dataplane"}, mesh_gateway(match={"version": "v1"}))
    assert sel.matched is False


def test_quirk_such_a_sidecar_gains_phantom_gateway_listeners() -> None:
    sel = select_on_web_1(MESH_REF, mesh_gateway(match={"version": "v1"}))
    assert sorted(sel.inbounds) == [("10.0.0.5", 8080), ("10.0.0.5", 8443), ("10.0.0.5", 9090)]
    assert sorted(sel.gateway_listeners) == [
        ("10.0.0.5", 8080, "*"),
        ("10.0.0.5", 8443, "shop.example.com"),
    ]


def test_index_used_for_gateway_tests_loads() -> None:
    idx = index([mesh_doc(), BUILTIN, mesh_gateway()])
    assert [g.name for g in idx.gateways] == ["edge"]


def test_quirk_single_policy_path_only_looks_for_gateways_on_builtin_proxies() -> None:
    # `_resources/dataplanes` uses PolicyMatches, which does not attach the gateway to a sidecar.
    docs = [
        mesh_doc(),
        web_1(),
        mesh_gateway(match={"version": "v1"}),
        policy("MeshTimeout", "p", with_to({"kind": "Dataplane"})),
    ]
    idx = index(docs)
    (pol,) = idx.policies_of("MeshTimeout")
    assert [item["name"] for item in affected_dataplanes_body(idx, pol)["items"]] == ["web-1.demo"]
    assert matched(idx) == []


def test_builtin_gateway_without_a_mesh_gateway_is_selected_by_nothing() -> None:
    docs = [BUILTIN, policy("MeshTimeout", "p", with_to(MESH_REF))]
    assert selection(docs, "p", dp="edge-gw.demo").matched is False


def test_not_ready_inbound_is_still_selected() -> None:
    dp = web_1()
    dp["networking"]["inbound"][0]["state"] = "NotReady"
    assert ports(selection([dp, policy("MeshTimeout", "p", with_to(MESH_REF))], "p")) == ALL


# TV17 (second half) — a `to[]` labels selector needs the key to exist


def test_tv17_to_labels_with_empty_value_need_the_key() -> None:
    spec = {
        "targetRef": MESH_REF,
        "to": [to_({"kind": "MeshService", "labels": {"team": ""}}, {"idleTimeout": "1s"})],
    }
    docs = [
        mesh_doc(),
        web_1(),
        mesh_service("svc-a", "demo", team=""),
        mesh_service("svc-b", "demo"),
        policy("MeshTimeout", "p", spec),
    ]
    rules = rules_for(docs)
    assert [(r.resource.name, r.section) for r in rules.resource_rules] == [("svc-a.demo", "")]
