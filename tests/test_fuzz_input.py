"""Fuzzing the whole input path with documents of every kind.

Each example is a YAML file of generated documents (a Kuma kind drawn for each, in
Kubernetes or Universal form), every field of the kind's schema present or not, with a
value of its type or a wild one (any type, escapes, huge or non-finite numbers, bytes,
sets, deep nesting), parts shared through YAML aliases and now and then a structure that
contains itself. Next to a small valid mesh, the file must go through decoding, parsing
and the engine with no exception; every document must be loaded or reported; and the
answers `meshtui inspect -o json` prints must be JSON a strict parser accepts.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshtui.cli import main
from meshtui.engine.index import build_index, mesh_names
from meshtui.engine.inspect import (
    affected_dataplanes_body,
    matched_policies_body,
    rules_body,
    to_json,
)
from meshtui.kinds import ALL_KINDS, POLICY_KINDS
from meshtui.kinds.gotypes import GoType, List, Map, Ptr, Scalar, Struct
from meshtui.kinds.schemas import POLICY_SPECS, RESOURCE_SPECS
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.present.text import yaml_text
from meshtui.sources.files import parse_text
from tests.conftest import StackBudget

BASE = Path(__file__).resolve().parent.parent / "sample-cluster" / "producer-consumer"
STACK = 500
"""Frames decoding, parsing and the engine may use (as if run deep in a Textual worker)."""
KINDS = sorted(ALL_KINDS)
T = TypeVar("T")
TOP_LEVEL_BODY = {"Dataplane", "Mesh", "MeshGateway"}

TEXT = st.text(
    alphabet=st.sampled_from(
        [*"abcxyz019-_./:*% ", "\x1b", "\x07", "\n", "\t", "\x00", "\x85", "\u202e", "é", "≠"]
    ),
    max_size=10,
)
NAMES = st.sampled_from(["web", "api", "demo-app", "consumer", "default", "kuma-demo", "x"])
DURATIONS = st.sampled_from(["5s", "1m30s", "0s", "100ms", "-1s", "5", "1h", ""])


def nested(levels: int) -> Any:
    value: Any = "leaf"
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


WILD = st.one_of(
    st.sampled_from([float("inf"), float("-inf"), float("nan"), b"\x00bytes", {1, 2}]),
    st.integers(min_value=2**64, max_value=10**400),
    st.integers(min_value=90, max_value=130).map(nested),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=3),
)
"""Any value: first what JSON cannot hold or what is nested too deep, then the rest."""


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True once in about `n` draws (hypothesis leans to the first element: False)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def mostly_names(draw: st.DrawFn) -> Any:
    """Names for metadata and labels: now and then any text, or any value at all."""
    if draw(one_in(6)):
        return draw(st.one_of(TEXT, WILD))
    return draw(NAMES)


MOSTLY_NAMES = mostly_names()


class Generator:
    """Draws values for Go types, keeping earlier containers to share as YAML aliases."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.shared: list[Any] = []
        self.wildness = 0
        """One field in `wildness` gets a wild value (0: none); drawn per document."""

    def value(self, type_: GoType, depth: int = 0) -> Any:
        draw = self.draw
        if self.wildness and draw(one_in(self.wildness)):
            return draw(WILD)
        if draw(one_in(8)) and self.shared:
            return draw(st.sampled_from(self.shared))  # the same object again: an alias
        while isinstance(type_, Ptr):
            type_ = type_.elem
        if isinstance(type_, Scalar):
            return self.scalar(type_)
        if depth > 4:
            return None
        if isinstance(type_, List):
            size = draw(st.integers(0, 2))
            return self.keep([self.value(type_.elem, depth + 1) for _ in range(size)])
        if isinstance(type_, Map):
            keys = draw(st.lists(st.one_of(NAMES, TEXT), max_size=2))
            return self.keep({k: self.value(type_.elem, depth + 1) for k in keys})
        return self.struct(type_, depth)

    def struct(self, struct: Struct, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in struct.flat_fields():
            if f.required or self.draw(st.booleans()):
                out[f.json] = self.value(f.type, depth + 1)
        if self.draw(one_in(30)):
            out["unknownField"] = self.draw(WILD)
        return self.keep(out)

    def scalar(self, type_: Scalar) -> Any:
        draw = self.draw
        if type_.enum:
            return draw(st.sampled_from(type_.enum))
        kind = type_.kind
        if kind == "string":
            return draw(st.one_of(NAMES, TEXT))
        if kind == "bool":
            return draw(st.booleans())
        if kind in ("int", "uint"):
            return draw(st.integers(-5, 70000))
        if kind == "float":
            return draw(st.floats(-10, 10) if draw(one_in(3)) is False else st.floats())
        if kind == "duration":
            return draw(DURATIONS)
        if kind == "intorstring":
            return draw(st.one_of(st.integers(0, 100), st.sampled_from(["50%", "x"])))
        # free-form JSON (`apiextensionsv1.JSON`): the schema lets any value in
        leaves = st.one_of(st.integers(), TEXT, WILD)
        return draw(
            st.recursive(
                leaves,
                lambda inner: (
                    st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
                ),
                max_leaves=6,
            )
        )

    def keep(self, value: T) -> T:
        if self.draw(one_in(4)):
            self.shared.append(value)
        if self.draw(one_in(100)) and isinstance(value, list):
            value.append(value)  # a structure containing itself: `&id [*id]`
        return value


@st.composite
def documents(draw: st.DrawFn) -> list[Any]:
    gen = Generator(draw)
    out: list[Any] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(KINDS))
        gen.wildness = draw(st.sampled_from([0, 60, 15]))
        struct = POLICY_SPECS.get(kind) or RESOURCE_SPECS.get(kind)
        spec = gen.struct(struct, 0) if struct is not None else {}
        labels = {} if draw(one_in(3)) else {"kuma.io/mesh": "default"}
        labels.update(
            draw(st.dictionaries(st.one_of(NAMES, TEXT), st.one_of(NAMES, WILD), max_size=2))
        )
        name = draw(MOSTLY_NAMES)
        if draw(st.booleans()):
            namespace = draw(MOSTLY_NAMES)
            meta = {"name": name, "namespace": namespace, "labels": labels}
            body: Any = {"apiVersion": "kuma.io/v1alpha1", "kind": kind, "metadata": meta}
            body["spec"] = spec
        elif kind in TOP_LEVEL_BODY:
            body = {**spec, "type": kind, "name": name, "mesh": "default", "labels": labels}
        else:
            body = {"type": kind, "name": name, "mesh": "default", "labels": labels, "spec": spec}
        if draw(one_in(20)):
            body = draw(WILD)  # not even a mapping
        out.append(body)
    return out


