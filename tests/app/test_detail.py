"""The detail pane in the app: walking the rules tree, the YAML, folded sections, jumps."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from textual.widgets.tree import TreeNode as UINode

from meshtui.present.dataplane import OPEN_INBOUND_LINES
from meshtui.present.detail import OPEN_AFFECTED
from meshtui.views import DetailNode
from meshtui.widgets.detail import YamlText
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    FIRST,
    SAMPLE,
    SEED,
    command,
    dataplane,
    find_node,
    focused,
    folder_app,
    jumped,
    open_section,
    policy,
    press,
    settle,
    started,
    state,
    wait_for,
    write_namespaces,
)

PAYMENTS = dataplane("payments-69c7d5b8f4-wq2ls.shop-payments")
MESH_WIDE_TIMEOUT = """\
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: everywhere
  namespace: kuma-system
  labels: {kuma.io/mesh: default, kuma.io/origin: zone}
spec:
  to:
    - targetRef: {kind: Mesh}
      default: {http: {requestTimeout: 5s}}
"""

# ---------------------------------------------------------------------- detail pane


async def test_rules_tree_pages_jumps_to_its_ends_and_folds_with_h_l() -> None:
    """Textual's Tree binds no page, home/end or fold keys: a long tree could only be
    walked a line at a time."""
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 30)) as pilot:
        await started(pilot, app)
        await command(pilot, "mesh shop")
        await wait_for(pilot, lambda: app.evaluation is not None and app.evaluation.mesh == "shop")
        await jumped(pilot, app, PAYMENTS)
        await press(pilot, "enter")
        tree = app.dashboard.detail.rules_tree
        assert focused(app) is tree
        await wait_for(pilot, lambda: tree.last_line > tree.scrollable_content_region.height)
        await press(pilot, "pagedown")
        assert tree.cursor_line == tree.scrollable_content_region.height - 1
        await press(pilot, "G")
        assert tree.cursor_line == tree.last_line
        await press(pilot, "pageup", "g")
        assert tree.cursor_line == 0
        first = tree.cursor_node
        assert first is not None and first.allow_expand and first.is_expanded
        await press(pilot, "l")
        assert tree.cursor_line == 1, "l on an open node goes to its first child"
        child = tree.cursor_node
        assert child is not None and child.is_expanded
        await press(pilot, "h")
        assert tree.cursor_node is child and not child.is_expanded, "h folds an open node"
        await press(pilot, "h")
        assert tree.cursor_node is first, "h on a folded node goes to its parent"
        await press(pilot, "h")
        assert not first.is_expanded
        await press(pilot, "h")
        assert tree.cursor_node is first, "a top-level node stays (the root is hidden)"
        await press(pilot, "l")
        assert first.is_expanded


async def test_y_from_the_tree_moves_the_focus_to_the_yaml_and_back() -> None:
    """`y` with the tree focused hid the tree and left the focus nowhere: j/k and the pane
    keys stopped working until the user clicked or tabbed."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "enter")
        assert focused(app) is app.dashboard.detail.rules_tree
        await press(pilot, "y")
        text = app.query_one("#detail-text", YamlText)
        await wait_for(pilot, lambda: focused(app) is text)
        assert state(app).detail_mode == "yaml"
        await wait_for(pilot, lambda: text.max_scroll_y > 0)  # the YAML is laid out
        await press(pilot, "G")
        await wait_for(pilot, lambda: text.scroll_y == text.max_scroll_y)
        await press(pilot, "y")
        await wait_for(pilot, lambda: focused(app) is app.dashboard.detail.rules_tree)
        await press(pilot, "tab", "y")
        assert focused(app) is not text, "y from elsewhere leaves the focus where it is"
        assert state(app).detail_mode == "yaml"


async def test_an_empty_detail_says_why_once() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "exclamation_mark")
        assert app.dashboard.table.row_count == 0 or state(app).view == "problems"
        shown = [
            str(app.query_one(f"#{name}", Static).content)
            for name in ("detail-title", "detail-yaml")
        ]
        assert shown[0] and shown[1] == "", shown


# ---------------------------------------------------------------------- big meshes


