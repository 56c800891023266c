"""SVG snapshots of what a person sees (fixed terminal size, fixed clock, no blinking cursor).

Update after a deliberate change with `pytest snapshots --snapshot-update`, then look at
the changed SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from meshtui.app import MeshtuiApp
from meshtui.views import ResourceRow
from tests.app.harness import (
    REPO,
    dataplane,
    fixed_clock,
    folder_app,
    jumped,
    loaded,
    policy,
)

Compare = Callable[..., bool]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _app(folder: str) -> MeshtuiApp:
    return folder_app(Path(folder), clock=fixed_clock)


def _prepare(
    app: MeshtuiApp, *, jump: ResourceRow | None = None, keys: str = ""
) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        for field in app.query(Input):
            field.cursor_blink = False
        await loaded(pilot, app)
        if jump is not None:
            await jumped(pilot, app, jump)
        for key in keys.split():
            await pilot.press(key)
        await pilot.pause()

    return run_before


def test_seed_scenario_first_consumer(snap_compare: Compare) -> None:
    app = _app("sample-cluster")
    run_before = _prepare(app, jump=dataplane("consumer.first-consumer"))
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_policy_detail(snap_compare: Compare) -> None:
    app = _app("sample-cluster")
    run_before = _prepare(app, jump=policy("MeshTimeout", "consumer-timeout.first-consumer"))
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_problems_view(snap_compare: Compare) -> None:
    app = _app("snapshots/fixtures/broken")
    run_before = _prepare(app, keys="exclamation_mark down")
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_help(snap_compare: Compare) -> None:
    app = _app("sample-cluster")
    assert snap_compare(
        app, terminal_size=(120, 45), run_before=_prepare(app, keys="question_mark")
    )


def test_narrow_terminal(snap_compare: Compare) -> None:
    app = _app("sample-cluster")
    run_before = _prepare(app, jump=dataplane("consumer.first-consumer"))
    assert snap_compare(app, terminal_size=(80, 30), run_before=run_before)


def test_explain_view(snap_compare: Compare) -> None:
    """`e` on the seed's requestTimeout line: who set it, what it overrode, the order."""
    app = _app("sample-cluster")
    run_before = _prepare(
        app, jump=dataplane("consumer.first-consumer"), keys="enter down down down down down e"
    )
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_why_not_view(snap_compare: Compare) -> None:
    """`w` on producer-timeout, for the dataplane selected before: it applies, wins on the
    legacy tag rule and loses the outbound's requestTimeout to consumer-timeout."""
    app = _app("sample-cluster")
    run_before = _prepare(app, jump=policy("MeshTimeout", "producer-timeout.kuma-demo"), keys="w")
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)
