"""Decode YAML files into plain data; also a worker program for big folders.

Imported by `files` for the loader and the decoding itself, and run as a script
(`python -P yamldecode.py`, so no part of meshtui is imported) by `files.read_many`,
which splits a big folder between a few of these processes: YAML decoding is
CPU-bound and holds the GIL. A worker reads a JSON list of file paths on stdin and
answers with one `marshal` blob on stdout: a list holding, for each file, the `marshal`
blob of its document bodies and its problems as `(severity, message, document, path)`
(one blob per file, so that `decodecache` stores it as it came). `marshal` only carries
the plain types YAML yields here (timestamps stay strings) and is much cheaper than pickle.

Decoding never raises and never lets a document grow without bound: only regular files
are read, up to `MAX_FILE_BYTES`; a document whose aliases refer to themselves, expand
too much (Kubernetes' own rule, see `alias_problem`) or nest too deep is a problem and
is not built; a document that cannot be built (an integer too long to convert, a bad
`!!binary`) is a problem and the documents after it still load. What the bodies may
then hold is checked by `parse.bounds`.

Worker processes are plain subprocesses rather than `multiprocessing` ones on
purpose: inside the running app `sys.stderr` is Textual's capture object, whose
`fileno()` is -1, and multiprocessing's resource tracker fails to start with it
("bad value(s) in fds_to_keep").
"""

from __future__ import annotations

import json
import marshal
import os
import stat
import sys
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DecodedProblem = tuple[str, str, int, str]
"""(severity, message, 1-based document index or 0 for the whole file, field path)."""

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read. Kubernetes has no file limit (one object may be 3 MiB, see
`parse.bounds`), so this is only a guard against reading a device or a dump of a whole
cluster by mistake; it is far above what any folder of manifests holds."""

MAX_NESTING = 1000
"""libyaml refuses text nested deeper than 1,000 levels; the same limit holds through
aliases, so a decoded body is never deeper than the text could be written."""

MAX_DUPLICATE_WARNINGS = 10
"""Duplicate keys reported per document; more are summed up in one last warning."""

_MERGE = "tag:yaml.org,2002:merge"

_MAX_INT_BITS = 1024
"""Integers beyond this are beyond float64 too, so beyond what Kubernetes' JSON decoding
keeps; refusing them here also keeps integers too long for `str()` out of every body."""


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C safe loader, except that timestamps stay the strings Kubernetes wrote,
    an integer too long to convert is a decoding error, and duplicate keys are noted."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Node, Any, Node]] = []
        """(mapping, key, the later key node) for each key written twice in one mapping."""
        self._own_pairs: dict[int, int] = {}
        """How many of a flattened mapping's pairs (at its end) were written in it."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:  # past Python's int-string limit (4,300 digits)
            digits = sum(c.isdigit() for c in str(node.value))
            size = f"{digits} digits"
        else:
            if value.bit_length() <= _MAX_INT_BITS:
                return value
            size = f"{value.bit_length()} bits"
        message = f"an integer of {size} does not fit a JSON number"
        raise ConstructorError(None, None, message, node.start_mark)

    def flatten_mapping(self, node: MappingNode) -> None:
        own = node.value
        super().flatten_mapping(node)
        if node.value is not own:  # merged pairs were put in front of the written ones
            self._own_pairs[id(node)] = len(own)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):
            self._note_duplicates(node)
        return mapping

    def _note_duplicates(self, node: MappingNode) -> None:
        own = self._own_pairs.get(id(node), len(node.value))
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value[len(node.value) - own :]:
            key = self.constructed_objects.get(key_node)
            try:
                earlier = seen.get(key)
            except TypeError:  # unhashable keys were refused by construct_mapping already
                continue
            if earlier is not None:
                self.duplicates.append((node, key, key_node))
            seen[key] = key_node

    def reset(self) -> None:
        """Forget a document that failed half-built, so the next one starts clean."""
        self.constructed_objects: dict[Node, Any] = {}
        self.recursive_objects: dict[Node, None] = {}
        self.state_generators: list[Any] = []
        self.deep_construct = False
        self.duplicates = []
        self._own_pairs = {}


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)
Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)


