"""Generic policy kinds (a kind meshtui has no schema for, in the targetRef shape):
matched and ordered as every policy, merged as plain JSON (RFC 7396: later wins, `null`
deletes, lists are replaced, nothing is appended), after every known kind in `_rules`.

Worked out from the rules spec (§ ordering: equal targetRef kinds, origins and roles
fall to the name, the lexicographically lower one merged last) and RFC 7396.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.api import InspectApi
from meshtui.engine.diff import diff_meshes
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.explain import explain_dataplane
from meshtui.engine.inspect import rules_body, to_json
from meshtui.engine.matching import select_gateway
from meshtui.engine.rules import type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import parse_text
from meshtui.versions import KumaVersion
from tests.engine.rules_support import (
    MESH_REF,
    WEB,
    WEB_INBOUND,
    block,
    dataplane,
    load,
    mesh,
    policy,
    rules,
    to_item,
    types,
    yaml_text,
)
from tests.versions import V2_10, V2_12, V2_14

OPA = "MeshOPA"
GRL = "MeshGlobalRateLimit"
DP = dataplane(inbounds=[WEB])

LOW = {
    "appendPolicies": [{"rego": "low"}],
    "gone": 1,
    "agent": {"x": "low", "keep": True},
}
HIGH = {"appendPolicies": [{"rego": "high"}], "gone": None, "agent": {"x": "high"}}
MERGED = {"appendPolicies": [{"rego": "high"}], "agent": {"x": "high", "keep": True}}


def opa(name: str, default: dict[str, Any], target: dict[str, Any] | None = None) -> Any:
    return policy(OPA, name, {"targetRef": target or MESH_REF, "default": default})


def grl(name: str, **sections: Any) -> Any:
    return policy(GRL, name, {"targetRef": MESH_REF, **sections})


@pytest.mark.parametrize("version", [V2_10, V2_14], ids=str)
def test_a_top_level_default_merges_as_plain_json_with_the_lower_name_last(
    version: KumaVersion,
) -> None:
    body = rules(mesh(), DP, opa("a-high", HIGH), opa("b-low", LOW), version=version)
    got = block(body, OPA)
    assert got["proxyRule"]["conf"] == MERGED
    assert [o["name"] for o in got["proxyRule"]["origin"]] == ["b-low", "a-high"]


def test_a_more_specific_top_level_target_wins_over_the_name() -> None:
    # a Dataplane targetRef outranks Mesh whatever the names say
    specific = opa("b-low", LOW, {"kind": "Dataplane", "name": "dp-1"})
    body = rules(mesh(), DP, opa("a-high", HIGH), specific, version=V2_14, allow_invalid=True)
    conf = block(body, OPA)["proxyRule"]["conf"]
    assert conf == {
        "appendPolicies": [{"rego": "low"}],
        "gone": 1,
        "agent": {"x": "low", "keep": True},
    }


def test_to_entries_merge_per_target_as_plain_json() -> None:
    low = grl("b-low", to=[to_item(MESH_REF, {"x": 2, "y": [1, 2]})])
    high = grl("a-high", to=[to_item(MESH_REF, {"x": 1, "y": [3]})])
    got = block(rules(mesh(), DP, low, high, version=V2_14), GRL)
    mesh_rules = [r for r in got["toResourceRules"] if r["resourceMeta"]["type"] == "Mesh"]
    assert [r["conf"] for r in mesh_rules] == [[{"x": 1, "y": [3]}]]
    assert [o["resourceMeta"]["name"] for o in mesh_rules[0]["origin"]] == ["b-low", "a-high"]


def test_rules_entries_are_merged_up_to_2_11_and_one_per_entry_from_2_12() -> None:
    low = grl("b-low", rules=[{"default": {"x": 2, "z": True}}])
    high = grl("a-high", rules=[{"default": {"x": 1}}])
    merged = block(rules(mesh(), DP, low, high, version=V2_10), GRL)["inboundRules"]
    assert merged == [
        {
            "inbound": WEB_INBOUND,
            "rules": [
                {
                    "conf": [{"x": 1, "z": True}],
                    "origin": [
                        {"resourceMeta": _meta("b-low"), "ruleIndex": 0},
                        {"resourceMeta": _meta("a-high"), "ruleIndex": 0},
                    ],
                }
            ],
        }
    ]
    unmerged = block(rules(mesh(), DP, low, high, version=V2_12), GRL)["inboundRules"]
    assert [r["conf"] for r in unmerged[0]["rules"]] == [[{"x": 2, "z": True}], [{"x": 1}]]


def _meta(name: str) -> dict[str, Any]:
    return {"type": GRL, "mesh": "m", "name": name, "labels": {}}


def test_generic_kinds_come_after_every_known_kind_in_name_order() -> None:
    body = rules(
        mesh(),
        DP,
        opa("o", HIGH),
        grl("g", to=[to_item(MESH_REF, {"x": 1})]),
        policy("MeshTimeout", "t", {"targetRef": MESH_REF, "to": [to_item(MESH_REF, {})]}),
        version=V2_14,
    )
    found = types(body)
    assert found[-2:] == [GRL, OPA]
    assert all(kind in POLICY_KINDS for kind in found[:-2])


def test_a_generic_kind_that_matches_nothing_has_no_block() -> None:
    other = opa("o", HIGH, {"kind": "Dataplane", "name": "elsewhere"})
    body = rules(mesh(), DP, other, version=V2_14, allow_invalid=True)
    assert block(body, OPA) is None


def test_explain_blames_each_leaf_of_a_generic_conf_on_the_entry_that_set_it() -> None:
    index = load(mesh(), DP, opa("a-high", HIGH), opa("b-low", LOW), version=V2_14)
    (explained,) = explain_dataplane(index, index.dataplanes["dp-1"], OPA)
    blame = {f.path: f.winner.policy.resource.name for f in explained.fields if f.winner}
    assert blame[("agent", "x")] == "a-high"
    assert blame[("agent", "keep")] == "b-low"


def test_the_shared_path_equals_the_plain_one_for_generic_kinds() -> None:
    docs = [
        mesh(),
        DP,
        dataplane("dp-2", inbounds=[WEB], address="10.0.0.2"),
        opa("a-high", HIGH),
        opa("b-low", LOW, {"kind": "Dataplane", "name": "dp-2"}),
        grl("g1", to=[to_item(MESH_REF, {"x": 1})], rules=[{"default": {"r": 1}}]),
        grl("g2", **{"from": [to_item(MESH_REF, {"f": [1]})]}),
    ]
    index = load(*docs, version=V2_14, allow_invalid=True)
    evaluation = MeshEvaluation(index)
    for name, dp in index.dataplanes.items():
        gateway = select_gateway(index, dp)
        plain = [
            type_rules(index, dp, kind, gateway=gateway, fast=False) for kind in index.policy_types
        ]
        assert evaluation.rules_body(name) == rules_body(index, dp, computed=plain), name
        assert to_json(evaluation.rules_body(name))  # it prints


def test_removing_a_generic_kind_is_a_change_only_for_the_proxies_it_reached() -> None:
    base = [mesh(), DP, dataplane("dp-2", inbounds=[WEB], address="10.0.0.2")]
    reaching = opa("o", HIGH, {"kind": "Dataplane", "name": "dp-2"})
    before = load(*base, reaching, version=V2_14, allow_invalid=True)
    after = load(*base, version=V2_14)
    diff = diff_meshes(before, after)
    assert [(c.dataplane, c.stopped) for c in diff.changes] == [("dp-2", (f"{OPA} o",))]
    added = diff_meshes(after, before)
    assert [(c.dataplane, c.started) for c in added.changes] == [("dp-2", (f"{OPA} o",))]


def test_resources_dataplanes_serves_a_generic_kind_by_its_plural() -> None:
    docs = [mesh(), DP, dataplane("dp-2", inbounds=[WEB], address="10.0.0.2")]
    target = {"kind": "Dataplane", "name": "dp-2"}
    contents = parse_text(yaml_text(*docs, opa("o", HIGH, target)), "input.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=V2_14))
    api = InspectApi(result.resources, V2_14)
    found = api.get("/meshes/m/meshopas/o/_resources/dataplanes")
    assert found.status == 200
    assert [item["name"] for item in found.body["items"]] == ["dp-2"]
    assert api.get("/meshes/m/meshopas/nope/_resources/dataplanes").status == 404
    assert api.get("/meshes/m/meshbogi/o/_resources/dataplanes").status == 404
