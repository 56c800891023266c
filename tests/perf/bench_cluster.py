"""Cluster mode: initial sync and a burst of watch events (figure e).

How: a separate process (so its JSON encoding does not share this process's GIL, as a
real API server would not) serves the generated folder with
`tests.fakekube.FakeKubeAPI.from_folder(folder)` and writes a kubeconfig. Then, here:

* bare list (the floor): the official client's `CustomObjectsApi.list_cluster_custom_object`
  for every Kuma plural meshtui watches, plus `CoreV1Api.list_namespace`, paged by 500
  like `KubeSource`, one after the other; timed from building the client;
* initial sync: `meshtui.sources.kube.KubeSource(kubeconfig)` run in a thread, every
  `ChangesReady` applied to an `Inventory` as it arrives, until `StatusChanged(synced=True)`
  (everything listed and applied); timed from building the source. Reported with the
  ratio to the bare list;
* app: the real app on `KubeSource` (headless, 160x45), from building it to the first
  complete frame (evaluation ready, dataplane rows, detail tree);
* burst: after the app settled (CPU quiet, at most 150 s), the server process upserts
  5,000 modified Dataplanes and policies (a new `perf.meshtui/burst` label on each; objects
  reused round-robin when there are fewer) with one `upsert_many`. Timed from just before
  that call until `app.inventory` holds the last label of every object touched, with the
  number of `InventoryChanged` messages the app received meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from tests.perf.common import (
    Figure,
    bench_args,
    describe_error,
    machine,
    median,
    mesh_folder,
    print_figures,
    source_failed,
    stamping_app,
    wait_quiet,
    wait_until,
)

BURST = 5_000
BURST_LABEL = "perf.meshtui/burst"
POLICY_PLURALS = (
    "meshaccesslogs", "meshcircuitbreakers", "meshfaultinjections", "meshhealthchecks",
    "meshhttproutes", "meshloadbalancingstrategies", "meshmetrics", "meshpassthroughs",
    "meshproxypatches", "meshratelimits", "meshretries", "meshtcproutes", "meshtimeouts",
    "meshtlses", "meshtraces", "meshtrafficpermissions",
)  # fmt: skip


# ------------------------------------------------------------------------ the server process


def _serve(folder: str, kubeconfig: str, conn: Connection) -> None:
    """Body of the server process: serve `folder`, then obey `conn` until `stop`."""
    from tests.fakekube import FakeKubeAPI

    fake = FakeKubeAPI.from_folder(folder, bookmark_interval=60.0, hook_timeout=600.0)
    fake.start()
    fake.write_kubeconfig(kubeconfig)
    conn.send(("ready", fake.resource_version, list(fake.skipped)))
    batch: list[dict[str, Any]] = []
    while True:
        command, arg = conn.recv()
        if command == "prepare":
            batch, expected = _burst_objects(fake, int(arg))
            conn.send(expected)
        elif command == "burst":
            start = time.monotonic()
            written = fake.upsert_many(batch)
            conn.send((start, time.monotonic(), written))
        elif command == "stop":
            fake.stop()
            conn.send("stopped")
            return


def _burst_objects(fake: Any, count: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """`count` modified copies of Dataplanes and policies, and each object's final label.

    The expected map is keyed `Kind/name.namespace` (the store name meshtui uses).
    """
    pool: list[dict[str, Any]] = list(fake.snapshot("dataplanes"))
    for plural in POLICY_PLURALS:
        pool.extend(fake.snapshot(plural))
    step = max(1, len(pool) // count) if len(pool) > count else 1
    chosen = pool[::step]
    objects: list[dict[str, Any]] = []
    expected: dict[str, str] = {}
    for i in range(count):
        obj = json.loads(json.dumps(chosen[i % len(chosen)]))
        meta = obj["metadata"]
        meta.setdefault("labels", {})[BURST_LABEL] = str(i)
        objects.append(obj)
        expected[f"{obj['kind']}/{meta['name']}.{meta['namespace']}"] = str(i)
    return objects, expected


class Server:
    """The fake API server in its own process."""

    def __init__(self, folder: Path) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="meshtui-perf-kube-"))
        self.kubeconfig = self.tmp / "kubeconfig"
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(str(folder), str(self.kubeconfig), child), daemon=True
        )
        self.process.start()
        if not self.conn.poll(1800):
            raise RuntimeError("the fake API server did not start within 30 min")
        _, self.objects, self.skipped = self.conn.recv()

    def call(self, command: str, arg: object = None) -> Any:
        self.conn.send((command, arg))
        return self.conn.recv()

    def close(self) -> None:
        try:
            self.call("stop")
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
            shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------------ measurements


def bare_list(kubeconfig: Path) -> tuple[float, int]:
    """Seconds to list every served object with the official client, and how many."""
    from kubernetes import config
    from kubernetes.client import CoreV1Api, CustomObjectsApi

    from meshtui.kinds import ALL_KINDS

    start = time.monotonic()
    new_client = cast(Callable[..., Any], config.new_client_from_config)
    api = new_client(config_file=str(kubeconfig))
    custom, core = CustomObjectsApi(api), CoreV1Api(api)
    count = 0
    for plural in [info.plural for info in ALL_KINDS.values()]:
        token = ""
        while True:
            page = cast(
                dict[str, Any],
                custom.list_cluster_custom_object(
                    "kuma.io", "v1alpha1", plural, limit=500, _continue=token or None
                ),
            )
            count += len(page.get("items") or ())
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                break
    token = ""
    while True:
        response = cast(
            Any, core.list_namespace(limit=500, _preload_content=False, _continue=token or None)
        )
        page = json.loads(response.data)
        response.release_conn()
        count += len(page.get("items") or ())
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            break
    seconds = time.monotonic() - start
    api.close()
    return seconds, count


def initial_sync(kubeconfig: Path) -> tuple[float, int, int, int]:
    """Seconds from building a `KubeSource` until it reported synced with everything applied.

    Returns (seconds, resources, problems, initial batches).
    """
    from meshtui.inventory import Inventory
    from meshtui.parse import ContextOptions
    from meshtui.sources import ChangesReady, SourceEvent
    from meshtui.sources.kube import KubeSource

    stop = threading.Event()
    state: dict[str, Any] = {"inventory": Inventory.empty(ContextOptions()), "batches": 0}

    def emit(event: SourceEvent) -> None:
        if isinstance(event, ChangesReady):
            state["inventory"], _ = state["inventory"].apply(event.changes)
            state["batches"] += 1
        elif event.synced and "synced" not in state:
            state["synced"] = time.monotonic()
            stop.set()

    start = time.monotonic()
    source = KubeSource(kubeconfig=str(kubeconfig))
    thread = threading.Thread(target=source.run, args=(emit, stop), daemon=True)
    thread.start()
    if not stop.wait(1800):
        raise RuntimeError("KubeSource did not sync within 30 min")
    thread.join(30)
    inventory = state["inventory"]
    return (
        state["synced"] - start,
        len(inventory.resources) + len(inventory.namespaces),
        len(inventory.problems),
        state["batches"],
    )


def _frame_ready(app: Any) -> bool:
    from tests.perf._app_child import frame_ready

    return frame_ready(app)


async def app_and_burst(server: Server, quick: bool) -> dict[str, Any]:
    """The app on `KubeSource`: first frame, then the burst; see the module docstring.

    An exception the app raises while shutting down, after everything was measured, is
    kept in `exit_error` (and reported) rather than lost with the figures.
    """
    from meshtui.sources.kube import KubeSource

    out: dict[str, Any] = {}
    start = time.monotonic()
    app = stamping_app(KubeSource(kubeconfig=str(server.kubeconfig)))
    try:
        await _drive(app, server, quick, start, out)
    except Exception as err:
        if "burst_batches" not in out:
            raise
        out["exit_error"] = describe_error(err)
    return out


async def _drive(app: Any, server: Server, quick: bool, start: float, out: dict[str, Any]) -> None:
    from meshtui.model import ResourceKey

    async with app.run_test(headless=True, size=(160, 45)) as pilot:
        ready = await wait_until(
            lambda: _frame_ready(app) or source_failed(app) is not None, 1800, poll=0.01
        )
        if ready is None or not _frame_ready(app):
            raise RuntimeError(f"no first frame in cluster mode: {app.status.message!r}")
        await pilot.pause()
        out["first_frame"] = time.monotonic() - start
        out["settled"] = await wait_quiet(60 if quick else 150)
        expected: dict[str, str] = await asyncio.to_thread(server.call, "prepare", BURST)
        keys = {
            ResourceKey(k.split("/", 1)[0], "default", k.split("/", 1)[1]): v
            for k, v in expected.items()
        }
        seen: dict[str, Any] = {"inventory": None, "done": False}

        def reflected() -> bool:
            inventory = app.inventory
            if inventory is seen["inventory"]:
                return bool(seen["done"])
            seen["inventory"] = inventory
            resources = inventory.resource_map
            seen["done"] = all(
                (r := resources.get(key)) is not None and r.labels.get(BURST_LABEL) == value
                for key, value in keys.items()
            )
            return bool(seen["done"])

        del app.stamps[:]
        reply = asyncio.create_task(asyncio.to_thread(server.call, "burst", None))
        done = await wait_until(reflected, 600, poll=0.01)
        burst_start, burst_end, written = await reply
        if done is None:
            raise RuntimeError("the app did not reflect the burst within 600 s")
        out["burst_absorbed"] = done - burst_start
        out["burst_written"] = written
        out["burst_server"] = burst_end - burst_start
        out["burst_batches"] = sum(
            1 for name, t, _ in app.stamps if name == "inventory" and t <= done
        )
        out["burst_objects"] = len(keys)
        await wait_quiet(60 if quick else 150)


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figure e at one size."""
    server = Server(mesh_folder(size))
    try:
        repeats = 1 if quick else 3
        bare = [bare_list(server.kubeconfig) for _ in range(repeats)]
        syncs = [initial_sync(server.kubeconfig) for _ in range(repeats)]
        app = asyncio.run(app_and_burst(server, quick))
    finally:
        server.close()
    bare_s, listed = median([b[0] for b in bare]), bare[0][1]
    sync_s = median([s[0] for s in syncs])
    _, resources, problems, batches = syncs[0]
    return [
        Figure(size, "cluster: bare paged list (official client)", bare_s, "s",
               note=f"{listed} objects"),
        Figure(size, "cluster: KubeSource initial sync → Inventory", sync_s, "s",
               note=f"{resources} resources, {problems} problems, {batches} batch(es)"),
        Figure(size, "cluster: initial sync / bare list", sync_s / bare_s, "x"),
        Figure(size, "cluster: app to first complete frame", app["first_frame"], "s"),
        Figure(size, f"cluster: burst of {BURST} watch events absorbed", app["burst_absorbed"],
               "s", note=f"{app['burst_objects']} objects; server wrote in "
               f"{app['burst_server']:.2f}s" + ("" if app["settled"] else "; app was busy")),
        Figure(size, "cluster: InventoryChanged batches for the burst", app["burst_batches"], "",
               note=f"app failed on exit: {app['exit_error']}" if "exit_error" in app else ""),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_cluster [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
