"""The cache of decoded YAML files: a warm read is a cold read, and nothing about the cache
file (stale, racy, corrupt, foreign, concurrent, unwritable) can make it otherwise."""

from __future__ import annotations

import marshal
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import meshtui.sources.files as files_module
from meshtui import cli
from meshtui.sources import ChangesReady, SourceEvent, decodecache, yamldecode
from meshtui.sources.decodecache import CACHE_DIR_ENV, DecodeCache, cache_dir
from meshtui.sources.files import FileContents, FolderSource, load_path, read_many, yaml_files
from meshtui.sources.yamldecode import MAX_FILE_BYTES
from tests.conftest import TEST_CACHE_DIR

POLICY = """\
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata: {name: t, namespace: demo}
spec:
  to:
  - targetRef: {kind: Mesh}
    default: {idleTimeout: 5s}
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)},"
    f" *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)},"
    f" *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(6)
)
"""Excessive aliasing (a billion-laughs shape): refused before it is built."""

FOLDER: dict[str, str | bytes] = {
    "policy.yaml": POLICY,
    "multi.yaml": POLICY + "---\n---\n" + POLICY.replace("name: t", "name: u") + "---\nx: 1\n",
    "syntax.yaml": POLICY + "---\nkind: [unclosed\n---\n" + POLICY,
    "value.yaml": "a: !!binary 'a'\n---\nb: 1\n---\nc: " + "9" * 5000 + "\n---\nd: 2\n",
    "specials.yaml": "f: .nan\ng: -.inf\nh: -0.0\ni: !!binary aGVsbG8=\nj: !!set {a, b}\n"
    "k: !!omap [{a: 1}, {b: 2}]\nl: 2026-01-02\nm: {1: one, true: yes, null: none, 1.5: x}\n",
    "duplicates.yaml": "a: 1\nb: {c: 1, c: 2}\na: 3\n",
    "aliases.yaml": "base: &b {x: 1}\nuse: [*b, *b]\nmerged: {<<: *b, y: 2}\n",
    "bomb.yaml": BOMB,
    "self.yaml": "a: &a [*a]\n",
    "deep.yaml": "a: " + "[" * 1100 + "]" * 1100 + "\n",
    "empty.yaml": "",
    "comments.yaml": "# nothing here\n",
    "list.yaml": "apiVersion: v1\nkind: List\nitems:\n- " + POLICY.replace("\n", "\n  "),
    "latin1.yaml": b"name: caf\xe9\n",
    "crlf.yaml": POLICY.replace("\n", "\r\n"),
    "sub/nested.yml": POLICY.replace("name: t", "name: nested"),
}
"""Good files, syntax errors, values that cannot be built, limit breakers, odd encodings."""


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (`True` is not `1`, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and (
            a == b or (math.isnan(a) and math.isnan(b))
        )
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def same_contents(a: Sequence[FileContents], b: Sequence[FileContents]) -> bool:
    return len(a) == len(b) and all(
        x.path == y.path
        and x.problems == y.problems
        and len(x.documents) == len(y.documents)
        and all(
            d.source == e.source and same(d.body, e.body)
            for d, e in zip(x.documents, y.documents, strict=True)
        )
        for x, y in zip(a, b, strict=True)
    )


def write_folder(root: Path, files: dict[str, str | bytes]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(text.encode())


def named(root: Path) -> list[tuple[Path, str]]:
    return [(path, str(path.relative_to(root))) for path in yaml_files(root)]


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once (their ctime cannot be set back to make them old)."""
    monkeypatch.setattr(decodecache, "SETTLED_SECONDS", 0.0)


@pytest.fixture
def cache_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory for this test."""
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths `decode_file` decodes in this process from now on."""
    calls: list[str] = []
    real = yamldecode.decode_file

    def counting(path: str) -> Any:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(files_module, "decode_file", counting)
    return calls


