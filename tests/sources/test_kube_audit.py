"""Audit of the cluster source: the failure modes a client-go informer handles.

Same setup as `test_kube.py` (the official client against `FakeKubeAPI` over real
HTTP, nothing patched), with the fake's fault hooks: a restarted apiserver (history
kept, as etcd keeps it), HTTP 410 on a watch, ERROR events that are not 410, malformed
lines, rotated credentials (401), a cluster that accepts connections and never
answers, quitting in the middle of a long paged list, and very large objects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes.client.exceptions import ApiException

from meshtui.sources import ChangesReady
from meshtui.sources.kube import (
    KubeSource,
    KubeTuning,
    _retry_after,
    context_namespace,
    describe,
)
from tests.fakekube import FakeKubeAPI
from tests.sources.test_kube import (
    FAST,
    KINDS,
    PLURALS,
    SAMPLE,
    Run,
    has_timeout,
    matches_server,
    requests_of,
    running,
    timeout_obj,
    wait_for_all_watchers,
    wait_until,
)


def lists(fake: FakeKubeAPI) -> dict[str, int]:
    return {plural: len(requests_of(fake, "list", plural)) for plural in PLURALS}


def all_live(run: Run) -> bool:
    return all(run.state(kind) == "live" for kind in KINDS)


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1) as server:
        yield server


@pytest.fixture
def synced(fake: FakeKubeAPI, tmp_path: Path) -> Iterator[Run]:
    """A run past its initial load, every watch open; checked read-only at the end."""
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kubeconfig")) as run:
        yield run


@pytest.fixture
def quiet_fake() -> Iterator[FakeKubeAPI]:
    """Bookmarks rare enough never to arrive during a test: a resumed watch carries nothing."""
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=60) as server:
        yield server


@contextlib.contextmanager
def synced_run(fake: FakeKubeAPI, kubeconfig: Path, tuning: KubeTuning = FAST) -> Iterator[Run]:
    with running(kubeconfig, tuning) as run:
        run.wait_synced()
        wait_for_all_watchers(fake)
        yield run
    assert {r.method for r in fake.requests} == {"GET"}


# -- a restarted apiserver ----------------------------------------------------------------


def test_restarted_server_is_resumed_not_relisted(quiet_fake: FakeKubeAPI, tmp_path: Path) -> None:
    """The watches fail to reconnect while the server is down (refused), then resume from
    their resourceVersion: a deletion made meanwhile arrives as DELETED, no kind lists
    again, and every kind is live once its watch is back, with no event to show for it."""
    fake = quiet_fake
    with synced_run(fake, fake.write_kubeconfig(tmp_path / "kc")) as run:
        fake.upsert(timeout_obj("doomed"))
        wait_until(lambda: has_timeout(run, "doomed"), "the first write")
        listed = lists(fake)
        fake.stop()
        wait_until(lambda: run.state("MeshTimeout") == "reconnecting", "reconnecting")
        fake.delete("meshtimeouts", "kuma-demo", "doomed")  # while nobody can watch
        fake.start()
        wait_until(lambda: not has_timeout(run, "doomed"), "the DELETED made while down")
        wait_until(lambda: all_live(run), "every kind live again (no bookmark needed)")
        assert matches_server(run, fake)
        assert lists(fake) == listed, "a kind listed again instead of resuming"


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


def test_410_after_a_run_of_failures_relists_at_once(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """A watch that kept failing (resets) then gets 410: the server answers, so the re-list
    is not held back by the backoff those failures built up (it used to wait ~2.5 s here,
    with the header already saying live: a restarted server's stale data stayed up)."""
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


# -- errors inside and around a watch -----------------------------------------------------


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


def test_very_large_object_through_list_and_watch(synced: Run, fake: FakeKubeAPI) -> None:
    big = timeout_obj("big")
    big["metadata"]["annotations"] = {"blob": "x" * 3_000_000}  # just under the 3 MiB bound
    fake.upsert(big)
    wait_until(lambda: has_timeout(synced, "big"), "a 3 MB object over the watch", 15)
    fake.compact()
    fake.expire_watches("meshtimeouts")
    wait_until(lambda: len(requests_of(fake, "list", "meshtimeouts")) == 2, "a re-list", 15)
    fake.wait_for_watchers("meshtimeouts", timeout=15)
    wait_until(lambda: matches_server(synced, fake), "the big object listed", 15)


# -- credentials --------------------------------------------------------------------------


def test_rotated_token_file_is_read_again_on_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """A kubeconfig `tokenFile` rewritten with a new token (and the old one revoked) is
    re-read at the first 401, not after `forbidden_retry`; the watches resume."""
    token_file = tmp_path / "token"
    token_file.write_text("fake-token")
    config = yaml.safe_load(fake.write_kubeconfig(tmp_path / "kc").read_text())
    config["users"][0]["user"] = {"tokenFile": str(token_file)}
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump(config))
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        listed = lists(fake)
        token_file.write_text("rotated-token")
        fake.set_token("rotated-token")
        fake.disconnect_watches()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("after-rotation"))
        wait_until(lambda: has_timeout(run, "after-rotation"), "watching with the new token")
        wait_until(lambda: all_live(run), "every kind live")
        assert lists(fake) == listed, "resumed, not listed again"
        assert any(r.status == 401 for r in fake.requests)


