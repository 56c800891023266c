"""SVG snapshots of what a person sees (fixed terminal size, fixed clock, no blinking cursor).

Update after a deliberate change with `pytest snapshots --snapshot-update`, then look at
the changed SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from meshtui.app import MeshtuiApp
from meshtui.inventory import OriginUpdate
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource, parse_text
from meshtui.sources.profile import Asked
from meshtui.views import ResourceRow
from tests.app.harness import (
    REPO,
    dataplane,
    fixed_clock,
    folder_app,
    jumped,
    loaded,
    policy,
    wait_for,
)
from tests.static_source import StaticSource
from tests.versions import V2_10

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


def test_kuma_2_14_dataplane_detail(snap_compare: Compare) -> None:
    """A sidecar in the 2.12+ model, full screen: KRIs, its inbound's rules unmerged, an
    outbound's conf with its origins, and the route it takes (other sections folded)."""
    source = FolderSource(Path("sample-cluster"), watch=False)
    app = MeshtuiApp(source, ContextOptions(), asked=Asked(), mesh="shop", clock=fixed_clock)
    ready = _prepare(app, jump=dataplane("web-6f7c9d8b45-2xkqp.shop-frontend"))
    inbound = "in:kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_http"
    orders = "out:kri_msvc_shop_default_shop-backend_orders_http"

    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        tree = app.dashboard.detail.rules_tree
        app.dashboard.set_focus(tree)
        for ui in list(tree.root.children):
            data = ui.data
            if (
                data is not None
                and data.node_id.startswith(("proxy", "out:"))
                and (data.node_id != orders)
            ):
                ui.collapse()
        folded = [
            f"{inbound}/MeshRateLimit",
            f"{orders}/MeshHealthCheck",
            f"{orders}/MeshCircuitBreaker",
            f"{orders}/MeshRetry",
        ]
        for node_id in folded:
            node = tree._find(node_id)
            assert node is not None, node_id
            node.collapse()
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 60), run_before=run_before)


def _edited(update: OriginUpdate, old: str, new: str) -> OriginUpdate:
    """`update` with its file's text edited, as the folder source would read it."""
    name = update.origin.removeprefix("file:")
    contents = parse_text(Path(name).read_text().replace(old, new), name)
    return OriginUpdate(update.origin, contents.documents, contents.problems)


def test_changes_view(snap_compare: Compare) -> None:
    """Two live changes: the newest changed no merged rule; the one before it is shown."""
    updates = {u.origin: u for u in FolderSource(Path("sample-cluster"), watch=False).scan()}
    base = "file:sample-cluster/producer-consumer/"
    timeout = _edited(
        updates[base + "first-consumer/consumer-timeout.yaml"],
        "requestTimeout: 3s",
        "requestTimeout: 5s",
    )
    mtp = _edited(
        updates[base + "kuma-demo/mtp.yaml"],
        "kuma.io/zone: default",
        "kuma.io/zone: default\n    team: payments",
    )
    source = StaticSource(list(updates.values()), description="sample-cluster")
    app = MeshtuiApp(source, ContextOptions(version=V2_10), clock=fixed_clock)
    ready = _prepare(app, keys="4 down")

    def computed(count: int) -> bool:
        records = app.snapshot.journal.records
        return len(records) == count and all(r.effects is not None for r in records)

    async def run_before(pilot: Pilot[None]) -> None:
        for count, change in enumerate((timeout, mtp), 1):
            source.push(change)
            await wait_for(pilot, partial(computed, count))
        await ready(pilot)

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


def test_what_if_mode(snap_compare: Compare) -> None:
    """Drafts that replace a live policy and add one: WHAT-IF in the header, rows marked,
    the proxy's diff against the live state first in its detail."""
    app = folder_app(
        Path("sample-cluster"),
        clock=fixed_clock,
        draft=Path("snapshots/fixtures/drafts"),
        open_draft=lambda path: FolderSource(path, watch=False),
    )
    ready = _prepare(app, jump=dataplane("consumer.first-consumer"))

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for(
            pilot,
            lambda: (
                app.snapshot.whatif is not None
                and app.snapshot.whatif.diff_for(app.evaluation) is not None
            ),
        )
        await ready(pilot)

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)
