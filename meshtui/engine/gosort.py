"""Go's `slices.SortFunc` and `slices.SortStableFunc`, step by step.

A port of Go's `zsortanyfunc.go` (pdqsort with insertion sort up to 12 elements; the stable
sort's insertion-sorted blocks of 20 and SymMerge), kept structurally identical so that
equal elements and comparators that are not transitive come out in the order Kuma's binary
produces for the same input order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def go_sort(items: Sequence[T], cmp: Callable[[T, T], int]) -> list[T]:
    """Go's `slices.SortFunc` step by step (pdqsort; insertion sort up to 12 elements).

    Exact, so that full ties and the non-transitive Dataplane refinement come out in
    the order Kuma's binary produces for the same input order.
    """
    out = list(items)
    if len(out) > 1:
        _pdqsort(out, 0, len(out), len(out).bit_length(), cmp)
    return out


def go_stable_sort(items: Sequence[T], cmp: Callable[[T, T], int]) -> list[T]:
    """Go's `slices.SortStableFunc` step by step: insertion sort in blocks of 20, then SymMerge."""
    data = list(items)
    n = len(data)
    block = 20
    a, b = 0, block
    while b <= n:
        _insertion_sort(data, a, b, cmp)
        a, b = b, b + block
    _insertion_sort(data, a, n, cmp)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            _sym_merge(data, a, a + block, b, cmp)
            a, b = b, b + 2 * block
        if a + block < n:
            _sym_merge(data, a, a + block, n, cmp)
        block *= 2
    return data


# -- a port of Go's `slices` sort (zsortanyfunc.go), kept structurally identical ------

_INCREASING, _DECREASING, _UNKNOWN = 1, 2, 0
_MASK64 = (1 << 64) - 1
_XORSHIFT = (17, 5)
"""`xorshift.Next` is `x ^= x << 13; x ^= x >> 17; x ^= x << 5` in Go's sort and slices."""


def _insertion_sort(data: list[T], a: int, b: int, cmp: Callable[[T, T], int]) -> None:
    for i in range(a + 1, b):
        j = i
        while j > a and cmp(data[j], data[j - 1]) < 0:
            data[j], data[j - 1] = data[j - 1], data[j]
            j -= 1


def _sift_down(data: list[T], lo: int, hi: int, first: int, cmp: Callable[[T, T], int]) -> None:
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            return
        if child + 1 < hi and cmp(data[first + child], data[first + child + 1]) < 0:
            child += 1
        if not cmp(data[first + root], data[first + child]) < 0:
            return
        data[first + root], data[first + child] = data[first + child], data[first + root]
        root = child


