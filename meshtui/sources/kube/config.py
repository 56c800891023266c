"""Where the cluster is and who we are: kubeconfig resolution, the client configuration,
the namespace kubectl would use, and credentials re-read on 401.

Follows kubectl: `--kubeconfig` (colon-separated) wins, else `$KUBECONFIG`, else
`~/.kube/config`, else the in-cluster service account inside a pod; of several files
the first that sets `current-context` decides it. A configuration that cannot be used
is a `ConfigError` naming the file, on one line.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from kubernetes import config as kube_config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config import kube_config as kube_config_files

from meshtui.errors import ConfigError
from meshtui.sources.kube.errors import one_line

log = logging.getLogger(__name__)

_IN_CLUSTER_ENV = ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")
_IN_CLUSTER_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
_REAUTH_INTERVAL = 1.0
"""Credentials are re-read at most this often (on 401)."""


def resolve_kubeconfig(kubeconfig: str | None) -> str | None:
    """The kubeconfig path list to load, or None to use the in-cluster service account.

    `kubeconfig` (colon-separated) wins; else `$KUBECONFIG` as it is now; else
    `~/.kube/config`. Missing files of a list are skipped, as kubectl does.
    """
    given = kubeconfig or os.environ.get("KUBECONFIG") or ""
    paths = [os.path.expanduser(p) for p in (given or "~/.kube/config").split(os.pathsep) if p]
    existing = [p for p in paths if os.path.exists(p)]
    if existing:
        return os.pathsep.join(existing)
    if kubeconfig:
        raise ConfigError(f"kubeconfig not found: {kubeconfig}")
    if all(os.environ.get(name) for name in _IN_CLUSTER_ENV):
        return None
    where = f"$KUBECONFIG ({given})" if given else "~/.kube/config"
    raise ConfigError(f"no kubeconfig at {where} and not running in a cluster; use --kubeconfig")


def _first_current_context(paths: str) -> str:
    """kubectl's rule: the first file that sets `current-context` wins (the client's: the last)."""
    merger = cast(Callable[[str], Any], kube_config_files.KubeConfigMerger)(paths)
    for body in cast(dict[str, Any], merger.config_files).values():
        if isinstance(body, dict) and body.get("current-context"):
            return str(body["current-context"])
    raise ConfigError(f"kubeconfig {paths} sets no current-context; use --context")


def configuration_from(paths: str | None, context: str | None) -> tuple[Configuration, str]:
    """A client `Configuration` and the context name, from resolved kubeconfig paths (None:
    the in-cluster service account); `ConfigError` when unusable."""
    try:
        if paths is None:
            configuration = Configuration()
            load_incluster = cast(Callable[..., None], kube_config.load_incluster_config)
            load_incluster(client_configuration=configuration)
            return configuration, "in-cluster"
        name = context or _first_current_context(paths)
        new_client = cast(Callable[..., ApiClient], kube_config.new_client_from_config)
        probe = new_client(config_file=paths, context=name, persist_config=False)
    except ConfigError:
        raise
    except Exception as err:  # the loader raises ConfigException, OSError, YAML errors, ...
        where = "in-cluster config" if paths is None else f"kubeconfig {paths}"
        raise ConfigError(f"cannot use {where}: {one_line(err)}") from None
    close(probe)
    return probe.configuration, name


def context_namespace(paths: str | None, context: str) -> str:
    """The namespace kubectl would use without `-n`: the context's (`""` when it sets
    none), or in a pod `$POD_NAMESPACE` or the service account's namespace."""
    try:
        if paths is None:
            env = os.environ.get("POD_NAMESPACE", "")
            return env or Path(_IN_CLUSTER_NAMESPACE).read_text().strip()
        list_contexts = cast(Callable[..., Any], kube_config.list_kube_config_contexts)
        contexts, _ = list_contexts(config_file=paths)
    except Exception:  # an unreadable file: the configuration itself loaded, so no focus
        return ""
    for entry in contexts or ():
        if isinstance(entry, dict) and entry.get("name") == context:
            body = entry.get("context")
            return str(body.get("namespace") or "") if isinstance(body, dict) else ""
    return ""


def close(api: ApiClient) -> None:
    """`ApiClient.close()` (unannotated in the client): closes its connection pool."""
    cast(Callable[[], None], api.close)()


class Credentials:
    """The session's credentials, re-read from their source when the cluster answers 401.

    The client re-reads some credentials on its own (a service-account token every
    minute, an exec plugin's token past its expiry) but not a kubeconfig `token` or
    `tokenFile` rewritten since, nor an exec token rejected before its expiry.
    `refresh` loads the configuration again (the same files and context) and takes its
    credentials (and the hook that refreshes them) into the running client.
    """

    def __init__(self, configuration: Configuration, load: Callable[[], Configuration]) -> None:
        self._configuration = configuration
        self._load = load
        self._lock = threading.Lock()
        self._last = -math.inf
        self._changed = False

    def refresh(self) -> bool:
        """Re-read the credentials (at most once per `_REAUTH_INTERVAL`); True if they changed.

        Callers within the interval of a refresh get its answer, so each of the threads
        that met the same 401 retries at once when the refresh found new credentials.
        """
        with self._lock:
            now = time.monotonic()
            if now - self._last < _REAUTH_INTERVAL:
                return self._changed
            self._last = now
            try:
                fresh = self._load()
            except Exception as err:  # ConfigError, an exec plugin failing, ...
                log.warning("re-reading credentials failed: %s", one_line(err))
                self._changed = False
                return False
            target = self._configuration
            before = _auth_of(target)
            after = _auth_of(fresh)
            # The hook first: it re-sets the token on every request, from its own loader.
            target.refresh_api_key_hook = fresh.refresh_api_key_hook
            target.api_key = dict(fresh.api_key)
            target.api_key_prefix = dict(fresh.api_key_prefix)
            target.username, target.password = fresh.username, fresh.password
            self._changed = after != before
            return self._changed


def _auth_of(configuration: Configuration) -> tuple[object, ...]:
    """What requests authenticate with: a loaded configuration holds its current token."""
    return (
        sorted(configuration.api_key.items()),
        sorted(configuration.api_key_prefix.items()),
        configuration.username,
        configuration.password,
    )
