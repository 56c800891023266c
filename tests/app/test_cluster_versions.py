"""Cluster mode and the control plane: the detected version and context in use, and the
selected proxy checked against the control plane's own answer.

The real app, a `KubeSource` and the fake API server serving the sample, the control
plane's Deployment as Kuma's chart renders it, and a `FakeControlPlane` behind the
service proxy. Expected `_rules` bodies are the CLI's golden files (worked out from the
spec), not meshtui's output.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from meshtui.app import MeshtuiApp
from meshtui.parse.labels import ControlPlane
from meshtui.sources.profile import Asked
from meshtui.versions import KumaVersion
from meshtui.views import DetailNode
from tests.app.harness import REPO, SAMPLE, dataplane, help_text, notifications, press, wait_for
from tests.app.test_cluster import (
    CONSUMER,
    CONTEXT,
    FAST,
    cluster_app,
    consumer_timeout,
    header,
    synced,
    with_request_timeout,
)
from tests.fakekube import (
    DEPLOYMENTS,
    NAMESPACES,
    SERVICES,
    FakeControlPlane,
    FakeKubeAPI,
    kuma_resources,
)
from tests.fakekube.charts import API_PORT, control_plane
from tests.fakekube.kuma_api import meshtui_answers
from tests.versions import V2_12, V2_14

RULES = f"/meshes/default/dataplanes/{CONSUMER.name}/_rules"
GOLDEN_RULES = REPO / "tests" / "cli" / "cases" / "seed-first-consumer" / "expected.json"
"""`_rules` of consumer.first-consumer at 2.10, worked out from the spec."""
WEB = dataplane("web-6f7c9d8b45-2xkqp.shop-frontend")


def cluster(line: str, *, cp_version: str | None = None, zone: str | None = None) -> FakeKubeAPI:
    """The sample on a fake serving `line`'s kinds, Deployments and Services, with the
    chart's control plane of `cp_version` (none when None)."""
    served = [NAMESPACES, *kuma_resources(line), DEPLOYMENTS, SERVICES]
    fake = FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1)
    if cp_version is not None:
        fake.upsert_many(control_plane(cp_version, zone=zone))
    return fake


@pytest.fixture
def kubeconfig_of(tmp_path: Path) -> Iterator[Any]:
    def write(fake: FakeKubeAPI) -> Path:
        return fake.write_kubeconfig(tmp_path / "kc", context=CONTEXT)

    yield write


def first_line(app: MeshtuiApp) -> DetailNode | None:
    view = app.dashboard.detail.view
    if view is None or view.tree is None or not view.tree.children:
        return None
    return view.tree.children[0]


def verdict(app: MeshtuiApp) -> str:
    line = first_line(app)
    return line.label if line is not None and line.node_id == "cp-check" else ""


async def show(pilot: Pilot[None], app: MeshtuiApp, row: Any) -> None:
    app.dashboard.jump(row)
    await wait_for(pilot, lambda: app.dashboard.state.selected_key == row)


# -- the detected version and context ------------------------------------------------------


async def test_the_detected_version_zone_and_namespace_are_used(kubeconfig_of: Any) -> None:
    with cluster("2.13", cp_version="2.13.4", zone="zone-1") as fake:
        async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
            await synced(pilot, app, fake)
            await wait_for(pilot, lambda: app.inventory.control_plane.version.minor == 13)
            assert app.inventory.control_plane == ControlPlane(
                mode="zone",
                zone="zone-1",
                env="kubernetes",
                system_namespace="kuma-system",
                version=KumaVersion(2, 13, 4),
            )
            await wait_for(pilot, lambda: app.evaluation is not None)
            assert app.evaluation is not None
            assert app.evaluation.index.version == KumaVersion(2, 13, 4)
            assert header(app).profile == "Kuma 2.13.4 (detected)"
            await wait_for(pilot, lambda: header(app).control_plane != "")
            assert header(app).control_plane == "CP API unreachable (503)", "no endpoints"
            assert not [n for n in notifications(app) if n[1] == "error"]


async def test_kuma_version_on_the_command_line_wins(kubeconfig_of: Any) -> None:
    with cluster("2.13", cp_version="2.13.4", zone="zone-1") as fake:
        asked = Asked(version=V2_12)
        async with cluster_app(kubeconfig_of(fake), fake, asked=asked) as (app, pilot):
            await synced(pilot, app, fake)
            await wait_for(pilot, lambda: app.inventory.control_plane.zone == "zone-1")
            assert app.inventory.control_plane.version == V2_12
            assert header(app).profile == "Kuma 2.12.14 (--kuma-version)"


