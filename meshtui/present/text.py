"""Text safety and YAML rendering for the views (pure, no yaml library).

`literal` makes any resource-provided string safe to print on one line: control
characters (ANSI escapes included) and bidirectional-text controls (which reorder what
a terminal shows, e.g. U+202E) become visible escapes. `yaml_lines` renders
JSON-like data as block YAML in the style `kubectl get -o yaml` uses, quoting every
string that would not read back as itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./: @+=,()\-*]*$")
_LOOKS_SPECIAL = re.compile(
    r"^(?:[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o?[0-7]+"
    r"|\d{4}-\d\d-\d\d.*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~))$"
)


def literal(text: str) -> str:
    """`text` with control and bidi characters shown as escapes, safe to print on one line."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def scalar(value: Any) -> str:
    """One YAML scalar: plain when it reads back as itself, JSON-quoted otherwise."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    plain = (
        bool(text)
        and _PLAIN_SAFE.match(text) is not None
        and _LOOKS_SPECIAL.match(text) is None
        and not text.endswith((":", " "))
        and ": " not in text
        and " #" not in text
    )
    if plain:
        return text
    return json.dumps(text, ensure_ascii=False)


def yaml_lines(value: Any, indent: int = 0) -> list[str]:
    """Block YAML for JSON-like data, one string per line (no trailing newline)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines: list[str] = []
        for key, item in value.items():
            lines.extend(_entry(pad + scalar(str(key)) + ":", item, indent))
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            inner = yaml_lines(item, indent + 2)
            first = inner[0][indent + 2 :]
            lines.append(pad + "- " + first)
            lines.extend(inner[1:])
        return lines
    return [pad + scalar(value)]


def _entry(head: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, dict) and item:
        return [head, *yaml_lines(item, indent + 2)]
    if isinstance(item, list) and item:
        return [head, *yaml_lines(item, indent)]
    return [head + " " + yaml_lines(item)[0].strip()]


def yaml_text(value: Any) -> str:
    """`yaml_lines` joined, with a final newline."""
    return "\n".join(yaml_lines(value)) + "\n"
