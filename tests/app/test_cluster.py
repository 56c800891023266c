"""Cluster mode in the real app: `MeshtuiApp` + `KubeSource` + the fake API server.

The app runs headless under Pilot with a `KubeSource` that a generated kubeconfig
points at a `FakeKubeAPI` serving the whole `sample-cluster/` (the server holds its
own copy). Requests go through the official kubernetes client, nothing patched. The
tests drive the server through its hooks and assert on what the panes and the header
show; every wait polls a condition with a deadline. Each app, when it exits, must
leave no source thread alive within a second and must have sent nothing but GETs.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from meshtui.app import MeshtuiApp
from meshtui.cli import _dashboard_parser, first_namespace
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import Resource, ResourceKey, SourceRef
from meshtui.parse import ContextOptions
from meshtui.raw import RawDocument
from meshtui.sources.files import FolderSource
from meshtui.sources.kube import KubeSource, KubeTuning
from meshtui.sources.profile import Asked
from meshtui.views import HeaderView, RowKey
from meshtui.widgets.header import StatusHeader
from meshtui.widgets.sidelist import SideList
from tests.app.harness import (
    SAMPLE,
    conf_line,
    dataplane,
    detail_labels,
    fixed_clock,
    policy,
    state,
    wait_for,
)
from tests.fakekube import (
    DEFAULT_RESOURCES,
    DEPLOYMENTS,
    NAMESPACES,
    SERVICES,
    FakeKubeAPI,
    RequestRecord,
    kuma_resources,
)
from tests.fakekube.charts import control_plane
from tests.versions import V2_10

PLURALS = [rt.plural for rt in DEFAULT_RESOURCES]
CONTEXT = "kind-meshtui"
CONSUMER = dataplane("consumer.first-consumer")
CONSUMER_TIMEOUT = policy("MeshTimeout", "consumer-timeout.first-consumer")
DEFAULT_DATAPLANES = {
    dataplane("consumer.first-consumer"),
    dataplane("consumer.second-consumer"),
    dataplane("demo-app-5d8c6b9f47-xk2lp.kuma-demo"),
    dataplane("redis-7b9c6f5d8-4mzqt.kuma-demo"),
}

FAST = KubeTuning(
    watch_timeout=5,
    connect_timeout=1.0,
    read_timeout=3.0,
    discovery_interval=0.2,
    backoff_start=0.05,
    backoff_cap=0.3,
    forbidden_retry=0.2,
)


# -- the server ---------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_folder(SAMPLE, bookmark_interval=0.1) as server:
        assert server.skipped == []
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return fake.write_kubeconfig(tmp_path / "kubeconfig", context=CONTEXT)


def server_resources(fake: FakeKubeAPI) -> dict[ResourceKey, Resource]:
    """What the server holds, parsed the way the inventory parses it."""
    objects = [obj for plural in PLURALS for obj in fake.snapshot(plural)]
    docs = tuple(RawDocument(SourceRef("server", i), obj) for i, obj in enumerate(objects, 1))
    inventory, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [OriginUpdate("server", docs)]
    )
    return dict(inventory.resource_map)


def lists_of(fake: FakeKubeAPI, plural: str) -> list[RequestRecord]:
    return [r for r in fake.requests if r.verb == "list" and r.path.endswith(f"/{plural}")]


def consumer_timeout(fake: FakeKubeAPI) -> dict[str, Any]:
    """A copy of the server's `consumer-timeout`, without what the server stamps."""
    (stored,) = fake.snapshot("meshtimeouts", "first-consumer")
    obj = copy.deepcopy(stored)
    for field in ("resourceVersion", "uid", "creationTimestamp", "generation"):
        obj["metadata"].pop(field, None)
    return obj


def with_request_timeout(obj: dict[str, Any], value: str) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    changed["spec"]["to"][0]["default"]["http"]["requestTimeout"] = value
    return changed


# -- the app ------------------------------------------------------------------------------


def source_threads() -> list[str]:
    """Threads of a KubeSource: its own (discovery, one per kind) and any inside `run`."""
    names = [t.name for t in threading.enumerate() if t.name.startswith("meshtui-kube")]
    by_id = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        f: Any = frame
        while f is not None:
            if f.f_code is KubeSource.run.__code__:
                names.append(f"{by_id.get(ident, ident)} in KubeSource.run")
                break
            f = f.f_back
    return names


