"""Which Kuma meshtui answers as, and for which control plane: the command line's word,
else what the cluster says (`detection.Detection`), else the defaults.

Pure. `Asked` is what the command line gave; `Asked.options(detection)` is the context
the inventory is parsed with, and `Asked.profile(detection)` says which version that is
and why, in the words the header and the help use.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshtui.parse import ContextOptions
from meshtui.sources.detection import KUMA, Detection
from meshtui.versions import DEFAULT, KumaVersion

SYSTEM_NAMESPACE = "kuma-system"
"""Kuma's system namespace when nothing names another."""


@dataclass(frozen=True, slots=True)
class Profile:
    """The Kuma version answered as, and how it was chosen."""

    version: KumaVersion
    label: str
    """For the header: `Kuma 2.14.3 (detected)`, `Kuma 2.12.14 (--kuma-version)`,
    `Kuma 2.14.3 (default)`, `Kuma 2.13 (from CRDs)`, `Kong Mesh 2.14.1 (detected) · as
    Kuma 2.14.3`."""
    how: str
    """A sentence for the help: `Answering as Kuma 2.14.3: <how it was found>`."""
    undetected: bool = False
    """The cluster was asked and could not tell (the default is used)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """The control-plane context as the command line gave it; `None`: not given (what the
    cluster says is used, else the default or the inference from labels)."""

    version: KumaVersion | None = None
    cp_mode: str | None = None
    zone: str | None = None
    env: str | None = None
    system_namespace: str | None = None
    follow_cluster: bool = True
    """Whether what the cluster says fills in what was not given."""

    @classmethod
    def pinned(cls, options: ContextOptions) -> Asked:
        """Everything `options` says, as if the command line had given all of it, and
        nothing taken from the cluster."""
        return cls(
            version=options.version,
            cp_mode=options.cp_mode,
            zone=options.zone,
            env=options.env,
            system_namespace=options.system_namespace,
            follow_cluster=False,
        )

    def options(self, detection: Detection | None = None) -> ContextOptions:
        """The context to parse with: given values first, then the detected control
        plane's (its version, mode, zone, environment and system namespace)."""
        if detection is None or not self.follow_cluster:
            detection = None
        found = detection or Detection(version=None, how="")
        mode = {"global": "global", "zone": "zone", "standalone": "zone"}.get(found.mode or "")
        cp_mode = self.cp_mode or (None if self.zone is not None else mode)
        zone = self.zone
        if zone is None and cp_mode != "global":
            zone = found.zone or None
        kinds = ("kubernetes", "universal")
        environment = found.environment if found.environment in kinds else None
        namespace = found.system_namespace or found.deployment.partition("/")[0] or None
        return ContextOptions(
            cp_mode=cp_mode,
            zone=zone,
            env=self.env or environment,
            system_namespace=self.system_namespace or namespace or SYSTEM_NAMESPACE,
            version=self.profile(detection).version,
        )

    def profile(self, detection: Detection | None = None) -> Profile:
        """The version answered as, with the header's label and the help's sentence."""
        if self.version is not None:
            return Profile(
                self.version,
                f"Kuma {self.version} (--kuma-version)",
                f"Answering as Kuma {self.version}, as --kuma-version {self.version.line} asks",
            )
        if detection is None:
            how = f"Answering as Kuma {DEFAULT}, the default (--kuma-version picks another line)"
            return Profile(DEFAULT, f"Kuma {DEFAULT} (default)", how)
        version = detection.profile
        if detection.version is None:
            return Profile(
                version,
                f"Kuma {version} (default: not detected)",
                f"Answering as Kuma {version}: {detection.how}",
                undetected=True,
            )
        label, how = detection.short, f"Answering as {detection.how}"
        if detection.product != KUMA or version != detection.version:
            label += f" · as Kuma {version}"
            how = detection.how  # it says what it answers as
        return Profile(version, label, how)
