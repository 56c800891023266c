"""A folder (or file) of YAML: read it, and watch it for changes.

The only home of `yaml` and `watchfiles` in meshtui (with `yamldecode`, which decodes
in this process or in worker processes for big folders). Reading is recursive over
`*.yaml` / `*.yml` (hidden files and folders skipped), multi-document, and lazy per
document, so a syntax error in the middle of a file keeps the documents before it; the
error becomes a `Problem` naming the file, the document and the line.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from meshtui.inventory import OriginUpdate, ScopeReplaced
from meshtui.model import Problem, SourceRef
from meshtui.raw import RawDocument
from meshtui.sources import ChangesReady, Emit, StatusChanged, yamldecode
from meshtui.sources.yamldecode import DecodedProblem, decode_file, decode_text


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never writes anchors and aliases: the engine shares unchanged values between rules."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class FileContents:
    """What one file yielded."""

    path: str
    documents: tuple[RawDocument, ...]
    problems: tuple[Problem, ...]


def yaml_files(root: Path) -> list[Path]:
    """Every YAML file under `root` (or `root` itself), sorted, hidden entries skipped."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append(Path(directory) / name)
    return sorted(found)


def absolute(path: Path) -> Path:
    """`path` made absolute without resolving symlinks (the form the watcher reports)."""
    return Path(os.path.abspath(path))


def display_path(path: Path, root: Path) -> str:
    """`path` as shown in messages: under the folder the way the user named it.

    `path` may be relative or absolute (the watcher reports absolute paths even when
    the user typed a relative folder); both give the same name.
    """
    base = root if root.is_dir() else root.parent
    try:
        rel = absolute(path).relative_to(absolute(base))
    except ValueError:
        return str(path)
    return str(base / rel) if str(base) not in ("", ".") else str(rel)


def read_file(path: Path, shown_as: str) -> FileContents:
    """Decode every document of one YAML file; errors become problems, not exceptions."""
    return _contents(shown_as, *decode_file(str(path)))


def parse_text(text: str, shown_as: str) -> FileContents:
    """Decode the documents of YAML `text` (named `shown_as` in problems)."""
    return _contents(shown_as, *decode_text(text))


def _contents(
    shown_as: str, bodies: Sequence[Any], problems: Sequence[DecodedProblem]
) -> FileContents:
    return FileContents(
        shown_as,
        tuple(RawDocument(SourceRef(shown_as, i + 1), body) for i, body in enumerate(bodies)),
        tuple(
            Problem(severity=severity, message=message, file=shown_as, document=document)
            for severity, message, document in problems
        ),
    )


PARALLEL_BYTES = 4_000_000
"""Folders bigger than this are decoded by worker processes, one per CPU (at most 4)."""

_WORKER = Path(yamldecode.__file__)


def read_many(files: Sequence[tuple[Path, str]]) -> list[FileContents]:
    """Read files (path, name shown in problems), in order.

    YAML decoding is CPU-bound and holds the GIL, so a big folder is split between
    worker processes (see `yamldecode`); a small one, a machine with one CPU, or a
    worker that fails is read in this thread.
    """
    workers = min(os.cpu_count() or 1, 4)
    size = sum(_signature(path)[1] for path, _ in files)
    if workers < 2 or size < PARALLEL_BYTES or len(files) < 2 * workers:
        return [read_file(path, name) for path, name in files]
    chunks = [list(files[i::workers]) for i in range(workers)]
    decoded = decode_in_workers([[str(path) for path, _ in chunk] for chunk in chunks])
    by_name: dict[str, FileContents] = {}
    for chunk, results in zip(chunks, decoded, strict=True):
        if results is None:
            by_name.update((name, read_file(path, name)) for path, name in chunk)
        else:
            by_name.update(
                (name, _contents(name, bodies, problems))
                for (_, name), (bodies, problems) in zip(chunk, results, strict=True)
            )
    return [by_name[name] for _, name in files]


