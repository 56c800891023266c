"""`meshtui diff`: what a draft, a removal, another folder or the shadow policies do to
every proxy's merged rules, before anything is applied.

Exit status as diff(1) and `kubectl diff`: 0 nothing changes, 1 something changes, 2 an
error (usage, unreadable input). Load problems go to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from meshtui.engine.diff import MeshDiff, diff_json, diff_meshes
from meshtui.engine.index import build_index, mesh_names
from meshtui.errors import ConfigError, NotFoundError, SourceError
from meshtui.inspect_command import report_problems
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.kinds import lookup
from meshtui.loading import Loaded, cluster, folder
from meshtui.model import EFFECT, Problem, Resource
from meshtui.parse import ContextOptions
from meshtui.parse.labels import ControlPlane
from meshtui.present.diff import diff_text
from meshtui.raw import RawDocument


def _documents(path: Path) -> tuple[list[RawDocument], list[Problem]]:
    from meshtui.sources.files import load_path

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    return load_path(path)


def _pinned(cp: ControlPlane, options: ContextOptions) -> ContextOptions:
    """The base's control-plane context, so that a draft is labelled as the base was."""
    return ContextOptions(
        cp_mode=cp.mode,
        zone=cp.zone if cp.mode == "zone" else None,
        env=cp.env,
        system_namespace=cp.system_namespace,
        version=options.version,
    )


def _without(resources: Iterable[Resource], removals: Sequence[str]) -> tuple[Resource, ...]:
    wanted: set[tuple[str, str]] = set()
    for item in removals:
        type_name, _, name = item.partition("/")
        info = lookup(type_name)
        if info is None or not name:
            raise ConfigError(f"--without {item!r}: expected TYPE/NAME with a known kind")
        wanted.add((info.kind, name))
    return tuple(r for r in resources if (r.type, r.name) not in wanted)


def _unshadowed(resources: Iterable[Resource]) -> tuple[Resource, ...]:
    """Shadow policies as they would apply (Kuma's shadow mode)."""
    out = []
    for resource in resources:
        if resource.shadow:
            labels = {k: v for k, v in resource.labels.items() if k != EFFECT}
            resource = dataclasses.replace(resource, labels=labels)
        out.append(resource)
    return tuple(out)


DRAFT_ORIGIN = "what-if:"
"""Origin keys of draft files: after every `file:` origin, so a draft replaces a base
resource with the same store key."""


def _drafts(paths: Sequence[Path]) -> list[OriginUpdate]:
    updates = []
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        documents, problems = _documents(path)
        updates.append(OriginUpdate(f"{DRAFT_ORIGIN}{path}", tuple(documents), tuple(problems)))
    return updates


def run_diff(args: argparse.Namespace, options: ContextOptions) -> tuple[int, str, Any]:
    """(exit status, `text` or `json`, output) of `meshtui diff`."""
    base = _base(args, options)
    before = base.inventory
    pinned = _pinned(before.control_plane, base.options)
    if args.against is not None:
        after = folder(args.against, pinned).inventory
    else:
        after, _ = Inventory.empty(pinned).apply([*base.changes, *_drafts(args.with_ or ())])
    after_resources = after.resources
    if args.without:
        after_resources = _without(after_resources, args.without)
    if args.shadow:
        after_resources = _unshadowed(after_resources)
    version = base.options.version
    report_problems(
        list(before.problems), errors_only=False, options=base.options, given=args.kuma_version
    )
    known = {p.describe() for p in before.problems}
    introduced = [
        p.describe() for p in after.problems if p.severity != "info" and p.describe() not in known
    ]
    meshes = sorted(set(mesh_names(before.resources)) | set(mesh_names(after_resources)))
    if args.mesh:
        if args.mesh not in meshes:
            raise NotFoundError(f"mesh {args.mesh!r} not found")
        meshes = [args.mesh]
    diffs: list[MeshDiff] = []
    for mesh in meshes:
        old = build_index(before.resources, mesh, version=version)
        new = build_index(after_resources, mesh, version=version)
        diffs.append(diff_meshes(old, new, dataplanes=args.dataplane or ()))
    changed = bool(introduced) or any(
        d.changes or d.added or d.removed or d.role_changes for d in diffs
    )
    status = 1 if changed else 0
    if args.output == "json":
        return (
            status,
            "json",
            {
                "kumaVersion": str(version),
                "meshes": [diff_json(d) for d in diffs],
                "introducedProblems": introduced,
            },
        )
    return status, "text", diff_text(diffs, introduced)


def _base(args: argparse.Namespace, options: ContextOptions) -> Loaded:
    """BASE: the folder, or without one the cluster of the kubeconfig context."""
    if args.base is not None:
        return folder(args.base, options)
    return cluster(args, options)
