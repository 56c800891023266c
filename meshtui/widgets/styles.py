"""Semantic view styles → Rich styles taken from the active Textual theme."""

from __future__ import annotations

from rich.style import Style
from textual.app import App

_STYLES: dict[tuple[int, str, str], Style] = {}
"""Styles already worked out, by (app, theme name, tag): `theme_variables` is slow (~2 ms)."""


def rich_style(app: App[object], semantic: str) -> Style:
    """The Rich style for a semantic tag (`added`, `changed`, `stale`, ...) in the current theme."""
    key = (id(app), app.theme, semantic)
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) > 256:  # apps come and go (tests); the cache stays small
            _STYLES.clear()
        style = _STYLES[key] = _style_of(app, semantic)
    return style


def _style_of(app: App[object], semantic: str) -> Style:
    variables = app.theme_variables
    colour = {
        "added": variables.get("success", "green"),
        "changed": variables.get("warning", "yellow"),
        "removed": variables.get("error", "red"),
        "error": variables.get("error", "red"),
        "warning": variables.get("warning", "yellow"),
        "accent": variables.get("accent", "cyan"),
    }.get(semantic)
    if semantic in ("added", "changed", "removed"):
        return Style(color=colour, bold=True)
    if colour is not None:
        return Style(color=colour)
    if semantic == "stale":
        return Style(dim=True, italic=True, strike=False)
    if semantic == "muted":
        return Style(dim=True)
    return Style()
