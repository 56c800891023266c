"""Label and field selectors, and the filter a list or watch applies to objects.

Owns the selector grammar the apiserver accepts for custom resources:

* `labelSelector`: comma-separated requirements `k=v`, `k==v`, `k!=v`, `k`, `!k`,
  `k in (a,b)`, `k notin (a,b)` (the `>`/`<` forms are not supported: 400).
* `fieldSelector`: `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`;
  any other field is a 400, as for a CRD without `selectableFields`.

Pure; raises `ApiError(400)` on a malformed selector.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tests.fakekube.protocol import Obj, bad_request

_SET_RE = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")

Predicate = Callable[[Mapping[str, str]], bool]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _label_requirement(text: str) -> Predicate:
    if m := _SET_RE.match(text):
        key, op, raw_values = m.groups()
        values = frozenset(v.strip() for v in raw_values.split(",") if v.strip())
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _EQ_RE.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS_RE.match(text):
        negate, key = m.groups()
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement: {text.strip()!r}")


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A parsed `labelSelector`; the empty selector matches everything."""

    text: str
    requirements: tuple[Predicate, ...]

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse, raising ApiError(400) on a malformed requirement."""
        text = text or ""
        return cls(text, tuple(_label_requirement(p) for p in _split_top_level(text)))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every requirement holds."""
        return all(req(labels) for req in self.requirements)


_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """One `field=value` or `field!=value`."""

    field: str
    value: str
    negate: bool

    def matches(self, name: str, namespace: str) -> bool:
        """Whether the object's name/namespace satisfy it."""
        actual = name if self.field == "metadata.name" else namespace
        return (actual == self.value) != self.negate


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A parsed `fieldSelector` over `metadata.name` / `metadata.namespace`."""

    text: str
    requirements: tuple[FieldRequirement, ...]

    @classmethod
    def parse(cls, text: str | None) -> FieldSelector:
        """Parse, raising ApiError(400) on a malformed or unsupported field."""
        text = text or ""
        reqs: list[FieldRequirement] = []
        for part in _split_top_level(text):
            m = _EQ_RE.match(part)
            if m is None:
                raise bad_request(f"invalid selector: {part.strip()!r}")
            field, op, value = m.groups()
            if field not in _FIELDS:
                raise bad_request(f'field label not supported: "{field}"')
            reqs.append(FieldRequirement(field, value, op == "!="))
        return cls(text, tuple(reqs))

    def and_name(self, name: str) -> FieldSelector:
        """This selector narrowed to one object name (watch on an item URL)."""
        extra = FieldRequirement("metadata.name", name, negate=False)
        return FieldSelector(self.text, (*self.requirements, extra))

    def matches(self, name: str, namespace: str) -> bool:
        """Whether every requirement holds."""
        return all(r.matches(name, namespace) for r in self.requirements)


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """What a list or watch request selects: a namespace (or all) and two selectors."""

    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector

    @property
    def is_trivial(self) -> bool:
        """True when no selector narrows the result (the apiserver then counts remaining)."""
        return not self.labels.requirements and not self.fields.requirements

    def matches(self, obj: Obj) -> bool:
        """Whether `obj` is selected."""
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or ""
        if self.namespace is not None and namespace != self.namespace:
            return False
        if not self.fields.matches(meta.get("name") or "", namespace):
            return False
        return self.labels.matches(meta.get("labels") or {})
