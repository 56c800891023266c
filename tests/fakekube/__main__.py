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
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from meshtui.versions import KumaVersion
from tests.fakekube.charts import API_PORT, control_plane
from tests.fakekube.controlplane import FakeControlPlane
from tests.fakekube.kuma_api import meshtui_answers
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
        "--control-plane",
        default=None,
        metavar="X.Y.Z",
        help="also serve Kuma X.Y.Z's control-plane Deployment and Service (implies"
        " --kuma-line X.Y), its API behind the service proxy answering as meshtui computes"
        " (to try the cross-check by hand)",
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
    cp_version = KumaVersion.parse(args.control_plane) if args.control_plane else None
    line = args.kuma_line or (cp_version.line if cp_version is not None else None)
    if line:
        resources = [NAMESPACES, *kuma_resources(line), DEPLOYMENTS, SERVICES]
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
    with fake, contextlib.ExitStack() as stack:
        if cp_version is not None:
            cp = stack.enter_context(FakeControlPlane(version=str(cp_version)))
            cp.respond_with(meshtui_answers(fake, cp_version))
            fake.upsert_many(control_plane(str(cp_version)))
            fake.route_service("kuma-system", "kuma-control-plane", API_PORT, cp.url)
            print(f"control plane Kuma {cp_version}'s API at {cp.url}")
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
            if cp_version is not None:  # not in the folder, but part of the cluster
                fake.upsert_many(control_plane(str(cp_version)))
            rv = fake.resource_version
            print(f"reloaded: {written} written, {deleted} deleted (rv {rv})", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
