"""A cache of decoded YAML files, so that a second start on the same folder skips decoding.

One cache file per folder read (its absolute path hashed), in the user's cache directory:
`$MESHTUI_CACHE_DIR`, else `$XDG_CACHE_HOME/meshtui`, else `~/.cache/meshtui`; `--no-cache`
turns it off for the process (`switch_off`). It holds, per file, what `yamldecode.decode_file`
returned for it, as the `marshal` blob the decoder workers send, under the file's `FileKey`.

The rules it keeps:

- A cached result is exactly what decoding would give. An entry is used only when the file's
  key (absolute path, size, mtime, ctime, inode, device; symlinks followed) is the one it was
  stored under, and a file is stored only when its result came from decoding its text (no
  problem on the whole file: unreadable, not a regular file, too big, not UTF-8, which may
  depend on more than the bytes). The key is taken before the file is read, so a change
  while it is read gives the file another key (a new ctime at least).
- A file changed less than `SETTLED_SECONDS` before its key was taken is not stored: a
  same-size edit within the file system's timestamp granularity (up to 2 s on some) would
  leave its key unchanged. It is stored by a later load.
- The whole cache is thrown away on upgrade: the file's header names the cache format,
  meshtui's, Python's, marshal's and PyYAML's (and libyaml's) versions, the decoder's
  settings, a digest of this module's and the decoder's source, and the folder; any
  difference and the cache is not read.
- Nothing that goes wrong with the cache is an error: a missing, unreadable, foreign,
  truncated or corrupt cache file (a checksum over the payload is checked before
  `marshal.loads`, and what it loads is checked for the shape written), one that is not a
  regular file owned by this user or is larger than `MAX_CACHE_BYTES`, or a cache
  directory that cannot be made or written, means decoding as if there were no cache (one
  debug log line). The checksum finds damage, not forgery: `marshal` is not safe against
  data made to harm, so the cache is trusted as much as anything else this user can write.
- Concurrent runs are safe: a cache is written to a temporary file in the same directory
  and renamed over the old one (`os.replace`), so a reader sees a whole old or a whole new
  cache; the last writer wins. It is not fsynced: a crash may leave a torn file, which the
  checksum refuses. Temporary files left by a killed run are deleted an hour later by the
  next write, and the directory keeps the most recently used caches up to
  `MAX_DIRECTORY_BYTES` in all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
import os
import stat
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

from meshtui import __version__
from meshtui.sources import yamldecode
from meshtui.sources.yamldecode import DecodedProblem

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "MESHTUI_CACHE_DIR"
"""Where the caches go (a folder made on first use); overrides the XDG location."""

FORMAT = 1
"""The layout of a cache file; part of its header, so changing it throws old caches away."""

MAGIC = b"meshtui decoded YAML cache\n"

SETTLED_SECONDS = 2.0
"""A file changed this recently (by mtime or ctime) when its key was taken is not stored."""

MAX_CACHE_BYTES = 512 * 1024 * 1024
"""A bigger cache file is neither read nor written."""

MAX_DIRECTORY_BYTES = 1024 * 1024 * 1024
"""When a cache is written, the least recently used others go until all fit in this."""

STALE_TEMPORARY_SECONDS = 3600.0
"""A temporary file this old was left by a run that died while writing."""

FileKey = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device) of a regular file, symlinks followed."""

Decoded = tuple[list[Any], list[DecodedProblem]]
"""What `yamldecode.decode_file` returns."""

_DIGEST = hashlib.sha256
_DIGEST_SIZE = _DIGEST().digest_size
_SUFFIX = ".cache"
_TEMPORARY = ".tmp"

_switched_off = False


def switch_off() -> None:
    """No cache is read or written by this process from now on (`--no-cache`)."""
    global _switched_off
    _switched_off = True