def _bomb(levels: int, fan_out: int) -> str:
    lines = ["apiVersion: kuma.io/v1alpha1", "kind: MeshProxyPatch", "l0: &l0 [lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


DEEP = "[" * 990 + "1" + "]" * 990
"""As deep as libyaml lets a document nest (1,000 levels), to reach code that reads raw
bodies before the nesting bound is checked."""

EXTRAS = st.sampled_from(
    [
        "",
        "apiVersion: kuma.io/v1alpha1\nkind: Dataplane\n"
        f"metadata: {{name: d, labels: {{x: {DEEP}}}}}\n",
        f"apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata: {{name: {DEEP}}}\n",
        f"apiVersion: {DEEP}\nkind: {DEEP}\nmetadata: {{name: d}}\n",
        "apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata: {name: d}\n"
        f"spec: {{networking: {{inbound: [{{tags: {{kuma.io/zone: {DEEP}}}}}]}}}}\n",
        f"apiVersion: v1\nkind: List\nitems: [{DEEP}, {{kind: {DEEP}}}]\n",
        f"type: {DEEP}\nname: {DEEP}\nmesh: {DEEP}\n",
        _bomb(9, 9),
        _bomb(5, 5),
        "kind: Mesh\nspec: &loop {self: *loop}\n",
        "kind: Mesh\nspec: {port: " + "9" * 5000 + "}\n",
        "kind: Mesh\nspec: {port: 0x" + "f" * 300 + "}\n",
        "a: [\n",
    ]
)
"""Text no dumper writes: a document after the generated ones, hostile as a whole."""


def _yaml(bodies: list[Any], extra: str = "") -> str:
    """All documents in one YAML stream, with anchors and aliases for shared parts."""
    text = yaml.dump_all(bodies, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=False)
    return text + (f"---\n{extra}" if extra else "")


_REPLACED = re.compile(r"replaces the one at fuzz\.yaml#(\d+)")


def _accounted(result: Any, read_problems: Any) -> set[int]:
    """Documents of fuzz.yaml that were loaded, reported, or replaced by a later one."""
    seen = set()
    for res in (*result.resources, *result.namespaces):
        if res.source is not None and res.source.file == "fuzz.yaml":
            seen.add(res.source.document)
    for problem in (*read_problems, *result.problems):
        if problem.file == "fuzz.yaml":
            seen.add(problem.document)
            seen.update(int(n) for n in _REPLACED.findall(problem.message))
    return seen


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def base_documents() -> list[Any]:
    from meshtui.sources.files import load_path

    documents, problems = load_path(BASE)
    assert not [p for p in problems if p.severity == "error"]
    return documents


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents(), EXTRAS)
def test_generated_documents_of_every_kind_never_break_parsing_or_the_engine(
    stack_budget: StackBudget, base_documents: list[Any], bodies: list[Any], extra: str
) -> None:
    text = _yaml(bodies, extra)
    with stack_budget(STACK):
        contents = parse_text(text, "fuzz.yaml")
        result = parse_documents([*base_documents, *contents.documents], ContextOptions())
    written = {d.source.document for d in contents.documents if d.body not in (None, {})}
    missing = written - _accounted(result, contents.problems)
    assert not missing, f"documents neither loaded nor reported: {sorted(missing)}"
    bodies_read = {d.source: d.body for d in contents.documents}
    for res in result.resources:  # what the dashboard shows of it ("YAML as read") too
        _strict_json(to_json({"labels": dict(res.labels), "spec": dict(res.spec)}))
        if res.source in bodies_read:
            _strict_json(to_json(bodies_read[res.source]))
    with stack_budget(STACK):
        _check_engine(result)


