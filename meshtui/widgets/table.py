"""The central table: a virtual, keyed list of rows that renders only what is on screen.

Textual's `DataTable` builds every row up front (about 1.5 s for 10k rows) and removes
rows one at a time (slow at that size), so meshtui draws its own: a `ScrollView`
whose `render_line` formats just the visible rows of the `TableView` it is given.
Replacing the view is O(rows) for column widths and key lookup, nothing more.

The cursor follows its row's *key* across updates, and moves elsewhere only when the
screen says so (`select_key`). Only the user's own moves (keys, mouse) post
`Highlighted`; `enter` or a double click posts `Chosen`.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from meshtui.views import Row, RowKey, TableView
from meshtui.widgets.styles import rich_style

GAP = 2
MAX_COLUMN_WIDTH = 48


class ResourceTable(ScrollView, can_focus=True):
    """Renders a `TableView`; posts `Highlighted` on cursor moves, `Chosen` on enter."""

    HELP = """
    ## The list

    Dataplanes (`1`), policies (`2`) or services (`3`) of the mesh, in the
    namespaces chosen on the left; the live changes since start (`4`), or the
    problems (`!`). The detail below follows the cursor;
    `enter` moves into it. `/` filters the rows (`!` first inverts), `:` runs a
    command (`:mt`, `:ns NAME`, `:mesh NAME`), `esc` goes back.
    """

    COMPONENT_CLASSES = {
        "resource-table--header",
        "resource-table--cursor",
        "resource-table--odd",
        "resource-table--empty",
    }

    DEFAULT_CSS = """
    ResourceTable { background: $surface; }
    ResourceTable > .resource-table--header { text-style: bold; background: $panel; }
    ResourceTable > .resource-table--cursor { background: $block-cursor-blurred-background; }
    ResourceTable:focus > .resource-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    ResourceTable > .resource-table--odd { background: $surface-lighten-1 10%; }
    ResourceTable > .resource-table--empty { color: $text-muted; text-style: italic; }
    """

    BINDINGS = [
        Binding("enter", "choose", "Open", show=True),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home,g", "edge(0)", show=False),
        Binding("end,G", "edge(1)", show=False),
    ]

    view: reactive[TableView | None] = reactive(None, always_update=False)
    cursor_row: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        """The user moved the cursor onto another row."""

        def __init__(self, key: RowKey) -> None:
            super().__init__()
            self.key = key

    class Chosen(Message):
        """The user pressed enter (or double-clicked) on a row."""

        def __init__(self, key: RowKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.now_rows: dict[RowKey, Row] = {}
        """The rows shown, by key."""
        self._order: list[RowKey] = []
        self._position: dict[RowKey, int] = {}
        self._widths: list[int] = []
        self._quiet = False

    # ---------------------------------------------------------------- public API

    @property
    def row_count(self) -> int:
        """How many rows are shown."""
        return len(self._order)

    def current_key(self) -> RowKey | None:
        """The key of the row under the cursor (`None` when empty)."""
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def select_key(self, key: RowKey) -> bool:
        """Put the cursor on `key` without posting a message; False when it is not shown."""
        position = self._position.get(key)
        if position is None:
            return False
        self._move_quietly(position)
        return True

    # ---------------------------------------------------------------- updates

    def watch_view(self, old: TableView | None, view: TableView | None) -> None:
        same_kind = old is not None and view is not None and old.kind == view.kind
        current = self.current_key() if same_kind else None
        rows = view.rows if view is not None else ()
        # A `Text` title: the title carries the user's `/` filter text, which a `str` title
        # would parse as markup.
        self.border_title = Text(view.title) if view is not None else ""
        self._order = [row.key for row in rows]
        self._position = {key: i for i, key in enumerate(self._order)}
        self.now_rows = {row.key: row for row in rows}
        self._widths = _column_widths(view) if view is not None else []
        width = sum(self._widths) + GAP * max(len(self._widths) - 1, 0) + 1
        self.virtual_size = Size(width, len(rows) + 1)
        if current is not None and current in self._position:
            self._move_quietly(self._position[current])
        else:
            self._move_quietly(min(self.cursor_row, max(len(rows) - 1, 0)) if same_kind else 0)
        self.refresh()

    def _move_quietly(self, row: int) -> None:
        self._quiet = True
        try:
            self.cursor_row = row
        finally:
            self._quiet = False
        self._scroll_to_cursor()

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()
        if self._quiet:
            return
        self._scroll_to_cursor()
        key = self.current_key()
        if key is not None:
            self.post_message(self.Highlighted(key))

    def _scroll_to_cursor(self) -> None:
        if not self._order:
            return
        region = Region(int(self.scroll_x), self.cursor_row + 1, max(self.size.width, 1), 1)
        self.scroll_to_region(
            region, animate=False, spacing=Spacing(1, 0, 0, 0), force=True, immediate=True
        )

    # ---------------------------------------------------------------- actions

    def action_move(self, delta: int) -> None:
        if self._order:
            self.cursor_row = max(0, min(len(self._order) - 1, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        if self._order:
            self.cursor_row = len(self._order) - 1 if end else 0

    def action_choose(self) -> None:
        key = self.current_key()
        if key is not None:
            self.post_message(self.Chosen(key))

    def on_click(self, event: Click) -> None:
        # Rows are counted from the content area (`event.y` counts from the border), where
        # line 0 is the header.
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = int(self.scroll_y) + offset.y - 1
        if offset.y < 1 or not 0 <= row < len(self._order):
            return
        self.focus()
        self.cursor_row = row
        if event.chain >= 2:
            self.action_choose()

    # ---------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        view = self.view
        if view is None:
            return Strip.blank(width, self.rich_style)
        if y == 0:
            style = self.get_component_rich_style("resource-table--header")
            return self._strip(view.columns, style, scroll_x, width)
        if not view.rows:
            if y == 1 and view.empty_text:
                style = self.get_component_rich_style("resource-table--empty")
                return (
                    Strip([Segment(" " + view.empty_text, style)])
                    .extend_cell_length(width, self.rich_style)
                    .crop(0, width)
                )
            return Strip.blank(width, self.rich_style)
        index = scroll_y + y - 1
        if not 0 <= index < len(view.rows):
            return Strip.blank(width, self.rich_style)
        row = view.rows[index]
        base = self.rich_style
        if index % 2:
            base += self.get_component_rich_style("resource-table--odd")
        if row.style:
            base += rich_style(self.app, row.style)
        if index == self.cursor_row:
            base += self.get_component_rich_style("resource-table--cursor")
        return self._strip(row.cells, base, scroll_x, width)

    def _strip(self, cells: tuple[str, ...], style: Style, scroll_x: int, width: int) -> Strip:
        segments: list[Segment] = []
        for i, cell in enumerate(cells):
            column = self._widths[i] if i < len(self._widths) else cell_len(cell)
            text = cell if cell_len(cell) <= column else set_cell_size(cell, column - 1) + "…"
            gap = GAP if i < len(cells) - 1 else 0
            segments.append(Segment(set_cell_size(text, column) + " " * gap, style))
        strip = Strip(segments).extend_cell_length(scroll_x + width, style)
        return strip.crop(scroll_x, scroll_x + width)


def _column_widths(view: TableView) -> list[int]:
    widths = [cell_len(c) for c in view.columns]
    for row in view.rows:
        for i, cell in enumerate(row.cells):
            length = len(cell)
            if length > widths[i]:
                widths[i] = length
    return [min(w, MAX_COLUMN_WIDTH) for w in widths]
