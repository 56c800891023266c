"""The cluster source: Kuma resources read live from Kubernetes with list+watch.

The only package of meshtui that imports `kubernetes`. Its modules, from the outside in:

- `source`: `KubeSource`, the `Source` of one kubeconfig context; `run` owns one
  `ApiClient` and one session, both closed when it returns;
- `session`: the discovery thread (what the cluster serves, again every
  `discovery_interval`) and one thread per served kind;
- `watcher`: one kind's list+watch loop (list, watch from the list's
  resourceVersion, resume or re-list, back off);
- `outbox`: what every thread reports, batched into `SourceEvent`s on the thread
  running the source, and the kinds' states;
- `detect`: reads what tells the control plane's version and settings (its
  Deployment; else its index, DataplaneInsights, ZoneInsights; the served `kuma.io`
  kinds) for `meshtui.sources.detection`;
- `controlplane`: the control plane's own API through the service proxy;
- `config`: kubeconfig resolution, the client configuration, credentials re-read on
  401; `http`: one GET answered whatever its status; `errors`: failures in one line;
  `kinds`: what is watched; `tuning`: timeouts, batching and backoff.

Only GET requests are ever made.
"""

from meshtui.sources.kube.controlplane import ControlPlaneClient, CpAnswer, CpIndex
from meshtui.sources.kube.source import KubeSource
from meshtui.sources.kube.tuning import KubeTuning

__all__ = ["ControlPlaneClient", "CpAnswer", "CpIndex", "KubeSource", "KubeTuning"]
