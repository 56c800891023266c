"""What the screen shows at its sizes and in every theme: nothing important cut, problems first."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual.theme import BUILTIN_THEMES

from meshtui.app import MeshtuiApp
from meshtui.present.tables import STALE_MARK
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.styles import rich_style
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    FIRST,
    REPO,
    SAMPLE,
    SEED,
    command,
    folder_app,
    jumped,
    press,
    rows,
    seed_copy,
    settle,
    started,
    title,
    type_text,
    wait_for,
)

SEMANTIC = ("added", "changed", "removed", "stale", "warning", "error", "muted", "accent", "")


# ---------------------------------------------------------------------- themes


async def test_every_builtin_theme_renders_including_the_ansi_ones() -> None:
    """The ansi themes name colours `ansi_magenta` & co., which Rich cannot parse: choosing
    `ansi-light` from the palette raised inside a render and left the app frozen."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        for name in BUILTIN_THEMES:
            app.theme = name
            app.refresh_css(animate=False)  # what the app does next: the theme's variables
            for tag in SEMANTIC:
                rich_style(app, tag)
        for name in ("ansi-light", "ansi-dark"):
            app.theme = name
            await pilot.pause()
            header = app.query_one(StatusHeader).render()
            assert "FOLDER" in header.plain
            accent = rich_style(app, "accent").color
            assert accent is not None and accent.number is not None, "the terminal's own colour"
        await settle(pilot)
        await wait_for(pilot, lambda: app.theme == "ansi-dark")


# ---------------------------------------------------------------------- layout and text


def longest_label(app: MeshtuiApp, prefix: str) -> int:
    """The widest label of the detail tree that starts with `prefix`."""
    view = app.dashboard.detail.view
    assert view is not None and view.tree is not None
    return max(cell_len(n.label) for n in view.tree.walk() if n.label.startswith(prefix))


def counted(app: MeshtuiApp) -> bool:
    """The policies list shows every policy's affected count."""
    view = app.dashboard.table.view
    return (
        view is not None
        and view.kind == "policies"
        and all(row.cells[-1] != "…" for row in view.rows)
    )


async def test_at_160_columns_nothing_important_is_cut() -> None:
    """Side by side, the table and the detail had 61 columns each at 160: the policies
    list hid ROLE, ORIGIN, ZONE, TARGET and AFFECTS, and every origin line of the rules
    tree lost its namespace, role and zone. They are stacked now, each 120 wide."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await jumped(pilot, app, FIRST)
        await pilot.pause()
        tree = app.dashboard.detail.rules_tree
        depth = 4 * 3  # origin lines sit three levels down (guides of 4 columns)
        assert longest_label(app, "← ") + depth <= tree.scrollable_content_region.width
        await press(pilot, "2")
        await wait_for(pilot, lambda: counted(app))
        await pilot.pause()
        assert (
            app.dashboard.table.virtual_size.width
            <= app.dashboard.table.scrollable_content_region.width
        )
        await jumped(pilot, app, CONSUMER_TIMEOUT)
        await pilot.pause()
        assert longest_label(app, "Role: ") <= tree.scrollable_content_region.width


async def test_the_header_shows_problems_before_anything_that_can_be_cut() -> None:
    app = folder_app(REPO / "snapshots/fixtures/broken")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(pilot, app)
        text = app.query_one(StatusHeader).render()
        shown = text.plain[: app.query_one(StatusHeader).content_region.width]
        assert "✖ 3 problem(s)" in shown


async def test_problems_name_their_file_from_the_watched_folder() -> None:
    """Absolute paths cut at the column width showed the folder every file shares."""
    app = folder_app(REPO / "snapshots/fixtures/broken")
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "exclamation_mark")
        view = app.dashboard.table.view
        assert view is not None
        files = sorted(row.cells[2] for row in view.rows)
        assert files == [
            "first-consumer/consumer-timeout.yaml",
            "kuma-demo/retries.yaml",
            "kuma-demo/typo.yaml",
        ]


async def test_a_stale_row_says_so_and_the_list_names_its_namespace_scope(tmp_path: Path) -> None:
    """A stale row (its file is broken; the last good version is shown) was only dimmed;
    and nothing on the list said it was scoped to some namespaces."""
    folder = seed_copy(tmp_path)
    app = folder_app(folder, watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "2")
        path = folder / "first-consumer/consumer-timeout.yaml"
        good = path.read_text()
        path.write_text(good.replace("requestTimeout: 3s", "requestTimeout: [3s"))

        def name_cell() -> str:
            view = app.dashboard.table.view
            assert view is not None
            return next(r.cells[1] for r in view.rows if r.key == CONSUMER_TIMEOUT)

        await wait_for(pilot, lambda: name_cell().endswith("(stale)"), timeout=10)
        assert name_cell() == "consumer-timeout" + STALE_MARK
        await press(pilot, "slash")
        await type_text(pilot, "stale")
        assert rows(app) == [CONSUMER_TIMEOUT]
        await press(pilot, "escape")
        path.write_text(good)
        await wait_for(pilot, lambda: name_cell() == "consumer-timeout", timeout=10)

        await command(pilot, "ns first-consumer,kuma-demo")
        assert title(app) == "Policies · ns first-consumer, kuma-demo (3)"
        await press(pilot, "1")
        assert title(app) == "Dataplanes · ns first-consumer, kuma-demo (3)"
        await command(pilot, "ns all")
        assert title(app) == "Dataplanes (4)"


async def test_the_header_counts_the_shadow_policies_the_list_shows() -> None:
    """The policies list of mesh shop said 21 and the header 20, with nothing to say why."""
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await command(pilot, "mesh shop")
        await wait_for(pilot, lambda: app.evaluation is not None and app.evaluation.mesh == "shop")
        await press(pilot, "2")
        assert title(app) == "Policies (21)"
        assert "20 policies (+1 shadow) · " in app.query_one(StatusHeader).render().plain
