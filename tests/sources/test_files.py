"""The folder source: reading YAML, rescanning what changed, and the real watcher."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import meshtui.sources.files as files_module
from meshtui.inventory import OriginUpdate, ScopeReplaced
from meshtui.sources import ChangesReady, SourceEvent, StatusChanged
from meshtui.sources.decodecache import loads
from meshtui.sources.files import FolderSource, parse_text, yaml_files

POLICY = """\
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: t, namespace: demo}
spec:
  to:
  - targetRef: {kind: Mesh}
    default: {idleTimeout: 5s}
"""


def test_a_syntax_error_keeps_the_documents_before_it_and_names_document_and_line() -> None:
    contents = parse_text("a: 1\n---\nb: 2\n---\nc: [\n---\nd: 4\n", "f.yaml")
    assert [d.body for d in contents.documents] == [{"a": 1}, {"b": 2}]
    [problem] = contents.problems
    assert (problem.file, problem.document) == ("f.yaml", 3)
    assert "line 6" in problem.message


def test_empty_documents_and_timestamps() -> None:
    contents = parse_text(
        "---\n---\nmetadata: {creationTimestamp: 2026-01-02T03:04:05Z}\n", "f.yaml"
    )
    bodies = [d.body for d in contents.documents]
    assert bodies[-1] == {"metadata": {"creationTimestamp": "2026-01-02T03:04:05Z"}}


def test_hidden_entries_and_other_suffixes_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POLICY)
    (tmp_path / "b.yml").write_text(POLICY)
    (tmp_path / "c.json").write_text("{}")
    (tmp_path / ".hidden.yaml").write_text(POLICY)
    (tmp_path / "..data").mkdir()
    (tmp_path / "..data" / "x.yaml").write_text(POLICY)
    assert [p.name for p in yaml_files(tmp_path)] == ["a.yaml", "b.yml"]


def test_rescan_reports_added_changed_and_removed_files_and_folders(tmp_path: Path) -> None:
    source = FolderSource(tmp_path, watch=False)
    (tmp_path / "a.yaml").write_text(POLICY)
    source.scan()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text(POLICY)
    (tmp_path / "a.yaml").write_text(POLICY.replace("5s", "6s"))
    updates = source.rescan({tmp_path / "sub", tmp_path / "a.yaml"})
    assert {u.origin.rsplit("/", 1)[-1]: u.documents is not None for u in updates} == {
        "a.yaml": True,
        "b.yaml": True,
    }
    (tmp_path / "sub" / "b.yaml").unlink()
    (tmp_path / "sub").rmdir()
    updates = source.rescan({tmp_path / "sub"})
    assert [(u.origin.rsplit("/", 1)[-1], u.documents) for u in updates] == [("b.yaml", None)]


def test_drift_since_the_scan_is_found_by_size_and_mtime(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POLICY)
    (tmp_path / "b.yaml").write_text(POLICY)
    source = FolderSource(tmp_path, watch=False)
    source.scan()
    assert source.drifted() == set()
    (tmp_path / "a.yaml").write_text(POLICY.replace("5s", "15s"))
    (tmp_path / "b.yaml").unlink()
    (tmp_path / "c.yaml").write_text(POLICY)
    assert source.drifted() == {tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"}


def test_the_watcher_reports_an_edit_made_right_after_the_initial_scan(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(POLICY)
    events: list[SourceEvent] = []
    stop = threading.Event()
    source = FolderSource(tmp_path, watch=True)

    def emit(event: SourceEvent) -> None:
        events.append(event)
        if isinstance(event, ChangesReady) and event.initial:
            path.write_text(POLICY.replace("5s", "7s"))  # before the watcher is up

    thread = threading.Thread(target=source.run, args=(emit, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            later = [e for e in events if isinstance(e, ChangesReady) and not e.initial]
            if later:
                break
            time.sleep(0.02)
        [first, *_] = later
        [update] = first.changes
        assert isinstance(update, OriginUpdate)
        assert update.documents is not None
        assert "7s" in str(update.documents[0].body)
    finally:
        stop.set()
        thread.join(timeout=2)
    assert not thread.is_alive()
    initial = next(e for e in events if isinstance(e, ChangesReady) and e.initial)
    assert isinstance(initial.changes[0], ScopeReplaced)


def test_big_folders_are_decoded_in_worker_processes_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(12):
        text = POLICY.replace("name: t", f"name: t{i}")
        if i == 7:
            text += "---\nbroken: [\n"
        (tmp_path / f"p{i:02}.yaml").write_text(text + "---\n---\nextra: true\n")
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    files = [(path, path.name) for path in yaml_files(tmp_path)]
    sequential = files_module.read_many(files)
    answers: list[object] = []

    def recorded(chunks: list[list[str]], stop: threading.Event | None = None) -> object:
        answers.extend(real(chunks, stop))
        return answers[-len(chunks) :]

    real = files_module.decode_in_workers
    monkeypatch.setattr(files_module, "decode_in_workers", recorded)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: 2)
    parallel = files_module.read_many(files)
    assert len(answers) >= 2 and None not in answers, "every chunk was decoded by a worker"
    assert parallel == sequential
    assert [(c.path, p.document) for c in parallel for p in c.problems] == [
        ("latin1.yaml", 0),
        ("p07.yaml", 2),
    ]


class _CapturedStderr:
    """What Textual puts in `sys.stderr` while an app runs: a writer without a file descriptor."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def test_workers_start_while_stderr_has_no_file_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # multiprocessing's resource tracker refuses such a stderr ("bad value(s) in fds_to_keep"),
    # which once made every folder over 4 MB fail to load in the app.
    (tmp_path / "a.yaml").write_text(POLICY)
    (tmp_path / "b.yaml").write_text("a: [\n")
    monkeypatch.setattr("sys.stderr", _CapturedStderr())
    blobs = files_module.decode_in_workers([[str(tmp_path / "a.yaml")], [str(tmp_path / "b.yaml")]])
    answers = [[loads(blob) for blob in chunk or ()] for chunk in blobs]
    assert answers[0][0] is not None and answers[0][0][0][0]["kind"] == "MeshTimeout"
    assert answers[1] == [
        (
            [],
            [
                (
                    "error",
                    "YAML syntax error at line 2, column 1: did not find expected node content",
                    1,
                    "",
                )
            ],
        )
    ]


