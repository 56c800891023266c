"""Explain in the dashboard: blamed conf lines, `e` (explain), `w` (why (not)), and the jumps
between policy, dataplane and explanation (one key each way), built in the detail worker."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import HelpPanel, Markdown

from meshtui.app import MeshtuiApp
from meshtui.present.detail import DetailBuilt, DetailRequest, build_detail
from meshtui.views import DetailNode, DetailView
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    FIRST,
    MTP,
    PRODUCER_TIMEOUT,
    SEED,
    burst,
    dataplane,
    detail_labels,
    focused,
    folder_app,
    footer_shows,
    help_text,
    jumped,
    notifications,
    press,
    started,
    state,
    wait_for,
    write_team,
)
from tests.app.test_navigation import cursor_node, tree_cursor_to

OUTBOUND_TITLE = (
    "Explain  consumer (first-consumer)  ·  MeshTimeout outbound MeshService kuma-demo/demo-app"
)


async def on_the_seed_timeout(pilot: Pilot[None], app: MeshtuiApp) -> DetailNode:
    """Load the seed, open first-consumer's tree and put the cursor on its requestTimeout."""
    await started(pilot, app)
    await press(pilot, "enter")
    return await tree_cursor_to(pilot, app, lambda n: "requestTimeout: 3s" in n.label)


def shown(app: object) -> DetailView:
    view = app.dashboard.detail.view  # type: ignore[attr-defined]
    assert isinstance(view, DetailView)
    return view


async def test_a_conf_line_names_its_winning_entry_and_enter_opens_that_policy() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        line = await on_the_seed_timeout(pilot, app)
        assert line.label == "  requestTimeout: 3s  ← consumer-timeout to[0] · overrides 1s"
        await press(pilot, "enter")
        assert state(app).selected_key == CONSUMER_TIMEOUT
        await press(pilot, "escape")
        assert state(app).selected_key == FIRST


async def test_e_explains_the_rule_under_the_cursor_and_e_again_returns_to_that_line() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        line = await on_the_seed_timeout(pilot, app)
        await press(pilot, "e")
        assert state(app).detail_mode == "explain"
        view = shown(app)
        assert view.title == OUTBOUND_TITLE
        labels = detail_labels(app)
        assert "http.requestTimeout: 3s  ← consumer-timeout (first-consumer)  to[0]" in labels
        assert "overrides 1s  from producer-timeout (kuma-demo)  to[0]" in labels
        assert (
            "consumer-timeout comes after producer-timeout: role consumer ranks above producer"
        ) in labels
        assert focused(app) is app.dashboard.detail.rules_tree
        await press(pilot, "e")
        assert state(app).detail_mode == "tree"
        await wait_for(pilot, lambda: cursor_node(app) == line)  # where the user left it


async def test_e_from_the_list_explains_the_whole_dataplane_and_esc_returns() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "e")
        assert shown(app).title == "Explain  consumer (first-consumer)  ·  every merged conf"
        assert focused(app) is app.dashboard.table
        await press(pilot, "j")  # the explanation follows the selection
        assert shown(app).title == "Explain  consumer (second-consumer)  ·  every merged conf"
        await press(pilot, "escape")
        assert state(app).detail_mode == "tree" and shown(app).title.startswith("consumer  ")
        assert state(app).selected_key == dataplane("consumer.second-consumer")


async def test_enter_on_a_winner_opens_the_policy_and_esc_comes_back_to_the_explanation() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_the_seed_timeout(pilot, app)
        await press(pilot, "e")
        field = await tree_cursor_to(pilot, app, lambda n: n.label.startswith("http."))
        await press(pilot, "enter")
        assert state(app).selected_key == CONSUMER_TIMEOUT
        assert state(app).detail_mode == "tree", "a jump shows the policy itself"
        assert shown(app).title == "MeshTimeout consumer-timeout"
        await press(pilot, "escape")
        assert state(app).selected_key == FIRST and state(app).detail_mode == "explain"
        assert shown(app).title == OUTBOUND_TITLE
        await press(pilot, "tab")  # into the tree: the cursor is back on the winner's line
        await wait_for(pilot, lambda: cursor_node(app) == field)
        overridden = await tree_cursor_to(pilot, app, lambda n: n.label.startswith("overrides"))
        assert overridden.target == PRODUCER_TIMEOUT
        await press(pilot, "enter")
        assert state(app).selected_key == PRODUCER_TIMEOUT