def _check_engine(result: ParseResult) -> None:
    """Every answer inspect can give about `result` is strict JSON (and YAML)."""
    for mesh in mesh_names(result.resources):
        index = build_index(result.resources, mesh)
        for _, dataplane in sorted(index.dataplanes.items()):
            _strict_json(to_json(rules_body(index, dataplane)))
            for kind in POLICY_KINDS:
                body = matched_policies_body(index, dataplane, kind)
                _strict_json(to_json(body))
                assert yaml.safe_load(yaml_text(body)) == json.loads(to_json(body))
        for policy in index.all_policies():
            _strict_json(to_json(affected_dataplanes_body(index, policy)))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents(), EXTRAS)
def test_inspect_prints_json_whatever_the_folder_holds(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    bodies: list[Any],
    extra: str,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz") / "cluster"
    shutil.copytree(BASE, folder)
    (folder / "fuzz.yaml").write_text(_yaml(bodies, extra))
    for query in (
        ["rules"],
        ["policies", "--type", "MeshTimeout"],
    ):
        status = main(
            [
                "inspect",
                query[0],
                "--mesh",
                "default",
                "--dataplane",
                "consumer.first-consumer",
                *query[1:],
                str(folder),
            ]
        )
        out, err = capsys.readouterr()
        assert status in (0, 3), err
        if status == 0:
            _strict_json(out)
        assert all(line.startswith("meshtui: ") for line in err.splitlines()), err
