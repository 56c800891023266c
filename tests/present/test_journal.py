"""The Changes view's journal: what a live change touched and did to each proxy's merged
rules, the journal's bound, and the incremental indexes checked against plain ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshtui.engine.diff import diff_meshes
from meshtui.engine.index import build_index
from meshtui.inventory import Diff, Inventory, OriginUpdate
from meshtui.parse import ContextOptions
from meshtui.present.changes import NOTHING, change_detail, changes_table
from meshtui.present.journal import (
    JOURNAL_LIMIT,
    ChangeJob,
    ChangeRecord,
    Grouping,
    IndexStore,
    Journal,
    effect_of,
    full_diff,
    mesh_changes,
    pending,
)
from meshtui.present.navigator import NavState
from meshtui.sources.files import FolderSource, parse_text
from meshtui.views import ChangeRow, DetailNode, ResourceRow
from tests.versions import V2_10

SEED = Path(__file__).parents[2] / "sample-cluster" / "producer-consumer"
CONSUMER_TIMEOUT = "first-consumer/consumer-timeout.yaml"
MTP = "kuma-demo/mtp.yaml"


def seed_updates() -> dict[str, OriginUpdate]:
    """The seed scenario's files as origin updates, by path under the folder."""
    source = FolderSource(SEED, watch=False)
    return {u.origin.split("producer-consumer/", 1)[1]: u for u in source.scan()}


def edited(update: OriginUpdate, old: str, new: str) -> OriginUpdate:
    """`update` with its file's text edited."""
    name = update.origin.removeprefix("file:")
    text = Path(name).read_text()
    assert old in text
    contents = parse_text(text.replace(old, new), name)
    return OriginUpdate(update.origin, contents.documents, contents.problems)


def job_of(before: Inventory, *changes: OriginUpdate, sequence: int = 1) -> ChangeJob:
    after, diff = before.apply(changes)
    return ChangeJob(sequence, "09:30:00", before, after, diff)


@pytest.fixture
def without_consumer_timeout() -> Inventory:
    """The seed scenario before the consumer acts."""
    updates = [u for path, u in seed_updates().items() if path != CONSUMER_TIMEOUT]
    inventory, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(updates)
    return inventory


def labels(node: DetailNode) -> list[str]:
    return [n.label for n in node.walk()]


def test_adding_the_consumer_policy_changes_only_first_consumer(
    without_consumer_timeout: Inventory,
) -> None:
    job = job_of(without_consumer_timeout, seed_updates()[CONSUMER_TIMEOUT])
    record = effect_of(job, IndexStore())
    assert record is not None and record.effects is not None
    [touched] = record.touched
    assert (touched.action, touched.label) == (
        "added",
        "MeshTimeout consumer-timeout (first-consumer)",
    )
    assert touched.source.endswith("first-consumer/consumer-timeout.yaml#1")
    assert touched.row == ResourceRow("policies", "MeshTimeout", "consumer-timeout.first-consumer")
    [effect] = record.effects
    assert (effect.mesh, effect.changed, effect.total) == ("default", 1, 4)
    [group] = effect.groups
    assert group.dataplanes == ("consumer.first-consumer",)
    outbound = group.change.rules[0]
    assert (outbound.type, outbound.where) == (
        "MeshTimeout",
        "outbound MeshService kuma-demo/demo-app",
    )
    [field] = outbound.fields
    assert (field.path, field.old, field.new, field.winner) == (
        "http.requestTimeout",
        "1s",
        "3s",
        "consumer-timeout.first-consumer to[0]",
    )

    table = changes_table(Journal().add(record), NavState())
    [row] = table.rows
    assert row.key == ChangeRow(1)
    assert row.cells == (
        "09:30:00",
        "+ MeshTimeout consumer-timeout (first-consumer)",
        "1 of 4",
        "MeshTimeout http.requestTimeout  +2",
        "1s → 3s",
        "consumer-timeout.first-consumer to[0]",
        "default",
    )
    detail = change_detail(record, mesh="default")
    assert detail.tree is not None
    shown = labels(detail.tree)
    assert "dataplane consumer.first-consumer in ns first-consumer" in shown
    assert "MeshTimeout  outbound MeshService kuma-demo/demo-app  (changed)" in shown
    assert "http.requestTimeout: 1s → 3s  (won by consumer-timeout.first-consumer to[0])" in shown
    assert "now applies: MeshTimeout consumer-timeout.first-consumer" in shown
    jumps = {n.target for n in detail.tree.walk() if n.target is not None}
    assert ResourceRow("dataplanes", "Dataplane", "consumer.first-consumer") in jumps
    elsewhere = change_detail(record, mesh="other").tree
    assert elsewhere is not None
    assert all(n.target is None for n in elsewhere.walk()), "another mesh's rows are not here"


