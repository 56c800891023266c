"""The dataplane detail for Kuma 2.12+ (`present.proxy`), in the model Kuma's GUI uses.

Expectations come from the sample's README (mesh `shop`, worked out from the specs) and
from spec kuma-2.14.md §4-§6 (S3/S4 unmerged inbound rules and matches, E2-E6 lookups,
K1 KRIs); 2.10 and 2.11 keep the older tree.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from meshtui.engine.api import ProxyPolicies
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.model import Dataplane, Resource
from meshtui.parse import ContextOptions, parse_documents
from meshtui.present.dataplane import dataplane_detail
from meshtui.present.kris import layout_of, match_text, matches_text
from meshtui.present.proxy import dataplane_view, outbound_section, uses_policies_model
from meshtui.sources.files import load_path, parse_text
from meshtui.versions import KumaVersion
from meshtui.views import DetailNode, DetailView, ResourceRow
from tests.engine.rules_support import yaml_text
from tests.engine.test_api import BACKEND, BACKEND_KRI, MESH_REF, ROUTE, dp, mesh, policy
from tests.versions import V2_10, V2_11, V2_12, V2_13, V2_14

SHOP = Path(__file__).resolve().parents[2] / "sample-cluster" / "shop"
WEB = "web-6f7c9d8b45-2xkqp.shop-frontend"
PAYMENTS = "payments-69c7d5b8f4-wq2ls.shop-payments"
ORDERS_KRI = "kri_msvc_shop_default_shop-backend_orders_http"
EVERY_SECTION = frozenset({"matched", "unmatched"})


def shop(version: KumaVersion) -> MeshEvaluation:
    documents, _ = load_path(SHOP)
    resources = parse_documents(documents, ContextOptions(version=version)).resources
    return MeshEvaluation(build_index(resources, "shop", version=version))


def universal(*docs: dict[str, Any], version: KumaVersion = V2_14) -> MeshEvaluation:
    contents = parse_text(yaml_text(*docs), "input.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=version))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    return MeshEvaluation(build_index(result.resources, "default", version=version))


def node(view: DetailView, node_id: str) -> DetailNode:
    assert view.tree is not None
    found = [n for n in view.tree.walk() if n.node_id == node_id]
    assert found, f"no node {node_id}: {[n.node_id for n in view.tree.walk()][:80]}"
    return found[0]


def labels(parent: DetailNode) -> list[str]:
    return [child.label for child in parent.children]


def test_a_sidecar_at_2_14_shows_proxy_inbounds_outbounds_and_routes_with_kris() -> None:
    view = dataplane_view(shop(V2_14), WEB)
    assert view.tree is not None
    top = labels(view.tree)
    assert top[:3] == [
        "KRI  kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_",
        "Proxy  (proxy-wide policies)",
        "Inbound :8080 (http)  web_shop-frontend_svc_8080  protocol http",
    ]
    outbounds = [label for label in top if label.startswith("Outbound ")]
    assert len(outbounds) == 8, "every MeshService port, the external and the multi-zone one"
    assert "Outbound MeshService orders · shop-backend · zone default  :http  port 8080  http" in (
        outbounds
    )
    assert view.tree.copy is not None
    assert view.tree.copy.text == "kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_"


def test_inbound_rules_are_not_merged_from_2_12() -> None:
    """README, web inbound 8080: mesh-timeout-all-shop then legacy-with-timeout (from[0]
    each), one rule per entry (S3), neither merged into the other."""
    inbound = "in:kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_http"
    view = dataplane_view(shop(V2_14), WEB)
    timeouts = node(view, f"{inbound}/MeshTimeout")
    assert timeouts.label == "MeshTimeout  (2 rules, not merged)"
    first, second = timeouts.children
    assert first.label == "rule 1 of 2  (every client)"
    assert labels(first)[-1] == (
        "← MeshTimeout mesh-timeout-all-shop (kuma-system · system · global)  from[0]"
        "  kri_mt_shop__kuma-system_mesh-timeout-all-shop_"
    )
    assert labels(second) == [
        "http:",
        "  requestTimeout: 1s",
        "← MeshTimeout legacy-with-timeout (kuma-system · system · zone default)  from[0]"
        "  kri_mt_shop_default_kuma-system_legacy-with-timeout_",
    ]
    assert second.copy is not None and second.copy.text == "http:\n  requestTimeout: 1s\n"
    origin = second.children[-1]
    assert origin.target == ResourceRow(
        "policies", "MeshTimeout", "legacy-with-timeout.kuma-system"
    )
    assert origin.copy is not None
    assert origin.copy.text == "kri_mt_shop_default_kuma-system_legacy-with-timeout_"


def test_a_rule_entry_is_named_rules_and_a_from_entry_from() -> None:
    """README, payments inbound 9090: `payments-grpc-inbound` is a `rules[0]` entry."""
    inbound = "in:kri_dp_shop_default_shop-payments_payments-69c7d5b8f4-wq2ls_grpc"
    view = dataplane_view(shop(V2_12), PAYMENTS)
    second = node(view, f"{inbound}/MeshTimeout/r1")
    owner = "(shop-payments · workload-owner · zone default)"
    assert labels(second)[-1].startswith(f"← MeshTimeout payments-grpc-inbound {owner}  rules[0]")
    assert second.label == "rule 2 of 2", "no matches before 2.14"


def test_an_outbound_shows_its_merged_conf_and_origins_and_falls_back_to_the_mesh() -> None:
    """README table, `orders`:`http`: connect 5s, idle 30m0s, request 5s, streamIdle
    30m0s from three origins; a destination nobody targets takes the Mesh's rule (E4)."""
    view = dataplane_view(shop(V2_14), WEB)
    orders = node(view, f"out:{ORDERS_KRI}/MeshTimeout")
    assert orders.label == "MeshTimeout"
    # each conf line names the entry whose value is final (the blame of `explain`)
    assert labels(orders) == [
        "connectionTimeout: 5s  ← mesh-timeout-all-shop to[0]",
        "idleTimeout: 30m0s  ← orders-timeout to[0] · overrides 1h0m0s",
        "http:",
        "  requestTimeout: 5s  ← legacy-with-timeout to[0] · overrides 2 values",
        "  streamIdleTimeout: 30m0s  ← mesh-timeout-all-shop to[0]",
        "← MeshTimeout mesh-timeout-all-shop (kuma-system · system · global)  to[0]"
        "  kri_mt_shop__kuma-system_mesh-timeout-all-shop_",
        "← MeshTimeout orders-timeout (shop-backend · producer · zone default)  to[0]"
        "  kri_mt_shop_default_shop-backend_orders-timeout_",
        "← MeshTimeout legacy-with-timeout (kuma-system · system · zone default)  to[0]"
        "  kri_mt_shop_default_kuma-system_legacy-with-timeout_",
    ]
    canary = node(view, "out:kri_msvc_shop_default_shop-backend_orders-canary_http/MeshTimeout")
    assert canary.label == "MeshTimeout  (the Mesh's rule)"
    assert any(line.startswith("  requestTimeout: 15s") for line in labels(canary))
    retries = node(view, f"out:{ORDERS_KRI}/MeshRetry")
    assert retries.label == "MeshRetry  (every port)", "web-retries targets orders, no port"


