"""Every key and `:` command, pressed as a user would, checked on state and widgets.

Keys are the events `pilot.press` sends, but waited on by draining the app's message
queues (`press`) or by state (`type_text`, `command`) instead of `pilot.press`'s wait for
an idle CPU, which costs 70-200 ms a key and adds up over a suite.
"""

from __future__ import annotations

from pathlib import Path

from rich.syntax import Syntax
from textual.command import CommandPalette
from textual.widgets import HelpPanel, Input, Markdown, Static

from meshtui.views import ProblemRow, RowKey
from meshtui.widgets.help import HelpScreen
from meshtui.widgets.scroll import TextScroll
from meshtui.widgets.sidelist import SideList
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    DEMO,
    FIRST,
    MTP,
    PRODUCER_TIMEOUT,
    REDIS,
    SAMPLE,
    SECOND,
    SEED,
    SEED_DATAPLANES,
    SEED_POLICIES,
    SHOP_DATAPLANES,
    burst,
    command,
    detail_labels,
    field,
    focused,
    folder_app,
    footer_shows,
    header_text,
    help_text,
    notifications,
    press,
    row_names,
    rows,
    seed_copy,
    service,
    started,
    state,
    title,
    type_text,
    wait_for,
)

# ---------------------------------------------------------------------- `/` filter


async def test_slash_filters_live_with_the_match_count_and_esc_or_a_view_switch_clear_it() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert title(app) == "Dataplanes (4)"
        await press(pilot, "slash")
        assert focused(app) is field(app, "filter") and field(app, "filter").display
        counts = []
        typed = ""
        for char in "second":
            await type_text(pilot, char)
            typed += char
            assert state(app).filter == typed
            counts.append(len(rows(app)))
            assert title(app) == f"Dataplanes ({counts[-1]}/4)  /{typed}"
        assert counts == sorted(counts, reverse=True) and counts[0] > 1 == counts[-1], (
            "the table narrows while typing, not on enter"
        )
        assert rows(app) == [SECOND]
        assert state(app).selected_key == SECOND, "the selection moves into the filtered rows"
        assert (
            app.dashboard.detail.view is not None
            and "second-consumer" in app.dashboard.detail.view.title
        )
        await press(pilot, "enter")
        assert focused(app) is app.dashboard.table
        assert rows(app) == [SECOND] and field(app, "filter").display, "enter keeps the filter"
        await press(pilot, "escape")
        assert state(app).filter == "" and field(app, "filter").value == ""
        assert not field(app, "filter").display
        assert rows(app) == SEED_DATAPLANES and title(app) == "Dataplanes (4)"
        assert focused(app) is app.dashboard.table

        await press(pilot, "slash")
        await type_text(pilot, "!second")
        assert state(app).view == "dataplanes", "`!` in the field is text, not the problems key"
        assert rows(app) == [FIRST, DEMO, REDIS] and title(app) == "Dataplanes (3/4)  /!second"
        await press(pilot, "enter", "2")
        assert (
            state(app).view == "policies" and state(app).filter == "" and rows(app) == SEED_POLICIES
        )
        # Regression: the field stayed open with the old text, which the next `/` extended.
        assert field(app, "filter").value == "" and not field(app, "filter").display

        await press(pilot, "slash")
        await type_text(pilot, "q1ym?y23:")
        assert app.is_running and not isinstance(app.screen, HelpScreen)
        assert state(app).view == "policies" and state(app).detail_mode == "tree"
        assert not field(app, "command").display
        assert rows(app) == [] and title(app) == "Policies (0/3)  /q1ym?y23:"
        assert app.dashboard.table.view is not None
        assert app.dashboard.table.view.empty_text == "nothing matches /q1ym?y23:"
        await press(pilot, "escape")
        assert rows(app) == SEED_POLICIES and focused(app) is app.dashboard.table


# ---------------------------------------------------------------------- `:` commands


