"""A side list (namespaces, policy roles): entries with counts; choose or toggle one."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from meshtui.views import ListView


class SideList(OptionList):
    """Renders a `ListView`; `enter` posts `Chosen`, `space` posts `Toggled`."""

    BINDINGS = [Binding("space", "toggle_entry", "Select", show=True)]

    view: reactive[ListView | None] = reactive(None)

    ASSUMED_WIDTH = 34
    """Entry width before the first layout: the sidebar's 38 columns, less border and scrollbar."""

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
            room = self._line_width() - 3 - counts  # "● ", label, " ", counts
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
        """Room for one entry, leaving space for a scrollbar even before it appears."""
        region = self.scrollable_content_region.width
        if not region:
            return self.ASSUMED_WIDTH
        return region if self.show_vertical_scrollbar else region - self.scrollbar_size_vertical

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
