"""Presentation: turn an evaluation and the user's choices into view models.

Pure and headless (no Textual, no Rich): every function takes data (the inventory,
a `MeshEvaluation`, the `NavState`, the time) and returns frozen `views`. Sorting,
filtering, counting and formatting all happen here, never in widgets. Every string
that comes from input goes through `text.literal` on its way into a view.

Modules: `navigator` (where the user is), `tables` (the central table), `dataplane`
and `detail` (the detail pane, built in a worker), `proxy` and `kris` (a dataplane's
detail from Kuma 2.12, with KRIs), `crosscheck` (a proxy against the control plane's own
answer), `nodes` (detail lines shared by them), `highlights` (recent changes),
`requests` (one detail build at a time), `commands` (the `:` line), `snapshot` (what the
app knows, and the dashboard's views of it), `cache` (the memo helper), `text` (escaping
and YAML).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.model import PolicyRole, Problem, Resource
from meshtui.present.navigator import NavState
from meshtui.present.tables import NO_NAMESPACE, in_namespaces, namespace_label
from meshtui.present.text import literal
from meshtui.views import HeaderView, SideListItem, SideListView

__all__ = [
    "header_view",
    "kind_states",
    "namespaces_view",
    "roles_view",
    "waiting_text",
]

ROLE_HINTS: Mapping[str, str] = {
    "system": "lives in the system namespace (or comes from Universal / the global CP)",
    "producer": "in the namespace of the MeshService it targets by name; applies mesh-wide",
    "consumer": "targets services it does not own; applies only in its own namespace",
    "workload-owner": "has from[]/rules[] or a single default; applies only in its own namespace",
}


def kind_states(kinds: Mapping[str, tuple[str, float]]) -> tuple[tuple[str, str], ...]:
    """Watched kinds that are not live, grouped: `(what, state)` pairs for the header.

    A handful are named one by one (`MeshRetry: forbidden`); when many kinds share a
    state (the cluster dropped, Kuma is not installed) they are counted instead.
    """
    by_state: dict[str, list[tuple[str, float]]] = {}
    for kind, (state, since) in sorted(kinds.items()):
        if state != "live":
            by_state.setdefault(state, []).append((kind, since))
    out: list[tuple[str, str]] = []
    for state, members in by_state.items():
        label = state
        if state == "reconnecting":
            since = min(s for _, s in members)
            if since:
                label = f"reconnecting since {time.strftime('%H:%M:%S', time.localtime(since))}"
        if len(members) > 3:
            out.append((f"{len(members)} kinds", literal(label)))
        else:
            out.extend((literal(kind), literal(label)) for kind, _ in members)
    return tuple(out)


def waiting_text(*, loaded: bool, status: str, has_meshes: bool, failed: str = "") -> str:
    """Why a table is empty before there is an evaluation to show.

    Args:
        failed: What went wrong evaluating the mesh, if it did.
    """
    status = literal(status)
    if not loaded:
        return f"loading… {status}" if status else "loading…"
    if not has_meshes:
        return f"no mesh found ({status})" if status else "no mesh found"
    if failed:
        return f"{literal(failed)} (! lists the problems)"
    return "evaluating…"


def namespaces_view(
    ev: MeshEvaluation | None, known: Iterable[Resource], state: NavState
) -> SideListView:
    """Namespaces with their dataplane and policy counts in the current mesh."""
    dataplanes: dict[str, int] = {}
    policies: dict[str, int] = {}
    if ev is not None:
        # the index's grouping carries over edits that leave the dataplanes alone
        for ns, group in ev.index.dataplanes_by_namespace.items():
            dataplanes[ns or NO_NAMESPACE] = len(group)
        for policy in ev.index.all_policies():
            ns = namespace_label(policy.resource)
            policies[ns] = policies.get(ns, 0) + 1
    names = set(dataplanes) | set(policies)
    names.update(ns.name for ns in known if ns.name == "kuma-system" and (dataplanes or policies))
    # a focused namespace with nothing in this mesh (`-n typo`, a context's `default`) is
    # listed, with its zero counts, so that the selection shows
    names.update(state.namespaces)
    all_dataplanes, all_policies = sum(dataplanes.values()), sum(policies.values())
    widths = (max(3, len(str(all_dataplanes))), max(3, len(str(all_policies))))
    total = SideListItem(
        "",
        "all",  # short: a big mesh's wide counts cut a longer label (`all namespa…`)
        _counts(all_dataplanes, all_policies, widths),
        selected=not state.namespaces,
    )
    items = [total] + [
        SideListItem(
            name,
            literal(name),
            _counts(dataplanes.get(name, 0), policies.get(name, 0), widths),
            selected=name in state.namespaces,
        )
        for name in sorted(names, key=lambda n: (n == NO_NAMESPACE, n))
    ]
    return SideListView("Namespaces", tuple(items))


def _counts(dataplanes: int, policies: int, widths: tuple[int, int]) -> str:
    """`  29 dp   8 pol`, the numbers right-aligned in columns as wide as the totals."""
    return f"{dataplanes:>{widths[0]}} dp {policies:>{widths[1]}} pol"


def roles_view(ev: MeshEvaluation | None, state: NavState) -> SideListView:
    """Policy roles with counts for the selected namespaces."""
    counts = dict.fromkeys((r.value for r in PolicyRole), 0)
    if ev is not None:
        for policy in ev.index.all_policies():
            if in_namespaces(policy.resource, state.namespaces):
                role = policy.resource.role
                counts[role] = counts.get(role, 0) + 1
    items = [SideListItem("", "all roles", str(sum(counts.values())), selected=not state.role)]
    items += [
        SideListItem(
            role,
            literal(role),
            str(count),
            selected=state.role == role,
            hint=ROLE_HINTS.get(role, ""),
        )
        for role, count in counts.items()
    ]
    return SideListView("Policy roles", tuple(items))


def header_view(
    *,
    mode: str,
    source: str,
    ev: MeshEvaluation | None,
    meshes: Sequence[str],
    problems: Sequence[Problem],
    updated: str,
    status: str,
    kinds: Mapping[str, tuple[str, float]] = {},
    loading: bool = False,
    profile: str = "",
    control_plane: str = "",
    control_plane_style: str = "",
) -> HeaderView:
    """The top line.

    Args:
        profile: The Kuma version answered as, and how it was chosen.
        control_plane: One quiet line about the control plane's own API (cluster mode).
    """
    if ev is None:
        counts = "loading…" if loading else "no mesh found"
    else:
        index = ev.index
        services = sum(len(v) for v in index.services.values())
        policies = len(index.all_policies())
        # the policies list shows shadow policies too: counted apart, so both add up
        shadow = sum(len(group) for group in index.shadow_policies.values())
        extra = f" (+{shadow} shadow)" if shadow else ""
        counts = (
            f"{len(index.dataplanes)} dataplanes · {policies} policies{extra} · {services} services"
        )
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(1 for p in problems if p.severity == "warning")
    troubled = kind_states(kinds)
    return HeaderView(
        mode=mode,
        source=literal(source),
        mesh=literal(ev.mesh) if ev is not None else "",
        meshes=tuple(literal(m) for m in meshes),
        counts=counts,
        errors=errors,
        warnings=warnings,
        updated=updated or "-",
        status=literal(status),
        status_style="warning" if troubled else "",
        kinds=troubled,
        profile=literal(profile),
        control_plane=literal(control_plane),
        control_plane_style=control_plane_style,
    )
