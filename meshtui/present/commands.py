"""The `:` command line, in k9s' vocabulary: what a command does to the navigation state.

Pure. Error texts name what was typed and what exists (mesh and namespace names come
from input): every such name is escaped with `literal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from meshtui.kinds import lookup
from meshtui.model import PolicyRole
from meshtui.present.navigator import NavState
from meshtui.present.text import literal

_VIEWS = {
    "dp": "dataplanes",
    "dps": "dataplanes",
    "dataplane": "dataplanes",
    "dataplanes": "dataplanes",
    "pol": "policies",
    "policy": "policies",
    "policies": "policies",
    "svc": "services",
    "service": "services",
    "services": "services",
    "pb": "problems",
    "problem": "problems",
    "problems": "problems",
    "ch": "changes",
    "change": "changes",
    "changes": "changes",
}


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The new state (or `None` when unchanged), an app action, or an error to show."""

    state: NavState | None = None
    action: str = ""
    """`quit`, `help` or `draft`."""
    argument: str = ""
    """What the action is given: for `draft`, a path, `off`, or ``""`` (say the mode)."""
    error: str = ""


def run_command(
    text: str, state: NavState, *, meshes: Sequence[str], namespaces: Sequence[str] = ()
) -> CommandResult:
    """Interpret one command line (without the leading `:`)."""
    words = text.strip().split()
    if not words:
        return CommandResult()
    head, args = words[0].lower(), words[1:]
    if head in ("q", "q!", "quit", "exit"):
        return CommandResult(action="quit")
    if head in ("h", "help", "?"):
        return CommandResult(action="help")
    if head == "draft":
        # the rest of the line as typed: a path may hold spaces
        return CommandResult(action="draft", argument=text.strip()[len(words[0]) :].strip())
    if head in _VIEWS:
        kind = "" if _VIEWS[head] == "policies" and not args else state.kind
        return CommandResult(replace(state, view=_VIEWS[head], kind=kind, filter=""))
    if head in ("ns", "namespace", "namespaces"):
        return _namespaces(state, args, namespaces)
    if head == "mesh":
        return _mesh(state, args, meshes)
    if head == "role":
        return _role(state, args)
    if head == "all":
        return CommandResult(replace(state, view="policies", kind="", role=""))
    info = lookup(head)
    if info is not None and info.is_policy:
        return CommandResult(replace(state, view="policies", kind=info.kind, filter=""))
    if info is not None:
        view = "dataplanes" if info.kind == "Dataplane" else "services"
        return CommandResult(replace(state, view=view, filter=""))
    return CommandResult(error=f"unknown command {_quoted(head)} (try :help)")


def _namespaces(state: NavState, args: Sequence[str], known: Sequence[str]) -> CommandResult:
    names = {n for arg in args for n in arg.split(",") if n}
    if not names or "all" in names or "-A" in names:
        return CommandResult(replace(state, namespaces=frozenset()))
    unknown = sorted(names - set(known)) if known else []
    if unknown:
        return CommandResult(error=f"no namespace {_names(unknown)} in this mesh")
    return CommandResult(replace(state, namespaces=frozenset(names)))


def _mesh(state: NavState, args: Sequence[str], meshes: Sequence[str]) -> CommandResult:
    if not args:
        return CommandResult(error=f"meshes: {_names(meshes) or 'none'}")
    if args[0] not in meshes:
        return CommandResult(
            error=f"no mesh {_quoted(args[0])} (meshes: {_names(meshes) or 'none'})"
        )
    return CommandResult(replace(state, mesh=args[0], namespaces=frozenset(), selected={}))


def _role(state: NavState, args: Sequence[str]) -> CommandResult:
    if not args or args[0] == "all":
        return CommandResult(replace(state, role=""))
    roles = [r.value for r in PolicyRole]
    if args[0] not in roles:
        return CommandResult(error=f"no role {_quoted(args[0])} (roles: {', '.join(roles)})")
    return CommandResult(replace(state, view="policies", role=args[0]))


def _quoted(name: str) -> str:
    return f"'{literal(name)}'"


def _names(names: Sequence[str]) -> str:
    return ", ".join(literal(name) for name in names)
