"""The labels Kuma's control plane computes when a resource is written.

On Kubernetes the admission webhook adds `k8s.kuma.io/namespace`, `kuma.io/origin`,
`kuma.io/zone`, `kuma.io/env`, `kuma.io/mesh` and the policy role; reading an object
synthesises `kuma.io/display-name` from its name. A folder of hand-written manifests
lacks all of that, so `parse` recomputes it here, as `ComputeLabels` /
`ComputePolicyRole` do, to reach the same result a cluster would. The rules are Kuma
2.10.11's; the policy role follows the control plane's release (spec kuma-2.14.md §2 R1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meshtui.model import ENV, MESH, NAMESPACE, ORIGIN, POLICY_ROLE, PROXY_TYPE, ZONE, PolicyRole
from meshtui.versions import DEFAULT, KumaVersion

ZONE_AUTHORED_KINDS = frozenset(
    {
        "Dataplane",
        "MeshService",
        "MeshExternalService",
        "MeshMultiZoneService",
        "MeshGateway",
        # kinds of later lines (2.12-2.14), synced zone to global like the policies
        "MeshIdentity",
        "MeshTrust",
        "Workload",
        "MeshOpenTelemetryBackend",
        "MeshZoneAddress",
    }
)
"""Non-policy kinds a zone CP may author (KDS "provided by zone"); every policy is too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlPlane:
    """The control plane a folder of manifests is imagined to be applied to."""

    mode: str = "zone"
    """`zone` or `global`."""
    zone: str = "default"
    env: str = "kubernetes"
    system_namespace: str = "kuma-system"
    version: KumaVersion = DEFAULT
    """The Kuma release the control plane runs (what roles, validation and the engine follow)."""

    def describe(self) -> str:
        """E.g. `zone CP "default" (kubernetes)`."""
        if self.mode == "global":
            return f"global CP ({self.env})"
        return f'zone CP "{self.zone}" ({self.env})'


class RoleError(ValueError):
    """The webhook rejects the policy: it mixes `to` and `from`, or producer and consumer items."""


def compute_policy_role(
    spec: Mapping[str, Any], namespace: str, system_namespace: str, *, version: KumaVersion
) -> str:
    """`ComputePolicyRole` of the given Kuma release.

    Args:
        spec: The policy spec.
        namespace: The namespace the policy lives in (``""`` when unknown).
        system_namespace: The control plane's system namespace.
        version: The release; since 2.11 a `to[]` item naming a MeshHTTPRoute in the
            policy's namespace is a producer item, as one naming a MeshService is.

    Returns:
        `system`, `producer`, `consumer` or `workload-owner`.

    Raises:
        RoleError: When Kuma's webhook rejects the mix of sections or items.
    """
    if not namespace or namespace == system_namespace:
        return PolicyRole.SYSTEM.value
    to_items = spec.get("to")
    from_items = spec.get("from")
    has_to = isinstance(to_items, list) and len(to_items) > 0
    has_from = isinstance(from_items, list) and len(from_items) > 0
    if has_to and has_from:
        raise RoleError("it's not allowed to mix 'to' and 'from' arrays in the same policy")
    if has_from or not has_to:
        return PolicyRole.WORKLOAD_OWNER.value
    assert isinstance(to_items, list)
    kinds = _producer_kinds(version)
    producer = [_is_producer_item(item, namespace, kinds) for item in to_items]
    if all(producer):
        return PolicyRole.PRODUCER.value
    if not any(producer):
        return PolicyRole.CONSUMER.value
    raise RoleError("it's not allowed to mix producer and consumer items in the same policy")


def _producer_kinds(version: KumaVersion) -> tuple[str, ...]:
    """The `to[]` kinds that, named in the policy's own namespace, make a producer item."""
    if version.route_items_are_producer:
        return ("MeshService", "MeshHTTPRoute")
    return ("MeshService",)


