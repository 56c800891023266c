"""Which table and which detail the current `UIState` asks for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Inventory
from meshtui.model import Resource, ResourceKey, SourceRef
from meshtui.present.detail import dataplane_detail, policy_detail, problem_detail, service_detail
from meshtui.present.state import Highlights, UIState
from meshtui.present.tables import (
    dataplanes_table,
    namespace_label,
    policies_table,
    problems_table,
    services_table,
    source_root,
)
from meshtui.present.text import literal, yaml_text
from meshtui.views import DetailView, TableView, TreeNode


def table_for(
    ui: UIState,
    ev: MeshEvaluation | None,
    inventory: Inventory,
    highlights: Highlights,
    now: float,
    affected: Mapping[ResourceKey, int],
) -> TableView:
    """The central table for the current view."""
    stale = inventory.stale_keys
    if ui.view == "policies":
        return policies_table(ev, ui, highlights, now, stale, affected)
    if ui.view == "services":
        return services_table(
            ev, ui, highlights, now, stale, lambda r: len(ev.service_uses(r)) if ev else 0
        )
    if ui.view == "problems":
        files = inventory.origins
        return problems_table(inventory.problems, ui, source_root(files) if files else "")
    return dataplanes_table(ev, ui, highlights, now, stale)


def find_resource(ev: MeshEvaluation, key: str) -> Resource | None:
    """The resource a row key or jump target names, in this mesh."""
    kind, _, rest = key.partition(":")
    if kind == "dataplane":
        dp = ev.index.dataplanes.get(rest)
        return dp.resource if dp is not None else None
    type_, _, name = rest.partition("/")
    if kind == "policy":
        policy = ev.index.find_policy(type_, name)
        return policy.resource if policy is not None else None
    if kind == "service":
        return next((r for r in ev.index.services.get(type_, ()) if r.name == name), None)
    return None


def detail_for(ui: UIState, ev: MeshEvaluation | None, inventory: Inventory) -> DetailView:
    """The detail of the selected row: a tree, or its YAML."""
    key = ui.selected_key
    if not key:
        return DetailView(title="", empty_text="nothing selected")
    kind, _, rest = key.partition(":")
    if kind == "problem":
        index = int(rest) if rest.isdigit() else -1
        if not 0 <= index < len(inventory.problems):
            return DetailView(title="", empty_text="problem resolved")
        problem = inventory.problems[index]
        return problem_detail(
            problem, _document(inventory, SourceRef(problem.file, problem.document))
        )
    if ev is None:
        return DetailView(title="", empty_text="loading…")
    resource = find_resource(ev, key)
    if resource is None:
        return DetailView(title="", empty_text=f"{literal(rest)} is gone")
    stale = resource.key in inventory.stale_keys
    if ui.detail_mode == "yaml":
        view = _yaml_detail(resource, inventory)
    elif kind == "dataplane":
        view = dataplane_detail(ev, resource.name)
    elif kind == "service":
        view = service_detail(ev, resource)
    else:
        policy = ev.index.find_policy(resource.type, resource.name)
        assert policy is not None
        view = policy_detail(ev, policy, system_namespace=inventory.control_plane.system_namespace)
    if stale:
        return DetailView(
            title=view.title,
            subtitle="STALE: its file is broken; showing the last good version · " + view.subtitle,
            tree=view.tree,
            text=view.text,
            empty_text=view.empty_text,
        )
    return view


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
    )


def _stored_form(resource: Resource) -> dict[str, Any]:
    return {
        "type": resource.type,
        "mesh": resource.mesh,
        "name": resource.name,
        "labels": dict(resource.labels),
        "spec": dict(resource.spec),
    }


def tree_changes(old: DetailView, new: DetailView) -> set[str]:
    """Ids of nodes of `new` that are new or read differently than in `old`.

    Node ids are paths, so the trees are compared parent by parent; a subtree that is
    the very same object in both (see `present.memo`) is skipped.
    """
    if new.tree is None or old.tree is None:
        return set()
    changed: set[str] = set()
    _compare(old.tree.children, new.tree.children, changed)
    return changed


def _compare(old: tuple[TreeNode, ...], new: tuple[TreeNode, ...], changed: set[str]) -> None:
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
        _compare(was.children, node.children, changed)
