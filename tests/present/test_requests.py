"""One detail build at a time, the latest wanted; stale results are not shown."""

from __future__ import annotations

from meshtui.present.detail import DetailRequest, build_detail
from meshtui.present.requests import DetailFeed, LatestOnly
from meshtui.views import ResourceRow
from tests.builders import inventory_of


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


def test_the_detail_feed_builds_what_is_new_and_shows_only_the_latest() -> None:
    inventory = inventory_of({"type": "Mesh", "name": "default"})
    a, b = ResourceRow("dataplanes", "Dataplane", "a"), ResourceRow("dataplanes", "Dataplane", "b")
    feed = DetailFeed()

    def ask(key: ResourceRow, opened: frozenset[str] = frozenset()) -> DetailRequest | None:
        return feed.ask(key, "tree", opened, None, inventory, ())

    first = ask(a)
    assert first is not None and feed.building
    assert ask(a) is None, "the same request is not built twice"
    assert ask(b) is None, "b waits for a's build"
    shown, following = feed.built(build_detail(first))
    assert shown is None, "a's result is stale: b was asked for since"
    assert following is not None and following.key == b
    shown, following = feed.built(build_detail(following))
    assert shown is not None and following is None and not feed.building
    assert not feed.show(shown), "another subject than before (none)"
    assert ask(b) is None, "what is shown is not built again"
    again = ask(b, frozenset({"matched"}))
    assert again is not None and again.previous is shown.view, "an opened section: rebuilt"
    failed, following = feed.failed("EngineBug: no")
    assert failed is not None and following is None
    assert failed.view.title == "could not show b" and "EngineBug: no" in failed.view.text
    assert feed.show(failed), "the same subject"
