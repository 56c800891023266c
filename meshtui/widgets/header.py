"""The status line at the top: source, mesh, counts, problems, freshness."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from meshtui.views import HeaderView
from meshtui.widgets.styles import rich_style


class StatusHeader(Static):
    """Renders a `HeaderView`."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    view: reactive[HeaderView | None] = reactive(None)
    """Set by the app; replaced whole."""

    def render(self) -> Text:
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("meshtui ", style="bold")
        if view is None:
            return text
        text.append(f" {view.mode} ", style=rich_style(self.app, "accent") + Style(reverse=True))
        text.append(f" {view.source}  ")
        if view.profile:
            text.append(f"{view.profile}  ", style=rich_style(self.app, "accent"))
        if view.control_plane:
            style = rich_style(self.app, view.control_plane_style or "muted")
            text.append(f"{view.control_plane}  ", style=style)
        if view.whatif:
            badge = rich_style(self.app, "warning") + Style(reverse=True, bold=True)
            text.append(" WHAT-IF ", style=badge)
            text.append(f" {view.whatif}  ", style=rich_style(self.app, "warning"))
        # Problems and kinds not being watched come before the mesh and the counts, so that
        # a narrow terminal cuts the counts rather than them.
        if view.errors:
            text.append(f"✖ {view.errors} problem(s)  ", style=rich_style(self.app, "error"))
        if view.warnings:
            text.append(f"⚠ {view.warnings} warning(s)  ", style=rich_style(self.app, "warning"))
        for kind, state in view.kinds:  # watched kinds that are not live (cluster mode)
            text.append(f"{kind}: {state}  ", style=rich_style(self.app, "warning"))
        if view.mesh:
            text.append("mesh ", style="dim")
            text.append(view.mesh, style="bold")
            if len(view.meshes) > 1:
                place = view.meshes.index(view.mesh) + 1 if view.mesh in view.meshes else 1
                text.append(f" ({place} of {len(view.meshes)}, m to switch)", style="dim")
            text.append("  ")
        text.append(view.counts + "  ")
        if view.status:
            text.append(
                view.status + "  ", style=rich_style(self.app, view.status_style or "muted")
            )
        text.append(f"updated {view.updated}", style="dim")
        return text
