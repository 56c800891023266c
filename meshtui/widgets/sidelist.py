"""A side list (namespaces, policy roles): entries with counts; choose or toggle one."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from meshtui.views import ListView


class SideList(OptionList):
    """Renders a `ListView`; `enter` posts `Chosen`, `space` posts `Toggled`."""

    BINDINGS = [
        # Fix: the footer offered only `space`; `enter` (this entry alone) was unlisted.
        Binding("enter", "select", "Choose", show=True),
        Binding("space", "toggle_entry", "Select", show=True),
        # Fix: the table and the tree move with j/k, g/G; these lists did not.
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "first", show=False),
        Binding("G", "last", show=False),
    ]

    view: reactive[ListView | None] = reactive(None)
    _drawn_width = 0
    """The entry width the options were cut to."""

    ASSUMED_WIDTH = 32
    """Entry width before the first layout: the sidebar's 38 columns, less border, padding
    and scrollbar. (Fix: it was 34, the width *without* a scrollbar, so on a big mesh, whose
    namespaces list scrolls, every entry lost the end of its counts: `10 …` for `10 pol`.)"""

    class Chosen(Message):
        """The user picked an entry (enter or click)."""

        def __init__(self, sidelist: SideList, key: str) -> None:
            super().__init__()
            self.sidelist = sidelist
            self.key = key

        @property
        def control(self) -> SideList:
            """The list the entry belongs to (for `@on` selectors)."""
            return self.sidelist

    class Toggled(Message):
        """The user toggled an entry in or out of a multi-selection (space)."""

        def __init__(self, sidelist: SideList, key: str) -> None:
            super().__init__()
            self.sidelist = sidelist
            self.key = key

        @property
        def control(self) -> SideList:
            """The list the entry belongs to (for `@on` selectors)."""
            return self.sidelist

    def on_resize(self, event: Resize) -> None:
        """Entries are cut to the width: cut them again when it changes."""
        if self.view is not None and self._drawn_width != self._line_width():
            self.watch_view(self.view)

    def watch_view(self, view: ListView | None) -> None:
        highlighted = self.highlighted
        highlighted_id = None
        if highlighted is not None and 0 <= highlighted < self.option_count:
            highlighted_id = self.get_option_at_index(highlighted).id
        with self.prevent(OptionList.OptionHighlighted):
            self.clear_options()
            if view is None:
                return
            self.border_title = view.title
            counts = max((len(item.counts) for item in view.items), default=0)
            self._drawn_width = self._line_width()
            room = self._drawn_width - 3 - counts  # "● ", label, " ", counts
            width = min(max((len(item.label) for item in view.items), default=0), max(room, 8))
            options = []
            for item in view.items:
                label = item.label
                if len(label) > width:  # the counts stay visible: a long name is shortened
                    label = label[: width - 1] + "…"
                line = Text(no_wrap=True, overflow="ellipsis")
                line.append("● " if item.selected else "  ", style="bold")
                line.append(label.ljust(width), style="bold" if item.selected else "")
                line.append(" " + item.counts.rjust(counts), style="dim")
                options.append(Option(line, id=item.key))
            self.add_options(options)
            ids = [item.key for item in view.items]
            if highlighted_id in ids:
                self.highlighted = ids.index(highlighted_id)
            elif ids:
                self.highlighted = 0

    def _line_width(self) -> int:
        """Room for one entry, leaving space for a scrollbar whether or not it is shown.

        Fix: `scrollbar_size_vertical` is 0 while no scrollbar is shown, and the content
        region is measured before the scrollbar a long list gets: entries were cut 2
        columns too wide, and a big mesh's counts lost their end.
        """
        width = self.size.width
        if not width:
            return self.ASSUMED_WIDTH
        return width - self.styles.scrollbar_size_vertical

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(self, event.option.id))

    def action_toggle_entry(self) -> None:
        if self.highlighted is None:
            return
        option_id = self.get_option_at_index(self.highlighted).id
        if option_id is not None:
            self.post_message(self.Toggled(self, option_id))
