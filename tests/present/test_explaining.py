"""The explain (`e`) and why-not (`w`) detail views, built without Textual."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.inventory import Inventory
from meshtui.parse import ContextOptions, parse_documents
from meshtui.present.detail import DetailRequest, build_detail
from meshtui.present.explaining import (
    EXPLAIN,
    WHY,
    counterpart,
    explain_detail,
    explained_detail,
    subject,
    unavailable,
    why_detail,
)
from meshtui.present.navigator import NavState
from meshtui.sources.files import load_path
from meshtui.versions import PROFILES, KumaVersion
from meshtui.views import DetailView, ResourceRow
from tests.app.test_literal import UNIVERSAL
from tests.present.test_blame import _all_opened, _evaluations
from tests.versions import V2_10

FIRST = ResourceRow("dataplanes", "Dataplane", "consumer.first-consumer")
SECOND = ResourceRow("dataplanes", "Dataplane", "consumer.second-consumer")
PRODUCER = ResourceRow("policies", "MeshTimeout", "producer-timeout.kuma-demo")
CONSUMER = ResourceRow("policies", "MeshTimeout", "consumer-timeout.first-consumer")
SERVICE = ResourceRow("services", "MeshService", "demo-app.kuma-demo")
OUTBOUND = "out:MeshService/demo-app.kuma-demo:/MeshTimeout"
"""The seed's outbound MeshTimeout rule of first-consumer, in the rules tree."""


@pytest.fixture(scope="module")
def seed() -> MeshEvaluation:
    return _evaluations(V2_10)[0]


def _lines(view: DetailView) -> list[tuple[str, str, str]]:
    """(label, target name, style) of every node under the root."""
    assert view.tree is not None
    return [(n.label, n.target.name if n.target else "", n.style) for n in view.tree.walk()[1:]]


def _labels(view: DetailView) -> list[str]:
    return [label for label, _, _ in _lines(view)]


# ---------------------------------------------------------------------- what is explained


def test_w_pairs_the_selection_with_the_other_lists_selection() -> None:
    on_policy = NavState(view="policies", selected={"dataplanes": FIRST, "policies": PRODUCER})
    assert counterpart(on_policy) == FIRST
    assert counterpart(replace(on_policy, view="dataplanes")) == PRODUCER
    assert counterpart(NavState(view="dataplanes", selected={"dataplanes": FIRST})) is None
    assert counterpart(NavState(view="services", selected={"services": SERVICE})) is None


def test_what_cannot_be_explained_says_what_to_select() -> None:
    alone = NavState(view="dataplanes", selected={"dataplanes": FIRST})
    assert unavailable(alone, EXPLAIN) == ""
    assert unavailable(alone, WHY).startswith("w: select a policy first (2)")
    policy_alone = NavState(view="policies", selected={"policies": PRODUCER})
    assert unavailable(policy_alone, WHY).startswith("select a dataplane first (1)")
    assert unavailable(policy_alone, EXPLAIN).startswith("select a dataplane first (1)")
    both = replace(policy_alone, selected={"policies": PRODUCER, "dataplanes": FIRST})
    assert unavailable(both, WHY) == unavailable(both, EXPLAIN) == ""
    services = NavState(view="services", selected={"services": SERVICE})
    assert unavailable(services, EXPLAIN).startswith("e and w explain a dataplane or a policy")


def test_a_request_carries_the_focus_and_the_pair_only_in_the_modes_that_use_them() -> None:
    state = NavState(view="policies", selected={"dataplanes": FIRST, "policies": PRODUCER})
    assert subject(state, OUTBOUND) == ("", None)
    assert subject(replace(state, detail_mode="yaml"), OUTBOUND) == ("", None)
    assert subject(replace(state, detail_mode=WHY), OUTBOUND) == ("", FIRST)
    assert subject(replace(state, detail_mode=EXPLAIN), OUTBOUND) == (OUTBOUND, FIRST)


# ---------------------------------------------------------------------- explain