def cache_dir() -> Path | None:
    """The directory for caches, or None when caching is off or there is no home to put it in.

    `$MESHTUI_CACHE_DIR` if set (and not empty), else `$XDG_CACHE_HOME/meshtui` when that is
    an absolute path (the XDG rule), else `~/.cache/meshtui`.
    """
    if _switched_off:
        return None
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "meshtui"
    try:
        return Path.home() / ".cache" / "meshtui"
    except (RuntimeError, KeyError):  # no $HOME and no password entry
        return None


def file_key(path: str) -> FileKey | None:
    """The key of the file at `path` as it is now; None when it is not a regular file the
    decoder would read (it is then never cached)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > yamldecode.MAX_FILE_BYTES:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def cacheable(decoded: Decoded) -> bool:
    """Whether a result may be stored: every problem is on a document, none on the file."""
    return all(problem[2] > 0 for problem in decoded[1])


def loads(blob: bytes) -> Decoded | None:
    """A stored (or a worker's) blob back as `decode_file`'s result; None if it is not one."""
    try:
        decoded = marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None
    if (
        isinstance(decoded, tuple)
        and len(decoded) == 2
        and isinstance(decoded[0], list)
        and isinstance(decoded[1], list)
        and all(_is_problem(problem) for problem in decoded[1])
    ):
        return decoded
    return None


def _is_problem(problem: Any) -> bool:
    """Whether `problem` is a `DecodedProblem`: (severity, message, document, path)."""
    return (
        isinstance(problem, tuple)
        and len(problem) == 4
        and isinstance(problem[0], str)
        and isinstance(problem[1], str)
        and type(problem[2]) is int
        and isinstance(problem[3], str)
    )


class DecodeCache:
    """The cache of one folder: the entries read from its cache file, and those to write.

    Entries are used with `get` and recorded with `keep` (every file of a load, cached
    or not, so the next cache holds exactly the files of the last complete load); `save`
    then writes them if they differ from what was read. Used from one thread at a time.
    """

    def __init__(self, root: Path, directory: Path) -> None:
        self.root = os.path.abspath(root)
        name = _DIGEST(os.fsencode(self.root)).hexdigest()[:32]
        self.directory = directory
        self.path = directory / (name + _SUFFIX)
        self._read: dict[str, tuple[FileKey, bytes]] = {}
        self._kept: dict[str, tuple[FileKey, bytes]] = {}

    @classmethod
    def open(cls, root: Path) -> DecodeCache | None:
        """The cache of `root` with its file read; None when caching is off."""
        directory = cache_dir()
        if directory is None:
            return None
        cached = cls(root, directory)
        cached.load()
        return cached

    def __len__(self) -> int:
        return len(self._read)

    def load(self) -> None:
        """Read the cache file; whatever is wrong with it leaves the cache empty."""
        self._read = {}
        data = _read_regular_file(self.path)
        if data is None:
            return
        header = self._header()
        checksum = data[len(header) : len(header) + _DIGEST_SIZE]
        with memoryview(data) as view:
            payload = view[len(header) + _DIGEST_SIZE :]
            if not data.startswith(header) or _DIGEST(payload).digest() != checksum:
                log.debug("decode cache %s: another version, or corrupt; not used", self.path)
                return
            try:
                entries = marshal.loads(payload)
            except (EOFError, ValueError, TypeError):
                log.debug("decode cache %s: corrupt; not used", self.path)
                return
            finally:
                payload.release()
        if isinstance(entries, dict):
            self._read = {
                path: entry
                for path, entry in entries.items()
                if isinstance(path, str) and _is_entry(entry)
            }

    def get(self, path: str, key: FileKey) -> bytes | None:
        """The blob stored for the file at absolute `path` if it still has `key`, else None."""
        entry = self._read.get(path)
        if entry is None or entry[0] != key:
            return None
        return entry[1]

    def keep(self, path: str, key: FileKey, blob: bytes, taken_at_ns: int) -> None:
        """Record a file's blob for the next cache, unless it changed too recently before
        `taken_at_ns` (the wall-clock time just before its key was taken)."""
        settled_before = taken_at_ns - int(SETTLED_SECONDS * 1e9)
        if max(key[1], key[2]) < settled_before:
            self._kept[path] = (key, blob)

    def save(self) -> bool:
        """Write the entries kept, if they changed, and forget them; True if written.

        An unchanged cache is only marked as used (for `MAX_DIRECTORY_BYTES`). Never raises
        for the file system: a directory that cannot be written means no cache.
        """
        kept, read = self._kept, self._read
        self._kept, self._read = {}, {}
        if kept == read:
            if kept:
                _touch(self.path)
            return False
        payload = marshal.dumps(kept)
        header = self._header()
        if len(header) + _DIGEST_SIZE + len(payload) > MAX_CACHE_BYTES:
            return False
        checksum = _DIGEST(payload).digest()
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = self.directory / f".{self.path.name}.{os.getpid()}.{os.urandom(6).hex()}"
            temporary = temporary.with_name(temporary.name + _TEMPORARY)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(header)
                    out.write(checksum)
                    out.write(payload)
                os.replace(temporary, self.path)
            except BaseException:
                _unlink(temporary)
                raise
        except OSError as err:
            log.debug("decode cache %s: not written: %s", self.path, err)
            return False
        _tidy(self.directory, keep=self.path)
        return True

    def _header(self) -> bytes:
        """The cache's first bytes: the format and everything a decoded result depends on."""
        identity = json.dumps({"root": self.root, **_versions()}, sort_keys=True)
        text = identity.encode("utf-8", "surrogateescape")
        return MAGIC + len(text).to_bytes(4, "big") + text


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@cache
def _versions() -> dict[str, Any]:
    """What every cached result depends on besides the file's bytes."""
    sources = _DIGEST()
    for module in (yamldecode.__file__, __file__):
        sources.update(Path(module).read_bytes())
    return {
        "format": FORMAT,
        "meshtui": __version__,
        "python": sys.version,
        "implementation": sys.implementation.cache_tag,
        "marshal": marshal.version,
        "decoder": yamldecode.decoder_identity(),
        "sources": sources.hexdigest(),
    }


def _is_entry(entry: Any) -> bool:
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], bytes)):
        return False
    key = entry[0]
    return isinstance(key, tuple) and len(key) == 5 and all(type(k) is int for k in key)


