"""Cold and warm start and peak memory of the dashboard on a generated folder (figures a and d).

How: the parent takes `time.monotonic()` just before spawning a fresh
`python -m tests.perf._app_child FOLDER` and the child reports monotonic stamps (one
system-wide clock on Linux). The child runs the real app headless
(`MeshtuiApp(FolderSource(folder, watch=False), ContextOptions())`, 160x45) and stamps
the first complete frame: `app.evaluation` set, the dataplane table's rows present and
the detail pane's tree shown, after Textual went idle once more. It also reports its
peak RSS right then (figure d: `VmHWM`, its own pages only, whereas `ru_maxrss` of an
exec'd child counts the parent's too; the largest child process, e.g. a decoding worker,
is reported beside it) and, on the first run only, how long the
per-policy affected counts (`app.affected`) took once `2` switched to the policies
view (they are only computed for the view that shows them).

A cold start (the first start) runs with an empty decode cache: `MESHTUI_CACHE_DIR` is a
fresh temporary folder for each one. A warm start (a second start on the same folder) runs
with a cache filled beforehand by `meshtui.sources.files.load_path` in another process,
which is what any earlier start left there.

The floor: a second fresh `python` that imports PyYAML and runs
`yaml.load_all(text, Loader=yaml.CSafeLoader)` over every file the app reads, reading
the files included, timed the same way (spawn to last document). The page cache is
warm for all of them (one untimed floor run first). Targets at 10k: cold start / floor
<= 1.5, warm start / floor < 1.0, RSS <= 400 MB. Each figure is the median over the runs
(3, or 1 with --quick); the runs interleave floor, cold and warm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.perf.common import (
    REPO,
    Figure,
    at_reference,
    bench_args,
    machine,
    median,
    mesh_folder,
    print_figures,
    rss_mb,
)

FLOOR_CODE = """
import time
import os, sys, yaml
root = sys.argv[1]
files = []
for directory, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    files += [os.path.join(directory, n) for n in sorted(filenames)
              if n.endswith((".yaml", ".yml")) and not n.startswith(".")]
documents = 0
for path in sorted(files):
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    for _ in yaml.load_all(text, Loader=yaml.CSafeLoader):
        documents += 1
print(time.monotonic(), documents, len(files))
"""


def floor_run(folder: Path) -> tuple[float, int]:
    """Seconds from spawn to the last document parsed, and how many documents."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", FLOOR_CODE, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    end, documents, _ = done.stdout.split()
    return float(end) - start, int(documents)


CACHE_DIR_ENV = "MESHTUI_CACHE_DIR"
"""`meshtui.sources.decodecache.CACHE_DIR_ENV` (not imported: this parent stays light)."""

FILL_CODE = """
import sys
from pathlib import Path
from meshtui.sources.files import load_path
load_path(Path(sys.argv[1]))
"""


@contextmanager
def cache_dir() -> Iterator[dict[str, str]]:
    """The environment of a start with a fresh, empty decode cache folder (removed after)."""
    directory = tempfile.mkdtemp(prefix="meshtui-perf-cache-")
    try:
        yield {**os.environ, CACHE_DIR_ENV: directory}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def fill_cache(folder: Path, env: Mapping[str, str]) -> int:
    """Fill the decode cache of `env` for `folder` as any start would; its size in bytes."""
    subprocess.run([sys.executable, "-c", FILL_CODE, str(folder)], check=True, cwd=REPO, env=env)
    directory = Path(env[CACHE_DIR_ENV])
    return sum(path.stat().st_size for path in directory.glob("*.cache"))


