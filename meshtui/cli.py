"""Command line: `meshtui [PATH]` opens the dashboard, `meshtui inspect ...` answers headless.

The composition root: parses arguments, builds a source, and hands over to the app or
to the inspect commands. Also installed as `kubectl-meshtui`, so `kubectl meshtui`
works as a kubectl plugin.

Exit status: 0 success, 1 the answer could not be written (standard output closed or
full, or its encoding cannot hold the text), 2 usage or input error, 3 an unknown mesh,
dataplane or policy, 130 interrupted. Every error is one line on stderr, with any text
that came from input escaped. `inspect api` answers 0 for a 2xx, 3 for 404, 4 for another
4xx and 5 for a 5xx; `diff` 0 when nothing changes and 1 when something does.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from meshtui import __version__
from meshtui.errors import MeshtuiError, NotFoundError, SourceError
from meshtui.parse import ContextOptions
from meshtui.sources.profile import Asked
from meshtui.versions import DEFAULT, PROFILES, KumaVersion

if TYPE_CHECKING:
    from meshtui.sources import Source

EXIT_OUTPUT = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


def _add_cluster_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    group = parser.add_argument_group("cluster mode (without a path)")
    group.add_argument(
        "--kubeconfig",
        help="kubeconfig file(s), colon-separated (default: $KUBECONFIG or ~/.kube/config)",
    )
    group.add_argument("--context", help="the kubeconfig context to use")
    return group


def _kuma_version(text: str) -> KumaVersion:
    try:
        return KumaVersion.profile(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


class _NoCache(argparse.Action):
    """`--no-cache`: no decode cache is read or written by this process."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from meshtui.sources import decodecache

        decodecache.switch_off()
        setattr(namespace, self.dest, True)


def _add_context_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action=_NoCache,
        nargs=0,
        default=False,
        help="neither read nor write the cache of decoded YAML files (README: Performance)",
    )
    parser.add_argument(
        "--kuma-version",
        type=_kuma_version,
        metavar="X.Y",
        help=(
            f"answer as this Kuma release line ({', '.join(PROFILES)}; each at its latest"
            f" patch; default: {DEFAULT.line}, or the version detected on the cluster)"
        ),
    )
    group = parser.add_argument_group("control-plane context (for Kubernetes-form YAML)")
    group.add_argument(
        "--cp-mode", choices=("zone", "global"), help="the control plane's mode (default: inferred)"
    )
    group.add_argument(
        "--zone", help="the zone control plane's name (default: inferred, else `default`)"
    )
    group.add_argument(
        "--env", choices=("universal", "kubernetes"), help="the control plane's environment"
    )
    group.add_argument(
        "--system-namespace",
        help="Kuma's system namespace (default: the detected control plane's, else kuma-system)",
    )


def _program() -> str:
    """How the user called us: `kubectl meshtui` when run as the kubectl plugin."""
    return "kubectl meshtui" if Path(sys.argv[0]).name == "kubectl-meshtui" else "meshtui"


def _inspect_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{_program()} inspect",
        description=(
            "Answer what a Kuma control plane's inspect API would, from YAML"
            f" (as Kuma {DEFAULT.line} unless --kuma-version says otherwise)."
        ),
    )
    sub = parser.add_subparsers(dest="what", required=True)
    api = sub.add_parser(
        "api",
        help="any inspect request, e.g. /meshes/MESH/dataplanes/NAME/_policies",
        description=(
            "Answer GET REQUEST_PATH as the chosen Kuma version's API server does: the body"
            " (JSON, error bodies included) on stdout; exit status 0 for 2xx, 3 for 404,"
            " 4 for another 4xx, 5 for 5xx."
        ),
    )
    api.add_argument("path", metavar="PATH", type=Path, help="a YAML file or a folder of them")
    api.add_argument(
        "request", metavar="REQUEST_PATH", help="the request path, with its query string"
    )
    api.add_argument("-o", "--output", choices=("json", "yaml"), default="json")
    _add_context_flags(api)
    rules = sub.add_parser("rules", help="GET /meshes/MESH/dataplanes/NAME/_rules")
    rules.add_argument(
        "--dataplane", required=True, metavar="NAME", help="the Dataplane's store name"
    )
    dataplanes = sub.add_parser(
        "dataplanes", help="the dataplanes a policy affects (_resources/dataplanes)"
    )
    dataplanes.add_argument(
        "--policy", required=True, metavar="TYPE/NAME", help="e.g. MeshTimeout/timeout.demo"
    )
    policies = sub.add_parser(
        "policies", help="the policies of a type matched to a dataplane, in merge order"
    )
    policies.add_argument("--dataplane", required=True, metavar="NAME")
    policies.add_argument(
        "--type", required=True, metavar="TYPE", help="a policy kind, e.g. MeshTimeout or mt"
    )
    for command in (rules, dataplanes, policies):
        command.add_argument(
            "path", metavar="PATH", type=Path, help="a YAML file or a folder of them"
        )
        command.add_argument("--mesh", required=True, help="the mesh")
        command.add_argument("-o", "--output", choices=("json", "yaml"), default="json")
        command.add_argument("--shadow", action="store_true", help=argparse.SUPPRESS)
        _add_context_flags(command)
    return parser