def _read_regular_file(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of ours of at most `MAX_CACHE_BYTES`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if not isinstance(err, FileNotFoundError):
            log.debug("decode cache %s: not read: %s", path, err)
        return None
    try:
        info = os.fstat(fd)
        ours = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
        if not stat.S_ISREG(info.st_mode) or not ours or info.st_size > MAX_CACHE_BYTES:
            log.debug("decode cache %s: not a regular file of ours under the limit", path)
            return None
        chunks = []
        left = MAX_CACHE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        log.debug("decode cache %s: not read: %s", path, err)
        return None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data if len(data) <= MAX_CACHE_BYTES else None


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _tidy(directory: Path, keep: Path) -> None:
    """Delete temporary files left by dead runs, and the least recently used caches
    beyond `MAX_DIRECTORY_BYTES` (never `keep`, the one just written)."""
    now = time.time()
    caches: list[tuple[float, int, Path]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                if entry.name.startswith(".") and entry.name.endswith(_TEMPORARY):
                    if now - info.st_mtime > STALE_TEMPORARY_SECONDS:
                        _unlink(Path(entry.path))
                elif entry.name.endswith(_SUFFIX) and entry.path != str(keep):
                    caches.append((info.st_mtime, info.st_size, Path(entry.path)))
    except OSError:
        return
    total = sum(size for _, size, _ in caches)
    with contextlib.suppress(OSError):
        total += keep.stat().st_size
    for _, size, path in sorted(caches):
        if total <= MAX_DIRECTORY_BYTES:
            break
        _unlink(path)
        total -= size
