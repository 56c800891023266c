"""The inspect API served offline (`engine.api.InspectApi`), endpoint by endpoint.

Expected bodies are worked out from spec kuma-2.14.md §5 (E0-E8) and §6 (KRI), on
Universal resources whose labels are as written (zone `zone-1`, namespace `demo`).
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.api import InspectApi, Response, exit_status
from meshtui.engine.kri import Kri, KriError, StoreNaming
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import parse_text
from meshtui.versions import KumaVersion
from tests.engine.rules_support import yaml_text
from tests.versions import V2_10, V2_11, V2_12, V2_13, V2_14

LABELS = {"kuma.io/zone": "zone-1", "k8s.kuma.io/namespace": "demo"}
DP_KRI = "kri_dp_default_zone-1_demo_dp-1_"
WEB_KRI = "kri_dp_default_zone-1_demo_dp-1_http"
BACKEND_KRI = "kri_msvc_default_zone-1_demo_backend_http"
BASE = "/meshes/default/dataplanes/dp-1"


def labelled(name: str) -> dict[str, str]:
    return {**LABELS, "kuma.io/display-name": name}


def mesh(mode: str = "Exclusive") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Mesh", "name": "default"}
    if mode:
        out["meshServices"] = {"mode": mode}
    return out


def dp(**networking: Any) -> dict[str, Any]:
    return {
        "type": "Dataplane",
        "mesh": "default",
        "name": "dp-1",
        "labels": labelled("dp-1"),
        "networking": {
            "address": "10.0.0.1",
            "inbound": [
                {"port": 8080, "name": "http", "tags": {"kuma.io/service": "web"}},
                {"port": 9090, "tags": {"kuma.io/service": "web", "kuma.io/protocol": "grpc"}},
            ],
            **networking,
        },
    }


def service(name: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "MeshService",
        "mesh": "default",
        "name": name,
        "labels": labelled(name),
        "spec": {"ports": list(ports)},
    }


def policy(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "mesh": "default", "name": name, "labels": labelled(name), "spec": spec}


MESH_REF = {"kind": "Mesh"}
BACKEND = service("backend", {"port": 80, "name": "http", "appProtocol": "http"})
TIMEOUTS = [
    policy(
        "MeshTimeout",
        "to-backend",
        {
            "targetRef": MESH_REF,
            "to": [
                {
                    "targetRef": {"kind": "MeshService", "name": "backend"},
                    "default": {"idleTimeout": "5s"},
                },
                {"targetRef": MESH_REF, "default": {"connectionTimeout": "1s"}},
            ],
        },
    ),
    policy(
        "MeshTimeout",
        "inbound",
        {
            "targetRef": MESH_REF,
            "rules": [{"default": {"idleTimeout": "7s"}}, {"default": {"idleTimeout": "8s"}}],
        },
    ),
]


ZONE_1 = StoreNaming(zone="zone-1", universal=True)
"""The documents' control plane: a Universal zone CP of zone `zone-1`."""


def api(*docs: dict[str, Any], version: KumaVersion = V2_14) -> InspectApi:
    contents = parse_text(yaml_text(*docs), "input.yaml")
    assert not contents.problems
    result = parse_documents(contents.documents, ContextOptions(version=version))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    return InspectApi(result.resources, version, naming=ZONE_1)


def get(path: str, *docs: dict[str, Any], version: KumaVersion = V2_14) -> Response:
    return api(*docs, version=version).get(path)


def error(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": "/std-errors",
        "status": status,
        "title": title,
        "detail": detail,
        "details": detail,
    }


# -- KRI -----------------------------------------------------------------------------


def test_kri_round_trips_and_joins_extra_parts_into_the_section() -> None:
    parsed = Kri.parse("kri_msvc_default_zone-1_demo_backend_http", V2_14)
    assert parsed == Kri("MeshService", "default", "zone-1", "demo", "backend", "http")
    assert parsed.text(V2_14) == "kri_msvc_default_zone-1_demo_backend_http"
    assert Kri.parse("kri_m____default_", V2_14) == Kri("Mesh", "", "", "", "default", "")
    assert Kri.parse("kri_dp_m_z_ns_n_a_b", V2_12).section == "ab"


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        ("kri_x", V2_14, 'invalid identifier string: "kri_x"'),
        ("kr_dp_m_z_ns_n_", V2_14, "identifier must start with 'kri': \"kr_dp_m_z_ns_n_\""),
        ("kri_nope_m_z_ns_n_", V2_14, 'unknown short name of resource type: "nope"'),
        ("kri_dp_m_z_ns_n_a_b", V2_11, 'invalid identifier string: "kri_dp_m_z_ns_n_a_b"'),
        ("kri_wl_m_z_ns_n_", V2_12, 'unknown short name of resource type: "wl"'),
    ],
)
def test_kri_parse_errors_are_kumas(text: str, version: KumaVersion, message: str) -> None:
    with pytest.raises(KriError) as raised:
        Kri.parse(text, version)
    assert str(raised.value) == message


