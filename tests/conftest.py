"""Shared test helpers."""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

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
