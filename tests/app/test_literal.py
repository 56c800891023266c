"""Names, labels and values are shown literally: markup and ANSI escapes never render.

Kubernetes would reject such names, so the mesh is in Universal form, where names are
free strings. YAML's double-quoted `\\e` is the ESC character.
"""

from __future__ import annotations

from pathlib import Path

from meshtui.app import MeshtuiApp
from meshtui.widgets.sidelist import SideList
from tests.app.harness import (
    command,
    dataplane,
    detail_labels,
    folder_app,
    header_text,
    notifications,
    open_section,
    policy,
    press,
    rows,
    title,
    type_text,
    wait_for,
)

ESC = "\x1b"
SHOWN_ESC = "\\x1b"  # how an ESC reads on screen: backslash, x, 1, b

UNIVERSAL = r"""
type: Mesh
name: default
---
type: Dataplane
mesh: default
name: "[bold]x[/bold]"
labels:
  team: "[red]core"
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      name: http
      tags:
        kuma.io/service: "[red]svc"
        kuma.io/protocol: http
        app: "\e[31mred"
---
type: Dataplane
mesh: default
name: "esc-\e[31m-dp"
networking:
  address: 10.0.0.2
  inbound:
    - port: 8080
      tags:
        kuma.io/service: "plain\e[0m"
---
type: MeshTimeout
mesh: default
name: "[red]timeout[/red]"
labels:
  note: "\e[31m[bold]loud"
spec:
  targetRef:
    kind: Dataplane
    labels:
      team: "[red]core"
  to:
    - targetRef:
        kind: Mesh
      default:
        http:
          requestTimeout: 5s
"""

MARKUP_DP = dataplane("[bold]x[/bold]")
ESC_DP = dataplane(f"esc-{ESC}[31m-dp")
POLICY = policy("MeshTimeout", "[red]timeout[/red]")


def universal_app(tmp_path: Path) -> MeshtuiApp:
    (tmp_path / "mesh.yaml").write_text(UNIVERSAL)
    return folder_app(tmp_path)


def shown_text(app: MeshtuiApp) -> list[str]:
    """Every string the current views hand to the widgets."""
    assert app.dashboard.table.view is not None and app.dashboard.detail.view is not None
    texts = [
        title(app),
        app.dashboard.detail.view.title,
        app.dashboard.detail.view.subtitle,
        app.dashboard.detail.view.text,
    ]
    texts += [cell for row in app.dashboard.table.view.rows for cell in row.cells]
    texts += detail_labels(app)
    for pane in ("namespaces", "roles"):
        view = app.query_one(f"#{pane}", SideList).view
        assert view is not None
        texts += [item.label for item in view.items]
    return texts


async def test_dataplane_names_and_tags_with_markup_and_escapes_read_literally(
    tmp_path: Path,
) -> None:
    app = universal_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.evaluation is not None and len(rows(app)) == 2)
        await wait_for(pilot, lambda: bool(detail_labels(app)))
        assert app.inventory.problems == ()
        assert rows(app) == [MARKUP_DP, ESC_DP]
        assert app.dashboard.table.view is not None
        markup_row, esc_row = app.dashboard.table.view.rows
        assert markup_row.cells[:4] == ("[bold]x[/bold]", "(none)", "-", "[red]svc")
        assert esc_row.cells[0] == f"esc-{SHOWN_ESC}[31m-dp"
        assert esc_row.cells[3] == f"plain{SHOWN_ESC}[0m"
        labels = detail_labels(app)
        assert labels[0] == "[bold]x[/bold]"
        assert "Inbound :8080 (http)  [red]svc" in labels
        assert "← MeshTimeout [red]timeout[/red] ((none) · system)  to[0]" in labels
        assert not any(ESC in text for text in shown_text(app))

        screen = app.export_screenshot()
        assert "[bold]x[/bold]" in screen and "[red]svc" in screen
        assert f"esc-{SHOWN_ESC}[31m-dp" in screen
        assert ESC not in screen

        await press(pilot, "y")
        yaml = app.dashboard.detail.view
        assert yaml is not None and yaml.title == "Dataplane [bold]x[/bold]"
        assert 'name: "[bold]x[/bold]"' in yaml.text
        assert 'app: "\\u001b[31mred"' in yaml.text, "the YAML escapes it as YAML would"
        assert ESC not in yaml.text and ESC not in app.export_screenshot()
        await press(pilot, "y", "down")
        assert app.dashboard.detail.view is not None
        assert app.dashboard.detail.view.title == f"esc-{SHOWN_ESC}[31m-dp  plain{SHOWN_ESC}[0m"
        assert not any(ESC in text for text in shown_text(app))
        assert ESC not in app.export_screenshot()


async def test_policy_names_labels_and_the_filter_text_read_literally(tmp_path: Path) -> None:
    app = universal_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.evaluation is not None)
        await press(pilot, "2")
        assert rows(app) == [POLICY]
        assert app.dashboard.table.view is not None
        cells = app.dashboard.table.view.rows[0].cells
        assert cells[1] == "[red]timeout[/red]" and cells[6] == "Dataplane {team=[red]core}"
        await press(pilot, "enter")
        await open_section(pilot, app, "labels")
        labels = detail_labels(app)
        assert labels[0] == "[red]timeout[/red]"
        assert "[bold]x[/bold] ((none))" in labels, "the affected dataplane"
        assert f"note: {SHOWN_ESC}[31m[bold]loud" in labels
        assert not any(ESC in text for text in shown_text(app))
        screen = app.export_screenshot()
        assert "[red]timeout[/red]" in screen and "[bold]x[/bold]&#160;((none))" in screen
        assert ESC not in screen

        await press(pilot, "escape", "slash")
        await type_text(pilot, "[bold]")
        assert rows(app) == [], "no policy cell contains it"
        assert title(app) == "Policies (0/1)  /[bold]"
        # Regression: the table's border title parsed the filter text as markup.
        assert "/[bold]" in app.export_screenshot()
        await press(pilot, "escape", "1", "slash")
        await type_text(pilot, "[bold]")
        assert rows(app) == [MARKUP_DP] and title(app) == "Dataplanes (1/2)  /[bold]"
        assert "/[bold]" in app.export_screenshot()


EVIL_MESH = "evil\x1b]0;owned\x07\u202e"
"""A mesh name holding an OSC title sequence and a right-to-left override."""


async def test_mesh_names_in_notifications_and_the_header_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "mesh.yaml").write_text(
        UNIVERSAL + '---\ntype: Mesh\nname: "evil\\e]0;owned\\a\\u202e"\n'
    )
    app = folder_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.evaluation is not None)
        assert EVIL_MESH in app.inventory.mesh_names
        await command(pilot, "mesh nope")
        ((message, severity),) = notifications(app)
        assert severity == "error"
        assert message == "no mesh 'nope' (meshes: default, evil\\x1b]0;owned\\x07\\u202e)"
        await press(pilot, "m")
        await wait_for(
            pilot, lambda: app.evaluation is not None and app.evaluation.mesh != "default"
        )
        assert "mesh evil\\x1b]0;owned\\x07\\u202e (2 of 2" in header_text(app)
        screen = app.export_screenshot()
        assert "\x1b]" not in screen and "\x07" not in screen and "\u202e" not in screen
