"""What a demanding user hit while using the dashboard for real, pinned down.

Each test names what went wrong before its fix; they drive the real app headless over
the sample cluster (or a copy of it) and wait on app state, never on time.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.theme import BUILTIN_THEMES
from textual.widgets import Input

from meshtui.widgets.header import StatusHeader
from meshtui.widgets.help import HelpScreen
from meshtui.widgets.styles import rich_style
from tests.app.harness import folder_app, wait_for
from tests.app.test_keys import (
    PRODUCER_TIMEOUT,
    SECOND,
    SEED,
    focused,
    key_event,
    press,
    rows,
    settle,
    started,
)

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


# ---------------------------------------------------------------------- fast typing


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Queue `keys` all at once (a fast typist, a paste, a busy app), then settle."""
    for key in keys:
        pilot.app.post_message(key_event(key))
    await settle(pilot)


async def test_keys_typed_right_after_slash_or_colon_reach_the_field() -> None:
    """`/` and `:` only scheduled the focus move, behind the keys already queued: a fast
    `/prod` filtered nothing (`prod` went to the table) and `:mt⏎` opened a row instead."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await burst(pilot, "slash", *"second")
        assert app.ui.filter == "second"
        assert rows(app) == [SECOND]
        await press(pilot, "escape")
        await burst(pilot, "colon", "m", "t", "enter")
        assert app.ui.view == "policies" and app.ui.kind == "MeshTimeout"
        assert focused(app) is app.table
        await burst(pilot, "colon", "n", "s", "space", *"kuma-demo", "enter")
        assert app.ui.namespaces == {"kuma-demo"}
        assert rows(app) == [PRODUCER_TIMEOUT]


async def test_slash_and_colon_are_typed_in_fields_and_do_nothing_over_help() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await burst(pilot, "colon", *"ns a/b:c")
        assert app.query_one("#command", Input).value == "ns a/b:c"
        await press(pilot, "escape", "slash")
        await burst(pilot, *"a:b/")
        assert app.ui.filter == "a:b/"
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "slash", "colon")
        assert isinstance(app.screen, HelpScreen), "no crash, no field opened under the help"
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        assert not app.query_one("#filter", Input).has_class("-active")
