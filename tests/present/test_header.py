"""The header's per-kind states: named when few, counted when many share one."""

from __future__ import annotations

import time

from meshtui.present import kind_states


def test_a_few_troubled_kinds_are_named_and_live_ones_are_not_shown() -> None:
    states = kind_states(
        {
            "MeshRetry": ("forbidden", 0.0),
            "MeshTrace": ("not installed", 0.0),
            "Dataplane": ("live", 0.0),
        }
    )
    assert states == (("MeshRetry", "forbidden"), ("MeshTrace", "not installed"))


def test_many_kinds_sharing_a_state_are_counted_with_the_earliest_time() -> None:
    early = time.mktime((2026, 11, 22, 9, 30, 0, 0, 0, -1))
    kinds = {f"Kind{i}": ("reconnecting", early + i) for i in range(23)}
    assert kind_states(kinds) == (("23 kinds", "reconnecting since 09:30:00"),)