def test_a_change_that_changes_no_merged_rule_says_so(without_consumer_timeout: Inventory) -> None:
    mtp = edited(seed_updates()[MTP], "kuma.io/zone: default", "kuma.io/zone: default\n    team: x")
    record = effect_of(job_of(without_consumer_timeout, mtp), IndexStore())
    assert record is not None and record.effects is not None
    assert [t.action for t in record.touched] == ["changed"]
    assert record.changed == 0
    [row] = changes_table(Journal().add(record), NavState()).rows
    assert row.cells[2:4] == ("0 of 4", NOTHING)
    assert row.style == "muted"
    detail = change_detail(record, mesh="default")
    assert detail.tree is not None
    assert NOTHING in labels(detail.tree)
    assert NOTHING in detail.subtitle


def test_a_file_saved_unchanged_is_no_change_and_a_broken_one_is(
    without_consumer_timeout: Inventory,
) -> None:
    mtp = seed_updates()[MTP]
    assert effect_of(job_of(without_consumer_timeout, mtp), IndexStore()) is None
    broken = edited(mtp, "action: Allow", "action: [Allow")
    job = job_of(without_consumer_timeout, broken)
    assert job.diff.empty, "the last good version stays"
    record = effect_of(job, IndexStore())
    assert record is not None
    assert record.touched == () and record.effects == ()
    assert [p[:2] for p in record.problems] == ["+ "]
    assert "mtp.yaml" in record.problems[0]
    [row] = changes_table(Journal().add(record), NavState()).rows
    assert row.cells[1] == "no resource changed"
    assert row.cells[3] == f"{NOTHING}; 1 problem line(s)"


def test_the_effect_is_computed_in_the_worker_and_pending_until_then(
    without_consumer_timeout: Inventory,
) -> None:
    job = job_of(without_consumer_timeout, seed_updates()[CONSUMER_TIMEOUT])
    journal = Journal().add(pending(job))
    [row] = changes_table(journal, NavState()).rows
    assert row.cells[2:4] == ("…", "computing…")
    record = effect_of(job, IndexStore())
    assert record is not None
    completed = journal.replaced(record)
    assert completed.find(1) is record
    assert completed.seen == 1


def test_the_journal_keeps_the_newest_changes_only() -> None:
    journal = Journal()
    for sequence in range(1, JOURNAL_LIMIT + 6):
        journal = journal.add(ChangeRecord(sequence, "09:30:00", (), 0, effects=()))
    assert len(journal.records) == JOURNAL_LIMIT
    assert journal.seen == JOURNAL_LIMIT + 5
    assert [r.sequence for r in journal.records[:2]] == [JOURNAL_LIMIT + 5, JOURNAL_LIMIT + 4]
    assert journal.find(5) is None and journal.find(6) is not None
    late = ChangeRecord(3, "09:30:00", (), 0, effects=())
    assert journal.replaced(late) is journal, "a dropped change stays dropped"
    assert journal.dropped(5) and not journal.dropped(6) and not journal.dropped(JOURNAL_LIMIT + 6)
    assert not Journal().dropped(1)
    table = changes_table(journal, NavState())
    assert (
        table.title
        == f"Changes · the last {JOURNAL_LIMIT} of {JOURNAL_LIMIT + 5} ({JOURNAL_LIMIT})"
    )
    assert [row.key for row in changes_table(journal, NavState(filter="nothing at all")).rows] == []


def test_chained_indexes_give_the_diffs_plain_indexes_give(
    without_consumer_timeout: Inventory,
) -> None:
    """The store builds each index from the one before it (the engine carries over what
    did not change); every diff it gives must be the one fresh indexes give."""
    updates = seed_updates()
    producer = "kuma-demo/producer-timeout.yaml"
    steps = [
        (updates[CONSUMER_TIMEOUT],),
        (edited(updates[producer], "requestTimeout: 1s", "requestTimeout: 2s"),),
        (OriginUpdate(updates[MTP].origin, None),),
        (edited(updates[CONSUMER_TIMEOUT], "requestTimeout: 3s", "requestTimeout: 4s"),),
        (updates[MTP], OriginUpdate(updates[producer].origin, None)),
    ]
    store = IndexStore()
    inventory = without_consumer_timeout
    for sequence, step in enumerate(steps, 1):
        job = job_of(inventory, *step, sequence=sequence)
        assert not job.diff.empty
        chained = full_diff(
            store.index_of(job.before, "default"),
            store.index_of(job.after, "default"),
            stopped=lambda: False,
        )
        plain = diff_meshes(
            build_index(job.before.resources, "default", version=V2_10),
            build_index(job.after.resources, "default", version=V2_10),
        )
        assert chained == plain
        assert effect_of(job, store) == effect_of(job, IndexStore())
        inventory = job.after


