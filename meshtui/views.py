"""View models: the passive, already-formatted data each widget renders.

Produced by `present`, consumed by `widgets`. Frozen and compared by value, so a
widget whose view did not change is not redrawn. All text is plain (never markup) and
already made safe to print: control characters in resource data are escaped by
`present`, and widgets render text literally.

Styles are semantic tags that widgets map to theme colours: ``""``, `added`,
`changed`, `removed`, `stale`, `warning`, `error`, `muted`, `accent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Row:
    """One table row. `key` identifies it across updates (the cursor follows it)."""

    key: str
    cells: tuple[str, ...]
    style: str = ""


@dataclass(frozen=True, slots=True)
class TableView:
    """The central table: dataplanes, policies, services or problems."""

    kind: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    empty_text: str = ""


@dataclass(frozen=True, slots=True)
class ListItem:
    """One entry of a side list (a namespace, a role)."""

    key: str
    label: str
    counts: str = ""
    selected: bool = False
    hint: str = ""
    """A one-line explanation shown as a tooltip."""


@dataclass(frozen=True, slots=True)
class ListView:
    """A side list with a title."""

    title: str
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of the detail tree.

    `node_id` is stable across updates, so expansion and the cursor survive a refresh;
    `target` names what `enter` jumps to (`policy:<Type>/<name>`, `dataplane:<name>`,
    `service:<Type>/<name>`), or is empty.
    """

    node_id: str
    label: str
    children: tuple[TreeNode, ...] = ()
    target: str = ""
    style: str = ""
    expanded: bool = True

    def walk(self) -> tuple[TreeNode, ...]:
        """This node and all descendants, depth first."""
        out: list[TreeNode] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@dataclass(frozen=True, slots=True)
class DetailView:
    """The detail pane: a title line, and a tree or a text (YAML)."""

    title: str
    subtitle: str = ""
    tree: TreeNode | None = None
    text: str = ""
    empty_text: str = ""


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
