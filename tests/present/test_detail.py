"""The detail views: built from explicit inputs, redrawn only where an edit changed the rules."""

from __future__ import annotations

from pathlib import Path

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.model import Resource
from meshtui.parse import ContextOptions, parse_documents
from meshtui.present.cache import Cache
from meshtui.present.dataplane import dataplane_detail
from meshtui.present.detail import tree_changes
from meshtui.sources.files import load_path
from meshtui.views import DetailNode, DetailView
from tests.versions import V2_10

SEED = Path(__file__).resolve().parents[2] / "sample-cluster" / "producer-consumer"
CONSUMER = "consumer.first-consumer"
DEMO = "demo-app-5d8c6b9f47-xk2lp.kuma-demo"


def _view(*children: DetailNode) -> DetailView:
    return DetailView(title="t", tree=DetailNode("root", "r", children))


def test_tree_changes_flags_relabelled_and_new_nodes_only() -> None:
    kept = DetailNode("a", "A", (DetailNode("a/1", "x: 1"),))
    old = _view(kept, DetailNode("b", "B", (DetailNode("b/1", "y: 1"),)), DetailNode("gone", "G"))
    new = _view(
        kept,
        DetailNode("b", "B", (DetailNode("b/1", "y: 2"),)),
        DetailNode("c", "C", (DetailNode("c/1", "z"),)),
    )
    assert tree_changes(old, new) == {"b/1", "c", "c/1"}
    assert tree_changes(new, new) == set()


def test_opening_a_folded_section_marks_none_of_its_lines_changed() -> None:
    folded = _view(DetailNode("s", "S", expanded=False, lazy=True))
    opened = _view(DetailNode("s", "S", (DetailNode("s/1", "x: 1"),)))
    assert tree_changes(folded, opened) == set()
    relabelled = _view(DetailNode("s", "S (2)", (DetailNode("s/1", "x: 2"),)))
    assert tree_changes(opened, relabelled) == {"s", "s/1"}


def test_a_cache_computes_once_per_distinct_key_and_starts_over_when_full() -> None:
    cache: Cache[tuple[str, str], str] = Cache("test", limit=3)
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag

    assert cache.get(("a", "k"), lambda: compute("1")) == "1"
    assert cache.get(("a", "k"), lambda: compute("2")) == "1", "an equal key is a hit"
    assert cache.get(("a", "other"), lambda: compute("3")) == "3"
    assert calls == ["1", "3"]
    cache.get(("b", "k"), lambda: "4")
    cache.get(("c", "k"), lambda: "5")  # the limit: the cache starts over
    assert len(cache) == 1


def _resources() -> list[Resource]:
    documents, _ = load_path(SEED)
    return list(parse_documents(documents, ContextOptions(version=V2_10)).resources)


def test_an_edit_redraws_only_the_rules_it_changed() -> None:
    resources = _resources()
    before = build_index(resources, "default", version=V2_10)
    first = MeshEvaluation(before)
    opened = frozenset({"tags", "tags/MeshTimeout"})  # the legacy view, opened by the user
    old = dataplane_detail(first, CONSUMER, opened)
    old_demo = dataplane_detail(first, DEMO)

    def edited(r: Resource) -> Resource:
        if r.name != "consumer-timeout.first-consumer":
            return r
        http = {"requestTimeout": "4s"}
        item = {**r.spec["to"][0], "default": {"http": http}}
        return Resource(
            type=r.type, mesh=r.mesh, name=r.name, labels=r.labels, spec={**r.spec, "to": [item]}
        )

    after = build_index([edited(r) for r in resources], "default", previous=before, version=V2_10)
    carried = MeshEvaluation.following(first, after)
    new = dataplane_detail(carried, CONSUMER, opened)
    assert old.tree is not None and new.tree is not None
    changed = tree_changes(old, new)
    labels = {n.node_id: n.label for n in new.tree.walk()}
    assert {i: labels[i] for i in changed} == {
        "out:MeshService/demo-app.kuma-demo:/MeshTimeout/c0/l1": (
            "  requestTimeout: 4s  ← consumer-timeout to[0] · overrides 1s"
        ),
        # the legacy view of the same rule
        "tags/MeshTimeout/1/l1": "  requestTimeout: 4s  ← consumer-timeout to[0]",
    }
    new_demo = dataplane_detail(carried, DEMO)
    assert old_demo.tree is not None and new_demo.tree is not None
    assert tree_changes(old_demo, new_demo) == set()
    old_inbound, new_inbound = (
        next(n for n in view.tree.children if n.node_id.startswith("in:"))
        for view in (old_demo, new_demo)
        if view.tree is not None
    )
    (old_from,), (new_from,) = old_inbound.children, new_inbound.children  # MTP's from rules
    assert new_from.children and all(
        a is b for a, b in zip(old_from.children, new_from.children, strict=True)
    ), "the subtrees of unchanged rules are the very same objects"
