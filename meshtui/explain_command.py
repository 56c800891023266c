"""`meshtui explain`: which policy set each field of a proxy's merged confs, in which order,
and why a policy does (not) apply. Loads like `inspect`, answers from the same engine.

Exit status: 0, or 3 for an unknown mesh, dataplane, policy or policy type (one line on
stderr), 2 for a usage or input error.
"""

from __future__ import annotations

import argparse
from typing import Any

from meshtui.engine.explain import RuleExplanation, WhyNot, explain_dataplane, why_not
from meshtui.errors import NotFoundError
from meshtui.inspect_command import load_for, mesh_index, policy_type, report_problems
from meshtui.parse import ContextOptions
from meshtui.present.explain import explain_json, rule_text, why_text


def run_explain(args: argparse.Namespace, options: ContextOptions) -> tuple[str, Any]:
    """The output (`text` lines or a JSON document) of `meshtui explain`."""
    result, problems, options = load_for(args, options)
    try:
        index = mesh_index(result, args.mesh)
        dataplane = index.dataplanes.get(args.dataplane)
        if dataplane is None:
            raise NotFoundError(f"dataplane {args.dataplane!r} not found in mesh {args.mesh!r}")
        why: WhyNot | None = None
        types = [policy_type(args.type, index)] if args.type else list(index.policy_types)
        if args.policy:
            type_name, _, name = args.policy.partition("/")
            kind = policy_type(type_name, index)
            policy = index.find_policy(kind, name)
            if not name or policy is None:
                raise NotFoundError(f"{kind} {name!r} not found in mesh {args.mesh!r}")
            why = why_not(index, policy, dataplane)
            if not args.type:
                types = [kind]
    except NotFoundError:
        report_problems(problems, errors_only=True)
        raise
    report_problems(problems, errors_only=False)
    rules: list[RuleExplanation] = [
        rule for kind in types for rule in explain_dataplane(index, dataplane, kind)
    ]
    if args.output == "json":
        return "json", explain_json(dataplane, str(options.version), rules, why)
    lines: list[str] = []
    if why is not None:
        lines += why_text(why)
        lines.append("")
    for rule in rules:
        lines += rule_text(rule)
        lines.append("")
    if not rules:
        lines.append(f"No merged rule of {', '.join(types)} on this proxy.")
    return "text", "\n".join(lines).rstrip("\n") + "\n"


def render(kind: str, body: Any) -> str:
    """`run_explain`'s (or `run_diff`'s) output as the text to print."""
    if kind == "json":
        from meshtui.engine.inspect import to_json

        return to_json(body)
    return str(body)
