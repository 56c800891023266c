"""Go's `slices` sorts reproduced step by step (`engine.gosort`), on vectors Go produced."""

from __future__ import annotations

import pytest

from meshtui.engine.gosort import go_sort, go_stable_sort
from tests.engine.matching_support import GO_VECTORS


def _vector_cmp(a: tuple[int, str, int], b: tuple[int, str, int]) -> int:
    if a[0] == 2 and b[0] == 1:
        return 1
    if a[0] == 1 and b[0] == 2:
        return -1
    return (a[1] < b[1]) - (a[1] > b[1])


@pytest.mark.parametrize(("stable", "items", "expected"), GO_VECTORS)
def test_go_sort_vectors(stable: bool, items: list[tuple[int, str]], expected: list[int]) -> None:
    data = [(cls, name, i) for i, (cls, name) in enumerate(items)]
    ordered = (go_stable_sort if stable else go_sort)(data, _vector_cmp)
    assert [i for _, _, i in ordered] == expected
