"""A folder (or file) of YAML: read it, and watch it for changes.

The home of `watchfiles` in meshtui; `yamldecode` (the home of `yaml`) decodes in this
process or in worker processes for big folders. Reading is recursive over
`*.yaml` / `*.yml` (hidden files and folders skipped, linked folders followed once),
multi-document, and lazy per document, so a syntax error in the middle of a file keeps
the documents before it; the error becomes a `Problem` naming the file, the document and
the line. Whatever a file holds (or is: a FIFO, a device, an unreadable folder) ends as
problems on it, never as an exception, so the rest loads and the watch goes on. Loading
stops promptly when asked to, and takes its worker processes with it.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshtui.engine.bulk import collector_paused
from meshtui.inventory import OriginUpdate, ScopeReplaced
from meshtui.model import Problem, SourceRef
from meshtui.raw import RawDocument
from meshtui.sources import ChangesReady, Emit, StatusChanged, yamldecode
from meshtui.sources.decodecache import DecodeCache, Decoded, cacheable, file_key, loads
from meshtui.sources.yamldecode import DecodedProblem, decode_file, decode_text

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class FileContents:
    """What one file yielded."""

    path: str
    documents: tuple[RawDocument, ...]
    problems: tuple[Problem, ...]


def yaml_files(root: Path) -> list[Path]:
    """Every YAML file under `root` (or `root` itself when it is not a folder), sorted.

    Hidden entries are skipped. Linked folders are followed, each real folder once (a
    link to a folder already listed, such as a loop, adds nothing). A folder that cannot
    be listed is returned as an entry of its own: reading it says why.
    """
    if not root.is_dir():
        return [root]
    found: list[Path] = []
    listed: set[tuple[int, int]] = set()

    def unlisted(err: OSError) -> None:
        found.append(Path(err.filename))

    for directory, dirnames, filenames in os.walk(root, onerror=unlisted, followlinks=True):
        identity = _identity(directory)
        if identity in listed:
            dirnames[:] = []
            continue
        if identity is not None:
            listed.add(identity)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append(Path(directory) / name)
    return sorted(found)


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of what `path` names, symlinks followed; None when it is not there."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


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
            Problem(severity=severity, message=message, file=shown_as, document=document, path=path)
            for severity, message, document, path in problems
        ),
    )


PARALLEL_BYTES = 4_000_000
"""Files to decode bigger than this in all are decoded by worker processes (`decode_workers`)."""

MAX_WORKERS = 4

_WORKER = Path(yamldecode.__file__)


class Stopped(Exception):
    """Reading was abandoned because the caller's stop event was set."""


def read_many(
    files: Sequence[tuple[Path, str]],
    stop: threading.Event | None = None,
    cache: DecodeCache | None = None,
) -> list[FileContents]:
    """Read files (path, name shown in problems), in order.

    With a `cache`, a file it holds under the file's current key is not decoded, and every
    file's result is kept for the cache's next `save` (what may be stored: `decodecache`).
    YAML decoding is CPU-bound and holds the GIL, so a big folder (of files to decode) is
    split between worker processes (see `yamldecode`); a small one, a process that may
    run on one CPU only, or a worker that fails is read in this thread.

    Raises:
        Stopped: `stop` was set; no worker process is left running.
    """
    taken_at = time.time_ns()
    # Keys are taken before any file is read, so a file changed meanwhile gets a new key.
    keys = [file_key(str(path)) for path, _ in files]
    places = [os.path.abspath(path) for path, _ in files] if cache is not None else []
    out: list[FileContents | None] = [None] * len(files)
    todo: list[int] = []
    # Decoded documents are long-lived and hold no cycles: the collector would only walk them.
    with collector_paused():
        for i, ((_, name), key) in enumerate(zip(files, keys, strict=True)):
            blob = cache.get(places[i], key) if cache is not None and key is not None else None
            decoded = loads(blob) if blob is not None else None
            if cache is None or key is None or blob is None or decoded is None:
                todo.append(i)
                continue
            _check(stop)
            out[i] = _contents(name, *decoded)
            cache.keep(places[i], key, blob, taken_at)

    def done(i: int, decoded: Decoded, blob: bytes | None) -> None:
        out[i] = _contents(files[i][1], *decoded)
        key = keys[i]
        if cache is None or key is None or not cacheable(decoded):
            return
        if blob is None:
            try:
                blob = marshal.dumps(decoded)
            except ValueError:  # a body marshal cannot carry: decoded again next time
                return
        cache.keep(places[i], key, blob, taken_at)

    workers = decode_workers()
    size = sum(key[0] for key in (keys[i] for i in todo) if key is not None)
    if workers < 2 or size < PARALLEL_BYTES or len(todo) < 2 * workers:
        for i in todo:
            _check(stop)
            done(i, decode_file(str(files[i][0])), None)
        return [contents for contents in out if contents is not None]
    chunks = [todo[w::workers] for w in range(workers)]
    answers = decode_in_workers([[str(files[i][0]) for i in chunk] for chunk in chunks], stop)
    with collector_paused():
        for chunk, blobs in zip(chunks, answers, strict=True):
            for n, i in enumerate(chunk):
                _check(stop)
                decoded = loads(blobs[n]) if blobs is not None else None
                if blobs is None or decoded is None:  # the worker failed: read it here
                    done(i, decode_file(str(files[i][0])), None)
                else:
                    done(i, decoded, blobs[n])
    return [contents for contents in out if contents is not None]


