"""Stopping is prompt and leaves no thread; only GET requests are ever sent."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from meshtui.sources.kube import KubeSource
from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    Run,
    all_get,
    requests_of,
    timeout_obj,
    wait_for_all_watchers,
    wait_until,
)


def test_stop_is_prompt_with_watches_open(synced: Run) -> None:
    assert synced.stop() < 1.0
    assert not [t for t in threading.enumerate() if t.name.startswith("meshtui-kube")]


def test_stop_in_the_middle_of_a_long_paged_list(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """Quitting while a kind pages through a big list: the list stops at the next page,
    no thread is left behind."""
    fake.upsert_many(timeout_obj(f"t{i:04}") for i in range(2000))
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    run = Run(KubeSource(str(kubeconfig), tuning=dataclasses.replace(FAST, page_size=1))).start()
    try:
        wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) >= 3, "paging")
    finally:
        took = run.stop()
    assert took < 1.0
    wait_until(
        lambda: not [t for t in threading.enumerate() if t.name.startswith("meshtui-kube")],
        "no source thread left",
        1.0,
    )
    assert len(requests_of(fake, "list", "meshtimeouts")) < 2000


def test_only_get_requests(synced: Run, fake: FakeKubeAPI) -> None:
    fake.compact()
    fake.expire_watches()
    fake.abort_watches()
    wait_for_all_watchers(fake)
    verbs = {r.verb for r in fake.requests}
    assert verbs <= {"get", "list", "watch"} and {"list", "watch"} <= verbs
    assert all_get(fake)
