"""`c` copies what the user points at: the KRI or the conf under the detail's cursor, the
YAML shown, else the selection's KRI, and says what it copied."""

from __future__ import annotations

from meshtui.app import MeshtuiApp
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource
from meshtui.sources.profile import Asked
from tests.app.harness import (
    FIRST,
    SAMPLE,
    dataplane,
    fixed_clock,
    folder_app,
    jumped,
    notifications,
    press,
    started,
    wait_for,
)

WEB = dataplane("web-6f7c9d8b45-2xkqp.shop-frontend")
WEB_KRI = "kri_dp_shop_default_shop-frontend_web-6f7c9d8b45-2xkqp_"
INBOUND = f"in:{WEB_KRI}http"


def shop_app() -> MeshtuiApp:
    """`meshtui sample-cluster/ --mesh shop`: Kuma 2.14, the default."""
    source = FolderSource(SAMPLE, watch=False)
    return MeshtuiApp(source, ContextOptions(), asked=Asked(), mesh="shop", clock=fixed_clock)


def last_said(app: MeshtuiApp) -> str:
    return notifications(app)[-1][0]


async def put_cursor(app: MeshtuiApp, node_id: str) -> None:
    tree = app.dashboard.detail.rules_tree
    app.dashboard.set_focus(tree)
    target = tree._find(node_id)
    assert target is not None, node_id
    tree.move_cursor(target, animate=False)


async def test_c_copies_the_kri_or_the_conf_under_the_cursor() -> None:
    app = shop_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await jumped(pilot, app, WEB)
        await wait_for(pilot, lambda: app.dashboard.detail.rules_tree._find(INBOUND) is not None)
        origin = f"{INBOUND}/MeshTimeout/r1/o:legacy-with-timeout.kuma-system#from[0]"
        await put_cursor(app, origin)
        await press(pilot, "c")
        assert app.clipboard == "kri_mt_shop_default_kuma-system_legacy-with-timeout_"
        assert last_said(app) == "copied KRI kri_mt_shop_default_kuma-system_legacy-with-timeout_"

        await put_cursor(app, f"{INBOUND}/MeshTimeout/r1/c0/l1")  # `  requestTimeout: 1s`
        await press(pilot, "c")
        assert app.clipboard == "http:\n  requestTimeout: 1s\n"
        assert last_said(app) == "copied MeshTimeout rule of inbound :8080 as YAML"

        await put_cursor(app, INBOUND)
        await press(pilot, "c")
        assert app.clipboard == f"{WEB_KRI}http"


async def test_elsewhere_c_copies_the_selections_kri_or_the_yaml_shown() -> None:
    app = shop_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await jumped(pilot, app, WEB)
        assert app.focused is app.dashboard.table
        await press(pilot, "c")
        assert app.clipboard == WEB_KRI
        await press(pilot, "y")
        await wait_for(
            pilot,
            lambda: (
                app.dashboard.detail.view is not None and app.dashboard.detail.view.syntax == "yaml"
            ),
        )
        await press(pilot, "c")
        assert app.clipboard.startswith("apiVersion: kuma.io/v1alpha1\nkind: Dataplane\n")
        assert last_said(app) == "copied the YAML of Dataplane web-6f7c9d8b45-2xkqp"


async def test_before_2_12_confs_are_copied_and_a_bare_line_says_there_is_nothing() -> None:
    app = folder_app(SAMPLE / "producer-consumer", clock=fixed_clock)  # Kuma 2.10
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot, app)
        await jumped(pilot, app, FIRST)
        outbound = "out:MeshService/demo-app.kuma-demo:"
        await wait_for(pilot, lambda: app.dashboard.detail.rules_tree._find(outbound) is not None)
        await put_cursor(app, f"{outbound}/MeshTimeout")
        await press(pilot, "c")
        assert app.clipboard == "http:\n  requestTimeout: 3s\n"
        await put_cursor(app, outbound)
        await press(pilot, "c")
        assert last_said(app) == "nothing to copy here"