# -- routing and common errors ----------------------------------------------------------


@pytest.mark.parametrize("version", [V2_10, V2_11])
def test_the_policies_family_is_not_served_before_2_12(version: KumaVersion) -> None:
    response = get(f"{BASE}/_policies", mesh(), dp(), version=version)
    assert response.status == 404
    assert exit_status(response.status) == 3


def test_an_unknown_path_is_404() -> None:
    assert get("/meshes/default/nothing", mesh(), dp()).status == 404


@pytest.mark.parametrize(
    "endpoint",
    [
        "_policies",
        f"_inbounds/{WEB_KRI}/_policies",
        f"_outbounds/{BACKEND_KRI}/_policies",
        f"_outbounds/{BACKEND_KRI}/_routes",
        f"_outbounds/{BACKEND_KRI}/_routes/kri_mhttpr_default_zone-1_demo_r_/_policies",
    ],
)
def test_policies_family_checks_mesh_then_proxy_then_exclusive_then_kri(endpoint: str) -> None:
    assert get(f"/meshes/other/dataplanes/dp-1/{endpoint}", mesh(), dp()).body == error(
        404, "Failed to retrieve Mesh", "Not found"
    )
    assert get(f"/meshes/default/dataplanes/nope/{endpoint}", mesh(), dp()).body == error(
        404, "Could not retrieve Dataplane", "Not found"
    )
    not_exclusive = get(f"{BASE}/{endpoint}", mesh("Everywhere"), dp())
    assert not_exclusive.body == error(
        400,
        "Bad Request",
        "bad request: can't use _policies endpoint without meshService enabled",
    )
    assert exit_status(not_exclusive.status) == 4
    assert get(f"{BASE}/{endpoint}", mesh(), dp()).status == 200


def test_an_invalid_kri_is_a_bad_request() -> None:
    response = get(f"{BASE}/_outbounds/kri_msvc_x/_policies", mesh(), dp())
    assert response.body == error(
        400, "Bad Request", 'bad request: invalid identifier string: "kri_msvc_x"'
    )


# -- E1 _layout ------------------------------------------------------------------------


def test_layout_lists_inbounds_listeners_and_every_destination_port() -> None:
    other = service(
        "other",
        {"port": 81, "appProtocol": "tcp"},
        {"port": 82, "name": "admin", "appProtocol": "http"},
    )
    zone_proxy = dp(listeners=[{"type": "ZoneEgress", "port": 10002, "name": "egress"}])
    body = get(f"{BASE}/_layout", mesh(), zone_proxy, BACKEND, other).body
    assert body == {
        "inbounds": [
            {
                "kri": WEB_KRI,
                "port": 8080,
                "protocol": "",
                "proxyResourceName": "self_inbound_dp_http",
            },
            {
                "kri": "kri_dp_default_zone-1_demo_dp-1_9090",
                "port": 9090,
                "protocol": "grpc",
                "proxyResourceName": "self_inbound_dp_9090",
            },
        ],
        "kri": DP_KRI,
        "labels": labelled("dp-1"),
        "listeners": [
            {
                "kri": "kri_dp_default_zone-1_demo_dp-1_egress",
                "port": 10002,
                "proxyResourceName": "self_zoneegress_dp_egress",
                "type": "ZoneEgress",
            }
        ],
        "outbounds": [
            {"kri": BACKEND_KRI, "port": 80, "protocol": "http", "proxyResourceName": BACKEND_KRI},
            {
                "kri": "kri_msvc_default_zone-1_demo_other_81",
                "port": 81,
                "protocol": "tcp",
                "proxyResourceName": "kri_msvc_default_zone-1_demo_other_81",
            },
            {
                "kri": "kri_msvc_default_zone-1_demo_other_admin",
                "port": 82,
                "protocol": "http",
                "proxyResourceName": "kri_msvc_default_zone-1_demo_other_admin",
            },
        ],
    }