def decode_text(text: str) -> tuple[list[Any], list[DecodedProblem]]:
    """Every document body of `text`, up to the first syntax error (which becomes a problem).

    A syntax error in the middle keeps the documents before it. A document that breaks
    a limit or cannot be built is a problem and its body `None`; later ones still load.
    """
    bodies: list[Any] = []
    problems: list[DecodedProblem] = []
    aliased = "&" in text  # without an anchor there is no alias
    loader = Loader(text)
    try:
        while True:
            index = len(bodies) + 1
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.YAMLError as err:
                problems.append(("error", syntax_message(err), index, ""))
                break
            body, found = _build(loader, node, aliased)
            bodies.append(body)
            problems.extend((severity, message, index, path) for severity, message, path in found)
    finally:
        loader.dispose()
    return bodies, problems


def _build(loader: Loader, node: Node, aliased: bool) -> tuple[Any, list[tuple[str, str, str]]]:
    """One document's body (None when it is refused) and its problems (severity, message, path)."""
    problem = alias_problem(node) if aliased else None
    if problem is not None:
        return None, [("error", problem, "")]
    try:
        body = loader.construct_document(node)
    except yaml.YAMLError as err:
        loader.reset()
        return None, [("error", syntax_message(err), "")]
    except Exception as err:  # whatever a hostile document makes PyYAML raise is its problem
        loader.reset()
        return None, [("error", f"cannot decode: {type(err).__name__}: {err}", "")]
    found = _duplicate_warnings(node, loader.duplicates)
    loader.reset()
    return body, found


def alias_problem(root: Node) -> str | None:
    """Why a composed document must not be built, or None: aliases are bounded first.

    Sizes are counted on the node graph, where an alias is a shared node, so nothing is
    expanded to measure it. Refused: an alias inside the node it names (a structure
    that contains itself); nesting deeper than `MAX_NESTING` through aliases; more
    than `MAX_FILE_BYTES` of text once aliases are expanded; and excessive aliasing as
    Kubernetes' YAML decoder (go-yaml, `decode.go`, `allowedAliasRatio`) defines it:
    over 1,000 nodes decoded, over 100 of them through aliases, and a share from aliases
    above 99% up to 400,000 nodes, falling to 10% at 4,000,000.
    """
    sizes: dict[int, tuple[int, int, int]] = {}
    """Per distinct node: (nodes, text bytes, nesting) with aliases expanded."""
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if isinstance(node, ScalarNode):
            sizes[id(node)] = (1, len(node.value) + 2, 0)
            continue
        children = _children(node)
        if finished:
            open_nodes.discard(id(node))
            inner = [sizes[id(child)] for child in children]
            sizes[id(node)] = (
                1 + sum(s[0] for s in inner),
                2 + sum(s[1] + 1 for s in inner),
                1 + max((s[2] for s in inner), default=0),
            )
            continue
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return "an alias refers to a node that contains it (a structure containing itself)"
            if id(child) not in sizes:
                stack.append((child, False))
    nodes, size, nesting = sizes[id(root)]
    through_aliases = nodes - len(sizes)
    if nesting > MAX_NESTING:
        return f"aliases nest this document more than {MAX_NESTING} levels deep"
    if size > MAX_FILE_BYTES:
        mib = MAX_FILE_BYTES // (1024 * 1024)
        return f"aliases expand this document to more than {mib} MiB"
    if through_aliases > 100 and nodes > 1000 and through_aliases / nodes > _alias_ratio(nodes):
        return (
            f"excessive aliasing: {through_aliases:,} of {nodes:,} values come from aliases"
            " (Kubernetes' YAML decoder refuses this too)"
        )
    return None


def _alias_ratio(nodes: int) -> float:
    """go-yaml's `allowedAliasRatio`: the share of decoded nodes aliases may account for."""
    low, high = 400_000, 4_000_000
    if nodes <= low:
        return 0.99
    if nodes >= high:
        return 0.10
    return 0.99 - 0.89 * (nodes - low) / (high - low)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _duplicate_warnings(
    root: Node, duplicates: list[tuple[Node, Any, Node]]
) -> list[tuple[str, str, str]]:
    """A warning per key written twice in one mapping (the later value is the one kept)."""
    found = []
    for mapping, key, key_node in duplicates[:MAX_DUPLICATE_WARNINGS]:
        within = _path_to(root, mapping)
        path = f"{within}.{key}" if within else str(key)
        line = key_node.start_mark.line + 1
        message = (
            f"key written twice (again at line {line}); the later value is used, as Kubernetes does"
        )
        found.append(("warning", message, path))
    if len(duplicates) > MAX_DUPLICATE_WARNINGS:
        more = len(duplicates) - MAX_DUPLICATE_WARNINGS
        found.append(("warning", f"{more} more duplicate key(s) in this document", ""))
    return found


