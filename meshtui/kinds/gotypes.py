"""Go-typed JSON schemas: how Kuma's Go structs turn a policy conf into JSON and back.

Kuma merges policy confs by marshalling each typed Go struct to JSON, applying RFC 7396
merge patches, and unmarshalling the result into a fresh struct; the inspect API then
marshals that struct again. Reproducing the output byte for byte therefore needs the
Go view of every field: its JSON name, whether it is a pointer, whether it is
`omitempty`, and its scalar type (durations print in Go's form). This module holds the
small vocabulary used to describe those structs (`Struct`, `Field`, `Ptr`, `List`,
`Map`, `Scalar`) together with the CRD facts checked at load time (enums, required
fields, structural defaults).

Pure and stdlib only; the per-kind descriptions live in `meshtui.kinds.schemas`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

ScalarKind = Literal[
    "string",
    "bool",
    "int",
    "uint",
    "float",
    "duration",
    "intorstring",
    "json",
]
"""Leaf types.

- ``duration``: `k8s.io/apimachinery` `metav1.Duration`; parsed with Go's
  `time.ParseDuration`, printed with `time.Duration.String()`.
- ``intorstring``: `intstr.IntOrString`; an int or a string, kept as written (an
  integral float such as YAML `50.0` is the JSON number 50, so an int).
- ``json``: `apiextensionsv1.JSON`, `json.RawMessage` or any free-form value; kept
  as written. With `omitempty` it is left out only when nothing was given (a
  `RawMessage` is a byte slice; a `*JSON` is modelled as `Ptr(JSON)`).
"""


class _NoDefault:
    """Sentinel: the CRD schema declares no `default:` for a field."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True, slots=True)
class Scalar:
    """A leaf value."""

    kind: ScalarKind
    enum: tuple[str, ...] = ()
    """Allowed values from the CRD schema (`+kubebuilder:validation:Enum`); empty = any."""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class Ptr:
    """A Go pointer: `nil` marshals as `null` unless the field is `omitempty`."""

    elem: GoType


@dataclass(frozen=True, slots=True)
class List:
    """A Go slice. A nil slice marshals as `null`, an empty one as `[]`."""

    elem: GoType
    min_items: int = 0


@dataclass(frozen=True, slots=True)
class Map:
    """A Go `map[string]X`."""

    elem: GoType


@dataclass(frozen=True, slots=True)
class Field:
    """One exported struct field."""

    go_name: str
    """The Go field name; a name starting with `Append` makes the list concatenate on merge."""
    json: str
    """The JSON key. Empty for an embedded (inlined) struct."""
    type: GoType
    omitempty: bool = True
    required: bool = False
    """The CRD schema lists the field under `required`."""
    default: Any = NO_DEFAULT
    """The CRD schema `default:` applied by structural defaulting, if any."""
    policy_merge: str = ""
    """The `policyMerge` struct tag: `mergeValuesByKey`, `mergeValues` or `mergeKey`."""

    @property
    def appends(self) -> bool:
        """Whether merging concatenates this list instead of replacing it."""
        return self.go_name.startswith("Append")

    @property
    def embedded(self) -> bool:
        """An anonymous struct field whose members are inlined into the parent object."""
        return self.json == ""


@dataclass(frozen=True, slots=True, eq=False)
class Struct:
    """A Go struct. Fields are kept in declaration order, which is JSON output order.

    Structs may refer to each other recursively, so `fields` can be given as a
    zero-argument callable that is resolved on first use.
    """

    name: str
    field_source: tuple[Field, ...] | Callable[[], tuple[Field, ...]] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    open: bool = False
    """An object whose keys no schema names (a generic kind's conf): every key is kept as
    written, like a Go `map[string]interface{}` read in the order given."""

    @property
    def fields(self) -> tuple[Field, ...]:
        """The fields, resolving a lazy definition once."""
        found: tuple[Field, ...] | None = self._cache.get("fields")
        if found is None:
            source = self.field_source
            found = source() if callable(source) else source
            self._cache["fields"] = found
        return found

    def flat_fields(self) -> tuple[Field, ...]:
        """Fields as they appear in JSON: embedded structs are inlined in place (cached)."""
        found: tuple[Field, ...] | None = self._cache.get("flat")
        if found is None:
            out: list[Field] = []
            for f in self.fields:
                inner = f.type.elem if isinstance(f.type, Ptr) else f.type
                if f.embedded and isinstance(inner, Struct):
                    out.extend(inner.flat_fields())
                else:
                    out.append(f)
            found = tuple(out)
            self._cache["flat"] = found
        return found

    def by_json(self) -> dict[str, Field]:
        """JSON key → field, looking through embedded structs (cached)."""
        found: dict[str, Field] | None = self._cache.get("by_json")
        if found is None:
            found = {f.json: f for f in self.flat_fields()}
            self._cache["by_json"] = found
        return found

    def field(self, json_name: str) -> Field | None:
        """The field with this JSON key, looking through embedded structs."""
        return self.by_json().get(json_name)


GoType = Scalar | Ptr | List | Map | Struct

# Shorthands used by the schema tables.
STRING = Scalar("string")
BOOL = Scalar("bool")
INT = Scalar("int")
UINT = Scalar("uint")
FLOAT = Scalar("float")
DURATION = Scalar("duration")
INT_OR_STRING = Scalar("intorstring")
JSON = Scalar("json")


def enum(*values: str) -> Scalar:
    """A string restricted to `values`."""
    return Scalar("string", enum=tuple(values))


def opt(go_name: str, json: str, type_: GoType, **kwargs: Any) -> Field:
    """An optional pointer field: `Name *T \\`json:"name,omitempty"\\``."""
    return Field(go_name, json, Ptr(type_), omitempty=True, **kwargs)


def req(go_name: str, json: str, type_: GoType, **kwargs: Any) -> Field:
    """A required plain field: `Name T \\`json:"name"\\`` (not omitempty)."""
    return Field(go_name, json, type_, omitempty=False, required=True, **kwargs)