def test_layout_without_listeners_before_2_14() -> None:
    body = get(f"{BASE}/_layout", mesh(), dp(), version=V2_13).body
    assert "listeners" not in body
    assert [i["protocol"] for i in body["inbounds"]] == ["", "grpc"]


def test_layout_reachable_backends_pick_ports() -> None:
    other = service(
        "other",
        {"port": 81, "appProtocol": "tcp"},
        {"port": 82, "name": "admin", "appProtocol": "http"},
    )
    proxying = {
        "reachableBackends": {
            "refs": [
                {"kind": "MeshService", "name": "other"},  # "" finds the first unnamed port
                {"kind": "MeshService", "name": "backend", "port": 80},
                {"kind": "MeshService", "name": "missing"},
            ]
        }
    }
    body = get(f"{BASE}/_layout", mesh(), dp(transparentProxying=proxying), BACKEND, other).body
    assert [o["kri"] for o in body["outbounds"]] == [
        BACKEND_KRI,
        "kri_msvc_default_zone-1_demo_other_81",
    ]


def test_layout_errors_in_handler_order() -> None:
    assert get(f"{BASE}/_layout", mesh(""), dp()).body == error(
        400, "Bad Request", "bad request: can't use _layout endpoint without meshService enabled"
    )
    assert get("/meshes/default/dataplanes/nope/_layout", mesh(), dp()).body == error(
        404, "Failed to retrieve Dataplane", "Not found"
    )


# -- E2-E6 -----------------------------------------------------------------------------


def test_proxy_policies_are_the_single_item_types() -> None:
    trace = policy(
        "MeshTrace",
        "tr",
        {"targetRef": MESH_REF, "default": {"sampling": {"overall": 50}}},
    )
    body = get(f"{BASE}/_policies", mesh(), dp(), trace, *TIMEOUTS).body
    assert body == {
        "policies": [
            {
                "conf": {"sampling": {"overall": 50}},  # no CRD default for client/random
                "kind": "MeshTrace",
                "origins": [{"kri": "kri_mtr_default_zone-1_demo_tr_"}],
            }
        ]
    }


def test_inbound_policies_list_each_rule_with_its_origin() -> None:
    body = get(f"{BASE}/_inbounds/{WEB_KRI}/_policies", mesh(), dp(), *TIMEOUTS).body
    inbound = "kri_mt_default_zone-1_demo_inbound_"
    assert body == {
        "policies": [
            {
                "kind": "MeshTimeout",
                "origins": [{"kri": inbound}],
                "rules": [
                    {"conf": {"idleTimeout": "7s"}, "kri": inbound},
                    {"conf": {"idleTimeout": "8s"}, "kri": inbound},
                ],
            }
        ]
    }


def test_inbound_origins_repeat_per_rule_before_2_14() -> None:
    body = get(f"{BASE}/_inbounds/{WEB_KRI}/_policies", mesh(), dp(), *TIMEOUTS, version=V2_13).body
    assert len(body["policies"][0]["origins"]) == 2


def test_inbound_found_by_port_section_and_missing_one_is_500() -> None:
    by_port = get(
        f"{BASE}/_inbounds/kri_dp_default_zone-1_demo_dp-1_9090/_policies", mesh(), dp(), *TIMEOUTS
    )
    assert by_port.status == 200 and by_port.body["policies"]
    missing = get(f"{BASE}/_inbounds/kri_dp_default_zone-1_demo_dp-1_nope/_policies", mesh(), dp())
    assert missing.body == error(500, "Failed building response", "Internal Server Error")
    assert exit_status(missing.status) == 5


def test_outbound_policies_fall_back_to_the_service_then_the_mesh() -> None:
    body = get(f"{BASE}/_outbounds/{BACKEND_KRI}/_policies", mesh(), dp(), BACKEND, *TIMEOUTS).body
    origin = {"kri": "kri_mt_default_zone-1_demo_to-backend_"}
    assert body == {
        "policies": [
            {
                "conf": [{"connectionTimeout": "1s", "idleTimeout": "5s"}],
                "kind": "MeshTimeout",
                "origins": [origin, origin],
            }
        ]
    }
    elsewhere = "kri_msvc_default_zone-1_demo_elsewhere_"
    body = get(f"{BASE}/_outbounds/{elsewhere}/_policies", mesh(), dp(), BACKEND, *TIMEOUTS).body
    assert body["policies"][0]["conf"] == [{"connectionTimeout": "1s"}]


