"""The Changes view (`4`, `:changes`): the journal as a table, newest first, and the
detail of one change (pure, headless).

A row says when the change came, which resources it touched, and how many proxies' merged
rules it changed, with the first changed field. Its detail lists the resources, then per
mesh each group of proxies with an identical change, every changed rule with its fields
old → new and the entry that now wins. A change that changed no merged rule says so.
Everything drawn here was computed in a worker (`journal.effect_of`).
"""

from __future__ import annotations

from meshtui.engine.diff import DataplaneChange
from meshtui.present.diff import SHOWN_NAMES, field_text, rule_heading, value_text
from meshtui.present.journal import (
    GROUPS_KEPT,
    JOURNAL_LIMIT,
    ChangeRecord,
    EffectGroup,
    Journal,
    MeshEffect,
    summary,
)
from meshtui.present.navigator import NavState
from meshtui.present.nodes import folded
from meshtui.present.tables import matches_filter
from meshtui.present.text import literal
from meshtui.views import ChangeRow, DetailNode, DetailView, ResourceRow, Row, TableView

COLUMNS = ("WHEN", "RESOURCES", "DATAPLANES", "FIRST CHANGE", "OLD → NEW", "WON BY", "MESH")
"""What a change is about first, what it did next; the winner and the mesh last (the
detail has them too): at 160 columns the first five fit beside the side lists."""

OPEN_GROUPS = 8
"""A change's groups of proxies start open when there are at most this many."""

OPEN_NAMES = 20
"""A group lists its proxies open when there are at most this many."""

NOTHING = "no merged rule changed"


def changes_table(journal: Journal, state: NavState) -> TableView:
    """Every change kept, newest first; filtered by `/` like the other lists."""
    rows = [_row(record) for record in journal.records]
    kept = tuple(r for r in rows if matches_filter(r.cells, state.filter))
    total = len(rows)
    title = "Changes"
    if journal.seen > total:
        title += f" · the last {JOURNAL_LIMIT} of {journal.seen}"
    heading = f"{title} ({len(kept)}/{total})" if state.filter else f"{title} ({total})"
    empty = "no change since start: edits of the files (or the cluster) are listed here"
    if state.filter:
        heading += f"  /{literal(state.filter)}"
        if not kept:
            empty = f"nothing matches /{literal(state.filter)}"
    return TableView("changes", heading, COLUMNS, kept, empty)


def _row(record: ChangeRecord) -> Row:
    effects = record.effects
    meshes = ", ".join(literal(e.mesh) for e in effects or ()) or "-"
    if record.failed:
        dataplanes, effect, style = "?", (f"could not compute: {record.failed}", "", ""), "error"
    elif effects is None:
        dataplanes, effect, style = "…", (record.progress or "computing…", "", ""), "muted"
    else:
        total = sum(e.total for e in effects)
        dataplanes = f"{record.changed:,} of {total:,}" if total else "0"
        effect = first_change(record)
        style = "" if any(not e.empty for e in effects) else "muted"
    cells = (
        record.when,
        summary(record.touched, record.touched_count),
        dataplanes,
        *effect,
        meshes,
    )
    return Row(ChangeRow(record.sequence), cells, style)


def first_change(record: ChangeRecord) -> tuple[str, str, str]:
    """The first thing a change did to a proxy (what, old → new, won by)."""
    for effect in record.effects or ():
        for group in effect.groups:
            return change_cells(group.change)
        if not effect.empty:
            return "dataplanes added, removed, or roles changed", "", ""
    problems = f"; {len(record.problems)} problem line(s)" if record.problems else ""
    return NOTHING + problems, "", ""


