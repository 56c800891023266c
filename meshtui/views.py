"""View models: the passive, already-formatted data each widget renders.

Produced by `present`, consumed by `widgets`. Frozen and compared by value, so a
widget whose view did not change is not redrawn. All text is plain (never markup) and
already made safe to print: control characters in resource data are escaped by
`present`, and widgets render text literally.

Styles are semantic tags that widgets map to theme colours: ``""``, `added`,
`changed`, `removed`, `stale`, `warning`, `error`, `muted`, `accent`, `ok`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

VIEWS = ("dataplanes", "policies", "services", "problems", "changes")
"""What the central table can list."""


class ResourceRow(NamedTuple):
    """The row of one resource, which is also what a jump to it names."""

    view: str
    """The table that lists it: `dataplanes`, `policies` or `services`."""
    type: str
    """The resource type (`Dataplane`, `MeshTimeout`, `MeshService`, ...)."""
    name: str
    """The store name."""


class ProblemRow(NamedTuple):
    """The row of one problem: its position in the problems list."""

    position: int

    @property
    def view(self) -> str:
        return "problems"


class ChangeRow(NamedTuple):
    """The row of one change in the Changes view: its number among the changes seen."""

    sequence: int
    view: str = "changes"


RowKey = ResourceRow | ProblemRow | ChangeRow
"""What identifies a table row across updates (the cursor and the selection follow it)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One table row. `key` identifies it across updates (the cursor follows it)."""

    key: RowKey
    cells: tuple[str, ...]
    style: str = ""


@dataclass(frozen=True, slots=True)
class TableView:
    """The central table: dataplanes, policies, services or problems."""

    kind: str
    """One of `VIEWS`."""
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    empty_text: str = ""


@dataclass(frozen=True, slots=True)
class SideListItem:
    """One entry of a side list (a namespace, a role)."""

    key: str
    """What choosing it selects: a namespace or a role name; ``""`` for the `all` entry."""
    label: str
    counts: str = ""
    selected: bool = False
    hint: str = ""
    """A one-line explanation shown under the list while the entry is highlighted."""


@dataclass(frozen=True, slots=True)
class SideListView:
    """A side list with a title."""

    title: str
    items: tuple[SideListItem, ...]


@dataclass(frozen=True, slots=True)
class Copyable:
    """What `c` copies from a detail line (or its nearest line that has something)."""

    what: str
    """For the notification: `KRI kri_mt_…`, `MeshTimeout conf of outbound … as YAML`."""
    text: str
    """What goes to the clipboard: a KRI, or YAML ending with a newline."""


@dataclass(frozen=True, slots=True)
class DetailNode:
    """One line of the detail tree, with the lines under it.

    `node_id` is stable across updates, so expansion and the cursor survive a refresh;
    `target` names the row `enter` jumps to, if any.
    """

    node_id: str
    label: str
    children: tuple[DetailNode, ...] = ()
    target: ResourceRow | None = None
    style: str = ""
    expanded: bool = True
    lazy: bool = False
    """Its children are built only once the user opens it: `children` is empty until the
    detail is built again with this node among the opened ones."""
    copy: Copyable | None = None
    """What `c` copies on this line or the lines under it (a KRI, a conf)."""

    @property
    def expandable(self) -> bool:
        """Whether it can be opened: it has children, or will have once opened."""
        return self.lazy or bool(self.children)

    def walk(self) -> tuple[DetailNode, ...]:
        """This node and all descendants, depth first."""
        out: list[DetailNode] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@dataclass(frozen=True, slots=True)
class DetailView:
    """The detail pane: a title line, and a tree or a text (YAML)."""

    title: str
    subtitle: str = ""
    tree: DetailNode | None = None
    text: str = ""
    empty_text: str = ""
    syntax: str = ""
    """The language `text` is written in (`yaml`), for highlighting; ``""``: plain text."""


@dataclass(frozen=True, slots=True)
class HeaderView:
    """The top line: where the data comes from and how it is doing."""

    mode: str
    source: str
    mesh: str
    meshes: tuple[str, ...]
    counts: str
    errors: int
    warnings: int
    updated: str
    status: str = ""
    status_style: str = ""
    kinds: tuple[tuple[str, str], ...] = field(default=())
    """(kind, state) for kinds that are not live (cluster mode)."""
    profile: str = ""
    """The Kuma version answered as: `Kuma 2.14.3 (detected)`."""
    control_plane: str = ""
    """A quiet line about the control plane's own API (cluster mode)."""
    control_plane_style: str = ""
    whatif: str = ""
    """In what-if mode, the drafts and what they change (``""``: the live state is shown)."""
