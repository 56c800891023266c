"""`meshtui inspect ...`: load a path once, answer one query, print problems to stderr.

Load problems are warnings: they go to stderr, one line each, and never change the exit
status. An unknown mesh, dataplane or policy raises `NotFoundError` (exit status 3).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from meshtui.engine.index import MeshIndex, build_index, mesh_names
from meshtui.engine.inspect import affected_dataplanes_body, matched_policies_body, rules_body
from meshtui.errors import NotFoundError, SourceError
from meshtui.kinds import POLICY_KINDS, lookup
from meshtui.model import Problem
from meshtui.parse import ContextOptions, ParseResult, parse_documents


def load(path: Path, options: ContextOptions) -> ParseResult:
    """Read and parse everything under `path`; problems are reported on stderr."""
    from meshtui.sources.files import load_path

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    documents, read_problems = load_path(path)
    result = parse_documents(documents, options)
    for problem in [*read_problems, *result.problems]:
        _report(problem)
    return result


def _report(problem: Problem) -> None:
    kind = "note" if problem.severity == "info" else "warning"
    print(f"meshtui: {kind}: {problem.describe()}", file=sys.stderr)


def mesh_index(result: ParseResult, mesh: str) -> MeshIndex:
    """The index of `mesh`, or `NotFoundError` (Kuma: 404 "Failed to retrieve Mesh")."""
    if mesh not in mesh_names(result.resources):
        raise NotFoundError(f"mesh {mesh!r} not found")
    return build_index(result.resources, mesh)


def policy_type(name: str) -> str:
    """Resolve a policy kind given by kind, plural or short name."""
    info = lookup(name)
    if info is None or not info.is_policy:
        known = ", ".join(POLICY_KINDS)
        raise NotFoundError(f"unknown policy type {name!r} (known: {known})")
    return info.kind


def run_inspect(args: argparse.Namespace, options: ContextOptions) -> Any:
    """Compute the body for `meshtui inspect rules|dataplanes|policies`."""
    result = load(args.path, options)
    index = mesh_index(result, args.mesh)
    if args.what == "dataplanes":
        type_name, _, name = args.policy.partition("/")
        kind = policy_type(type_name)
        policy = index.find_policy(kind, name)
        if not name or policy is None:
            raise NotFoundError(f"{kind} {name!r} not found in mesh {args.mesh!r}")
        return affected_dataplanes_body(index, policy)
    dataplane = index.dataplanes.get(args.dataplane)
    if dataplane is None:
        raise NotFoundError(f"dataplane {args.dataplane!r} not found in mesh {args.mesh!r}")
    if args.what == "rules":
        return rules_body(index, dataplane)
    return matched_policies_body(index, dataplane, policy_type(args.type))
