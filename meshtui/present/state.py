"""The dashboard's navigation state: what the user has chosen to look at.

Owned by the app, replaced whole on every change, read by `present`. Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

VIEWS = ("dataplanes", "policies", "services", "problems")


@dataclass(frozen=True, slots=True)
class UIState:
    """What is selected and filtered."""

    mesh: str = ""
    view: str = "dataplanes"
    """One of `VIEWS`: what the central table lists."""
    namespaces: frozenset[str] = frozenset()
    """Selected namespaces; empty means all."""
    role: str = ""
    """Policy role filter; empty means all roles."""
    kind: str = ""
    """Policy kind filter (from `:mt` and the like); empty means all kinds."""
    filter: str = ""
    """The live `/` filter text."""
    selected: Mapping[str, str] = field(default_factory=dict)
    """Selected row key per view."""
    detail_mode: str = "tree"
    """`tree` or `yaml`."""

    def with_selected(self, key: str) -> UIState:
        """Select `key` in the current view."""
        return replace(self, selected={**self.selected, self.view: key})

    @property
    def selected_key(self) -> str:
        """The selected row key of the current view (``""`` when none)."""
        return self.selected.get(self.view, "")


@dataclass(frozen=True, slots=True)
class Highlights:
    """Recent changes to show for a few seconds: key → (style, until)."""

    rows: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    nodes: Mapping[str, tuple[str, float]] = field(default_factory=dict)

    def style_of_row(self, key: str, now: float) -> str:
        hit = self.rows.get(key)
        return hit[0] if hit is not None and hit[1] > now else ""

    def style_of_node(self, node_id: str, now: float) -> str:
        hit = self.nodes.get(node_id)
        return hit[0] if hit is not None and hit[1] > now else ""

    def expired(self, now: float) -> Highlights:
        """Without the entries whose time is up."""
        return Highlights(
            {k: v for k, v in self.rows.items() if v[1] > now},
            {k: v for k, v in self.nodes.items() if v[1] > now},
        )

    @property
    def empty(self) -> bool:
        return not self.rows and not self.nodes
