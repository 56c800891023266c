"""Every key and `:` command, pressed as a user would, checked on state and widgets.

Keys are the events `pilot.press` sends, but waited on by draining the app's message
queues (`press`) or by state (`type_text`, `command`) instead of `pilot.press`'s wait for
an idle CPU, which costs 70-200 ms a key and adds up over a suite.
"""

from __future__ import annotations

import asyncio
import shutil
import unicodedata
from collections.abc import Set as AbstractSet
from pathlib import Path

from textual import events
from textual.command import CommandPalette
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from meshtui.app import MeshtuiApp
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.help import HelpScreen
from meshtui.widgets.sidelist import SideList
from tests.app.harness import SAMPLE, detail_labels, folder_app, wait_for

SEED = SAMPLE / "producer-consumer"
FIRST = "dataplane:consumer.first-consumer"
SECOND = "dataplane:consumer.second-consumer"
DEMO = "dataplane:demo-app-5d8c6b9f47-xk2lp.kuma-demo"
REDIS = "dataplane:redis-7b9c6f5d8-4mzqt.kuma-demo"
SEED_DATAPLANES = [FIRST, SECOND, DEMO, REDIS]
CONSUMER_TIMEOUT = "policy:MeshTimeout/consumer-timeout.first-consumer"
PRODUCER_TIMEOUT = "policy:MeshTimeout/producer-timeout.kuma-demo"
MTP = "policy:MeshTrafficPermission/mtp.kuma-demo"
SEED_POLICIES = [CONSUMER_TIMEOUT, PRODUCER_TIMEOUT, MTP]
SHOP_DATAPLANES = 7


# ---------------------------------------------------------------------- helpers


def rows(app: MeshtuiApp) -> list[str]:
    """Keys of the rows the table shows, in order."""
    view = app.table.view
    assert view is not None
    return [row.key for row in view.rows]


def title(app: MeshtuiApp) -> str:
    view = app.table.view
    assert view is not None
    return view.title


def focused(app: MeshtuiApp) -> Widget | None:
    """The focused widget (a call, so that mypy does not narrow it between key presses)."""
    return app.focused


def focused_id(app: MeshtuiApp) -> str | None:
    widget = app.focused
    return widget.id if widget is not None else None


def field(app: MeshtuiApp, name: str) -> Input:
    return app.query_one(f"#{name}", Input)


def footer_keys(app: MeshtuiApp) -> list[tuple[str, str]]:
    """(key, description) of each key the footer shows."""
    return [(key.key, key.description) for key in app.query(FooterKey)]


