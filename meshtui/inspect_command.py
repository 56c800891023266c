"""`meshtui inspect ...`: load a path once, answer one query, print problems to stderr.

Load problems are warnings: they go to stderr, one line each, and never change the exit
status. An unknown mesh, dataplane or policy raises `NotFoundError` (exit status 3); the
notes (how the control-plane context was inferred, what was skipped as irrelevant) are
then left out, so an error on clean input is exactly one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from meshtui.engine.api import InspectApi, exit_status
from meshtui.engine.index import MeshIndex, build_index, mesh_names
from meshtui.engine.inspect import affected_dataplanes_body, matched_policies_body, rules_body
from meshtui.errors import NotFoundError, SourceError
from meshtui.kinds import POLICY_KINDS, lookup
from meshtui.model import Problem
from meshtui.parse import ContextOptions, ParseResult, parse_documents


def load(path: Path, options: ContextOptions) -> tuple[ParseResult, list[Problem]]:
    """Read and parse everything under `path`.

    Returns:
        The parse result and every problem met on the way (reading first), for stderr.
    """
    from meshtui.sources.files import load_path

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    documents, read_problems = load_path(path)
    result = parse_documents(documents, options)
    return result, [*read_problems, *result.problems]


def _report(problem: Problem) -> None:
    kind = "note" if problem.severity == "info" else "warning"
    print(f"meshtui: {kind}: {problem.describe()}", file=sys.stderr)


def mesh_index(result: ParseResult, mesh: str) -> MeshIndex:
    """The index of `mesh`, or `NotFoundError` (Kuma: 404 "Failed to retrieve Mesh")."""
    if mesh not in mesh_names(result.resources):
        raise NotFoundError(f"mesh {mesh!r} not found")
    return build_index(result.resources, mesh, version=result.control_plane.version)


def policy_type(name: str) -> str:
    """Resolve a policy kind given by kind, plural or short name."""
    info = lookup(name)
    if info is None or not info.is_policy:
        known = ", ".join(POLICY_KINDS)
        raise NotFoundError(f"unknown policy type {name!r} (known: {known})")
    return info.kind


def _profile_note(options: ContextOptions, given: bool) -> Problem:
    how = f"--kuma-version {options.version.line}" if given else "the default"
    return Problem(severity="info", message=f"answering as Kuma {options.version} ({how})")


def report_problems(
    problems: list[Problem],
    *,
    errors_only: bool,
    options: ContextOptions | None = None,
    given: object = None,
) -> None:
    """Load problems on stderr: all of them (after the profile note), or only warnings and
    errors when the query named something unknown."""
    if not errors_only and options is not None:
        _report(_profile_note(options, given is not None))
    for problem in problems:
        if not errors_only or problem.severity != "info":
            _report(problem)


def run_api(args: argparse.Namespace, options: ContextOptions) -> tuple[int, Any]:
    """`meshtui inspect api PATH REQUEST_PATH`: the exit status and the response body."""
    result, problems = load(args.path, options)
    for problem in (_profile_note(options, args.kuma_version is not None), *problems):
        _report(problem)
    response = InspectApi(result.resources, options.version).get(args.request)
    return exit_status(response.status), response.body


def run_inspect(args: argparse.Namespace, options: ContextOptions) -> Any:
    """Compute the body for `meshtui inspect rules|dataplanes|policies`.

    Problems go to stderr; when the query names something unknown, only the warnings.
    """
    result, problems = load(args.path, options)
    problems.insert(0, _profile_note(options, args.kuma_version is not None))
    try:
        body = _answer(args, result)
    except NotFoundError:
        for problem in problems:
            if problem.severity != "info":
                _report(problem)
        raise
    for problem in problems:
        _report(problem)
    return body


def _answer(args: argparse.Namespace, result: ParseResult) -> Any:
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
