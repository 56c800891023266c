"""Decoding YAML: hostile text becomes a problem on its document, never an exception."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshtui.sources import yamldecode
from meshtui.sources.files import parse_text, read_file
from meshtui.sources.yamldecode import MAX_NESTING, decode_text

FAST = settings(max_examples=40, deadline=None)

GOOD = "apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: {name: after}\n"


def _in_a_document(value: str, depth: int) -> str:
    """`value` written `depth` mappings deep inside a resource-like document."""
    text = "apiVersion: kuma.io/v1alpha1\nkind: MeshProxyPatch\nmetadata: {name: p}\nspec:\n"
    indent = "  "
    for level in range(depth):
        text += f"{indent}f{level}:\n"
        indent += "  "
    return text + f"{indent}value: {value}\n"


def _integer_text(digits: str, form: str, sign: str) -> str:
    if form == "decimal":
        return sign + digits
    if form == "underscored":
        return sign + "_".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    if form == "sexagesimal":
        return sign + "1:" + digits
    if form == "hex":
        return sign + "0x" + digits.replace("9", "f")
    return sign + "0b" + "1" * (len(digits) * 4)


@FAST
@given(
    st.integers(min_value=310, max_value=6000),
    st.sampled_from(["decimal", "underscored", "sexagesimal", "hex", "binary"]),
    st.sampled_from(["", "-", "+"]),
    st.integers(min_value=0, max_value=6),
)
def test_an_integer_too_big_for_json_is_a_problem_on_its_document_only(
    length: int, form: str, sign: str, depth: int
) -> None:
    """Any spelling YAML allows, anywhere in the document: past float64, Kubernetes
    cannot hold it, and past 4,300 decimal digits Python cannot even convert it."""
    number = _integer_text("9" * length, form, sign)
    contents = parse_text(f"{GOOD}---\n{_in_a_document(number, depth)}---\n{GOOD}", "big.yaml")
    bodies = [d.body for d in contents.documents]
    assert (
        bodies[0]
        == bodies[2]
        == {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "Mesh",
            "metadata": {"name": "after"},
        }
    )
    from meshtui.parse import ContextOptions, parse_documents

    result = parse_documents(contents.documents, ContextOptions())
    errors = [p for p in (*contents.problems, *result.problems) if p.severity == "error"]
    assert [(p.file, p.document) for p in errors] == [("big.yaml", 2)]


def _bomb(levels: int, fan_out: int, scalar: str, indent: str) -> tuple[str, str]:
    lines = [f"{indent}l0: &l0 {scalar}"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*l{level - 1}" for _ in range(fan_out))
        lines.append(f"{indent}l{level}: &l{level} [{refs}]")
    return "\n".join(lines), f"*l{levels}"


@FAST
@given(
    st.integers(min_value=6, max_value=12),
    st.integers(min_value=5, max_value=12),
    st.sampled_from(["1", "lol", "x" * 200, "{a: 1}", "[1, 2]"]),
    st.sampled_from(["top", "nested", "list"]),
)
def test_an_alias_bomb_is_refused_before_it_is_built(
    levels: int, fan_out: int, scalar: str, where: str
) -> None:
    if where == "top":
        defs, ref = _bomb(levels, fan_out, scalar, "")
        text = f"{defs}\nall: {ref}\n"
    elif where == "nested":
        defs, ref = _bomb(levels, fan_out, scalar, "      ")
        text = f"spec:\n  default:\n    value:\n{defs}\n      all: {ref}\n"
    else:
        defs, ref = _bomb(levels, fan_out, scalar, "")
        text = f"{defs}\nitems:\n- a: [{ref}, {ref}]\n"
    started = time.monotonic()
    bodies, problems = decode_text(f"{text}---\n{GOOD}")
    assert time.monotonic() - started < 2.0
    assert bodies[0] is None and bodies[1] is not None
    [(severity, message, document, _)] = problems
    assert (severity, document) == ("error", 1)
    assert "alias" in message


def test_aliases_within_kubernetes_limits_load_as_their_expansion() -> None:
    text = "base: &b {timeout: 5s, retries: 3}\nfirst: *b\nsecond: {<<: *b, retries: 4}\n"
    [body], problems = decode_text(text)
    assert problems == []
    assert body["first"] == {"timeout": "5s", "retries": 3}
    assert body["second"] == {"timeout": "5s", "retries": 4}


@FAST
@given(st.integers(min_value=0, max_value=5), st.sampled_from(["list", "map"]))
def test_an_alias_inside_the_node_it_names_is_refused(depth: int, kind: str) -> None:
    inner = "&loop [1, *loop]" if kind == "list" else "&loop {self: *loop}"
    bodies, problems = decode_text(f"{_in_a_document(inner, depth)}---\n{GOOD}")
    assert bodies[0] is None and bodies[1] is not None
    assert [(p[0], p[2]) for p in problems] == [("error", 1)]
    assert "contains it" in problems[0][1]


def test_nesting_through_aliases_is_bounded_like_nesting_in_text() -> None:
    deep = "[" * 600 + "1" + "]" * 600
    text = f"a: &a {deep}\nb: {'[' * 600}*a{']' * 600}\n"
    bodies, problems = decode_text(text)
    assert bodies == [None]
    assert f"more than {MAX_NESTING} levels" in problems[0][1]


@FAST
@given(
    st.lists(st.sampled_from(["name", "port", "a-b", "x"]), min_size=2, max_size=6),
    st.integers(min_value=0, max_value=4),
)
def test_duplicate_keys_keep_the_last_value_with_a_warning_naming_the_field(
    keys: list[str], depth: int
) -> None:
    mapping = "{" + ", ".join(f"{key}: {i}" for i, key in enumerate(keys)) + "}"
    [body], problems = decode_text(_in_a_document(mapping, depth))
    value = body["spec"]
    for level in range(depth):
        value = value[f"f{level}"]
    last = {key: i for i, key in enumerate(keys)}
    assert value["value"] == last
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    prefix = "spec." + "".join(f"f{level}." for level in range(depth)) + "value."
    assert sorted(p[3] for p in problems) == sorted(
        prefix + key for key in repeated for _ in range(keys.count(key) - 1)
    )
    assert all(p[0] == "warning" and "later value is used" in p[1] for p in problems)


def test_merge_keys_overridden_in_place_are_not_duplicates() -> None:
    _, problems = decode_text("base: &b {a: 1, b: 2}\nuse: {<<: *b, a: 3}\n")
    assert problems == []


def test_a_value_that_cannot_be_built_keeps_the_documents_after_it() -> None:
    bodies, problems = decode_text(f"v: !!binary xx\n---\n{GOOD}---\nk: {{[1]: 2}}\n---\n{GOOD}")
    assert [b is not None for b in bodies] == [False, True, False, True]
    assert [(p[0], p[2]) for p in problems] == [("error", 1), ("error", 3)]
    assert all(p[1].startswith("YAML value error at line") for p in problems)


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    contents = read_file(fifo, "x.yaml")
    assert time.monotonic() - started < 1.0
    [problem] = contents.problems
    assert "not a regular file" in problem.message and "FIFO" in problem.message


def test_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    [problem] = read_file(link, "zero.yaml").problems
    assert "not a regular file but a device" in problem.message


def test_a_file_over_the_size_limit_is_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamldecode, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 1000 + "\n")
    contents = read_file(path, "big.yaml")
    assert contents.documents == ()
    [problem] = contents.problems
    assert (problem.severity, problem.document) == ("error", 0)
    assert "larger than" in problem.message
    path.write_text("a: " + "x" * 900 + "\n")
    assert read_file(path, "big.yaml").problems == ()


def test_windows_newlines_read_as_text_mode_would(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"a: |\r\n  one\r\n  two\r\nb: 2\r\n")
    [document] = read_file(path, "crlf.yaml").documents
    assert document.body == {"a": "one\ntwo\n", "b": 2}