def test_a_worker_that_fails_leaves_its_chunk_to_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(8):
        (tmp_path / f"p{i}.yaml").write_text(POLICY.replace("name: t", f"name: t{i}"))
    crashing = tmp_path / "crash.py"
    crashing.write_text("import sys\nsys.stdout.write('half an answer')\nsys.exit(1)\n")
    files = [(path, path.name) for path in yaml_files(tmp_path)]
    expected = files_module.read_many(files)
    monkeypatch.setattr(files_module, "_WORKER", crashing)
    assert files_module.decode_in_workers([["x"], ["y"]]) == [None, None]
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: 2)
    assert files_module.read_many(files) == expected


def _changes_after(
    source: FolderSource, edits: Sequence[tuple[Callable[[], object], str]]
) -> tuple[str, list[ChangesReady]]:
    """Run the real watcher and make `edits` one at a time, each once a change showing
    the previous one's text was reported; the initial scan's single origin and every
    change reported.

    The first edit may be caught by the catch-up rescan made when the watcher starts;
    every later one comes from the watcher itself.
    """
    events: list[SourceEvent] = []
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(events.append, stop), daemon=True)
    thread.start()

    def changes() -> list[ChangesReady]:
        return [e for e in events if isinstance(e, ChangesReady) and not e.initial]

    try:
        deadline = time.monotonic() + 15
        while not any(isinstance(e, ChangesReady) and e.initial for e in events):
            assert time.monotonic() < deadline, "no initial scan"
            time.sleep(0.02)
        initial = next(e for e in events if isinstance(e, ChangesReady) and e.initial)
        assert isinstance(initial.changes[0], ScopeReplaced)
        [scanned] = initial.changes[0].updates
        for edit, shows in edits:
            edit()
            while not any(shows in str(change.changes) for change in changes()):
                assert time.monotonic() < deadline, f"no change shows {shows}"
                time.sleep(0.02)
        return scanned.origin, changes()
    finally:
        stop.set()
        thread.join(timeout=2)


