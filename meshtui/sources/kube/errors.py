"""Errors of the cluster source in words: one line per failure for the status bar.

Also which errors are network failures (resume, do not re-list) and what a 429/503
asks the client to wait.
"""

from __future__ import annotations

import email.utils
import json
import math
import time

import urllib3
from kubernetes.client.exceptions import ApiException

NETWORK = urllib3.exceptions.HTTPError
"""A connection lost mid-stream, refused, timed out, reset (urllib3's `MaxRetryError`,
`ProtocolError`, `ReadTimeoutError`, ...): no answer came, so nothing says the kind's
history is gone."""

RETRY_AFTER_CAP = 60.0
"""Longest `Retry-After` honoured (a bigger one is a server bug, not a plan)."""


class BadEvent(Exception):
    """A watch stream line that is not a watch event."""


def one_line(err: BaseException) -> str:
    """`str(err)` on one line, or the exception's type name when it says nothing."""
    return " ".join(str(err).split()) or type(err).__name__


def status_message(body: object) -> str:
    """`message` of a `kind: Status` error body, if it is one."""
    try:
        status = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        return ""
    return str(status.get("message") or "") if isinstance(status, dict) else ""


def describe(err: BaseException) -> str:
    """One line for the status bar."""
    if isinstance(err, BadEvent):
        return str(err)
    if isinstance(err, ApiException):
        head = f"{err.status} {err.reason or ''}".strip()
        message = status_message(err.body)
        return f"{head}: {message}" if message else head
    if isinstance(err, urllib3.exceptions.MaxRetryError):
        cause = err.reason
        if isinstance(cause, urllib3.exceptions.ProtocolError):
            return describe(cause)
        if cause is not None and len(cause.args) > 1 and isinstance(cause.args[-1], str):
            return " ".join(cause.args[-1].split())  # (connection, message): a connect timeout
        reason = one_line(cause) if cause is not None else one_line(err)
        # Drop urllib3's "HTTPConnection(host=..., port=...): " prefix, keep the cause.
        return reason.split(">: ", 1)[-1].split("): ", 1)[-1]
    if isinstance(err, urllib3.exceptions.ReadTimeoutError):
        return "read timed out"
    if isinstance(err, urllib3.exceptions.ProtocolError):
        cause = err.args[-1] if err.args else err  # ("Connection aborted.", ConnectionResetError)
        text = one_line(cause) if isinstance(cause, BaseException) else str(cause)
        return f"connection lost: {text}"
    return f"{type(err).__name__}: {one_line(err)}"


def retry_after(err: ApiException) -> float:
    """The seconds a 429/503 asks the client to wait: its `Retry-After` header (seconds, as
    API Priority and Fairness sends, or an HTTP date, as a proxy in front may), capped at a
    minute; 0 when absent or unreadable."""
    headers = getattr(err, "headers", None) or {}
    value = str(headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value) if value else 0.0
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            seconds = 0.0
    return min(RETRY_AFTER_CAP, max(0.0, seconds)) if math.isfinite(seconds) else 0.0
