"""Checking meshtui's answer for a proxy against the control plane's own (cluster mode).

Pure: `plan_check` says which inspect requests to send for one proxy and what meshtui
answers to each (computed from the same evaluation the detail shows, so it runs in a
worker); the app sends them through the control plane's API and hands the answers to
`judge`, which compares each pair (`engine.crosscheck.compare`) into a `CpCheck`. The
detail then shows `check_node`: "matches the control plane", or the differences field by
field, or, quietly, why the control plane could not be asked.

Which answers: `_rules`; on 2.12+ for a mesh whose `meshServices.mode` is Exclusive (the
only meshes those endpoints serve, and where Kuma's GUI uses them), the `_policies`
family the detail is drawn from: `_layout`, `_policies`, every inbound's
`_inbounds/{kri}/_policies`, and each outbound's `_outbounds/{kri}/_policies` and
`_routes`, for the first `MAX_OUTBOUNDS` outbounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from meshtui.engine.api import ProxyPolicies
from meshtui.engine.crosscheck import compare, rules_path
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.present.dataplane import exclusive_services
from meshtui.present.kris import layout_of, parse_kri, section_of
from meshtui.present.proxy import uses_policies_model
from meshtui.present.text import literal
from meshtui.views import Copyable, DetailNode, DetailView

MAX_OUTBOUNDS = 16
"""Outbounds whose answers are compared (each costs two requests through the API server)."""

MAX_SHOWN = 40
"""Differences listed one by one; the rest are counted."""


class Answer(Protocol):
    """The control plane's answer to one GET (`sources.kube.controlplane.CpAnswer`)."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> object: ...

    @property
    def problem(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """The requests to send for one proxy, with meshtui's answer to each."""

    evaluation: MeshEvaluation = field(compare=False)
    dataplane: str
    requests: tuple[tuple[str, int, Any], ...]
    """(path, status, body) in the order they are sent."""
    family: str
    """`_rules` or `_policies`."""
    note: str = ""
    """What was left out, e.g. `16 of 40 outbounds`."""


@dataclass(frozen=True, slots=True)
class CpCheck:
    """How meshtui's answer for a proxy compares with the control plane's."""

    evaluation: MeshEvaluation = field(compare=False)
    """What meshtui's side was computed from (a newer one asks again)."""
    dataplane: str
    state: str
    """`asking`, `matches`, `differs` or `failed`."""
    summary: str = ""
    differences: tuple[str, ...] = ()
    """One line per differing field: `_rules rules[2].conf.x: meshtui 1, control plane 2`."""

    @classmethod
    def asking(cls, evaluation: MeshEvaluation, dataplane: str) -> CpCheck:
        return cls(evaluation, dataplane, "asking", "asking the control plane…")


def _dataplane_path(mesh: str, name: str) -> str:
    """A proxy's inspect path (names as they are: the client percent-encodes them)."""
    return f"/meshes/{mesh}/dataplanes/{name}"


def plan_check(ev: MeshEvaluation, name: str) -> CheckPlan | None:
    """What to ask the control plane about proxy `name`, and meshtui's answers; `None`
    when the proxy is gone."""
    rules = ev.rules(name)
    if rules is None:
        return None
    if not (uses_policies_model(ev.index.version, rules.dataplane) and exclusive_services(ev)):
        body = ev.rules_body(name)
        return CheckPlan(ev, name, ((rules_path(ev.mesh, name), 200, body),), "_rules")
    proxy = ProxyPolicies(ev.index, rules.dataplane, rules.types)
    base = _dataplane_path(ev.mesh, name)
    layout = layout_of(proxy)
    requests: list[tuple[str, int, Any]] = [
        (f"{base}/_layout", 200, layout),
        (f"{base}/_policies", 200, proxy.proxy_body()),
    ]
    for inbound in [*layout["inbounds"], *layout.get("listeners", [])]:
        text = str(inbound["kri"])
        body = proxy.inbound_body(section_of(text, ev.index.version))
        if body is not None:
            requests.append((f"{base}/_inbounds/{text}/_policies", 200, body))
    outbounds = layout["outbounds"]
    for outbound in outbounds[:MAX_OUTBOUNDS]:
        text = str(outbound["kri"])
        parsed = parse_kri(text, ev.index.version)
        if parsed is None:
            continue
        requests.append((f"{base}/_outbounds/{text}/_policies", 200, proxy.outbound_body(parsed)))
        requests.append((f"{base}/_outbounds/{text}/_routes", 200, proxy.routes_body(parsed)))
    note = (
        f"{MAX_OUTBOUNDS} of {len(outbounds)} outbounds" if len(outbounds) > MAX_OUTBOUNDS else ""
    )
    return CheckPlan(ev, name, tuple(requests), "_policies", note)


def judge(plan: CheckPlan, answers: Sequence[Answer]) -> CpCheck:
    """Compare each of meshtui's answers with the control plane's (one per request, in
    order; fewer when the asking stopped)."""
    lines: list[str] = []
    for (path, status, ours), theirs in zip(plan.requests, answers, strict=False):
        if theirs.problem:
            return CpCheck(plan.evaluation, plan.dataplane, "failed", theirs.problem)
        where = _short(path, plan.dataplane)
        if theirs.status != status:
            lines.append(f"{where}: meshtui answers {status}, control plane {_status(theirs)}")
            continue
        lines.extend(f"{where} {d.describe()}" for d in compare(ours, theirs.body))
    asked = min(len(answers), len(plan.requests))
    what = f"{plan.family}, {asked} request{'s' if asked != 1 else ''}"
    if plan.note:
        what += f"; {plan.note}"
    if not lines:
        return CpCheck(plan.evaluation, plan.dataplane, "matches", f"({what})")
    return CpCheck(
        plan.evaluation,
        plan.dataplane,
        "differs",
        f"in {len(lines)} place{'s' if len(lines) != 1 else ''} ({what})",
        tuple(lines),
    )


def _short(path: str, dataplane: str) -> str:
    """`_outbounds/kri_…/_policies` of a request path (the proxy's part left out)."""
    marker = f"/dataplanes/{dataplane}/"
    return path.partition(marker)[2] or path


def _status(answer: Answer) -> str:
    body = answer.body
    title = body.get("title") if isinstance(body, Mapping) else None
    return f"{answer.status}" + (f" ({title})" if isinstance(title, str) and title else "")


def check_node(check: CpCheck) -> DetailNode:
    """The detail's first line about the control plane's own answer."""
    node_id = "cp-check"
    if check.state == "matches":
        return DetailNode(node_id, f"✓ matches the control plane  {check.summary}", style="ok")
    if check.state == "differs":
        shown = [
            DetailNode(
                f"{node_id}/{i}",
                literal(line),
                style="warning",
                copy=Copyable("the difference", literal(line) + "\n"),
            )
            for i, line in enumerate(check.differences[:MAX_SHOWN])
        ]
        rest = len(check.differences) - MAX_SHOWN
        if rest > 0:
            shown.append(DetailNode(f"{node_id}/more", f"… and {rest} more", style="muted"))
        label = f"✗ differs from the control plane {check.summary}"
        return DetailNode(node_id, label, tuple(shown), style="warning")
    if check.state == "failed":
        text = f"not checked against the control plane: {literal(check.summary)}"
        return DetailNode(node_id, text, style="muted")
    return DetailNode(node_id, literal(check.summary), style="muted")


def with_check(view: DetailView, check: CpCheck | None) -> DetailView:
    """`view` with the control plane's verdict as its first line (when there is one)."""
    if check is None or view.tree is None:
        return view
    tree = replace(view.tree, children=(check_node(check), *view.tree.children))
    return replace(view, tree=tree)
