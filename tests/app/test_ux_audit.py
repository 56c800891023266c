"""What a demanding user hit while using the dashboard for real, pinned down.

Each test names what went wrong before its fix; they drive the real app headless over
the sample cluster (or a copy of it) and wait on app state, never on time.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual.pilot import Pilot
from textual.theme import BUILTIN_THEMES
from textual.widgets import Input, Static
from textual.widgets.tree import TreeNode as UINode

from meshtui.app import MeshtuiApp
from meshtui.present.dataplane import OPEN_INBOUND_LINES
from meshtui.present.detail import OPEN_AFFECTED
from meshtui.present.tables import STALE_MARK
from meshtui.views import DetailNode
from meshtui.widgets.detail import YamlText
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.help import HelpScreen
from meshtui.widgets.scroll import TextScroll
from meshtui.widgets.sidelist import SideList
from meshtui.widgets.styles import rich_style
from tests.app.harness import (
    CONSUMER_TIMEOUT,
    FIRST,
    PRODUCER_TIMEOUT,
    REPO,
    SAMPLE,
    SECOND,
    SEED,
    command,
    dataplane,
    find_node,
    focused,
    folder_app,
    footer_shows,
    help_text,
    jumped,
    key_event,
    open_section,
    policy,
    press,
    rows,
    seed_copy,
    settle,
    started,
    state,
    title,
    type_text,
    wait_for,
)

PAYMENTS = dataplane("payments-69c7d5b8f4-wq2ls.shop-payments")
MESH_WIDE_TIMEOUT = """\
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: everywhere
  namespace: kuma-system
  labels: {kuma.io/mesh: default, kuma.io/origin: zone}
spec:
  to:
    - targetRef: {kind: Mesh}
      default: {http: {requestTimeout: 5s}}
"""
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


# ---------------------------------------------------------------------- fast typing


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Queue `keys` all at once (a fast typist, a paste, a busy app), then settle."""
    for key in keys:
        pilot.app.post_message(key_event(key))
    await settle(pilot)


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


# ---------------------------------------------------------------------- side lists


def write_namespaces(folder: Path, count: int) -> None:
    """Mesh `default` and `count` namespaces with long names, one dataplane each."""
    docs = ["apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: default\n"]
    for i in range(count):
        ns = f"team-{i:02d}-payments-and-billing-backend"
        docs.append(
            f"""apiVersion: kuma.io/v1alpha1
kind: Dataplane
mesh: default
metadata:
  name: app-{i}
  namespace: {ns}
  labels: {{kuma.io/mesh: default, kuma.io/origin: zone, kuma.io/zone: default}}
spec:
  networking:
    address: 10.0.0.{i + 1}
    inbound:
      - port: 8080
        tags: {{kuma.io/service: app-{i}_{ns}_svc_8080, k8s.kuma.io/namespace: {ns}}}
"""
        )
    (folder / "mesh.yaml").write_text("---\n".join(docs))


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


# ---------------------------------------------------------------------- detail pane


async def test_rules_tree_pages_jumps_to_its_ends_and_folds_with_h_l() -> None:
    """Textual's Tree binds no page, home/end or fold keys: a long tree could only be
    walked a line at a time."""
    app = folder_app(SAMPLE)
    async with app.run_test(size=(160, 30)) as pilot:
        await started(pilot, app)
        await command(pilot, "mesh shop")
        await wait_for(pilot, lambda: app.evaluation is not None and app.evaluation.mesh == "shop")
        await jumped(pilot, app, PAYMENTS)
        await press(pilot, "enter")
        tree = app.dashboard.detail.rules_tree
        assert focused(app) is tree
        await wait_for(pilot, lambda: tree.last_line > tree.scrollable_content_region.height)
        await press(pilot, "pagedown")
        assert tree.cursor_line == tree.scrollable_content_region.height - 1
        await press(pilot, "G")
        assert tree.cursor_line == tree.last_line
        await press(pilot, "pageup", "g")
        assert tree.cursor_line == 0
        first = tree.cursor_node
        assert first is not None and first.allow_expand and first.is_expanded
        await press(pilot, "l")
        assert tree.cursor_line == 1, "l on an open node goes to its first child"
        child = tree.cursor_node
        assert child is not None and child.is_expanded
        await press(pilot, "h")
        assert tree.cursor_node is child and not child.is_expanded, "h folds an open node"
        await press(pilot, "h")
        assert tree.cursor_node is first, "h on a folded node goes to its parent"
        await press(pilot, "h")
        assert not first.is_expanded
        await press(pilot, "h")
        assert tree.cursor_node is first, "a top-level node stays (the root is hidden)"
        await press(pilot, "l")
        assert first.is_expanded