def test_a_change_of_another_mesh_is_computed_for_that_mesh_only() -> None:
    docs = """type: Mesh
name: {mesh}
---
type: Dataplane
mesh: {mesh}
name: dp
networking:
  address: 10.0.0.1
  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]
"""

    def update(origin: str, text: str) -> OriginUpdate:
        contents = parse_text(text, origin)
        return OriginUpdate(f"file:{origin}", contents.documents, contents.problems)

    before, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [update("a.yaml", docs.format(mesh="a")), update("b.yaml", docs.format(mesh="b"))]
    )
    timeout = """type: MeshTimeout
mesh: b
name: t
spec:
  targetRef: {kind: Mesh}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 5s}}]
"""
    job = job_of(before, update("t.yaml", timeout))
    record = effect_of(job, IndexStore())
    assert record is not None and record.effects is not None
    assert [e.mesh for e in record.effects] == ["b"]
    assert record.changed == 1
    assert job.diff != Diff()


SHOP = Path(__file__).parents[2] / "sample-cluster" / "shop"
GLOBAL_DEFAULTS = "kuma-system/global-default-policies.yaml"


@pytest.fixture
def shop() -> tuple[Inventory, OriginUpdate]:
    """The shop sample, and the update that deletes its global default policies (a change
    that reaches every proxy)."""
    updates = FolderSource(SHOP, watch=False).scan()
    inventory, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(updates)
    [defaults] = [u for u in updates if u.origin.endswith(GLOBAL_DEFAULTS)]
    return inventory, OriginUpdate(defaults.origin, None)


def test_batches_give_the_diff_one_pass_gives(shop: tuple[Inventory, OriginUpdate]) -> None:
    inventory, removal = shop
    job = job_of(inventory, removal)
    before = build_index(job.before.resources, "shop", version=V2_10)
    after = build_index(job.after.resources, "shop", version=V2_10)
    plain = diff_meshes(before, after)
    assert len(plain.changes) >= 4, "the change reaches several proxies"
    for batch in (1, 2, 3, 250):
        assert full_diff(before, after, stopped=lambda: False, batch=batch) == plain
    assert [done for done, _ in mesh_changes(before, after, batch=2)] == [
        *range(2, plain.total, 2),
        plain.total,
    ]
    assert full_diff(before, after, stopped=lambda: False) == plain, "batches sized by time"


def test_a_computation_stops_between_batches_when_asked(
    shop: tuple[Inventory, OriginUpdate],
) -> None:
    inventory, removal = shop
    job = job_of(inventory, removal)
    store = IndexStore()
    before, after = store.index_of(job.before, "shop"), store.index_of(job.after, "shop")
    asked: list[int] = []

    def stopped() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert full_diff(before, after, stopped=stopped, batch=2) is None
    assert len(asked) == 2, "it stopped at the second batch"
    assert effect_of(job, store, stopped=lambda: True) is None
    said: list[str] = []
    record = effect_of(job, store, progress=said.append, batch=2)
    assert record is not None and record.changed >= 4
    total = record.effects[0].total if record.effects else 0
    assert said == [
        f"{done} of {total} dataplanes compared (mesh shop)" for done in range(2, total, 2)
    ]
    assert record == effect_of(job, store), "the batches do not change the record"


def test_a_change_keeps_a_bounded_number_of_distinct_changes(
    shop: tuple[Inventory, OriginUpdate],
) -> None:
    inventory, removal = shop
    job = job_of(inventory, removal)
    plain = diff_meshes(
        build_index(job.before.resources, "shop", version=V2_10),
        build_index(job.after.resources, "shop", version=V2_10),
    )
    distinct = len({c.signature() for c in plain.changes})
    assert distinct >= 3
    grouping = Grouping(limit=2)
    for change in plain.changes:
        grouping.add(change)
    kept = grouping.kept()
    assert len(kept) == 2
    assert grouping.changed == len(plain.changes)
    assert grouping.unlisted == len(plain.changes) - sum(len(g.dataplanes) for g in kept)
    assert grouping.unlisted > 0
