"""Shared test helpers."""

from __future__ import annotations

import atexit
import contextlib
import inspect
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from meshtui.sources.decodecache import CACHE_DIR_ENV

# The tests never read or write the user's decode cache: the run gets a fresh directory,
# set on import (before any test reads it) and inherited by every subprocess started.
TEST_CACHE_DIR = tempfile.mkdtemp(prefix="meshtui-test-cache-")
os.environ[CACHE_DIR_ENV] = TEST_CACHE_DIR
atexit.register(shutil.rmtree, TEST_CACHE_DIR, ignore_errors=True)

StackBudget = Callable[[int], AbstractContextManager[None]]


@contextlib.contextmanager
def _stack_budget(frames: int) -> Iterator[None]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@pytest.fixture
def stack_budget() -> StackBudget:
    """`with stack_budget(n):` allows only `n` frames more than the caller already uses, as
    if called deep in someone else's stack (a Textual worker, say)."""
    return _stack_budget
