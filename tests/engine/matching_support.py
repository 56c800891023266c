"""Builders shared by the matching and parse tests (spec `kuma-matching.md`).

Resources are written as plain dicts and fed through meshtui's real pipeline:
`sources.files.parse_text` (JSON is YAML) → `parse.parse_documents` → `engine.index`.

Two forms are offered:

- Universal form (`policy`, `dataplane`, `mesh_service`, ...): stored exactly as written,
  so a test sets the labels a Kuma control plane would have computed (the §9 test
  vectors list them). `policy` writes the labels of a zone-CP Kubernetes policy.
- Kubernetes form (`k8s_policy`, `k8s_dataplane`): the labels are computed by `parse`.

The default context is the one of §9: zone control plane `zone-1`, system namespace
`kuma-system`, mesh `default`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.inspect import rules_body
from meshtui.engine.matching import Listener, Selection, select, select_gateway
from meshtui.engine.rules import TypeRules, type_rules
from meshtui.model import Dataplane, Policy, Resource, TargetRef
from meshtui.parse import ContextOptions, ParseResult, parse_documents
from meshtui.sources.files import parse_text
from tests.versions import V2_10

Doc = dict[str, Any]
"""One resource document, as it would be written in YAML."""

ZONE = "zone-1"
SYSTEM_NS = "kuma-system"
MESH = "default"
ADDRESS = "10.0.0.5"
"""`networking.address` of `web-1`."""

ABSENT = object()
"""Pass as a label value to leave that label out."""

# -------------------------------------------------------------------------------------
# loading


def yaml_text(*docs: Mapping[str, Any] | str) -> str:
    """The documents as one multi-document YAML text (each dict is written as JSON)."""
    return "\n---\n".join(doc if isinstance(doc, str) else json.dumps(doc) for doc in docs)


def load(text: str, **context: Any) -> ParseResult:
    """Parse YAML `text` as `meshtui inspect` would.

    Args:
        text: One or more YAML documents.
        context: `ContextOptions` fields; `zone` defaults to `zone-1`.

    Raises:
        AssertionError: When the text is not valid YAML.
    """
    contents = parse_text(text, "test.yaml")
    assert not contents.problems, [str(p) for p in contents.problems]
    return parse_documents(
        contents.documents, ContextOptions(**{"zone": ZONE, **context}, version=V2_10)
    )


def errors(result: ParseResult) -> list[str]:
    """The messages of the `error` problems of a parse."""
    return [p.message for p in result.problems if p.severity == "error"]


def resource(result: ParseResult, type_: str, name: str) -> Resource:
    """The loaded resource with this type and store name."""
    for res in result.resources:
        if res.type == type_ and res.name == name:
            return res
    raise AssertionError(f"{type_} {name} not loaded; got {[str(r.key) for r in result.resources]}")


def index(docs: str | Sequence[Mapping[str, Any]], mesh: str = MESH, **context: Any) -> MeshIndex:
    """Load the documents (text or dicts), require no errors, and index one mesh."""
    text = docs if isinstance(docs, str) else yaml_text(*docs)
    result = load(text, **context)
    assert not errors(result), errors(result)
    return build_index(result.resources, mesh, version=V2_10)


def dataplane(idx: MeshIndex, name: str = "web-1.demo") -> Dataplane:
    """A Dataplane of the index by store name."""
    found = idx.dataplanes.get(name)
    assert found is not None, f"no dataplane {name}; have {sorted(idx.dataplanes)}"
    return found


def rules_for(
    docs: str | Sequence[Mapping[str, Any]] | MeshIndex,
    policy_type: str = "MeshTimeout",
    dp: str = "web-1.demo",
    *,
    include_shadow: bool = False,
) -> TypeRules:
    """`type_rules` for one proxy, with the MeshGateway the bulk path would pick for it."""
    idx = docs if isinstance(docs, MeshIndex) else index(docs)
    proxy = dataplane(idx, dp)
    gateway = select_gateway(idx, proxy)
    return type_rules(idx, proxy, policy_type, gateway=gateway, include_shadow=include_shadow)


def matched(
    docs: str | Sequence[Mapping[str, Any]] | MeshIndex,
    policy_type: str = "MeshTimeout",
    dp: str = "web-1.demo",
    *,
    include_shadow: bool = False,
) -> list[str]:
    """Display names of the matched policies, in merge order (lowest priority first)."""
    rules = rules_for(docs, policy_type, dp, include_shadow=include_shadow)
    return [p.resource.display_name for p in rules.matched]


def selection(
    docs: str | Sequence[Mapping[str, Any]] | MeshIndex,
    policy_name: str,
    policy_type: str = "MeshTimeout",
    dp: str = "web-1.demo",
) -> Selection:
    """What the top-level targetRef of one policy (by display name) selects on a proxy."""
    idx = docs if isinstance(docs, MeshIndex) else index(docs)
    proxy = dataplane(idx, dp)
    for pol in idx.policies_of(policy_type, include_shadow=True):
        if pol.resource.display_name == policy_name:
            return select(pol.resource, pol.target_ref, proxy, select_gateway(idx, proxy), idx)
    raise AssertionError(f"no {policy_type} named {policy_name}")


def ports(sel: Selection) -> list[int]:
    """The inbound ports a selection attaches to, sorted."""
    return sorted(port for _, port in sel.inbounds)


def inbound_ports(rules: TypeRules, policy_name: str) -> list[int]:
    """The inbound ports whose per-inbound list holds the named policy, sorted."""
    return sorted(
        port
        for (_, port), policies in rules.by_inbound.items()
        if any(p.resource.display_name == policy_name for p in policies)
    )


def per_inbound(rules: TypeRules, port: int, address: str = ADDRESS) -> list[str]:
    """Display names of the policies of one inbound, in merge order."""
    listener: Listener = (address, port)
    return [p.resource.display_name for p in rules.by_inbound.get(listener, ())]


def inbound_conf(rules: TypeRules, port: int, address: str = ADDRESS) -> Any:
    """The merged `rules[]`/from-as-rules conf of one inbound (`None` when there is none)."""
    found = rules.inbound_rules.get((address, port), ())
    if not found:
        return None
    assert len(found) == 1 and len(found[0].confs) == 1
    return found[0].confs[0]


def resource_conf(rules: TypeRules, resource_name: str, section: str = "") -> Any:
    """The merged conf of the per-resource outbound rule for one resource (by store name)."""
    for rule in rules.resource_rules:
        if rule.resource.name == resource_name and rule.section == section:
            assert len(rule.confs) == 1
            return rule.confs[0]
    have = [(r.resource.name, r.section) for r in rules.resource_rules]
    raise AssertionError(f"no resource rule for {resource_name}:{section}; have {have}")


def body(docs: str | Sequence[Mapping[str, Any]], dp: str = "web-1.demo") -> dict[str, Any]:
    """The `_rules` inspect body of one proxy."""
    idx = index(docs)
    return rules_body(idx, dataplane(idx, dp))


# -------------------------------------------------------------------------------------
# Universal-form builders (labels as stored)


def _labels(pairs: Mapping[str, object]) -> dict[str, str]:
    return {k: v for k, v in pairs.items() if isinstance(v, str)}


def zone_labels(
    name: str,
    *,
    ns: object = SYSTEM_NS,
    role: object = "system",
    origin: object = "zone",
    zone: object = ZONE,
    mesh: str = MESH,
    **extra: object,
) -> dict[str, str]:
    """The labels a zone CP stores on a Kubernetes policy (pass `ABSENT` to drop one)."""
    return _labels(
        {
            "kuma.io/mesh": mesh,
            "kuma.io/origin": origin,
            "kuma.io/zone": zone,
            "kuma.io/env": "kubernetes" if zone is not ABSENT else ABSENT,
            "k8s.kuma.io/namespace": ns,
            "kuma.io/policy-role": role,
            "kuma.io/display-name": name,
            **extra,
        }
    )


def policy(
    kind: str,
    name: str,
    spec: Mapping[str, Any],
    *,
    ns: object = SYSTEM_NS,
    role: object = "system",
    origin: object = "zone",
    zone: object = ZONE,
    store_name: str | None = None,
    mesh: str = MESH,
    **extra: object,
) -> Doc:
    """A policy as a zone CP stores a Kubernetes one: `name.ns`, computed labels.

    `extra` adds labels (keys with `/` can be passed through `**{"kuma.io/effect": ...}`).
    """
    default_store = f"{name}.{ns}" if isinstance(ns, str) and ns else name
    return {
        "type": kind,
        "mesh": mesh,
        "name": store_name or default_store,
        "labels": zone_labels(name, ns=ns, role=role, origin=origin, zone=zone, mesh=mesh, **extra),
        "spec": dict(spec),
    }


def universal_policy(
    kind: str,
    name: str,
    spec: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    mesh: str = MESH,
) -> Doc:
    """A policy created through a Universal CP's API: name as given, labels as given."""
    doc: Doc = {"type": kind, "mesh": mesh, "name": name, "spec": dict(spec)}
    if labels is not None:
        doc["labels"] = dict(labels)
    return doc


