"""Rows of the central table: dataplanes, policies, services and problems.

Built on the UI thread from data already computed: what needs the engine to count
(dataplanes a policy affects, policies using a service) arrives from a worker as
`counts` and shows `…` until then.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Inventory
from meshtui.model import SERVICE_TAG, Dataplane, Policy, Problem, Resource, ResourceKey
from meshtui.present.cache import Cache
from meshtui.present.highlights import Highlights
from meshtui.present.navigator import NavState
from meshtui.present.text import literal
from meshtui.views import ProblemRow, ResourceRow, Row, TableView

NO_NAMESPACE = "(none)"
SERVICE_TYPES = ("MeshService", "MeshExternalService", "MeshMultiZoneService")


def row_key(resource: Resource) -> ResourceRow:
    """The table row (and jump target) of a resource."""
    if resource.type == "Dataplane":
        view = "dataplanes"
    elif resource.type in SERVICE_TYPES:
        view = "services"
    else:
        view = "policies"
    return ResourceRow(view, resource.type, resource.name)


def table_for(
    state: NavState,
    ev: MeshEvaluation | None,
    inventory: Inventory,
    problems: Sequence[Problem],
    highlights: Highlights,
    now: float,
    counts: Mapping[ResourceKey, int],
) -> TableView:
    """The central table for the current view.

    Args:
        problems: Every problem to list: the inventory's, then what failed at run time.
        counts: Per resource, what the policies (`AFFECTS`) and services (`POLICIES`)
            tables count; a resource without one shows `…`.
    """
    stale = inventory.stale_keys
    if state.view == "policies":
        return policies_table(ev, state, highlights, now, stale, counts)
    if state.view == "services":
        return services_table(ev, state, highlights, now, stale, counts)
    if state.view == "problems":
        files = inventory.origins
        return problems_table(problems, state, source_root(files) if files else "")
    return dataplanes_table(ev, state, highlights, now, stale)


def namespace_label(resource: Resource) -> str:
    """The namespace shown for a resource (`(none)` for Universal ones)."""
    return resource.namespace or NO_NAMESPACE


def in_namespaces(resource: Resource, namespaces: frozenset[str]) -> bool:
    """Whether the namespace selection shows this resource."""
    return not namespaces or namespace_label(resource) in namespaces


def namespaces_text(namespaces: frozenset[str]) -> str:
    """`ns a, b` for a few selected namespaces, `4 namespaces` past three."""
    if len(namespaces) > 3:
        return f"{len(namespaces)} namespaces"
    return "ns " + ", ".join(literal(n) for n in sorted(namespaces))


def matches_filter(cells: Sequence[str], text: str) -> bool:
    """k9s-style `/` filter: case-insensitive substring of any cell; a leading `!` inverts."""
    if not text:
        return True
    inverse = text.startswith("!")
    needle = text[1:].lower() if inverse else text.lower()
    hit = any(needle in cell.lower() for cell in cells)
    return hit != inverse


def _style(
    key: ResourceKey, highlights: Highlights, now: float, stale: frozenset[ResourceKey]
) -> str:
    return highlights.style_of_row(key, now) or ("stale" if key in stale else "")


STALE_MARK = "  (stale)"
"""After the name of a resource whose file is broken (the last good version is shown)."""


def _marked_stale(row: Row, key: ResourceKey, stale: frozenset[ResourceKey], name: int) -> Row:
    """A stale row's name says so (not only its dim style), and `/stale` finds them all."""
    if key not in stale:
        return row
    cells = list(row.cells)
    cells[name] += STALE_MARK
    return replace(row, cells=tuple(cells))


def _table(
    kind: str,
    title: str,
    columns: tuple[str, ...],
    rows: Iterable[Row],
    total: int,
    state: NavState,
    empty: str,
) -> TableView:
    kept = tuple(r for r in rows if matches_filter(r.cells, state.filter))
    if state.namespaces and kind != "problems":
        # The title names the namespace scope, as k9s does: the sidebar that shows it is
        # hidden on a narrow terminal.
        title += " · " + namespaces_text(state.namespaces)
    heading = f"{title} ({len(kept)}/{total})" if state.filter else f"{title} ({total})"
    if state.filter:
        heading += f"  /{literal(state.filter)}"
    if state.filter and not kept:
        empty = f"nothing matches /{literal(state.filter)}"
    return TableView(kind, heading, columns, kept, empty)


