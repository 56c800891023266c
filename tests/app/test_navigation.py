"""Moving around as a user does: drilling in, jumping, going back, side panes, mouse."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot

from meshtui.app import MeshtuiApp
from meshtui.parse import ContextOptions
from meshtui.sources import Emit
from meshtui.sources.files import FolderSource
from meshtui.views import DetailNode
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
    dataplane,
    detail_labels,
    focused,
    focused_id,
    folder_app,
    header_text,
    press,
    row_names,
    rows,
    seed_copy,
    settle,
    started,
    state,
    until_shown,
    wait_for,
    write_namespaces,
)
from tests.versions import V2_10


def cursor_node(app: MeshtuiApp) -> DetailNode | None:
    """The view node under the rules tree's cursor."""
    node = app.dashboard.detail.rules_tree.cursor_node
    return node.data if node is not None else None


async def tree_cursor_to(
    pilot: Pilot[None], app: MeshtuiApp, wanted: Callable[[DetailNode], bool]
) -> DetailNode:
    """Press `down` (then `up`) in the focused rules tree until the cursor is on a wanted
    node; the tree keeps its cursor line across visits, so it may start anywhere."""
    tree = app.dashboard.detail.rules_tree
    assert focused(app) is tree
    for key in ("down", "up"):
        while True:
            node = cursor_node(app)
            if node is not None and wanted(node):
                return node
            line = tree.cursor_line
            await press(pilot, key)
            if tree.cursor_line == line:
                break
    raise AssertionError("no such node in the tree")


def chosen(app: MeshtuiApp, pane: str) -> list[str]:
    """Keys of the entries marked as selected in a side pane."""
    view = app.query_one(f"#{pane}", SideList).view
    assert view is not None
    return [item.key for item in view.items if item.selected]


async def test_enter_drills_in_jumps_to_an_origin_and_esc_comes_back() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "enter")
        assert focused(app) is app.dashboard.detail.rules_tree and state(app).selected_key == FIRST
        origin = await tree_cursor_to(
            pilot, app, lambda n: n.label.startswith("← MeshTimeout producer-timeout")
        )
        assert origin.target == PRODUCER_TIMEOUT
        await press(pilot, "enter")
        assert state(app).view == "policies" and focused(app) is app.dashboard.table
        assert app.dashboard.table.current_key() == PRODUCER_TIMEOUT == state(app).selected_key
        assert app.dashboard.detail.view is not None
        assert app.dashboard.detail.view.title == "MeshTimeout producer-timeout"
        await press(pilot, "escape")
        assert state(app).view == "dataplanes" and focused(app) is app.dashboard.table
        assert app.dashboard.table.current_key() == FIRST == state(app).selected_key
        assert detail_labels(app)[0] == "consumer"

        # An outbound line points at its service; the detail shows what configures it.
        await press(pilot, "enter")
        service = await tree_cursor_to(pilot, app, lambda n: n.label.startswith("Outbound "))
        await press(pilot, "enter")
        assert state(app).view == "services" and app.dashboard.table.current_key() == service.target
        assert any("producer-timeout" in label for label in detail_labels(app))
        await press(pilot, "escape")
        assert state(app).view == "dataplanes" and app.dashboard.table.current_key() == FIRST

        await press(pilot, "2", "1", "down", "enter")
        assert focused(app) is app.dashboard.detail.rules_tree and state(app).selected_key == SECOND
        await press(pilot, "escape")
        # Regression: with earlier views in the history, esc in the tree went back to
        # the policies instead of returning to the row the user drilled into.
        assert focused(app) is app.dashboard.table and state(app).view == "dataplanes"
        assert app.dashboard.table.current_key() == SECOND
        await press(pilot, "escape")
        assert state(app).view == "policies", "the next esc goes back a view"
        await press(pilot, "escape")
        assert state(app).view == "dataplanes"
        assert app.dashboard.table.current_key() == state(app).selected_key == FIRST, (
            "the dataplanes as they were when the user left them"
        )
        await press(pilot, "escape")
        assert state(app).view == "dataplanes" and focused(app) is app.dashboard.table, (
            "nothing left: stays"
        )


