"""Blame in the rules tree: the lines `yaml_lines` draws, each blamed leaf naming its entry.

The tree's lines and the engine's blame are checked against each other on every proxy of
the sample under every Kuma profile: each blamed field lands on exactly one line, which
names the field's winning entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.explain import FieldBlame, Setter, explain_rules
from meshtui.engine.index import build_index
from meshtui.model import MESH_REF, Policy, Resource
from meshtui.parse import ContextOptions, parse_documents
from meshtui.present.blame import blamed_conf_nodes, path_lines, winner_note
from meshtui.present.dataplane import dataplane_detail, exclusive_services
from meshtui.present.tables import row_key
from meshtui.present.text import yaml_lines
from meshtui.sources.files import load_path
from meshtui.versions import PROFILES, KumaVersion
from meshtui.views import DetailNode

SAMPLE = Path(__file__).resolve().parents[2] / "sample-cluster"
CONSUMER = "consumer.first-consumer"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["yes", "1.5", "a: b", "x #y", "\x1b[31m", "", "- x"]),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_like)
def test_path_lines_are_the_lines_yaml_lines_draws(value: Any) -> None:
    assert [line for line, _ in path_lines(value)] == yaml_lines(value)


def test_each_line_starts_the_paths_of_the_values_it_begins() -> None:
    conf = {"http": {"requestTimeout": "3s"}, "list": [{"name": "a", "x": 1}, "b"], "e": {}}
    assert path_lines(conf) == [
        ("http:", (("http",),)),
        ("  requestTimeout: 3s", (("http", "requestTimeout"),)),
        ("list:", (("list",),)),
        ("- name: a", (("list", 0), ("list", 0, "name"))),
        ("  x: 1", (("list", 0, "x"),)),
        ("- b", (("list", 1),)),
        ("e: {}", (("e",),)),
    ]


def _policy(name: str) -> Policy:
    return Policy(
        resource=Resource(type="MeshTimeout", mesh="default", name=name), target_ref=MESH_REF
    )


def test_a_blamed_line_names_the_winner_and_what_it_overrode_and_jumps_to_it() -> None:
    winner, loser = _policy("consumer"), _policy("producer")
    field = FieldBlame(
        ("http", "requestTimeout"),
        "3s",
        Setter(winner, "to[0]", "3s"),
        (Setter(loser, "to[0]", "1s"),),
    )
    nodes = blamed_conf_nodes("r", {"http": {"requestTimeout": "3s"}}, [field])
    assert nodes == (
        DetailNode("r/l0", "http:"),
        DetailNode(
            "r/l1",
            "  requestTimeout: 3s  ← consumer to[0] · overrides 1s",
            target=row_key(winner.resource),
        ),
    )
    two = FieldBlame(("a",), 1, Setter(winner, "default", 1), (Setter(loser, "default", 2),) * 2)
    assert winner_note(two) == "  ← consumer default · overrides 2 values"
    assert winner_note(FieldBlame(("a",), None, None)) == ""


def test_names_from_resources_are_escaped_in_the_note() -> None:
    evil = _policy("a\x1b]0;owned\x07")
    note = winner_note(FieldBlame(("a",), 1, Setter(evil, "to[0]", 1)))
    assert note == "  ← a\\x1b]0;owned\\x07 to[0]"


def _evaluations(version: KumaVersion) -> list[MeshEvaluation]:
    documents, _ = load_path(SAMPLE)
    resources = list(parse_documents(documents, ContextOptions(version=version)).resources)
    return [
        MeshEvaluation(build_index(resources, mesh, version=version))
        for mesh in ("default", "shop")
    ]


def _all_opened(ev: MeshEvaluation, name: str) -> list[DetailNode]:
    """Every node of the dataplane's tree, with every folded section opened."""
    opened: set[str] = set()
    while True:
        view = dataplane_detail(ev, name, frozenset(opened))
        assert view.tree is not None
        lazy = {n.node_id for n in view.tree.walk() if n.lazy and not n.children} - opened
        if not lazy:
            return list(view.tree.walk())
        opened |= lazy


@pytest.mark.parametrize("version", PROFILES.values(), ids=str)
def test_every_blamed_field_of_the_sample_names_its_winner_on_one_tree_line(
    version: KumaVersion,
) -> None:
    blamed = 0
    for ev in _evaluations(version):
        hidden = "to-tags" if exclusive_services(ev) else None  # the tree leaves them out
        for name in sorted(ev.index.dataplanes):
            rules = ev.rules(name)
            assert rules is not None
            labels = [n.label for n in _all_opened(ev, name) if not n.label.startswith("← ")]
            notes = sorted(label[label.index("  ← ") :] for label in labels if "  ← " in label)
            expected = sorted(
                winner_note(f)
                for t in rules.types
                for rule in explain_rules(ev.index, rules.dataplane, t)
                if hidden is None or not rule.where.startswith(hidden)
                for f in rule.fields
                if f.winner is not None
            )
            assert notes == expected, (version, name)
            blamed += len(notes)
    assert blamed > 500, "the sample's proxies have hundreds of blamed lines"
