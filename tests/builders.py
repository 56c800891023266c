"""Builders shared by the presentation tests: an inventory and its evaluation from YAML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import SourceRef
from meshtui.parse import ContextOptions
from meshtui.raw import RawDocument


def inventory_of(*documents: str | dict[str, Any], file: str = "/input.yaml") -> Inventory:
    """An inventory holding `documents` (YAML texts or decoded bodies), read from `file`."""
    bodies: Sequence[Any] = [yaml.safe_load(d) if isinstance(d, str) else d for d in documents]
    docs = tuple(RawDocument(SourceRef(file, i), body) for i, body in enumerate(bodies, 1))
    inventory, _ = Inventory.empty(ContextOptions()).apply([OriginUpdate(f"file:{file}", docs)])
    return inventory


def evaluation_of(inventory: Inventory, mesh: str = "default") -> MeshEvaluation:
    """The evaluation of one mesh of `inventory`, built the plain way."""
    return MeshEvaluation(build_index(inventory.resources, mesh))