def services_of(dataplane: Dataplane) -> str:
    """The `kuma.io/service` tags of a proxy (or its gateway), comma-separated."""
    if dataplane.is_gateway:
        name = dataplane.gateway_tags.get(SERVICE_TAG, "")
        return f"{name} (gateway)" if name else "(gateway)"
    names = dict.fromkeys(i.tags.get(SERVICE_TAG, "") for i in dataplane.inbounds)
    return ", ".join(n for n in names if n)


def dataplanes_table(
    ev: MeshEvaluation | None,
    state: NavState,
    highlights: Highlights,
    now: float,
    stale: frozenset[ResourceKey],
) -> TableView:
    """Every proxy of the mesh in the selected namespaces."""
    columns = ("NAME", "NAMESPACE", "ZONE", "SERVICE", "INBOUNDS", "ADDRESS")
    if ev is None:
        return TableView("dataplanes", "Dataplanes", columns, (), "no mesh selected")
    rows = []
    for dp in ev.index.dataplanes.values():  # in store order, i.e. by name
        res = dp.resource
        if not in_namespaces(res, state.namespaces):
            continue
        plain = _DATAPLANE_ROWS.get(res, partial(_dataplane_row, dp))
        style = _style(res.key, highlights, now, stale)
        row = _marked_stale(plain, res.key, stale, 0)
        rows.append(replace(row, style=style) if style else row)
    return _table("dataplanes", "Dataplanes", columns, rows, len(rows), state, "no dataplanes here")


_DATAPLANE_ROWS: Cache[Resource, Row] = Cache("dataplane rows", limit=100_000)
"""The unstyled row of each proxy, by its resource's value: a proxy is decoded from its
resource alone (`engine.decode.decode_dataplane`), so a refresh of a 10k table formats
only the proxies that changed."""


def _dataplane_row(dp: Dataplane) -> Row:
    res = dp.resource
    cells = (
        literal(res.display_name),
        literal(namespace_label(res)),
        literal(res.zone or "-"),
        literal(services_of(dp)),
        str(len(dp.inbounds)) if not dp.is_gateway else f"{dp.gateway_type.lower()} gw",
        literal(dp.address),
    )
    return Row(row_key(res), cells)


def target_summary(policy: Policy) -> str:
    """The top-level targetRef in a few words."""
    ref = policy.target_ref
    return "Mesh" if ref.implicit else ref.describe()


def policy_rows_source(ev: MeshEvaluation) -> list[tuple[Policy, bool]]:
    """All policies of the mesh, shadow ones included (flagged), by kind then name."""
    index = ev.index
    found = [(p, False) for p in index.all_policies()]
    found += [(p, True) for kind in index.shadow_policies for p in index.shadow_policies[kind]]
    return sorted(found, key=lambda item: (item[0].type, item[0].resource.name))


def policies_table(
    ev: MeshEvaluation | None,
    state: NavState,
    highlights: Highlights,
    now: float,
    stale: frozenset[ResourceKey],
    counts: Mapping[ResourceKey, int],
) -> TableView:
    """Policies of every kind in one list, filtered by namespace, role and kind."""
    columns = ("KIND", "NAME", "NAMESPACE", "ROLE", "ORIGIN", "ZONE", "TARGET", "AFFECTS")
    if ev is None:
        return TableView("policies", "Policies", columns, (), "no mesh selected")
    rows = []
    for policy, shadow in policy_rows_source(ev):
        res = policy.resource
        if not in_namespaces(res, state.namespaces):
            continue
        if state.role and res.role != state.role:
            continue
        if state.kind and policy.type != state.kind:
            continue
        count = counts.get(res.key)
        cells = (
            policy.type,
            literal(res.display_name),
            literal(namespace_label(res)),
            literal(res.role) + (" (shadow)" if shadow else ""),
            literal(res.origin or "-"),
            literal(res.zone or "-"),
            literal(target_summary(policy)),
            "…" if count is None else str(count),
        )
        style = _style(res.key, highlights, now, stale) or ("muted" if shadow else "")
        rows.append(_marked_stale(Row(row_key(res), cells, style), res.key, stale, 1))
    title = "Policies"
    if state.kind:
        title += f" · {state.kind}"
    if state.role:
        title += f" · {literal(state.role)}"
    return _table("policies", title, columns, rows, len(rows), state, "no policies here")


