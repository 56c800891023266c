"""The limits a decoded body must keep before anything walks it, and the check itself.

Whatever reaches `parse` (a YAML document, an object from the API server) is first
checked here: it must be JSON (what Kubernetes stores), not too deeply nested, and not
too big. A body that breaks a limit becomes one problem naming the offending field, and
nothing else looks at it, so every later walk (schema checks, defaulting, merging, the
JSON and YAML writers) is safe by construction.

Pure: stdlib only, iterative (no recursion), and it stops at the first breach, so it is
safe on any input, aliased and self-referencing structures included.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 100
"""Containers nested in containers, the body itself being level 1.

Kubernetes decodes JSON up to 10,000 levels (`k8s.io/apimachinery/pkg/util/json`,
`maxDepth`), which Python cannot follow: the standard library's JSON codec, `copy`
and PyYAML's writer recurse on the interpreter stack (1,000 frames by default), and
so does the kubernetes client's `json.loads`. 100 levels keep every walk in meshtui
far inside that stack, and are far beyond any Kuma resource: the deepest schema
paths are about 15 levels, and free-form Envoy patches stay well under 50.
"""

MAX_OBJECT_BYTES = 3 * 1024 * 1024
"""What one object may weigh as JSON (about): the API server's request body limit.

`k8s.io/apiserver/pkg/server/config.go` sets `MaxRequestBodyBytes` to 3 MiB, so no
object larger than that can be created; a larger body here can only come from a file
(or from YAML aliases expanding), and is refused as the API server would refuse it.
"""

_FLOAT_MAX = int(sys.float_info.max)
"""The largest integer JSON decoding keeps: apimachinery turns a number that is not an
int64 into a float64, and fails when that overflows."""

_TAGS = {
    bytes: "a YAML !!binary value",
    set: "a YAML !!set",
    tuple: "a YAML !!omap or !!pairs entry",
}


@dataclass(frozen=True, slots=True)
class BoundsProblem:
    """Where a body breaks a limit, and how."""

    path: str
    """JSONPath-like location of the offending field (`""` for the body itself)."""
    message: str


def body_problem(body: Any, path: str = "") -> BoundsProblem | None:
    """The first way `body` breaks the input limits, or None when it keeps them all.

    The limits: only JSON values (objects, arrays, strings, finite numbers whose
    integers fit a float64, booleans, null; object keys may also be the numbers,
    booleans and null YAML allows there), at most `MAX_DEPTH` levels of nesting, and
    at most `MAX_OBJECT_BYTES` of JSON, counting aliased (shared) parts each time
    they appear.

    Args:
        body: A decoded document or object, as YAML or JSON decoding produced it.
        path: Where `body` sits in its document, for the problem's path (e.g.
            `items[3]` for an object of a List).

    Returns:
        The first breach found, or None.
    """
    walk = _Walk(path)
    return walk.run(body)


class _Walk:
    """One depth-first pass; the trail remembers each container's parent for the path."""

    __slots__ = ("root", "trail")

    def __init__(self, root: str) -> None:
        self.root = root
        self.trail: list[tuple[int, Any]] = []
        """(index of the parent container in `trail`, key or index in it), per container."""

    def run(self, body: Any) -> BoundsProblem | None:
        if not _is_container(body):
            return self._scalar(body, -1, None)
        self.trail.append((-1, None))
        stack: list[tuple[Any, int, int]] = [(body, 1, 0)]
        budget = MAX_OBJECT_BYTES
        while stack:
            value, depth, at = stack.pop()
            if depth > MAX_DEPTH:
                return self._problem(at, None, f"nested more than {MAX_DEPTH} levels deep")
            budget -= 2 + 8 * len(value)
            if value.__class__ is dict or isinstance(value, Mapping):
                for key, item in value.items():
                    if key.__class__ is str:
                        budget -= len(key)
                        if not key.isascii() and _not_unicode(key):
                            return self._problem(at, key, _LONE_SURROGATE)
                    elif (problem := self._key(key, at)) is not None:
                        return problem
                    if item.__class__ is str:
                        budget -= len(item)
                        if not item.isascii() and _not_unicode(item):
                            return self._problem(at, key, _LONE_SURROGATE)
                    elif (problem := self._item(item, at, key, stack, depth)) is not None:
                        return problem
            else:
                for key, item in enumerate(value):
                    if item.__class__ is str:
                        budget -= len(item)
                        if not item.isascii() and _not_unicode(item):
                            return self._problem(at, key, _LONE_SURROGATE)
                    elif (problem := self._item(item, at, key, stack, depth)) is not None:
                        return problem
            if budget < 0:
                return self._problem(0, None, _TOO_BIG)
        return None

    def _item(
        self, item: Any, at: int, key: Any, stack: list[tuple[Any, int, int]], depth: int
    ) -> BoundsProblem | None:
        """Push a container to visit; check anything else but a string (done by the caller)."""
        if _is_container(item):
            self.trail.append((at, key))
            stack.append((item, depth + 1, len(self.trail) - 1))
            return None
        return self._scalar(item, at, key)

    def _key(self, key: Any, at: int) -> BoundsProblem | None:
        """A key that is not a string: YAML's numbers, booleans and null are fine."""
        if key is None or isinstance(key, bool | int | float):
            return self._scalar(key, at, key)
        return self._problem(at, None, f"a key is {_kind_of(key)}, which JSON cannot hold{_STORED}")

    def _scalar(self, value: Any, at: int, key: Any) -> BoundsProblem | None:
        """None for a JSON scalar, else the problem."""
        kind = value.__class__
        if value is None or kind is bool:
            return None
        if kind is int:
            if -_FLOAT_MAX <= value <= _FLOAT_MAX:
                return None
            bits = value.bit_length()
            message = f"an integer of {bits} bits does not fit a JSON number{_STORED}"
            return self._problem(at, key, message)
        if kind is float:
            if value - value == 0.0:  # neither infinite nor NaN
                return None
            return self._problem(at, key, f"{_float_name(value)} is not a JSON number{_STORED}")
        if kind is str:
            return self._problem(at, key, _LONE_SURROGATE) if _not_unicode(value) else None
        return self._problem(at, key, f"{_kind_of(value)} has no JSON form{_STORED}")

    def _problem(self, at: int, key: Any, message: str) -> BoundsProblem:
        steps: list[Any] = [] if key is None else [key]
        while at > 0:
            at, step = self.trail[at]
            steps.append(step)
        text = self.root
        steps.reverse()
        if len(steps) > _SHOWN_STEPS:
            steps[_SHOWN_STEPS:] = [_ELLIPSIS]
        for step in steps:
            if isinstance(step, int) and not isinstance(step, bool):
                text += f"[{step}]"
            elif step is _ELLIPSIS:
                text += "…"
            elif isinstance(step, str) and _PLAIN_KEY.fullmatch(step):
                text += f".{step}" if text else step
            else:
                text += f"[{_show_key(step)}]"
        return BoundsProblem(text, message)


_SHOWN_STEPS = 16
"""Steps of a path named in a problem; a deeper path ends with `…`."""
_ELLIPSIS = object()
_STORED = " (Kubernetes stores objects as JSON)"
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LONE_SURROGATE = "the string is not valid Unicode (it holds a lone surrogate)"
_TOO_BIG = (
    f"larger than {MAX_OBJECT_BYTES // (1024 * 1024)} MiB of JSON (aliases expanded),"
    " more than the API server accepts"
)


def _is_container(value: Any) -> bool:
    kind = value.__class__
    if kind is dict or kind is list:
        return True
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return False
    return isinstance(value, Mapping | list)


def _not_unicode(text: str) -> bool:
    """Whether `text` cannot be written as UTF-8 (a lone surrogate, from a JSON escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _float_name(value: float) -> str:
    if value != value:
        return "NaN (.nan)"
    return "Infinity (.inf)" if value > 0 else "-Infinity (-.inf)"


def _kind_of(value: Any) -> str:
    for kind, name in _TAGS.items():
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def _show_key(key: Any) -> str:
    if isinstance(key, str | bool | int | float) or key is None:
        return repr(key)
    return _kind_of(key)