def _is_producer_item(item: Any, namespace: str, kinds: tuple[str, ...]) -> bool:
    ref = item.get("targetRef") if isinstance(item, dict) else None
    if not isinstance(ref, dict) or ref.get("kind") not in kinds:
        return False
    if not ref.get("name"):
        return False
    ref_namespace = ref.get("namespace") or ""
    return ref_namespace in ("", namespace)


def role_explanation(
    spec: Mapping[str, Any],
    namespace: str,
    system_namespace: str,
    *,
    version: KumaVersion = DEFAULT,
) -> str:
    """One line saying why `compute_policy_role` gives the role it gives (for `version`)."""
    if not namespace:
        return "no namespace (Universal): every such policy is a system policy"
    if namespace == system_namespace:
        return f"lives in the system namespace {system_namespace}"
    to_items = spec.get("to") if isinstance(spec.get("to"), list) else []
    from_items = spec.get("from") if isinstance(spec.get("from"), list) else []
    if from_items and not to_items:
        return "has from[] entries: it configures its own namespace's workloads"
    if not to_items:
        return "has no to[]: it configures its own namespace's workloads"
    kinds = _producer_kinds(version)
    refs = [i.get("targetRef", {}) for i in to_items if isinstance(i, dict)]
    if all(
        isinstance(r, dict) and _is_producer_item({"targetRef": r}, namespace, kinds) for r in refs
    ):
        owned = " or ".join(f"a {kind}" for kind in kinds)
        return f"every to[] targets by name {owned} in its own namespace {namespace}"
    return _consumer_reason(refs, namespace, kinds)


def _consumer_reason(refs: Sequence[Any], namespace: str, kinds: tuple[str, ...]) -> str:
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        kind = ref.get("kind", "")
        if kind not in kinds:
            return f"to[] targets a {kind}, which only a consumer can configure"
        if not ref.get("name"):
            return f"to[] selects {kind}s by labels, which only a consumer can do"
        if ref.get("namespace") not in (None, "", namespace):
            return f"to[] targets a {kind} in another namespace ({ref.get('namespace')})"
    return "to[] targets services it does not own"


def locally_originated(labels: Mapping[str, str], cp: ControlPlane) -> bool:
    """Kuma's `IsLocallyOriginated`: this CP authored the resource (copies are never recomputed).

    Presence matters: an origin label that is there but empty is not "absent", so such a
    resource is not locally originated on either kind of CP.
    """
    if ORIGIN not in labels:
        return True
    return labels[ORIGIN] == cp.mode


def computed_labels(
    *,
    kind: str,
    is_policy: bool,
    mesh: str,
    namespace: str,
    labels: Mapping[str, str],
    spec: Mapping[str, Any],
    cp: ControlPlane,
    gateway_type: str = "",
) -> dict[str, str]:
    """The labels after Kuma's write path (`ComputeLabels`) ran on a Kubernetes object.

    In Kuma's order: `kuma.io/mesh`; on a zone CP `kuma.io/origin` and, unless the
    origin is `global`, `kuma.io/zone` and `kuma.io/env` (whatever the origin, as Kuma
    does); then, only for a locally originated object (judged on the labels as they are
    by then), `k8s.kuma.io/namespace` and the policy role. User labels are kept ("set
    if absent"); the policy role is always set.

    Raises:
        RoleError: When the webhook would reject the policy.
    """
    out = dict(labels)
    if kind != "Mesh":
        out.setdefault(MESH, mesh or "default")
    zone_authored = is_policy or kind in ZONE_AUTHORED_KINDS
    if cp.mode == "zone" and zone_authored:
        out.setdefault(ORIGIN, "zone")
        if out[ORIGIN] != "global":
            out.setdefault(ZONE, cp.zone)
            out.setdefault(ENV, cp.env)
    local = locally_originated(out, cp)
    if namespace and local:
        out.setdefault(NAMESPACE, namespace)
    if is_policy and namespace and local:
        out[POLICY_ROLE] = compute_policy_role(
            spec, namespace, cp.system_namespace, version=cp.version
        )
    if kind == "Dataplane":
        out.setdefault(PROXY_TYPE, "gateway" if gateway_type == "BUILTIN" else "sidecar")
    return out
