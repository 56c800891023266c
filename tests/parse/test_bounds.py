"""`parse.bounds`: what a decoded body may hold before anything walks it."""

from __future__ import annotations

import copy
import math
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meshtui.model import SourceRef
from meshtui.parse import ContextOptions, parse_documents
from meshtui.parse.bounds import MAX_DEPTH, MAX_OBJECT_BYTES, body_problem
from meshtui.raw import RawDocument

FAST = settings(max_examples=60, deadline=None)

KEYS = st.text(alphabet="abcxyz-_.", min_size=1, max_size=6)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=30,
)
BAD_VALUES = st.sampled_from(
    [
        math.inf,
        -math.inf,
        math.nan,
        b"bytes",
        {"a", "b"},
        (("k", 1),),
        10**400,
        -(10**400),
        "lone \ud800 surrogate",
    ]
)


def _paths(value: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, container, key) of every slot in `value`, as `body_problem` names them."""
    found: list[tuple[str, Any, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            plain = key[:1].isalpha() or key[:1] == "_"
            if plain and all(c.isalnum() or c in "_-" for c in key):
                here = f"{path}.{key}" if path else key
            else:
                here = f"{path}[{key!r}]"
            found.append((here, value, key))
            found.extend(_paths(item, here))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.append((f"{path}[{i}]", value, i))
            found.extend(_paths(item, f"{path}[{i}]"))
    return found


@FAST
@given(JSON)
def test_json_within_the_limits_passes(body: Any) -> None:
    assert body_problem({"spec": body}) is None


@FAST
@given(st.dictionaries(KEYS, JSON, min_size=1, max_size=4), BAD_VALUES, st.data())
def test_a_value_json_cannot_hold_is_named_wherever_it_is(
    body: dict[str, Any], bad: Any, data: st.DataObject
) -> None:
    slot_path, container, key = data.draw(st.sampled_from(_paths(body)))
    container[key] = bad
    problem = body_problem(body)
    assert problem is not None
    assert problem.path == slot_path
    assert "JSON" in problem.message or "Unicode" in problem.message


@FAST
@given(st.lists(st.sampled_from(["list", "map"]), min_size=1, max_size=MAX_DEPTH + 40))
def test_nesting_is_bounded_whatever_the_containers(shape: list[str]) -> None:
    value: Any = 1
    for kind in reversed(shape):
        value = [value] if kind == "list" else {"k": value}
    problem = body_problem(value)
    if len(shape) <= MAX_DEPTH:
        assert problem is None
    else:
        assert problem is not None and f"more than {MAX_DEPTH} levels" in problem.message


def test_keys_json_cannot_hold_are_refused_and_yaml_scalar_keys_kept() -> None:
    assert body_problem({"tags": {8080: "x", True: "y", None: "z", 1.5: "w"}}) is None
    for key in (b"k", math.nan, math.inf):
        problem = body_problem({"tags": {key: "x"}})
        assert problem is not None and problem.path.startswith("tags"), key


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=20, max_value=60), st.integers(min_value=2, max_value=9))
def test_shared_parts_count_every_time_they_appear_and_the_walk_stops_early(
    levels: int, fan_out: int
) -> None:
    """Aliases decode to shared objects: a billion laughs is small in memory, huge as JSON."""
    value: Any = "lol" * 10
    for _ in range(levels):
        value = [value] * fan_out
    started = time.monotonic()
    problem = body_problem({"spec": value})
    assert problem is not None and "MiB" in problem.message
    assert time.monotonic() - started < 2.0


def test_a_structure_containing_itself_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    problem = body_problem({"spec": {"value": loop}})
    assert problem is not None and "levels deep" in problem.message


def test_an_object_just_under_the_size_limit_passes() -> None:
    assert body_problem({"blob": "x" * (MAX_OBJECT_BYTES - 100)}) is None
    assert body_problem({"blob": "x" * MAX_OBJECT_BYTES}) is not None


POLICY: dict[str, Any] = {
    "apiVersion": "kuma.io/v1alpha1",
    "kind": "MeshProxyPatch",
    "metadata": {"name": "p", "namespace": "kuma-system", "labels": {"kuma.io/mesh": "default"}},
    "spec": {
        "targetRef": {"kind": "Mesh"},
        "default": {
            "appendModifications": [
                {
                    "cluster": {
                        "operation": "Patch",
                        "jsonPatches": [{"op": "add", "path": "/x", "value": 1}],
                    }
                }
            ]
        },
    },
}


@FAST
@given(BAD_VALUES, st.data())
def test_parse_reports_a_breach_as_one_problem_on_that_document_and_loads_the_rest(
    bad: Any, data: st.DataObject
) -> None:
    body = copy.deepcopy(POLICY)
    slot_path, container, key = data.draw(st.sampled_from(_paths(body)))
    container[key] = bad
    good = copy.deepcopy(POLICY)
    good["metadata"]["name"] = "good"
    documents = [
        RawDocument(SourceRef("bad.yaml", 1), body),
        RawDocument(SourceRef("bad.yaml", 2), good),
    ]
    result = parse_documents(documents, ContextOptions())
    [problem] = [p for p in result.problems if p.severity == "error"]
    assert (problem.file, problem.document, problem.path) == ("bad.yaml", 1, slot_path)
    assert [r.name for r in result.resources if r.type == "MeshProxyPatch"] == ["good.kuma-system"]


def test_each_object_of_a_list_is_bounded_on_its_own() -> None:
    bad = copy.deepcopy(POLICY)
    bad["spec"]["default"]["appendModifications"][0]["cluster"]["jsonPatches"][0]["value"] = (
        math.inf
    )
    body = {"apiVersion": "v1", "kind": "List", "items": [bad, POLICY]}
    result = parse_documents([RawDocument(SourceRef("list.yaml", 1), body)], ContextOptions())
    [problem] = [p for p in result.problems if p.severity == "error"]
    assert problem.path.startswith("items[0].spec.default.appendModifications[0]")
    assert problem.resource == "MeshProxyPatch p"
    assert [r.name for r in result.resources] == ["p.kuma-system"]