def change_cells(change: DataplaneChange) -> tuple[str, str, str]:
    """(`MeshTimeout http.requestTimeout  +2` (2 more changes), `1s → 3s`, the winner)."""
    fields = [(rule, f) for rule in change.rules for f in rule.fields]
    more = len(fields) - 1 + len(change.started) + len(change.stopped)
    if fields:
        rule, first = fields[0]
        what = f"{rule.type} {literal(first.path) or '(conf)'}"
        values = f"{value_text(first.old)} → {value_text(first.new)}"
        winner = literal(first.winner) if first.new is not None else ""
    elif change.started:
        what, values, winner = f"now applies: {literal(change.started[0])}", "", ""
    elif change.stopped:
        what, values, winner = f"no longer applies: {literal(change.stopped[0])}", "", ""
    else:
        what, values, winner = f"{change.rules[0].type} {change.rules[0].change}", "", ""
        more = len(change.rules) - 1
    return what + (f"  +{more}" if more > 0 else ""), values, winner


# ---------------------------------------------------------------------- the detail


def change_detail(
    record: ChangeRecord | None, *, mesh: str, opened: frozenset[str] = frozenset()
) -> DetailView:
    """One change: what it touched, and what it did to each proxy's merged rules.

    Args:
        mesh: The mesh shown: its proxies (and the resources touched) can be jumped to.
        opened: Folded sections the user opened.
    """
    if record is None:
        return DetailView(title="", empty_text="this change is no longer kept")
    root = f"root:change/{record.sequence}"
    nodes = [_touched_node(record, mesh)]
    if record.problems:
        nodes.append(
            DetailNode(
                "problems",
                f"Problems  ({len(record.problems)})",
                tuple(
                    DetailNode(f"problems/{i}", line, style="warning")
                    for i, line in enumerate(record.problems)
                ),
            )
        )
    nodes.extend(_effect_nodes(record, mesh, opened))
    return DetailView(
        title=summary(record.touched, record.touched_count),
        subtitle=f"change at {record.when} · {_effect_line(record)}",
        tree=DetailNode(root, f"change at {record.when}", tuple(nodes)),
    )


def _effect_line(record: ChangeRecord) -> str:
    if record.failed:
        return "its effect could not be computed"
    if record.effects is None:
        return f"computing its effect… {record.progress}".rstrip()
    parts = [
        f"mesh {literal(e.mesh)}: {e.changed:,} of {e.total:,} dataplane(s) change"
        for e in record.effects
        if not e.empty
    ]
    return " · ".join(parts) or NOTHING


def _touched_node(record: ChangeRecord, mesh: str) -> DetailNode:
    lines = []
    for i, touched in enumerate(record.touched):
        text = f"{touched.action}  {touched.label}"
        if touched.source:
            text += f"  · {touched.source}"
        target = touched.row if touched.key.mesh == mesh else None
        lines.append(DetailNode(f"touched/{i}", text, target=target))
    if record.touched_count > len(record.touched):
        more = record.touched_count - len(record.touched)
        lines.append(DetailNode("touched/more", f"(+{more} more)", style="muted"))
    label = f"Resources  ({record.touched_count})"
    return DetailNode("touched", label, tuple(lines))


def _effect_nodes(record: ChangeRecord, mesh: str, opened: frozenset[str]) -> list[DetailNode]:
    if record.failed:
        return [DetailNode("failed", f"could not compute: {record.failed}", style="error")]
    if record.effects is None:
        return [DetailNode("computing", "computing what it changed…", style="muted")]
    if all(e.empty for e in record.effects):
        return [DetailNode("nothing", NOTHING, style="muted")]
    return [_mesh_node(e, mesh, opened) for e in record.effects]


