"""A scrolling text moved with the keys the lists and the tree use."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll


class TextScroll(VerticalScroll):
    """`VerticalScroll` with j/k and g/G (it binds only the arrows, pgup/pgdn, home/end)."""

    BINDINGS = [
        Binding("j", "scroll_down", show=False),
        Binding("k", "scroll_up", show=False),
        Binding("g", "scroll_home", show=False),
        Binding("G", "scroll_end", show=False),
    ]
