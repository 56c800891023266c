"""Work off the UI thread: failures are said and survived, stale results dropped, held keys
folded into one detail build.

The engine is made to fail with `monkeypatch` (the only way to get a crash the engine
does not have today); everything else is the real app over real folders.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from meshtui.app import MeshtuiApp
from meshtui.engine.evaluation import DataplaneRules, MeshEvaluation
from meshtui.engine.index import build_index_from_groups
from meshtui.parse import ContextOptions
from meshtui.present.detail import DetailBuilt, DetailRequest, build_detail
from meshtui.sources import Emit
from meshtui.views import ProblemRow
from meshtui.widgets.header import StatusHeader
from tests.app.harness import (
    DEMO,
    SAMPLE,
    SECOND,
    SEED,
    SEED_DATAPLANES,
    burst,
    dataplane,
    folder_app,
    key_event,
    notifications,
    press,
    row_names,
    rows,
    seed_copy,
    settle,
    started,
    state,
    until_shown,
    wait_for,
    write_team,
)


class EngineBug(RuntimeError):
    """What the patched engine raises."""


def failing_rules(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """`MeshEvaluation.rules` raises for the dataplane `name`, as an engine bug would."""
    rules = MeshEvaluation.rules

    def patched(self: MeshEvaluation, dataplane_name: str) -> DataplaneRules | None:
        if dataplane_name == name:
            raise EngineBug(f"cannot merge {dataplane_name}")
        return rules(self, dataplane_name)

    monkeypatch.setattr(MeshEvaluation, "rules", patched)


async def test_an_engine_exception_in_the_detail_is_said_and_the_dashboard_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing_rules(monkeypatch, SECOND.name)
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "j")
        assert state(app).selected_key == SECOND
        detail = app.dashboard.detail.view
        assert detail is not None and detail.title == "could not show consumer.second-consumer"
        assert "EngineBug: cannot merge consumer.second-consumer" in detail.text
        (message, severity), *_ = notifications(app)
        assert severity == "error" and "the detail failed: EngineBug" in message

        await press(pilot, "j")  # the next dataplane's detail works
        assert state(app).selected_key == DEMO
        shown = app.dashboard.detail.view
        assert shown is not None and shown.title.startswith("demo-app-")
        await press(pilot, "exclamation_mark")
        problems = app.dashboard.table.view
        assert problems is not None and any("EngineBug" in r.cells[1] for r in problems.rows)
        assert rows(app)[-1] == ProblemRow(len(app.inventory.problems))
        await press(pilot, "G")
        problem = app.dashboard.detail.view
        assert problem is not None and "cannot merge consumer.second-consumer" in problem.text


async def test_an_evaluation_that_fails_says_why_instead_of_evaluating_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = build_index_from_groups

    def broken(*args: object, **kwargs: object) -> object:
        raise EngineBug("no index today")

    monkeypatch.setattr("meshtui.app.build_index_from_groups", broken)
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: bool(notifications(app)))
        await settle(pilot)
        assert app.evaluation is None
        table = app.dashboard.table.view
        assert table is not None and table.rows == ()
        assert "evaluation failed: EngineBug: no index today" in table.empty_text
        assert "evaluating" not in table.empty_text
        assert "✖ 1 problem(s)" in str(app.dashboard.query_one("#header").render())
        await press(pilot, "exclamation_mark")
        assert any("no index today" in r.cells[1] for r in app.dashboard.table.view.rows)  # type: ignore[union-attr]

        monkeypatch.setattr("meshtui.app.build_index_from_groups", build)  # fixed
        await press(pilot, "1", "m")  # another mesh: evaluated afresh
        await wait_for(pilot, lambda: app.evaluation is not None)
        await settle(pilot)
        assert state(app).mesh == "shop" and all(".shop-" in n for n in row_names(app))


async def test_a_failure_after_a_good_evaluation_keeps_the_last_good_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        good = app.evaluation

        def broken(*args: object, **kwargs: object) -> object:
            raise EngineBug("edit broke the engine")

        monkeypatch.setattr("meshtui.app.build_index_from_groups", broken)
        extra = (folder / "second-consumer" / "consumer-dataplane.yaml").read_text()
        await until_shown(
            pilot,
            lambda: (folder / "extra.yaml").write_text(extra.replace("consumer", "extra", 1)),
            lambda: bool(notifications(app)),
        )
        await settle(pilot)
        assert app.evaluation is good, "the last good evaluation stays"
        assert rows(app) == SEED_DATAPLANES
        assert any("edit broke the engine" in m for m, _ in notifications(app))
        await press(pilot, "j")
        assert state(app).selected_key == SECOND, "and the dashboard keeps working"


class CrashingSource:
    """A source whose reading fails at once."""

    mode = "FOLDER"
    description = "nowhere"
    default_namespace = ""

    def run(self, emit: Emit, stop: threading.Event) -> None:
        raise EngineBug("the disk is gone")


async def test_a_source_that_crashes_says_so() -> None:
    app = MeshtuiApp(CrashingSource(), ContextOptions())
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.status.message.startswith("source failed"))
        await settle(pilot)
        assert app.status.message == "source failed: the disk is gone"
        assert any("source failed: EngineBug" in m for m, _ in notifications(app))
        table = app.dashboard.table.view
        assert table is not None and "source failed" in table.empty_text


async def test_a_detail_built_for_a_row_left_since_is_not_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker building SECOND's detail is held until the cursor has moved on to DEMO:
    SECOND's result arrives late and is dropped; DEMO's is shown."""
    build = build_detail
    started_building, release = threading.Event(), threading.Event()

    def slow(request: DetailRequest) -> DetailBuilt:
        if request.key == SECOND:
            started_building.set()
            release.wait(10)
        return build(request)

    monkeypatch.setattr("meshtui.app.build_detail", slow)
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        pane = app.dashboard.detail
        titles: list[str] = []
        app.dashboard.watch(pane, "view", lambda v: titles.append(v.title if v else ""), init=False)
        app.post_message(key_event("j"))  # SECOND's build starts, and hangs
        await wait_for(pilot, lambda: started_building.is_set())
        app.post_message(key_event("j"))  # DEMO is wanted while SECOND's build runs
        await wait_for(pilot, lambda: state(app).selected_key == DEMO)
        assert app.dashboard.detail_pending
        release.set()
        await settle(pilot)
        assert titles and titles[-1].startswith("demo-app-")
        assert not any("second-consumer" in t for t in titles), titles


