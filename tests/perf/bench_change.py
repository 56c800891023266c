"""Change latency: a policy edited on disk until the dashboard shows it (figure c).

How: on a throw-away copy of the generated folder, the engine picks (untimed) a
MeshTimeout in an application namespace with one `to` item, and a dataplane of that
namespace whose merged outbound rules take their `requestTimeout` from it (the policy is
the last origin of that resource rule). The real app then runs headless in this process
(`MeshtuiApp(FolderSource(copy, watch=True), ContextOptions())`, 160x45), loads, and
a jump (`app.dashboard.jump`) selects the dataplane. Each edit rewrites the policy's
file in place with the value switched between `41s` and `43s` (values the generator
never uses) and times, from just before the write, until a node of the detail view's
tree reads `requestTimeout: <new value>` (polled every 5 ms).

Before each edit the app is left to settle: until the process uses under 15 % of a core
for 250 ms (process CPU time, so it also sees thread workers Textual no longer tracks),
at most 150 s; an edit that had to start while still busy is counted. Up to 20 edits
(8 with --quick) within a time budget; median and p95 (target: median <= 200 ms at 10k,
and flat from 1k to 20k: see `flatness`).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshtui.views import ResourceRow
from tests.perf.common import (
    Figure,
    at_reference,
    bench_args,
    describe_error,
    extremes,
    load_inventory,
    machine,
    median,
    mesh_folder,
    percentile,
    print_figures,
    source_failed,
    stamping_app,
    wait_quiet,
    wait_until,
    working_copy,
)

VALUES = ("41s", "43s")
_DOC_SPLIT = re.compile(r"^---\n", re.MULTILINE)
_TIMEOUT = re.compile(r"(requestTimeout: )(\S+)")


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The policy to edit and the dataplane whose detail shows it."""

    file: Path
    document: int
    """1-based, as `SourceRef.document`."""
    policy: str
    dataplane: str
    shown: str
    """The value the detail shows before any edit (canonical Go duration)."""
    section: str
    """The detail's outbound section showing it (opened, as a user would, when folded)."""


def pick_target(folder: Path) -> EditTarget:
    """The first MeshTimeout (by name) whose `requestTimeout` a dataplane's rules show."""
    from meshtui.engine.evaluation import MeshEvaluation
    from meshtui.engine.index import build_index
    from meshtui.present.proxy import outbound_section

    index = build_index(load_inventory(folder).resources, "default")
    evaluation = MeshEvaluation(index)
    candidates = sorted(
        (
            p
            for p in index.policies_of("MeshTimeout")
            if p.resource.namespace.startswith("ns-")
            and p.resource.role in ("producer", "consumer")
            and len(p.to) == 1
            and "requestTimeout" in str(p.resource.spec.get("to"))
            and p.resource.source is not None
        ),
        key=lambda p: p.resource.name,
    )
    for policy in candidates:
        namespace = policy.resource.namespace
        dataplanes = [
            name
            for name, dp in sorted(index.dataplanes.items())
            if dp.resource.namespace == namespace and not dp.is_gateway
        ]
        for name in dataplanes[:3]:
            rules = evaluation.rules(name)
            typed = rules.of_type("MeshTimeout") if rules is not None else None
            for rule in typed.resource_rules if typed is not None else ():
                if not rule.origins or rule.origins[-1].policy.key != policy.key:
                    continue
                conf: Any = rule.confs[0] if rule.confs else {}
                http = conf.get("http") if isinstance(conf, dict) else None
                value = http.get("requestTimeout") if isinstance(http, dict) else None
                if value and value not in VALUES:
                    source = policy.resource.source
                    assert source is not None
                    section = outbound_section(evaluation, name, rule.resource, rule.section)
                    return EditTarget(
                        Path(source.file),
                        source.document,
                        policy.resource.name,
                        name,
                        str(value),
                        section,
                    )
    raise RuntimeError("no MeshTimeout whose requestTimeout a dataplane's rules show")


def edit(target: EditTarget, value: str) -> None:
    """Rewrite the policy's file with `requestTimeout: value` in its document."""
    text = target.file.read_text(encoding="utf-8")
    parts = _DOC_SPLIT.split(text)
    doc = target.document - 1
    parts[doc], count = _TIMEOUT.subn(rf"\g<1>{value}", parts[doc], count=1)
    if count != 1:
        raise RuntimeError(f"no requestTimeout in {target.file} document {target.document}")
    target.file.write_text("---\n".join(parts), encoding="utf-8")


_LAST_LOOK: dict[str, Any] = {}


