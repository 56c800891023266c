"""Semantic view styles → Rich styles taken from the active Textual theme."""

from __future__ import annotations

from rich.style import Style
from textual.app import App


def rich_style(app: App[object], semantic: str) -> Style:
    """The Rich style for a semantic tag (`added`, `changed`, `stale`, ...) in the current theme."""
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