async def test_y_from_the_tree_moves_the_focus_to_the_yaml_and_back() -> None:
    """`y` with the tree focused hid the tree and left the focus nowhere: j/k and the pane
    keys stopped working until the user clicked or tabbed."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "enter")
        assert focused(app) is app.dashboard.detail.rules_tree
        await press(pilot, "y")
        text = app.query_one("#detail-text", YamlText)
        await wait_for(pilot, lambda: focused(app) is text)
        assert state(app).detail_mode == "yaml"
        await press(pilot, "G")
        await wait_for(pilot, lambda: text.scroll_y == text.max_scroll_y)
        await press(pilot, "y")
        await wait_for(pilot, lambda: focused(app) is app.dashboard.detail.rules_tree)
        await press(pilot, "tab", "y")
        assert focused(app) is not text, "y from elsewhere leaves the focus where it is"
        assert state(app).detail_mode == "yaml"


async def test_an_empty_detail_says_why_once() -> None:
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await press(pilot, "exclamation_mark")
        assert app.dashboard.table.row_count == 0 or state(app).view == "problems"
        shown = [
            str(app.query_one(f"#{name}", Static).content)
            for name in ("detail-title", "detail-yaml")
        ]
        assert shown[0] and shown[1] == "", shown


# ---------------------------------------------------------------------- big meshes


async def test_a_mesh_wide_policy_of_a_big_mesh_lists_its_dataplanes_only_when_opened(
    tmp_path: Path,
) -> None:
    """Every policy the cursor passed drew one tree line per affected proxy: ~0.6 s a key
    on the policies list of a 5k-dataplane mesh (mesh-wide defaults affect them all)."""
    write_namespaces(tmp_path, OPEN_AFFECTED + 10)
    (tmp_path / "timeout.yaml").write_text(MESH_WIDE_TIMEOUT)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        app.dashboard.jump(policy("MeshTimeout", "everywhere.kuma-system"))
        tree = app.dashboard.detail.rules_tree

        def affected_node() -> UINode[DetailNode] | None:
            return next(
                (n for n in tree.root.children if n.data and n.data.node_id == "affected"), None
            )

        await wait_for(pilot, lambda: affected_node() is not None)
        node = affected_node()
        assert node is not None and str(node.label) == f"Affects {OPEN_AFFECTED + 10} dataplane(s)"
        assert not node.is_expanded and not node.children, "not drawn until opened"
        node.expand()
        await wait_for(pilot, lambda: len(node.children) == OPEN_AFFECTED + 10)


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


# ---------------------------------------------------------------------- mouse


async def test_double_clicking_an_origin_line_opens_its_policy() -> None:
    """Origin lines are underlined like links; a click only moved the cursor."""
    app = folder_app(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        tree = app.dashboard.detail.rules_tree
        await wait_for(pilot, lambda: tree.last_line > 6)
        line = next(
            i
            for i in range(tree.last_line + 1)
            if (node := tree.get_node_at_line(i)) is not None
            and node.data is not None
            and node.data.target == CONSUMER_TIMEOUT
        )
        offset = (12, line - int(tree.scroll_y))
        await pilot.click(tree, offset=offset)
        await settle(pilot)
        assert tree.cursor_line == line and state(app).view == "dataplanes", "one click selects"
        await pilot.click(tree, offset=offset, times=2)
        await settle(pilot)
        assert state(app).view == "policies" and state(app).selected_key == CONSUMER_TIMEOUT
        await press(pilot, "escape")
        assert state(app).view == "dataplanes" and state(app).selected_key == FIRST


def many_inbound_timeouts(count: int) -> str:
    """`count` MeshTimeouts of one namespace, each configuring every inbound."""
    return "---\n".join(
        f"""apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: inbound-{i:03d}
  namespace: team-00-payments-and-billing-backend
  labels: {{kuma.io/mesh: default, kuma.io/origin: zone}}
spec:
  from:
    - targetRef: {{kind: Mesh}}
      default: {{idleTimeout: {i + 1}s}}
"""
        for i in range(count)
    )


async def test_an_inbound_with_hundreds_of_lines_lists_its_kinds_folded(tmp_path: Path) -> None:
    """A big mesh's inbound can merge hundreds of lines (many clients allowed), all drawn
    for every dataplane the cursor passed: a held `j` lagged seconds behind at 10k."""
    write_namespaces(tmp_path, 2)
    (tmp_path / "timeouts.yaml").write_text(many_inbound_timeouts(OPEN_INBOUND_LINES))
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        target = dataplane("app-0.team-00-payments-and-billing-backend")
        await jumped(pilot, app, target)
        view = app.dashboard.detail.view
        assert view is not None and view.tree is not None
        inbound = next(n for n in view.tree.children if n.node_id.startswith("in:"))
        assert inbound.expanded and inbound.children
        assert all(not kind.expanded for kind in inbound.children), "folded"
        assert all(kind.lazy and not kind.children for kind in inbound.children), "not built"
        tree = app.dashboard.detail.rules_tree
        await wait_for(pilot, lambda: bool(tree.root.children))
        shown = next(n for n in tree.root.children if n.data is inbound)
        assert shown.is_expanded and all(not kind.children for kind in shown.children)
        kind = inbound.children[0].node_id
        await open_section(pilot, app, kind)
        opened = find_node(app, lambda n: n.node_id == kind)
        assert len(opened.walk()) > OPEN_INBOUND_LINES, "built once opened"
        ui = tree._find(kind)
        assert ui is not None and ui.is_expanded and len(ui.children) > 1


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