def shows(app: Any, value: str) -> bool:
    """Whether a node of the detail tree reads `requestTimeout: value`.

    Views are immutable, so the answer for the view last looked at is kept: polling does
    not walk a big tree again and again on the app's thread (which would slow it down).
    """
    view = app.dashboard.detail.view
    if view is None or view.tree is None:
        return False
    if _LAST_LOOK.get("view") is view and _LAST_LOOK.get("value") == value:
        return bool(_LAST_LOOK["answer"])
    needle = f"requestTimeout: {value}"
    answer = any(needle in node.label for node in view.tree.walk())
    _LAST_LOOK.update(view=view, value=value, answer=answer)
    return answer


async def measure(folder: Path, target: EditTarget, edits: int, budget: float) -> dict[str, Any]:
    """Run the app and time each edit; see the module docstring."""
    from meshtui.sources.files import FolderSource

    app = stamping_app(FolderSource(folder, watch=True))
    out: dict[str, Any] = {"latencies": [], "to_inventory": [], "to_evaluation": [], "busy": 0}
    try:
        await _drive(app, target, edits, budget, out)
    except Exception as err:
        if not out["latencies"]:
            raise
        out["exit_error"] = describe_error(err)
    return out


async def _drive(
    app: Any, target: EditTarget, edits: int, budget: float, out: dict[str, Any]
) -> None:
    latencies: list[float] = out["latencies"]
    to_inventory: list[float] = out["to_inventory"]
    to_evaluation: list[float] = out["to_evaluation"]
    async with app.run_test(headless=True, size=(160, 45)):
        loaded = await wait_until(
            lambda: app.evaluation is not None or source_failed(app) is not None, 600
        )
        if loaded is None or app.evaluation is None:
            raise RuntimeError(f"the app did not load: {app.status.message!r}")
        app.dashboard.jump(ResourceRow("dataplanes", "Dataplane", target.dataplane))
        app.dashboard.open_section(target.section)
        if await wait_until(lambda: shows(app, target.shown), 60) is None:
            raise RuntimeError(f"{target.dataplane}'s detail never showed {target.shown}")
        began = time.monotonic()
        for i in range(edits):
            if i >= 3 and time.monotonic() - began > budget:
                break
            if not await wait_quiet(150):
                out["busy"] += 1
            value = VALUES[i % 2]
            del app.stamps[:]
            start = time.monotonic()
            edit(target, value)
            seen = await wait_until(lambda v=value: shows(app, v), 120)  # type: ignore[misc]
            if seen is None:
                raise RuntimeError(f"edit {i + 1} ({value}) not shown within 120 s")
            latencies.append(seen - start)
            firsts = {name: t for name, t, _ in reversed(app.stamps)}
            if "inventory" in firsts and "evaluation" in firsts:
                to_inventory.append(firsts["inventory"] - start)
                to_evaluation.append(firsts["evaluation"] - start)
        await wait_quiet(150)


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figure c at one size."""
    folder = working_copy(mesh_folder(size))
    try:
        target = pick_target(folder)
        result = asyncio.run(measure(folder, target, 8 if quick else 20, 150.0 if quick else 600.0))
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
    latencies = [t * 1000 for t in result["latencies"]]
    note = f"n={len(latencies)}"
    if result["busy"]:
        note += f", {result['busy']} started while the app was still busy"
    if "exit_error" in result:
        note += f"; app failed on exit: {result['exit_error']}"
    figures = [
        Figure(size, "change latency: median", median(latencies), "ms", at_reference(size, 200),
               note),
        Figure(size, "change latency: p95", percentile(latencies, 95), "ms", None, note),
    ]  # fmt: skip
    if result["to_inventory"]:
        figures += [
            Figure(size, "  of which: write → InventoryChanged", median(result["to_inventory"])
                   * 1000, "ms", note="median; watch + read + parse + apply"),
            Figure(size, "  of which: write → EvaluationReady", median(result["to_evaluation"])
                   * 1000, "ms", note="median; + build_index"),
        ]  # fmt: skip
    return figures


def flatness(figures: Sequence[Figure]) -> list[Figure]:
    """Largest over smallest change-latency median across the sizes run (target <= 1.5)."""
    found = extremes(figures, "change latency: median")
    if found is None:
        return []
    smallest, largest = found
    assert smallest.value is not None and largest.value is not None
    note = f"median at {largest.size:,} / at {smallest.size:,}"
    return [Figure(0, "change latency: flatness", largest.value / smallest.value, "x", 1.5, note)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_change [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures([*figures, *flatness(figures)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