def _explain_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{_program()} explain",
        description=(
            "Explain a proxy's merged rules: for every field the policy and entry whose value"
            " is final and what it overrode, why the policies merge in that order, and with"
            " --policy why that policy does (not) apply and what it changes there."
        ),
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        type=Path,
        nargs="?",
        help="a YAML file or a folder of them; without it, the kubeconfig context's cluster",
    )
    parser.add_argument("--mesh", required=True, help="the mesh")
    parser.add_argument(
        "--dataplane", required=True, metavar="NAME", help="the Dataplane's store name"
    )
    _add_cluster_flags(parser)
    parser.add_argument(
        "--type", metavar="TYPE", help="only this policy kind (e.g. MeshTimeout or mt)"
    )
    parser.add_argument(
        "--policy",
        metavar="TYPE/NAME",
        help="why this policy does (not) apply, and what it changes",
    )
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _add_context_flags(parser)
    return parser


def _diff_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{_program()} diff",
        description=(
            "What a change does to every proxy's merged rules: draft resources added"
            " (--with), resources removed (--without), another folder (--against), or the"
            " shadow policies applied (--shadow). Exit status: 0 nothing changes, 1 something"
            " changes, 2 error."
        ),
    )
    parser.add_argument(
        "base",
        metavar="BASE",
        type=Path,
        nargs="?",
        help="a YAML file or a folder; without it, the kubeconfig context's cluster",
    )
    _add_cluster_flags(parser)
    parser.add_argument(
        "--with",
        dest="with_",
        metavar="FILE_OR_DIR",
        type=Path,
        action="append",
        help="draft resources, added or replacing the same store key (repeatable)",
    )
    parser.add_argument(
        "--without", metavar="TYPE/NAME", action="append", help="remove a resource (repeatable)"
    )
    parser.add_argument("--against", metavar="OTHER", type=Path, help="compare with this folder")
    parser.add_argument(
        "--shadow", action="store_true", help="apply the kuma.io/effect: shadow policies"
    )
    parser.add_argument("--mesh", help="only this mesh")
    parser.add_argument(
        "--dataplane", metavar="NAME", action="append", help="only these dataplanes (repeatable)"
    )
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _add_context_flags(parser)
    return parser


def _dashboard_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_program(),
        description=(
            "A live dashboard of Kuma policies: which apply to each data plane proxy,"
            " and what they merge into."
        ),
        epilog=(
            f"Headless answers: `{_program()} inspect {{api,rules,dataplanes,policies}} --help`,"
            f" `{_program()} explain --help`."
        ),
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        type=Path,
        help="a folder or file of YAML to watch; without it, attach to the kubeconfig context",
    )
    parser.add_argument("--version", action="version", version=f"meshtui {__version__}")
    cluster = _add_cluster_flags(parser)
    cluster.add_argument(
        "-n",
        "--namespace",
        help="namespace to focus first (default: the context's, as kubectl; '' for all)",
    )
    parser.add_argument("--mesh", help="mesh to show first")
    parser.add_argument(
        "--poll",
        action="store_true",
        help="poll the folder instead of using file events (NFS, WSL)",
    )
    cluster.add_argument(
        "--no-cp-check",
        action="store_true",
        help=(
            "never ask the control plane's API (its version, when its Deployment names"
            " none; its answer for the selected proxy, to compare with meshtui's)"
        ),
    )
    parser.add_argument(
        "--draft",
        metavar="PATH",
        type=Path,
        help=(
            "what-if mode: overlay the draft resources in this file or folder (watched) on"
            " the live state; `:draft off` returns to it"
        ),
    )
    _add_context_flags(parser)
    return parser


def context_options(args: argparse.Namespace) -> ContextOptions:
    """The control-plane context flags."""
    return asked_context(args).options()


