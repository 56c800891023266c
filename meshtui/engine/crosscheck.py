"""Compare meshtui's answer with the control plane's own, field by field.

Both are inspect API bodies of the same request. Lists whose order Kuma does not fix
(`toResourceRules` ties on a store name, inbound entries of one port, `httpMatches`) are
put in a stable order first; what remains different is reported as one line per path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

UNORDERED: dict[str, Callable[[Any], Any]] = {
    "toResourceRules": lambda r: (
        _get(r, "resourceMeta", "name"),
        _get(r, "resourceSectionName"),
        _get(r, "resourceMeta", "type"),
    ),
    "httpMatches": lambda r: _get(r, "hash"),
    "fromRules": lambda r: (_get(r, "inbound", "port"), json.dumps(r, sort_keys=True)),
    "inboundRules": lambda r: (_get(r, "inbound", "port"), json.dumps(r, sort_keys=True)),
}
"""Lists sorted before comparing, by the key Kuma sorts them with (then the whole item)."""


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return "" if value is None else value


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the answers differ."""

    path: str
    ours: Any
    theirs: Any
    """`MISSING` when one side has nothing at `path`."""

    def describe(self) -> str:
        return f"{self.path}: meshtui {_text(self.ours)}, control plane {_text(self.theirs)}"


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


def _text(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def normalised(body: Any, key: str = "") -> Any:
    """`body` with the lists Kuma leaves unordered sorted."""
    if isinstance(body, Mapping):
        return {k: normalised(v, k) for k, v in body.items()}
    if isinstance(body, list):
        items = [normalised(v) for v in body]
        order = UNORDERED.get(key)
        return (
            sorted(items, key=lambda item: json.dumps(order(item), default=str)) if order else items
        )
    return body


def compare(ours: Any, theirs: Any) -> tuple[Difference, ...]:
    """Every path where the two bodies differ, after `normalised`."""
    return tuple(_compare(normalised(ours), normalised(theirs), ""))


def _compare(a: Any, b: Any, path: str) -> Iterator[Difference]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in [*a, *(k for k in b if k not in a)]:
            child = f"{path}.{key}" if path else str(key)
            yield from _compare(a.get(key, MISSING), b.get(key, MISSING), child)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _compare(x, y, f"{path}[{i}]")
        return
    if a != b:
        yield Difference(path or "(body)", a, b)


def rules_path(mesh: str, dataplane: str) -> str:
    """The `_rules` request for one proxy (names percent-encoded by the client)."""
    return f"/meshes/{mesh}/dataplanes/{dataplane}/_rules"
