"""Backoff: doubling, jittered, capped."""

from __future__ import annotations

from meshtui.sources.kube import KubeTuning


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    tuning = KubeTuning(backoff_start=0.5, backoff_cap=30.0)
    for attempt in range(1, 40):
        base = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [tuning.backoff(attempt) for _ in range(200)]
        assert all(0.75 * base <= d <= min(30.0, 1.25 * base) for d in delays)
        assert len(set(delays)) > 1, "jittered"
    assert max(tuning.backoff(1000) for _ in range(200)) <= 30.0
