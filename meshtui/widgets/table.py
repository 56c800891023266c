"""The central table: rows of a `TableView`, updated in place by key.

A live update that only changes cells is applied with `update_cell`, leaving the
cursor and the scroll position alone; one that adds or removes rows rebuilds the
table and puts the cursor back on the same key (and the viewport where it was).
Programmatic updates never post `Highlighted`: only the user's own moves do.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable

from meshtui.views import Row, TableView
from meshtui.widgets.styles import rich_style


class ResourceTable(DataTable[Text]):
    """Renders a `TableView`; posts `Highlighted` on cursor moves, `Chosen` on enter."""

    BINDINGS = [
        Binding("enter", "choose", "Open", show=True),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "scroll_top", show=False),
        Binding("G", "scroll_bottom", show=False),
    ]

    view: reactive[TableView | None] = reactive(None, always_update=False)
    now_rows: dict[str, Row]

    class Highlighted(Message):
        """The cursor is on another row (a user move)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Chosen(Message):
        """The user pressed enter on a row."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.now_rows = {}
        self._columns: tuple[str, ...] = ()
        self._order: list[str] = []

    def _text(self, value: str, style: str) -> Text:
        return Text(value, style=rich_style(self.app, style), no_wrap=True, overflow="ellipsis")

    def watch_view(self, view: TableView | None) -> None:
        with self.prevent(DataTable.RowHighlighted):
            if view is None:
                self.clear(columns=True)
                self._columns, self._order, self.now_rows = (), [], {}
                return
            # Fix: a `str` border title is parsed as markup, and the title carries the
            # user's `/` filter text (e.g. `/[bold]`); a `Text` is shown literally.
            self.border_title = Text(view.title)
            keys = [row.key for row in view.rows]
            if view.columns == self._columns and keys == self._order:
                self._update_cells(view)
            else:
                self._rebuild(view)
            self.now_rows = {row.key: row for row in view.rows}

    def _update_cells(self, view: TableView) -> None:
        for row in view.rows:
            before = self.now_rows.get(row.key)
            if before == row:
                continue
            for i, cell in enumerate(row.cells):
                if before is None or before.cells[i] != cell or before.style != row.style:
                    self.update_cell(
                        row.key, self._columns[i], self._text(cell, row.style), update_width=False
                    )

    def _rebuild(self, view: TableView) -> None:
        current = self.current_key()
        scroll_y = self.scroll_y
        old_index = self.cursor_row
        self.clear(columns=view.columns != self._columns)
        if view.columns != self._columns:
            for column in view.columns:
                self.add_column(column, key=column)
        for row in view.rows:
            self.add_row(*(self._text(c, row.style) for c in row.cells), key=row.key)
        self._columns = view.columns
        self._order = [row.key for row in view.rows]
        if not self._order:
            return
        if current in self._order:
            index = self._order.index(current)
        else:
            index = min(max(old_index, 0), len(self._order) - 1)
        self.move_cursor(row=index, animate=False, scroll=False)
        self.scroll_to(y=scroll_y, animate=False)
        if not (self.scroll_y <= index < self.scroll_y + max(self.size.height - 1, 1)):
            self.move_cursor(row=index, animate=False, scroll=True)

    def current_key(self) -> str:
        """The key of the row under the cursor (``""`` when empty)."""
        if self.row_count == 0 or not (0 <= self.cursor_row < len(self._order)):
            return ""
        return self._order[self.cursor_row]

    def select_key(self, key: str) -> bool:
        """Put the cursor on `key` (no message posted); False when it is not shown."""
        if key not in self._order:
            return False
        with self.prevent(DataTable.RowHighlighted):
            self.move_cursor(row=self._order.index(key), animate=False)
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Highlighted(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()

    def action_choose(self) -> None:
        key = self.current_key()
        if key:
            self.post_message(self.Chosen(key))
