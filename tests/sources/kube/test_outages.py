"""A cluster that is down, restarted or silent: said so, then converged to the server."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
import yaml

from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    KINDS,
    Run,
    SilentServer,
    all_live,
    has_timeout,
    lists,
    matches_server,
    requests_of,
    running,
    synced_run,
    timeout_obj,
    wait_until,
)


def test_unreachable_cluster_says_so_and_recovers(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.stop()
    with running(kubeconfig) as run:
        wait_until(lambda: "unreachable" in getattr(run.status(), "message", ""), "unreachable")
        status = run.status()
        assert status is not None and not status.synced
        assert fake.url in status.message and "refused" in status.message
        fake.start()
        run.wait_synced()
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


def test_server_restart_reconnects_each_kind(synced: Run, fake: FakeKubeAPI) -> None:
    fake.stop()
    wait_until(lambda: synced.state("MeshTimeout") == "reconnecting", "reconnecting")
    status = synced.status()
    assert status is not None
    reconnecting = status.kinds["MeshTimeout"]
    # the open watch's connection is reset, or the next request finds nobody listening
    said = reconnecting.message
    assert ("refused" in said or "reset" in said) and 0 < reconnecting.since <= time.time()
    fake.start()
    wait_until(lambda: all(synced.state(kind) == "live" for kind in KINDS), "live again")
    fake.upsert(timeout_obj("after-restart"))
    wait_until(lambda: has_timeout(synced, "after-restart"), "a write after the restart")
    assert matches_server(synced, fake)


def test_restarted_server_is_listed_again(quiet_fake: FakeKubeAPI, tmp_path: Path) -> None:
    """The watches fail to reconnect while the server is down (refused); once it is back,
    each kind lists again (a restarted server's history may not be the one the kind's
    resourceVersion came from): a deletion made meanwhile disappears, every kind is live."""
    fake = quiet_fake
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc")) as run:
        fake.upsert(timeout_obj("doomed"))
        wait_until(lambda: has_timeout(run, "doomed"), "the first write")
        listed = lists(fake)
        fake.stop()
        wait_until(lambda: run.state("MeshTimeout") == "reconnecting", "reconnecting")
        fake.delete("meshtimeouts", "kuma-demo", "doomed")  # while nobody can watch
        fake.start()
        wait_until(lambda: not has_timeout(run, "doomed"), "the deletion made while down")
        wait_until(lambda: all_live(run), "every kind live again")
        assert matches_server(run, fake)
        assert lists(fake) == {plural: count + 1 for plural, count in listed.items()}


@pytest.mark.parametrize("moved_on", [False, True], ids=["versions-back", "versions-moved-on"])
def test_restore_from_a_backup_converges_whatever_the_versions(
    fake: FakeKubeAPI, tmp_path: Path, moved_on: bool
) -> None:
    """The apiserver comes back on an etcd restored from a backup taken before two objects
    were created: their deletion is in no history. Whether the server's resourceVersions
    went back (a resumed watch would get "too large resource version") or have since moved
    past the kind's (a resumed watch would be accepted and replay another timeline), the
    kind ends equal to the server, the two objects gone."""
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc")) as run:
        backup = fake.backup()
        fake.upsert(timeout_obj("doomed-1"))
        fake.upsert(timeout_obj("doomed-2"))
        wait_until(lambda: has_timeout(run, "doomed-2"), "the two writes")
        seen = fake.resource_version
        fake.stop()
        fake.restore(backup)
        assert fake.resource_version < seen
        if moved_on:  # writes elsewhere, until the versions pass the ones the client saw
            while fake.resource_version <= seen + 2:
                fake.upsert(timeout_obj(f"other-{fake.resource_version}", ns="elsewhere"))
        fake.start()
        wait_until(lambda: not has_timeout(run, "doomed-1"), "the objects the backup lacks")
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")
        wait_until(lambda: all_live(run), "every kind live")
        assert not has_timeout(run, "doomed-2")


def test_restart_after_compaction_relists_and_drops_what_was_deleted(
    fake: FakeKubeAPI, tmp_path: Path
) -> None:
    """The history is gone after the restart: 410, a re-list, and the deletion made while
    disconnected disappears (the list replaces the kind's state)."""
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc")) as run:
        fake.upsert(timeout_obj("doomed"))
        wait_until(lambda: has_timeout(run, "doomed"), "the first write")
        fake.stop()
        fake.delete("meshtimeouts", "kuma-demo", "doomed")
        fake.compact()
        fake.start()
        wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
        wait_until(lambda: not has_timeout(run, "doomed"), "the deletion")
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


def test_silent_cluster_is_reported_after_one_timeout(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """One discovery request times out and the header says so: urllib3 does not retry a
    read timeout (its default of three retries would say "connecting" for four timeouts,
    4 minutes with the defaults). Control-plane detection asks once too, and waits."""
    silent = SilentServer()
    try:
        config = yaml.safe_load(fake.write_kubeconfig(tmp_path / "kc").read_text())
        config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{silent.port}"
        kubeconfig = tmp_path / "kc"
        kubeconfig.write_text(yaml.safe_dump(config))
        tuning = dataclasses.replace(FAST, discovery_timeout=0.3, backoff_start=30, backoff_cap=30)
        with running(kubeconfig, tuning) as run:
            wait_until(lambda: "unreachable" in getattr(run.status(), "message", ""), "said")
            status = run.status()
            assert status is not None and not status.synced
            assert "timed out" in status.message
            wait_until(lambda: silent.accepted >= 2, "discovery and detection asked", 2)
            time.sleep(0.5)  # longer than a timeout: a retry would have connected by now
            assert silent.accepted == 2, "one request each, not urllib3's four"
    finally:
        silent.close()