def decode_in_workers(
    chunks: Sequence[Sequence[str]],
) -> list[list[tuple[list[Any], list[DecodedProblem]]] | None]:
    """`decode_file` of each path, one worker process per chunk, run side by side.

    A chunk whose worker could not start, failed or answered garbage is None (its
    caller reads it itself); the workers' stderr is discarded.
    """
    procs = [_start_worker() for _ in chunks]  # all of them first: they start side by side
    for chunk, proc in zip(chunks, procs, strict=True):
        if proc is not None and proc.stdin is not None:
            try:
                with proc.stdin:  # the worker reads all of its input before it decodes
                    proc.stdin.write(json.dumps(list(chunk)).encode())
            except OSError:
                pass  # it died early; its answer below is empty
    out: list[list[tuple[list[Any], list[DecodedProblem]]] | None] = []
    for chunk, proc in zip(chunks, procs, strict=True):
        if proc is None:
            out.append(None)
            continue
        assert proc.stdout is not None
        with proc.stdout:
            blob = proc.stdout.read()
        try:
            results = marshal.loads(blob) if proc.wait() == 0 else None
        except (EOFError, ValueError, TypeError):
            results = None
        out.append(results if isinstance(results, list) and len(results) == len(chunk) else None)
    return out


def _start_worker() -> subprocess.Popen[bytes] | None:
    try:
        return subprocess.Popen(
            [sys.executable, "-P", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def load_path(root: Path) -> tuple[list[RawDocument], list[Problem]]:
    """Read every YAML document under `root`, in file order."""
    documents: list[RawDocument] = []
    problems: list[Problem] = []
    named = [(path, display_path(path, root)) for path in yaml_files(root)]
    for contents in read_many(named):
        documents.extend(contents.documents)
        problems.extend(contents.problems)
    return documents, problems


def dump_yaml(data: Any) -> str:
    """Block-style YAML with keys in the order given (for `-o yaml` and YAML views)."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    return text


WatchCallback = Callable[[set[str]], None]


def watch_paths(
    root: Path,
    on_change: WatchCallback,
    stop: threading.Event,
    *,
    debounce_ms: int = 50,
    poll: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Block, calling `on_change(paths)` for each batch of changed YAML paths, until `stop` is set.

    Directory events are reported as the directory path so the caller can rescan it.
    `on_ready` is called once the watcher runs, so the caller can catch up on changes
    made between its initial scan and that moment.
    """
    from watchfiles import watch

    def accept(_change: Any, path: str) -> bool:
        name = os.path.basename(path)
        if name.startswith("."):
            return False
        return name.endswith(YAML_SUFFIXES) or os.path.isdir(path) or not os.path.exists(path)

    root = absolute(root)
    watched = root if root.is_dir() else root.parent
    for changes in watch(
        watched,
        watch_filter=accept,
        debounce=1600,
        step=debounce_ms,
        stop_event=stop,
        force_polling=poll or None,
        poll_delay_ms=100,
        yield_on_timeout=True,
        rust_timeout=300,
    ):
        if on_ready is not None:
            on_ready()
            on_ready = None
        paths = {path for _, path in changes}
        if not root.is_dir():
            paths = {p for p in paths if absolute(Path(p)) == root}
        if paths:
            on_change(paths)


def iter_documents(paths: Iterable[Path], root: Path) -> Iterator[FileContents]:
    """Read several files (relative names shown as under `root`)."""
    for path in paths:
        yield read_file(path, display_path(path, root))


class FolderSource:
    """A folder (or single file) of YAML, read once and then watched with `watchfiles`.

    Each file is one inventory origin (`file:<path>`). A change batch re-reads every
    touched path: the event kind is not trusted (editors save by rename), and a
    directory event rescans that directory. Paths are kept absolute inside (the
    watcher reports them so), and named as the user named the folder.
    """

    mode = "FOLDER"
    default_namespace = ""  # a folder has no current namespace: all of them

    def __init__(self, root: Path, *, watch: bool = True, poll: bool = False) -> None:
        self.root = root
        self._root = absolute(root)
        self.watch = watch
        self.poll = poll
        self._known: set[Path] = set()
        self._signatures: dict[Path, tuple[int, int]] = {}

    @property
    def description(self) -> str:
        return str(self.root)

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """Emit the initial scan, then each change batch, until `stop` is set."""
        emit(StatusChanged(synced=False, message=f"reading {self.root}"))
        updates = self.scan()
        emit(ChangesReady((ScopeReplaced(ORIGIN_PREFIX, tuple(updates)),), initial=True))
        emit(StatusChanged(synced=True, message=self._watching_message()))
        while self.watch and not stop.is_set():
            if not self.root.exists():
                emit(StatusChanged(synced=True, message=f"{self.root} is gone; waiting for it"))
                if stop.wait(0.5):
                    return
                if self.root.exists():
                    emit(ChangesReady((ScopeReplaced(ORIGIN_PREFIX, tuple(self.scan())),)))
                    emit(StatusChanged(synced=True, message=self._watching_message()))
                continue

            def changed(paths: set[str]) -> None:
                batch = self.rescan({Path(p) for p in paths})
                if batch:
                    emit(ChangesReady(tuple(batch)))
                    emit(StatusChanged(synced=True, message=self._watching_message()))

            def ready() -> None:
                changed({str(p) for p in self.drifted()})

            try:
                watch_paths(self.root, changed, stop, poll=self.poll, on_ready=ready)
            except FileNotFoundError:
                continue

    def _watching_message(self) -> str:
        return f"watching {len(self._known)} file(s)"

    def scan(self) -> list[OriginUpdate]:
        """Read every YAML file under the root (in parallel processes for big folders)."""
        files = yaml_files(self._root) if self._root.exists() else []
        self._known = set(files)
        for path in files:
            self._signatures[path] = _signature(path)
        named = [(path, display_path(path, self.root)) for path in files]
        return [
            OriginUpdate(self.origin(path), contents.documents, contents.problems)
            for path, contents in zip(files, read_many(named), strict=True)
        ]

    def drifted(self) -> set[Path]:
        """Files created, deleted or rewritten since they were last read (by size and mtime)."""
        current = set(yaml_files(self._root)) if self._root.exists() else set()
        changed = (current ^ self._known) | {
            p for p in current & self._known if _signature(p) != self._signatures.get(p)
        }
        return changed

    def rescan(self, touched: set[Path]) -> list[OriginUpdate]:
        """Updates for touched paths: re-read files, rescan directories, drop what vanished."""
        updates: dict[Path, OriginUpdate] = {}
        for path in map(absolute, touched):
            if path.is_dir():
                present = set(yaml_files(path))
                gone = {k for k in self._known if _is_under(k, path) and k not in present}
                for file in present:
                    updates[file] = self._update(file)
                for file in gone:
                    updates[file] = OriginUpdate(self.origin(file), None)
                self._known = (self._known - gone) | present
            elif path.is_file():
                if path.name.endswith(YAML_SUFFIXES):
                    updates[path] = self._update(path)
                    self._known.add(path)
            else:
                for file in [k for k in self._known if k == path or _is_under(k, path)]:
                    updates[file] = OriginUpdate(self.origin(file), None)
                    self._known.discard(file)
        return [updates[p] for p in sorted(updates)]

    def origin(self, path: Path) -> str:
        """The inventory origin key of a file."""
        return ORIGIN_PREFIX + display_path(path, self.root)

    def _update(self, path: Path) -> OriginUpdate:
        self._signatures[path] = _signature(path)
        contents = read_file(path, display_path(path, self.root))
        return OriginUpdate(self.origin(path), contents.documents, contents.problems)


ORIGIN_PREFIX = "file:"


def _signature(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


def _is_under(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return path != directory