def source_root(origins: Iterable[str]) -> str:
    """The folder all `file:` origins are under (the watched one); `""` for other sources."""
    names = list(origins)
    if not names or not all(o.startswith("file:/") for o in names):
        return ""
    paths = [o.removeprefix("file:") for o in names]
    if len(paths) == 1:
        return os.path.dirname(paths[0])
    return os.path.commonpath(paths)


def relative_to(path: str, root: str) -> str:
    """`path` under `root` (`kuma-demo/retries.yaml`), or as it is when it is not."""
    if not root or not path.startswith(root.rstrip(os.sep) + os.sep):
        return path
    return path[len(root.rstrip(os.sep)) + 1 :]


def ports_of(service: Resource) -> str:
    """`name:port` list of a service's ports."""
    if service.type == "MeshExternalService":
        match = service.spec.get("match")
        if isinstance(match, Mapping):
            return f"{match.get('port', '')}/{match.get('protocol', 'tcp')}"
        return ""
    ports = service.spec.get("ports")
    out = []
    for port in ports if isinstance(ports, list) else []:
        if isinstance(port, Mapping):
            name = port.get("name")
            number = port.get("port", "")
            protocol = port.get("appProtocol", "")
            text = f"{name}:{number}" if name else str(number)
            out.append(f"{text}/{protocol}" if protocol else text)
    return ", ".join(out)


def services_table(
    ev: MeshEvaluation | None,
    state: NavState,
    highlights: Highlights,
    now: float,
    stale: frozenset[ResourceKey],
    counts: Mapping[ResourceKey, int],
) -> TableView:
    """MeshServices, MeshExternalServices and MeshMultiZoneServices of the mesh."""
    columns = ("KIND", "NAME", "NAMESPACE", "ZONE", "PORTS", "POLICIES")
    if ev is None:
        return TableView("services", "Services", columns, (), "no mesh selected")
    rows = []
    for kind in SERVICE_TYPES:
        for res in ev.index.services.get(kind, ()):
            if not in_namespaces(res, state.namespaces):
                continue
            count = counts.get(res.key)
            cells = (
                kind,
                literal(res.display_name),
                literal(namespace_label(res)),
                literal(res.zone or "-"),
                literal(ports_of(res)),
                "…" if count is None else str(count),
            )
            row = Row(row_key(res), cells, _style(res.key, highlights, now, stale))
            rows.append(_marked_stale(row, res.key, stale, 1))
    return _table("services", "Services", columns, rows, len(rows), state, "no services here")


def problems_table(problems: Sequence[Problem], state: NavState, root: str = "") -> TableView:
    """Every problem with its location; files are named relative to `root` (the watched
    folder), so a cut column still shows the file's name rather than the folder."""
    columns = ("SEVERITY", "MESSAGE", "FILE", "DOC", "FIELD", "RESOURCE")
    rows = [
        Row(
            ProblemRow(i),
            (
                literal(p.severity),
                literal(p.message),
                literal(relative_to(p.file, root)),
                str(p.document) if p.document else "",
                literal(p.path),
                literal(p.resource),
            ),
            "error"
            if p.severity == "error"
            else ("warning" if p.severity == "warning" else "muted"),
        )
        for i, p in enumerate(problems)
    ]
    return _table(
        "problems", "Problems", columns, rows, len(rows), state, "no problems: everything loaded"
    )


def table_counts(ev: MeshEvaluation, view: str) -> dict[ResourceKey, int]:
    """What a table counts with the engine (run in a worker): for `policies`, how many
    dataplanes each policy affects; for `services`, how many policy entries use each."""
    index = ev.index
    if view == "policies":
        shadow = (p for group in index.shadow_policies.values() for p in group)
        return {p.key: ev.affected_count(p) for p in (*index.all_policies(), *shadow)}
    if view == "services":
        return {
            res.key: len(ev.service_uses(res))
            for kind in SERVICE_TYPES
            for res in index.services.get(kind, ())
        }
    return {}