def test_the_seed_rule_explained_blame_overridden_value_order_and_why(
    seed: MeshEvaluation,
) -> None:
    """The issue's seed scenario: 3s is consumer-timeout's, it overrides producer-timeout's
    1s, and the order is said in words: the consumer role ranks above producer."""
    view = explain_detail(seed, FIRST.name, f"{OUTBOUND}/c0/l1")
    assert view.title == (
        "Explain  consumer (first-consumer)  ·  MeshTimeout outbound MeshService kuma-demo/demo-app"
    )
    assert _lines(view) == [
        ("Fields: who set them  (1)", "", ""),
        ("http.requestTimeout: 3s  ← consumer-timeout (first-consumer)  to[0]", CONSUMER.name, ""),
        ("overrides 1s  from producer-timeout (kuma-demo)  to[0]", PRODUCER.name, "muted"),
        ("Merge order, lowest priority first  (2)", "", ""),
        ("1. producer-timeout (kuma-demo · producer · zone default)  to[0]", PRODUCER.name, ""),
        (
            "2. consumer-timeout (first-consumer · consumer · zone default)  to[0]",
            CONSUMER.name,
            "",
        ),
        ("Why this order", "", ""),
        (
            "consumer-timeout comes after producer-timeout: role consumer ranks above producer",
            "",
            "",
        ),
    ]


def test_e_on_the_rule_line_itself_or_on_its_origin_explains_the_same_rule(
    seed: MeshEvaluation,
) -> None:
    on_leaf = explain_detail(seed, FIRST.name, f"{OUTBOUND}/c0/l1")
    for focus in (OUTBOUND, f"{OUTBOUND}/o:consumer-timeout.first-consumer#0"):
        view = explain_detail(seed, FIRST.name, focus)
        assert view.title == on_leaf.title and _lines(view) == _lines(on_leaf)


def test_e_on_a_section_explains_its_rules_and_elsewhere_every_merged_conf(
    seed: MeshEvaluation,
) -> None:
    tags = explain_detail(seed, FIRST.name, "tags")
    assert tags.title.endswith("·  Outbounds by kuma.io/service tag (legacy)")
    assert [n.label for n in tags.tree.children] == [  # type: ignore[union-attr]
        "Outbounds by kuma.io/service tag (legacy)  (2 rules)"
    ]
    every = explain_detail(seed, FIRST.name, "matched")
    assert every.title.endswith("·  every merged conf")
    assert [n.label for n in every.tree.children] == [  # type: ignore[union-attr]
        "outbound MeshService kuma-demo/demo-app  (1 rule)",
        "Outbounds by kuma.io/service tag (legacy)  (2 rules)",
    ]
    assert explain_detail(seed, FIRST.name, "").title == every.title
    rules = [n.label for n in every.tree.walk() if n.label.startswith("MeshTimeout")]  # type: ignore[union-attr]
    assert rules == [
        "MeshTimeout",  # the section names the place
        "MeshTimeout  to-tags [kuma.io/service=demo-app]",
        "MeshTimeout  to-tags [kuma.io/service=]",
    ]


def _folder_evaluation(folder: Path, text: str) -> MeshEvaluation:
    (folder / "mesh.yaml").write_text(text)
    documents, _ = load_path(folder)
    resources = list(parse_documents(documents, ContextOptions(version=V2_10)).resources)
    return MeshEvaluation(build_index(resources, "default", version=V2_10))


LONELY = """\
type: Mesh
name: default
---
type: Dataplane
mesh: default
name: lonely
networking:
  address: 10.0.0.1
  inbound: [{port: 8080, tags: {kuma.io/service: lonely}}]
"""


def test_e_on_the_line_grouping_an_inbounds_tag_rules_explains_those(
    seed: MeshEvaluation,
) -> None:
    redis = "redis-7b9c6f5d8-4mzqt.kuma-demo"
    view = explain_detail(seed, redis, "in:6379/MeshTrafficPermission/from")
    assert view.title == (
        "Explain  redis-7b9c6f5d8-4mzqt (kuma-demo)  ·"
        "  MeshTrafficPermission from-tags 10.244.0.13:6379 [every kuma.io/service]"
    )
    assert "action: Allow  ← mtp (kuma-demo)  from[0]" in _labels(view)