def cold_and_warm(root: Path) -> tuple[list[FileContents], list[FileContents]]:
    """`read_many` of `root` through its cache twice, saving in between."""
    cache = DecodeCache.open(root)
    assert cache is not None and len(cache) == 0
    cold = read_many(named(root), cache=cache)
    assert cache.save()
    again = DecodeCache.open(root)
    assert again is not None
    return cold, read_many(named(root), cache=again)


@pytest.mark.parametrize("workers", [1, 2], ids=["in-thread", "worker-processes"])
def test_a_warm_read_gives_exactly_what_a_cold_one_does(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settled: None,
    cache_in: Path,
    decoded: list[str],
    workers: int,
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, FOLDER)
    fifo = root / "fifo.yaml"
    os.mkfifo(fifo)
    with (root / "huge.yaml").open("wb") as huge:  # sparse: cheap to make
        huge.truncate(MAX_FILE_BYTES + 1)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: workers)
    uncached = read_many(named(root))
    cache = DecodeCache.open(root)
    cold = read_many(named(root), cache=cache)
    assert cache is not None and cache.save()
    decoded.clear()
    warm = read_many(named(root), cache=DecodeCache.open(root))
    assert same_contents(cold, uncached)
    assert same_contents(warm, cold)
    problems = {(c.path, p.document) for c in warm for p in c.problems}
    assert {("syntax.yaml", 2), ("bomb.yaml", 1), ("self.yaml", 1)} <= problems
    assert {("value.yaml", 1), ("value.yaml", 3), ("latin1.yaml", 0)} <= problems
    assert {("fifo.yaml", 0), ("huge.yaml", 0), ("deep.yaml", 1)} <= problems
    assert ("duplicates.yaml", 1) in problems
    # What depends on more than the bytes is decoded each time; the rest came from the cache.
    assert sorted(Path(p).name for p in decoded) == ["fifo.yaml", "huge.yaml", "latin1.yaml"]


def test_a_warm_load_path_and_folder_source_give_what_a_cold_one_does(
    tmp_path: Path, settled: None, cache_in: Path, decoded: list[str]
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {k: v for k, v in FOLDER.items() if isinstance(v, str)})
    cold = load_path(root)
    assert len(decoded) == len(FOLDER) - 1
    warm = load_path(root)
    assert warm[1] == cold[1]
    assert same([(d.source, d.body) for d in warm[0]], [(d.source, d.body) for d in cold[0]])
    assert len(decoded) == len(FOLDER) - 1, "the second load decoded nothing"

    events: list[SourceEvent] = []
    FolderSource(root, watch=False).run(events.append, threading.Event())
    [initial] = [e for e in events if isinstance(e, ChangesReady)]
    documents = [d for u in initial.changes[0].updates for d in u.documents or ()]  # type: ignore[union-attr]
    assert same([d.body for d in documents], [d.body for d in cold[0]])
    assert len(decoded) == len(FOLDER) - 1, "the source read the same cache"