def inbound(port: int, tags: Mapping[str, str], *, name: str = "", state: str = "") -> Doc:
    """One `networking.inbound[]` entry."""
    out: Doc = {"port": port, "tags": dict(tags)}
    if name:
        out["name"] = name
    if state:
        out["state"] = state
    return out


WEB_1_LABELS: dict[str, str] = {
    "app": "web",
    "k8s.kuma.io/namespace": "demo",
    "kuma.io/zone": ZONE,
    "kuma.io/origin": "zone",
    "kuma.io/display-name": "web-1",
}
"""The labels of the §9 Dataplane `web-1`."""


def web_inbounds(*, ignored_8080: bool = False) -> list[Doc]:
    """The two inbounds of `web-1`: 8080 named `http`, 9090 unnamed."""
    return [
        inbound(
            8080,
            {"kuma.io/service": "web_demo_svc_8080", "app": "web", "version": "v1"},
            name="http",
            state="Ignored" if ignored_8080 else "",
        ),
        inbound(9090, {"kuma.io/service": "admin_demo_svc_9090", "app": "web"}),
    ]


def dataplane_doc(
    name: str,
    labels: Mapping[str, str],
    inbounds: Sequence[Mapping[str, Any]] = (),
    *,
    address: str = ADDRESS,
    gateway: Mapping[str, Any] | None = None,
    mesh: str = MESH,
) -> Doc:
    """A Universal-form Dataplane (body at the top level, labels as stored)."""
    networking: Doc = {"address": address}
    if inbounds:
        networking["inbound"] = [dict(i) for i in inbounds]
    if gateway is not None:
        networking["gateway"] = dict(gateway)
    return {
        "type": "Dataplane",
        "mesh": mesh,
        "name": name,
        "labels": dict(labels),
        "networking": networking,
    }