def test_the_routes_of_an_outbound_list_each_rule_with_its_matches() -> None:
    """README, MeshHTTPRoute `orders-split`: `x-canary` → orders-canary, then PathPrefix
    `/` → orders 90 / orders-canary 10; the route types are shown as routes only."""
    view = dataplane_view(shop(V2_14), WEB)
    outbound = node(view, f"out:{ORDERS_KRI}")
    assert "MeshHTTPRoute" not in [c.label for c in outbound.children]
    route_kri = "kri_mhttpr_shop_default_shop-backend_orders-split_"
    route = node(view, f"out:{ORDERS_KRI}/route:MeshHTTPRoute:{route_kri}")
    assert route.label == "MeshHTTPRoute orders-split (shop-backend · producer · zone default)"
    assert route.target == ResourceRow("policies", "MeshHTTPRoute", "orders-split.shop-backend")
    assert labels(route)[:3] == [
        f"KRI  {route_kri}",
        "rule 1  matches headers x-canary Exact true",
        "rule 2  matches path PathPrefix /",
    ]
    policies = route.children[-1]
    assert labels(policies) == [
        "as on the outbound: MeshTimeout, MeshHealthCheck, MeshCircuitBreaker, MeshRetry"
    ]


def test_a_policy_set_on_a_route_is_shown_on_that_route() -> None:
    """E6: a `to: MeshHTTPRoute` item keys a rule on the route itself."""
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
    view = dataplane_view(universal(mesh(), dp(), BACKEND, ROUTE, per_route), "dp-1")
    route = f"out:{BACKEND_KRI}/route:MeshHTTPRoute:kri_mhttpr_default_zone-1_demo_api_"
    on_route = node(view, f"{route}/p/MeshTimeout")
    assert labels(on_route) == [
        "idleTimeout: 3s  ← per-route to[0]",
        "← MeshTimeout per-route (demo · system · zone zone-1)  to[0]"
        "  kri_mt_default_zone-1_demo_per-route_",
    ]
    rule = node(view, f"{route}/r0")
    assert rule.label == "rule 1  matches path PathPrefix /v1"


