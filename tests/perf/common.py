"""What every benchmark shares: figures and their targets, the machine, meshes, timing helpers."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.perf.generate import Shape, ensure_mesh

if TYPE_CHECKING:
    from meshtui.engine.index import MeshIndex
    from meshtui.inventory import Inventory, OriginUpdate

REFERENCE = 10_000
"""The size the targets are stated for."""
DEFAULT_SIZES = (1_000, 5_000, 10_000, 20_000)
QUICK_SIZES = (1_000, 10_000)
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured value, and the target it is held to (if any, at this size)."""

    size: int
    name: str
    value: float | None
    """`None`: could not be measured (see `note`)."""
    unit: str
    target: float | None = None
    """Upper bound; `None` when no target applies at this size."""
    note: str = ""
    higher_is_better: bool = False

    @property
    def met(self) -> str:
        """`yes`, `NO`, or `-` when there is no target."""
        if self.target is None:
            return "-"
        if self.value is None:
            return "NO"
        ok = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "yes" if ok else "NO"

    def shown_value(self) -> str:
        if self.value is None:
            return "n/a"
        return f"{_num(self.value)} {self.unit}".strip()

    def shown_target(self) -> str:
        if self.target is None:
            return "-"
        op = ">=" if self.higher_is_better else "<="
        return f"{op} {_num(self.target)} {self.unit}".strip()


def _num(value: float) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2g}"


def at_reference(size: int, target: float) -> float | None:
    """`target` when `size` is the reference size, else no target."""
    return target if size == REFERENCE else None


