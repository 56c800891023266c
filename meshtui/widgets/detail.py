"""The detail pane: a title, then the merged-rules tree or a YAML text.

The tree follows each `DetailView`: a new subject replaces it, an update of the same
subject is patched in place (by stable node id), keeping which nodes are expanded and
where the cursor is; children of a collapsed node are only added when it is expanded.
A new tree puts the cursor (once there is one) on its first line; the tree shown just
before comes back as it was left (`esc` after a jump, `e` twice).
A `lazy` node has no children yet: opening it shows `…` and posts `Opened`, and the
children arrive with the next view. `enter` on a node with a target posts `Jump`;
nodes recently changed are drawn in the `changed` style. YAML is syntax-highlighted.
"""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode as UINode

from meshtui.views import Copyable, DetailNode, DetailView, ResourceRow
from meshtui.widgets.scroll import TextScroll
from meshtui.widgets.styles import rich_style

PENDING = "…"
"""Shown under a lazy node while its lines are being built."""


class RulesTree(Tree[DetailNode]):
    """A tree of `views.DetailNode`s."""

    HELP = """
    ## The detail

    For a dataplane, the merged rules Kuma computes: proxy, inbounds, outbounds
    (each conf with its origins in merge order), the matched policies and the
    ones that do not apply, with why; from Kuma 2.12 per inbound, outbound and
    route, with KRIs. Each conf line names the entry whose value is final
    (`← policy to[0]`). Underlined lines open what they name (`enter` or a double
    click); `esc` comes back. Folded sections are built when opened (`space`,
    `l`). `c` copies the KRI or the conf under the cursor. `y` shows the YAML as
    read.

    `e` explains the conf under the cursor: every field with who set it and
    what it overrode, the merge order and why. `w`: why the selected policy
    does (not) apply to the dataplane selected last, or the reverse. `e`, `w`
    or `esc` again: back to the tree.
    """

    BINDINGS = [
        Binding("enter", "jump", "Open", show=True),
        Binding("space", "toggle_node", "Expand", show=True),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        # Textual's Tree binds none of these; a long tree (a proxy of a big mesh) is walked
        # by the page, jumped to its ends and folded with them.
        Binding("pagedown", "page_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("home,g", "scroll_home", show=False),
        Binding("end,G", "scroll_end", show=False),
        Binding("left,h", "fold", show=False),
        Binding("right,l", "unfold", show=False),
    ]

    class Jump(Message):
        """The user asked to open what a node points at."""

        def __init__(self, target: ResourceRow) -> None:
            super().__init__()
            self.target = target

    class Opened(Message):
        """The user opened a lazy node: its lines are wanted."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self._expanded: dict[str, bool] = {}
        """Expansion the user chose, by node id, for nodes no longer (or not yet) shown."""
        self._root_id = ""
        self._filled: set[int] = set()
        """UI nodes whose children were added (a collapsed node gets them when expanded)."""
        self._drawn: dict[int, tuple[str, str, ResourceRow | None]] = {}
        """What each UI node's label was drawn from: (label, style, target)."""
        self._changed: frozenset[str] = frozenset()
        self._unchanged_marks = False
        """Whether this update marks the same nodes as changed as the one before."""
        self._parked: tuple[str, dict[str, bool], str, float] | None = None
        """The tree replaced last: its root id, expansion, cursor line id and scroll."""

    def show(self, root: DetailNode | None, changed: frozenset[str]) -> None:
        """Show `root`'s children, keeping expansion, the cursor and the scroll by node id.

        The same tree again (same root id) is patched in place: labels that differ are
        redrawn and only a level whose children changed is rebuilt, so an update of a
        big tree costs what changed. Children of collapsed nodes are added when the
        node is first expanded.
        """
        self._unchanged_marks = changed == self._changed
        self._changed = changed
        if root is None or root.node_id != self._root_id:
            parked, self._parked = self._parked, self._park()
            back = parked if root is not None and parked and parked[0] == root.node_id else None
            self._expanded = dict(back[1]) if back else {}
            self._filled.clear()
            self._drawn.clear()
            self.clear()
            self._root_id = root.node_id if root is not None else ""
            if root is not None:
                self.root.data = root
                self._fill(self.root, root)
                self.root.expand()
            if back is not None and back[2]:
                self.call_after_refresh(self._restore, back[2], back[3])
            elif self.cursor_line != -1:
                self.cursor_line = 0  # a new tree is read from its top
            return
        cursor = self.cursor_node.data.node_id if self.cursor_node and self.cursor_node.data else ""
        scroll_y = self.scroll_y
        self.root.data = root
        if self._patch(self.root, root) and cursor:
            # Lines are numbered when the tree is next laid out; the cursor follows then.
            self.call_after_refresh(self._restore, cursor, scroll_y)

    def _park(self) -> tuple[str, dict[str, bool], str, float] | None:
        """The tree shown now, to come back to: expansion by node id, cursor, scroll."""
        if not self._root_id:
            return None
        expanded = dict(self._expanded)
        for ui in self._walk_ui(self.root)[1:]:
            if ui.data is not None and ui.allow_expand:
                expanded[ui.data.node_id] = ui.is_expanded
        node = self.cursor_node
        cursor = node.data.node_id if node is not None and node.data is not None else ""
        return (self._root_id, expanded, cursor, self.scroll_y)

    def _restore(self, cursor: str, scroll_y: float) -> None:
        self.scroll_to(y=scroll_y, animate=False, immediate=True)
        target = self._find(cursor)
        if target is not None and target is not self.cursor_node:
            self.move_cursor(target, animate=False)  # scrolls only if it is out of sight

    def _label(self, node: DetailNode) -> Text:
        style = "changed" if node.node_id in self._changed else node.style
        text = Text(
            node.label, style=rich_style(self.app, style), no_wrap=True, overflow="ellipsis"
        )
        if node.target:
            text.stylize("underline", 0, len(node.label))
        return text

    def _drawn_from(self, node: DetailNode) -> tuple[str, str, ResourceRow | None]:
        return (node.label, "changed" if node.node_id in self._changed else node.style, node.target)

    def _fill(self, parent: UINode[DetailNode], node: DetailNode) -> None:
        """Add the UI children of `parent` (which shows `node`); for a lazy node, a `…`
        line, and ask for its children."""
        self._filled.add(parent.id)
        if node.lazy and not node.children:
            self._add(parent, DetailNode(f"{node.node_id}/…", PENDING, style="muted"))
            self.post_message(self.Opened(node.node_id))
            return
        for child in node.children:
            self._add(parent, child)

    def _add(
        self, parent: UINode[DetailNode], node: DetailNode, before: int | None = None
    ) -> UINode[DetailNode]:
        if node.expandable:
            ui = parent.add(self._label(node), data=node, expand=False, before=before)
            if self._expanded.get(node.node_id, node.expanded):
                self._fill(ui, node)
                ui.expand()
        else:
            ui = parent.add_leaf(self._label(node), data=node, before=before)
        self._drawn[ui.id] = self._drawn_from(node)
        return ui

    def _patch(self, parent: UINode[DetailNode], node: DetailNode) -> bool:
        """Bring `parent`'s shown children in line with `node`'s; True if any were added
        or removed.

        Children are matched by node id (and whether they can expand), in order: one that
        stays is updated in place, one that went is removed, a new one is inserted where it
        belongs. An edit that adds or drops one of thousands of outbound sections touches
        that one, not the level.
        """
        shown = list(parent.children)
        wanted = node.children
        keys = [(c.data.node_id if c.data else "", c.allow_expand) for c in shown]
        if keys == [(n.node_id, n.expandable) for n in wanted]:
            return self._update_all(shown, wanted)
        later = {key: i for i, key in reversed(list(enumerate(keys)))}
        changed = False
        j = 0  # the next shown child not yet matched or removed
        for new in wanted:
            key = (new.node_id, new.expandable)
            at = later.get(key, -1)
            if at >= j:
                for stale in shown[j:at]:  # gone (or moved: drawn again where it now is)
                    self._forget(stale)
                    stale.remove()
                    changed = True
                self._update_all([shown[at]], (new,))
                j = at + 1
            else:
                position = len(parent.children) - (len(shown) - j)
                self._add(parent, new, before=position)
                changed = True
        for stale in shown[j:]:
            self._forget(stale)
            stale.remove()
            changed = True
        return changed

    def _update_all(self, shown: list[UINode[DetailNode]], wanted: tuple[DetailNode, ...]) -> bool:
        """Point each UI node at its new view node; redraw labels that changed."""
        rebuilt = False
        for ui, new in zip(shown, wanted, strict=True):
            if ui.data is new and self._unchanged_marks:
                continue  # the very same subtree (see `present.cache`), drawn as it was
            ui.data = new
            drawn = self._drawn_from(new)
            if self._drawn.get(ui.id) != drawn:
                ui.set_label(self._label(new))
                self._drawn[ui.id] = drawn
            if ui.id in self._filled and new.expandable and not (new.lazy and not new.children):
                rebuilt = self._patch(ui, new) or rebuilt
        return rebuilt

    def _forget(self, ui: UINode[DetailNode]) -> None:
        """Remember the expansion of `ui` and its shown descendants before they go."""
        if ui.data is not None and ui.allow_expand:
            self._expanded[ui.data.node_id] = ui.is_expanded
        self._filled.discard(ui.id)
        self._drawn.pop(ui.id, None)
        for child in ui.children:
            self._forget(child)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[DetailNode]) -> None:
        node = event.node
        if node.id not in self._filled and node.data is not None:
            self._fill(node, node.data)

    def _walk_ui(self, node: UINode[DetailNode]) -> list[UINode[DetailNode]]:
        out = [node]
        for child in node.children:
            out.extend(self._walk_ui(child))
        return out

    def _find(self, node_id: str) -> UINode[DetailNode] | None:
        for node in self._walk_ui(self.root):
            if node.data is not None and node.data.node_id == node_id:
                return node
        return None

    def copyable(self) -> Copyable | None:
        """What `c` copies here: the cursor line's, else its nearest enclosing line's."""
        node = self.cursor_node
        while node is not None:
            if node.data is not None and node.data.copy is not None:
                return node.data.copy
            node = node.parent
        return None

    def action_jump(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.data.target is not None:
            self.post_message(self.Jump(node.data.target))
        elif node.children:
            node.toggle()

    def on_tree_node_selected(self, event: Tree.NodeSelected[DetailNode]) -> None:
        event.stop()

    def on_click(self, event: Click) -> None:
        """A double click opens what the line points at, as `enter` does (origin lines are
        underlined like links; the table opens a row on a double click too)."""
        if event.chain >= 2:
            self.action_jump()

    def action_fold(self) -> None:
        """`h`/left: collapse the node, or go to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent, animate=False)

    def action_unfold(self) -> None:
        """`l`/right: expand the node, or go to its first child."""
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if not node.is_expanded:
            node.expand()
        elif node.children:
            self.move_cursor(node.children[0], animate=False)


class YamlText(TextScroll):
    """The scrolling YAML (or problem) text, moved with the same keys as the tree."""

    HELP = """
    ## YAML

    The resource as it was read (or a problem and its document). `y` or `esc`
    returns to the tree; `j`/`k`, `g`/`G` and the page keys scroll.
    """


class DetailPane(Vertical):
    """Title, subtitle and either the tree or the YAML text of a `DetailView`."""

    ALLOW_MAXIMIZE = True
    """`f` on the tree (or the YAML) fills the screen with the whole pane, title included."""

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
        with YamlText(id="detail-text"):
            yield Static(id="detail-yaml", markup=False)

    @property
    def rules_tree(self) -> RulesTree:
        return self.query_one(RulesTree)

    def _keep_focus_in_pane(self, text_mode: bool) -> None:
        """The focus goes with what is shown: from the tree to the text that replaces it,
        and back (a hidden widget keeping the focus would leave the keys nowhere)."""
        text = self.query_one(YamlText)
        if text_mode and self.rules_tree.has_focus:
            self.screen.set_focus(text)
        elif not text_mode and text.has_focus:
            self.screen.set_focus(self.rules_tree)

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
        self._keep_focus_in_pane(text_mode)
        self.set_class(text_mode, "-text")
        if text_mode:
            # the empty text goes where the title would be, once
            body = view.text or (view.empty_text if view.title else "")
            self.query_one("#detail-yaml", Static).update(self._text(body, view.syntax))
        else:
            self.rules_tree.show(view.tree, changed)

    def _text(self, body: str, syntax: str) -> Text | Syntax:
        """`body` as it reads (never parsed as markup), highlighted when it is code."""
        if not syntax or not body:
            return Text(body)
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        background = self.query_one("#detail-yaml", Static).background_colors[1].hex
        return Syntax(body, syntax, theme=theme, background_color=background, word_wrap=False)


def copyable(view: DetailView | None, tree: RulesTree) -> Copyable | None:
    """What `c` copies from the detail: under the tree's cursor when it has the focus,
    the YAML when that is shown, else what the subject's root line carries (its KRI)."""
    if view is None:
        return None
    if view.tree is None:
        if view.syntax == "yaml" and view.text:
            return Copyable(f"the YAML of {view.title}", view.text)
        return None
    found = tree.copyable() if tree.has_focus else None
    return found or view.tree.copy
