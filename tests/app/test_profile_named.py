"""The Kuma version the dashboard answers as is named in the header, the `?` help and the
F1 panel, as the command line builds the app (folder mode; cluster mode is in
`test_cluster_versions`)."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from meshtui.app import MeshtuiApp
from meshtui.cli import _dashboard_parser, asked_context, context_options
from meshtui.sources.files import FolderSource
from meshtui.widgets.help import ProfileHelpPanel
from tests.app.harness import SEED, fixed_clock, header_text, help_text, press, started, wait_for


def app_of(*argv: str) -> MeshtuiApp:
    """The app `meshtui SEED argv…` builds."""
    args = _dashboard_parser().parse_args([str(SEED), *argv])
    assert args.no_cp_check is False
    return MeshtuiApp(
        FolderSource(SEED, watch=False),
        context_options(args),
        asked=asked_context(args),
        clock=fixed_clock,
    )


@pytest.mark.parametrize(
    ("argv", "label", "how"),
    [
        (
            (),
            "Kuma 2.14.3 (default)",
            "Answering as Kuma 2.14.3, the default (--kuma-version picks another line)",
        ),
        (
            ("--kuma-version", "2.12"),
            "Kuma 2.12.14 (--kuma-version)",
            "Answering as Kuma 2.12.14, as --kuma-version 2.12 asks",
        ),
    ],
)
async def test_the_header_the_help_and_f1_name_the_profile(
    argv: tuple[str, ...], label: str, how: str
) -> None:
    app = app_of(*argv)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert f"producer-consumer  {label}  " in header_text(app)
        assert app.inventory.control_plane.version == app.profile.version
        await press(pilot, "question_mark")
        assert help_text(app).startswith(how)
        await press(pilot, "escape")
        await press(pilot, "f1")
        panel = app.screen.query_one(ProfileHelpPanel)
        line = panel.query_one("#profile-help", Static)
        await wait_for(pilot, lambda: str(line.content) == f"Answering as {label}")
        await press(pilot, "f1")
        assert not app.screen.query(ProfileHelpPanel)