def notifications(app: MeshtuiApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def header_text(app: MeshtuiApp) -> str:
    return app.query_one(StatusHeader).render().plain


def key_event(key: str) -> events.Key:
    """The event `pilot.press(key)` sends (a key name or a single character)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def _quiet(pilot: Pilot[None]) -> bool:
    pumps = [pilot.app, *pilot.app.screen.walk_children(with_self=True)]
    return all(pump._message_queue.empty() for pump in pumps)


async def settle(pilot: Pilot[None]) -> None:
    """Let the app handle every message the last key caused, and those they caused.

    Deterministic, unlike `pilot.press`'s wait for the CPU to go idle, and much faster:
    drain the message queues of the app and the screen's widgets until all are empty.
    It does not force a repaint (`pilot.pause(0)` does, doubling the cost of a key): what
    only the next layout pass settles, such as the focus leaving a widget that was just
    hidden, is waited for with `wait_for`, which repaints.
    """
    for _ in range(100):
        await pilot._wait_for_screen()
        await asyncio.sleep(0)
        if _quiet(pilot):
            return
    raise AssertionError("the app kept busy")


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press `keys` one after the other, as `pilot.press` does, settling after each."""
    for key in keys:
        pilot.app.post_message(key_event(key))
        await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the focused input field (all keys queued, then settled once)."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), "type into an input field"
    expected = focused.value + text
    for char in text:
        pilot.app.post_message(key_event(char))
    await settle(pilot)
    assert focused.value == expected


async def command(pilot: Pilot[None], text: str) -> None:
    """Press `:`, type `text`, press enter."""
    line = pilot.app.query_one("#command", Input)
    await press(pilot, "colon")
    assert pilot.app.focused is line and line.display
    for key in (*text, "enter"):
        pilot.app.post_message(key_event(key))
    await settle(pilot)


def help_text(app: MeshtuiApp) -> str:
    return "\n".join(str(static.content) for static in app.screen.query(Static))


async def started(pilot: Pilot[None], app: MeshtuiApp) -> None:
    """Wait for the first evaluation, then let the app settle."""
    await wait_for(pilot, lambda: app.evaluation is not None)
    await settle(pilot)


async def footer_shows(
    pilot: Pilot[None],
    app: MeshtuiApp,
    has: AbstractSet[tuple[str, str]],
    lacks: AbstractSet[tuple[str, str]] = frozenset(),
) -> None:
    """Wait until the footer (recomposed after each focus change) shows `has`, not `lacks`."""

    def shown() -> bool:
        keys = set(footer_keys(app))
        return bool(keys) and has <= keys and not lacks & keys

    await wait_for(pilot, shown)


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
            assert app.ui.filter == typed
            counts.append(len(rows(app)))
            assert title(app) == f"Dataplanes ({counts[-1]}/4)  /{typed}"
        assert counts == sorted(counts, reverse=True) and counts[0] > 1 == counts[-1], (
            "the table narrows while typing, not on enter"
        )
        assert rows(app) == [SECOND]
        assert app.ui.selected_key == SECOND, "the selection moves into the filtered rows"
        assert app.detail.view is not None and "second-consumer" in app.detail.view.title
        await press(pilot, "enter")
        assert focused(app) is app.table
        assert rows(app) == [SECOND] and field(app, "filter").display, "enter keeps the filter"
        await press(pilot, "escape")
        assert app.ui.filter == "" and field(app, "filter").value == ""
        assert not field(app, "filter").display
        assert rows(app) == SEED_DATAPLANES and title(app) == "Dataplanes (4)"
        assert focused(app) is app.table

        await press(pilot, "slash")
        await type_text(pilot, "!second")
        assert app.ui.view == "dataplanes", "`!` in the field is text, not the problems key"
        assert rows(app) == [FIRST, DEMO, REDIS] and title(app) == "Dataplanes (3/4)  /!second"
        await press(pilot, "enter", "2")
        assert app.ui.view == "policies" and app.ui.filter == "" and rows(app) == SEED_POLICIES
        # Regression: the field stayed open with the old text, which the next `/` extended.
        assert field(app, "filter").value == "" and not field(app, "filter").display

        await press(pilot, "slash")
        await type_text(pilot, "q1ym?y23:")
        assert app.is_running and not isinstance(app.screen, HelpScreen)
        assert app.ui.view == "policies" and app.ui.detail_mode == "tree"
        assert not field(app, "command").display
        assert rows(app) == [] and title(app) == "Policies (0/3)  /q1ym?y23:"
        assert app.table.view is not None
        assert app.table.view.empty_text == "nothing matches /q1ym?y23:"
        await press(pilot, "escape")
        assert rows(app) == SEED_POLICIES and focused(app) is app.table


# ---------------------------------------------------------------------- `:` commands


async def test_colon_commands_switch_the_list_and_filter_policies_by_kind_and_role() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "colon")
        assert focused(app) is field(app, "command") and field(app, "command").display
        await press(pilot, "escape")
        assert not field(app, "command").display and focused(app) is app.table
        for text, view, first in (
            ("pol", "policies", CONSUMER_TIMEOUT),
            ("svc", "services", "service:MeshService/demo-app.kuma-demo"),
            ("problems", "problems", None),
            ("dp", "dataplanes", FIRST),
        ):
            await command(pilot, text)
            assert app.ui.view == view, text
            assert app.table.view is not None and app.table.view.kind == view
            shown: list[str | None] = [*rows(app), None]
            assert shown[0] == first
            assert focused(app) is app.table and field(app, "command").value == ""

        await command(pilot, "mt")
        assert (app.ui.view, app.ui.kind) == ("policies", "MeshTimeout")
        assert rows(app) == [CONSUMER_TIMEOUT, PRODUCER_TIMEOUT]
        assert title(app) == "Policies · MeshTimeout (2)"
        await command(pilot, "mtp")
        assert app.ui.kind == "MeshTrafficPermission" and rows(app) == [MTP]
        await command(pilot, "MeshTimeout")
        assert app.ui.kind == "MeshTimeout" and rows(app) == [CONSUMER_TIMEOUT, PRODUCER_TIMEOUT]
        await command(pilot, "all")
        assert app.ui.kind == "" and rows(app) == SEED_POLICIES
        await press(pilot, "1")
        await command(pilot, "role producer")
        assert (app.ui.view, app.ui.role) == ("policies", "producer")
        assert rows(app) == [PRODUCER_TIMEOUT] and title(app) == "Policies · producer (1)"
        roles = app.query_one("#roles", SideList).view
        assert roles is not None
        assert [i.key for i in roles.items if i.selected] == ["role:producer"]
        await command(pilot, "all")
        assert app.ui.role == "" and rows(app) == SEED_POLICIES
        assert notifications(app) == []


