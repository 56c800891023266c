"""What a demanding user hit while using the dashboard for real, pinned down.

Each test names what went wrong before its fix; they drive the real app headless over
the sample cluster (or a copy of it) and wait on app state, never on time.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES

from meshtui.widgets.header import StatusHeader
from meshtui.widgets.styles import rich_style
from tests.app.harness import folder_app, wait_for
from tests.app.test_keys import SEED, settle, started

SEMANTIC = ("added", "changed", "removed", "stale", "warning", "error", "muted", "accent", "")


# ---------------------------------------------------------------------- themes


async def test_every_builtin_theme_renders_including_the_ansi_ones() -> None:
    """The ansi themes name colours `ansi_magenta` & co., which Rich cannot parse: choosing
    `ansi-light` from the palette raised inside a render and left the app frozen."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        for name in BUILTIN_THEMES:
            app.theme = name
            app.refresh_css(animate=False)  # what the app does next: the theme's variables
            for tag in SEMANTIC:
                rich_style(app, tag)
        for name in ("ansi-light", "ansi-dark"):
            app.theme = name
            await pilot.pause()
            header = app.query_one(StatusHeader).render()
            assert "FOLDER" in header.plain
            accent = rich_style(app, "accent").color
            assert accent is not None and accent.number is not None, "the terminal's own colour"
        await settle(pilot)
        await wait_for(pilot, lambda: app.theme == "ansi-dark")
