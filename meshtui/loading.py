"""One load path for the headless commands: a source read once into an `Inventory`.

`inspect`, `explain` and `diff` read a folder (or the cluster) the way the dashboard does:
the source runs until its first complete load, its change batches go into an
`Inventory`, and the source is stopped. On a cluster the detected control plane (if
`--kuma-version`, `--cp-mode`, `--zone` and `--system-namespace` leave it open) decides
the version and the context the objects are read with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from meshtui.errors import SourceError
from meshtui.inventory import Change, Inventory
from meshtui.parse import ContextOptions
from meshtui.sources import ChangesReady, Source, SourceEvent, StatusChanged
from meshtui.sources.detection import Detection

CLUSTER_TIMEOUT = 120.0
"""How long a headless command waits for a cluster's first complete load."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a source gave on its first complete load."""

    inventory: Inventory
    options: ContextOptions
    """The options the inventory was read with (a cluster's detection applied)."""
    changes: tuple[Change, ...] = ()
    """The source's change batches, to read again with other options or more on top."""
    detection: Detection | None = None


def read_once(
    source: Source,
    options: ContextOptions,
    *,
    version_given: bool = True,
    timeout: float | None = None,
) -> Loaded:
    """Run `source` until its first complete load and return what it read.

    Raises:
        SourceError: The source never completed a load (its last status says why).
    """
    stop = threading.Event()
    synced = threading.Event()
    changes: list[Change] = []
    last: list[StatusChanged] = []
    lock = threading.Lock()

    def emit(event: SourceEvent) -> None:
        with lock:
            if isinstance(event, ChangesReady):
                changes.extend(event.changes)
            else:
                last[:] = [event]
                if event.synced:
                    synced.set()

    thread = threading.Thread(target=source.run, args=(emit, stop), daemon=True)
    thread.start()
    try:
        while not synced.wait(0.05):
            if not thread.is_alive():
                break
            if timeout is not None and timeout <= 0:
                break
            if timeout is not None:
                timeout -= 0.05
    finally:
        stop.set()
        thread.join(timeout=5)
    with lock:
        status = last[0] if last else None
        batch = list(changes)
    if not synced.is_set():
        why = status.message if status is not None and status.message else "no answer"
        raise SourceError(f"{source.description}: could not read it ({why})")
    detection = status.control_plane if status is not None else None
    options = _with_detection(options, detection, version_given=version_given)
    inventory, _ = Inventory.empty(options).apply(batch)
    return Loaded(inventory, options, tuple(batch), detection)


def _with_detection(
    options: ContextOptions, detection: Detection | None, *, version_given: bool
) -> ContextOptions:
    """The options with what the cluster said filled in where the user left them open."""
    if detection is None:
        return options
    out = options
    if not version_given:
        out = replace(out, version=detection.profile)
    if options.cp_mode is None and detection.mode in ("zone", "global"):
        out = replace(out, cp_mode=detection.mode)
    if options.zone is None and detection.zone:
        out = replace(out, zone=detection.zone)
    if detection.system_namespace and options.system_namespace == "kuma-system":
        out = replace(out, system_namespace=detection.system_namespace)
    return out


def cluster(args: Any, options: ContextOptions) -> Loaded:
    """Read the cluster of the kubeconfig context once (`--kubeconfig`, `--context`)."""
    from meshtui.sources.kube import KubeSource

    source = KubeSource(args.kubeconfig, args.context)
    return read_once(
        source,
        options,
        version_given=args.kuma_version is not None,
        timeout=CLUSTER_TIMEOUT,
    )


def folder(path: Path, options: ContextOptions) -> Loaded:
    """Read a YAML file or folder once."""
    from meshtui.sources.files import FolderSource

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    return read_once(FolderSource(path, watch=False), options)
