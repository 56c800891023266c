"""The first load runs with the cyclic garbage collector paused, and never leaves it paused."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import meshtui.app as app_module
from meshtui.app import MeshtuiApp
from meshtui.messages import InventoryChanged
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource
from tests.app.harness import SEED, folder_app, settle, started
from tests.versions import V2_10


class Recording(MeshtuiApp):
    """The app, noting whether the collector ran when each inventory arrived."""

    CSS_PATH = str(Path(app_module.__file__).parent / str(MeshtuiApp.CSS_PATH))
    collector_on: list[bool]

    def on_inventory_changed(self, message: InventoryChanged) -> None:
        self.collector_on.append(gc.isenabled())


def recording(folder: Path) -> Recording:
    """As `folder_app` builds it."""
    app = Recording(FolderSource(folder, watch=False), ContextOptions(version=V2_10))
    app.collector_on = []
    return app


async def test_the_collector_is_paused_until_the_first_load_is_frozen() -> None:
    assert gc.isenabled()
    app = recording(SEED)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        assert app.collector_on[:1] == [False], "paused while the first load was parsed"
        assert gc.isenabled(), "on again once the first evaluation froze the load"
    assert gc.isenabled()


async def test_a_first_load_that_never_evaluates_ends_the_pause_after_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gc.isenabled()
    app = folder_app(tmp_path)  # no mesh: no evaluation, nothing frozen
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.evaluation is None
        assert not gc.isenabled(), "still within the limit"
    assert gc.isenabled(), "the app's end ends the pause"
    monkeypatch.setattr(app_module, "FIRST_LOAD_PAUSE_SECONDS", 0.0)
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.evaluation is None
        assert gc.isenabled(), "the limit passed: collected as usual"
