"""Child process of `bench_coldstart`: the real dashboard, headless, on a folder.

    python -m tests.perf._app_child FOLDER AFFECTED_TIMEOUT

Runs `MeshtuiApp(FolderSource(FOLDER, watch=False), ContextOptions())` with
`run_test(headless=True, size=(160, 45))` and prints one JSON line of `time.monotonic()`
stamps (system-wide on Linux, so the parent can subtract its own pre-spawn stamp):

* `started`: the first statement of this module ran (interpreter up);
* `imported`: meshtui, Textual and the sources are imported;
* `ready`: the first complete frame's state: the evaluation of the mesh is ready, the
  dataplane table holds its rows and the detail pane shows the selected dataplane's tree;
* `painted`: the same, after Textual went idle once more (the frame is rendered);
* `affected`: after the first frame, `2` switches to the policies view (the only one
  showing them) and the per-policy affected counts arrived (`app.affected`), or null;

plus `rss_kb` (the peak RSS right after `painted`: `VmHWM` of /proc/self/status, as
`ru_maxrss` of a freshly exec'd process also counts the pages of the parent it was forked
from; a benchmark parent holding a big mesh inflated it), `rss_children_kb` (`RUSAGE_CHILDREN`:
the largest peak of any finished child, e.g. the folder source's decoding workers), the
live descendants and their current RSS, `rss_end_kb`, the row count and the number of
load errors. It leaves with `os._exit` so no worker thread delays the exit.
"""

from __future__ import annotations

import time

STARTED = time.monotonic()

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

FRAME_TIMEOUT = 900.0


def frame_ready(app: Any) -> bool:
    """Evaluation ready, dataplane rows in the table, a tree in the detail pane."""
    if app.evaluation is None:
        return False
    table, detail = app.dashboard.table.view, app.dashboard.detail.view
    return (
        table is not None and len(table.rows) > 0 and detail is not None and detail.tree is not None
    )


async def run(folder: Path, affected_timeout: float, out: dict[str, Any]) -> None:
    from meshtui.app import MeshtuiApp
    from meshtui.parse import ContextOptions
    from meshtui.sources.files import FolderSource

    out["imported"] = time.monotonic()
    app = MeshtuiApp(FolderSource(folder, watch=False), ContextOptions())
    async with app.run_test(headless=True, size=(160, 45)) as pilot:
        deadline = time.monotonic() + FRAME_TIMEOUT
        while not frame_ready(app):
            message = app.status.message
            if message.startswith("source failed"):
                raise RuntimeError(f"the app reports {message!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no first frame after {FRAME_TIMEOUT:.0f}s ({message!r})")
            await asyncio.sleep(0.005)
        out["ready"] = time.monotonic()
        await pilot.pause()
        out["painted"] = time.monotonic()
        out["rss_kb"] = peak_rss_kb()
        out["rss_children_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out["live_children"], out["live_children_rss_kb"] = live_descendants()
        out["rows"] = (
            len(app.dashboard.table.view.rows) if app.dashboard.table.view is not None else 0
        )
        out["problems"] = sum(p.severity == "error" for p in app.inventory.problems)
        out["resources"] = len(app.inventory.resources)
        out["affected"] = None
        if affected_timeout > 0:
            out["policies_view"] = time.monotonic()
            await pilot.press("2")  # the policies view, whose AFFECTS column needs the counts
        deadline = time.monotonic() + affected_timeout
        while affected_timeout > 0 and time.monotonic() < deadline:
            if app.affected:
                out["affected"] = time.monotonic()
                break
            await asyncio.sleep(0.01)
        out["rss_end_kb"] = peak_rss_kb()
        report(out)  # from inside the app: shutting down would wait for its worker threads


def peak_rss_kb() -> int:
    """This process's own peak RSS in KiB (`VmHWM`; `ru_maxrss` where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def live_descendants() -> tuple[int, int]:
    """How many descendant processes are alive, and the sum of their current RSS (KiB)."""
    pending, seen, rss = [os.getpid()], 0, 0
    while pending:
        pid = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                    children = [int(c) for c in f.read().split()]
            except OSError:
                continue
            for child in children:
                seen += 1
                pending.append(child)
                try:
                    with open(f"/proc/{child}/status", encoding="ascii") as f:
                        rss += next(
                            (int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0
                        )
                except OSError:
                    pass
    return seen, rss


def report(out: dict[str, Any]) -> None:
    """Print the result line and leave at once."""
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    """Run the app on the folder named in `argv`, print the stamps, leave."""
    folder, affected_timeout = Path(sys.argv[1]), float(sys.argv[2])
    out: dict[str, Any] = {"started": STARTED}
    try:
        asyncio.run(run(folder, affected_timeout, out))
    except BaseException as err:
        out["error"] = f"{type(err).__name__}: {err}"
    report(out)


if __name__ == "__main__":
    main()