async def test_w_on_a_policy_answers_for_the_dataplane_it_was_reached_from() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "enter")
        await tree_cursor_to(pilot, app, lambda n: n.label.startswith("← MeshTimeout producer"))
        await press(pilot, "enter")
        assert state(app).selected_key == PRODUCER_TIMEOUT
        await press(pilot, "w")
        view = shown(app)
        assert view.title == "Why (not)  MeshTimeout producer-timeout  →  consumer (first-consumer)"
        assert view.subtitle.startswith("applies · wins 1 field(s), loses 1")
        assert "Fields it sets but loses  (1)" in detail_labels(app)
        await press(pilot, "tab")
        await tree_cursor_to(pilot, app, lambda n: "→ 3s from consumer-timeout" in n.label)
        await press(pilot, "enter")  # who overrides it
        assert state(app).selected_key == CONSUMER_TIMEOUT and state(app).detail_mode == "tree"
        await press(pilot, "escape")
        assert state(app).selected_key == PRODUCER_TIMEOUT and state(app).detail_mode == "why"

        await press(pilot, "G")  # down the policies list: each against the same dataplane
        assert state(app).selected_key == MTP
        assert (
            shown(app).title == "Why (not)  MeshTrafficPermission mtp  →  consumer (first-consumer)"
        )
        assert "Does not apply  (1 reason(s))" in detail_labels(app)
        await press(pilot, "w")
        assert state(app).detail_mode == "tree" and shown(app).title == "MeshTrafficPermission mtp"


async def test_w_on_a_dataplane_uses_the_policy_selected_last_or_says_to_pick_one() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "w")
        assert state(app).detail_mode == "tree"
        ((message, _),) = notifications(app)
        assert message.startswith("w: select a policy first (2)")
        await press(pilot, "2", "j", "1", "w")  # producer-timeout, then back to first-consumer
        assert state(app).selected_key == FIRST
        assert (
            shown(app).title
            == "Why (not)  MeshTimeout producer-timeout  →  consumer (first-consumer)"
        )
        await press(pilot, "e")  # from why to explain
        assert state(app).detail_mode == "explain"
        assert shown(app).title.startswith("Explain  consumer (first-consumer)")


async def test_e_and_w_are_in_the_footer_the_help_and_the_trees_f1_panel() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await footer_shows(pilot, app, {("e", "Explain"), ("w", "Why (not)")})
        await press(pilot, "3")  # services: nothing to explain, not offered
        await footer_shows(pilot, app, {("y", "YAML")}, {("e", "Explain"), ("w", "Why (not)")})
        await press(pilot, "e")
        assert state(app).detail_mode == "tree"
        await press(pilot, "2")
        await footer_shows(pilot, app, {("e", "Explain"), ("w", "Why (not)")})
        await press(pilot, "question_mark")
        text = help_text(app)
        assert "  e            explain the conf under the cursor (or the dataplane)" in text
        assert "  w            why (not): does the policy apply to the dataplane selected" in text
        await press(pilot, "escape", "enter", "f1")
        panel = app.screen.query_one(HelpPanel)
        await wait_for(
            pilot, lambda: "`e` explains the conf" in str(panel.query_one(Markdown).source)
        )


async def test_explanations_are_built_in_the_detail_worker_for_the_row_a_held_key_stops_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As for the tree: 30 presses of j in explain mode build one explanation, the last
    row's, and never on the UI thread."""
    write_team(tmp_path, 40)
    built: list[tuple[str, str, bool]] = []
    build = build_detail

    def counted(request: DetailRequest) -> DetailBuilt:
        name = request.key.name if request.key is not None else ""  # type: ignore[union-attr]
        built.append((name, request.mode, threading.current_thread() is threading.main_thread()))
        return build(request)

    monkeypatch.setattr("meshtui.app.build_detail", counted)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "e")
        assert built[-1] == ("app-00.team", "explain", False)
        before = len(built)
        await burst(pilot, *["j"] * 30)
        assert built[before:] == [("app-30.team", "explain", False)]
        assert shown(app).title == "Explain  app-30 (team)"
        assert detail_labels(app)[1:] == ["no merged conf on this proxy"]


async def test_the_explanation_follows_a_jump_target_back() -> None:
    """`esc` after a jump from an explanation shows the explanation again, not the tree."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await jumped(pilot, app, PRODUCER_TIMEOUT)
        await press(pilot, "1", "e")
        assert state(app).detail_mode == "explain" and state(app).selected_key == FIRST
        app.dashboard.jump(CONSUMER_TIMEOUT)
        await press(pilot, "escape")
        assert state(app).detail_mode == "explain" and shown(app).title.startswith("Explain")