async def test_colon_commands_switch_the_list_and_filter_policies_by_kind_and_role() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "colon")
        assert focused(app) is field(app, "command") and field(app, "command").display
        await press(pilot, "escape")
        assert not field(app, "command").display and focused(app) is app.dashboard.table
        for text, view, first in (
            ("pol", "policies", CONSUMER_TIMEOUT),
            ("svc", "services", service("MeshService", "demo-app.kuma-demo")),
            ("problems", "problems", None),
            ("dp", "dataplanes", FIRST),
        ):
            await command(pilot, text)
            assert state(app).view == view, text
            assert app.dashboard.table.view is not None and app.dashboard.table.view.kind == view
            shown: list[RowKey | None] = [*rows(app), None]
            assert shown[0] == first
            assert focused(app) is app.dashboard.table and field(app, "command").value == ""

        await command(pilot, "mt")
        assert (state(app).view, state(app).kind) == ("policies", "MeshTimeout")
        assert rows(app) == [CONSUMER_TIMEOUT, PRODUCER_TIMEOUT]
        assert title(app) == "Policies · MeshTimeout (2)"
        await command(pilot, "mtp")
        assert state(app).kind == "MeshTrafficPermission" and rows(app) == [MTP]
        await command(pilot, "MeshTimeout")
        assert state(app).kind == "MeshTimeout" and rows(app) == [
            CONSUMER_TIMEOUT,
            PRODUCER_TIMEOUT,
        ]
        await command(pilot, "all")
        assert state(app).kind == "" and rows(app) == SEED_POLICIES
        await press(pilot, "1")
        await command(pilot, "role producer")
        assert (state(app).view, state(app).role) == ("policies", "producer")
        assert rows(app) == [PRODUCER_TIMEOUT] and title(app) == "Policies · producer (1)"
        roles = app.query_one("#roles", SideList).view
        assert roles is not None
        assert [i.key for i in roles.items if i.selected] == ["producer"]
        await command(pilot, "all")
        assert state(app).role == "" and rows(app) == SEED_POLICIES
        assert notifications(app) == []


async def test_colon_ns_and_unknown_commands() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await command(pilot, "ns kuma-demo")
        assert state(app).namespaces == {"kuma-demo"} and rows(app) == [DEMO, REDIS]
        assert state(app).selected_key == DEMO, "the selection moves onto a shown row"
        namespaces = app.query_one("#namespaces", SideList).view
        assert namespaces is not None
        assert [i.key for i in namespaces.items if i.selected] == ["kuma-demo"]
        await press(pilot, "2")
        assert rows(app) == [PRODUCER_TIMEOUT, MTP], "the namespace applies to every list"
        await command(pilot, "ns all")
        assert state(app).namespaces == frozenset() and rows(app) == SEED_POLICIES
        await command(pilot, "ns first-consumer,second-consumer")
        await press(pilot, "1", "down")
        assert rows(app) == [FIRST, SECOND] and app.dashboard.table.current_key() == SECOND

        before = state(app)
        await command(pilot, "frobnicate now")
        assert notifications(app) == [("unknown command 'frobnicate' (try :help)", "error")]
        assert state(app) == before and rows(app) == [FIRST, SECOND]
        assert app.dashboard.table.current_key() == SECOND and focused(app) is app.dashboard.table
        assert field(app, "command").value == "" and not field(app, "command").display
        await command(pilot, "")
        assert state(app) == before and len(notifications(app)) == 1
        await press(pilot, "m")
        assert state(app) == before and "m to switch" not in header_text(app), "a single mesh"


async def test_colon_mesh_and_m_switch_the_mesh_and_the_tables_follow() -> None:
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert state(app).mesh == "default" and rows(app) == SEED_DATAPLANES
        assert "mesh default (1 of 2, m to switch)" in header_text(app)
        await command(pilot, "mesh shop")
        assert state(app).mesh == "shop"
        await wait_for(pilot, lambda: len(rows(app)) == SHOP_DATAPLANES)
        assert all(".shop-" in name for name in row_names(app))
        assert state(app).selected_key == rows(app)[0] == app.dashboard.table.current_key()
        assert app.dashboard.detail.view is not None and app.dashboard.detail.view.title.startswith(
            "edge-gateway"
        )
        # Regression: the header said "1 of 2" whichever mesh was shown.
        assert "mesh shop (2 of 2, m to switch)" in header_text(app)
        await command(pilot, "mesh nowhere")
        assert state(app).mesh == "shop"
        assert notifications(app) == [("no mesh 'nowhere' (meshes: default, shop)", "error")]
        await command(pilot, "mesh default")
        await wait_for(pilot, lambda: rows(app) == SEED_DATAPLANES)

        await press(pilot, "2", "m")
        assert state(app).mesh == "shop" and state(app).view == "policies"
        await wait_for(pilot, lambda: any("orders-timeout" in name for name in row_names(app)))
        assert not any("consumer-timeout" in name for name in row_names(app))
        assert "mesh shop (2 of 2" in header_text(app)
        await press(pilot, "m")
        assert state(app).mesh == "default"
        await wait_for(pilot, lambda: rows(app) == SEED_POLICIES)