@pytest.mark.parametrize("named", ["folder", "file"])
def test_an_edit_under_a_relative_folder_updates_the_same_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: str
) -> None:
    """`meshtui sample-cluster/` names the folder relatively, the watcher reports absolute
    paths: an edit must replace the file's resources, not add a second copy of them."""
    (tmp_path / "cluster").mkdir()
    path = tmp_path / "cluster" / "a.yaml"
    path.write_text(POLICY)
    monkeypatch.chdir(tmp_path)
    root = Path("cluster") if named == "folder" else Path("cluster/a.yaml")
    source = FolderSource(root, watch=True)
    origin, changes = _changes_after(
        source,
        [
            (lambda: path.write_text(POLICY.replace("5s", "8s")), "'8s'"),
            (lambda: path.write_text(POLICY.replace("5s", "9s")), "'9s'"),
        ],
    )
    assert origin == "file:cluster/a.yaml"
    updates = [update for change in changes for update in change.changes]
    assert updates and all(isinstance(u, OriginUpdate) for u in updates)
    assert {u.origin for u in updates if isinstance(u, OriginUpdate)} == {origin}, (
        "every edit replaces the file that was scanned"
    )
    files = {
        d.source.file for u in updates if isinstance(u, OriginUpdate) for d in u.documents or ()
    }
    assert files == {"cluster/a.yaml"}


Step = tuple[Callable[[], object], Callable[[list[SourceEvent]], bool], str]
"""A change to make, the condition on the events that shows it was seen, and its name."""


