"""App-wide Textual messages: what workers report to the app, and the work the
dashboard asks the app for.

Workers only post these; the app's handlers own every state change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from textual.message import Message

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.inventory import Diff, Inventory
from meshtui.model import ResourceKey
from meshtui.present.crosscheck import CpCheck
from meshtui.present.detail import DetailBuilt, DetailRequest
from meshtui.sources import StatusChanged

if TYPE_CHECKING:
    from meshtui.sources.kube.controlplane import ControlPlaneClient, CpIndex


class InventoryChanged(Message):
    """The source produced a new inventory (already parsed, off the UI thread)."""

    def __init__(self, inventory: Inventory, diff: Diff, initial: bool) -> None:
        super().__init__()
        self.inventory = inventory
        self.diff = diff
        self.initial = initial


class SourceStatusReceived(Message):
    """The source's health changed; only the latest one matters."""

    def __init__(self, status: StatusChanged) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SourceStatusReceived)


class EvaluationReady(Message):
    """A mesh evaluation was built for an inventory version."""

    def __init__(self, mesh: str, version: int, evaluation: MeshEvaluation) -> None:
        super().__init__()
        self.mesh = mesh
        self.version = version
        self.evaluation = evaluation


class CountsReady(Message):
    """What a table counts for one evaluation: the dataplanes each policy affects, or the
    policies using each service."""

    def __init__(
        self, evaluation: MeshEvaluation, view: str, counts: Mapping[ResourceKey, int]
    ) -> None:
        super().__init__()
        self.evaluation = evaluation
        self.view = view
        self.counts = counts


class DetailReady(Message):
    """A detail was built for a request."""

    def __init__(self, built: DetailBuilt) -> None:
        super().__init__()
        self.built = built


class EvaluationWanted(Message):
    """The dashboard shows this mesh of this inventory: it needs an evaluation."""

    def __init__(self, mesh: str, inventory: Inventory) -> None:
        super().__init__()
        self.mesh = mesh
        self.inventory = inventory


class CountsWanted(Message):
    """A table shown counts something for this evaluation (AFFECTS, POLICIES)."""

    def __init__(self, evaluation: MeshEvaluation, view: str) -> None:
        super().__init__()
        self.evaluation = evaluation
        self.view = view


class DetailWanted(Message):
    """The detail pane needs this built."""

    def __init__(self, request: DetailRequest) -> None:
        super().__init__()
        self.request = request


class ControlPlaneReached(Message):
    """The control plane's API was tried: a client, and what its index said (or why not)."""

    def __init__(self, client: ControlPlaneClient, index: CpIndex) -> None:
        super().__init__()
        self.client = client
        self.index = index


class CheckReady(Message):
    """The control plane's answer for a proxy was compared with meshtui's."""

    def __init__(self, check: CpCheck) -> None:
        super().__init__()
        self.check = check


class DraftWanted(Message):
    """The user typed `:draft ...`: overlay draft files on the live state (a path), return
    to it (`off`), or say which mode is on (``""``)."""

    def __init__(self, argument: str) -> None:
        super().__init__()
        self.argument = argument