def test_rotated_kubeconfig_token_is_read_again_on_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        fake.set_token("second-token")
        fake.write_kubeconfig(kubeconfig)  # as `aws eks update-kubeconfig` or a login would
        fake.abort_watches()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("after-login"))
        wait_until(lambda: has_timeout(run, "after-login"), "watching with the new token")
        wait_until(lambda: all_live(run), "every kind live")


def test_revoked_token_says_401_and_keeps_the_rest(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """No new credentials to be had: each kind says 401 (and keeps what it had)."""
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        had = run.resources()
        fake.set_token("someone-else")
        fake.disconnect_watches()
        wait_until(lambda: run.state("MeshTimeout") == "error", "MeshTimeout in error")
        status = run.status()
        assert status is not None
        assert "401" in status.kinds["MeshTimeout"].message
        assert run.resources() == had


# -- a cluster that does not answer -------------------------------------------------------


class SilentServer:
    """Accepts TCP connections and never answers (a hung apiserver, a dead port-forward)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self._sock.accept()
                self._held.append(conn)
                self.accepted += 1

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)
        for conn in self._held:
            conn.close()
        self._sock.close()


def test_silent_cluster_is_reported_after_one_timeout(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """urllib3 used to retry a read timeout three times, so a hung cluster said
    "connecting" for four discovery timeouts (4 minutes with the defaults)."""
    silent = SilentServer()
    try:
        config = yaml.safe_load(fake.write_kubeconfig(tmp_path / "kc").read_text())
        config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{silent.port}"
        kubeconfig = tmp_path / "kc"
        kubeconfig.write_text(yaml.safe_dump(config))
        tuning = dataclasses.replace(FAST, discovery_timeout=0.3, backoff_start=30)
        with running(kubeconfig, tuning) as run:
            wait_until(lambda: "unreachable" in getattr(run.status(), "message", ""), "said")
            status = run.status()
            assert status is not None and not status.synced
            assert "timed out" in status.message
            assert silent.accepted == 1, "one request, not urllib3's four"
    finally:
        silent.close()


def test_connect_timeout_is_described_in_words() -> None:
    conn = urllib3.connection.HTTPConnection("10.0.0.1", 6443)
    cause = urllib3.exceptions.ConnectTimeoutError(
        conn, "Connection to 10.0.0.1 timed out. (connect timeout=5)"
    )
    err = urllib3.exceptions.MaxRetryError(None, "/api", cause)  # type: ignore[arg-type]
    assert describe(err) == "Connection to 10.0.0.1 timed out. (connect timeout=5)"
    reset = urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
    )
    wrapped = urllib3.exceptions.MaxRetryError(None, "/api", reset)  # type: ignore[arg-type]
    assert describe(wrapped) == "connection lost: [Errno 104] Connection reset by peer"


# -- stopping -----------------------------------------------------------------------------


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


# -- backoff ------------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    tuning = KubeTuning(backoff_start=0.5, backoff_cap=30.0)
    for attempt in range(1, 40):
        base = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [tuning.backoff(attempt) for _ in range(200)]
        assert all(0.75 * base <= d <= min(30.0, 1.25 * base) for d in delays)
        assert len(set(delays)) > 1, "jittered"
    assert max(tuning.backoff(1000) for _ in range(200)) <= 30.0


# -- the first load -----------------------------------------------------------------------


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


# -- configuration ------------------------------------------------------------------------


def test_default_namespace_is_the_contexts(
    fake: FakeKubeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What kubectl uses without `-n`, for the app to focus first."""
    kubeconfig = fake.write_kubeconfig(
        tmp_path / "kc", "team", "kuma-demo", extra_contexts={"plain": None}
    )
    assert KubeSource(str(kubeconfig)).default_namespace == "kuma-demo"
    assert KubeSource(str(kubeconfig), context="plain").default_namespace == ""
    monkeypatch.setenv("POD_NAMESPACE", "kuma-system")
    assert context_namespace(None, "in-cluster") == "kuma-system"


def test_wrong_token_at_start_recovers_when_the_kubeconfig_is_fixed(
    fake: FakeKubeAPI, tmp_path: Path
) -> None:
    """Discovery answered 401 from the start: it says so, and picks up a corrected
    kubeconfig on a later attempt (not only on its first failure)."""
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    fake.set_token("the-real-one")
    with running(kubeconfig) as run:
        wait_until(lambda: "401" in getattr(run.status(), "message", ""), "says 401")
        wait_until(lambda: len([r for r in fake.requests if r.status == 401]) >= 4, "retrying")
        fake.write_kubeconfig(kubeconfig)  # now with the real token
        run.wait_synced()
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        (None, 0.0, 0.0),
        ("3", 3.0, 3.0),
        ("0.5", 0.5, 0.5),
        ("86400", 60.0, 60.0),  # capped: a day is a server bug, not a plan
        ("-4", 0.0, 0.0),
        ("nan", 0.0, 0.0),
        ("soon", 0.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, 0.0),  # a date in the past: now
        ("+20s", 8.0, 20.0),  # written below as an HTTP date 20 s from now
    ],
)
def test_retry_after_header_forms(header: str | None, low: float, high: float) -> None:
    """Seconds or an HTTP date (RFC 9110 allows both), never negative, at most a minute."""
    if header == "+20s":
        header = email.utils.formatdate(time.time() + 20, usegmt=True)
    err = ApiException(status=429, reason="Too Many Requests")
    err.headers = {} if header is None else {"Retry-After": header}
    assert low <= _retry_after(err) <= high


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
