"""Driving the real app headless: builders, the seed scenario's rows, keys, and waits.

Keys are the events `pilot.press` sends, but waited on by draining the app's message
queues and its workers (`settle`) instead of `pilot.press`'s wait for an idle CPU,
which costs 70-200 ms a key and adds up over a suite.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import unicodedata
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey
from textual.worker import WorkerState

from meshtui.app import MeshtuiApp
from meshtui.parse import ContextOptions
from meshtui.present.navigator import NavState
from meshtui.sources.files import FolderSource
from meshtui.views import DetailNode, ResourceRow, RowKey
from meshtui.widgets.header import StatusHeader
from tests.versions import V2_10

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample-cluster"
SEED = SAMPLE / "producer-consumer"
FIXED_NOW = datetime(2026, 11, 22, 9, 30, 0)


def dataplane(name: str) -> ResourceRow:
    """The row (and jump target) of a Dataplane."""
    return ResourceRow("dataplanes", "Dataplane", name)


def policy(type_: str, name: str) -> ResourceRow:
    """The row (and jump target) of a policy."""
    return ResourceRow("policies", type_, name)


def service(type_: str, name: str) -> ResourceRow:
    """The row (and jump target) of a MeshService, MeshExternalService, ..."""
    return ResourceRow("services", type_, name)


FIRST = dataplane("consumer.first-consumer")
SECOND = dataplane("consumer.second-consumer")
DEMO = dataplane("demo-app-5d8c6b9f47-xk2lp.kuma-demo")
REDIS = dataplane("redis-7b9c6f5d8-4mzqt.kuma-demo")
SEED_DATAPLANES = [FIRST, SECOND, DEMO, REDIS]
CONSUMER_TIMEOUT = policy("MeshTimeout", "consumer-timeout.first-consumer")
PRODUCER_TIMEOUT = policy("MeshTimeout", "producer-timeout.kuma-demo")
MTP = policy("MeshTrafficPermission", "mtp.kuma-demo")
SEED_POLICIES = [CONSUMER_TIMEOUT, PRODUCER_TIMEOUT, MTP]
SHOP_DATAPLANES = 7


def seed_copy(tmp_path: Path) -> Path:
    """A copy of the seed scenario's folder, to edit."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    return folder


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


def write_team(folder: Path, count: int) -> None:
    """Mesh `default` and `count` dataplanes `app-00.team`, ... with no policy."""
    docs = ["apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: default\n"]
    docs += [
        f"""apiVersion: kuma.io/v1alpha1
kind: Dataplane
mesh: default
metadata: {{name: app-{i:02d}, namespace: team}}
spec:
  networking:
    address: 10.0.0.{i + 1}
    inbound: [{{port: 8080, tags: {{kuma.io/service: app-{i:02d}_team_svc_8080}}}}]
"""
        for i in range(count)
    ]
    (folder / "mesh.yaml").write_text("---\n".join(docs))


def fixed_clock() -> datetime:
    """Always the same instant, so headers and highlight expiry are deterministic."""
    return FIXED_NOW


def folder_app(path: Path, *, watch: bool = False, **kwargs: object) -> MeshtuiApp:
    """The app over a folder, as `meshtui PATH` builds it."""
    return MeshtuiApp(FolderSource(path, watch=watch), ContextOptions(version=V2_10), **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- what is shown


def rows(app: MeshtuiApp) -> list[RowKey]:
    """Keys of the rows the table shows, in order."""
    view = app.dashboard.table.view
    assert view is not None
    return [row.key for row in view.rows]


def title(app: MeshtuiApp) -> str:
    view = app.dashboard.table.view
    assert view is not None
    return view.title


def detail_labels(app: MeshtuiApp) -> list[str]:
    """Every label of the detail tree, depth first."""
    view = app.dashboard.detail.view
    if view is None or view.tree is None:
        return []
    return [node.label for node in view.tree.walk()]


def conf_line(label: str) -> str:
    """A conf line of the rules tree without its blame (`  ← policy to[0] ...`)."""
    return label.split("  ← ")[0]


def find_node(app: MeshtuiApp, predicate: Callable[[DetailNode], bool]) -> DetailNode:
    """The first detail node satisfying `predicate`."""
    view = app.dashboard.detail.view
    assert view is not None and view.tree is not None
    for node in view.tree.walk():
        if predicate(node):
            return node
    raise AssertionError("no such node")


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


def help_text(app: MeshtuiApp) -> str:
    return "\n".join(str(static.content) for static in app.screen.query(Static))


# ---------------------------------------------------------------------- waiting


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], bool], *, timeout: float = 5.0
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.02)