ROUTE = policy(
    "MeshHTTPRoute",
    "api",
    {
        "targetRef": MESH_REF,
        "to": [
            {
                "targetRef": {"kind": "MeshService", "name": "backend"},
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
                        "default": {
                            "backendRefs": [{"kind": "MeshService", "name": "backend", "port": 80}]
                        },
                    }
                ],
            }
        ],
    },
)


def test_routes_of_an_outbound_name_the_route_of_each_rule() -> None:
    body = get(f"{BASE}/_outbounds/{BACKEND_KRI}/_routes", mesh(), dp(), BACKEND, ROUTE).body
    route = "kri_mhttpr_default_zone-1_demo_api_"
    assert body == {
        "routes": [
            {
                "kind": "MeshHTTPRoute",
                "origins": [{"kri": route}],
                "rules": [
                    {
                        "conf": {
                            "backendRefs": [
                                {"kind": "MeshService", "name": "backend", "port": 80, "weight": 1}
                            ]
                        },
                        "kri": route,
                        "matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
                    }
                ],
            }
        ]
    }


def test_route_policies_look_up_the_route_then_the_outbound() -> None:
    per_route = policy(
        "MeshTimeout",
        "per-route",
        {
            "targetRef": MESH_REF,
            "to": [
                {
                    "targetRef": {"kind": "MeshHTTPRoute", "name": "api"},
                    "default": {"idleTimeout": "3s"},
                }
            ],
        },
    )
    route_kri = "kri_mhttpr_default_zone-1_demo_api_"
    path = f"{BASE}/_outbounds/{BACKEND_KRI}/_routes/{route_kri}/_policies"
    body = get(path, mesh(), dp(), BACKEND, ROUTE, per_route, *TIMEOUTS).body
    assert [p["kind"] for p in body["policies"]] == ["MeshTimeout"]
    assert body["policies"][0]["conf"] == [{"connectionTimeout": "1s", "idleTimeout": "3s"}]
    other_route = "kri_mhttpr_default_zone-1_demo_other_"
    path = f"{BASE}/_outbounds/{BACKEND_KRI}/_routes/{other_route}/_policies"
    body = get(path, mesh(), dp(), BACKEND, ROUTE, per_route, *TIMEOUTS).body
    assert body["policies"][0]["conf"] == [{"connectionTimeout": "1s", "idleTimeout": "5s"}]


# -- _rules and E8 -----------------------------------------------------------------------


def test_rules_follow_the_version_and_name_unknowns() -> None:
    assert get(f"{BASE}/_rules", mesh(), dp(), *TIMEOUTS, version=V2_10).status == 200
    assert get("/meshes/default/dataplanes/nope/_rules", mesh(), dp()).body == error(
        404, "Could not retrieve Dataplane", "Not found"
    )
    assert get("/meshes/x/dataplanes/dp-1/_rules", mesh(), dp()).body == error(
        404, "Failed to retrieve Mesh", "Not found"
    )


