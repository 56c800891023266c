"""Failures in words, and what a Retry-After asks for."""

from __future__ import annotations

import email.utils
import time

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from meshtui.sources.kube.errors import describe, retry_after


def test_connect_timeout_is_described_in_words() -> None:
    conn = urllib3.connection.HTTPConnection("10.0.0.1", 6443)
    cause = urllib3.exceptions.ConnectTimeoutError(
        conn, "Connection to 10.0.0.1 timed out. (connect timeout=5)"
    )
    err = urllib3.exceptions.MaxRetryError(None, "/api", cause)  # type: ignore[arg-type]
    assert describe(err) == "Connection to 10.0.0.1 timed out. (connect timeout=5)"
    reset = urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
    )
    wrapped = urllib3.exceptions.MaxRetryError(None, "/api", reset)  # type: ignore[arg-type]
    assert describe(wrapped) == "connection lost: [Errno 104] Connection reset by peer"


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        (None, 0.0, 0.0),
        ("3", 3.0, 3.0),
        ("0.5", 0.5, 0.5),
        ("86400", 60.0, 60.0),  # capped: a day is a server bug, not a plan
        ("-4", 0.0, 0.0),
        ("nan", 0.0, 0.0),
        ("soon", 0.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, 0.0),  # a date in the past: now
        ("+20s", 8.0, 20.0),  # written below as an HTTP date 20 s from now
    ],
)
def test_retry_after_header_forms(header: str | None, low: float, high: float) -> None:
    """Seconds or an HTTP date (RFC 9110 allows both), never negative, at most a minute."""
    if header == "+20s":
        header = email.utils.formatdate(time.time() + 20, usegmt=True)
    err = ApiException(status=429, reason="Too Many Requests")
    err.headers = {} if header is None else {"Retry-After": header}
    assert low <= retry_after(err) <= high