def app_run(
    folder: Path, affected_timeout: float, env: Mapping[str, str], timeout: float = 1800
) -> dict[str, Any]:
    """One start with `env`'s decode cache; the child's stamps made relative to just
    before the spawn."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tests.perf._app_child", str(folder), str(affected_timeout)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=timeout,
        env=env,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"cold-start child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if "error" in result:
        raise RuntimeError(f"cold-start child: {result['error']}")
    if result.get("affected") is not None:
        result["affected"] -= result["policies_view"]
    for key in ("started", "imported", "ready", "painted"):
        if result.get(key) is not None:
            result[key] = result[key] - start
    return result


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figures a and d at one size."""
    folder = mesh_folder(size)
    runs = 1 if quick else 3
    affected_timeout = 120.0 if quick else 300.0
    floor_run(folder)  # warm the page cache
    floors: list[float] = []
    starts: list[dict[str, Any]] = []
    warm_starts: list[dict[str, Any]] = []
    documents = 0
    with cache_dir() as warm_env:
        cache_bytes = fill_cache(folder, warm_env)
        for i in range(runs):
            seconds, documents = floor_run(folder)
            floors.append(seconds)
            with cache_dir() as cold_env:
                starts.append(app_run(folder, affected_timeout if i == 0 else 0.0, cold_env))
            warm_starts.append(app_run(folder, 0.0, warm_env))
    painted = median([s["painted"] for s in starts])
    warm = median([s["painted"] for s in warm_starts])
    floor = median(floors)
    first = starts[0]
    problems = int(first["problems"])
    note = f"{first['rows']} rows, {first['resources']} resources, {documents} docs"
    warm_workers = max(int(s.get("rss_children_kb", 0)) for s in warm_starts)
    warm_note = (
        f"cache {cache_bytes / 1e6:.1f} MB; "
        + ("no decoding worker ran" if not warm_workers else "a decoding worker ran (cache missed)")
        + ("" if _same_load(first, warm_starts) else "; NOT the cold start's rows/problems")
    )
    figures = [
        Figure(size, "cold start: python + imports", median([s["imported"] for s in starts]), "s"),
        Figure(size, "cold start: to first complete frame", painted, "s", note=note),
        Figure(size, "YAML floor: CSafeLoader, fresh process", floor, "s"),
        Figure(size, "cold start / YAML floor", painted / floor, "x", at_reference(size, 1.5)),
        Figure(size, "warm start: to first complete frame", warm, "s", note=warm_note),
        Figure(size, "warm start / YAML floor", warm / floor, "x", at_reference(size, 1.0)),
        Figure(
            size,
            "peak RSS at first frame, warm start",
            rss_mb(median([s["rss_kb"] for s in warm_starts])),
            "MB",
            at_reference(size, 400),
        ),
    ]
    affected = first.get("affected")
    figures.append(
        Figure(
            size,
            "affected counts after opening the policies view (run 1)",
            affected,
            "s",
            note=f"run 1 first frame {first['painted']:.2f} s"
            if affected is not None
            else f"not within {affected_timeout:.0f}s",
        )
    )
    figures.append(
        Figure(
            size,
            "peak RSS at first frame",
            rss_mb(median([s["rss_kb"] for s in starts])),
            "MB",
            at_reference(size, 400),
        )
    )
    live = int(first.get("live_children", 0))
    figures.append(
        Figure(
            size,
            "peak RSS of one child process (largest)",
            rss_mb(median([s.get("rss_children_kb", 0) for s in starts])),
            "MB",
            note="RUSAGE_CHILDREN, e.g. decoding workers; "
            + (f"{live} still alive at first frame" if live else "none alive at first frame"),
        )
    )
    figures.append(
        Figure(
            size,
            "errors loading the mesh",
            problems,
            "",
            0,
            note="must be zero (deprecation warnings are not errors)",
        )
    )
    return figures


def _same_load(cold: dict[str, Any], warm: Sequence[dict[str, Any]]) -> bool:
    """Whether every warm start showed what the cold one did (rows, resources, problems)."""
    fields = ("rows", "resources", "problems")
    return all(all(s[f] == cold[f] for f in fields) for s in warm)


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_coldstart [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
