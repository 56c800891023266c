"""A side list (namespaces, policy roles): entries with counts; choose or toggle one."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from meshtui.views import SideListView


class EntryMessage(Message):
    """Something the user did to an entry of a side list: `key` says which."""

    def __init__(self, sidelist: SideList, key: str) -> None:
        super().__init__()
        self.sidelist = sidelist
        self.key = key

    @property
    def control(self) -> SideList:
        """The list the entry belongs to (for `@on` selectors)."""
        return self.sidelist


class SideList(OptionList):
    """Renders a `SideListView`; `enter` posts `Chosen`, `space` posts `Toggled`, and moving
    onto an entry posts `Highlighted`, each with the entry's key."""

    HELP = """
    ## Namespaces and roles

    `enter` shows only the entry under the cursor, `space` adds or removes a
    namespace of a selection (`all` clears it). A role shows the policies of
    that role; what the role means is written under the list.
    """

    BINDINGS = [
        Binding("enter", "select", "Choose", show=True),
        Binding("space", "toggle_entry", "Select", show=True),
        # the keys the table and the tree move with
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "first", show=False),
        Binding("G", "last", show=False),
    ]

    view: reactive[SideListView | None] = reactive(None)
    _drawn_width = 0
    """The entry width the options were cut to."""

    ASSUMED_WIDTH = 32
    """Entry width before the first layout: the sidebar's 38 columns, less border, padding
    and a scrollbar (counted whether or not one is shown, so that a long list's counts
    keep their end)."""

    class Highlighted(EntryMessage):
        """The user moved onto an entry."""

    class Chosen(EntryMessage):
        """The user picked an entry (enter or click)."""

    class Toggled(EntryMessage):
        """The user toggled an entry in or out of a multi-selection (space)."""

    def on_resize(self, event: Resize) -> None:
        """Entries are cut to the width: cut them again when it changes."""
        if self.view is not None and self._drawn_width != self._line_width():
            self.watch_view(self.view, self.view)

    def watch_view(self, old: SideListView | None, view: SideListView | None) -> None:
        highlighted = self.highlighted
        highlighted_key = None
        if old is not None and highlighted is not None and 0 <= highlighted < len(old.items):
            highlighted_key = old.items[highlighted].key
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
                options.append(Option(line))
            self.add_options(options)
            keys = [item.key for item in view.items]
            if highlighted_key in keys:
                self.highlighted = keys.index(highlighted_key)
            elif keys:
                self.highlighted = 0

    def _line_width(self) -> int:
        """Room for one entry, leaving space for a scrollbar whether or not it is shown
        (`scrollbar_size_vertical` is 0 until a long list gets its scrollbar, and the
        content region is measured before that)."""
        width = self.size.width
        if not width:
            return self.ASSUMED_WIDTH
        return width - self.styles.scrollbar_size_vertical

    def _key_at(self, index: int | None) -> str | None:
        view = self.view
        if view is None or index is None or not 0 <= index < len(view.items):
            return None
        return view.items[index].key

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        key = self._key_at(event.option_index)
        if key is not None:
            self.post_message(self.Highlighted(self, key))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = self._key_at(event.option_index)
        if key is not None:
            self.post_message(self.Chosen(self, key))

    def action_toggle_entry(self) -> None:
        key = self._key_at(self.highlighted)
        if key is not None:
            self.post_message(self.Toggled(self, key))