def test_2_14_expands_an_inbound_rule_per_match_most_specific_first() -> None:
    """Spec §4 S4/O2: a `rules[]` entry with `matches` becomes one rule per match, sorted
    before the catch-all."""
    timeouts = policy(
        "MeshTimeout",
        "t1",
        {
            "targetRef": MESH_REF,
            "rules": [
                {"default": {"idleTimeout": "7s"}},
                {
                    "matches": [
                        {"spiffeID": {"type": "Exact", "value": "spiffe://default/ns/demo/sa/b"}}
                    ],
                    "default": {"http": {"requestTimeout": "2s"}},
                },
            ],
        },
    )
    view = dataplane_view(universal(mesh(), dp(), timeouts), "dp-1")
    rules = node(view, "in:kri_dp_default_zone-1_demo_dp-1_http/MeshTimeout")
    assert labels(rules) == [
        "rule 1 of 2  match spiffeID Exact spiffe://default/ns/demo/sa/b",
        "rule 2 of 2  (every client)",
    ]


@pytest.mark.parametrize("version", [V2_10, V2_11])
def test_before_2_12_the_detail_is_the_merged_tree(version: KumaVersion) -> None:
    ev = shop(version)
    assert dataplane_view(ev, WEB) == dataplane_detail(ev, WEB)


@pytest.mark.parametrize("version", [V2_12, V2_13, V2_14])
def test_from_2_12_every_proxy_but_a_builtin_gateway_takes_the_new_model(
    version: KumaVersion,
) -> None:
    res = Resource(type="Dataplane", mesh="m", name="d", labels={}, spec={})
    assert uses_policies_model(version, Dataplane(resource=res, address=""))
    assert uses_policies_model(
        version, Dataplane(resource=res, address="", gateway_type="DELEGATED")
    )
    assert not uses_policies_model(
        version, Dataplane(resource=res, address="", gateway_type="BUILTIN")
    )
    assert not uses_policies_model(V2_11, Dataplane(resource=res, address=""))


def test_the_tail_sections_are_the_older_trees() -> None:
    view = dataplane_view(shop(V2_14), WEB, EVERY_SECTION)
    assert view.tree is not None
    tail = [n.label for n in view.tree.children if not n.node_id.startswith(("in:", "out:"))]
    assert tail[-2:] == [
        "Matched policies, merge order  (15)",
        "Policies that do not apply, and why  (5)",
    ]
    assert "Outbounds by kuma.io/service tag  (legacy toRules)" not in tail, "shop is Exclusive"


def test_matches_read_as_one_line() -> None:
    assert match_text(
        {
            "spiffeID": {"type": "Prefix", "value": "spiffe://x/"},
            "sni": {"type": "Exact", "value": "a.b"},
        }
    ) == ("spiffeID Prefix spiffe://x/, sni Exact a.b")
    assert (
        matches_text(
            [
                {"path": {"type": "Exact", "value": "/a"}, "method": "GET"},
                {"headers": [{"type": "Exact", "name": "x", "value": "1"}]},
                {},
            ]
        )
        == "path Exact /a, method GET | headers x Exact 1 | everything"
    )


def test_a_layout_is_reused_only_while_its_inputs_are_the_same_objects() -> None:
    """`layout_of` against the plain `layout()`: after an edit of a policy (proxy and
    destinations untouched) the very same layout; after a new MeshService, a new one."""
    documents, _ = load_path(SHOP)
    resources = list(parse_documents(documents, ContextOptions(version=V2_14)).resources)
    before = build_index(resources, "shop", version=V2_14)
    first = MeshEvaluation(before)

    def proxy_of(ev: MeshEvaluation) -> ProxyPolicies:
        rules = ev.rules(WEB)
        assert rules is not None
        return ProxyPolicies(ev.index, rules.dataplane, rules.types)

    kept = layout_of(proxy_of(first))
    assert kept == proxy_of(first).layout()
    edited = [
        replace(r, spec={**r.spec, "default": {}}) if r.name == "shop-tracing.kuma-system" else r
        for r in resources
    ]
    policy_edit = MeshEvaluation(build_index(edited, "shop", previous=before, version=V2_14))
    assert layout_of(proxy_of(policy_edit)) is kept
    orders = next(r for r in resources if r.name == "orders.shop-backend")
    extra = replace(
        orders, name="extra.shop-backend", labels={**orders.labels, "kuma.io/display-name": "extra"}
    )
    added = MeshEvaluation(build_index([*resources, extra], "shop", previous=before, version=V2_14))
    fresh = layout_of(proxy_of(added))
    assert fresh is not kept and fresh == proxy_of(added).layout()
    assert any("_extra_" in o["kri"] for o in fresh["outbounds"])


def test_the_section_showing_an_outbound_rule_follows_the_model() -> None:
    ev = shop(V2_14)
    orders = next(r for r in ev.index.services["MeshService"] if r.display_name == "orders")
    assert outbound_section(ev, WEB, orders, "http") == f"out:{ORDERS_KRI}"
    assert outbound_section(ev, WEB, orders, "") == f"out:{ORDERS_KRI}", "its first port"
    old = shop(V2_11)
    assert outbound_section(old, WEB, orders, "http") == "out:MeshService/orders.shop-backend:http"
    assert outbound_section(ev, "gone", orders, "") == ""
