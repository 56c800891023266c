"""Checking a proxy against the control plane's own answer (`present.crosscheck`), without
a control plane: which requests are planned, and what answers make of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.parse import ContextOptions, parse_documents
from meshtui.present.crosscheck import (
    MAX_OUTBOUNDS,
    CheckPlan,
    CpCheck,
    check_node,
    judge,
    plan_check,
    with_check,
)
from meshtui.sources.files import load_path
from meshtui.versions import KumaVersion
from meshtui.views import DetailNode, DetailView
from tests.engine.test_api import dp, mesh, service
from tests.present.test_proxy import universal
from tests.versions import V2_10, V2_11, V2_14

SAMPLE = Path(__file__).resolve().parents[2] / "sample-cluster"
WEB = "web-6f7c9d8b45-2xkqp.shop-frontend"
CONSUMER = "consumer.first-consumer"


@dataclass(frozen=True)
class Said:
    """An answer as the control plane's client gives it."""

    status: int
    body: object
    problem: str = ""


def evaluation(folder: str, mesh_name: str, version: KumaVersion) -> MeshEvaluation:
    documents, _ = load_path(SAMPLE / folder)
    resources = parse_documents(documents, ContextOptions(version=version)).resources
    return MeshEvaluation(build_index(resources, mesh_name, version=version))


def agreeing(plan: CheckPlan) -> list[Said]:
    return [Said(status, copy.deepcopy(body)) for _, status, body in plan.requests]


def test_rules_are_asked_for_before_2_12_and_for_a_mesh_that_is_not_exclusive() -> None:
    for ev, name in (
        (evaluation("shop", "shop", V2_11), WEB),
        (evaluation("producer-consumer", "default", V2_14), CONSUMER),
    ):
        plan = plan_check(ev, name)
        assert plan is not None and plan.family == "_rules"
        ((path, status, body),) = plan.requests
        assert (path, status) == (f"/meshes/{ev.mesh}/dataplanes/{name}/_rules", 200)
        assert body == ev.rules_body(name)


def test_the_policies_family_is_asked_for_on_an_exclusive_mesh_from_2_12() -> None:
    ev = evaluation("shop", "shop", V2_14)
    plan = plan_check(ev, WEB)
    assert plan is not None and plan.family == "_policies" and plan.note == ""
    base = f"/meshes/shop/dataplanes/{WEB}/"
    asked = [path.removeprefix(base) for path, _, _ in plan.requests]
    assert asked[:3] == [
        "_layout",
        "_policies",
        "_inbounds/kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_http/_policies",
    ]
    assert "_outbounds/kri_msvc_shop_default_shop-backend_orders_http/_routes" in asked
    assert len(asked) == 3 + 2 * 8, "two requests for each of the 8 outbounds"


def test_only_the_first_outbounds_are_compared() -> None:
    services = [
        service(f"svc-{i:02d}", {"port": 80, "name": "http", "appProtocol": "http"})
        for i in range(MAX_OUTBOUNDS + 1)
    ]
    plan = plan_check(universal(mesh(), dp(), *services), "dp-1")
    assert plan is not None
    assert plan.note == f"{MAX_OUTBOUNDS} of {MAX_OUTBOUNDS + 1} outbounds"
    assert len(plan.requests) == 2 + 2 + 2 * MAX_OUTBOUNDS  # two inbounds


def test_the_same_answers_match() -> None:
    ev = evaluation("shop", "shop", V2_14)
    plan = plan_check(ev, WEB)
    assert plan is not None
    check = judge(plan, agreeing(plan))
    assert (check.state, check.summary, check.differences) == (
        "matches",
        "(_policies, 19 requests)",
        (),
    )
    assert check_node(check).label == "✓ matches the control plane  (_policies, 19 requests)"


def test_a_different_field_is_named_by_its_path() -> None:
    ev = evaluation("producer-consumer", "default", V2_10)
    plan = plan_check(ev, CONSUMER)
    assert plan is not None
    (said,) = agreeing(plan)
    body: Any = said.body
    timeout = body["rules"][0]["toRules"][1]["conf"]["http"]
    assert timeout == {"requestTimeout": "3s"}
    timeout["requestTimeout"] = "4s"
    check = judge(plan, [said])
    assert check.state == "differs" and check.summary == "in 1 place (_rules, 1 request)"
    assert check.differences == (
        '_rules rules[0].toRules[1].conf.http.requestTimeout: meshtui "3s", control plane "4s"',
    )
    shown = check_node(check)
    assert shown.label == "✗ differs from the control plane in 1 place (_rules, 1 request)"
    (line,) = shown.children
    assert line.copy is not None and line.copy.text == check.differences[0] + "\n"


def test_an_older_control_plane_answering_404_is_a_difference() -> None:
    ev = evaluation("shop", "shop", V2_14)
    plan = plan_check(ev, WEB)
    assert plan is not None
    missing = {"type": "/std-errors", "status": 404, "title": "Not Found", "detail": "Not found"}
    answers = [Said(404, missing) for _ in plan.requests]
    check = judge(plan, answers)
    assert check.state == "differs"
    assert check.differences[0] == "_layout: meshtui answers 200, control plane 404 (Not Found)"


def test_a_control_plane_that_cannot_be_asked_is_said_quietly() -> None:
    ev = evaluation("producer-consumer", "default", V2_10)
    plan = plan_check(ev, CONSUMER)
    assert plan is not None
    refused = "cannot reach the control plane's API: no permission to proxy (403)"
    check = judge(plan, [Said(403, None, refused)])
    assert (check.state, check.summary) == ("failed", refused)
    shown = check_node(check)
    assert (
        shown.style == "muted"
        and shown.label == f"not checked against the control plane: {refused}"
    )


def test_the_verdict_goes_first_in_the_tree_and_nowhere_else() -> None:
    ev = evaluation("producer-consumer", "default", V2_10)
    tree = DetailView(title="t", tree=DetailNode("root", "r", (DetailNode("a", "A"),)))
    asking = CpCheck.asking(ev, CONSUMER)
    shown = with_check(tree, asking)
    assert shown.tree is not None
    assert [n.label for n in shown.tree.children] == ["asking the control plane…", "A"]
    text = DetailView(title="t", text="kind: Mesh\n", syntax="yaml")
    assert with_check(text, asking) is text
    assert with_check(tree, None) is tree
    assert plan_check(ev, "gone") is None
