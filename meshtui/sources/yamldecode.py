"""Decode YAML files into plain data; also a worker program for big folders.

Imported by `files` for the loader and the decoding itself, and run as a script
(`python -P yamldecode.py`, so no part of meshtui is imported) by `files.read_many`,
which splits a big folder between a few of these processes: YAML decoding is
CPU-bound and holds the GIL. A worker reads a JSON list of file paths on stdin and
answers with one `marshal` blob on stdout: for each file, its document bodies and
its problems as `(severity, message, document)`. `marshal` only carries the plain
types YAML yields here (timestamps stay strings) and is much cheaper than pickle.

Worker processes are plain subprocesses rather than `multiprocessing` ones on
purpose: inside the running app `sys.stderr` is Textual's capture object, whose
`fileno()` is -1, and multiprocessing's resource tracker fails to start with it
("bad value(s) in fds_to_keep").
"""

from __future__ import annotations

import json
import marshal
import sys
from typing import Any

import yaml

DecodedProblem = tuple[str, str, int]
"""(severity, message, 1-based document index or 0 for the whole file)."""


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C safe loader, except that timestamps stay the strings Kubernetes wrote."""


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)


def decode_text(text: str) -> tuple[list[Any], list[DecodedProblem]]:
    """Every document body of `text`, up to the first syntax error (which becomes a problem).

    A syntax error in the middle keeps the documents before it.
    """
    bodies: list[Any] = []
    problems: list[DecodedProblem] = []
    index = 0
    documents = yaml.load_all(text, Loader=Loader)
    while True:
        index += 1
        try:
            body = next(documents)
        except StopIteration:
            break
        except yaml.YAMLError as err:
            problems.append(("error", syntax_message(err), index))
            break
        bodies.append(body)
    return bodies, problems


def decode_file(path: str) -> tuple[list[Any], list[DecodedProblem]]:
    """`decode_text` of the file at `path`; an unreadable file is one problem."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        return [], [("error", f"cannot read file: {err}", 0)]
    return decode_text(text)


def syntax_message(err: yaml.YAMLError) -> str:
    """`YAML syntax error at line L, column C: what` (the position when PyYAML knows it)."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(err, "problem", None) or str(err)
    return f"YAML syntax error at {where}{problem}"


def worker_main() -> None:
    """Paths in (JSON on stdin), `marshal.dumps([(bodies, problems), ...])` out."""
    paths = json.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(marshal.dumps([decode_file(path) for path in paths]))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    worker_main()
