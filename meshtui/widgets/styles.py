"""Semantic view styles → Rich styles taken from the active Textual theme."""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError

_COLOURED = {
    "added": ("success", "green"),
    "changed": ("warning", "yellow"),
    "removed": ("error", "red"),
    "error": ("error", "red"),
    "warning": ("warning", "yellow"),
    "accent": ("accent", "cyan"),
}
"""Semantic tag → (theme variable, colour when the theme lacks it)."""

_PLAIN = {
    "stale": Style(dim=True, italic=True, strike=False),
    "muted": Style(dim=True),
}

_STYLES: dict[tuple[str, str], Style] = {}
"""Styles already worked out, by (tag, the theme's colour for it)."""


def rich_style(app: App[Any], semantic: str) -> Style:
    """The Rich style for a semantic tag (`added`, `changed`, `stale`, ...) in the current theme.

    Fix: the cache was keyed by theme *name*, and a theme's variables only change at the
    app's next CSS refresh, so a style worked out in between kept the previous theme's
    colour for good; it is keyed by the colour itself now.
    """
    coloured = _COLOURED.get(semantic)
    if coloured is None:
        return _PLAIN.get(semantic, Style())
    variable, fallback = coloured
    value = app.theme_variables.get(variable, fallback)
    key = (semantic, value)
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) > 256:  # themes come and go; the cache stays small
            _STYLES.clear()
        colour = _rich_colour(value, fallback)
        bold = semantic in ("added", "changed", "removed")
        style = _STYLES[key] = Style(color=colour, bold=True) if bold else Style(color=colour)
    return style


def _rich_colour(value: str, fallback: str) -> RichColor:
    """A theme colour as Rich takes it.

    Fix: theme variables are in Textual's colour syntax, which Rich does not always read:
    the `ansi-dark` and `ansi-light` themes use names like `ansi_magenta`, and handing
    those to `rich.style.Style` raised in the middle of a render, which froze the app.
    """
    try:
        return Color.parse(value).rich_color
    except ColorParseError:
        return RichColor.parse(fallback)