def asked_context(args: argparse.Namespace) -> Asked:
    """The control-plane context flags as given (`None`: not given on the command line)."""
    return Asked(
        version=args.kuma_version,
        cp_mode=args.cp_mode,
        zone=args.zone,
        env=args.env,
        system_namespace=args.system_namespace,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `meshtui`, `kubectl-meshtui` and `python -m meshtui`."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        if arguments[:1] == ["inspect"]:
            return _run_inspect(_inspect_parser().parse_args(arguments[1:]))
        if arguments[:1] == ["explain"]:
            return _run_explain(_explain_parser().parse_args(arguments[1:]))
        if arguments[:1] == ["diff"]:
            return _run_diff(_diff_parser().parse_args(arguments[1:]))
        return _run_dashboard(_dashboard_parser().parse_args(arguments))
    except NotFoundError as err:
        _error(str(err))
        return EXIT_NOT_FOUND
    except MeshtuiError as err:
        _error(str(err))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _error(message: str) -> None:
    from meshtui.present.text import literal

    print(f"meshtui: {literal(message)}", file=sys.stderr)


def _run_inspect(args: argparse.Namespace) -> int:
    from meshtui.inspect_command import run_api, run_inspect

    status = 0
    if args.what == "api":
        status, body = run_api(args, context_options(args))
    else:
        body = run_inspect(args, context_options(args))
    if args.output == "yaml":
        from meshtui.present.text import yaml_text

        return _write_answer(yaml_text(body)) or status
    from meshtui.engine.inspect import to_json

    written = _write_answer(to_json(body))
    return written or status


def _run_explain(args: argparse.Namespace) -> int:
    from meshtui.explain_command import render, run_explain

    return _write_answer(render(*run_explain(args, context_options(args))))


def _run_diff(args: argparse.Namespace) -> int:
    from meshtui.diff_command import run_diff
    from meshtui.explain_command import render

    try:
        status, kind, body = run_diff(args, context_options(args))
    except NotFoundError as err:
        _error(str(err))
        return EXIT_USAGE
    return _write_answer(render(kind, body)) or status


def _write_answer(text: str) -> int:
    """Write `text` to stdout; a stdout that cannot take it is one line on stderr."""
    stdout = sys.stdout
    if stdout is None:  # started with its file descriptor closed
        _error("cannot write the answer: standard output is closed")
        return EXIT_OUTPUT
    try:
        _write_all(stdout, text)
    except UnicodeEncodeError:
        _error(
            f"cannot write the answer in this locale's encoding ({stdout.encoding});"
            " use a UTF-8 locale, e.g. LC_ALL=C.UTF-8"
        )
        return EXIT_OUTPUT
    except (OSError, ValueError) as err:  # a closed pipe, a full disk, a closed descriptor
        _discard_stdout()
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        _error(f"cannot write the answer: {reason}")
        return EXIT_OUTPUT
    return 0


def _write_all(stdout: TextIO, text: str) -> None:
    """`stdout.write(text)` that never stops short: an unbuffered stdout (`python -u`,
    `PYTHONUNBUFFERED`) drops what a partial write left over, so bytes are written
    until all are out, and a reader that went away is an error, not a truncated answer."""
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        stdout.write(text)
        stdout.flush()
        return
    stdout.flush()
    data = memoryview(text.encode(stdout.encoding or "utf-8", stdout.errors or "strict"))
    while data:
        written = buffer.write(data)
        if not written:
            raise OSError(errno.EAGAIN, "standard output would block")
        data = data[written:]
    buffer.flush()


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so flushing what is left at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _run_dashboard(args: argparse.Namespace) -> int:
    from meshtui.app import run_dashboard

    source = dashboard_source(args)
    draft: Path | None = args.draft
    if draft is not None and not draft.exists():
        raise SourceError(f"--draft {draft}: no such file or directory")
    return run_dashboard(
        source,
        context_options(args),
        mesh=args.mesh or "",
        namespace=first_namespace(args, source),
        asked=asked_context(args),
        cp_check=not args.no_cp_check,
        draft=draft,
        open_draft=partial(_folder_source, poll=args.poll),
    )


def _folder_source(path: Path, *, poll: bool) -> Source:
    from meshtui.sources.files import FolderSource

    return FolderSource(path, poll=poll)


def dashboard_source(args: argparse.Namespace) -> Source:
    """The folder (or file) named on the command line, else the kubeconfig's cluster."""
    if args.path is not None:
        path: Path = args.path
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        return _folder_source(path, poll=args.poll)
    from meshtui.sources.kube import KubeSource

    return KubeSource(kubeconfig=args.kubeconfig, context=args.context, cp_api=not args.no_cp_check)


def first_namespace(args: argparse.Namespace, source: Source) -> str:
    """The namespace to focus first: `-n`, else the source's (in cluster mode the one
    kubectl would use without `-n`: the context's, or the pod's; a folder has none)."""
    if args.namespace is not None:  # `-n ''`: all namespaces whatever the context says
        return str(args.namespace)
    return source.default_namespace