async def test_a_mesh_wide_policy_of_a_big_mesh_lists_its_dataplanes_only_when_opened(
    tmp_path: Path,
) -> None:
    """Every policy the cursor passed drew one tree line per affected proxy: ~0.6 s a key
    on the policies list of a 5k-dataplane mesh (mesh-wide defaults affect them all)."""
    write_namespaces(tmp_path, OPEN_AFFECTED + 10)
    (tmp_path / "timeout.yaml").write_text(MESH_WIDE_TIMEOUT)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        app.dashboard.jump(policy("MeshTimeout", "everywhere.kuma-system"))
        tree = app.dashboard.detail.rules_tree

        def affected_node() -> UINode[DetailNode] | None:
            return next(
                (n for n in tree.root.children if n.data and n.data.node_id == "affected"), None
            )

        await wait_for(pilot, lambda: affected_node() is not None)
        node = affected_node()
        assert node is not None and str(node.label) == f"Affects {OPEN_AFFECTED + 10} dataplane(s)"
        assert not node.is_expanded and not node.children, "not drawn until opened"
        node.expand()
        await wait_for(pilot, lambda: len(node.children) == OPEN_AFFECTED + 10)


# ---------------------------------------------------------------------- mouse


async def test_double_clicking_an_origin_line_opens_its_policy() -> None:
    """Origin lines are underlined like links; a click only moved the cursor."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        tree = app.dashboard.detail.rules_tree
        await wait_for(pilot, lambda: tree.last_line > 6)
        line = next(
            i
            for i in range(tree.last_line + 1)
            if (node := tree.get_node_at_line(i)) is not None
            and node.data is not None
            and node.data.target == CONSUMER_TIMEOUT
        )
        offset = (12, line - int(tree.scroll_y))
        await pilot.click(tree, offset=offset)
        await settle(pilot)
        assert tree.cursor_line == line and state(app).view == "dataplanes", "one click selects"
        await pilot.click(tree, offset=offset, times=2)
        await settle(pilot)
        assert state(app).view == "policies" and state(app).selected_key == CONSUMER_TIMEOUT
        await press(pilot, "escape")
        assert state(app).view == "dataplanes" and state(app).selected_key == FIRST


def many_inbound_timeouts(count: int) -> str:
    """`count` MeshTimeouts of one namespace, each configuring every inbound."""
    return "---\n".join(
        f"""apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: inbound-{i:03d}
  namespace: team-00-payments-and-billing-backend
  labels: {{kuma.io/mesh: default, kuma.io/origin: zone}}
spec:
  from:
    - targetRef: {{kind: Mesh}}
      default: {{idleTimeout: {i + 1}s}}
"""
        for i in range(count)
    )


async def test_an_inbound_with_hundreds_of_lines_lists_its_kinds_folded(tmp_path: Path) -> None:
    """A big mesh's inbound can merge hundreds of lines (many clients allowed), all drawn
    for every dataplane the cursor passed: a held `j` lagged seconds behind at 10k."""
    write_namespaces(tmp_path, 2)
    (tmp_path / "timeouts.yaml").write_text(many_inbound_timeouts(OPEN_INBOUND_LINES))
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        target = dataplane("app-0.team-00-payments-and-billing-backend")
        await jumped(pilot, app, target)
        view = app.dashboard.detail.view
        assert view is not None and view.tree is not None
        inbound = next(n for n in view.tree.children if n.node_id.startswith("in:"))
        assert inbound.expanded and inbound.children
        assert all(not kind.expanded for kind in inbound.children), "folded"
        assert all(kind.lazy and not kind.children for kind in inbound.children), "not built"
        tree = app.dashboard.detail.rules_tree
        await wait_for(pilot, lambda: bool(tree.root.children))
        shown = next(n for n in tree.root.children if n.data is inbound)
        assert shown.is_expanded and all(not kind.children for kind in shown.children)
        kind = inbound.children[0].node_id
        await open_section(pilot, app, kind)
        opened = find_node(app, lambda n: n.node_id == kind)
        assert len(opened.walk()) > OPEN_INBOUND_LINES, "built once opened"
        ui = tree._find(kind)
        assert ui is not None and ui.is_expanded and len(ui.children) > 1