def _heap_sort(data: list[T], a: int, b: int, cmp: Callable[[T, T], int]) -> None:
    first, lo, hi = a, 0, b - a
    for i in range((hi - 1) // 2, -1, -1):
        _sift_down(data, i, hi, first, cmp)
    for i in range(hi - 1, -1, -1):
        data[first], data[first + i] = data[first + i], data[first]
        _sift_down(data, lo, i, first, cmp)


def _pdqsort(data: list[T], a: int, b: int, limit: int, cmp: Callable[[T, T], int]) -> None:
    was_balanced = True
    was_partitioned = True
    while True:
        length = b - a
        if length <= 12:
            _insertion_sort(data, a, b, cmp)
            return
        if limit == 0:
            _heap_sort(data, a, b, cmp)
            return
        if not was_balanced:
            _break_patterns(data, a, b)
            limit -= 1
        pivot, hint = _choose_pivot(data, a, b, cmp)
        if hint == _DECREASING:
            _reverse_range(data, a, b)
            pivot = (b - 1) - (pivot - a)
            hint = _INCREASING
        if (
            was_balanced
            and was_partitioned
            and hint == _INCREASING
            and _partial_insertion_sort(data, a, b, cmp)
        ):
            return
        if a > 0 and not cmp(data[a - 1], data[pivot]) < 0:
            a = _partition_equal(data, a, b, pivot, cmp)
            continue
        mid, already = _partition(data, a, b, pivot, cmp)
        was_partitioned = already
        left, right = mid - a, b - mid
        threshold = length // 8
        if left < right:
            was_balanced = left >= threshold
            _pdqsort(data, a, mid, limit, cmp)
            a = mid + 1
        else:
            was_balanced = right >= threshold
            _pdqsort(data, mid + 1, b, limit, cmp)
            b = mid


def _partition(
    data: list[T], a: int, b: int, pivot: int, cmp: Callable[[T, T], int]
) -> tuple[int, bool]:
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1
    while i <= j and cmp(data[i], data[a]) < 0:
        i += 1
    while i <= j and not cmp(data[j], data[a]) < 0:
        j -= 1
    if i > j:
        data[j], data[a] = data[a], data[j]
        return j, True
    data[i], data[j] = data[j], data[i]
    i += 1
    j -= 1
    while True:
        while i <= j and cmp(data[i], data[a]) < 0:
            i += 1
        while i <= j and not cmp(data[j], data[a]) < 0:
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    data[j], data[a] = data[a], data[j]
    return j, False


def _partition_equal(data: list[T], a: int, b: int, pivot: int, cmp: Callable[[T, T], int]) -> int:
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1
    while True:
        while i <= j and not cmp(data[a], data[i]) < 0:
            i += 1
        while i <= j and cmp(data[a], data[j]) < 0:
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    return i


def _partial_insertion_sort(data: list[T], a: int, b: int, cmp: Callable[[T, T], int]) -> bool:
    max_steps, shortest_shifting = 5, 50
    i = a + 1
    for _ in range(max_steps):
        while i < b and not cmp(data[i], data[i - 1]) < 0:
            i += 1
        if i == b:
            return True
        if b - a < shortest_shifting:
            return False
        data[i], data[i - 1] = data[i - 1], data[i]
        if i - a >= 2:
            for j in range(i - 1, 0, -1):
                if not cmp(data[j], data[j - 1]) < 0:
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
        if b - i >= 2:
            for j in range(i + 1, b):
                if not cmp(data[j], data[j - 1]) < 0:
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
    return False


def _break_patterns(data: list[T], a: int, b: int) -> None:
    length = b - a
    if length < 8:
        return
    random = length
    modulus = 1 << length.bit_length()
    for idx in range(a + (length // 4) * 2 - 1, a + (length // 4) * 2 + 2):
        random ^= (random << 13) & _MASK64
        random ^= random >> _XORSHIFT[0]
        random ^= (random << _XORSHIFT[1]) & _MASK64
        other = random & (modulus - 1)
        if other >= length:
            other -= length
        data[idx], data[a + other] = data[a + other], data[idx]


def _choose_pivot(data: list[T], a: int, b: int, cmp: Callable[[T, T], int]) -> tuple[int, int]:
    length = b - a
    swaps = [0]
    i = a + length // 4 * 1
    j = a + length // 4 * 2
    k = a + length // 4 * 3
    if length >= 8:
        if length >= 50:
            i = _median(data, i - 1, i, i + 1, swaps, cmp)
            j = _median(data, j - 1, j, j + 1, swaps, cmp)
            k = _median(data, k - 1, k, k + 1, swaps, cmp)
        j = _median(data, i, j, k, swaps, cmp)
    if swaps[0] == 0:
        return j, _INCREASING
    if swaps[0] == 12:
        return j, _DECREASING
    return j, _UNKNOWN


def _order2(
    data: list[T], a: int, b: int, swaps: list[int], cmp: Callable[[T, T], int]
) -> tuple[int, int]:
    if cmp(data[b], data[a]) < 0:
        swaps[0] += 1
        return b, a
    return a, b


def _median(
    data: list[T], a: int, b: int, c: int, swaps: list[int], cmp: Callable[[T, T], int]
) -> int:
    a, b = _order2(data, a, b, swaps, cmp)
    b, c = _order2(data, b, c, swaps, cmp)
    a, b = _order2(data, a, b, swaps, cmp)
    return b


def _reverse_range(data: list[T], a: int, b: int) -> None:
    i, j = a, b - 1
    while i < j:
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1


def _swap_range(data: list[T], a: int, b: int, n: int) -> None:
    for i in range(n):
        data[a + i], data[b + i] = data[b + i], data[a + i]


def _sym_merge(data: list[T], a: int, m: int, b: int, cmp: Callable[[T, T], int]) -> None:
    if m - a == 1:
        i, j = m, b
        while i < j:
            h = (i + j) >> 1
            if cmp(data[h], data[a]) < 0:
                i = h + 1
            else:
                j = h
        for k in range(a, i - 1):
            data[k], data[k + 1] = data[k + 1], data[k]
        return
    if b - m == 1:
        i, j = a, m
        while i < j:
            h = (i + j) >> 1
            if not cmp(data[m], data[h]) < 0:
                i = h + 1
            else:
                j = h
        for k in range(m, i, -1):
            data[k], data[k - 1] = data[k - 1], data[k]
        return
    mid = (a + b) >> 1
    n = mid + m
    if m > mid:
        start, r = n - b, mid
    else:
        start, r = a, m
    p = n - 1
    while start < r:
        c = (start + r) >> 1
        if not cmp(data[p - c], data[c]) < 0:
            start = c + 1
        else:
            r = c
    end = n - start
    if start < m < end:
        _rotate(data, start, m, end)
    if a < start < mid:
        _sym_merge(data, a, start, mid, cmp)
    if mid < end < b:
        _sym_merge(data, mid, end, b, cmp)


def _rotate(data: list[T], a: int, m: int, b: int) -> None:
    i, j = m - a, b - m
    while i != j:
        if i > j:
            _swap_range(data, m - i, m, j)
            i -= j
        else:
            _swap_range(data, m - i, m + j - i, i)
            j -= i
    _swap_range(data, m - i, m, i)