async def wait_until(condition: Callable[[], bool], what: str, seconds: float) -> None:
    """Poll `condition` without the app's help (it may have stopped); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.2f}s: {what}")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def cluster_app(
    kubeconfig: Path,
    fake: FakeKubeAPI,
    tuning: KubeTuning = FAST,
    *,
    argv: tuple[str, ...] = (),
    asked: Asked | None = None,
    cp_check: bool = True,
) -> AsyncIterator[tuple[MeshtuiApp, Pilot[None]]]:
    """The app on the fake cluster, quit with `q` at the end of the block.

    By default it answers as Kuma 2.10 whatever the cluster says; `asked` (what the
    command line gave) lets the detected control plane fill in the rest.

    From the keypress, every source loop must be gone within a second (they are told to
    stop at once, whatever Textual still has to tear down), the app must stop, and the
    server must have seen nothing but GETs.
    """
    source = KubeSource(str(kubeconfig), tuning=tuning)
    namespace = first_namespace(_dashboard_parser().parse_args(argv), source)
    app = MeshtuiApp(
        source,
        ContextOptions(version=V2_10),
        clock=fixed_clock,
        namespace=namespace,
        asked=asked,
        cp_check=cp_check,
    )
    async with app.run_test(size=(200, 50)) as pilot:
        yield app, pilot
        assert app.is_running, "the app is still up before quitting"
        assert source_threads(), "the source is running before quitting"
        quit_at = time.monotonic()
        await pilot.press("q")
        await wait_until(lambda: not source_threads(), f"no source thread: {source_threads()}", 1.0)
        assert time.monotonic() - quit_at < 1.0
        # Wait for the message loop to end before `run_test` tears the screen down: a
        # live update handled in between would query widgets that are being removed.
        # (Textual's own shutdown: usually a tenth of a second, given slack for slow CI.)
        await wait_until(lambda: not app.is_running, "the app stops", 5.0)
    assert {r.method for r in fake.requests} == {"GET"}


def header(app: MeshtuiApp) -> HeaderView:
    view = app.query_one(StatusHeader).view
    assert view is not None
    return view


def header_text(app: MeshtuiApp) -> str:
    """The header line as the user reads it."""
    return app.query_one(StatusHeader).render().plain


def row_keys(app: MeshtuiApp) -> set[RowKey]:
    view = app.dashboard.table.view
    return {row.key for row in view.rows} if view is not None else set()


def empty_text(app: MeshtuiApp) -> str:
    view = app.dashboard.table.view
    return view.empty_text if view is not None else ""


def timeout_shown(app: MeshtuiApp, value: str) -> bool:
    return f"  requestTimeout: {value}" in map(conf_line, detail_labels(app))


def all_watched(fake: FakeKubeAPI, plurals: list[str] = PLURALS) -> Callable[[], bool]:
    return lambda: all(fake.watcher_count(p) >= 1 for p in plurals)


async def synced(
    pilot: Pilot[None], app: MeshtuiApp, fake: FakeKubeAPI, plurals: list[str] = PLURALS
) -> None:
    """Initial load shown (evaluated) and every served kind watched."""
    await wait_for(
        pilot,
        lambda: app.status.synced and app.evaluation is not None,
    )
    await wait_for(pilot, all_watched(fake, plurals))
    await pilot.pause()


def kinds_shown(app: MeshtuiApp) -> Mapping[str, str]:
    return dict(header(app).kinds)


# -- initial sync -------------------------------------------------------------------------


async def test_initial_sync_shows_the_cluster(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    """One list per kind fills the panes: mesh default's 4 proxies; LIVE and the context."""
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        assert row_keys(app) == DEFAULT_DATAPLANES
        view = header(app)
        assert (view.mode, view.source, view.mesh) == ("LIVE", CONTEXT, "default")
        assert view.meshes == ("default", "shop")
        assert view.counts.startswith("4 dataplanes")
        assert view.kinds == ()  # every kind live: nothing to report
        assert "23 live" in view.status
        text = header_text(app)
        assert "LIVE" in text and CONTEXT in text and "loading" not in text
        assert dict(app.inventory.resource_map) == server_resources(fake)
        for plural in PLURALS:
            assert len(lists_of(fake, plural)) == 1


