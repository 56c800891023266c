"""Fixtures of the cluster-source tests: the fake API server and runs on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from meshtui.sources.kube import KubeSource
from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    SAMPLE,
    Run,
    all_get,
    wait_for_all_watchers,
)


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1) as server:
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return fake.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def start(kubeconfig: Path, fake: FakeKubeAPI) -> Iterator[Callable[[], Run]]:
    """Start a source on the fake; every run is stopped (and checked read-only) at teardown."""
    runs: list[Run] = []

    def start_run() -> Run:
        run = Run(KubeSource(str(kubeconfig), tuning=FAST)).start()
        runs.append(run)
        return run

    yield start_run
    for run in runs:
        run.stop()
    assert all_get(fake)


@pytest.fixture
def synced(start: Callable[[], Run], fake: FakeKubeAPI) -> Run:
    """A run past its initial load, with every watch open."""
    run = start()
    run.wait_synced()
    wait_for_all_watchers(fake)
    return run


@pytest.fixture
def quiet_fake() -> Iterator[FakeKubeAPI]:
    """Bookmarks rare enough never to arrive during a test: a resumed watch carries nothing."""
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=60) as server:
        yield server
