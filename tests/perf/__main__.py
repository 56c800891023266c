"""`python -m tests.perf [--sizes 1000,5000,10000,20000] [--quick] [--only NAMES]`.

Generates (or reuses, from `/tmp/meshtui-perf/<size>`) one synthetic mesh per size and
runs every benchmark on it, then prints one table: size, figure, value, target, met.
Targets are stated for 10k dataplanes (and change-latency flatness across all sizes run).

* `bench_coldstart`: a. cold (empty decode cache) and warm start to the first complete frame
  vs. a PyYAML floor;
  d. peak RSS at the first frame;
* `bench_rules`: b. merged rules through the engine: first after load, a dataplane
  selected after load (median, p95), all dataplanes, exactness on a sample;
* `bench_change`: c. an edited policy file until the detail pane shows it;
* `bench_cluster`: e. `KubeSource` initial sync vs. a bare list, and a 5k-event burst;
* `bench_changes`: f. a live change's effect in the Changes view; g. a what-if draft's diff.
* `bench_edits`: h. edits through the engine: one change re-evaluated for the whole mesh,
  the engine's part of edit -> panes and its flatness, exactness against fresh evaluations.

Progress goes to stderr; the table to stdout. `--quick`: only 1k and 10k (unless
`--sizes` is given), fewer repetitions and samples.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from tests.perf import (
    bench_change,
    bench_changes,
    bench_cluster,
    bench_coldstart,
    bench_edits,
    bench_rules,
)
from tests.perf.common import (
    Figure,
    add_size_options,
    chosen_sizes,
    describe_error,
    machine,
    mesh_folder,
    print_figures,
    revision,
)
from tests.perf.generate import GENERATOR_VERSION, Shape, validate

BENCHES: dict[str, Callable[..., list[Figure]]] = {
    "coldstart": bench_coldstart.run,
    "rules": bench_rules.run,
    "change": bench_change.run,
    "cluster": bench_cluster.run,
    "changes": bench_changes.run,
    "edits": bench_edits.run,
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__)
    add_size_options(parser)
    parser.add_argument(
        "--only",
        default=",".join(BENCHES),
        help="comma-separated benchmarks to run (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    sizes = chosen_sizes(args)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {list(BENCHES)}")
    _log(f"{machine()}; {revision()}")
    figures: list[Figure] = []
    began = time.monotonic()
    for size in sizes:
        t0 = time.monotonic()
        folder = mesh_folder(size)
        _log(f"[{size:,}] mesh at {folder} ({time.monotonic() - t0:.1f}s)")
        if size == min(sizes):
            found = validate(folder)
            figures.append(
                Figure(size, "generator: problems + role mismatches", len(found), "", 0,
                       note="; ".join(found[:3]))
            )  # fmt: skip
        for name in names:
            t0 = time.monotonic()
            try:
                got = BENCHES[name](size, quick=args.quick)
            except Exception as err:
                got = [Figure(size, f"{name}: FAILED", None, "", note=describe_error(err))]
            figures.extend(got)
            _log(f"[{size:,}] {name} done in {time.monotonic() - t0:.0f}s")
            for figure in got:
                _log(f"    {figure.name}: {figure.shown_value()} {figure.note}")
    figures.extend(bench_change.flatness(figures))
    figures.extend(bench_edits.flatness(figures))
    print(machine())
    print(f"{revision()} at the end of the run")
    shapes = ", ".join(
        f"{s.dataplanes:,} dp / {s.namespaces} ns / {s.services:,} svc / {s.policies:,} pol"
        f" / {s.zones} zones"
        for s in (Shape.for_size(size) for size in sizes)
    )
    print(f"meshes (generator v{GENERATOR_VERSION}, seed 1): {shapes}")
    print(f"mode: {'quick' if args.quick else 'full'}; total {time.monotonic() - began:.0f}s")
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
