"""Go `time.Duration` parsing and printing, as `metav1.Duration` does for Kuma confs.

Kuma stores durations typed, so whatever a user wrote (`90s`, `1.5m`, `3600s`) comes
back from the API in Go's canonical form (`1m30s`, `1m30s`, `1h0m0s`). Integers are
nanoseconds, exactly as in Go.
"""

from __future__ import annotations

from functools import lru_cache

_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63


class DurationError(ValueError):
    """A string that Go's `time.ParseDuration` rejects; the message is Go's."""


def parse_duration(text: str) -> int:
    """Parse like Go's `time.ParseDuration`.

    Args:
        text: A duration such as `300ms`, `-1.5h` or `2h45m`.

    Returns:
        The duration in nanoseconds.

    Raises:
        DurationError: With Go's message, e.g. `time: missing unit in duration "5"`.
    """
    orig = text
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    total = 0
    while s:
        value, s = _parse_component(s, orig)
        total += value
        if total > _MAX:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
    if neg:
        return -total
    if total > _MAX - 1:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    return total


def _parse_component(s: str, orig: str) -> tuple[int, str]:
    """Consume one `[0-9]*(.[0-9]*)?unit` group; return its nanoseconds and the rest."""
    if not (s[0] == "." or (s[0].isascii() and s[0].isdigit())):
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    i = 0
    whole = 0
    while i < len(s) and "0" <= s[i] <= "9":
        whole = whole * 10 + ord(s[i]) - 48
        if whole > _MAX:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
        i += 1
    pre = i > 0
    s = s[i:]
    frac, scale, post = 0, 1.0, False
    if s and s[0] == ".":
        s = s[1:]
        frac, scale, consumed = _leading_fraction(s)
        post = consumed > 0
        s = s[consumed:]
    if not pre and not post:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    i = 0
    while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
        i += 1
    if i == 0:
        raise DurationError(f"time: missing unit in duration {_quote(orig)}")
    unit_text, s = s[:i], s[i:]
    unit = _UNITS.get(unit_text)
    if unit is None:
        raise DurationError(f"time: unknown unit {_quote(unit_text)} in duration {_quote(orig)}")
    if whole > _MAX // unit:
        raise DurationError(f"time: invalid duration {_quote(orig)}")
    value = whole * unit
    if frac > 0:
        value += int(float(frac) * (float(unit) / scale))
        if value > _MAX:
            raise DurationError(f"time: invalid duration {_quote(orig)}")
    return value, s


def _leading_fraction(s: str) -> tuple[int, float, int]:
    """Digits after the point: (value, 10**kept_digits, characters consumed), as Go does."""
    x, scale, overflow, i = 0, 1.0, False, 0
    while i < len(s) and "0" <= s[i] <= "9":
        if not overflow:
            if x > (_MAX - 1) // 10:
                overflow = True
            else:
                y = x * 10 + ord(s[i]) - 48
                if y > _MAX:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, i


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_duration(nanos: int) -> str:
    """Print like Go's `time.Duration.String()`: `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `0s`."""
    if nanos == 0:
        return "0s"
    neg = nanos < 0
    u = -nanos if neg else nanos
    if u < 1_000_000_000:
        if u < 1_000:
            text = f"{u}ns"
        elif u < 1_000_000:
            text = _with_fraction(u, 3) + "\u00b5s"
        else:
            text = _with_fraction(u, 6) + "ms"
    else:
        seconds_text = _with_fraction(u, 9)
        whole_seconds = u // 1_000_000_000
        frac_part = seconds_text[len(str(whole_seconds)) :]
        minutes, seconds = divmod(whole_seconds, 60)
        text = f"{seconds}{frac_part}s"
        if minutes > 0:
            hours, minutes = divmod(minutes, 60)
            text = f"{minutes}m{text}"
            if hours > 0:
                text = f"{hours}h{text}"
    return "-" + text if neg else text


def _with_fraction(value: int, precision: int) -> str:
    """`value / 10**precision` with trailing zeros (and a bare point) removed."""
    whole, frac = divmod(value, 10**precision)
    if frac == 0:
        return str(whole)
    digits = str(frac).rjust(precision, "0").rstrip("0")
    return f"{whole}.{digits}"


@lru_cache(maxsize=8192)
def canonical_duration(text: str) -> str:
    """Parse then print: the form the Kuma API returns for a stored duration (memoised)."""
    return format_duration(parse_duration(text))