# ---------------------------------------------------------------------- screens and quitting


async def test_help_opens_with_question_mark_or_colon_help_and_closes_with_esc_q_or_question() -> (
    None
):
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        for needle in ("Kuma concepts", "targetRef", "Merge order", "producer", "workload-owner"):
            assert needle in text
        for key in ("/ ", ": ", "enter", "esc", "y ", "1 2 3", "m ", "ctrl+p", "q            quit"):
            assert key in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen) and focused(app) is app.dashboard.table
        await command(pilot, "help")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
        assert not isinstance(app.screen, HelpScreen), "q closes the help, not the app"
        assert app.is_running and app.return_code is None
        await press(pilot, "question_mark", "question_mark")
        assert not isinstance(app.screen, HelpScreen) and state(app).view == "dataplanes"

        await press(pilot, "ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        assert state(app).view == "dataplanes" and focused(app) is app.dashboard.table


async def test_q_quits() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "q")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_colon_q_quits() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await command(pilot, "q")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0


# ---------------------------------------------------------------------- lists and detail


async def test_number_keys_bang_and_y(tmp_path: Path) -> None:
    folder = seed_copy(tmp_path)
    (folder / "stray.yaml").write_text("kind: [unclosed\n")
    app = folder_app(folder)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "2")
        assert state(app).view == "policies" and rows(app) == SEED_POLICIES
        assert app.dashboard.detail.view is not None
        assert app.dashboard.detail.view.title == "MeshTimeout consumer-timeout"
        await press(pilot, "3")
        assert state(app).view == "services" and title(app) == "Services (2)"
        await press(pilot, "exclamation_mark")
        assert state(app).view == "problems" and rows(app) == [ProblemRow(0)]
        assert title(app) == "Problems (1)"
        detail = app.dashboard.detail.view
        assert detail is not None and detail.tree is None and "stray.yaml" in detail.text
        assert app.dashboard.detail.has_class("-text")
        await press(pilot, "1")
        assert state(app).view == "dataplanes" and rows(app) == SEED_DATAPLANES
        await press(pilot, "j", "2")
        assert app.dashboard.table.current_key() == CONSUMER_TIMEOUT
        await press(pilot, "1")
        assert app.dashboard.table.current_key() == SECOND, "each list keeps its own selection"

        await press(pilot, "y")
        view = app.dashboard.detail.view
        assert state(app).detail_mode == "yaml" and view is not None and view.tree is None
        assert view.title == "Dataplane consumer" and view.subtitle.startswith("YAML as read")
        assert "second-consumer/consumer-dataplane.yaml" in view.subtitle
        lines = view.text.splitlines()
        for line in ("kind: Dataplane", "  name: consumer", "  namespace: second-consumer"):
            assert line in lines
        assert "    address: 10.244.0.22" in lines
        assert (
            app.dashboard.detail.has_class("-text") and not app.dashboard.detail.rules_tree.display
        )
        shown = app.query_one("#detail-yaml", Static).content
        assert isinstance(shown, Syntax) and shown.code == view.text, "highlighted as YAML"
        assert view.syntax == "yaml"
        await press(pilot, "up")
        assert (
            app.dashboard.detail.view is not None
            and "10.244.0.21" in app.dashboard.detail.view.text
        ), "the YAML follows the cursor"
        await press(pilot, "y")
        assert state(app).detail_mode == "tree" and not app.dashboard.detail.has_class("-text")
        assert detail_labels(app)[0] == "consumer" and app.dashboard.detail.rules_tree.display
        await press(pilot, "y", "escape")
        assert state(app).detail_mode == "tree" and detail_labels(app)
        assert focused(app) is app.dashboard.table


async def test_f_fills_the_screen_with_the_focused_pane_and_f_or_esc_restores_it() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert focused(app) is app.dashboard.table
        await press(pilot, "f")
        assert app.screen.maximized is app.dashboard.table
        await wait_for(pilot, lambda: app.dashboard.table.size.width > 150)  # fills the width
        await press(pilot, "f")
        assert app.screen.maximized is None
        await wait_for(pilot, lambda: app.dashboard.table.size.width < 150)  # back in its place

        await press(pilot, "enter")  # into the detail tree: the whole pane, title included
        assert focused(app) is app.dashboard.detail.rules_tree
        await press(pilot, "f")
        assert app.screen.maximized is app.dashboard.detail
        await press(pilot, "escape")
        assert app.screen.maximized is None and focused(app) is app.dashboard.detail.rules_tree, (
            "esc first restores the layout, and only then goes back"
        )
        await press(pilot, "escape")
        assert focused(app) is app.dashboard.table

        await press(pilot, "f", "slash")
        assert app.screen.maximized is None, "the filter line is in the table's column"
        assert focused(app) is field(app, "filter")


