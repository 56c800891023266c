"""Each kind's state (live, forbidden, not installed) and the first load around them."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from meshtui.sources import ChangesReady
from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    G_V,
    PLURALS,
    SAMPLE,
    Run,
    all_get,
    has_timeout,
    matches_server,
    requests_of,
    running,
    timeout_obj,
    wait_until,
)


def test_forbidden_and_not_installed_kinds(tmp_path: Path) -> None:
    served = [p for p in PLURALS if p != "meshtraces"]
    with FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1) as fake:
        fake.forbid("meshretries")
        with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
            status = run.wait_synced()
            assert status.kinds["MeshRetry"].state == "forbidden"
            assert "cannot list" in status.kinds["MeshRetry"].message
            assert status.kinds["MeshTrace"].state == "not installed"
            assert status.kinds["MeshTimeout"].state == "live"
            fake.upsert(timeout_obj("still-working"))
            wait_until(lambda: has_timeout(run, "still-working"), "other kinds keep working")
        assert all_get(fake)


def test_kinds_change_state_while_running(synced: Run, fake: FakeKubeAPI) -> None:
    fake.forbid("meshretries")
    fake.disconnect_watches("meshretries")
    wait_until(lambda: synced.state("MeshRetry") == "forbidden", "forbidden")
    fake.permit("meshretries")
    wait_until(lambda: synced.state("MeshRetry") == "live", "live again after permit")

    fake.uninstall("meshtimeouts")
    wait_until(lambda: synced.state("MeshTimeout") == "not installed", "not installed")
    assert not any(k.type == "MeshTimeout" for k in synced.resources())
    fake.upsert(
        {"apiVersion": G_V, "kind": "MeshRetry", "metadata": {"name": "r", "namespace": "a"}}
    )
    wait_until(lambda: matches_server(synced, fake), "other kinds keep working")

    fake.install("meshtimeouts")  # discovery re-check picks it up
    fake.upsert(timeout_obj("reinstalled"))
    wait_until(lambda: has_timeout(synced, "reinstalled"), "a kind installed later")
    assert synced.state("MeshTimeout") == "live"


def test_nothing_readable_still_ends_the_first_load(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """Every kind forbidden: no object to hand over, but the first (empty) load still goes
    out before `synced`, so the app stops saying "loading…" and shows the 403s instead."""
    for plural in PLURALS:
        fake.forbid(plural)
    with running(fake.write_kubeconfig(tmp_path / "kc")) as run:
        status = run.wait_synced()
        assert {s.state for s in status.kinds.values()} == {"forbidden"}
        events = run.events
        synced_at = next(i for i, e in enumerate(events) if getattr(e, "synced", False))
        initial = [e for e in events[:synced_at] if isinstance(e, ChangesReady) and e.initial]
        assert len(initial) == 1 and initial[0].changes == ()
    assert {r.method for r in fake.requests} == {"GET"}


def test_a_list_without_answer_is_reported_after_one_timeout(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """A kind whose list gets no answer says so (reconnecting: timed out) after one read
    timeout, not after the retry's timeout too, and the first load goes out without it;
    once the server answers, the kind lists and is live."""
    fake.stall_next("meshtimeouts", "list", times=2)
    tuning = dataclasses.replace(FAST, read_timeout=1.5)
    started = time.monotonic()
    with running(kubeconfig, tuning) as run:
        wait_until(lambda: run.state("MeshTimeout") == "reconnecting", "reconnecting", 10)
        assert time.monotonic() - started < 2.8, "said after the second timeout (3 s)"
        status = run.wait_synced()
        assert "timed out" in status.kinds["MeshTimeout"].message
        assert not has_timeout(run, "producer-timeout"), "nothing listed yet"
        wait_until(lambda: run.state("MeshTimeout") == "live", "live once answered", 10)
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")
    gave_up = [r for r in requests_of(fake, "list", "meshtimeouts") if r.status == 0]
    assert len(gave_up) == 2