def web_1(*, ignored_8080: bool = False, **label_overrides: object) -> Doc:
    """The §9 Dataplane `web-1` in namespace `demo` (store name `web-1.demo`).

    `label_overrides` replace labels (use `ABSENT` to drop one; `/` keys via `**{...}`).
    """
    labels = _labels({**WEB_1_LABELS, **label_overrides})
    return dataplane_doc("web-1.demo", labels, web_inbounds(ignored_8080=ignored_8080))


def sidecar(
    name: str, ns: str, service: str, port: int = 8080, *, zone: str = ZONE, **labels: str
) -> Doc:
    """Another sidecar proxy with one inbound, stored as `name.ns`."""
    all_labels = {
        **labels,
        "k8s.kuma.io/namespace": ns,
        "kuma.io/zone": zone,
        "kuma.io/origin": "zone",
        "kuma.io/display-name": name,
    }
    return dataplane_doc(
        f"{name}.{ns}", all_labels, [inbound(port, {"kuma.io/service": service, **labels})]
    )


def mesh_doc(name: str = MESH) -> Doc:
    """A Universal-form Mesh."""
    return {"type": "Mesh", "name": name}


def mesh_service(
    name: str,
    ns: str,
    ports_: Sequence[Mapping[str, Any]] = ({"port": 80, "name": "http"},),
    *,
    zone: object = ZONE,
    mesh: str = MESH,
    **extra: str,
) -> Doc:
    """A MeshService as a zone CP stores it (`name.ns`, zone/namespace/display-name labels)."""
    labels = _labels(
        {
            "kuma.io/mesh": mesh,
            "kuma.io/origin": "zone",
            "kuma.io/zone": zone,
            "k8s.kuma.io/namespace": ns,
            "kuma.io/display-name": name,
            **extra,
        }
    )
    return {
        "type": "MeshService",
        "mesh": mesh,
        "name": f"{name}.{ns}",
        "labels": labels,
        "spec": {"ports": [dict(p) for p in ports_]},
    }


def timeout(value: str) -> Doc:
    """A MeshTimeout conf setting `idleTimeout`."""
    return {"idleTimeout": value}


def request_timeout(value: str) -> Doc:
    """A MeshTimeout conf setting `http.requestTimeout`."""
    return {"http": {"requestTimeout": value}}


MESH_REF: Doc = {"kind": "Mesh"}


