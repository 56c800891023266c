"""The detail pane: a title, then the merged-rules tree or a YAML text.

The tree is rebuilt from each `DetailView`, keeping which nodes are expanded and
where the cursor is (by stable node id). `enter` on a node with a target posts
`Jump`; nodes recently changed are drawn in the `changed` style.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode as UINode

from meshtui.views import DetailView, TreeNode
from meshtui.widgets.styles import rich_style


class RulesTree(Tree[TreeNode]):
    """A tree of `views.TreeNode`s."""

    BINDINGS = [
        Binding("enter", "jump", "Open", show=True),
        Binding("space", "toggle_node", "Expand", show=True),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
    ]

    class Jump(Message):
        """The user asked to open what a node points at."""

        def __init__(self, target: str) -> None:
            super().__init__()
            self.target = target

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self._expanded: dict[str, bool] = {}
        self._root_id = ""

    def show(self, root: TreeNode | None, changed: frozenset[str]) -> None:
        """Replace the tree's content, keeping expansion and the cursor by node id."""
        cursor = self.cursor_node.data.node_id if self.cursor_node and self.cursor_node.data else ""
        if root is not None and root.node_id != self._root_id:
            self._expanded = {}
        for node in self._walk_ui(self.root):
            if node.data is not None:
                self._expanded[node.data.node_id] = node.is_expanded
        scroll_y = self.scroll_y
        self.clear()
        if root is None:
            self._root_id = ""
            return
        self._root_id = root.node_id
        self.root.data = root
        for child in root.children:
            self._add(self.root, child, changed)
        self.root.expand()
        target = self._find(cursor) if cursor else None
        if target is not None:
            self.move_cursor(target, animate=False)
        self.scroll_to(y=scroll_y, animate=False)

    def _label(self, node: TreeNode, changed: frozenset[str]) -> Text:
        style = "changed" if node.node_id in changed else node.style
        text = Text(
            node.label, style=rich_style(self.app, style), no_wrap=True, overflow="ellipsis"
        )
        if node.target:
            text.stylize("underline", 0, len(node.label))
        return text

    def _add(self, parent: UINode[TreeNode], node: TreeNode, changed: frozenset[str]) -> None:
        if node.children:
            ui = parent.add(self._label(node, changed), data=node, expand=False)
            for child in node.children:
                self._add(ui, child, changed)
            if self._expanded.get(node.node_id, node.expanded):
                ui.expand()
        else:
            parent.add_leaf(self._label(node, changed), data=node)

    def _walk_ui(self, node: UINode[TreeNode]) -> list[UINode[TreeNode]]:
        out = [node]
        for child in node.children:
            out.extend(self._walk_ui(child))
        return out

    def _find(self, node_id: str) -> UINode[TreeNode] | None:
        for node in self._walk_ui(self.root):
            if node.data is not None and node.data.node_id == node_id:
                return node
        return None

    def action_jump(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.target:
            self.post_message(self.Jump(node.data.target))
        elif node.children:
            node.toggle()

    def on_tree_node_selected(self, event: Tree.NodeSelected[TreeNode]) -> None:
        event.stop()


class DetailPane(Vertical):
    """Title, subtitle and either the tree or the YAML text of a `DetailView`."""

    DEFAULT_CSS = """
    DetailPane > #detail-title {
        height: 1; text-style: bold; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DetailPane > #detail-subtitle {
        height: 1; color: $text-muted; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DetailPane #detail-yaml { padding: 0 1; }
    DetailPane > #detail-text { display: none; }
    DetailPane.-text > #detail-text { display: block; }
    DetailPane.-text > RulesTree { display: none; }
    """

    view: reactive[DetailView | None] = reactive(None)
    changed: reactive[frozenset[str]] = reactive(frozenset())

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title", markup=False)
        yield Static(id="detail-subtitle", markup=False)
        yield RulesTree(id="rules")
        with VerticalScroll(id="detail-text"):
            yield Static(id="detail-yaml", markup=False)

    @property
    def rules_tree(self) -> RulesTree:
        return self.query_one(RulesTree)

    def watch_view(self, view: DetailView | None) -> None:
        self._show(view, self.changed)

    def watch_changed(self, changed: frozenset[str]) -> None:
        self._show(self.view, changed)

    def _show(self, view: DetailView | None, changed: frozenset[str]) -> None:
        if not self.is_mounted:
            return
        title = self.query_one("#detail-title", Static)
        subtitle = self.query_one("#detail-subtitle", Static)
        if view is None:
            title.update(Text(""))
            subtitle.update(Text(""))
            self.rules_tree.show(None, changed)
            self.set_class(False, "-text")
            return
        title.update(Text(view.title or view.empty_text, no_wrap=True, overflow="ellipsis"))
        subtitle.update(Text(view.subtitle, no_wrap=True, overflow="ellipsis"))
        text_mode = view.tree is None
        self.set_class(text_mode, "-text")
        if text_mode:
            self.query_one("#detail-yaml", Static).update(Text(view.text or view.empty_text))
        else:
            self.rules_tree.show(view.tree, changed)