async def test_colon_ns_and_unknown_commands() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await command(pilot, "ns kuma-demo")
        assert app.ui.namespaces == {"kuma-demo"} and rows(app) == [DEMO, REDIS]
        assert app.ui.selected_key == DEMO, "the selection moves onto a shown row"
        namespaces = app.query_one("#namespaces", SideList).view
        assert namespaces is not None
        assert [i.key for i in namespaces.items if i.selected] == ["ns:kuma-demo"]
        await press(pilot, "2")
        assert rows(app) == [PRODUCER_TIMEOUT, MTP], "the namespace applies to every list"
        await command(pilot, "ns all")
        assert app.ui.namespaces == frozenset() and rows(app) == SEED_POLICIES
        await command(pilot, "ns first-consumer,second-consumer")
        await press(pilot, "1", "down")
        assert rows(app) == [FIRST, SECOND] and app.table.current_key() == SECOND

        before = app.ui
        await command(pilot, "frobnicate now")
        assert notifications(app) == [("unknown command 'frobnicate' (try :help)", "error")]
        assert app.ui == before and rows(app) == [FIRST, SECOND]
        assert app.table.current_key() == SECOND and focused(app) is app.table
        assert field(app, "command").value == "" and not field(app, "command").display
        await command(pilot, "")
        assert app.ui == before and len(notifications(app)) == 1
        await press(pilot, "m")
        assert app.ui == before and "m to switch" not in header_text(app), "a single mesh"


