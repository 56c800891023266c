"""Merged rules through the engine, without the UI (figure b).

How: the generated folder is read and parsed as the app does it (`FolderSource.scan` +
`Inventory.apply`) and indexed as the app does (`build_index_from_groups`), untimed
except for the index. Then, as the app does after its first load, `gc.collect()` and
`gc.freeze()`. Every time below is the CPU time of this process (the work is on one
thread; other processes on a shared machine inflate wall time, given in the notes).

- *first after load*: on a fresh `MeshEvaluation`, `prepare()` (the bases every
  dataplane's rules share: per-type outbound bases, the selector vocabulary), which the
  dashboard runs in the background after its first frame; and, separately, the first
  dataplane's `rules()` on another fresh evaluation without `prepare()`;
- *selected after load*: on the prepared evaluation, up to 200 dataplanes drawn at
  random (seeded), in that order, each `rules(name)` plus what its detail pane shows
  unfolded (`types`, each type's legacy `from_rules`; the legacy `to_rules` section is
  folded and computed when opened): median and p95 (target p95 <= 30 ms at 10k);
- `rules_body(name)` (Kuma's `_rules` JSON, legacy tag rules included) on the same
  evaluation for a few of them, for information;
- *all dataplanes*: a fresh evaluation, `prepare()` and `all_rules()` (every
  dataplane's `rules`; bulk work pauses the cyclic collector) (target <= 3 s at 10k);
  a dataplane's per-type rules are relabelled from the proxy that shares its selector
  signature when first read, and legacy tag rules are computed when read: a second
  figure reads `types` and every `from_rules` too; two more call `rules(name)` one by
  one with the collector on, after `gc.freeze()` and without it (where freezing the
  loaded snapshot helps);
- *exactness*: for 30 of the sampled dataplanes, `rules_body` of the shared evaluation
  against the plain computation (`type_rules(..., fast=False)`); target 0 differing.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from tests.perf.common import (
    Figure,
    at_reference,
    bench_args,
    load_engine_input,
    machine,
    median,
    mesh_folder,
    percentile,
    print_figures,
)


def timed(work: Callable[[], Any]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `work()`; `collections` gets the garbage
    collections it ran into."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


class Collections:
    """Full (generation 2) garbage collections while it is on, and their CPU time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> Collections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.process_time()
        else:
            self.count += 1
            self.seconds += time.process_time() - self._started

    def note(self) -> str:
        return (
            f"{self.count} full GC ({self.seconds * 1000:.0f} ms)" if self.count else "no full GC"
        )


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figure b at one size."""
    from meshtui.engine.evaluation import MeshEvaluation
    from meshtui.engine.inspect import rules_body
    from meshtui.engine.matching import select_gateway
    from meshtui.engine.rules import type_rules
    from meshtui.kinds import POLICY_KINDS

    loaded = load_engine_input(mesh_folder(size))
    index_cpu, _ = timed(loaded.index)
    index = loaded.index()
    gc.collect()
    gc.freeze()
    names = sorted(index.dataplanes)
    rng = random.Random(20_10_11)
    sample = rng.sample(names, min(len(names), 50 if quick else 200))

    first_cpu, first_wall = timed(lambda: MeshEvaluation(index).rules(sample[0]))
    evaluation = MeshEvaluation(index)
    prepare_cpu, prepare_wall = timed(evaluation.prepare)

    def select(name: str) -> None:
        rules = evaluation.rules(name)
        assert rules is not None
        for typed in rules.types:
            _ = typed.from_rules

    selected = [timed(partial(select, name))[0] for name in sample]
    body_times = [timed(partial(evaluation.rules_body, name))[0] for name in sample[:10]]

    def plain_body(name: str) -> dict[str, Any]:
        dp = index.dataplanes[name]
        gateway = select_gateway(index, dp)
        types = [type_rules(index, dp, k, gateway=gateway, fast=False) for k in POLICY_KINDS]
        return rules_body(index, dp, computed=types)

    checked = sample[: 10 if quick else 30]
    differing = [n for n in checked if evaluation.rules_body(n) != plain_body(n)]

    def everything(*, materialise: bool = False, one_by_one: bool = False) -> None:
        fresh = MeshEvaluation(index)
        fresh.prepare()
        if one_by_one:
            for name in names:
                fresh.rules(name)
            return
        for rules in fresh.all_rules().values():
            if materialise:
                for typed in rules.types:
                    _ = typed.from_rules

    all_cpu, all_wall = timed(everything)
    full_cpu, full_wall = timed(partial(everything, materialise=True))
    frozen_cpu, frozen_wall = timed(partial(everything, one_by_one=True))
    gc.unfreeze()
    thawed_cpu, thawed_wall = timed(partial(everything, one_by_one=True))
    gc.freeze()

    n = f"n={len(selected)}"
    return [
        Figure(size, "build_index (one mesh)", index_cpu * 1000, "ms"),
        Figure(size, "first after load: shared bases (prepare)", prepare_cpu * 1000, "ms",
               note=f"wall {prepare_wall * 1000:.0f} ms; run in the background after the"
               " first frame"),
        Figure(size, "first after load: one dataplane, unprepared", first_cpu * 1000, "ms",
               note=f"wall {first_wall * 1000:.0f} ms; pays for the bases it needs"),
        Figure(size, "selected after load: median", median(selected) * 1000, "ms", None,
               f"{n}; prepared evaluation, random order; rules + types + fromRules"),
        Figure(size, "selected after load: p95", percentile(selected, 95) * 1000, "ms",
               at_reference(size, 30), f"{n}; slowest {max(selected) * 1000:.0f} ms"),
        Figure(size, "rules_body(dp): median", median(body_times) * 1000, "ms",
               note=f"n={len(body_times)}; legacy tag rules included"),
        Figure(size, "rules of all dataplanes", all_cpu, "s", at_reference(size, 3),
               f"wall {all_wall:.2f} s; fresh evaluation, prepare included; per-type rules"
               " relabelled and legacy tag rules built when read"),
        Figure(size, "  ... reading types and fromRules of each", full_cpu, "s",
               note=f"wall {full_wall:.2f} s; read with the collector on"),
        Figure(size, "  ... rules(dp) one by one, collector on", frozen_cpu, "s",
               note=f"wall {frozen_wall:.2f} s; after gc.freeze() of the loaded snapshot"),
        Figure(size, "  ... the same without gc.freeze()", thawed_cpu, "s",
               note=f"wall {thawed_wall:.2f} s"),
        Figure(size, "exactness: sampled dataplanes != plain", len(differing), "", 0,
               f"of {len(checked)}: _rules bodies, shared vs plain"
               + (f"; e.g. {differing[0]}" if differing else "")),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_rules [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