def decode_workers() -> int:
    """How many worker processes decode a big folder: one per CPU this process may run on
    (its affinity, which a container's CPU set or `taskset` narrows, where
    `os.cpu_count()` counts the whole machine's), at most `MAX_WORKERS`. Under 2, this
    thread decodes.

    Other processes' load is not counted: with fair scheduling, two workers on two CPUs
    finish sooner than this thread alone even when another process keeps one CPU busy
    (measured: see the README's Performance section), and a load figure sampled here
    would make the choice flicker from run to run.
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    return min(usable, MAX_WORKERS)


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Stopped


def decode_in_workers(
    chunks: Sequence[Sequence[str]], stop: threading.Event | None = None
) -> list[list[bytes] | None]:
    """`yamldecode.file_blob(decode_file(path))` of each path (`decodecache.loads` reads
    one back), one worker process per chunk, run side by side.

    A chunk whose worker could not start, failed or answered garbage is None (its
    caller reads it itself); the workers' stderr is discarded. The workers never
    outlive this call: when `stop` is set (`Stopped` is raised) or anything else
    interrupts it (ctrl+c), they are killed.
    """
    procs = [_start_worker() for _ in chunks]  # all of them first: they start side by side
    try:
        for chunk, proc in zip(chunks, procs, strict=True):
            if proc is not None and proc.stdin is not None:
                try:
                    with proc.stdin:  # the worker reads all of its input before it decodes
                        proc.stdin.write(json.dumps(list(chunk)).encode())
                except OSError:
                    pass  # it died early; its answer below is empty
        blobs = _answers(procs, stop)
        out: list[list[bytes] | None] = []
        for chunk, proc, blob in zip(chunks, procs, blobs, strict=True):
            _check(stop)
            try:
                results = marshal.loads(blob) if proc is not None and proc.wait() == 0 else None
            except (EOFError, ValueError, TypeError):
                results = None
            fits = (
                isinstance(results, list)
                and len(results) == len(chunk)
                and all(isinstance(r, bytes) for r in results)
            )
            out.append(results if fits else None)
        return out
    finally:
        for proc in procs:
            if proc is not None:
                _end(proc)


def _answers(
    procs: Sequence[subprocess.Popen[bytes] | None], stop: threading.Event | None
) -> list[bytes]:
    """Everything each worker writes, read side by side until all are done (or `stop`)."""
    parts: list[list[bytes]] = [[] for _ in procs]
    with selectors.DefaultSelector() as selector:
        for i, proc in enumerate(procs):
            if proc is not None and proc.stdout is not None:
                selector.register(proc.stdout, selectors.EVENT_READ, i)
        while selector.get_map():
            if stop is not None and stop.is_set():
                raise Stopped
            for key, _ in selector.select(timeout=0.1):
                chunk = os.read(key.fd, 1 << 20)
                if chunk:
                    parts[key.data].append(chunk)
                else:
                    selector.unregister(key.fileobj)
    return [b"".join(p) for p in parts]


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill a worker if it still runs, reap it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


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
    """Read every YAML document under `root`, in file order (through its decode cache,
    written before this returns)."""
    documents: list[RawDocument] = []
    problems: list[Problem] = []
    named = [(path, display_path(path, root)) for path in yaml_files(root)]
    cache = DecodeCache.open(absolute(root))
    for contents in read_many(named, cache=cache):
        documents.extend(contents.documents)
        problems.extend(contents.problems)
    if cache is not None:
        cache.save()
    return documents, problems


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
    """Block, calling `on_change(paths)` for each batch of changed YAML paths, until `stop`
    is set or the watched folder is gone.

    Directory events are reported as the directory path so the caller can rescan it.
    `on_ready` is called once the watcher runs, so the caller can catch up on changes
    made between its initial scan and that moment. The watch is tied to the folder it
    started on: when that folder is deleted or replaced (even by one of the same name),
    this returns, for the caller to wait for it and watch again.
    """
    from watchfiles import watch

    def accept(_change: Any, path: str) -> bool:
        name = os.path.basename(path)
        if name.startswith("."):
            return False
        return name.endswith(YAML_SUFFIXES) or os.path.isdir(path) or not os.path.exists(path)

    root = absolute(root)
    watched = root if root.is_dir() else root.parent
    identity = _identity(watched)
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
        if _identity(watched) != identity:
            return
        if on_ready is not None:
            on_ready()
            on_ready = None
        paths = {path for _, path in changes}
        if not root.is_dir():
            paths = {p for p in paths if absolute(Path(p)) == root}
        if paths:
            on_change(paths)


class FolderSource:
    """A folder (or single file) of YAML, read once and then watched with `watchfiles`.

    Each file is one inventory origin (`file:<path>`). A change batch re-reads every
    touched path: the event kind is not trusted (editors save by rename), and a
    directory event rescans that directory. Paths are kept absolute inside (the
    watcher reports them so), and named as the user named the folder.

    A full scan goes through the folder's decode cache (`decodecache`), which is written
    once the scan's changes are emitted, in this source's thread; later change batches
    decode the files they touch and leave the cache as it is (the next start decodes
    those files again and writes it anew).
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
        self._cache: DecodeCache | None = None
        """The decode cache of the last full scan, until it is saved."""

    @property
    def description(self) -> str:
        return str(self.root)

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """Emit the initial scan, then each change batch, until `stop` is set.

        Setting `stop` ends it promptly, in the middle of reading a big folder too.
        """
        emit(StatusChanged(synced=False, message=f"reading {self.root}"))
        try:
            updates = self.scan(stop)
            if stop.is_set():
                return
            emit(ChangesReady((ScopeReplaced(ORIGIN_PREFIX, tuple(updates)),), initial=True))
            emit(StatusChanged(synced=True, message=self._watching_message()))
            self.save_cache()
            while self.watch and not stop.is_set():
                if not self._root.exists():
                    self._wait_for_root(emit, stop)
                    continue
                self._follow(emit, stop)
        except Stopped:
            return

    def _follow(self, emit: Emit, stop: threading.Event) -> None:
        """Emit change batches until `stop` is set or the watched folder is gone."""

        def changed(paths: set[str]) -> None:
            batch = self.rescan({Path(p) for p in paths})
            if batch:
                emit(ChangesReady(tuple(batch)))
                emit(StatusChanged(synced=True, message=self._watching_message()))

        def ready() -> None:
            changed({str(p) for p in self.drifted()})

        with contextlib.suppress(FileNotFoundError):  # gone before the watch began
            watch_paths(self.root, changed, stop, poll=self.poll, on_ready=ready)

    def _wait_for_root(self, emit: Emit, stop: threading.Event) -> None:
        """The root is gone: list nothing and say so until it is back, then read it again."""
        if self._known:
            self._known = set()
            self._signatures.clear()
            emit(ChangesReady((ScopeReplaced(ORIGIN_PREFIX, ()),)))
        emit(StatusChanged(synced=True, message=f"{self.root} is gone; waiting for it"))
        while not stop.wait(0.5):
            if self._root.exists():
                updates = self.scan(stop)
                emit(ChangesReady((ScopeReplaced(ORIGIN_PREFIX, tuple(updates)),)))
                emit(StatusChanged(synced=True, message=self._watching_message()))
                self.save_cache()
                return

    def _watching_message(self) -> str:
        return f"watching {len(self._known)} file(s)"

    def scan(self, stop: threading.Event | None = None) -> list[OriginUpdate]:
        """Read every YAML file under the root (through the decode cache, in parallel
        processes for big folders); `save_cache` writes the cache afterwards.

        Raises:
            Stopped: `stop` was set before all were read.
        """
        files = yaml_files(self._root) if self._root.exists() else []
        self._known = set(files)
        for path in files:
            self._signatures[path] = _signature(path)
        named = [(path, display_path(path, self.root)) for path in files]
        cache = DecodeCache.open(self._root)
        contents = read_many(named, stop, cache)
        self._cache = cache
        return [
            OriginUpdate(self.origin(path), file.documents, file.problems)
            for path, file in zip(files, contents, strict=True)
        ]

    def save_cache(self) -> None:
        """Write the decode cache of the last full scan (if it changed) and let it go."""
        cache, self._cache = self._cache, None
        if cache is not None:
            cache.save()

    def drifted(self) -> set[Path]:
        """Files created, deleted or rewritten since they were last read (by size and mtime)."""
        current = set(yaml_files(self._root)) if self._root.exists() else set()
        changed = (current ^ self._known) | {
            p for p in current & self._known if _signature(p) != self._signatures.get(p)
        }
        return changed

    def rescan(self, touched: set[Path]) -> list[OriginUpdate]:
        """Updates for touched paths: re-read files, rescan folders, drop what vanished.

        A touched path is whatever it is now: a file that became a folder (or the other
        way round) loses what it held before. Folders are listed as part of the whole
        tree, so a linked folder already read elsewhere adds nothing here either.
        """
        updates: dict[Path, OriginUpdate] = {}
        listed: list[Path] | None = None
        for path in map(absolute, touched):
            if path.is_dir():
                if listed is None:
                    listed = yaml_files(self._root) if self._root.is_dir() else [self._root]
                present = {p for p in listed if p == path or _is_under(p, path)}
            elif os.path.lexists(path) and path.name.endswith(YAML_SUFFIXES):
                present = {path}
            else:
                present = set()
            gone = {k for k in self._known if (k == path or _is_under(k, path))} - present
            for file in present:
                updates[file] = self._update(file)
            for file in gone:
                updates[file] = OriginUpdate(self.origin(file), None)
                self._signatures.pop(file, None)
            self._known = (self._known - gone) | present
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
