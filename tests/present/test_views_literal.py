"""Every text the views hand to the widgets is safe to print, whatever the input holds.

Names, labels, tags, addresses, confs, file names, mesh names, kinds and status lines
carry escapes (CSI, OSC), C1 controls, bidi overrides and zero-width characters: no
view, table, side list, header, detail (tree or YAML, every folded section opened) or
command-line message may let one through unescaped.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meshtui.inventory import Inventory
from meshtui.present import header_view, namespaces_view, roles_view
from meshtui.present.commands import run_command
from meshtui.present.detail import DetailRequest, detail_for
from meshtui.present.highlights import Highlights
from meshtui.present.navigator import NavState
from meshtui.present.tables import table_counts, table_for
from meshtui.views import VIEWS, DetailNode, DetailView, RowKey
from tests.builders import evaluation_of, inventory_of

UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
DANGEROUS = ["\x1b[31m", "\x1b]0;pwn\x07", "\x9b2J", "\u202e", "\u2066", "\u200b", "\u2028", "\n"]

hostile = st.tuples(
    st.sampled_from(DANGEROUS),
    st.lists(st.sampled_from(DANGEROUS) | st.sampled_from(["a", "[bold]", "x"]), max_size=3),
).map(lambda parts: parts[0] + "".join(parts[1]))
NOT_PRINTED = frozenset({"key", "node_id", "target", "state"})
"""Fields that identify (row keys, node ids, jump targets) or hold state, never shown."""


def timeout(value: str) -> dict[str, Any]:
    return {"http": {"requestTimeout": value}}


def documents(text: str) -> list[dict[str, Any]]:
    """A small Universal mesh with `text` in every free-form string field."""
    return [
        {"type": "Mesh", "name": "default"},
        {"type": "Mesh", "name": f"other{text}"},
        {
            "type": "Dataplane",
            "mesh": "default",
            "name": f"dp{text}",
            "labels": {"team": text, f"k{text}": "v"},
            "networking": {
                "address": f"10.0.0.1{text}",
                "inbound": [
                    {
                        "port": 8080,
                        "name": f"http{text}",
                        "tags": {"kuma.io/service": f"svc{text}", "app": text},
                    }
                ],
            },
        },
        {
            "type": "MeshTimeout",
            "mesh": "default",
            "name": f"timeout{text}",
            "labels": {"note": text, "kuma.io/policy-role": text},
            "spec": {
                "targetRef": {"kind": "Dataplane", "labels": {"team": text}},
                "to": [
                    {"targetRef": {"kind": "Mesh"}, "default": {"http": {"requestTimeout": "5s"}}}
                ],
                "from": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "5s"}}],
            },
        },
        {
            "type": "MeshAccessLog",
            "mesh": "default",
            "name": f"log{text}",
            "spec": {
                "targetRef": {"kind": "Mesh"},
                "from": [
                    {
                        "targetRef": {"kind": "Mesh"},
                        "default": {"backends": [{"file": {"path": f"/tmp/{text}"}}]},
                    }
                ],
            },
        },
        {
            "type": "MeshTimeout",
            "mesh": "default",
            "name": f"elsewhere{text}",
            "spec": {
                "targetRef": {"kind": "Dataplane", "labels": {"team": f"nobody{text}"}},
                "to": [
                    {"targetRef": {"kind": "Mesh"}, "default": {"http": {"requestTimeout": "1s"}}}
                ],
            },
        },
        {
            "type": "MeshTimeout",
            "mesh": "default",
            "name": f"bad{text}",
            "spec": {"targetRef": {"kind": "Mesh"}, "from": [{"default": {"idleTimeout": text}}]},
        },
        {
            "type": "MeshService",
            "mesh": "default",
            "name": f"svc{text}",
            "labels": {"x": text},
            "spec": {"ports": [{"port": 80, "name": f"p{text}", "appProtocol": text}]},
        },
        {"type": f"Kind{text}", "mesh": "default", "name": f"n{text}"},
    ]


def strings(value: object) -> Iterator[str]:
    """Every line of text inside a view model."""
    if isinstance(value, str):
        yield from value.split("\n")
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            if item.name not in NOT_PRINTED:
                yield from strings(getattr(value, item.name))


def opened_fully(request: DetailRequest) -> DetailView:
    """The detail with every folded section opened, as a user clicking them all sees it."""
    view = detail_for(request)
    while view.tree is not None:
        lazy = {n.node_id for n in view.tree.walk() if n.lazy and not n.children}
        if not lazy:
            break
        request = dataclasses.replace(request, opened=request.opened | lazy)
        view = detail_for(request)
    return view


def all_views(inventory: Inventory, text: str) -> Iterator[object]:
    ev = evaluation_of(inventory)
    problems = inventory.problems
    base = NavState(mesh="default", filter="")
    yield header_view(
        mode="FOLDER",
        source=f"folder{text}",
        ev=ev,
        meshes=inventory.mesh_names,
        problems=problems,
        updated="now",
        status=f"watching{text}",
        kinds={f"Kind{text}": (f"forbidden{text}", 0.0)},
    )
    for state in (base, NavState(mesh="default", namespaces=frozenset({text}), role=text)):
        yield namespaces_view(ev, inventory.namespaces, state)
        yield roles_view(ev, state)
    counts = {**table_counts(ev, "policies"), **table_counts(ev, "services")}
    for view in VIEWS:
        for state in (NavState(mesh="default", view=view), NavState(view=view, filter=text)):
            table = table_for(state, ev, inventory, problems, Highlights(), 0.0, counts)
            yield table
        keys: list[RowKey] = [row.key for row in table_for(
            NavState(mesh="default", view=view), ev, inventory, problems, Highlights(), 0.0, {}
        ).rows]  # fmt: skip
        for key in keys:
            for mode in ("tree", "yaml"):
                request = DetailRequest(key, mode, frozenset(), ev, inventory, problems)
                yield opened_fully(request)
    for line in (f"mesh {text}", f"ns {text}", f"role {text}", text, "mesh"):
        yield run_command(line, base, meshes=inventory.mesh_names, namespaces=[text])


def unsafe(shown: str) -> list[str]:
    return [c for c in shown if unicodedata.category(c) in UNSAFE_CATEGORIES]


@settings(max_examples=25, deadline=None)
@given(hostile)
def test_no_view_lets_a_control_or_format_character_through(text: str) -> None:
    inventory = inventory_of(*documents(text), file=f"/in{text}/mesh{text}.yaml")
    assert any(text in r.name for r in inventory.resources), "the hostile input was loaded"
    shown = [s for view in all_views(inventory, text) for s in strings(view)]
    assert any("\\" in s for s in shown), "escapes are shown, visibly"
    bad = {s: unsafe(s) for s in shown if unsafe(s)}
    assert not bad


def test_a_dataplane_detail_reaches_every_section() -> None:
    """The walk above opens the folded sections: check that it does see their lines."""
    inventory = inventory_of(*documents("x"))
    ev = evaluation_of(inventory)
    key = next(iter(r.key for r in table_for(
        NavState(mesh="default"), ev, inventory, (), Highlights(), 0.0, {}
    ).rows))  # fmt: skip
    view = opened_fully(DetailRequest(key, "tree", frozenset(), ev, inventory, ()))
    assert view.tree is not None
    nodes: list[DetailNode] = list(view.tree.walk())
    assert not any(n.lazy and not n.children for n in nodes)
    assert any(n.node_id == "matched" and n.children for n in nodes)
    assert any(n.node_id == "unmatched" and n.children for n in nodes)
