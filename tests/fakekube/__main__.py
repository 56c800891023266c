"""`python -m tests.fakekube serve FOLDER --kubeconfig PATH`: try live mode by hand.

Serves the Kubernetes objects of FOLDER over HTTP and writes a kubeconfig for
them, so `meshtui --kubeconfig PATH` (or kubectl) can connect. With `--reload`
(on by default) the folder is re-read when a file changes and the differences
are applied as live writes, so editing a YAML file shows up as watch events.
Runs until Ctrl+C.

Each run starts its resourceVersions past any an earlier run handed out (they come
from the clock), as a real apiserver's never go back: a client that watched the
previous run gets 410 Expired and lists again, instead of resuming from a version
that means something else now.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tests.fakekube.loading import yaml_files
from tests.fakekube.resources import DEPLOYMENTS, NAMESPACES, SERVICES, kuma_resources
from tests.fakekube.server import FakeKubeAPI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fakekube", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a folder of YAML as a fake cluster")
    serve.add_argument("folder", type=Path, help="folder of Kubernetes YAML (recursive)")
    serve.add_argument("--kubeconfig", type=Path, required=True, help="kubeconfig to write")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--context", default="fake", help="context name in the kubeconfig")
    serve.add_argument("--namespace", default=None, help="the context's namespace")
    serve.add_argument(
        "--token",
        default=None,
        help="require this bearer token (default: none; kubectl sends no token over plain http)",
    )
    serve.add_argument(
        "--bookmark-interval", type=float, default=60.0, help="seconds between bookmarks"
    )
    serve.add_argument(
        "--initial-rv",
        type=int,
        default=None,
        help="resourceVersion of the empty store (default: microseconds since the epoch)",
    )
    serve.add_argument(
        "--kuma-line",
        default=None,
        metavar="X.Y",
        help="serve that Kuma line's kuma.io kinds, plus apps/v1 Deployments and v1 Services "
        "(default: Kuma 2.10's kinds and namespaces only)",
    )
    serve.add_argument(
        "--reload",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="poll the folder every SECONDS and apply changes (0: off; default 1)",
    )
    return parser


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    stats = ((p, p.stat()) for p in yaml_files(folder))
    return tuple((str(p), st.st_mtime_ns, st.st_size) for p, st in stats)


def serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; returns the exit status."""
    initial_rv = args.initial_rv if args.initial_rv is not None else time.time_ns() // 1000
    resources = None
    if args.kuma_line:
        resources = [NAMESPACES, *kuma_resources(args.kuma_line), DEPLOYMENTS, SERVICES]
    fake = FakeKubeAPI.from_folder(
        args.folder,
        resources=resources,
        host=args.host,
        port=args.port,
        bookmark_interval=args.bookmark_interval,
        initial_rv=initial_rv,
        token=args.token,
    )
    for note in fake.skipped:
        print(f"skipped {note}", file=sys.stderr)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with fake:
        path = fake.write_kubeconfig(args.kubeconfig, args.context, args.namespace)
        print(f"serving {args.folder} at {fake.url} (resourceVersion {fake.resource_version})")
        print(f"kubeconfig: {path}")
        print(f"try: meshtui --kubeconfig {path}    (Ctrl+C to stop)", flush=True)
        seen = _signature(args.folder)
        while not done.wait(args.reload or None):
            current = _signature(args.folder)
            if current == seen:
                continue
            seen = current
            try:
                written, deleted = fake.sync_folder(args.folder)
            except ValueError as err:
                print(f"not reloaded: {err}", file=sys.stderr, flush=True)
                continue
            rv = fake.resource_version
            print(f"reloaded: {written} written, {deleted} deleted (rv {rv})", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