async def test_a_cluster_that_cannot_tell_says_so_and_uses_the_default(
    kubeconfig_of: Any,
) -> None:
    with cluster("2.11") as fake:  # no kind that only a later line installs: no floor
        fake.forbid("deployments")
        async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
            await synced(pilot, app, fake)
            await wait_for(pilot, lambda: header(app).profile.endswith("(default: not detected)"))
            assert header(app).profile == "Kuma 2.14.3 (default: not detected)"
            assert app.inventory.control_plane.version == V2_14
            said = [text for text, _ in notifications(app)]
            assert any("could not read Deployments (403)" in text for text in said)
            await press(pilot, "question_mark")
            assert "Answering as Kuma 2.14.3: could not read Deployments (403)" in help_text(app)
            await press(pilot, "escape")


async def test_a_detection_after_the_first_load_reads_everything_again(
    kubeconfig_of: Any,
) -> None:
    tuning = dataclasses.replace(FAST, initial_hold=0.3)
    with cluster("2.13", cp_version="2.13.4", zone="zone-1") as fake:
        fake.stall_next("deployments", "get")
        async with cluster_app(kubeconfig_of(fake), fake, tuning, asked=Asked()) as (app, pilot):
            await wait_for(pilot, lambda: app.evaluation is not None)
            assert app.inventory.control_plane.version == V2_14, "read as the default first"
            fake.release_stalls()
            await wait_for(pilot, lambda: app.inventory.control_plane.zone == "zone-1")
            assert app.inventory.control_plane.version == KumaVersion(2, 13, 4)
            await wait_for(
                pilot,
                lambda: (
                    app.evaluation is not None
                    and app.evaluation.index.version == KumaVersion(2, 13, 4)
                ),
            )
            assert header(app).counts.startswith("4 dataplanes")


# -- the cross-check -------------------------------------------------------------------------


@pytest.fixture
def rules_cluster() -> Iterator[tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]]]:
    """A Kuma 2.10.11 cluster whose control plane answers consumer's `_rules` from the
    golden file."""
    golden = json.loads(GOLDEN_RULES.read_text())
    # The sample's MeshService carries the label its controller sets; the golden case's
    # input does not, and Kuma shows a resource's labels as stored.
    meta = golden["rules"][0]["toResourceRules"][0]["resourceMeta"]
    assert meta["name"] == "demo-app.kuma-demo"
    meta["labels"]["kuma.io/managed-by"] = "k8s-controller"
    with (
        cluster("2.10", cp_version="2.10.11") as fake,
        FakeControlPlane(version="2.10.11") as cp,
    ):
        cp.answer(RULES, golden)
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        yield fake, cp, golden
        assert {method for method, _ in cp.requests} <= {"GET"}


async def test_a_matching_answer_says_so_and_a_live_edit_is_checked_again(
    rules_cluster: tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]], kubeconfig_of: Any
) -> None:
    fake, cp, _ = rules_cluster
    async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
        await synced(pilot, app, fake)
        await wait_for(pilot, lambda: header(app).control_plane == "CP API ✓")
        await show(pilot, app, CONSUMER)
        await wait_for(pilot, lambda: verdict(app) != "" and "asking" not in verdict(app))
        line = first_line(app)
        assert line is not None
        assert verdict(app) == "✓ matches the control plane  (_rules, 1 request)", [
            n.label for n in line.children
        ]
        assert cp.requests.count(("GET", RULES)) == 1
        await show(pilot, app, dataplane("consumer.second-consumer"))
        await wait_for(pilot, lambda: verdict(app).startswith("✗"))  # the fake knows it not
        await show(pilot, app, CONSUMER)
        await wait_for(pilot, lambda: verdict(app).startswith("✓"))
        assert cp.requests.count(("GET", RULES)) == 1, "asked once for the same mesh state"
        fake.upsert(with_request_timeout(consumer_timeout(fake), "4s"))
        await wait_for(pilot, lambda: verdict(app).startswith("✗"))
        line = first_line(app)
        assert line is not None
        assert [n.label for n in line.children] == [
            '_rules rules[0].toResourceRules[0].conf[0].http.requestTimeout: meshtui "4s",'
            ' control plane "3s"',
            '_rules rules[0].toRules[1].conf.http.requestTimeout: meshtui "4s", control plane "3s"',
        ]