async def test_the_footer_follows_the_focused_pane_and_vim_keys_move_the_cursor() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        common = {("slash", "Filter"), ("colon", "Command"), ("question_mark", "Help")}
        await footer_shows(pilot, app, {("enter", "Open"), ("q", "Quit"), *common})
        await press(pilot, "enter")
        assert focused(app) is app.dashboard.detail.rules_tree
        await footer_shows(pilot, app, {("enter", "Open"), ("space", "Expand"), *common})
        await press(pilot, "tab")
        assert focused(app) is app.query_one("#namespaces")
        await footer_shows(
            pilot, app, {("space", "Select"), *common}, {("enter", "Open"), ("space", "Expand")}
        )
        await press(pilot, "slash")
        await footer_shows(pilot, app, {("escape", "Back")}, {("q", "Quit"), ("space", "Select")})
        await press(pilot, "escape")
        assert focused(app) is app.dashboard.table

        await press(pilot, "j")
        assert app.dashboard.table.current_key() == SECOND == state(app).selected_key
        await press(pilot, "G")
        assert app.dashboard.table.current_key() == REDIS == state(app).selected_key
        assert app.dashboard.detail.view is not None and app.dashboard.detail.view.title.startswith(
            "redis-"
        )
        await press(pilot, "k")
        assert app.dashboard.table.current_key() == DEMO
        await press(pilot, "g")
        assert app.dashboard.table.current_key() == FIRST == state(app).selected_key


# ---------------------------------------------------------------------- fast typing


async def test_keys_typed_right_after_slash_or_colon_reach_the_field() -> None:
    """`/` and `:` only scheduled the focus move, behind the keys already queued: a fast
    `/prod` filtered nothing (`prod` went to the table) and `:mt⏎` opened a row instead."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await burst(pilot, "slash", *"second")
        assert state(app).filter == "second"
        assert rows(app) == [SECOND]
        await press(pilot, "escape")
        await burst(pilot, "colon", "m", "t", "enter")
        assert state(app).view == "policies" and state(app).kind == "MeshTimeout"
        assert focused(app) is app.dashboard.table
        await burst(pilot, "colon", "n", "s", "space", *"kuma-demo", "enter")
        assert state(app).namespaces == {"kuma-demo"}
        assert rows(app) == [PRODUCER_TIMEOUT]


async def test_slash_and_colon_are_typed_in_fields_and_do_nothing_over_help() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await burst(pilot, "colon", *"ns a/b:c")
        assert app.query_one("#command", Input).value == "ns a/b:c"
        await press(pilot, "escape", "slash")
        await burst(pilot, *"a:b/")
        assert state(app).filter == "a:b/"
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "slash", "colon")
        assert isinstance(app.screen, HelpScreen), "no crash, no field opened under the help"
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        assert not app.query_one("#filter", Input).has_class("-active")


# ---------------------------------------------------------------------- help and footer


async def test_side_list_footer_offers_enter_and_help_lists_the_movement_keys() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        app.query_one("#namespaces", SideList).focus()
        await footer_shows(pilot, app, {("enter", "Choose"), ("space", "Select")})
        await press(pilot, "question_mark")
        text = help_text(app)
        for keys in ("j k  g G", "pgup pgdn", "h l", "double click opens"):
            assert keys in text
        scroll = app.screen.query_one(TextScroll)
        await wait_for(pilot, lambda: scroll.max_scroll_y > 0)
        await press(pilot, "j")
        await wait_for(pilot, lambda: scroll.scroll_y > 0)  # the help scrolls with j, G, g
        await press(pilot, "G")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await press(pilot, "g")
        await wait_for(pilot, lambda: scroll.scroll_y == 0)


async def test_f1_shows_the_focused_panes_keys_and_help_beside_it() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "f1")
        panel = app.screen.query_one(HelpPanel)
        await wait_for(pilot, lambda: "The list" in str(panel.query_one(Markdown).source))
        await press(pilot, "tab")
        await wait_for(pilot, lambda: "The detail" in str(panel.query_one(Markdown).source))
        await press(pilot, "f1")
        assert not app.screen.query(HelpPanel)
