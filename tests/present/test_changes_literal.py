"""The Changes view and what-if mode show resource text literally: names, labels, values
and file names with escapes, bidi overrides or markup never reach the terminal as such."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings

from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import SourceRef
from meshtui.parse import ContextOptions
from meshtui.present.changes import change_detail, changes_table
from meshtui.present.detail import DetailRequest
from meshtui.present.highlights import Highlights
from meshtui.present.journal import ChangeJob, IndexStore, Journal, effect_of, full_diff
from meshtui.present.navigator import NavState
from meshtui.present.tables import table_for
from meshtui.present.whatif import DraftFiles, WhatIf, header_text, marked, overlay
from meshtui.raw import RawDocument
from meshtui.views import ResourceRow
from tests.builders import evaluation_of
from tests.present.test_views_literal import documents, hostile, opened_fully, strings, unsafe


def origin(file: str, bodies: list[object]) -> OriginUpdate:
    docs = tuple(RawDocument(SourceRef(file, i), body) for i, body in enumerate(bodies, 1))
    return OriginUpdate(f"file:{file}", docs)


def shown(text: str) -> Iterator[object]:
    bodies: list[object] = list(documents(text))
    file = f"/in{text}/mesh{text}.yaml"
    before, _ = Inventory.empty(ContextOptions()).apply([origin(file, bodies[:3])])
    after, diff = before.apply([origin(file, bodies)])
    record = effect_of(ChangeJob(1, "09:30:00", before, after, diff), IndexStore())
    assert record is not None and record.changed, "the hostile change changed proxies"
    journal = Journal().add(record)
    yield changes_table(journal, NavState())
    yield changes_table(journal, NavState(filter=text))
    detail = change_detail(record, mesh="default")
    yield detail
    assert detail.tree is not None
    for node in detail.tree.walk():
        if node.lazy:
            yield change_detail(record, mesh="default", opened=frozenset({node.node_id}))

    files = DraftFiles()
    drafts = files.apply([origin(f"/drafts{text}/d{text}.yaml", bodies[3:])])
    overlaid, drafted = overlay(before, drafts)
    ev = evaluation_of(overlaid)
    changed = {**dict.fromkeys(drafted.added, "added"), **dict.fromkeys(drafted.changed, "changed")}
    whatif = WhatIf(f"drafts{text}/", status=f"watching{text}", drafted=changed)
    compared = full_diff(IndexStore().index_of(before, "default"), ev.index, stopped=lambda: False)
    for state in (whatif, WhatIf(f"d{text}", compared=compared, compared_for=ev, drafted=changed)):
        yield header_text(state, ev)
        for view in ("dataplanes", "policies", "services"):
            table = table_for(
                NavState(mesh="default", view=view), ev, overlaid, (), Highlights(), 0.0, {}
            )
            yield marked(table, state, ev)
            for row in table.rows:
                if isinstance(row.key, ResourceRow):
                    request = DetailRequest(
                        row.key, "tree", frozenset(), ev, overlaid, (), whatif=state
                    )
                    yield opened_fully(request)


@settings(max_examples=15, deadline=None)
@given(hostile)
def test_no_change_or_what_if_view_lets_a_control_character_through(text: str) -> None:
    lines = [s for view in shown(text) for s in strings(view)]
    assert any("\\" in line for line in lines), "escapes are shown, visibly"
    assert not {line: unsafe(line) for line in lines if unsafe(line)}