async def test_a_differing_answer_is_shown_field_by_field(
    rules_cluster: tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]], kubeconfig_of: Any
) -> None:
    fake, cp, golden = rules_cluster
    differing = copy.deepcopy(golden)
    differing["rules"][0]["toRules"][0]["conf"]["http"]["requestTimeout"] = "2s"
    cp.answer(RULES, differing)
    async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
        await synced(pilot, app, fake)
        await wait_for(pilot, lambda: header(app).control_plane == "CP API ✓")
        await show(pilot, app, CONSUMER)
        await wait_for(pilot, lambda: verdict(app).startswith("✗"))
        assert verdict(app) == "✗ differs from the control plane in 1 place (_rules, 1 request)"
        line = first_line(app)
        assert line is not None and line.style == "warning"
        assert [n.label for n in line.children] == [
            '_rules rules[0].toRules[0].conf.http.requestTimeout: meshtui "1s", control plane "2s"'
        ]


async def test_no_permission_to_proxy_is_one_quiet_word_in_the_header(
    rules_cluster: tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]], kubeconfig_of: Any
) -> None:
    fake, cp, _ = rules_cluster
    fake.forbid("services/proxy")
    async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
        await synced(pilot, app, fake)
        await wait_for(pilot, lambda: header(app).control_plane != "")
        assert header(app).control_plane == "CP API unreachable (403)"
        assert header(app).control_plane_style == "muted"
        await show(pilot, app, CONSUMER)
        await pilot.pause(0.2)
        assert verdict(app) == "", "no check line when the control plane cannot be asked"
        assert cp.requests == []
        assert not [n for n in notifications(app) if n[1] == "error"]
        await press(pilot, "question_mark")
        assert "no permission to proxy to kuma-system/kuma-control-plane:5681 (403)" in (
            help_text(app)
        )
        await press(pilot, "escape")


async def test_a_control_plane_that_is_down_is_one_quiet_word_then_tried_again(
    rules_cluster: tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]], kubeconfig_of: Any
) -> None:
    """Down at start: quiet; once up, selecting a proxy after `retry_after` connects."""
    fake, cp, _ = rules_cluster
    with FakeControlPlane() as gone:
        dead = gone.url
    fake.route_service("kuma-system", "kuma-control-plane", API_PORT, dead)
    async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
        await synced(pilot, app, fake)
        await wait_for(pilot, lambda: header(app).control_plane != "")
        assert header(app).control_plane == "CP API unreachable (503)"
        assert not [n for n in notifications(app) if n[1] == "error"]
        await show(pilot, app, CONSUMER)
        assert verdict(app) == ""
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        app.link.retry_after = 0.0
        await show(pilot, app, dataplane("consumer.second-consumer"))
        await wait_for(pilot, lambda: header(app).control_plane == "CP API ✓")
        await show(pilot, app, CONSUMER)
        await wait_for(pilot, lambda: verdict(app).startswith("✓"))


async def test_no_cp_check_asks_the_control_plane_nothing(
    rules_cluster: tuple[FakeKubeAPI, FakeControlPlane, dict[str, Any]], kubeconfig_of: Any
) -> None:
    fake, cp, _ = rules_cluster
    async with cluster_app(kubeconfig_of(fake), fake, asked=Asked(), cp_check=False) as (
        app,
        pilot,
    ):
        await synced(pilot, app, fake)
        await show(pilot, app, CONSUMER)
        await wait_for(pilot, lambda: first_line(app) is not None)
        await pilot.pause(0.2)
        assert verdict(app) == "" and header(app).control_plane == ""
    assert cp.requests == []
    assert not [r for r in fake.requests if "/proxy" in r.path]


async def test_an_exclusive_mesh_at_2_14_is_checked_with_the_policies_family(
    kubeconfig_of: Any,
) -> None:
    with (
        cluster("2.14", cp_version="2.14.3") as fake,
        FakeControlPlane(version="2.14.3") as cp,
    ):
        cp.respond_with(meshtui_answers(fake, V2_14))
        fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
        async with cluster_app(kubeconfig_of(fake), fake, asked=Asked()) as (app, pilot):
            await synced(pilot, app, fake)
            await wait_for(pilot, lambda: header(app).control_plane == "CP API ✓")
            app.dashboard.action_next_mesh()
            await wait_for(
                pilot, lambda: app.evaluation is not None and app.evaluation.mesh == "shop"
            )
            await show(pilot, app, WEB)
            await wait_for(pilot, lambda: verdict(app).startswith(("✓", "✗")), timeout=15)
            assert verdict(app) == "✓ matches the control plane  (_policies, 19 requests)"
            base = f"/meshes/shop/dataplanes/{WEB.name}"
            asked = [path for _, path in cp.requests if path.startswith(base)]
            assert asked[:2] == [f"{base}/_layout", f"{base}/_policies"]
            assert len(asked) == 19