def print_figures(figures: Sequence[Figure], *, title: str = "") -> None:
    """A plain table: size, figure, value, target, met, note."""
    if title:
        print(title)
    rows = [("size", "figure", "value", "target", "met", "note")]
    rows += [
        (f"{f.size:,}" if f.size else "all", f.name, f.shown_value(), f.shown_target(), f.met,
         f.note)
        for f in figures
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, row in enumerate(rows):
        cells = [row[c].ljust(widths[c]) if c != 2 else row[c].rjust(widths[c]) for c in range(5)]
        print("  ".join(cells) + ("  " + row[5] if row[5] else ""))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def machine() -> str:
    """`nproc`, CPU model and Python version, on one line."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}"
        f" ({platform.python_implementation()}), {platform.system()} {platform.release()},"
        f" load average {load}"
    )


def revision() -> str:
    """The meshtui commit measured (`git describe`-like), `+dirty` when meshtui/ has edits."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "meshtui")
    return f"meshtui at {head}{'+dirty' if dirty else ''}"


def mesh_folder(size: int) -> Path:
    """The cached generated mesh for `size` dataplanes (reference proportions, seed 1)."""
    return ensure_mesh(Shape.for_size(size))


def working_copy(folder: Path) -> Path:
    """A throw-away copy of a cached mesh, for benchmarks that edit files."""
    target = Path(tempfile.mkdtemp(prefix="meshtui-perf-")) / folder.name
    shutil.copytree(folder, target)
    return target


def load_inventory(folder: Path) -> Inventory:
    """The folder read and parsed exactly as the app's folder source does it."""
    from meshtui.inventory import Inventory, ScopeReplaced
    from meshtui.parse import ContextOptions
    from meshtui.sources.files import ORIGIN_PREFIX, FolderSource

    updates = FolderSource(folder, watch=False).scan()
    inventory, _ = Inventory.empty(ContextOptions()).apply(
        [ScopeReplaced(ORIGIN_PREFIX, tuple(updates))]
    )
    return inventory


@dataclass(frozen=True)
class EngineInput:
    """A generated folder read as the app reads it, and indexed as the app indexes it."""

    inventory: Inventory
    updates: dict[str, OriginUpdate]
    """What the scan read, by origin (for edits made in memory)."""
    mesh: str = "default"

    def index(
        self, previous: MeshIndex | None = None, inventory: Inventory | None = None
    ) -> MeshIndex:
        """`build_index_from_groups` of the mesh, as the app's evaluation worker calls it."""
        from meshtui.engine.index import build_index_from_groups

        inv = inventory if inventory is not None else self.inventory
        return build_index_from_groups(
            inv.groups_of(self.mesh),
            inv.groups_of("").get("Mesh", {}).values(),
            self.mesh,
            previous=previous,
            version=inv.control_plane.version,
        )


def load_engine_input(folder: Path) -> EngineInput:
    """The folder scanned and applied as the app's folder source does it."""
    from meshtui.inventory import Inventory, ScopeReplaced
    from meshtui.parse import ContextOptions
    from meshtui.sources.files import ORIGIN_PREFIX, FolderSource

    updates = FolderSource(folder, watch=False).scan()
    inventory, _ = Inventory.empty(ContextOptions()).apply(
        [ScopeReplaced(ORIGIN_PREFIX, tuple(updates))]
    )
    return EngineInput(inventory, {u.origin: u for u in updates})


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def extremes(figures: Sequence[Figure], name: str) -> tuple[Figure, Figure] | None:
    """The figure `name` at the smallest and at the largest size run (None: under two sizes),
    for a flatness ratio."""
    found = {f.size: f for f in figures if f.name == name and f.value is not None}
    if len(found) < 2:
        return None
    return found[min(found)], found[max(found)]


def rss_mb(maxrss_kb: float) -> float:
    """`ru_maxrss` (KiB on Linux) in MB."""
    return maxrss_kb * 1024 / 1e6


async def wait_until(
    condition: Callable[[], bool], timeout: float, poll: float = 0.005
) -> float | None:
    """Await `condition()` (polled every `poll` s); the monotonic time it held, None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return time.monotonic()
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(poll)


async def wait_quiet(limit: float, window: float = 0.25, busy: float = 0.15) -> bool:
    """Let the app settle: until this process uses under `busy` of a core over `window` s.

    Measured with process CPU time, so it also sees worker threads Textual no longer
    tracks (a cancelled thread worker keeps running). False if still busy after `limit` s.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(window)
        if (time.process_time() - cpu) / (time.monotonic() - wall) < busy:
            return True
    return False


def bench_args(description: str, argv: Sequence[str] | None) -> argparse.Namespace:
    """The options every `bench_<name>.py` takes when run on its own."""
    parser = argparse.ArgumentParser(description=description)
    add_size_options(parser)
    args = parser.parse_args(argv)
    args.size_list = chosen_sizes(args)
    return args


def add_size_options(parser: argparse.ArgumentParser) -> None:
    """`--sizes` and `--quick`."""
    parser.add_argument(
        "--sizes",
        help="comma-separated dataplane counts, e.g. 1000,10k"
        f" (default: {','.join(str(s) for s in DEFAULT_SIZES)}; with --quick:"
        f" {','.join(str(s) for s in QUICK_SIZES)})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="only 1k and 10k, fewer repetitions and samples"
    )


def chosen_sizes(args: argparse.Namespace) -> list[int]:
    """The sizes asked for: `--sizes`, else the quick or the full default set."""
    if args.sizes:
        return parse_sizes(args.sizes)
    return list(QUICK_SIZES if args.quick else DEFAULT_SIZES)


def parse_sizes(text: str) -> list[int]:
    """`1000,10k` → [1000, 10000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if part:
            sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return sizes


def source_failed(app: Any) -> str | None:
    """The app's status line when its source worker died (it then never loads), else None."""
    message = str(app.status.message)
    return message if message.startswith("source failed") else None


def stamping_app(source: Any) -> Any:
    """`MeshtuiApp(source, ContextOptions())` that also stamps the messages it receives.

    `app.stamps` gets `(message name, time.monotonic(), initial)` for every
    `InventoryChanged` and `EvaluationReady`. Textual calls a message handler of every
    class in the MRO, so these run before the app's own handlers, which are untouched.
    An exception in the app ends it quietly; `run_test` re-raises it.
    """
    import meshtui.app
    from meshtui.app import MeshtuiApp
    from meshtui.messages import EvaluationReady, InventoryChanged
    from meshtui.parse import ContextOptions

    class StampingApp(MeshtuiApp):
        CSS_PATH = str(Path(meshtui.app.__file__).parent / str(MeshtuiApp.CSS_PATH))

        def __init__(self) -> None:
            super().__init__(source, ContextOptions())
            self.stamps: list[tuple[str, float, bool]] = []

        def on_inventory_changed(self, message: InventoryChanged) -> None:
            self.stamps.append(("inventory", time.monotonic(), message.initial))

        def on_evaluation_ready(self, message: EvaluationReady) -> None:
            self.stamps.append(("evaluation", time.monotonic(), False))

        def _fatal_error(self) -> None:
            # Exit without rendering Textual's traceback with locals (tens of thousands of
            # lines for a 10k inventory); `run_test` still re-raises the exception.
            self._close_messages_no_wait()

    return StampingApp()


def describe_error(err: BaseException) -> str:
    """`Type: message at file:line in function` (the innermost frame), on one line."""
    frames = traceback.extract_tb(err.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        path = last.filename
        for root in (str(REPO) + os.sep,):
            path = path.removeprefix(root)
        where = f" at {path}:{last.lineno} in {last.name}"
    message = " ".join(str(err).split())[:200]
    return f"{type(err).__name__}: {message}{where}"
