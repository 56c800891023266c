"""The Changes view (`4`, `:changes`): every live change since start, newest first, with
the proxies whose merged rules it changed and how; enter moves into the per-dataplane diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from meshtui.app import MeshtuiApp
from meshtui.present.changes import NOTHING
from meshtui.views import ChangeRow, TableView
from tests.app.harness import (
    FIRST,
    command,
    detail_labels,
    fixed_clock,
    focused_id,
    folder_app,
    loaded,
    press,
    rows,
    seed_copy,
    state,
    title,
    until_shown,
    wait_for,
)

TIMEOUT_FILE = Path("first-consumer") / "consumer-timeout.yaml"
MTP_FILE = Path("kuma-demo") / "mtp.yaml"


def table(app: MeshtuiApp) -> TableView:
    view = app.dashboard.table.view
    assert view is not None
    return view


def computed(app: MeshtuiApp, count: int) -> bool:
    """Whether `count` changes (or more) are listed, each with its effect computed."""
    records = app.snapshot.journal.records
    return len(records) >= count and all(r.effects is not None for r in records)


async def test_a_live_edit_lists_the_dataplanes_and_fields_it_changed(tmp_path: Path) -> None:
    folder = seed_copy(tmp_path)
    timeout = folder / TIMEOUT_FILE
    text = timeout.read_text()
    timeout.unlink()
    app = folder_app(folder, watch=True, clock=fixed_clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await press(pilot, "4")
        assert state(app).view == "changes"
        assert rows(app) == []
        assert "no change since start" in table(app).empty_text

        await until_shown(pilot, lambda: timeout.write_text(text), lambda: computed(app, 1))
        await wait_for(pilot, lambda: table(app).rows[0].cells[2] != "…")
        [row] = table(app).rows
        assert row.key == ChangeRow(1)
        assert row.cells == (
            "09:30:00",
            "+ MeshTimeout consumer-timeout (first-consumer)",
            "1 of 4",
            "MeshTimeout http.requestTimeout  +2",
            "1s → 3s",
            "consumer-timeout.first-consumer to[0]",
            "default",
        )
        assert title(app) == "Changes (1)"
        await wait_for(
            pilot, lambda: "dataplane consumer.first-consumer" in " ".join(detail_labels(app))
        )

        await press(pilot, "enter")
        assert focused_id(app) == "rules"
        labels = detail_labels(app)
        assert "dataplane consumer.first-consumer in ns first-consumer" in labels
        assert "MeshTimeout  outbound MeshService kuma-demo/demo-app  (changed)" in labels
        assert (
            "http.requestTimeout: 1s → 3s  (won by consumer-timeout.first-consumer to[0])" in labels
        )
        assert not any("second-consumer" in label for label in labels)

        # enter on the dataplane line opens it, esc comes back to the change
        tree = app.dashboard.detail.rules_tree
        line = next(
            n
            for n in tree._walk_ui(tree.root)
            if n.data is not None and n.data.label.startswith("dataplane consumer.first")
        )
        tree.move_cursor(line, animate=False)
        await press(pilot, "enter")
        assert state(app).view == "dataplanes" and state(app).selected_key == FIRST
        await press(pilot, "escape")
        assert state(app).view == "changes"


async def test_a_change_that_changed_no_merged_rule_says_so(tmp_path: Path) -> None:
    folder = seed_copy(tmp_path)
    mtp = folder / MTP_FILE
    text = mtp.read_text()
    labelled = text.replace("kuma.io/zone: default", "kuma.io/zone: default\n    team: payments")
    assert labelled != text
    app = folder_app(folder, watch=True, clock=fixed_clock)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await command(pilot, "changes")
        assert state(app).view == "changes"
        await until_shown(pilot, lambda: mtp.write_text(labelled), lambda: computed(app, 1))
        await wait_for(pilot, lambda: table(app).rows[0].cells[2] != "…")
        [row] = table(app).rows
        assert row.cells[1] == "~ MeshTrafficPermission mtp (kuma-demo)"
        assert row.cells[2:4] == ("0 of 4", NOTHING)
        assert row.style == "muted"
        await wait_for(pilot, lambda: NOTHING in detail_labels(app))

        # the next change is listed first
        await until_shown(pilot, lambda: mtp.write_text(text), lambda: computed(app, 2))
        keys = [r.key for r in table(app).rows]
        assert keys[-1] == ChangeRow(1)
        assert keys == sorted(keys, key=lambda k: -k.sequence if isinstance(k, ChangeRow) else 0)
        assert table(app).rows[0].cells[1] == "~ MeshTrafficPermission mtp (kuma-demo)"


async def test_a_change_is_shown_in_the_panes_before_its_effect_is_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The effect (a diff of every proxy) waits for the panes: when it starts, the
    evaluation of the changed inventory is published and no detail is being built."""
    import meshtui.tracking as tracking
    from meshtui.present.journal import effect_of as original

    folder = seed_copy(tmp_path)
    timeout = folder / TIMEOUT_FILE
    text = timeout.read_text()
    app = folder_app(folder, watch=True, clock=fixed_clock)
    seen: list[tuple[int, int, bool]] = []

    def effect_of(job: Any, *args: Any, **kwargs: Any) -> Any:
        snapshot = app.snapshot
        working = app.call_from_thread(app._panes_working)
        seen.append((job.after.version, snapshot.evaluated, working))
        return original(job, *args, **kwargs)

    monkeypatch.setattr(tracking, "effect_of", effect_of)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app)
        await until_shown(
            pilot,
            lambda: timeout.write_text(text.replace("3s", "4s")),
            lambda: computed(app, 1),
        )
    assert seen
    for after, evaluated, working in seen:  # an edit may reach the watcher as two changes
        assert evaluated >= after and not working
