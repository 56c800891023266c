"""Escaping for the terminal, and YAML that reads back as what was read."""

from __future__ import annotations

import sys
import unicodedata

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from meshtui.present.text import literal, scalar, yaml_lines, yaml_text

UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def unsafe_characters() -> str:
    """Every control, format (bidi, zero-width), surrogate and separator character."""
    return "".join(
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in UNSAFE_CATEGORIES
    )


def test_literal_escapes_every_control_format_surrogate_and_separator_character() -> None:
    unsafe = unsafe_characters()
    assert "\u202e" in unsafe and "\x1b" in unsafe and "\u200b" in unsafe and "\x9b" in unsafe
    shown = literal(unsafe)
    assert not any(unicodedata.category(c) in UNSAFE_CATEGORIES for c in shown)
    assert literal("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert literal("a\u202eb") == "a\\u202eb"
    assert literal("tag\U000e0041") == "tag\\U000e0041"
    assert literal("\n\t") == "\\n\\t"


def test_literal_leaves_printable_text_alone() -> None:
    text = "café [bold]x[/bold] 名前 \u2011 ✓ 🙂 ← →"
    assert literal(text) == text


@pytest.mark.parametrize(
    "text",
    ["10:30", "190:20:30", "0b101", "0o17", "017", "0x1F", "1_000", "1.5", ".5", "1e3",
     "yes", "No", "on", "~", "null", "2026-11-22", ".inf", "-.inf", ".nan",
     "a: b", "a #b", "trailing:", "- x", "*ref", "&anchor", "!tag", "%x", "@x", "`x"],
)  # fmt: skip
def test_strings_a_yaml_1_1_reader_would_misread_are_quoted(text: str) -> None:
    assert scalar(text).startswith('"')
    assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}


def test_special_floats_read_back_as_floats() -> None:
    assert yaml.safe_load(scalar(float("inf"))) == float("inf")
    assert yaml.safe_load(scalar(float("-inf"))) == float("-inf")
    assert scalar(float("nan")) == ".nan"


readable = st.characters(exclude_characters="\ufffe\uffff", exclude_categories=["Cs"])


@given(st.text(alphabet=readable))
def test_any_string_reads_back_as_itself_and_prints_safely(text: str) -> None:
    shown = scalar(text)
    assert not any(unicodedata.category(c) in UNSAFE_CATEGORIES for c in shown)
    assert yaml.safe_load(f"k: {shown}") == {"k": text}


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(alphabet=readable),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(alphabet=readable, max_size=5), inner, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_yaml_text_reads_back_as_the_data(value: object) -> None:
    assert yaml.safe_load(yaml_text(value)) == value
    for line in yaml_lines(value):
        assert "\n" not in line and literal(line) == line, "one safe line each"