BACKGROUND = ("evaluate", "counts", "detail", "overlay", "whatif")
"""Worker groups whose results a key press may be waiting on (not the sources, nor the
Changes view's, which run until the app quits)."""


def busy(app: MeshtuiApp) -> bool:
    """Whether work a key asked for is still on its way: a detail, an evaluation, counts."""
    working = any(
        w.group in BACKGROUND and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        for w in app.workers
    )
    return working or app.dashboard.detail_pending


def _quiet(pilot: Pilot[None]) -> bool:
    pumps = [pilot.app, *pilot.app.screen.walk_children(with_self=True)]
    return all(pump._message_queue.empty() for pump in pumps)


async def settle(pilot: Pilot[None], *, timeout: float = 10.0) -> None:
    """Let the app handle every message the last key caused, those they caused, and the
    work they started (a detail, an evaluation, counts), then return.

    Deterministic, unlike `pilot.press`'s wait for the CPU to go idle, and much faster:
    drain the message queues of the app and the screen's widgets until all are empty and
    no worker the keys started is running. It does not force a repaint (`pilot.pause(0)`
    does): what only the next layout pass settles, such as the focus leaving a widget
    that was just hidden, is waited for with `wait_for`, which repaints.
    """
    app = pilot.app
    assert isinstance(app, MeshtuiApp)
    deadline = time.monotonic() + timeout
    while True:
        await pilot._wait_for_screen()
        await asyncio.sleep(0)
        if _quiet(pilot):
            if not busy(app):
                return
            await asyncio.sleep(0.002)
        if time.monotonic() > deadline:
            raise AssertionError("the app kept busy")


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


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press `keys` one after the other, as `pilot.press` does, settling after each."""
    for key in keys:
        pilot.app.post_message(key_event(key))
        await settle(pilot)


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Queue `keys` all at once (a fast typist, a paste, a held key), then settle."""
    for key in keys:
        pilot.app.post_message(key_event(key))
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the focused input field (all keys queued, then settled once)."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), "type into an input field"
    expected = focused.value + text
    await burst(pilot, *text)
    assert focused.value == expected


async def command(pilot: Pilot[None], text: str) -> None:
    """Press `:`, type `text`, press enter."""
    line = pilot.app.query_one("#command", Input)
    await press(pilot, "colon")
    assert pilot.app.focused is line and line.display
    await burst(pilot, *text, "enter")


async def until_shown(
    pilot: Pilot[None], change: Callable[[], object], shown: Callable[[], bool]
) -> None:
    """Make a change on disk, again if need be, until the app shows it.

    The folder watcher starts a moment after the first scan, and a change made before
    it is up goes unnoticed; saving again is what a user would do.
    """
    for _ in range(20):
        change()
        try:
            await wait_for(pilot, shown, timeout=1)
        except AssertionError:
            continue
        return
    raise AssertionError("the app never showed the change")


async def started(pilot: Pilot[None], app: MeshtuiApp) -> None:
    """Wait for the first evaluation, then let the app settle."""
    await wait_for(pilot, lambda: app.evaluation is not None)
    await settle(pilot)


async def loaded(pilot: Pilot[None], app: MeshtuiApp) -> None:
    """Wait for the first evaluation and the detail of the first row."""
    await started(pilot, app)
    await pilot.pause()


async def jumped(pilot: Pilot[None], app: MeshtuiApp, target: ResourceRow) -> None:
    """Jump to `target`, as enter on an origin line does, and wait for its detail."""
    app.dashboard.jump(target)
    await settle(pilot)
    assert app.dashboard.state.selected_key == target


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


def state(app: MeshtuiApp) -> NavState:
    """What the dashboard shows and has selected."""
    return app.dashboard.state


async def open_section(pilot: Pilot[None], app: MeshtuiApp, node_id: str) -> None:
    """Open a folded section of the detail tree, as the user does, and wait for its lines."""
    tree = app.dashboard.detail.rules_tree
    node = tree._find(node_id)
    assert node is not None, node_id
    node.expand()
    await settle(pilot)


def row_names(app: MeshtuiApp) -> list[str]:
    """Store names of the resources the table lists, in order."""
    return [key.name for key in rows(app) if isinstance(key, ResourceRow)]
