"""A generic policy kind is marked as such wherever the dataplane detail names its type."""

from __future__ import annotations

import pytest

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
