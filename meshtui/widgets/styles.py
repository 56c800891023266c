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
    "ok": ("success", "green"),
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

    Styles are remembered by the colour the theme gives the tag, not by the theme's name:
    a theme's variables change only at the app's next CSS refresh.
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

    Theme variables are in Textual's colour syntax, which Rich does not always read (the
    `ansi-*` themes name colours like `ansi_magenta`): they go through Textual's parser,
    and a colour neither reads falls back to `fallback`, never raising inside a render.
    """
    try:
        return Color.parse(value).rich_color
    except ColorParseError:
        return RichColor.parse(fallback)
