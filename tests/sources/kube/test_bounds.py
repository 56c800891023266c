"""Cluster mode: objects from the API server are held to the same input bounds as files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meshtui.parse.bounds import MAX_DEPTH
from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import SAMPLE, Run, has_timeout, running, timeout_obj, wait_until


def nested(levels: int) -> Any:
    value: Any = 1
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1) as server:
        yield server


@pytest.fixture
def synced(fake: FakeKubeAPI, tmp_path: Path) -> Iterator[Run]:
    with running(fake.write_kubeconfig(tmp_path / "kubeconfig")) as run:
        run.wait_synced()
        yield run
    assert {r.method for r in fake.requests} == {"GET"}


def _problems(run: Run) -> list[str]:
    return [f"{p.path}: {p.message}" for p in run.inventory.problems if p.severity == "error"]


def test_an_object_nested_too_deep_is_a_problem_and_the_rest_stays(
    synced: Run, fake: FakeKubeAPI
) -> None:
    # body, spec, to, [0], default = 5 levels above the free-form value
    fake.upsert(
        timeout_obj(
            "deep", to=[{"targetRef": {"kind": "Mesh"}, "default": {"x": nested(MAX_DEPTH - 4)}}]
        )
    )
    fake.upsert(timeout_obj("fine"))
    wait_until(lambda: has_timeout(synced, "fine"), "the object after it")
    wait_until(lambda: any("levels deep" in p for p in _problems(synced)), "the deep one reported")
    assert not has_timeout(synced, "deep")
    [problem] = [p for p in _problems(synced) if "levels deep" in p]
    assert problem.startswith("spec.to[0].default.x")


def test_an_object_over_the_size_bound_is_a_problem(synced: Run, fake: FakeKubeAPI) -> None:
    big = timeout_obj("big")
    big["metadata"]["annotations"] = {"blob": "x" * 3_200_000}
    fake.upsert(big)
    wait_until(lambda: any("MiB" in p for p in _problems(synced)), "the big one reported", 15)
    assert not has_timeout(synced, "big")
