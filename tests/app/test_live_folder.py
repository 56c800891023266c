"""Live folder mode: files written, edited, broken, fixed and deleted show up by themselves."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import meshtui.sources.files as files_module
from meshtui.app import MeshtuiApp
from meshtui.sources import decodecache
from meshtui.views import RowKey
from tests.app.harness import (
    SAMPLE,
    conf_line,
    dataplane,
    detail_labels,
    folder_app,
    loaded,
    policy,
    seed_copy,
    wait_for,
)

SEED = SAMPLE / "producer-consumer"
CONSUMER_TIMEOUT = Path("first-consumer") / "consumer-timeout.yaml"


def _timeout_shown(app: MeshtuiApp, value: str) -> bool:
    return f"  requestTimeout: {value}" in map(conf_line, detail_labels(app))


async def test_editing_a_policy_on_disk_updates_the_rules_without_a_keypress(
    tmp_path: Path,
) -> None:
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        app.dashboard.jump(dataplane("consumer.first-consumer"))
        await wait_for(pilot, lambda: _timeout_shown(app, "3s"))
        path = folder / CONSUMER_TIMEOUT
        path.write_text(path.read_text().replace("requestTimeout: 3s", "requestTimeout: 4s"))
        await wait_for(pilot, lambda: _timeout_shown(app, "4s"), timeout=10)
        assert app.dashboard.table.current_key() == dataplane("consumer.first-consumer")
        assert app.dashboard.highlights.nodes, "the changed rule is highlighted"


async def test_a_broken_file_shows_a_problem_and_keeps_the_last_good_version(
    tmp_path: Path,
) -> None:
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        app.dashboard.jump(dataplane("consumer.first-consumer"))
        await wait_for(pilot, lambda: _timeout_shown(app, "3s"))
        path = folder / CONSUMER_TIMEOUT
        good = path.read_text()
        path.write_text(good.replace("requestTimeout: 3s", "requestTimeout: [3s"))
        (folder / "stray.yaml").write_text("kind: [unclosed\n")
        await wait_for(
            pilot,
            lambda: sum(p.severity == "error" for p in app.inventory.problems) == 2,
            timeout=10,
        )
        problems = {
            p.file.rsplit("/", 1)[-1]: p for p in app.inventory.problems if p.severity == "error"
        }
        assert problems["consumer-timeout.yaml"].document == 1
        assert "line" in problems["stray.yaml"].message
        assert _timeout_shown(app, "3s"), "the last good version stays in effect"
        assert any(k.name == "consumer-timeout.first-consumer" for k in app.inventory.stale_keys)
        path.write_text(good)
        await wait_for(
            pilot,
            lambda: sum(p.severity == "error" for p in app.inventory.problems) == 1,
            timeout=10,
        )
        assert not app.inventory.stale_keys


async def test_new_and_deleted_files_add_and_remove_resources(tmp_path: Path) -> None:
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        app.dashboard.action_show("policies")
        extra = (folder / CONSUMER_TIMEOUT).read_text().replace("consumer-timeout", "extra-timeout")
        (folder / "extra.yaml").write_text(extra)
        await wait_for(
            pilot,
            lambda: (
                policy("MeshTimeout", "extra-timeout.first-consumer")
                in app.dashboard.table.now_rows
            ),
            timeout=10,
        )
        assert (
            app.dashboard.table.now_rows[
                policy("MeshTimeout", "extra-timeout.first-consumer")
            ].style
            == "added"
        )
        (folder / "extra.yaml").unlink()
        await wait_for(
            pilot,
            lambda: (
                policy("MeshTimeout", "extra-timeout.first-consumer")
                not in app.dashboard.table.now_rows
            ),
            timeout=10,
        )


async def test_a_big_folder_decoded_by_worker_processes_loads_in_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inside the app sys.stderr is Textual's capture (no file descriptor); the workers
    # must start anyway (multiprocessing's did not: "bad value(s) in fds_to_keep").
    answers: list[object] = []
    real = files_module.decode_in_workers

    def recorded(chunks: list[list[str]], stop: threading.Event | None = None) -> object:
        answers.extend(real(chunks, stop))
        return answers[-len(chunks) :]

    monkeypatch.setattr(files_module, "decode_in_workers", recorded)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: 2)
    monkeypatch.setattr(decodecache, "_switched_off", True)  # another test may have cached SEED
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        app.dashboard.jump(dataplane("consumer.first-consumer"))
        await wait_for(pilot, lambda: _timeout_shown(app, "3s"))
        assert not app.status.message.startswith("source failed")
    assert len(answers) == 2 and None not in answers


def _affects(app: MeshtuiApp) -> dict[RowKey, str]:
    """The AFFECTS column of the policies table, by row key."""
    view = app.dashboard.table.view
    assert view is not None and view.columns[-1] == "AFFECTS"
    return {row.key: row.cells[-1] for row in view.rows}


async def test_affected_counts_are_computed_for_the_policies_view_and_follow_edits(
    tmp_path: Path,
) -> None:
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await pilot.pause(0.3)
        assert app.affected == {}, "not counted while no view shows the counts"
        await pilot.press("2")
        consumer = policy("MeshTimeout", "consumer-timeout.first-consumer")
        producer = policy("MeshTimeout", "producer-timeout.kuma-demo")
        await wait_for(pilot, lambda: "…" not in _affects(app).values())
        assert _affects(app)[consumer] == "1" and _affects(app)[producer] == "4"

        path = folder / CONSUMER_TIMEOUT
        narrowed = path.read_text().replace(
            "spec:\n", "spec:\n  targetRef: {kind: MeshSubset, tags: {app: nothing}}\n"
        )
        path.write_text(narrowed)
        await wait_for(pilot, lambda: _affects(app)[consumer] == "0", timeout=10)
        assert _affects(app)[producer] == "4"
