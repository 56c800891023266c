"""What-if mode (`:draft PATH`, `--draft PATH`): drafts overlaid on the live state, the
header says WHAT-IF, changed rows are marked, a proxy's detail shows its diff against the
live state, and `:draft off` returns to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meshtui.app import MeshtuiApp
from meshtui.cli import main
from meshtui.parse import ContextOptions
from meshtui.present.whatif import RULES_MARK
from meshtui.sources.files import FolderSource
from meshtui.views import Row, RowKey
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    FIRST,
    SECOND,
    command,
    conf_line,
    detail_labels,
    fixed_clock,
    folder_app,
    header_text,
    jumped,
    loaded,
    notifications,
    press,
    seed_copy,
    until_shown,
    wait_for,
)
from tests.versions import V2_10

TIMEOUT_FILE = Path("first-consumer") / "consumer-timeout.yaml"
FIELD = "http.requestTimeout: 1s → {}  (won by consumer-timeout.first-consumer to[0])"


def live_and_draft(tmp_path: Path) -> tuple[Path, Path]:
    """The seed scenario without consumer-timeout, and a drafts folder holding it."""
    folder = seed_copy(tmp_path)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    shutil.move(folder / TIMEOUT_FILE, drafts / "consumer-timeout.yaml")
    return folder, drafts


def row(app: MeshtuiApp, key: RowKey) -> Row | None:
    return app.dashboard.table.now_rows.get(key)


def compared(app: MeshtuiApp) -> bool:
    whatif = app.snapshot.whatif
    return whatif is not None and whatif.diff_for(app.evaluation) is not None


async def test_a_draft_policy_is_overlaid_marked_and_diffed_until_draft_off(
    tmp_path: Path,
) -> None:
    folder, drafts = live_and_draft(tmp_path)
    app = folder_app(folder, clock=fixed_clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        assert "WHAT-IF" not in header_text(app)
        await command(pilot, f"draft {drafts}")
        await wait_for(pilot, lambda: compared(app))
        header = header_text(app)
        assert "WHAT-IF" in header
        assert f"{drafts}: 1 resource drafted · 1 of 4 dataplanes change" in header

        first, second = row(app, FIRST), row(app, SECOND)
        assert first is not None and second is not None
        assert first.cells[0] == "consumer" + RULES_MARK and first.style == "changed"
        assert second.cells[0] == "consumer" and second.style == ""

        await jumped(pilot, app, FIRST)
        await wait_for(pilot, lambda: FIELD.format("3s") in detail_labels(app))
        labels = detail_labels(app)
        assert labels[1] == (
            "What-if: against the live state, 2 rules change, 1 policy now applies"
        )
        assert "MeshTimeout  outbound MeshService kuma-demo/demo-app  (changed)" in labels
        shown = [conf_line(label) for label in labels]
        assert "  requestTimeout: 3s" in shown, "the rules shown are the overlaid ones"

        await press(pilot, "2")
        drafted = row(app, CONSUMER_TIMEOUT)
        assert drafted is not None and drafted.cells[1] == "consumer-timeout  + draft"

        await command(pilot, "draft off")
        await wait_for(pilot, lambda: row(app, CONSUMER_TIMEOUT) is None)
        assert "WHAT-IF" not in header_text(app)
        await press(pilot, "1")
        first = row(app, FIRST)
        assert first is not None and first.cells[0] == "consumer" and first.style == ""
        await jumped(pilot, app, FIRST)
        await wait_for(pilot, lambda: "  requestTimeout: 1s" in map(conf_line, detail_labels(app)))
        assert not any(label.startswith("What-if") for label in detail_labels(app))


async def test_an_edited_draft_is_followed_and_is_not_a_live_change(tmp_path: Path) -> None:
    folder, drafts = live_and_draft(tmp_path)
    draft = drafts / "consumer-timeout.yaml"
    app = MeshtuiApp(
        FolderSource(folder, watch=False),
        ContextOptions(version=V2_10),
        clock=fixed_clock,
        draft=drafts,
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: compared(app))
        assert "WHAT-IF" in header_text(app)
        await jumped(pilot, app, FIRST)
        await wait_for(pilot, lambda: FIELD.format("3s") in detail_labels(app))
        edited = draft.read_text().replace("requestTimeout: 3s", "requestTimeout: 5s")
        await until_shown(
            pilot,
            lambda: draft.write_text(edited),
            lambda: FIELD.format("5s") in detail_labels(app),
        )
        assert app.snapshot.journal.records == (), "the Changes view follows the live state"


async def test_a_draft_that_is_not_there_is_said_and_changes_nothing(tmp_path: Path) -> None:
    app = folder_app(seed_copy(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await command(pilot, f"draft {tmp_path / 'nope'}")
        await wait_for(pilot, lambda: bool(notifications(app)))
        message, severity = notifications(app)[-1]
        assert "nope: no such file or directory" in message and severity == "error"
        assert app.snapshot.whatif is None
        await command(pilot, "draft off")
        assert "not in what-if mode" in notifications(app)[-1][0]


def test_draft_at_start_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--draft", str(tmp_path / "nope")]) == 2
    assert "--draft" in capsys.readouterr().err
