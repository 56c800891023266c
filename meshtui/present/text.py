"""Text safety and YAML rendering for the views (pure, no yaml library).

`literal` makes any resource-provided string safe to print on one line: control and
format characters (ANSI and OSC escapes, bidi overrides such as U+202E, zero-width
characters, line separators, lone surrogates) become visible escapes. `yaml_lines`
renders JSON-like data as block YAML in the style `kubectl get -o yaml` uses, quoting
every string a YAML 1.1 reader would not read back as the same string.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
"""Unicode's control (Cc), format (Cf: bidi controls, zero-width characters), surrogate
(Cs) and line/paragraph separator (Zl, Zp) characters: none of them may reach the
terminal as they are."""
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./: @+=,()\-*]*\Z")
_LOOKS_SPECIAL = re.compile(
    r"^(?:[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?0o?[0-7_]+|[-+]?0b[01_]+|[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.[\d_]*)?"
    r"|\d{4}-\d\d-\d\d.*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~))$"
)


def literal(text: str) -> str:
    """`text` with control and format characters shown as escapes (`\\x1b`, `\\u202e`),
    safe to print on one line."""
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
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def scalar(value: Any) -> str:
    """One YAML scalar: plain when it reads back as itself, double-quoted otherwise, and
    safe to print either way."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
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
    # JSON escapes only what is below U+0020; the rest (C1 controls, bidi controls) becomes
    # `\x..` / `\u....`, which a YAML double-quoted scalar reads back as the same character.
    return literal(json.dumps(text, ensure_ascii=False))


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