def _mesh_node(effect: MeshEffect, mesh: str, opened: frozenset[str]) -> DetailNode:
    node_id = f"mesh/{effect.mesh}"
    lines: list[DetailNode] = []
    lines += [
        DetailNode(f"{node_id}/+{n}", f"+ dataplane {literal(n)} (new)") for n in effect.added
    ]
    lines += [
        DetailNode(f"{node_id}/-{n}", f"- dataplane {literal(n)} (removed)") for n in effect.removed
    ]
    lines += [
        DetailNode(f"{node_id}/role/{p}", f"role of {literal(p)}: {literal(old)} → {literal(new)}")
        for p, old, new in effect.role_changes
    ]
    targets = effect.mesh == mesh
    many = len(effect.groups) > OPEN_GROUPS
    for i, group in enumerate(effect.groups):
        lines.append(_group_node(f"{node_id}/g{i}", group, targets, opened, folded_=many))
    if effect.unlisted:
        lines.append(
            DetailNode(
                f"{node_id}/unlisted",
                f"(+{effect.unlisted} dataplane(s) changed otherwise: only the first"
                f" {GROUPS_KEPT} distinct changes are kept)",
                style="muted",
            )
        )
    if not effect.changed:
        lines.append(DetailNode(f"{node_id}/nothing", NOTHING, style="muted"))
    label = (
        f"mesh {literal(effect.mesh)}: {effect.changed:,} of {effect.total:,} dataplane(s) change"
    )
    return DetailNode(node_id, label, tuple(lines))


def _group_node(
    node_id: str, group: EffectGroup, targets: bool, opened: frozenset[str], *, folded_: bool
) -> DetailNode:
    names = group.dataplanes
    target = _dataplane(names[0]) if targets and len(names) == 1 else None

    def lines() -> tuple[DetailNode, ...]:
        out = list(rule_nodes(node_id, group.change))
        if len(names) > 1:
            out.append(_names_node(f"{node_id}/dps", names, targets, opened))
        return tuple(out)

    if folded_:
        return folded(node_id, _group_heading(group), lines, opened=opened, target=target)
    return DetailNode(node_id, _group_heading(group), lines(), target=target)


def _names_node(
    node_id: str, names: tuple[str, ...], targets: bool, opened: frozenset[str]
) -> DetailNode:
    def lines() -> tuple[DetailNode, ...]:
        return tuple(
            DetailNode(
                f"{node_id}/{name}", literal(name), target=_dataplane(name) if targets else None
            )
            for name in names
        )

    label = f"Dataplanes  ({len(names)})"
    if len(names) <= OPEN_NAMES:
        return DetailNode(node_id, label, lines())
    return folded(node_id, label, lines, opened=opened)


def _group_heading(group: EffectGroup) -> str:
    names = [literal(n) for n in group.dataplanes]
    where = ""
    if group.namespaces != ("",):
        where = f" in ns {', '.join(literal(n) for n in group.namespaces)}"
    if len(names) == 1:
        return f"dataplane {names[0]}{where}"
    listed = ", ".join(names[:SHOWN_NAMES])
    if len(names) > SHOWN_NAMES:
        listed += f" (+{len(names) - SHOWN_NAMES} more)"
    return f"{len(names)} dataplanes{where}: {listed}"


def rule_nodes(node_id: str, change: DataplaneChange) -> tuple[DetailNode, ...]:
    """A proxy's changed rules (each with its fields old → new and the entry that now
    wins), then the policies that start or stop applying to it."""
    style = {"added": "added", "removed": "removed", "changed": "changed"}
    out = [
        DetailNode(
            f"{node_id}/r{i}",
            rule_heading(rule),
            tuple(
                DetailNode(f"{node_id}/r{i}/f{j}", field_text(f)) for j, f in enumerate(rule.fields)
            ),
            style=style.get(rule.change, ""),
        )
        for i, rule in enumerate(change.rules)
    ]
    out += [
        DetailNode(f"{node_id}/now/{p}", f"now applies: {literal(p)}", style="added")
        for p in change.started
    ]
    out += [
        DetailNode(f"{node_id}/not/{p}", f"no longer applies: {literal(p)}", style="removed")
        for p in change.stopped
    ]
    return tuple(out)


def _dataplane(name: str) -> ResourceRow:
    return ResourceRow("dataplanes", "Dataplane", name)