async def test_affected_dataplanes_jump_and_tree_keys() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "2", "down")
        assert app.dashboard.table.current_key() == PRODUCER_TIMEOUT
        await press(pilot, "enter")
        assert "Affects 4 dataplane(s)" in detail_labels(app)
        node = await tree_cursor_to(pilot, app, lambda n: n.target == REDIS)
        assert node.label == "redis-7b9c6f5d8-4mzqt (kuma-demo)"
        await press(pilot, "enter")
        assert state(app).view == "dataplanes" and focused(app) is app.dashboard.table
        assert app.dashboard.table.current_key() == REDIS == state(app).selected_key
        assert app.dashboard.detail.view is not None and app.dashboard.detail.view.title.startswith(
            "redis-"
        )
        await press(pilot, "escape")
        assert (
            state(app).view == "policies" and app.dashboard.table.current_key() == PRODUCER_TIMEOUT
        )

        await press(pilot, "1", "g")
        assert app.dashboard.table.current_key() == FIRST
        await press(pilot, "enter")
        outbound = await tree_cursor_to(pilot, app, lambda n: n.label.startswith("Outbound "))
        tree = app.dashboard.detail.rules_tree
        assert tree.cursor_node is not None and tree.cursor_node.is_expanded
        await press(pilot, "space")
        assert not tree.cursor_node.is_expanded and cursor_node(app) == outbound
        await press(pilot, "j")
        below = cursor_node(app)
        assert below is not None and not below.node_id.startswith(outbound.node_id + "/"), (
            "a folded section hides its lines"
        )
        await press(pilot, "k", "space")
        assert cursor_node(app) == outbound and tree.cursor_node.is_expanded
        await press(pilot, "j")
        node = cursor_node(app)
        assert node is not None and node.node_id.startswith(outbound.node_id + "/")
        assert state(app).view == "dataplanes" and focused(app) is tree, "space never jumps"


async def test_namespaces_pane_selects_one_or_several_and_roles_pane_filters_policies() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "shift+tab", "shift+tab")
        assert focused(app) is app.query_one("#namespaces")
        # all namespaces, first-consumer, kuma-demo, kuma-system, second-consumer
        await press(pilot, "down", "down", "space")
        assert state(app).namespaces == {"kuma-demo"} and rows(app) == [DEMO, REDIS]
        await press(pilot, "down", "down", "space")
        assert state(app).namespaces == {"kuma-demo", "second-consumer"}
        assert rows(app) == [SECOND, DEMO, REDIS], "the table shows both namespaces"
        assert chosen(app, "namespaces") == ["kuma-demo", "second-consumer"]
        assert focused(app) is app.query_one("#namespaces"), "the focus stays in the pane"
        await press(pilot, "2")
        assert rows(app) == [PRODUCER_TIMEOUT, MTP]
        await press(pilot, "1", "space")
        assert state(app).namespaces == {"kuma-demo"}, "space again takes it out"
        await press(pilot, "home", "enter")
        assert state(app).namespaces == frozenset() and rows(app) == SEED_DATAPLANES
        assert chosen(app, "namespaces") == [""]
        await press(pilot, "down", "enter")
        assert state(app).namespaces == {"first-consumer"} and rows(app) == [FIRST]
        await press(pilot, "down", "space", "up", "enter")
        assert state(app).namespaces == {"first-consumer"}, "enter keeps only the one chosen"

        await press(pilot, "home", "enter", "tab")
        assert state(app).namespaces == frozenset() and focused(app) is app.query_one("#roles")
        # all roles, system, producer, consumer, workload-owner
        await press(pilot, "down", "down", "enter")
        assert (state(app).view, state(app).role) == ("policies", "producer")
        assert rows(app) == [PRODUCER_TIMEOUT] and chosen(app, "roles") == ["producer"]
        await press(pilot, "down", "space")
        # Regression: the footer offered `space` here, but it did nothing.
        assert state(app).role == "consumer" and rows(app) == [CONSUMER_TIMEOUT]
        await press(pilot, "home", "enter")
        assert state(app).role == "" and rows(app) == SEED_POLICIES
        assert state(app).view == "policies"


async def test_tab_moves_between_panes_and_the_mouse_selects() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        order = ["table", "rules", "namespaces", "roles", "table"]
        for pane in order[1:]:
            await press(pilot, "tab")
            assert focused_id(app) == pane
        for pane in reversed(order[:-1]):
            await press(pilot, "shift+tab")
            assert focused_id(app) == pane
        await press(pilot, "tab", "y")
        # The focused tree is hidden; the next layout pass moves the focus to the YAML.
        await wait_for(pilot, lambda: focused_id(app) == "detail-text")
        await press(pilot, "shift+tab")
        assert focused(app) is app.dashboard.table
        await press(pilot, "tab")
        assert focused_id(app) == "detail-text"
        await press(pilot, "y")
        assert state(app).detail_mode == "tree"

        # Line 0 is the table's border and line 1 its header, so rows start at line 2.
        # Regression: a click selected the row below the one under the mouse.
        await pilot.click("#table", offset=(4, 4))
        await settle(pilot)
        assert app.dashboard.table.current_key() == DEMO == state(app).selected_key
        assert app.dashboard.detail.view is not None and app.dashboard.detail.view.title.startswith(
            "demo-app-"
        )
        assert focused(app) is app.dashboard.table
        await pilot.click("#table", offset=(4, 3), times=2)
        await settle(pilot)
        assert state(app).selected_key == SECOND and focused(app) is app.dashboard.detail.rules_tree
        await pilot.click("#namespaces", offset=(4, 2))
        await settle(pilot)
        assert state(app).namespaces == {"first-consumer"} and rows(app) == [FIRST]


