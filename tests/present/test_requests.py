"""One detail build at a time, the latest wanted; stale results are not applied."""

from __future__ import annotations

from meshtui.present.requests import LatestOnly


def test_the_first_request_starts_at_once_and_its_result_is_current() -> None:
    latest: LatestOnly[str] = LatestOnly()
    assert latest.want("a") == "a"
    assert latest.latest == "a"
    assert latest.finished() == (True, None)
    assert latest.running is None and latest.latest is None


def test_requests_made_while_one_runs_replace_each_other_and_its_result_is_stale() -> None:
    latest: LatestOnly[str] = LatestOnly()
    latest.want("row 1")
    for row in range(2, 31):  # a held key
        assert latest.want(f"row {row}") is None, "waits for the running build"
    assert latest.latest == "row 30"
    current, following = latest.finished()
    assert not current, "row 1's result is dropped: row 30 is wanted"
    assert following == "row 30", "only the last request is built next"
    assert latest.finished() == (True, None)


def test_a_failed_build_lets_the_waiting_request_go_on() -> None:
    latest: LatestOnly[str] = LatestOnly()
    latest.want("a")
    latest.want("b")
    assert latest.finished() == (False, "b")  # "a" failed: nothing to show for it
    assert latest.running == "b"