def test_the_folder_source_writes_its_cache_after_the_first_load(
    tmp_path: Path, settled: None, cache_in: Path, decoded: list[str]
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": POLICY, "b.yaml": POLICY.replace("name: t", "name: b")})
    seen: list[bool] = []

    def emit(event: SourceEvent) -> None:
        if isinstance(event, ChangesReady):
            seen.append(any(cache_in.glob("*.cache")))

    FolderSource(root, watch=False).run(emit, threading.Event())
    assert seen == [False], "written after the load was handed over, not before"
    assert len(list(cache_in.glob("*.cache"))) == 1
    decoded.clear()
    FolderSource(root, watch=False).run(emit, threading.Event())
    assert decoded == []


def test_a_file_edited_to_the_same_size_is_decoded_again(
    tmp_path: Path, settled: None, cache_in: Path
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": "value: 1\n", "b.yaml": "value: 1\n"})
    a, b = root / "a.yaml", root / "b.yaml"
    cold_and_warm(root)
    before = b.stat()
    a.write_text("value: 2\n")
    later = a.stat().st_mtime_ns + 5_000_000_000
    os.utime(a, ns=(later, later))  # the mtime moved on
    b.write_text("value: 3\n")
    os.utime(b, ns=(before.st_atime_ns, before.st_mtime_ns))  # the mtime put back: ctime moved
    assert b.stat().st_mtime_ns == before.st_mtime_ns and b.stat().st_size == before.st_size
    cache = DecodeCache.open(root)
    warm = read_many(named(root), cache=cache)
    assert [c.documents[0].body for c in warm] == [{"value": 2}, {"value": 3}]


def test_a_file_replaced_by_another_is_decoded_again(
    tmp_path: Path, settled: None, cache_in: Path
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": "value: 1\n"})
    a = root / "a.yaml"
    cold_and_warm(root)
    info = a.stat()
    other = tmp_path / "other.yaml"
    other.write_text("value: 7\n")
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(other, a)  # same size and mtime, another inode (an editor's save by rename)
    warm = read_many(named(root), cache=DecodeCache.open(root))
    assert warm[0].documents[0].body == {"value": 7}


def test_a_file_changed_too_recently_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_in: Path, decoded: list[str]
) -> None:
    monkeypatch.setattr(decodecache, "SETTLED_SECONDS", 0.5)
    root = tmp_path / "mesh"
    write_folder(root, {"old.yaml": "value: 1\n"})
    time.sleep(0.6)
    write_folder(root, {"new.yaml": "value: 2\n"})
    cache = DecodeCache.open(root)
    assert cache is not None
    read_many(named(root), cache=cache)
    assert cache.save()
    decoded.clear()
    warm = read_many(named(root), cache=DecodeCache.open(root))
    assert [Path(p).name for p in decoded] == ["new.yaml"], "only the settled file was cached"
    assert [c.documents[0].body for c in warm] == [{"value": 2}, {"value": 1}]


def test_the_default_window_keeps_files_changed_within_two_seconds_out(
    tmp_path: Path, cache_in: Path
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": "value: 1\n"})
    cache = DecodeCache.open(root)
    assert cache is not None and decodecache.SETTLED_SECONDS >= 2
    read_many(named(root), cache=cache)
    assert not cache.save(), "nothing to write"
    assert not cache_in.exists() or not any(cache_in.iterdir())


def _filled(root: Path) -> DecodeCache:
    write_folder(root, {"a.yaml": POLICY, "b.yaml": "x: [\n"})
    cold_and_warm(root)
    cache = DecodeCache.open(root)
    assert cache is not None and len(cache) == 2
    return cache


def _flip(offset: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1 :]


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "truncated in the header": lambda data: data[:20],
    "truncated in the payload": lambda data: data[: len(data) // 2],
    "a byte of the payload flipped": _flip(-10),
    "a byte of the header flipped": _flip(len(decodecache.MAGIC) + 10),
    "a byte of the checksum flipped": lambda data: _flip(data.index(b"}") + 3)(data),
    "garbage": lambda data: os.urandom(len(data)),
    "trailing bytes": lambda data: data + b"\0",
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_or_truncated_cache_file_is_a_cold_start(
    tmp_path: Path, settled: None, cache_in: Path, corrupt: Callable[[bytes], bytes]
) -> None:
    root = tmp_path / "mesh"
    cache = _filled(root)
    expected = read_many(named(root))
    cache.path.write_bytes(corrupt(cache.path.read_bytes()))
    again = DecodeCache.open(root)
    assert again is not None and len(again) == 0
    assert read_many(named(root), cache=again) == expected
    assert again.save(), "a good cache replaces the bad one"
    assert len(DecodeCache.open(root) or ()) == 2


def test_a_foreign_payload_under_a_good_checksum_is_ignored(
    tmp_path: Path, settled: None, cache_in: Path
) -> None:
    root = tmp_path / "mesh"
    cache = _filled(root)
    data = cache.path.read_bytes()
    header = data[: data.index(b"}") + 1]
    a = str(root / "a.yaml")
    key = decodecache.file_key(a)
    for payload in (
        marshal.dumps([1, 2, 3]),
        marshal.dumps({a: ("key", b"")}),
        marshal.dumps({a: (key, b"not marshal")}),
        marshal.dumps({a: (key, marshal.dumps(("bodies", "problems")))}),
        marshal.dumps({a: (key, marshal.dumps(([], [("error", "m", "1", "")])))}),
        marshal.dumps({a: (key, marshal.dumps(([], [1])))}),
        marshal.dumps({a: (key, marshal.dumps(compile("1", "x", "eval")))}),
        marshal.dumps(compile("1", "x", "eval")),
    ):
        cache.path.write_bytes(header + decodecache._DIGEST(payload).digest() + payload)
        again = DecodeCache.open(root)
        assert again is not None
        assert read_many(named(root), cache=again) == read_many(named(root))


@pytest.mark.parametrize("field", ["meshtui", "python", "decoder", "sources", "format", "root"])
def test_a_cache_from_another_version_is_ignored(
    tmp_path: Path, settled: None, cache_in: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    root = tmp_path / "mesh"
    cache = _filled(root)
    versions = decodecache._versions()
    assert versions["sources"] and "PyYAML" in versions["decoder"]
    if field == "root":  # another folder's cache under this one's name
        other = tmp_path / "other"
        _filled(other)
        other_cache = DecodeCache.open(other)
        assert other_cache is not None
        cache.path.write_bytes(other_cache.path.read_bytes())
    else:
        changed = {**versions, field: f"{versions[field]}-other"}
        monkeypatch.setattr(decodecache, "_versions", lambda: changed)
    assert len(DecodeCache.open(root) or ()) == 0


def test_the_decoder_source_is_part_of_the_version() -> None:
    import hashlib

    from meshtui.sources import yamldecode

    digest = hashlib.sha256(
        Path(yamldecode.__file__).read_bytes() + Path(decodecache.__file__).read_bytes()
    ).hexdigest()
    assert decodecache._versions()["sources"] == digest


def test_a_cache_file_that_is_not_a_regular_file_of_ours_or_is_huge_is_ignored(
    tmp_path: Path, settled: None, cache_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mesh"
    cache = _filled(root)
    good = cache.path.read_bytes()
    monkeypatch.setattr(decodecache, "MAX_CACHE_BYTES", len(good) - 1)
    assert len(DecodeCache.open(root) or ()) == 0, "too big"
    monkeypatch.setattr(decodecache, "MAX_CACHE_BYTES", len(good))
    assert len(DecodeCache.open(root) or ()) == 2, "just small enough"
    elsewhere = tmp_path / "elsewhere.cache"
    elsewhere.write_bytes(good)
    cache.path.unlink()
    cache.path.symlink_to(elsewhere)
    assert len(DecodeCache.open(root) or ()) == 0, "a symlink"
    cache.path.unlink()
    os.mkfifo(cache.path)
    assert len(DecodeCache.open(root) or ()) == 0, "a FIFO, without waiting for a writer"
    cache.path.unlink()
    cache.path.mkdir()
    again = DecodeCache.open(root)
    assert again is not None and len(again) == 0, "a folder"
    assert read_many(named(root), cache=again) == read_many(named(root))
    assert not again.save(), "cannot replace a folder: no cache, no error"
    cache.path.rmdir()
    if os.geteuid() == 0:
        cache.path.write_bytes(good)
        os.chown(cache.path, 12345, 12345)
        assert len(DecodeCache.open(root) or ()) == 0, "another user's"


def test_two_concurrent_writers_leave_a_readable_cache(
    tmp_path: Path, settled: None, cache_in: Path
) -> None:
    root = tmp_path / "mesh"
    write_folder(root, {f"f{i}.yaml": POLICY.replace("name: t", f"name: t{i}") for i in range(40)})
    time.sleep(0.01)
    writer = f"""
import sys
from pathlib import Path
from meshtui.sources import decodecache
from meshtui.sources.decodecache import DecodeCache
from meshtui.sources.files import read_many, yaml_files
decodecache.SETTLED_SECONDS = 0.0
root = Path({str(root)!r})
files = [(p, p.name) for p in yaml_files(root)][int(sys.argv[1]) :]
for _ in range(30):
    cache = DecodeCache(root, Path({str(cache_in)!r}))
    read_many(files, cache=cache)
    assert cache.save()
"""
    procs = [
        subprocess.Popen([sys.executable, "-c", writer, str(n)], cwd=Path(__file__).parents[2])
        for n in (0, 20)
    ]
    sizes: set[int] = set()
    while any(proc.poll() is None for proc in procs):
        cache = DecodeCache.open(root)
        assert cache is not None
        if len(cache) or cache.path.exists():
            sizes.add(len(cache))
    assert [proc.returncode for proc in procs] == [0, 0]
    final = DecodeCache.open(root)
    assert final is not None and len(final) in (20, 40)
    assert sizes <= {20, 40, 0}, "a reader sees one whole cache or another"
    assert [p.name for p in cache_in.iterdir()] == [final.path.name], "no temporary file left"
    assert read_many(named(root), cache=final) == read_many(named(root))


def test_an_unwritable_cache_directory_means_no_cache(
    tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch, decoded: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "meshtui"))
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": POLICY})
    assert load_path(root) == load_path(root)
    assert len(decoded) == 2, "decoded each time"
    events: list[SourceEvent] = []
    FolderSource(root, watch=False).run(events.append, threading.Event())
    assert any(isinstance(e, ChangesReady) for e in events)


def test_temporary_files_of_dead_runs_and_old_caches_are_tidied(
    tmp_path: Path, settled: None, cache_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_in.mkdir()
    stale = cache_in / ".x.cache.123.abc.tmp"
    fresh = cache_in / ".y.cache.456.def.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    old, newer = cache_in / ("0" * 32 + ".cache"), cache_in / ("1" * 32 + ".cache")
    old.write_bytes(b"x" * 1000)
    newer.write_bytes(b"x" * 1000)
    os.utime(old, (time.time() - 100, time.time() - 100))
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": POLICY})
    cache = DecodeCache.open(root)
    assert cache is not None
    read_many(named(root), cache=cache)
    monkeypatch.setattr(decodecache, "MAX_DIRECTORY_BYTES", cache_size(cache) + 1500)
    assert cache.save()
    assert sorted(p.name for p in cache_in.iterdir()) == sorted(
        [fresh.name, newer.name, cache.path.name]
    )


def cache_size(cache: DecodeCache) -> int:
    """What `cache` will write (its header, checksum and payload)."""
    payload = marshal.dumps(cache._kept)
    return len(cache._header()) + decodecache._DIGEST_SIZE + len(payload)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (CACHE_DIR_ENV, "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_where_the_cache_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "meshtui"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache_dir() == tmp_path / "home" / ".cache" / "meshtui"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "meshtui"
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.setattr(decodecache, "_switched_off", False)
    decodecache.switch_off()
    assert cache_dir() is None and DecodeCache.open(tmp_path) is None


def test_no_cache_turns_it_off_for_the_command(
    tmp_path: Path,
    settled: None,
    cache_in: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(decodecache, "_switched_off", False)
    root = tmp_path / "mesh"
    write_folder(root, {"a.yaml": POLICY})
    request = [
        "inspect",
        "api",
        str(root),
        "/meshes/default/meshtimeouts",
        "--kuma-version",
        "2.10",
    ]
    cli.main(request)  # answered (a 404 here) from the folder, read through the cache
    assert len(list(cache_in.glob("*.cache"))) == 1
    for path in cache_in.iterdir():
        path.unlink()
    cli.main([*request, "--no-cache"])
    assert "Not Found" in capsys.readouterr().out
    assert list(cache_in.iterdir()) == []
    assert cache_dir() is None


def test_the_test_run_never_touches_the_users_cache() -> None:
    assert os.environ[CACHE_DIR_ENV] == TEST_CACHE_DIR
    assert not TEST_CACHE_DIR.startswith(str(Path.home()))
    child = subprocess.run(
        [sys.executable, "-c", f"import os; print(os.environ[{CACHE_DIR_ENV!r}])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == TEST_CACHE_DIR
