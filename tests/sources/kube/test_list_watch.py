"""A kind's list+watch: the first load, watch events, resuming and re-listing."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from meshtui.inventory import Inventory, OriginUpdate
from meshtui.parse import ContextOptions
from meshtui.sources import ChangesReady, StatusChanged
from meshtui.sources.files import load_path
from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    KINDS,
    PLURALS,
    SAMPLE,
    Run,
    has_timeout,
    matches_server,
    requests_of,
    running,
    synced_run,
    timeout_obj,
    wait_for_all_watchers,
    wait_until,
)


def test_initial_sync_reaches_the_inventory(synced: Run, fake: FakeKubeAPI) -> None:
    assert fake.skipped == []
    documents, problems = load_path(SAMPLE)
    folder, _ = Inventory.empty(ContextOptions()).apply(
        [OriginUpdate("folder", tuple(documents), tuple(problems))]
    )
    assert set(synced.resources()) == set(folder.resource_map)
    assert {"Mesh", "Dataplane", "MeshService", "MeshTimeout"} <= {
        k.type for k in synced.resources()
    }
    assert matches_server(synced, fake)
    assert synced.namespaces() == sorted(ns.name for ns in folder.namespaces)


def test_initial_load_is_one_flagged_batch_then_synced(synced: Run, fake: FakeKubeAPI) -> None:
    events = synced.events
    synced_at = next(i for i, e in enumerate(events) if isinstance(e, StatusChanged) and e.synced)
    before = [e for e in events[:synced_at] if isinstance(e, ChangesReady)]
    assert len(before) == 1 and before[0].initial
    assert len(before[0].changes) == len(PLURALS)  # one ScopeReplaced per kind
    status = events[synced_at]
    assert isinstance(status, StatusChanged)
    assert {kind: s.state for kind, s in status.kinds.items()} == dict.fromkeys(KINDS, "live")
    assert synced.source.mode == "LIVE" and synced.source.description == "fake"
    for plural in PLURALS:
        (listed,) = requests_of(fake, "list", plural)
        assert listed.query["limit"] == "500"


def test_paged_list(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.upsert_many(timeout_obj(f"t{i:03}") for i in range(120))
    with running(kubeconfig, dataclasses.replace(FAST, page_size=50)) as run:
        run.wait_synced()
        assert matches_server(run, fake)
        pages = requests_of(fake, "list", "meshtimeouts")
        assert [r.query.get("limit") for r in pages] == ["50"] * 3
        assert all(r.query.get("continue") for r in pages[1:])


def test_continue_token_expired_mid_list_lists_again(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """Compaction while a kind pages through its list: the next page is an HTTP 410, and
    the kind starts its list over (a fresh first page), ending equal to the server."""
    fake.upsert_many(timeout_obj(f"t{i:04}") for i in range(600))
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    with running(kubeconfig, dataclasses.replace(FAST, page_size=2)) as run:
        wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) >= 3, "paging")
        fake.upsert(timeout_obj("late"))
        fake.compact()
        run.wait_synced(timeout=30)
        pages = requests_of(fake, "list", "meshtimeouts")
        expired = [r for r in pages if r.status == 410]
        if expired:  # (a very fast machine may have finished paging before the compaction)
            first_pages = [r for r in pages if "continue" not in r.query]
            assert len(first_pages) == 2
            assert expired[0].query.get("continue")
        wait_until(lambda: has_timeout(run, "late"), "the late write", 10)
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server", 10)


def test_added_modified_deleted_reach_the_inventory(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("new-timeout", ns="team-a"))
    wait_until(lambda: has_timeout(synced, "new-timeout", "team-a"), "ADDED")
    assert "team-a" in synced.namespaces()  # the Namespace watch too
    fake.upsert(timeout_obj("new-timeout", ns="team-a", targetRef={"kind": "Mesh"}, to=[]))
    wait_until(lambda: matches_server(synced, fake), "MODIFIED")
    fake.delete("meshtimeouts", "team-a", "new-timeout")
    wait_until(lambda: not has_timeout(synced, "new-timeout", "team-a"), "DELETED")
    fake.delete("meshes", None, "default")
    wait_until(lambda: matches_server(synced, fake), "cluster-scoped DELETED")
    assert all(not b.initial for b in synced.batches()[1:])


def test_burst_arrives_in_a_handful_of_batches(synced: Run, fake: FakeKubeAPI) -> None:
    before = len(synced.batches())
    fake.upsert_many(timeout_obj(f"burst-{i:04}") for i in range(2000))
    wait_until(lambda: has_timeout(synced, "burst-1999"), "the last of the burst")
    wait_until(lambda: matches_server(synced, fake), "the whole burst")
    assert 1 <= len(synced.batches()) - before <= 20


def test_bookmarks_are_tracked_but_not_changes(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("marker"))
    wait_until(lambda: has_timeout(synced, "marker"), "the marker")
    batches = len(synced.batches())
    target = str(fake.resource_version)  # newer than any MeshRetry: only bookmarks carry it

    def resumed_from_bookmark() -> bool:
        fake.disconnect_watches("meshretries")
        fake.wait_for_watchers("meshretries")
        watches = requests_of(fake, "watch", "meshretries")
        if watches[-1].query.get("resourceVersion") == target:
            return True
        time.sleep(0.1)  # let a bookmark (every 0.1 s) reach the resumed watch
        return False

    wait_until(resumed_from_bookmark, "a watch resumed from a bookmark's resourceVersion")
    assert len(synced.batches()) == batches
    assert len(requests_of(fake, "list", "meshretries")) == 1


def test_410_relists_and_replaces(synced: Run, fake: FakeKubeAPI) -> None:
    fake.upsert(timeout_obj("before-compaction"))
    wait_until(lambda: has_timeout(synced, "before-compaction"), "the first write")
    fake.compact()
    assert fake.expire_watches("meshtimeouts") == 1
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
    fake.wait_for_watchers("meshtimeouts")
    fake.upsert(timeout_obj("after-relist"))
    wait_until(lambda: has_timeout(synced, "after-relist"), "a write after the re-list")
    wait_until(lambda: matches_server(synced, fake), "inventory equal to the server")
    assert synced.state("MeshTimeout") == "live"
    for plural in PLURALS:
        if plural != "meshtimeouts":
            assert len(requests_of(fake, "list", plural)) == 1


def test_410_on_resume_relists(tmp_path: Path) -> None:
    # Rare bookmarks: the services watch keeps the rv of its list, which compaction outdates.
    kc = tmp_path / "kc"
    with (
        FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=30) as fake,
        running(fake.write_kubeconfig(kc)) as run,
    ):
        run.wait_synced()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("moves-the-rv"))
        fake.compact()
        fake.disconnect_watches("meshservices")
        wait_until(lambda: len(requests_of(fake, "list", "meshservices")) == 2, "a re-list")
        resume = requests_of(fake, "watch", "meshservices")[1]
        assert int(resume.query["resourceVersion"]) < fake.resource_version
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


def test_http_410_on_a_watch_relists(synced: Run, fake: FakeKubeAPI) -> None:
    """An HTTP-level 410 (not the ERROR event the fake sends by itself) re-lists too."""
    fake.fail_next("meshtimeouts", "watch", 410, "Gone", "too old resource version")
    fake.upsert(timeout_obj("before-410"))
    wait_until(lambda: has_timeout(synced, "before-410"), "the first write")
    fake.disconnect_watches("meshtimeouts")
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
    failed = [r for r in requests_of(fake, "watch", "meshtimeouts") if r.status == 410]
    assert len(failed) == 1
    fake.wait_for_watchers("meshtimeouts")
    fake.upsert(timeout_obj("after-410"))
    wait_until(lambda: has_timeout(synced, "after-410"), "watching again")
    assert matches_server(synced, fake)


def test_410_after_a_run_of_failures_relists_at_once(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """A watch that kept failing (resets) then gets 410: the server answers, so the re-list
    goes out at once, not after the backoff those failures built up (~2.5 s here, while
    the header already says live and the kind still shows what the server dropped)."""
    tuning = dataclasses.replace(FAST, backoff_start=0.01, backoff_cap=10.0)
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc"), tuning) as run:
        for _ in range(9):  # backoff(9): 2.56 s, jittered down to 1.92 s at least
            fake.wait_for_watchers("meshtimeouts")
            fake.abort_watches("meshtimeouts")
        fake.wait_for_watchers("meshtimeouts")  # no event since: nothing reset the count
        fake.compact()
        fake.expire_watches("meshtimeouts")
        wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "re-list", 1.5)
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


def test_error_event_other_than_410_relists(synced: Run, fake: FakeKubeAPI) -> None:
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500}
    status |= {"reason": "InternalError", "message": "etcd went away"}
    line = json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"
    assert fake.inject_watch_line("meshtimeouts", line) == 1
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
    fake.wait_for_watchers("meshtimeouts")
    fake.upsert(timeout_obj("after-error"))
    wait_until(lambda: has_timeout(synced, "after-error"), "watching again")
    wait_until(lambda: synced.state("MeshTimeout") == "live", "live again")


@pytest.mark.parametrize(
    "line",
    [b"{not json\n", b"[]\n", b'{"type":"ADDED","object":"a string"}\n'],
    ids=["not-json", "not-an-object", "object-not-a-dict"],
)
def test_malformed_watch_line_relists(fake: FakeKubeAPI, tmp_path: Path, line: bytes) -> None:
    """A line that is not a watch event: nothing is applied from it, the kind says so and
    lists again (an event may have been lost), and is live afterwards."""
    slow = dataclasses.replace(FAST, backoff_start=2.0, backoff_cap=2.0)  # time to look
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc"), slow) as run:
        assert fake.inject_watch_line("meshtimeouts", line) == 1
        wait_until(lambda: run.state("MeshTimeout") == "reconnecting", "says so")
        status = run.status()
        assert status is not None
        message = status.kinds["MeshTimeout"].message
        assert message == "malformed watch event on meshtimeouts, listing again"
        wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list")
        fake.wait_for_watchers("meshtimeouts")
        fake.upsert(timeout_obj("after-garbage"))
        wait_until(lambda: has_timeout(run, "after-garbage"), "watching again")
        wait_until(lambda: run.state("MeshTimeout") == "live", "live again")
        assert matches_server(run, fake)


@pytest.mark.parametrize("drop", ["disconnect_watches", "abort_watches"])
def test_dropped_watches_resume_without_relist(synced: Run, fake: FakeKubeAPI, drop: str) -> None:
    stored = fake.upsert(timeout_obj("before-drop"))
    wait_until(lambda: has_timeout(synced, "before-drop"), "the first write")
    watches_before = len(requests_of(fake, "watch", "meshtimeouts"))
    assert getattr(fake, drop)() == len(PLURALS)
    wait_for_all_watchers(fake)
    fake.upsert(timeout_obj("after-drop"))
    wait_until(lambda: has_timeout(synced, "after-drop"), "a write after the drop")
    assert matches_server(synced, fake)
    for plural in PLURALS:
        assert len(requests_of(fake, "list", plural)) == 1
    resumed = requests_of(fake, "watch", "meshtimeouts")[watches_before]
    assert int(resumed.query["resourceVersion"]) >= int(stored["metadata"]["resourceVersion"])
    assert synced.state("MeshTimeout") == "live"


def test_watch_timeout_resumes_without_relist(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    with running(kubeconfig, dataclasses.replace(FAST, watch_timeout=1)) as run:
        run.wait_synced()
        wait_until(lambda: len(requests_of(fake, "watch", "meshes")) >= 2, "a second watch")
        first, second = requests_of(fake, "watch", "meshes")[:2]
        assert first.query["timeoutSeconds"] == "1"
        assert first.query["allowWatchBookmarks"].lower() == "true"
        assert int(second.query["resourceVersion"]) >= int(first.query["resourceVersion"])
        assert len(requests_of(fake, "list", "meshes")) == 1
        fake.upsert(timeout_obj("after-timeout"))
        wait_until(lambda: has_timeout(run, "after-timeout"), "a write after the timeout")


@pytest.mark.parametrize("retry_after", [None, 1], ids=["plain", "retry-after"])
def test_throttled_watch_resumes_without_relist(
    synced: Run, fake: FakeKubeAPI, retry_after: int | None
) -> None:
    """429 (API Priority and Fairness, with or without Retry-After) on a resumed watch:
    back off and resume from the same resourceVersion; re-listing would add load."""
    fake.fail_next(
        "meshtimeouts",
        "watch",
        429,
        "TooManyRequests",
        "slow down",
        times=2,
        retry_after=retry_after,
    )
    fake.disconnect_watches("meshtimeouts")
    wait_until(lambda: len([r for r in fake.requests if r.status == 429]) == 2, "throttled")
    fake.wait_for_watchers("meshtimeouts")
    fake.upsert(timeout_obj("after-throttling"))
    wait_until(lambda: has_timeout(synced, "after-throttling"), "watching again")
    assert len(requests_of(fake, "list", "meshtimeouts")) == 1
    watches = requests_of(fake, "watch", "meshtimeouts")
    throttled = [i for i, r in enumerate(watches) if r.status == 429]
    gaps = [watches[i + 1].at - watches[i].at for i in throttled]
    if retry_after:  # FAST's backoff is milliseconds: only Retry-After makes it wait
        assert min(gaps) >= retry_after * 0.9, gaps


def test_very_large_object_through_list_and_watch(synced: Run, fake: FakeKubeAPI) -> None:
    big = timeout_obj("big")
    big["metadata"]["annotations"] = {"blob": "x" * 4_000_000}
    fake.upsert(big)
    wait_until(lambda: has_timeout(synced, "big"), "a 4 MB object over the watch", 15)
    fake.compact()
    fake.expire_watches("meshtimeouts")
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list", 15)
    fake.wait_for_watchers("meshtimeouts", timeout=15)
    wait_until(lambda: matches_server(synced, fake), "the big object listed", 15)