def test_a_proxy_without_merged_confs_says_so(tmp_path: Path) -> None:
    ev = _folder_evaluation(tmp_path, LONELY)
    view = explain_detail(ev, "lonely", "")
    assert _labels(view) == ["no merged conf on this proxy"]
    assert explain_detail(ev, "nope", "").empty_text == "dataplane nope is gone"


def test_explanations_are_built_only_for_the_sections_shown(
    seed: MeshEvaluation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past eight sections they start folded, and their rules are explained once opened."""
    import meshtui.present.explaining as explaining

    monkeypatch.setattr(explaining, "OPEN_OUTBOUNDS", 1)
    view = explain_detail(seed, FIRST.name, "")
    assert view.tree is not None
    sections = view.tree.children
    assert all(s.lazy and not s.children for s in sections)
    opened = explain_detail(seed, FIRST.name, "", frozenset({sections[0].node_id}))
    assert opened.tree is not None
    assert opened.tree.children[0].children and not opened.tree.children[1].children


@pytest.mark.parametrize("version", PROFILES.values(), ids=str)
def test_every_rule_the_tree_draws_is_explained_under_its_own_node_id(
    version: KumaVersion,
) -> None:
    """The explanation of the line under the cursor is the rule that line belongs to, under
    every profile: each rule node of the tree, given as the focus, explains one rule whose
    fields match the tree's blamed lines."""
    checked = 0
    for ev in _evaluations(version):
        for name in sorted(ev.index.dataplanes):
            for node in _all_opened(ev, name):
                leaves = [c for c in node.children if "  ← " in c.label]
                if not leaves:
                    continue
                view = explain_detail(ev, name, leaves[-1].node_id)
                assert view.tree is not None
                blamed = [
                    n.label.split("  ← ")[1].split(" (")[0]
                    for n in view.tree.walk()
                    if n.node_id.rsplit("/", 1)[-1][:1] == "f" and n.target is not None
                ]
                assert blamed == [leaf.label.split("  ← ")[1].split(" ")[0] for leaf in leaves], (
                    version,
                    name,
                    node.node_id,
                )
                checked += 1
    assert checked > 50


# ---------------------------------------------------------------------- why (not)


def test_why_a_policy_that_applies_wins_and_loses(seed: MeshEvaluation) -> None:
    policy = seed.index.find_policy(PRODUCER.type, PRODUCER.name)
    dataplane = seed.index.dataplanes[FIRST.name]
    assert policy is not None
    view = why_detail(seed, policy, dataplane)
    assert view.title == "Why (not)  MeshTimeout producer-timeout  →  consumer (first-consumer)"
    assert view.subtitle.startswith("applies · wins 1 field(s), loses 1")
    assert _lines(view) == [
        (
            "Policy     MeshTimeout producer-timeout (kuma-demo · producer · zone default)",
            PRODUCER.name,
            "",
        ),
        ("Dataplane  consumer (first-consumer)", FIRST.name, ""),
        ("Applies: it selects this proxy", "", "added"),
        ("Fields it wins: final values  (1)", "", ""),
        ("to-tags [kuma.io/service=demo-app]  http.requestTimeout: 1s", "", ""),
        ("Fields it sets but loses  (1)", "", ""),
        (
            "outbound MeshService kuma-demo/demo-app  http.requestTimeout: 1s"
            "  → 3s from consumer-timeout to[0]",
            CONSUMER.name,
            "",
        ),
    ]


def test_why_not_gives_every_reason(seed: MeshEvaluation) -> None:
    policy = seed.index.find_policy(CONSUMER.type, CONSUMER.name)
    assert policy is not None
    view = why_detail(seed, policy, seed.index.dataplanes[SECOND.name])
    assert view.subtitle.startswith("does not apply · 1 reason(s)")
    assert _lines(view)[2:] == [
        ("Does not apply  (1 reason(s))", "", "error"),
        (
            "namespace: a consumer policy in 'first-consumer' only applies to proxies in that"
            " namespace",
            "",
            "warning",
        ),
    ]


def test_explained_detail_pairs_rows_either_way_and_says_what_is_missing(
    seed: MeshEvaluation,
) -> None:
    def shown(key: ResourceRow, mode: str, other: ResourceRow | None) -> DetailView:
        return explained_detail(seed, key, mode, focus="", other=other, opened=frozenset())

    from_policy = shown(PRODUCER, WHY, FIRST)
    assert shown(FIRST, WHY, PRODUCER) == from_policy
    assert shown(PRODUCER, EXPLAIN, FIRST) == from_policy, "e on a policy: why, for the dataplane"
    assert shown(FIRST, EXPLAIN, PRODUCER).title.startswith("Explain  consumer")
    assert shown(PRODUCER, WHY, None).empty_text == "no dataplane selected to explain this against"
    assert shown(FIRST, WHY, None).empty_text == "no policy selected to explain this against"
    gone = ResourceRow("policies", "MeshTimeout", "deleted")
    assert shown(FIRST, WHY, gone).empty_text == "deleted is not in this mesh"
    assert shown(SERVICE, WHY, FIRST).empty_text == "e and w explain a dataplane or a policy"


def test_the_detail_worker_builds_explanations_for_the_request(seed: MeshEvaluation) -> None:
    inventory = Inventory.empty(ContextOptions(version=V2_10))
    request = DetailRequest(FIRST, WHY, frozenset(), seed, inventory, (), None, "", PRODUCER)
    built = build_detail(request)
    assert built.view.title.startswith("Why (not)  MeshTimeout producer-timeout")
    explain = replace(request, mode=EXPLAIN, focus=OUTBOUND, other=None)
    assert build_detail(explain).view.title.endswith(
        "MeshTimeout outbound MeshService kuma-demo/demo-app"
    )
    assert not request.same_as(replace(request, other=CONSUMER))
    assert not explain.same_as(replace(explain, focus="tags"))
    tree = build_detail(replace(request, mode="tree", other=None))
    follows = build_detail(replace(explain, previous=tree.view))
    assert follows.changed == frozenset(), "another mode of the subject is not a change of it"


def test_names_from_resources_are_escaped(tmp_path: Path) -> None:
    """Text from resources reaches the views escaped (`literal`); markup stays text (the
    widgets never parse it)."""
    ev = _folder_evaluation(tmp_path, UNIVERSAL)
    escaped, markup = "esc-\x1b[31m-dp", "[bold]x[/bold]"
    policy = ev.index.find_policy("MeshTimeout", "[red]timeout[/red]")
    assert policy is not None
    explained = explain_detail(ev, markup, "")
    why = why_detail(ev, policy, ev.index.dataplanes[escaped])
    for view in (explained, why):
        assert not any("\x1b" in text for text in (view.title, view.subtitle, *_labels(view)))
    assert explained.title.startswith("Explain  [bold]x[/bold] ((none))")
    assert any("← [red]timeout[/red] ((none))  to[0]" in t for t in _labels(explained))
    assert why.title.endswith("→  esc-\\x1b[31m-dp ((none))")
    assert "Dataplane  esc-\\x1b[31m-dp ((none))" in _labels(why)


@pytest.mark.parametrize("version", PROFILES.values(), ids=str)
def test_why_says_applies_exactly_for_the_policies_the_rules_matched(version: KumaVersion) -> None:
    """Under every profile, for every policy and proxy of the sample, the why view's verdict
    agrees with the merged rules (a policy applies if and only if it is matched there)."""
    pairs = 0
    for ev in _evaluations(version):
        policies = [p for typed in ev.index.policies.values() for p in typed]
        for name, dataplane in sorted(ev.index.dataplanes.items()):
            rules = ev.rules(name)
            assert rules is not None
            matched = {p.key for t in rules.types for p in t.matched}
            for policy in policies:
                view = why_detail(ev, policy, dataplane)
                assert view.subtitle.startswith("applies") == (policy.key in matched), (
                    version,
                    name,
                    policy.key,
                )
                pairs += 1
    assert pairs > 100
