"""Bulk work with Python's cyclic garbage collector paused.

Building an index or every dataplane's rules makes hundreds of thousands of
long-lived objects and no garbage cycles. Left to the collector, each full collection
on the way walks every object made so far (and every object the snapshot before
holds): on a big mesh that is most of the time spent. `collector_paused` turns
automatic collection off for the block and back on afterwards; nothing is collected
that would not be, only later.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_state = [0, False]
"""[blocks running with the collector paused (any thread), whether it was on when the
first of them began]."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection while the block runs.

    Counted across threads: the collector resumes when the last such block ends, if it
    was on when the first began.
    """
    with _LOCK:
        if _state[0] == 0:
            _state[1] = gc.isenabled()
            gc.disable()
        _state[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _state[0] -= 1
            if _state[0] == 0 and _state[1]:
                gc.enable()