def _events_until(source: FolderSource, steps: Sequence[Step]) -> list[SourceEvent]:
    """Run the real source and watcher; make each step's change once the previous step's
    condition holds on the events so far; every event emitted."""
    events: list[SourceEvent] = []
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(events.append, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not any(isinstance(e, ChangesReady) and e.initial for e in events):
            assert time.monotonic() < deadline, "no initial scan"
            time.sleep(0.02)
        for change, condition, what in steps:
            change()
            while not condition(list(events)):
                assert time.monotonic() < deadline, f"not seen: {what}"
                time.sleep(0.02)
        return list(events)
    finally:
        stop.set()
        thread.join(timeout=3)
        assert not thread.is_alive()


def _origins_shown(events: list[SourceEvent]) -> dict[str, int]:
    """Origin → number of documents, after applying every change emitted so far."""
    shown: dict[str, int] = {}
    for event in events:
        if not isinstance(event, ChangesReady):
            continue
        for change in event.changes:
            updates = change.updates if isinstance(change, ScopeReplaced) else (change,)
            if isinstance(change, ScopeReplaced):
                shown = {k: v for k, v in shown.items() if not k.startswith(change.scope)}
            for update in updates:
                if update.documents is None:
                    shown.pop(update.origin, None)
                else:
                    shown[update.origin] = len(update.documents)
    return shown


def _problems_of(events: list[SourceEvent]) -> list[str]:
    return [
        f"{p.file}: {p.message}"
        for e in events
        if isinstance(e, ChangesReady)
        for c in e.changes
        for u in (c.updates if isinstance(c, ScopeReplaced) else (c,))
        for p in u.problems
    ]


def test_a_file_that_cannot_be_decoded_while_watching_is_one_problem_and_watching_goes_on(
    tmp_path: Path,
) -> None:
    """An integer past Python's int-string limit once stopped the watcher for good."""
    (tmp_path / "a.yaml").write_text(POLICY)
    events = _events_until(
        FolderSource(tmp_path, watch=True),
        [
            (
                lambda: (tmp_path / "big.yaml").write_text("x: " + "9" * 5000 + "\n"),
                lambda ev: any("big.yaml: YAML value error" in p for p in _problems_of(ev)),
                "the big integer reported",
            ),
            (
                lambda: (tmp_path / "a.yaml").write_text(POLICY.replace("5s", "6s")),
                lambda ev: "'6s'" in str(ev),
                "a later edit",
            ),
        ],
    )
    assert not any(
        isinstance(e, StatusChanged) and e.message.startswith("source failed") for e in events
    )


def test_a_watched_folder_deleted_and_recreated_is_watched_again(tmp_path: Path) -> None:
    root = tmp_path / "cluster"
    root.mkdir()
    (root / "a.yaml").write_text(POLICY)
    origin = f"file:{root / 'a.yaml'}"

    def recreate() -> None:
        root.mkdir()
        (root / "a.yaml").write_text(POLICY.replace("5s", "7s"))

    events = _events_until(
        FolderSource(root, watch=True),
        [
            (
                lambda: shutil.rmtree(root),
                lambda ev: (
                    _origins_shown(ev) == {}
                    and any(isinstance(e, StatusChanged) and "is gone" in e.message for e in ev)
                ),
                "the folder's absence",
            ),
            (recreate, lambda ev: "'7s'" in str(ev), "the recreated folder read"),
            (
                lambda: (root / "b.yaml").write_text(POLICY.replace("name: t", "name: u")),
                lambda ev: f"file:{root / 'b.yaml'}" in _origins_shown(ev),
                "a file added after the folder came back",
            ),
        ],
    )
    assert _origins_shown(events) == {origin: 1, f"file:{root / 'b.yaml'}": 1}
    last = [e for e in events if isinstance(e, StatusChanged)][-1]
    assert last.message == "watching 2 file(s)"


def test_special_files_named_yaml_are_problems_and_never_block(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POLICY)
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    started = time.monotonic()
    updates = FolderSource(tmp_path, watch=False).scan()
    assert time.monotonic() - started < 2.0
    problems = {u.origin.rsplit("/", 1)[-1]: [p.message for p in u.problems] for u in updates}
    assert problems["a.yaml"] == []
    assert "FIFO" in problems["fifo.yaml"][0] and "device" in problems["zero.yaml"][0]


def test_a_file_replaced_by_a_folder_of_the_same_name_drops_its_resources(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(POLICY)
    source = FolderSource(tmp_path, watch=False)
    source.scan()
    path.unlink()
    path.mkdir()
    (path / "inner.yaml").write_text(POLICY.replace("name: t", "name: inner"))
    updates = source.rescan({path})
    assert {u.origin.split(str(tmp_path))[-1]: u.documents is not None for u in updates} == {
        "/a.yaml": False,
        "/a.yaml/inner.yaml": True,
    }


def test_an_unreadable_folder_is_a_problem_until_it_can_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text(POLICY)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.yaml").write_text(POLICY.replace("name: t", "name: b"))
    locked.chmod(0)
    real_scandir = os.scandir
    if os.geteuid() == 0:  # permissions do not stop root: refuse the listing as they would

        def scandir(path: Any = ".") -> Any:
            if Path(path) == locked and locked.stat().st_mode & 0o777 == 0:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        source = FolderSource(tmp_path, watch=False)
        updates = {u.origin.rsplit("/", 1)[-1]: u for u in source.scan()}
        assert set(updates) == {"a.yaml", "locked"}
        [problem] = updates["locked"].problems
        assert problem.message == "cannot read folder: Permission denied"
        assert problem.file.endswith("locked")
    finally:
        locked.chmod(0o755)
    assert source.drifted() == {locked, locked / "b.yaml"}
    updates = {u.origin.rsplit("/", 1)[-1]: u for u in source.rescan(source.drifted())}
    assert updates["locked"].documents is None
    assert updates["b.yaml"].documents is not None


def test_linked_folders_are_followed_once_and_loops_add_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    elsewhere = tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "a.yaml").write_text(POLICY)
    (elsewhere / "b.yaml").write_text(POLICY.replace("name: t", "name: b"))
    (root / "linked").symlink_to(elsewhere)
    (root / "again").symlink_to(elsewhere)
    (root / "loop").symlink_to(root)
    (elsewhere / "up").symlink_to(root)
    names = [str(p.relative_to(root)) for p in yaml_files(root)]
    assert names in (["a.yaml", "again/b.yaml"], ["a.yaml", "linked/b.yaml"])


def _slow_folder(folder: Path, files: int = 8) -> None:
    """A folder that takes the decoder workers a few seconds."""
    folder.mkdir()
    items = "".join(f"- {{name: item-{i}, value: {i}, tags: [a, b, c]}}\n" for i in range(40_000))
    for i in range(files):
        (folder / f"f{i}.yaml").write_text(f"kind: Bulk\nindex: {i}\nitems:\n{items}")


def test_stopping_in_the_middle_of_a_big_load_ends_it_and_its_workers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "big"
    _slow_folder(folder)
    started: list[subprocess.Popen[bytes]] = []
    real_start = files_module._start_worker

    def start() -> subprocess.Popen[bytes] | None:
        proc = real_start()
        if proc is not None:
            started.append(proc)
        return proc

    monkeypatch.setattr(files_module, "_start_worker", start)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: 2)
    events: list[SourceEvent] = []
    stop = threading.Event()
    source = FolderSource(folder, watch=True)
    thread = threading.Thread(target=source.run, args=(events.append, stop), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while len(started) < 2:
        assert time.monotonic() < deadline, "no workers started"
        time.sleep(0.01)
    time.sleep(0.2)
    stop.set()
    stopped_at = time.monotonic()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 1.0
    assert all(proc.poll() is not None for proc in started), "no worker outlives the load"
    assert not any(isinstance(e, ChangesReady) for e in events)