async def test_the_cursor_stays_on_its_row_when_the_folder_changes(tmp_path: Path) -> None:
    folder = seed_copy(tmp_path)
    second = folder / "second-consumer" / "consumer-dataplane.yaml"
    first = (folder / "first-consumer" / "consumer-dataplane.yaml").read_text()
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "down")
        assert app.dashboard.table.current_key() == SECOND
        # A new row sorts above the cursor: the cursor keeps its row, not its position.
        added = dataplane("aaa.first-consumer")
        aaa = folder / "aaa.yaml"
        new_dataplane = first.replace("name: consumer", "name: aaa", 1)
        await until_shown(pilot, lambda: aaa.write_text(new_dataplane), lambda: added in rows(app))
        assert rows(app).index(SECOND) == 2
        assert app.dashboard.table.current_key() == SECOND == state(app).selected_key
        assert (
            app.dashboard.detail.view is not None
            and "second-consumer" in app.dashboard.detail.view.title
        )
        # A cell changes in place.
        moved = second.read_text().replace("10.244.0.22", "10.244.0.99")
        await until_shown(
            pilot,
            lambda: second.write_text(moved),
            lambda: "10.244.0.99" in app.dashboard.table.now_rows[SECOND].cells,
        )
        assert app.dashboard.table.current_key() == SECOND
        # The row above goes away again.
        await until_shown(
            pilot, lambda: aaa.unlink(missing_ok=True), lambda: added not in rows(app)
        )
        assert app.dashboard.table.current_key() == SECOND == state(app).selected_key
        assert rows(app) == SEED_DATAPLANES


async def test_a_refresh_between_a_move_and_its_message_keeps_the_move() -> None:
    """A live update may be handled after the cursor moved but before the table's
    `Highlighted` message: the cursor must not jump back to the previous selection."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        first, second = [row.key for row in app.dashboard.table.view.rows][:2]  # type: ignore[union-attr]
        assert app.dashboard.table.current_key() == state(app).selected_key == first
        app.dashboard.table.action_move(1)  # the user's key, its message not handled yet...
        app.dashboard._refresh_table()  # ...when an update redraws the table
        assert app.dashboard.table.current_key() == second
        await settle(pilot)
        assert app.dashboard.table.current_key() == state(app).selected_key == second
        assert (
            app.dashboard.detail.view is not None
            and "second-consumer" in app.dashboard.detail.view.subtitle
        )


# ---------------------------------------------------------------------- side lists


async def test_side_lists_move_with_j_k_g_and_big_lists_keep_their_counts_whole(
    tmp_path: Path,
) -> None:
    """j/k/g/G did nothing in the namespaces and roles panes (a k9s user's first keys); and
    a namespaces list long enough to scroll had every entry cut 2 columns too wide, so its
    counts lost their end (`8 …` for `8 pol`)."""
    write_namespaces(tmp_path, 40)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        namespaces = app.query_one("#namespaces", SideList)
        await wait_for(pilot, lambda: namespaces.show_vertical_scrollbar)
        await pilot.pause()
        room = namespaces.scrollable_content_region.width
        for i in range(namespaces.option_count):
            prompt = namespaces.get_option_at_index(i).prompt
            assert isinstance(prompt, Text)
            assert prompt.cell_len <= room, prompt.plain
            assert prompt.plain.endswith(" pol"), prompt.plain
        namespaces.focus()
        await settle(pilot)
        await press(pilot, "j", "j")
        assert namespaces.highlighted == 2
        await press(pilot, "k")
        assert namespaces.highlighted == 1
        await press(pilot, "G")
        assert namespaces.highlighted == namespaces.option_count - 1
        await press(pilot, "g")
        assert namespaces.highlighted == 0
        await press(pilot, "j", "space")
        assert len(state(app).namespaces) == 1
        roles = app.query_one("#roles", SideList)
        roles.focus()
        await settle(pilot)
        await press(pilot, "j", "j", "enter")
        assert state(app).role == "producer" and state(app).view == "policies"


class GatedFolder(FolderSource):
    """A folder source that starts reading only once `gate` is set (the dashboard is up
    before anything is loaded, as on a real terminal)."""

    def __init__(self, path: Path, gate: threading.Event) -> None:
        super().__init__(path, watch=False)
        self.gate = gate

    def run(self, emit: Emit, stop: threading.Event) -> None:
        self.gate.wait(10)
        super().run(emit, stop)


async def test_the_mesh_and_namespace_asked_for_on_the_command_line_are_shown_first() -> None:
    gate = threading.Event()
    source = GatedFolder(SAMPLE, gate)
    app = MeshtuiApp(source, ContextOptions(version=V2_10), mesh="shop", namespace="shop-payments")
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.dashboard.is_mounted)
        await settle(pilot)
        assert state(app).mesh == "shop", "kept while nothing is loaded"
        gate.set()
        await started(pilot, app)
        assert state(app).mesh == "shop" and app.evaluation is not None
        assert app.evaluation.mesh == "shop"
        assert state(app).namespaces == {"shop-payments"}
        assert row_names(app) and all(n.endswith(".shop-payments") for n in row_names(app))
        assert "mesh shop (2 of 2" in header_text(app)