def to_(ref: Mapping[str, Any], conf: Mapping[str, Any]) -> Doc:
    """One `to[]` (or `from[]`) item."""
    return {"targetRef": dict(ref), "default": dict(conf)}


# -------------------------------------------------------------------------------------
# Kubernetes-form builders (labels computed by parse)


def k8s_policy(
    kind: str,
    name: str,
    namespace: str,
    spec: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Doc:
    """A policy object as `kubectl apply` would receive it."""
    metadata: Doc = {"name": name, "namespace": namespace}
    if labels is not None:
        metadata["labels"] = dict(labels)
    if annotations is not None:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": dict(spec),
    }


def k8s_dataplane(
    name: str,
    namespace: str,
    *,
    mesh: str | None = MESH,
    labels: Mapping[str, str] | None = None,
    gateway: Mapping[str, Any] | None = None,
) -> Doc:
    """A Dataplane object (pod-converter shape: `mesh` at the top level, body in `spec`)."""
    metadata: Doc = {"name": name, "namespace": namespace}
    if labels is not None:
        metadata["labels"] = dict(labels)
    networking: Doc = {"address": ADDRESS, "inbound": [inbound(8080, {"kuma.io/service": "svc"})]}
    if gateway is not None:
        networking["gateway"] = dict(gateway)
    doc: Doc = {"apiVersion": "kuma.io/v1alpha1", "kind": "Dataplane", "metadata": metadata}
    if mesh is not None:
        doc["mesh"] = mesh
    doc["spec"] = {"networking": networking}
    return doc


# -------------------------------------------------------------------------------------
# engine values built directly (for comparator tests)


def make_policy(
    display: str,
    kind: str = "Mesh",
    /,
    *,
    origin: str | None = "zone",
    role: str | None = "system",
    store_name: str | None = None,
    policy_type: str = "MeshTimeout",
    **ref: Any,
) -> Policy:
    """A decoded policy named `display` with a top-level `kind` targetRef.

    `ref` holds further `TargetRef` fields (`name`, `labels`, `tags`, `section_name`, ...).
    """
    labels = {"kuma.io/display-name": display}
    if origin is not None:
        labels["kuma.io/origin"] = origin
    if role is not None:
        labels["kuma.io/policy-role"] = role
    res = Resource(
        type=policy_type, mesh=MESH, name=store_name or f"{display}.kuma-system", labels=labels
    )
    return Policy(resource=res, target_ref=TargetRef(kind=kind, **ref))


def display_names(policies: Sequence[Policy]) -> list[str]:
    """Display names in order."""
    return [p.resource.display_name for p in policies]


def select_gateway_name(docs: str | Sequence[Mapping[str, Any]] | MeshIndex, dp: str) -> str | None:
    """Display name of the MeshGateway the bulk matching path attaches to a proxy, if any."""
    idx = docs if isinstance(docs, MeshIndex) else index(docs)
    gateway = select_gateway(idx, dataplane(idx, dp))
    return gateway.display_name if gateway is not None else None


# Produced by Go's sort (sort.Slice / sort.SliceStable, the same pdqsort and
# insertion+SymMerge code as slices.SortFunc / SortStableFunc) on these inputs, with
# the comparator `cls 1 < cls 2, otherwise names descending` (cls 0 ties with both),
# i.e. the shape of the Dataplane refinement followed by the name key.
GO_VECTORS: list[tuple[bool, list[tuple[int, str]], list[int]]] = [
    (False, [(0, f"n{i // 2}") for i in range(14)], [13, 12, 11, 10, 8, 9, 6, 7, 5, 4, 3, 2, 0, 1]),
    (
        False,
        [(0, f"n{(i * 7) % 5}") for i in range(14)],
        [7, 12, 2, 9, 4, 6, 11, 1, 8, 3, 13, 0, 5, 10],
    ),
    (False, [(0, "same")] * 30, list(range(30))),
    (
        False,
        [((0, 1, 2)[i % 3], f"n{i:02d}") for i in range(16)],
        [15, 13, 12, 10, 9, 7, 6, 4, 14, 11, 8, 5, 3, 1, 2, 0],
    ),
    (
        True,
        [((0, 1, 2)[i % 3], f"n{i:02d}") for i in range(25)],
        [24, 22, 19, 23, 21, 20, 18, 16, 15, 13, 12, 10, 9, 7, 6, 4, 3, 1, 17, 14, 11, 8, 5, 2, 0],
    ),
]