async def test_the_header_names_the_detected_control_plane(tmp_path: Path) -> None:
    """The control plane's Deployment (as Kuma's chart renders it) says which Kuma runs."""
    served = [NAMESPACES, *kuma_resources("2.13"), DEPLOYMENTS, SERVICES]
    with FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1) as fake:
        fake.upsert_many(control_plane("2.13.4", zone="zone-1"))
        kubeconfig = fake.write_kubeconfig(tmp_path / "kc", context=CONTEXT)
        async with cluster_app(kubeconfig, fake, asked=Asked()) as (app, pilot):
            await synced(pilot, app, fake)
            detection = app.status.control_plane
            assert detection is not None and detection.zone == "zone-1"
            assert header(app).profile == "Kuma 2.13.4 (detected)"
            assert "Kuma 2.13.4 (detected)" in header_text(app)
            assert "Kuma" not in header(app).status, "said once, in its own field"


# -- watch events -------------------------------------------------------------------------


async def test_seed_scenario_editing_consumer_timeout_on_the_server(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """MODIFIED on the server reaches the open rules, highlighted, without a keypress."""
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        app.dashboard.jump(CONSUMER)
        await wait_for(pilot, lambda: timeout_shown(app, "3s"))
        assert not app.dashboard.detail.changed
        fake.upsert(with_request_timeout(consumer_timeout(fake), "7s"))  # MODIFIED
        await wait_for(pilot, lambda: timeout_shown(app, "7s"))
        assert not timeout_shown(app, "3s")
        assert app.dashboard.table.current_key() == CONSUMER, "the cursor stays on the proxy"
        assert app.dashboard.detail.changed, "the changed rule is highlighted"
        edited = ResourceKey("MeshTimeout", "default", CONSUMER_TIMEOUT.name)
        assert app.dashboard.highlights.rows[edited][0] == "changed"
        app.dashboard.action_show("policies")
        await pilot.pause()
        assert app.dashboard.table.now_rows[CONSUMER_TIMEOUT].style == "changed"


async def test_added_and_deleted_policies_and_dataplanes(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """ADDED and DELETED policies and proxies appear in and vanish from their views."""
    extra_key = policy("MeshTimeout", "extra-timeout.first-consumer")
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        app.dashboard.action_show("policies")
        extra = consumer_timeout(fake)
        extra["metadata"]["name"] = "extra-timeout"
        fake.upsert(extra)  # ADDED
        await wait_for(pilot, lambda: extra_key in row_keys(app))
        assert app.dashboard.table.now_rows[extra_key].style == "added"
        fake.delete("meshtimeouts", "first-consumer", "extra-timeout")  # DELETED
        await wait_for(pilot, lambda: extra_key not in row_keys(app))
        assert CONSUMER_TIMEOUT in row_keys(app)

        app.dashboard.action_show("dataplanes")
        await pilot.pause()
        (second,) = fake.snapshot("dataplanes", "second-consumer")
        third = copy.deepcopy(second)
        third["metadata"] = {**second["metadata"], "name": "consumer-2"}
        for field in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            third["metadata"].pop(field, None)
        fake.upsert(third)
        await wait_for(pilot, lambda: dataplane("consumer-2.second-consumer") in row_keys(app))
        assert header(app).counts.startswith("5 dataplanes")
        fake.delete("dataplanes", "second-consumer", "consumer-2")
        await wait_for(pilot, lambda: row_keys(app) == DEFAULT_DATAPLANES)
        assert dict(app.inventory.resource_map) == server_resources(fake)


# -- re-listing and resuming --------------------------------------------------------------


async def test_410_relists_and_the_app_equals_the_server(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """410 after compaction: every kind re-lists, then the app holds what the server does."""
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        app.dashboard.jump(CONSUMER)
        await wait_for(pilot, lambda: timeout_shown(app, "3s"))
        fake.upsert(with_request_timeout(consumer_timeout(fake), "6s"))
        fake.delete("meshtimeouts", "kuma-demo", "producer-timeout")
        fake.compact()
        assert fake.expire_watches() == len(PLURALS)
        await wait_for(pilot, lambda: all(len(lists_of(fake, p)) == 2 for p in PLURALS))
        await wait_for(pilot, all_watched(fake))
        await wait_for(pilot, lambda: dict(app.inventory.resource_map) == server_resources(fake))
        await wait_for(pilot, lambda: timeout_shown(app, "6s"))
        assert not any("producer-timeout" in label for label in detail_labels(app))
        fake.upsert(with_request_timeout(consumer_timeout(fake), "8s"))  # watching again
        await wait_for(pilot, lambda: timeout_shown(app, "8s"))
        assert dict(app.inventory.resource_map) == server_resources(fake)
        assert header(app).kinds == ()


@pytest.mark.parametrize("drop", ["disconnect_watches", "abort_watches"])
async def test_dropped_watches_resume_without_a_relist(
    fake: FakeKubeAPI, kubeconfig: Path, drop: str
) -> None:
    """A clean end of stream or a TCP reset resumes the watch: no second list, changes arrive."""
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        app.dashboard.jump(CONSUMER)
        await wait_for(pilot, lambda: timeout_shown(app, "3s"))
        assert getattr(fake, drop)() == len(PLURALS)
        await wait_for(pilot, all_watched(fake))
        fake.upsert(with_request_timeout(consumer_timeout(fake), "5s"))
        await wait_for(pilot, lambda: timeout_shown(app, "5s"))
        for plural in PLURALS:
            assert len(lists_of(fake, plural)) == 1, f"{plural} was listed again"
        assert dict(app.inventory.resource_map) == server_resources(fake)
        assert header(app).kinds == ()


# -- per-kind and cluster-wide trouble ----------------------------------------------------


async def test_forbidden_and_not_installed_kinds_are_shown_while_the_rest_works(
    tmp_path: Path,
) -> None:
    """403 and 404 kinds are named in the header; every other kind keeps updating the panes."""
    served = [p for p in PLURALS if p != "meshtraces"]
    with FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1) as fake:
        assert [s for s in fake.skipped if "MeshTrace" not in s] == []
        fake.forbid("meshretries")
        kubeconfig = fake.write_kubeconfig(tmp_path / "kc", context=CONTEXT)
        watched = [p for p in served if p != "meshretries"]
        async with cluster_app(kubeconfig, fake) as (app, pilot):
            await synced(pilot, app, fake, watched)
            assert kinds_shown(app) == {"MeshRetry": "forbidden", "MeshTrace": "not installed"}
            text = header_text(app)
            assert "MeshRetry: forbidden" in text and "MeshTrace: not installed" in text
            assert "cannot list" in header(app).status  # why it is forbidden
            assert row_keys(app) == DEFAULT_DATAPLANES
            app.dashboard.jump(CONSUMER)
            fake.upsert(with_request_timeout(consumer_timeout(fake), "9s"))
            await wait_for(pilot, lambda: timeout_shown(app, "9s"))

            fake.permit("meshretries")  # the retry every `forbidden_retry` picks it up
            await wait_for(pilot, lambda: "MeshRetry" not in kinds_shown(app))
            fake.uninstall("meshhttproutes")  # the CRD goes away while watched
            await wait_for(
                pilot,
                lambda: (
                    kinds_shown(app)
                    == {"MeshHTTPRoute": "not installed", "MeshTrace": "not installed"}
                ),
            )
            assert not any(k.type == "MeshHTTPRoute" for k in app.inventory.resource_map)
            assert row_keys(app) == DEFAULT_DATAPLANES


async def test_unreachable_cluster_says_so_and_keeps_retrying(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """A closed port: header and the empty table say why; it syncs once the server is up."""
    fake.stop()  # the kubeconfig now points at a closed port
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await wait_for(pilot, lambda: "unreachable" in header(app).status)
        view = header(app)
        assert fake.url in view.status and "refused" in view.status
        assert view.mode == "LIVE" and view.source == CONTEXT
        assert view.counts == "loading…"  # no data yet, and the status says why
        assert "unreachable" in header_text(app)
        await wait_for(pilot, lambda: "unreachable" in empty_text(app))
        assert not row_keys(app)
        assert empty_text(app).startswith("loading… cluster unreachable at ")
        assert (
            "cluster unreachable" in app.dashboard.table.render_line(1).text
        )  # what the user sees
        await pilot.pause(0.5)  # a few more rounds of retries: still running, still saying so
        assert app.is_running and "unreachable" in header(app).status
        fake.start()
        await synced(pilot, app, fake)
        assert row_keys(app) == DEFAULT_DATAPLANES
        assert "unreachable" not in header(app).status


async def test_lost_cluster_shows_reconnecting_since_then_recovers(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """The server goes away after the sync: kinds show `reconnecting since T` (grouped when
    many kinds share it), and the data stays."""
    async with cluster_app(kubeconfig, fake) as (app, pilot):
        await synced(pilot, app, fake)
        fake.stop()
        await wait_for(
            pilot,
            lambda: any(
                state.startswith("reconnecting since ") for state in kinds_shown(app).values()
            ),
        )
        assert row_keys(app) == DEFAULT_DATAPLANES, "the last known state stays on screen"
        assert "reconnecting since" in header_text(app)
        fake.start()
        await wait_for(pilot, lambda: header(app).kinds == (), timeout=10)
        app.dashboard.jump(CONSUMER)
        fake.upsert(with_request_timeout(consumer_timeout(fake), "2s"))
        await wait_for(pilot, lambda: timeout_shown(app, "2s"))


# -- quitting and read-only ---------------------------------------------------------------


async def test_quitting_stops_every_loop_within_a_second(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    """Long-lived watches (as on a real cluster) still end at once on `q` (`cluster_app`)."""
    long_watches = dataclasses.replace(FAST, watch_timeout=240, read_timeout=60)
    async with cluster_app(kubeconfig, fake, long_watches) as (app, pilot):
        await synced(pilot, app, fake)
        fake.compact()
        fake.expire_watches()  # a re-list,
        fake.abort_watches()  # a reset,
        await wait_for(pilot, all_watched(fake))
        app.dashboard.action_show("policies")
        fake.upsert(with_request_timeout(consumer_timeout(fake), "4s"))  # and a change in flight
    assert fake.watcher_count() == 0, "every watch connection is closed"
    assert {r.verb for r in fake.requests} == {"get", "list", "watch"}
    assert {r.method for r in fake.requests} == {"GET"}


@pytest.mark.parametrize(
    ("context_namespace", "argv", "focused"),
    [
        ("first-consumer", (), "first-consumer"),  # kubectl's namespace without -n
        ("first-consumer", ("-n", "kuma-demo"), "kuma-demo"),
        ("first-consumer", ("-n", ""), ""),  # -n '': all namespaces
        (None, (), ""),
        ("default", (), "default"),  # nothing of the mesh in it: still listed, selected
    ],
)
async def test_first_focus_is_the_contexts_namespace(
    fake: FakeKubeAPI,
    tmp_path: Path,
    context_namespace: str | None,
    argv: tuple[str, ...],
    focused: str,
) -> None:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc", CONTEXT, context_namespace)
    async with cluster_app(kubeconfig, fake, argv=argv) as (app, pilot):
        await wait_for(pilot, lambda: all_counts(app).startswith(f"{len(DEFAULT_DATAPLANES)} dp"))
        assert state(app).namespaces == (frozenset({focused}) if focused else frozenset())
        view = app.query_one("#namespaces", SideList).view
        assert view is not None
        selected = [item.key for item in view.items if item.selected]
        assert selected == [f"{focused}"]
        expected = {k for k in DEFAULT_DATAPLANES if not focused or k.name.endswith(f".{focused}")}
        await wait_for(pilot, lambda: row_keys(app) == expected)


def all_counts(app: MeshtuiApp) -> str:
    """The counts of the namespaces list's `all` entry (`4 dp 8 pol` once loaded)."""
    view = app.query_one("#namespaces", SideList).view
    return view.items[0].counts.strip() if view is not None and view.items else ""


def test_a_folder_focuses_no_namespace_unless_told() -> None:
    """A folder has no current namespace: all of them, unless `-n` names one."""
    folder = FolderSource(SAMPLE, watch=False)
    assert first_namespace(_dashboard_parser().parse_args([str(SAMPLE)]), folder) == ""
    args = _dashboard_parser().parse_args(["-n", "kuma-demo", str(SAMPLE)])
    assert first_namespace(args, folder) == "kuma-demo"
