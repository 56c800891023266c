"""The detail pane: what the selected row shows, built off the UI thread.

A `DetailRequest` carries everything the detail of the selection depends on (the row,
tree or YAML, the sections opened, the evaluation and inventory it is drawn from);
`build_detail` turns it into a `DetailBuilt` in a worker: engine calls such as
`MeshEvaluation.rules` happen there, never on the UI thread. The screen applies a
result only if its request is still the latest one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Inventory
from meshtui.model import Policy, Problem, Resource, SourceRef
from meshtui.parse.labels import role_explanation
from meshtui.present.changes import change_detail
from meshtui.present.crosscheck import CpCheck, with_check
from meshtui.present.dataplane import root_id
from meshtui.present.explaining import MODES, explained_detail
from meshtui.present.journal import Journal
from meshtui.present.nodes import conf_nodes, folded, who
from meshtui.present.proxy import dataplane_view
from meshtui.present.tables import namespace_label, ports_of, row_key, target_summary
from meshtui.present.text import literal, yaml_lines, yaml_text
from meshtui.present.whatif import WhatIf, with_whatif
from meshtui.views import ChangeRow, DetailNode, DetailView, ProblemRow, ResourceRow, RowKey

OPEN_AFFECTED = 50
"""A policy's affected dataplanes start listed when there are at most this many (a
mesh-wide policy of a big mesh affects thousands); past that, they are listed once the
section is opened."""


@dataclass(frozen=True, slots=True, eq=False)
class DetailRequest:
    """What the detail pane is to show, with everything it is built from.

    Compared by identity: the screen keeps the latest one and drops any result built for
    another (`same_as` tells whether a new request would build the same thing).
    """

    key: RowKey | None
    mode: str
    """`tree`, `yaml`, or one of `explaining.MODES`."""
    opened: frozenset[str]
    """Folded sections of this subject the user opened."""
    evaluation: MeshEvaluation | None
    inventory: Inventory
    problems: tuple[Problem, ...]
    """The problems the problems table lists (a `ProblemRow` indexes into them)."""
    previous: DetailView | None = None
    """What the pane shows now for the same subject: nodes that differ are marked."""
    focus: str = ""
    """In the `explain` mode: the rules tree line to explain (``""``: all of it)."""
    other: ResourceRow | None = None
    """In the `why` and `explain` modes: the other half of the pair explained
    (`explaining.counterpart`)."""
    check: CpCheck | None = None
    """How a dataplane's answer compares with the control plane's (cluster mode)."""
    journal: Journal | None = None
    """The changes kept (a `ChangeRow` names one of them)."""
    whatif: WhatIf | None = None
    """In what-if mode, the drafts and the diff against the live state."""

    def same_as(self, other: DetailRequest | None) -> bool:
        """Whether `other` would build the same view from the same data."""
        return (
            other is not None
            and self.key == other.key
            and self.mode == other.mode
            and self.opened == other.opened
            and self.evaluation is other.evaluation
            and self.inventory is other.inventory
            and self.problems == other.problems
            and self.focus == other.focus
            and self.other == other.other
            and self.check == other.check
            and self.whatif is other.whatif
            and (not isinstance(self.key, ChangeRow) or self.journal is other.journal)
        )


@dataclass(frozen=True, slots=True)
class DetailBuilt:
    """A built detail, for the request it answers."""

    request: DetailRequest
    view: DetailView
    changed: frozenset[str]
    """Ids of nodes that are new or read differently than in `request.previous`."""


def build_detail(request: DetailRequest) -> DetailBuilt:
    """The detail `request` asks for, and what changed since the view shown before."""
    view = with_check(detail_for(request), request.check)
    previous = request.previous
    changed = tree_changes(previous, view) if previous is not None else set()
    return DetailBuilt(request, view, frozenset(changed))


def detail_for(request: DetailRequest) -> DetailView:
    """The detail of the selected row: a tree, or its YAML."""
    key = request.key
    if key is None:
        return DetailView(title="", empty_text="nothing selected")
    if isinstance(key, ProblemRow):
        if not 0 <= key.position < len(request.problems):
            return DetailView(title="", empty_text="problem resolved")
        problem = request.problems[key.position]
        document = _document(request.inventory, SourceRef(problem.file, problem.document))
        return problem_detail(problem, document)
    ev = request.evaluation
    if isinstance(key, ChangeRow):
        record = request.journal.find(key.sequence) if request.journal is not None else None
        return change_detail(record, mesh=ev.mesh if ev else "", opened=request.opened)
    if ev is None:
        return DetailView(title="", empty_text="loading…")
    resource = find_resource(ev, key)
    if resource is None:
        return DetailView(title="", empty_text=f"{literal(key.name)} is gone")
    if request.mode == "yaml":
        view = _yaml_detail(resource, request.inventory)
    elif request.mode in MODES:
        view = explained_detail(
            ev, key, request.mode, focus=request.focus, other=request.other, opened=request.opened
        )
    elif key.view == "dataplanes":
        view = dataplane_view(ev, resource.name, request.opened)
    elif key.view == "services":
        view = service_detail(ev, resource, request.opened)
    else:
        policy = ev.index.find_policy(resource.type, resource.name)
        assert policy is not None
        system_namespace = request.inventory.control_plane.system_namespace
        view = policy_detail(ev, policy, system_namespace=system_namespace, opened=request.opened)
    if request.whatif is not None and request.mode == "tree":
        view = with_whatif(view, request.whatif, ev, key)
    if resource.key in request.inventory.stale_keys:
        stale = "STALE: its file is broken; showing the last good version · "
        return replace(view, subtitle=stale + view.subtitle)
    return view


def find_resource(ev: MeshEvaluation, key: ResourceRow) -> Resource | None:
    """The resource a row or a jump target names, in this mesh."""
    if key.view == "dataplanes":
        dp = ev.index.dataplanes.get(key.name)
        return dp.resource if dp is not None else None
    if key.view == "policies":
        policy = ev.index.find_policy(key.type, key.name)
        return policy.resource if policy is not None else None
    return next((r for r in ev.index.services.get(key.type, ()) if r.name == key.name), None)


def _document(inventory: Inventory, source: SourceRef) -> Any:
    for state in inventory.origins.values():
        for doc in state.documents:
            if doc.source == source:
                return doc.body
    return None


def _yaml_detail(resource: Resource, inventory: Inventory) -> DetailView:
    document = inventory.documents_of(resource)
    body = document.body if document is not None else _stored_form(resource)
    where = f" · {literal(str(resource.source))}" if resource.source is not None else ""
    return DetailView(
        title=f"{resource.type} {literal(resource.display_name)}",
        subtitle=f"YAML as read{where} · {literal(namespace_label(resource))}",
        text=yaml_text(body),
        syntax="yaml",
    )


def _stored_form(resource: Resource) -> dict[str, Any]:
    return {
        "type": resource.type,
        "mesh": resource.mesh,
        "name": resource.name,
        "labels": dict(resource.labels),
        "spec": dict(resource.spec),
    }


def policy_detail(
    ev: MeshEvaluation,
    policy: Policy,
    *,
    system_namespace: str,
    opened: frozenset[str] = frozenset(),
) -> DetailView:
    """A policy: its role and why, its targets, the dataplanes it affects."""
    res = policy.resource
    why = role_explanation(res.spec, res.namespace, system_namespace, version=ev.index.version)
    nodes: list[DetailNode] = [
        DetailNode("role", f"Role: {literal(res.role)} — {literal(why)}"),
        DetailNode("target", f"Top-level targetRef: {literal(target_summary(policy))}"),
    ]
    for section, items in (("to", policy.to), ("from", policy.from_), ("rules", policy.rules)):
        for item in items:
            node_id = f"{section}/{item.index}"
            head = f"{section}[{item.index}]"
            if item.target_ref is not None:
                head += f" → {literal(item.target_ref.describe())}"
            nodes.append(DetailNode(node_id, head, conf_nodes(node_id, item.conf)))
    if policy.default is not None:
        nodes.append(DetailNode("default", "default", conf_nodes("default", policy.default)))
    affected = ev.affected(policy)
    label = f"Affects {len(affected)} dataplane(s)"
    if len(affected) <= OPEN_AFFECTED:
        nodes.append(DetailNode("affected", label, _affected_lines(ev, affected)))
    else:
        nodes.append(
            folded("affected", label, lambda: _affected_lines(ev, affected), opened=opened)
        )
    nodes.append(_labels("labels", f"Labels ({len(res.labels)})", res, opened))
    if res.source is not None:
        nodes.append(DetailNode("source", f"Read from {literal(str(res.source))}", style="muted"))
    subtitle = f"{res.type} · {literal(namespace_label(res))} · {literal(res.role)}"
    subtitle += f" · origin {literal(res.origin or '-')}" + (
        f" · zone {literal(res.zone)}" if res.zone else ""
    )
    if res.shadow:
        subtitle += " · shadow (not applied)"
    return DetailView(
        title=f"{res.type} {literal(res.display_name)}",
        subtitle=subtitle,
        tree=DetailNode(root_id(row_key(res)), literal(res.display_name), tuple(nodes)),
    )


def _affected_lines(ev: MeshEvaluation, names: Sequence[str]) -> tuple[DetailNode, ...]:
    return tuple(
        DetailNode(
            f"affected/{name}",
            literal(_dp_label(ev, name)),
            target=ResourceRow("dataplanes", "Dataplane", name),
        )
        for name in names
    )


def _dp_label(ev: MeshEvaluation, name: str) -> str:
    dp = ev.index.dataplanes.get(name)
    if dp is None:
        return name
    return f"{dp.resource.display_name} ({namespace_label(dp.resource)})"


def _labels(node_id: str, label: str, resource: Resource, opened: frozenset[str]) -> DetailNode:
    def lines() -> tuple[DetailNode, ...]:
        return tuple(
            DetailNode(f"{node_id}/{k}", literal(f"{k}: {v}"))
            for k, v in sorted(resource.labels.items())
        )

    return folded(node_id, label, lines, opened=opened)


def service_detail(
    ev: MeshEvaluation, service: Resource, opened: frozenset[str] = frozenset()
) -> DetailView:
    """A service: its ports and labels, and the policies that configure traffic to it."""
    uses = ev.service_uses(service)
    by_type: dict[str, list[DetailNode]] = {}
    for use in uses:
        policy = use.policy
        label = f"← {who(policy.resource)}  to[{use.index}]" + (
            f" :{literal(use.section)}" if use.section else ""
        )
        by_type.setdefault(policy.type, []).append(
            DetailNode(
                f"uses/{policy.type}/{policy.key.name}/{use.index}/{use.section}",
                label,
                target=row_key(policy.resource),
            )
        )
    nodes = [
        DetailNode("ports", f"Ports: {literal(ports_of(service)) or '-'}"),
        DetailNode(
            "uses",
            f"Policies configuring traffic to it  ({len(uses)})",
            tuple(
                DetailNode(f"uses/{kind}", kind, tuple(items)) for kind, items in by_type.items()
            ),
        ),
        _labels("labels", "Labels", service, opened),
    ]
    where = f"{literal(namespace_label(service))} · zone {literal(service.zone or '-')}"
    return DetailView(
        title=f"{service.type} {literal(service.display_name)}",
        subtitle=f"{service.type} · {where}",
        tree=DetailNode(root_id(row_key(service)), literal(service.display_name), tuple(nodes)),
    )


def problem_detail(problem: Problem, document: Any) -> DetailView:
    """One problem: the message in full, where it is, and the document it is about."""
    lines = [literal(problem.message), ""]
    lines.append(f"file      {literal(problem.file) or '-'}")
    if problem.document:
        lines.append(f"document  {problem.document}")
    if problem.path:
        lines.append(f"field     {literal(problem.path)}")
    if problem.resource:
        lines.append(f"resource  {literal(problem.resource)}")
    if document is not None:
        lines += ["", "--- the document as read ---", *(literal(x) for x in yaml_lines(document))]
    title = f"{literal(problem.severity)}: {literal(problem.resource or problem.file or 'input')}"
    return DetailView(
        title=title, subtitle=literal(problem.location()), text="\n".join(lines) + "\n"
    )


def tree_changes(old: DetailView, new: DetailView) -> set[str]:
    """Ids of nodes of `new` that are new or read differently than in `old`.

    Node ids are paths, so the trees are compared parent by parent; a subtree that is
    the very same object in both (see `present.cache`) is skipped, and so are the lines
    of a section that was folded and unbuilt in `old` (opening it changes nothing).
    """
    if new.tree is None or old.tree is None or new.tree.node_id != old.tree.node_id:
        return set()  # another tree (another mode of the subject) is not a change of this one
    changed: set[str] = set()
    _compare(old.tree.children, new.tree.children, changed)
    return changed


def _compare(old: tuple[DetailNode, ...], new: tuple[DetailNode, ...], changed: set[str]) -> None:
    before = {node.node_id: node for node in old}
    for node in new:
        was = before.get(node.node_id)
        if was is node:
            continue
        if was is None:
            changed.update(n.node_id for n in node.walk())
            continue
        if was.label != node.label:
            changed.add(node.node_id)
        if not (was.lazy and not was.children):
            _compare(was.children, node.children, changed)