async def test_colon_mesh_and_m_switch_the_mesh_and_the_tables_follow() -> None:
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert app.ui.mesh == "default" and rows(app) == SEED_DATAPLANES
        assert "mesh default (1 of 2, m to switch)" in header_text(app)
        await command(pilot, "mesh shop")
        assert app.ui.mesh == "shop"
        await wait_for(pilot, lambda: len(rows(app)) == SHOP_DATAPLANES)
        assert all(".shop-" in key for key in rows(app))
        assert app.ui.selected_key == rows(app)[0] == app.table.current_key()
        assert app.detail.view is not None and app.detail.view.title.startswith("edge-gateway")
        # Regression: the header said "1 of 2" whichever mesh was shown.
        assert "mesh shop (2 of 2, m to switch)" in header_text(app)
        await command(pilot, "mesh nowhere")
        assert app.ui.mesh == "shop"
        assert notifications(app) == [("no mesh 'nowhere' (meshes: default, shop)", "error")]
        await command(pilot, "mesh default")
        await wait_for(pilot, lambda: rows(app) == SEED_DATAPLANES)

        await press(pilot, "2", "m")
        assert app.ui.mesh == "shop" and app.ui.view == "policies"
        await wait_for(pilot, lambda: any("orders-timeout" in key for key in rows(app)))
        assert not any("consumer-timeout" in key for key in rows(app))
        assert "mesh shop (2 of 2" in header_text(app)
        await press(pilot, "m")
        assert app.ui.mesh == "default"
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
        assert not isinstance(app.screen, HelpScreen) and focused(app) is app.table
        await command(pilot, "help")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
        assert not isinstance(app.screen, HelpScreen), "q closes the help, not the app"
        assert app.is_running and app.return_code is None
        await press(pilot, "question_mark", "question_mark")
        assert not isinstance(app.screen, HelpScreen) and app.ui.view == "dataplanes"

        await press(pilot, "ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        assert app.ui.view == "dataplanes" and focused(app) is app.table


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
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    (folder / "stray.yaml").write_text("kind: [unclosed\n")
    app = folder_app(folder)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "2")
        assert app.ui.view == "policies" and rows(app) == SEED_POLICIES
        assert app.detail.view is not None
        assert app.detail.view.title == "MeshTimeout consumer-timeout"
        await press(pilot, "3")
        assert app.ui.view == "services" and title(app) == "Services (2)"
        await press(pilot, "exclamation_mark")
        assert app.ui.view == "problems" and rows(app) == ["problem:0"]
        assert title(app) == "Problems (1)"
        detail = app.detail.view
        assert detail is not None and detail.tree is None and "stray.yaml" in detail.text
        assert app.detail.has_class("-text")
        await press(pilot, "1")
        assert app.ui.view == "dataplanes" and rows(app) == SEED_DATAPLANES
        await press(pilot, "j", "2")
        assert app.table.current_key() == CONSUMER_TIMEOUT
        await press(pilot, "1")
        assert app.table.current_key() == SECOND, "each list keeps its own selection"

        await press(pilot, "y")
        view = app.detail.view
        assert app.ui.detail_mode == "yaml" and view is not None and view.tree is None
        assert view.title == "Dataplane consumer" and view.subtitle.startswith("YAML as read")
        assert "second-consumer/consumer-dataplane.yaml" in view.subtitle
        lines = view.text.splitlines()
        for line in ("kind: Dataplane", "  name: consumer", "  namespace: second-consumer"):
            assert line in lines
        assert "    address: 10.244.0.22" in lines
        assert app.detail.has_class("-text") and not app.detail.rules_tree.display
        assert str(app.query_one("#detail-yaml", Static).content) == view.text
        await press(pilot, "up")
        assert app.detail.view is not None and "10.244.0.21" in app.detail.view.text, (
            "the YAML follows the cursor"
        )
        await press(pilot, "y")
        assert app.ui.detail_mode == "tree" and not app.detail.has_class("-text")
        assert detail_labels(app)[0] == "consumer" and app.detail.rules_tree.display
        await press(pilot, "y", "escape")
        assert app.ui.detail_mode == "tree" and detail_labels(app)
        assert focused(app) is app.table


async def test_f_fills_the_screen_with_the_focused_pane_and_f_or_esc_restores_it() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert focused(app) is app.table
        await press(pilot, "f")
        assert app.screen.maximized is app.table
        await wait_for(pilot, lambda: app.table.size.width > 150)  # fills the width
        await press(pilot, "f")
        assert app.screen.maximized is None
        await wait_for(pilot, lambda: app.table.size.width < 150)  # back in its place

        await press(pilot, "enter")  # into the detail tree: the whole pane, title included
        assert focused(app) is app.detail.rules_tree
        await press(pilot, "f")
        assert app.screen.maximized is app.detail
        await press(pilot, "escape")
        assert app.screen.maximized is None and focused(app) is app.detail.rules_tree, (
            "esc first restores the layout, and only then goes back"
        )
        await press(pilot, "escape")
        assert focused(app) is app.table

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
        assert focused(app) is app.detail.rules_tree
        await footer_shows(pilot, app, {("enter", "Open"), ("space", "Expand"), *common})
        await press(pilot, "tab")
        assert focused(app) is app.query_one("#namespaces")
        await footer_shows(
            pilot, app, {("space", "Select"), *common}, {("enter", "Open"), ("space", "Expand")}
        )
        await press(pilot, "slash")
        await footer_shows(pilot, app, {("escape", "Back")}, {("q", "Quit"), ("space", "Select")})
        await press(pilot, "escape")
        assert focused(app) is app.table

        await press(pilot, "j")
        assert app.table.current_key() == SECOND == app.ui.selected_key
        await press(pilot, "G")
        assert app.table.current_key() == REDIS == app.ui.selected_key
        assert app.detail.view is not None and app.detail.view.title.startswith("redis-")
        await press(pilot, "k")
        assert app.table.current_key() == DEMO
        await press(pilot, "g")
        assert app.table.current_key() == FIRST == app.ui.selected_key