async def test_thirty_presses_of_j_build_only_the_last_detail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_team(tmp_path, 40)
    build = build_detail
    built: list[object] = []

    def counted(request: DetailRequest) -> DetailBuilt:
        built.append(request.key)
        return build(request)

    monkeypatch.setattr("meshtui.app.build_detail", counted)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert built == [dataplane("app-00.team")]
        await burst(pilot, *["j"] * 30)
        assert state(app).selected_key == dataplane("app-30.team")
        assert built[1:] == [dataplane("app-30.team")], "one build, for the row the key stopped on"
        view = app.dashboard.detail.view
        assert view is not None and view.title.startswith("app-30 ")


async def test_a_result_arriving_while_textual_shuts_the_app_down_is_not_shown(
    tmp_path: Path,
) -> None:
    """Textual's shutdown first marks the app not running, then removes the screens'
    widgets, and only then unmounts the app (where meshtui stops its workers): a result
    that arrives in between is kept in the snapshot and not handed to the dashboard."""
    app = folder_app(seed_copy(tmp_path), watch=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.evaluation is not None)
        header = app.dashboard.query_one(StatusHeader)
        app._running = False  # the first step of App._shutdown
        await header.remove()  # what its pruning of the screens does next
        app._publish(status="arrived late")
        assert app.snapshot.status == "arrived late"
