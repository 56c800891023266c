"""What the app knows at one moment, and the dashboard's views of it (pure).

The app replaces its `Snapshot` whole after every change and hands it to the dashboard
screen, which draws it with these functions, as its `NavState` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Inventory
from meshtui.model import Problem, ResourceKey
from meshtui.present import header_view, namespaces_view, roles_view, waiting_text
from meshtui.present.changes import changes_table
from meshtui.present.crosscheck import CpCheck
from meshtui.present.highlights import Highlights
from meshtui.present.journal import Journal
from meshtui.present.navigator import NavState
from meshtui.present.tables import table_for
from meshtui.present.whatif import WhatIf, header_text, marked
from meshtui.views import HeaderView, ResourceRow, RowKey, SideListView, TableView


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the dashboard draws from; replaced whole on every change."""

    inventory: Inventory
    evaluation: MeshEvaluation | None = None
    """The latest evaluation (of the mesh last asked for)."""
    evaluated: int = -1
    """The version of the inventory `evaluation` was built from (-1: none yet)."""
    counts: Mapping[ResourceKey, int] = field(default_factory=dict)
    """What the policies and services tables count, for `evaluation`'s mesh."""
    failures: tuple[Problem, ...] = ()
    """Work that failed at run time, listed with the load problems."""
    evaluation_failed: str = ""
    """What went wrong evaluating the mesh, until an evaluation succeeds."""
    loaded: bool = False
    updated: str = ""
    """When the inventory last changed (`HH:MM:SS`)."""
    status: str = "starting"
    """The source's status line."""
    kinds: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    """(state, since) of each watched kind (cluster mode)."""
    profile: str = ""
    """The Kuma version answered as, for the header (`Kuma 2.14.3 (detected)`)."""
    profile_how: str = ""
    """Where that version comes from, in a sentence (for the help)."""
    control_plane: str = ""
    """One quiet line about the control plane's own API (cluster mode), and its style."""
    control_plane_style: str = ""
    checking: bool = False
    """Whether the selected proxy is checked against the control plane's own answer."""
    checks: Mapping[str, CpCheck] = field(default_factory=dict)
    """The latest check of each proxy (by store name), for the evaluation it names."""
    journal: Journal = field(default_factory=Journal)
    """The live changes seen since start (the Changes view)."""
    whatif: WhatIf | None = None
    """In what-if mode, the drafts overlaid on the live state (`inventory` is the overlay)."""

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What the problems table lists: load problems, then run-time failures."""
        return (*self.inventory.problems, *self.failures)

    def evaluation_of(self, mesh: str) -> MeshEvaluation | None:
        """The evaluation of `mesh` (none while the latest is another mesh's)."""
        ev = self.evaluation
        return ev if ev is not None and ev.mesh == mesh else None

    def differs_only_in_status(self, other: Snapshot) -> bool:
        """Whether `other` is this snapshot but for the source's health."""
        return (
            self.inventory is other.inventory
            and self.evaluation is other.evaluation
            and self.counts is other.counts
            and self.failures is other.failures
            and self.checks is other.checks
            and replace(self, status=other.status, kinds=other.kinds) == other
        )

    def check_of(self, key: RowKey | None, mode: str) -> CpCheck | None:
        """What the detail of `key` says about the control plane's answer: the check of
        this proxy for the evaluation shown, else (while checking) that it is asking."""
        ev = self.evaluation
        if not self.checking or ev is None or mode != "tree":
            return None
        if not isinstance(key, ResourceRow) or key.view != "dataplanes":
            return None
        check = self.checks.get(key.name)
        if check is not None and check.evaluation is ev:
            return check
        return CpCheck.asking(ev, key.name)


def header_of(snap: Snapshot, state: NavState, *, mode: str, source: str) -> HeaderView:
    """The top line."""
    header = header_view(
        mode=mode,
        source=source,
        ev=snap.evaluation_of(state.mesh),
        meshes=snap.inventory.mesh_names,
        problems=snap.problems,
        updated=snap.updated,
        status=snap.status,
        kinds=snap.kinds,
        loading=not snap.loaded,
        profile=snap.profile,
        control_plane=snap.control_plane,
        control_plane_style=snap.control_plane_style,
    )
    if snap.whatif is None:
        return header
    return replace(header, whatif=header_text(snap.whatif, snap.evaluation_of(state.mesh)))


def sides_of(snap: Snapshot, state: NavState) -> tuple[SideListView, SideListView]:
    """The namespaces and the policy roles lists."""
    ev = snap.evaluation_of(state.mesh)
    return namespaces_view(ev, snap.inventory.namespaces, state), roles_view(ev, state)


def table_of(snap: Snapshot, state: NavState, highlights: Highlights, now: float) -> TableView:
    """The central table; empty, it says why (loading, no mesh, evaluating, failed)."""
    if state.view == "changes":
        return changes_table(snap.journal, state)
    ev = snap.evaluation_of(state.mesh)
    counts = snap.counts if ev is not None else {}
    view = table_for(state, ev, snap.inventory, snap.problems, highlights, now, counts)
    view = marked(view, snap.whatif, ev)
    if ev is None and not view.rows and state.view != "problems":
        why = waiting_text(
            loaded=snap.loaded,
            status=snap.status,
            has_meshes=bool(snap.inventory.mesh_names),
            failed=snap.evaluation_failed,
        )
        view = replace(view, empty_text=why)
    return view
