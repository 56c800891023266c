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
from meshtui.kinds import lookup
from meshtui.model import EFFECT, Problem, Resource
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.present.diff import diff_text
from meshtui.raw import RawDocument


def _documents(path: Path) -> tuple[list[RawDocument], list[Problem]]:
    from meshtui.sources.files import load_path

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    return load_path(path)


def _pinned(result: ParseResult, options: ContextOptions) -> ContextOptions:
    """The base's control-plane context, so that a draft is labelled as the base was."""
    cp = result.control_plane
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


def run_diff(args: argparse.Namespace, options: ContextOptions) -> tuple[int, str, Any]:
    """(exit status, `text` or `json`, output) of `meshtui diff`."""
    base_docs, read_problems = _documents(args.base)
    before = parse_documents(base_docs, options)
    pinned = _pinned(before, options)
    after_docs = list(base_docs)
    more_problems: list[Problem] = []
    if args.against is not None:
        after_docs, more_problems = _documents(args.against)
    for path in args.with_ or ():
        docs, problems = _documents(path)
        after_docs += docs
        more_problems += problems
    after = parse_documents(after_docs, pinned)
    after_resources = after.resources
    if args.without:
        after_resources = _without(after_resources, args.without)
    if args.shadow:
        after_resources = _unshadowed(after_resources)
    report_problems(
        [*read_problems, *before.problems],
        errors_only=False,
        options=options,
        given=args.kuma_version,
    )
    known = {p.describe() for p in [*read_problems, *before.problems]}
    introduced = [
        p.describe()
        for p in [*more_problems, *after.problems]
        if p.severity != "info" and p.describe() not in known
    ]
    meshes = sorted(set(mesh_names(before.resources)) | set(mesh_names(after_resources)))
    if args.mesh:
        if args.mesh not in meshes:
            raise NotFoundError(f"mesh {args.mesh!r} not found")
        meshes = [args.mesh]
    diffs: list[MeshDiff] = []
    for mesh in meshes:
        old = build_index(before.resources, mesh, version=options.version)
        new = build_index(after_resources, mesh, version=options.version)
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
                "kumaVersion": str(options.version),
                "meshes": [diff_json(d) for d in diffs],
                "introducedProblems": introduced,
            },
        )
    return status, "text", diff_text(diffs, introduced)
