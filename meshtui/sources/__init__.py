"""Where resources come from: the `Source` protocol and the events sources emit.

A source runs blocking in a worker thread (`run(emit, stop)`), turns whatever it reads
into inventory `Change`s (one origin per file or per Kubernetes object) and hands them
over with `emit`, batched. It reports its health with `StatusChanged` and returns
promptly once `stop` is set. This package re-exports no concrete source, so the
sources stay independent of each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from meshtui.inventory import Change
from meshtui.sources.detection import Detection


@dataclass(frozen=True, slots=True)
class ChangesReady:
    """A batch of inventory changes; applying them costs one recompute."""

    changes: tuple[Change, ...]
    initial: bool = False
    """Part of the first full load (the app shows "loading" until `StatusChanged.synced`)."""


@dataclass(frozen=True, slots=True)
class KindStatus:
    """How one watched kind is doing (cluster mode)."""

    state: str
    """`syncing`, `live`, `reconnecting`, `forbidden`, `not installed` or `error`."""
    since: float = 0.0
    """`time.time()` when it entered this state."""
    message: str = ""


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The source's overall health."""

    synced: bool
    """The initial load is complete."""
    message: str = ""
    """One line for the header, e.g. `watching 35 files` or `cluster unreachable: ...`."""
    kinds: Mapping[str, KindStatus] = field(default_factory=dict)
    control_plane: Detection | None = None
    """What the cluster says about its Kuma control plane (cluster mode, once read): the
    version to answer as (`profile`), the header's words (`short`), how it was found
    (`how`), and the control plane's settings (mode, zone, system namespace, ...)."""


SourceEvent = ChangesReady | StatusChanged
Emit = Callable[[SourceEvent], None]


class Source(Protocol):
    """Anything that can feed the dashboard."""

    @property
    def mode(self) -> str:
        """`FOLDER` or `LIVE`."""
        ...

    @property
    def description(self) -> str:
        """What it reads, e.g. `sample-cluster/` or a kubeconfig context name."""
        ...

    @property
    def default_namespace(self) -> str:
        """The namespace to focus when the user names none (`""`: all of them)."""
        ...

    def run(self, emit: Emit, stop: threading.Event) -> None:
        """Read, then follow changes, calling `emit` from this thread, until `stop` is set."""
        ...
