"""Helpers for driving the real app headless: a fixed clock and waiting on app state."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot

from meshtui.app import MeshtuiApp
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource
from meshtui.views import TreeNode
from tests.versions import V2_10

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample-cluster"
FIXED_NOW = datetime(2026, 11, 22, 9, 30, 0)


def fixed_clock() -> datetime:
    """Always the same instant, so headers and highlight expiry are deterministic."""
    return FIXED_NOW


def folder_app(path: Path, *, watch: bool = False, **kwargs: object) -> MeshtuiApp:
    """The app over a folder, as `meshtui PATH` builds it."""
    return MeshtuiApp(FolderSource(path, watch=watch), ContextOptions(version=V2_10), **kwargs)  # type: ignore[arg-type]


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], bool], *, timeout: float = 5.0
) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.02)


async def loaded(pilot: Pilot[None], app: MeshtuiApp) -> None:
    """Wait for the first evaluation."""
    await wait_for(pilot, lambda: app.evaluation is not None)
    await pilot.pause()


def detail_labels(app: MeshtuiApp) -> list[str]:
    """Every label of the detail tree, depth first."""
    view = app.detail.view
    if view is None or view.tree is None:
        return []
    return [node.label for node in view.tree.walk()]


def find_node(app: MeshtuiApp, predicate: Callable[[TreeNode], bool]) -> TreeNode:
    """The first detail node satisfying `predicate`."""
    view = app.detail.view
    assert view is not None and view.tree is not None
    for node in view.tree.walk():
        if predicate(node):
            return node
    raise AssertionError("no such node")
