"""The dataplane detail's type headings: a generic policy kind is marked as such wherever
the detail names its type, and a type's many legacy `from` rules start folded."""

from __future__ import annotations

import pytest

from meshtui.present.dataplane import OPEN_INBOUND_LINES
from meshtui.present.proxy import dataplane_view
from meshtui.versions import KumaVersion
from tests.engine.test_api import MESH_REF, dp, mesh, policy
from tests.present.test_proxy import universal
from tests.versions import V2_10, V2_14

OPA = policy("MeshOPA", "opa", {"targetRef": MESH_REF, "default": {"agentConfig": {"x": 1}}})
TIMEOUT = policy(
    "MeshTimeout",
    "t",
    {"targetRef": MESH_REF, "to": [{"targetRef": MESH_REF, "default": {"idleTimeout": "1s"}}]},
)


@pytest.mark.parametrize("version", [V2_10, V2_14], ids=str)
def test_the_detail_marks_generic_types_and_only_them(version: KumaVersion) -> None:
    view = dataplane_view(
        universal(mesh(), dp(), OPA, TIMEOUT, version=version),
        "dp-1",
        frozenset({"matched"}),
    )
    assert view.tree is not None
    labels = [node.label for node in view.tree.walk()]
    assert "MeshOPA (generic)" in labels  # the proxy-wide conf
    assert "MeshOPA (generic)  (1)" in labels  # the matched policies
    assert not [label for label in labels if "MeshTimeout" in label and "generic" in label]
    assert any(label.startswith("MeshTimeout") for label in labels)


def test_many_legacy_from_rules_are_folded_and_built_when_opened() -> None:
    """An inbound's legacy `from` rules by client tags that cannot fit an open inbound
    (two lines each at least, OPEN_INBOUND_LINES in all) start folded and unbuilt."""
    clients = [
        {
            "targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": f"client-{i}"}},
            "default": {"action": "Allow" if i % 2 else "Deny"},
        }
        for i in range(OPEN_INBOUND_LINES // 2 + 1)
    ]
    mtp = policy("MeshTrafficPermission", "mtp", {"targetRef": MESH_REF, "from": clients})
    ev = universal(mesh(), dp(), mtp, version=V2_14)
    view = dataplane_view(ev, "dp-1")
    assert view.tree is not None
    found = [n for n in view.tree.walk() if n.label.endswith("(from, by client tags)")]
    assert len(found) == 2  # one per inbound of dp-1
    assert all((n.lazy, n.expanded, n.children) == (True, False, ()) for n in found)
    folded = found[0]
    opened = dataplane_view(ev, "dp-1", frozenset({folded.node_id}))
    assert opened.tree is not None
    [shown] = [n for n in opened.tree.walk() if n.node_id == folded.node_id]
    assert len(shown.children) > OPEN_INBOUND_LINES // 2


def test_a_few_legacy_from_rules_are_shown_open() -> None:
    clients = [
        {"targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": "a"}}, "default": {}}
    ]
    mtp = policy("MeshTrafficPermission", "mtp", {"targetRef": MESH_REF, "from": clients})
    view = dataplane_view(universal(mesh(), dp(), mtp, version=V2_14), "dp-1")
    assert view.tree is not None
    found = [n for n in view.tree.walk() if n.label.endswith("(from, by client tags)")]
    assert len(found) == 2 and all(n.children and not n.lazy for n in found)
