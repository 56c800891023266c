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
from meshtui.engine.kri import StoreNaming
from meshtui.errors import NotFoundError
from meshtui.inventory import Inventory
from meshtui.kinds import LEGACY_POLICIES, lookup, policy_info
from meshtui.loading import cluster, folder
from meshtui.model import Problem
from meshtui.parse import ContextOptions, ParseResult
from meshtui.present.text import literal
from meshtui.sources.detection import Detection
from meshtui.versions import DEFAULT as DEFAULT_FOR_SELECTION


def load(path: Path, options: ContextOptions) -> tuple[ParseResult, list[Problem]]:
    """Read everything under `path` once, as the dashboard does (one load path).

    Returns:
        What it parsed into and every problem met on the way, for stderr.
    """
    return as_result(folder(path, options).inventory)


def as_result(inventory: Inventory) -> tuple[ParseResult, list[Problem]]:
    """An inventory's resources, problems and context, as the commands read them."""
    result = ParseResult(
        resources=inventory.resources,
        problems=inventory.problems,
        control_plane=inventory.control_plane,
        context_note=inventory.context_note,
        namespaces=inventory.namespaces,
        legacy=inventory.legacy,
    )
    return result, list(result.problems)


def _report(problem: Problem) -> None:
    kind = "note" if problem.severity == "info" else "warning"
    print(f"meshtui: {kind}: {literal(problem.describe())}", file=sys.stderr)


def mesh_index(result: ParseResult, mesh: str) -> MeshIndex:
    """The index of `mesh`, or `NotFoundError` (Kuma: 404 "Failed to retrieve Mesh")."""
    if mesh not in mesh_names(result.resources):
        raise NotFoundError(f"mesh {mesh!r} not found")
    return build_index(result.resources, mesh, version=result.control_plane.version)


def policy_type(name: str, index: MeshIndex) -> str:
    """Resolve a policy kind given by kind, plural or short name, or a generic kind of
    `index` given by kind or plural."""
    info = lookup(name)
    if info is not None and info.is_policy:
        return info.kind
    lowered = name.lower()
    for kind in index.policy_types:
        generic = policy_info(kind)
        if generic is not None and lowered in (kind.lower(), generic.plural):
            return kind
    known = ", ".join(index.policy_types)
    raise NotFoundError(f"unknown policy type {name!r} (known: {known})")


def _profile_note(
    options: ContextOptions, given: bool, detection: Detection | None = None
) -> Problem:
    if given:
        how = f"--kuma-version {options.version.line}"
    elif detection is not None and detection.version is not None:
        how = "detected on the cluster"
    else:
        how = "the default"
    return Problem(severity="info", message=f"answering as Kuma {options.version} ({how})")


def load_for(
    args: argparse.Namespace, options: ContextOptions
) -> tuple[ParseResult, list[Problem], ContextOptions]:
    """`args.path` once, or without a path the cluster (`--kubeconfig`, `--context`): what
    it holds, its problems with the profile note first, and the options it was read with."""
    loaded = folder(args.path, options) if args.path is not None else cluster(args, options)
    result, problems = as_result(loaded.inventory)
    given = args.kuma_version is not None
    problems.insert(0, _profile_note(loaded.options, given, loaded.detection))
    return result, problems, loaded.options


def report_problems(
    problems: list[Problem],
    *,
    errors_only: bool,
    options: ContextOptions | None = None,
    given: object = None,
) -> None:
    """Load problems on stderr: all of them (after the profile note, when `options` are
    given), or only warnings and errors when the query named something unknown."""
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
    cp = result.control_plane
    naming = StoreNaming(
        global_cp=cp.mode == "global",
        zone=cp.zone,
        universal=cp.env == "universal",
        system_namespace=cp.system_namespace,
    )
    api = InspectApi(result.resources, options.version, legacy=result.legacy, naming=naming)
    response = api.get(args.request)
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


def _selected_by_other_kind(
    result: ParseResult, index: MeshIndex, type_name: str, name: str
) -> dict[str, Any] | None:
    """`inspect dataplanes` for a MeshService (the proxies its selector picks) or a legacy
    selector-based policy; `None` for any other kind."""
    lowered = type_name.lower()
    legacy = next(
        (k for k, (plural, _) in LEGACY_POLICIES.items() if lowered in (k.lower(), plural)),
        None,
    )
    if legacy is not None:
        plural = LEGACY_POLICIES[legacy][0]
        path = f"/meshes/{index.mesh_name}/{plural}/{name}/_resources/dataplanes"
    elif lowered in ("meshservice", "meshservices", "msvc"):
        path = f"/meshes/{index.mesh_name}/meshservices/{name}/_dataplanes"
    else:
        return None
    # selectors pick the same proxies on every line; the newest line serves both requests
    api = InspectApi(result.resources, DEFAULT_FOR_SELECTION, legacy=result.legacy)
    response = api.everything(path)
    if response.status == 404:
        raise NotFoundError(f"{type_name} {name!r} not found in mesh {index.mesh_name!r}")
    body: dict[str, Any] = response.body
    return body


def _answer(args: argparse.Namespace, result: ParseResult) -> Any:
    index = mesh_index(result, args.mesh)
    if args.what == "dataplanes":
        type_name, _, name = args.policy.partition("/")
        selected = _selected_by_other_kind(result, index, type_name, name)
        if selected is not None:
            return selected
        kind = policy_type(type_name, index)
        policy = index.find_policy(kind, name)
        if not name or policy is None:
            raise NotFoundError(f"{kind} {name!r} not found in mesh {args.mesh!r}")
        return affected_dataplanes_body(index, policy)
    dataplane = index.dataplanes.get(args.dataplane)
    if dataplane is None:
        raise NotFoundError(f"dataplane {args.dataplane!r} not found in mesh {args.mesh!r}")
    if args.what == "rules":
        return rules_body(index, dataplane)
    return matched_policies_body(index, dataplane, policy_type(args.type, index))
