"""What changed recently, drawn in the `added`/`changed` style for a few seconds (pure data)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from meshtui.inventory import Diff
from meshtui.model import ResourceKey


@dataclass(frozen=True, slots=True)
class Highlights:
    """Recent changes: resource or detail node → (style, until when)."""

    rows: Mapping[ResourceKey, tuple[str, float]] = field(default_factory=dict)
    nodes: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    """Detail tree nodes by node id (of the subject the detail shows)."""

    def style_of_row(self, key: ResourceKey, now: float) -> str:
        hit = self.rows.get(key)
        return hit[0] if hit is not None and hit[1] > now else ""

    def nodes_shown(self, now: float) -> frozenset[str]:
        """The detail nodes to draw as changed at `now`."""
        return frozenset(node for node, (_, until) in self.nodes.items() if until > now)

    def with_diff(self, diff: Diff, until: float) -> Highlights:
        """Plus the resources an inventory change added or changed."""
        rows = dict(self.rows)
        rows.update((key, ("added", until)) for key in diff.added)
        rows.update((key, ("changed", until)) for key in diff.changed)
        return Highlights(rows, self.nodes)

    def with_nodes(self, changed: Iterable[str], until: float) -> Highlights:
        """Plus detail nodes that now read differently."""
        return Highlights(self.rows, {**self.nodes, **dict.fromkeys(changed, ("changed", until))})

    def without_nodes(self) -> Highlights:
        """For another subject: its nodes have nothing to compare with."""
        return Highlights(self.rows, {}) if self.nodes else self

    def expired(self, now: float) -> Highlights:
        """Without the entries whose time is up."""
        return Highlights(
            {k: v for k, v in self.rows.items() if v[1] > now},
            {k: v for k, v in self.nodes.items() if v[1] > now},
        )

    @property
    def empty(self) -> bool:
        return not self.rows and not self.nodes
