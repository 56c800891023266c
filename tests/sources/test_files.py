"""The folder source: reading YAML, rescanning what changed, and the real watcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import meshtui.sources.files as files_module
from meshtui.inventory import OriginUpdate, ScopeReplaced
from meshtui.sources import ChangesReady, SourceEvent
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

    def recorded(chunks: list[list[str]]) -> object:
        answers.extend(real(chunks))
        return answers[-len(chunks) :]

    real = files_module.decode_in_workers
    monkeypatch.setattr(files_module, "decode_in_workers", recorded)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
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
    answers = files_module.decode_in_workers(
        [[str(tmp_path / "a.yaml")], [str(tmp_path / "b.yaml")]]
    )
    assert answers[0] is not None and answers[0][0][0][0]["kind"] == "MeshTimeout"
    assert answers[1] == [
        (
            [],
            [
                (
                    "error",
                    "YAML syntax error at line 2, column 1: did not find expected node content",
                    1,
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
    monkeypatch.setattr("os.cpu_count", lambda: 2)
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