def dataplanes(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        proxy = dp()
        proxy["name"] = f"dp-{i}"
        out.append(proxy)
    return out


def test_affected_dataplanes_page_by_size_and_offset() -> None:
    docs = [mesh(), *dataplanes(5), *TIMEOUTS]
    path = "/meshes/default/meshtimeouts/inbound/_resources/dataplanes"
    first = get(f"{path}?size=2", *docs).body
    assert first["total"] == 5
    assert [i["name"] for i in first["items"]] == ["dp-0", "dp-1"]
    assert first["next"] == f"http://localhost:5681{path}?offset=2&size=2"
    last = get(f"{path}?size=2&offset=4", *docs).body
    assert [i["name"] for i in last["items"]] == ["dp-4"]
    assert "next" not in last
    named = get(f"{path}?name=dp-3", *docs).body
    assert [i["name"] for i in named["items"]] == ["dp-3"]


def test_affected_dataplanes_errors() -> None:
    docs = [mesh(), dp(), *TIMEOUTS]
    path = "/meshes/default/meshtimeouts/inbound/_resources/dataplanes"
    too_big = get(f"{path}?size=1001", *docs)
    assert too_big.status == 400
    assert too_big.body["invalid_parameters"] == [
        {"field": "size", "reason": "Invalid page size of 1001. Maximum page size is 1000"}
    ]
    assert get("/meshes/default/meshtimeouts/nope/_resources/dataplanes", *docs).body == error(
        404, "Could not retrieve policy", "Not found"
    )
    assert get("/meshes/default/nopes/x/_resources/dataplanes", *docs).status == 404


def test_mesh_service_dataplanes_by_tags_or_ref_from_2_13() -> None:
    by_tags = service("web", {"port": 8080, "appProtocol": "http"})
    by_tags["spec"]["selector"] = {"dataplaneTags": {"kuma.io/service": "web"}}
    by_ref = service("one", {"port": 8080, "appProtocol": "http"})
    by_ref["spec"]["selector"] = {"dataplaneRef": {"name": "dp-3"}}
    docs = [mesh(), *dataplanes(4), by_tags, by_ref]
    tags_body = get("/meshes/default/meshservices/web/_dataplanes?size=3", *docs).body
    assert tags_body["total"] == 4
    assert [i["name"] for i in tags_body["items"]] == ["dp-0", "dp-1", "dp-2"]
    ref_body = get("/meshes/default/meshservices/one/_dataplanes", *docs).body
    assert ref_body == {
        "items": [
            {"labels": labelled("dp-1"), "mesh": "default", "name": "dp-3", "type": "Dataplane"}
        ],
        "total": 1,
    }
    assert get("/meshes/default/meshservices/web/_dataplanes", *docs, version=V2_12).status == 404
    assert get("/meshes/default/meshservices/nope/_dataplanes", *docs).body == error(
        404, "Could not retrieve policy", "Not found"
    )


def test_kri_endpoint_finds_the_resource_from_2_13() -> None:
    docs = [mesh(), dp(), *TIMEOUTS]
    path = "/_kri/kri_mt_default_zone-1_demo_inbound_"
    body = get(path, *docs).body
    assert body["type"] == "MeshTimeout"
    assert body["name"] == "inbound"
    assert body["kri"] == "kri_mt_default_zone-1_demo_inbound_"
    assert body["spec"]["rules"][0]["default"] == {"idleTimeout": "7s"}
    k8s = get(f"{path}?format=k8s", *docs).body
    assert k8s["metadata"] == {
        "name": "inbound",
        "namespace": "demo",
        "labels": labelled("inbound"),
    }
    assert get("/_kri/kri_mt_default_zone-1_demo_none_", *docs).body == error(
        404, "Could not retrieve a resource", "Not found"
    )
    assert get("/_kri/kri_nope", *docs).status == 400
    assert get(path, *docs, version=V2_12).status == 404


def legacy_api(*docs: dict[str, Any], version: KumaVersion = V2_14) -> InspectApi:
    contents = parse_text(yaml_text(*docs), "input.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=version))
    return InspectApi(result.resources, version, legacy=result.legacy)


def test_legacy_policies_select_by_sources_destinations_or_selectors() -> None:
    web, db = dataplanes(2)
    db["networking"]["inbound"] = [{"port": 5432, "tags": {"kuma.io/service": "db"}}]
    permission = {
        "type": "TrafficPermission",
        "mesh": "default",
        "name": "web-to-db",
        "sources": [{"match": {"kuma.io/service": "nothing"}}],
        "destinations": [{"match": {"kuma.io/service": "db"}}],
    }
    template = {
        "type": "ProxyTemplate",
        "mesh": "default",
        "name": "all",
        "selectors": [{"match": {"kuma.io/service": "*"}}],
        "conf": {"imports": ["default-proxy"]},
    }
    docs = [mesh(), web, db, permission, template]
    for version in (V2_10, V2_14):
        served = legacy_api(*docs, version=version)
        body = served.get("/meshes/default/trafficpermissions/web-to-db/_resources/dataplanes").body
        assert [i["name"] for i in body["items"]] == ["dp-1"]
        body = served.get("/meshes/default/proxytemplates/all/_resources/dataplanes").body
        assert [i["name"] for i in body["items"]] == ["dp-0", "dp-1"]
    missing = legacy_api(*docs).get("/meshes/default/retries/nope/_resources/dataplanes")
    assert missing.body == error(404, "Could not retrieve policy", "Not found")


def test_legacy_policy_in_kubernetes_form() -> None:
    route = {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "MeshGatewayRoute",
        "mesh": "default",
        "metadata": {"name": "edge-routes"},
        "spec": {"selectors": [{"match": {"kuma.io/service": "web"}}], "conf": {}},
    }
    served = legacy_api(mesh(), *dataplanes(1), route)
    body = served.get("/meshes/default/meshgatewayroutes/edge-routes/_resources/dataplanes").body
    assert body["total"] == 1
