"""Merged rules through the engine, without the UI (figure b).

How: the generated folder is read and parsed as the app does it (`FolderSource.scan` +
`Inventory.apply`, untimed), then `build_index(resources, "default")` is timed once.
For up to 200 dataplanes drawn at random (seeded; 50 with --quick), each gets a fresh
`MeshEvaluation(index)` (so nothing memoised for another dataplane helps) and
`.rules(name)` is timed: median and p95 (target <= 5 ms at 10k). The index itself is
shared, and its lazily built lookups are warmed by one untimed call first: they belong
to the snapshot, not to one dataplane. `rules_body(name)` (the `_rules` JSON) is timed
the same way on a smaller sample, for information. The same sample is then timed on
one shared `MeshEvaluation`, in the same order, as the dashboard computes a dataplane
the user selects after others (its memo tables are per snapshot): median and p95.

All dataplanes: one fresh `MeshEvaluation` and `.rules(name)` for every dataplane in
turn, on this single thread (target <= 3 s for 10k). When that would exceed the time
budget, it stops there and the total is extrapolated from the rate so far (the note
says so, and from how many).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence

from tests.perf.common import (
    Figure,
    at_reference,
    bench_args,
    load_inventory,
    machine,
    median,
    mesh_folder,
    percentile,
    print_figures,
)


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figure b at one size."""
    from meshtui.engine.evaluation import MeshEvaluation
    from meshtui.engine.index import build_index

    inventory = load_inventory(mesh_folder(size))
    start = time.perf_counter()
    index = build_index(inventory.resources, "default")
    index_seconds = time.perf_counter() - start
    names = sorted(index.dataplanes)
    rng = random.Random(20_10_11)
    sample = rng.sample(names, min(len(names), 50 if quick else 200))
    sample_budget = 60.0 if quick else 240.0
    MeshEvaluation(index).rules(sample[0])  # warm the index's lazy lookups

    times: list[float] = []
    began = time.perf_counter()
    for name in sample:
        evaluation = MeshEvaluation(index)
        t0 = time.perf_counter()
        evaluation.rules(name)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - began > sample_budget and len(times) >= 20:
            break
    # The dashboard keeps one evaluation per snapshot: a dataplane selected after others
    # reuses what they computed (matched sets, merge orders, resource rules). Timed in
    # the same random order on one shared evaluation; the first few are cold.
    shared = MeshEvaluation(index)
    warm_times: list[float] = []
    for name in sample[: len(times)]:
        t0 = time.perf_counter()
        shared.rules(name)
        warm_times.append(time.perf_counter() - t0)
    body_times: list[float] = []
    for name in sample[: max(10, len(times) // 4)]:
        evaluation = MeshEvaluation(index)
        t0 = time.perf_counter()
        evaluation.rules_body(name)
        body_times.append(time.perf_counter() - t0)

    total_budget = 60.0 if quick else 300.0
    evaluation = MeshEvaluation(index)
    done = 0
    began = time.perf_counter()
    for name in names:
        evaluation.rules(name)
        done += 1
        if time.perf_counter() - began > total_budget:
            break
    elapsed = time.perf_counter() - began
    total = elapsed * len(names) / done
    total_note = (
        f"all {done}" if done == len(names) else f"extrapolated from {done} in {elapsed:.0f}s"
    )
    n = f"n={len(times)}"
    return [
        Figure(size, "build_index (one mesh)", index_seconds * 1000, "ms"),
        Figure(size, "rules(dp): median", median(times) * 1000, "ms", at_reference(size, 5), n),
        Figure(size, "rules(dp): p95", percentile(times, 95) * 1000, "ms", None, n),
        Figure(
            size,
            "rules(dp), shared evaluation: median",
            median(warm_times) * 1000,
            "ms",
            at_reference(size, 5),
            f"n={len(warm_times)}; as the dashboard computes them",
        ),
        Figure(size, "rules(dp), shared evaluation: p95", percentile(warm_times, 95) * 1000, "ms"),
        Figure(
            size,
            "rules_body(dp): median",
            median(body_times) * 1000,
            "ms",
            note=f"n={len(body_times)}",
        ),
        Figure(size, "rules of all dataplanes", total, "s", at_reference(size, 3), total_note),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_rules [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