def _path_to(root: Node, target: Node) -> str:
    """The field path of `target` inside the document `root` (first occurrence)."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                    name = str(key_node.value)
                    stack.append((value_node, f"{path}.{name}" if path else name))
    return ""


class NotRegularFile(OSError):
    """The path is not a regular file (a FIFO, a device, a folder, ...): it is not read."""


class FileTooBig(OSError):
    """The file is larger than `MAX_FILE_BYTES`."""


def read_text(path: str) -> str:
    """The text of a regular file of at most `MAX_FILE_BYTES`, newlines made `\\n`.

    Raises:
        NotRegularFile, FileTooBig, OSError, UnicodeDecodeError.
    """
    # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"not a regular file but {_file_kind(mode)}; not read")
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooBig(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read")
    # What text mode would do: newlines made universal.
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def decode_file(path: str) -> tuple[list[Any], list[DecodedProblem]]:
    """`decode_text` of the file at `path`; an unreadable file (or folder) is one problem."""
    if os.path.isdir(path):
        return [], [("error", _folder_problem(path), 0, "")]
    try:
        text = read_text(path)
    except (NotRegularFile, FileTooBig) as err:
        return [], [("error", str(err), 0, "")]
    except (OSError, UnicodeDecodeError) as err:
        return [], [("error", f"cannot read file: {err}", 0, "")]
    try:
        return decode_text(text)
    except Exception as err:  # a file is one origin: whatever it raises, the rest loads
        return [], [("error", f"cannot decode: {type(err).__name__}: {err}", 0, "")]


def _folder_problem(path: str) -> str:
    """Why a folder met where a file was expected is not read (it is, when it could not
    be listed)."""
    try:
        with os.scandir(path):
            pass
    except OSError as err:
        return f"cannot read folder: {err.strerror or err}"
    return "a folder, not a file; not read"


def syntax_message(err: yaml.YAMLError) -> str:
    """`YAML syntax error at line L, column C: what` (the position when PyYAML knows it);
    `YAML value error ...` when the text is well-formed but a value cannot be built."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(err, "problem", None) or str(err)
    what = "value" if isinstance(err, ConstructorError) else "syntax"
    return f"YAML {what} error at {where}{problem}"


def worker_main() -> None:
    """Paths in (JSON on stdin), `marshal.dumps([file_blob(decode_file(path)), ...])` out."""
    paths = json.loads(sys.stdin.buffer.read())
    blob = marshal.dumps([file_blob(decode_file(path)) for path in paths])
    sys.stdout.buffer.write(blob)
    sys.stdout.buffer.flush()


def file_blob(result: tuple[list[Any], list[DecodedProblem]]) -> bytes:
    """`marshal.dumps(result)`; a body marshal cannot carry makes the file one problem."""
    try:
        return marshal.dumps(result)
    except ValueError as err:
        return marshal.dumps(([], [("error", f"cannot decode: {err}", 0, "")]))


def decoder_identity() -> str:
    """What a decoded result depends on besides the text and this module's code: PyYAML's
    version, its C loader and libyaml's version when used, and Python's limit on the
    digits of an integer (past it, an integer is refused with another message)."""
    libyaml = "none"
    if Loader.__mro__[1] is not yaml.SafeLoader:
        try:
            from yaml._yaml import get_version_string

            libyaml = get_version_string()
        except ImportError:
            libyaml = "unknown"
    return (
        f"PyYAML {yaml.__version__}, {Loader.__mro__[1].__name__}, libyaml {libyaml},"
        f" int digits {sys.get_int_max_str_digits()}"
    )


if __name__ == "__main__":
    worker_main()
