"""The detail tree widget: updates of the same subject are patched, collapsed nodes fill lazily.

A dataplane of a big mesh has tens of thousands of rule nodes; rebuilding them all on every
change took seconds, so the widget keeps what did not change and adds children only when a
node is expanded. These tests drive the real `RulesTree` in a real (headless) Textual app.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets.tree import TreeNode as UINode

from meshtui.views import DetailNode
from meshtui.widgets.detail import RulesTree


class TreeApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield RulesTree(id="rules")

    def on_rules_tree_opened(self, message: RulesTree.Opened) -> None:
        self.opened.append(message.node_id)


def section(name: str, lines: tuple[str, ...], *, expanded: bool = True) -> DetailNode:
    kids = tuple(DetailNode(f"{name}/l{i}", line) for i, line in enumerate(lines))
    return DetailNode(name, f"Section {name}", kids, expanded=expanded)


def root(*sections: DetailNode, node_id: str = "root:dp-1") -> DetailNode:
    return DetailNode(node_id, "dp-1", sections)


def shown(tree: RulesTree) -> list[str]:
    """Labels of the UI nodes that exist, depth first, indented by depth."""
    out: list[str] = []

    def walk(node: UINode[DetailNode], depth: int) -> None:
        for child in node.children:
            out.append("  " * depth + str(child.label))
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


def ui_node(tree: RulesTree, node_id: str) -> UINode[DetailNode]:
    found = tree._find(node_id)
    assert found is not None, node_id
    return found


async def test_an_update_redraws_only_what_changed_and_keeps_the_rest() -> None:
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        tree.show(root(section("a", ("x: 1", "y: 2")), section("b", ("z: 3",))), frozenset())
        await pilot.pause()
        kept, edited = ui_node(tree, "a/l0"), ui_node(tree, "a/l1")
        ui_node(tree, "b").collapse()  # the user folds b away
        await pilot.pause()

        tree.show(
            root(section("a", ("x: 1", "y: 5")), section("b", ("z: 3",))), frozenset({"a/l1"})
        )
        await pilot.pause()
        assert ui_node(tree, "a/l0") is kept, "an unchanged node is the same UI node"
        assert ui_node(tree, "a/l1") is edited and str(edited.label) == "y: 5"
        assert isinstance(edited.label, Text) and isinstance(kept.label, Text)
        assert edited.label.style != kept.label.style, "the changed node is drawn as changed"
        assert not ui_node(tree, "b").is_expanded, "the user's collapse survives the update"
        assert shown(tree) == ["Section a", "  x: 1", "  y: 5", "Section b", "  z: 3"]


async def test_collapsed_sections_get_their_children_when_expanded() -> None:
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        many = [section(f"s{i}", ("k: v",) * 50, expanded=False) for i in range(200)]
        tree.show(root(*many), frozenset())
        await pilot.pause()
        assert len(shown(tree)) == 200, "only the collapsed section headings exist"
        ui_node(tree, "s7").expand()
        await pilot.pause()
        assert len(shown(tree)) == 250
        assert [str(c.label) for c in ui_node(tree, "s7").children] == ["k: v"] * 50

        # An update still leaves the other sections unfilled, and patches the open one.
        many[7] = section("s7", ("k: w",) * 50, expanded=False)
        tree.show(root(*many), frozenset())
        await pilot.pause()
        assert len(shown(tree)) == 250
        assert str(ui_node(tree, "s7/l49").label) == "k: w"


async def test_a_level_whose_children_changed_keeps_expansion_and_cursor() -> None:
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        a, b, c = section("a", ("1",)), section("b", ("2",)), section("c", ("3",))
        tree.show(root(a, b, c), frozenset())
        await pilot.pause()
        ui_node(tree, "c").collapse()
        tree.move_cursor(ui_node(tree, "b/l0"), animate=False)
        await pilot.pause()

        kept_c = ui_node(tree, "c")
        tree.show(root(b, c), frozenset())  # a is gone
        await pilot.pause()
        assert shown(tree) == ["Section b", "  2", "Section c", "  3"]  # 3 stays hidden
        assert ui_node(tree, "c") is kept_c and not kept_c.is_expanded
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.node_id == "b/l0"


async def test_another_subject_starts_from_its_own_defaults() -> None:
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        tree.show(root(section("a", ("1",))), frozenset())
        await pilot.pause()
        ui_node(tree, "a").collapse()
        await pilot.pause()
        tree.show(root(section("a", ("1",)), node_id="root:dp-2"), frozenset())
        await pilot.pause()
        assert ui_node(tree, "a").is_expanded, "dp-2's section a opens as its view says"
        assert shown(tree) == ["Section a", "  1"]


async def test_adding_and_removing_sections_touches_only_those() -> None:
    """One outbound more or less among thousands: the others keep their UI nodes."""
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        names = [f"s{i:03}" for i in range(300)]
        tree.show(root(*(section(n, ("x",), expanded=False) for n in names)), frozenset())
        await pilot.pause()
        ui_node(tree, "s100").expand()
        await pilot.pause()
        kept = {n: ui_node(tree, n) for n in ("s000", "s100", "s150", "s299")}

        edited = [n for n in names if n != "s150"]  # one gone...
        edited.insert(10, "new-a")  # ...two new, one of them first
        edited.insert(0, "new-b")
        tree.show(root(*(section(n, ("x",), expanded=False) for n in edited)), frozenset())
        await pilot.pause()
        assert [str(c.label) for c in tree.root.children] == [f"Section {n}" for n in edited]
        for name in ("s000", "s100", "s299"):
            assert ui_node(tree, name) is kept[name], f"{name} is the same UI node"
        assert ui_node(tree, "s100").is_expanded, "the user's expansion survives"
        assert tree._find("s150") is None

        # order changes too: a moved section is drawn where it now is
        moved = [edited[-1], *edited[:-1]]
        tree.show(root(*(section(n, ("x",), expanded=False) for n in moved)), frozenset())
        await pilot.pause()
        assert [str(c.label) for c in tree.root.children] == [f"Section {n}" for n in moved]


async def test_a_lazy_node_asks_for_its_lines_when_opened_and_shows_them_when_they_come() -> None:
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        folded = DetailNode("s", "Section s", expanded=False, lazy=True)
        tree.show(root(folded, section("t", ("y: 2",))), frozenset())
        await pilot.pause()
        assert shown(tree) == ["Section s", "Section t", "  y: 2"]
        assert ui_node(tree, "s").allow_expand, "it can be opened though it has no lines yet"
        assert app.opened == []
        ui_node(tree, "s").expand()
        await pilot.pause()
        assert app.opened == ["s"]
        assert shown(tree) == ["Section s", "  …", "Section t", "  y: 2"]

        tree.show(root(folded, section("t", ("y: 3",))), frozenset())  # built before the open
        await pilot.pause()
        assert shown(tree) == ["Section s", "  …", "Section t", "  y: 3"], "still waiting"
        tree.show(root(section("s", ("x: 1", "z: 2")), section("t", ("y: 3",))), frozenset())
        await pilot.pause()
        assert shown(tree) == ["Section s", "  x: 1", "  z: 2", "Section t", "  y: 3"]
        assert app.opened == ["s"], "asked once"


async def test_the_tree_shown_just_before_comes_back_as_it_was_left() -> None:
    """`e` (or a jump) shows another tree; `e` again (or `esc`) finds the first one with its
    cursor and folds where the user left them. A new tree starts at its top."""
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(RulesTree)
        rules = root(section("a", ("x: 1", "y: 2")), section("b", ("z: 3",)))
        tree.show(rules, frozenset())
        await pilot.pause()
        ui_node(tree, "a").collapse()
        await pilot.pause()
        tree.move_cursor(ui_node(tree, "b/l0"), animate=False)
        await pilot.pause()
        assert tree.cursor_line == 2

        other = root(section("c", ("w: 0",)), node_id="explain:dp-1")
        tree.show(other, frozenset())
        await pilot.pause()
        assert tree.cursor_line == 0, "a new tree is read from its top"
        tree.show(rules, frozenset())
        await pilot.pause()
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert tree.cursor_node.data.node_id == "b/l0"
        assert not ui_node(tree, "a").is_expanded, "the fold the user made is back too"

        tree.show(root(section("d", ("v: 1",)), node_id="root:dp-2"), frozenset())
        tree.show(root(section("e", ("u: 1",)), node_id="root:dp-3"), frozenset())
        tree.show(rules, frozenset())
        await pilot.pause()
        assert ui_node(tree, "a").is_expanded, "only the tree shown just before is kept"
