"""The evaluation's shared and incremental paths equal the plain computation.

Meshes are drawn by hypothesis in Universal form: many namespaces, proxies that only
their names and addresses tell apart (so selector signatures are shared and relabelled),
policies of several types and every role whose names repeat across namespaces (so they
tie on every ordering key, sometimes more than 12 at once, where Go's sort decides),
legacy subset targets, routes, gateways, and `to: Mesh` entries in namespaces (so
outbound overlays reach every destination). Every check runs at several Kuma versions.

- shared vs plain: every dataplane's rules, computed in a random order on one
  evaluation (so which proxy stands for a signature, and which set an overlay is built
  from, varies), equal `type_rules(..., fast=False)` field by field and as `_rules` bodies;
- following vs fresh: after random edits, `MeshEvaluation.following` equals a fresh
  evaluation, and `changed_dataplanes` equals comparing every dataplane.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshtui.engine.evaluation import (
    DataplaneRules,
    MeshEvaluation,
    changed_dataplanes,
    changed_types,
)
from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.inspect import rules_body
from meshtui.engine.matching import select_gateway
from meshtui.engine.rules import TypeRules, type_rules
from meshtui.engine.signatures import listener_keys
from meshtui.kinds import POLICY_KINDS
from meshtui.model import Resource, SourceRef
from meshtui.parse import ContextOptions, parse_documents
from meshtui.raw import RawDocument
from meshtui.versions import KumaVersion
from tests.versions import V2_10, V2_11, V2_12, V2_13, V2_14

VERSIONS = (V2_10, V2_11, V2_12, V2_13, V2_14)
NAMESPACES = ("ns-a", "ns-b", "ns-c", "ns-d", "kuma-system")
APPS = ("web", "api", "db")
ROLES = ("system", "producer", "consumer", "workload-owner")
NAMES = ("timeouts", "retries", "edge")
"""Few policy names: the same display name in many namespaces ties on every key."""
DURATIONS = ("1s", "5s", "90s", "500ms", "2m")
MESH = "m"


def _service(app: str, namespace: str) -> str:
    return f"{app}_{namespace}_svc_8080"


@st.composite
def dataplanes(draw: st.DrawFn, namespace: str, app: str, count: int) -> list[dict[str, Any]]:
    """`count` pods of one app: the same tags, inbounds and labels, own names and
    addresses (a few differ: a canary version, an Ignored inbound, zone listeners)."""
    ports = draw(st.sampled_from(((8080,), (8080, 9090), (5000,))))
    named = draw(st.booleans())
    gateway = draw(st.integers(0, 9)) == 0
    out = []
    for i in range(count):
        version = "v2" if draw(st.integers(0, 4)) == 0 else "v1"
        inbounds = []
        for port in ports:
            inbound: dict[str, Any] = {
                "port": port,
                "tags": {
                    "kuma.io/service": _service(app, namespace),
                    "app": app,
                    "version": version,
                    "pod-template-hash": f"h{i}",
                },
            }
            if named:
                inbound["name"] = "http" if port == 8080 else "admin"
            if draw(st.integers(0, 14)) == 0:
                inbound["state"] = "Ignored"
            inbounds.append(inbound)
        networking: dict[str, Any] = {"address": f"10.{len(namespace)}.{i}.{ports[0] % 250}"}
        if gateway:
            networking["gateway"] = {
                "type": "DELEGATED",
                "tags": {"kuma.io/service": f"gw-{app}_{namespace}_svc"},
            }
        else:
            networking["inbound"] = inbounds
        if draw(st.integers(0, 9)) == 0:
            networking["listeners"] = [{"type": "ZoneIngress", "port": 10001, "name": "zi"}]
        labels = {
            "app": app,
            "k8s.kuma.io/namespace": namespace,
            "kuma.io/zone": draw(st.sampled_from(("z1", "z1", "z2"))),
            "kuma.io/origin": "zone",
            "version": version,
        }
        out.append(
            {
                "type": "Dataplane",
                "mesh": MESH,
                "name": f"{app}-{namespace}-{i}",
                "labels": labels,
                "networking": networking,
            }
        )
    return out


TOP_REFS: list[dict[str, Any]] = [
    {"kind": "Mesh"},
    {"kind": "Mesh"},
    {"kind": "Mesh"},
    {"kind": "MeshSubset", "tags": {"app": "web"}},
    {"kind": "MeshSubset", "tags": {"version": "v2"}},
    {"kind": "MeshSubset", "tags": {"version": "*"}},
    {"kind": "Dataplane", "labels": {"app": "api"}},
    {"kind": "Dataplane", "labels": {"version": "v2"}},
    {"kind": "Dataplane", "name": "web-ns-a-0"},
    {"kind": "Dataplane", "labels": {"app": "db"}, "sectionName": "http"},
    {"kind": "MeshService", "name": _service("api", "ns-b")},
    {"kind": "MeshServiceSubset", "name": _service("web", "ns-a"), "tags": {"version": "v1"}},
    {"kind": "Mesh", "proxyTypes": ["Sidecar"]},
    {"kind": "MeshHTTPRoute", "name": "route-web"},
    {"kind": "MeshHTTPRoute", "name": "missing"},
]


def _to_refs(namespace: str) -> list[dict[str, Any]]:
    """`to[]` targets; `Mesh` is rarer, so that most sets differ from the base in a few
    destinations only (an overlay), and some in all of them."""
    return [
        {"kind": "Mesh"},
        {"kind": "MeshService", "name": "web"},
        {"kind": "MeshService", "name": "web"},
        {"kind": "MeshService", "name": "db", "namespace": "ns-a"},
        {"kind": "MeshService", "name": "api", "namespace": "ns-c"},
        {"kind": "MeshService", "name": "api", "namespace": "ns-b"},
        {"kind": "MeshService", "labels": {"app": "db"}},
        {"kind": "MeshService", "labels": {"app": "web"}},
        {"kind": "MeshService", "name": "api", "sectionName": "http"},
        {"kind": "MeshService", "name": "web", "sectionName": "8080"},
        {"kind": "MeshService", "name": _service("db", namespace)},
        {"kind": "MeshSubset", "tags": {"app": "web"}},
        {"kind": "MeshServiceSubset", "name": _service("api", "ns-b"), "tags": {"version": "v2"}},
        {"kind": "MeshExternalService", "name": "httpbin"},
        {"kind": "MeshHTTPRoute", "name": "route-web"},
    ]


FROM_REFS: list[dict[str, Any]] = [
    {"kind": "Mesh"},
    {"kind": "MeshSubset", "tags": {"app": "web"}},
    {"kind": "MeshSubset", "tags": {"version": "v2", "app": "api"}},
    {"kind": "MeshService", "name": _service("db", "ns-a")},
    {"kind": "MeshServiceSubset", "name": _service("web", "ns-b"), "tags": {"version": "v1"}},
]

TIMEOUT = st.fixed_dictionaries(
    {},
    optional={
        "idleTimeout": st.sampled_from(DURATIONS),
        "connectionTimeout": st.sampled_from(DURATIONS),
        "http": st.fixed_dictionaries({}, optional={"requestTimeout": st.sampled_from(DURATIONS)}),
    },
)
RETRY = st.fixed_dictionaries(
    {},
    optional={"http": st.fixed_dictionaries({}, optional={"numRetries": st.integers(1, 5)})},
)


@st.composite
def policy(draw: st.DrawFn, i: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(("MeshTimeout", "MeshTimeout", "MeshRetry", "MeshTrafficPermission",
                                 "MeshTrace")))  # fmt: skip
    namespace = draw(st.sampled_from(NAMESPACES))
    role = draw(st.sampled_from(ROLES))
    labels: dict[str, str] = {
        "k8s.kuma.io/namespace": namespace,
        "kuma.io/policy-role": role,
        "kuma.io/origin": draw(st.sampled_from(("zone", "zone", "global"))),
        "kuma.io/display-name": draw(st.sampled_from(NAMES)),
    }
    if draw(st.integers(0, 3)) == 0:
        labels["kuma.io/zone"] = draw(st.sampled_from(("z1", "z2")))
    if draw(st.integers(0, 19)) == 0:
        labels["kuma.io/effect"] = "shadow"
    spec: dict[str, Any] = {"targetRef": draw(st.sampled_from(TOP_REFS))}
    conf: st.SearchStrategy[dict[str, Any]]
    if kind == "MeshTimeout":
        section = draw(st.sampled_from(("to", "to", "from", "rules")))
        conf = TIMEOUT
    elif kind == "MeshRetry":
        section, conf = "to", RETRY
    elif kind == "MeshTrafficPermission":
        section = "from"
        conf = st.fixed_dictionaries({"action": st.sampled_from(("Allow", "Deny"))})
    else:
        section = "default"
        conf = st.fixed_dictionaries({"sampling": st.fixed_dictionaries(
            {}, optional={"overall": st.integers(0, 100)})})  # fmt: skip
    if section == "to":
        refs = st.sampled_from(_to_refs(namespace))
        spec["to"] = draw(
            st.lists(st.builds(lambda r, c: {"targetRef": r, "default": c}, refs, conf),
                     min_size=1, max_size=3)
        )  # fmt: skip
    elif section == "from":
        refs = st.sampled_from(FROM_REFS)
        spec["from"] = draw(
            st.lists(st.builds(lambda r, c: {"targetRef": r, "default": c}, refs, conf),
                     min_size=1, max_size=3)
        )  # fmt: skip
    elif section == "rules":
        spec["rules"] = [{"default": draw(conf)}]
    else:
        spec["default"] = draw(conf)
    return {
        "type": kind,
        "mesh": MESH,
        "name": f"{labels['kuma.io/display-name']}-{i}.{namespace}",
        "labels": labels,
        "spec": spec,
    }


def _services() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for app in APPS:
        for namespace in NAMESPACES[:4]:
            docs.append(
                {
                    "type": "MeshService",
                    "mesh": MESH,
                    "name": f"{app}.{namespace}",
                    "labels": {
                        "app": app,
                        "kuma.io/display-name": app,
                        "k8s.kuma.io/namespace": namespace,
                        "kuma.io/zone": "z1",
                    },
                    "spec": {"ports": [{"port": 8080, "name": "http"}, {"port": 9090}]},
                }
            )
    docs.append(
        {
            "type": "MeshExternalService",
            "mesh": MESH,
            "name": "httpbin",
            "labels": {"kuma.io/display-name": "httpbin"},
            "spec": {
                "match": {"type": "HostnameGenerator", "port": 80, "protocol": "http"},
                "endpoints": [{"address": "httpbin.org", "port": 80}],
            },
        }
    )
    docs.append(
        {
            "type": "MeshHTTPRoute",
            "mesh": MESH,
            "name": "route-web",
            "labels": {"kuma.io/display-name": "route-web", "kuma.io/policy-role": "system"},
            "spec": {
                "targetRef": {"kind": "MeshSubset", "tags": {"app": "web"}},
                "to": [
                    {
                        "targetRef": {"kind": "MeshService", "name": "api", "namespace": "ns-b"},
                        "rules": [
                            {
                                "matches": [{"path": {"type": "PathPrefix", "value": "/v2"}}],
                                "default": {"backendRefs": [
                                    {"kind": "MeshService", "name": "api", "namespace": "ns-b",
                                     "port": 8080, "weight": 1}]},
                            }
                        ],
                    }
                ],
            },
        }
    )  # fmt: skip
    return docs


@st.composite
def meshes(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [{"type": "Mesh", "name": MESH}]
    for namespace in draw(st.lists(st.sampled_from(NAMESPACES[:4]), min_size=2, max_size=4,
                                   unique=True)):  # fmt: skip
        for app in draw(st.lists(st.sampled_from(APPS), min_size=1, max_size=3, unique=True)):
            docs += draw(dataplanes(namespace, app, draw(st.integers(1, 4))))
    docs += _services()
    docs += [draw(policy(i)) for i in range(draw(st.integers(4, 40)))]
    if draw(st.integers(0, 3)) == 0:
        docs += [draw(crowd(i)) for i in range(draw(st.integers(13, 30)))]
    return docs


@st.composite
def crowd(draw: st.DrawFn, i: int) -> dict[str, Any]:
    """One of many MeshTimeouts every proxy gets, most of them tied (same name, role and
    origin, in other namespaces): over 12 ties are ordered by Go's pdqsort."""
    namespace = draw(st.sampled_from(NAMESPACES))
    labels = {
        "k8s.kuma.io/namespace": namespace,
        "kuma.io/policy-role": draw(st.sampled_from(("system", "producer", "producer"))),
        "kuma.io/origin": "zone",
        "kuma.io/display-name": draw(st.sampled_from(NAMES[:2])),
    }
    target = draw(st.sampled_from(_to_refs(namespace)))
    return {
        "type": "MeshTimeout",
        "mesh": MESH,
        "name": f"crowd-{i}.{namespace}",
        "labels": labels,
        "spec": {"to": [{"targetRef": target, "default": draw(TIMEOUT)}]},
    }


def resources(docs: list[dict[str, Any]], version: KumaVersion) -> tuple[Resource, ...]:
    raw = [RawDocument(SourceRef("gen.yaml", i + 1), d) for i, d in enumerate(docs)]
    return parse_documents(raw, ContextOptions(version=version)).resources


def plain(index: MeshIndex, name: str) -> tuple[TypeRules, ...]:
    dp = index.dataplanes[name]
    gateway = select_gateway(index, dp)
    return tuple(type_rules(index, dp, kind, gateway=gateway, fast=False) for kind in POLICY_KINDS)


def _fields(t: TypeRules) -> dict[str, Any]:
    """Everything a `TypeRules` says, orders included."""
    return {
        "matched": [p.key for p in t.matched],
        "by_inbound": [(k, [p.key for p in v]) for k, v in t.by_inbound.items()],
        "inbound_rules": list(t.inbound_rules.items()),
        "from_rules": list(t.from_rules.items()),
        "resource_rules": t.resource_rules,
        "to_rules": t.to_rules,
        "single_rules": t.single_rules,
        "warnings": t.warnings,
        "kuma_warnings": t.kuma_warnings,
        "ties": [(a.key, b.key) for a, b in t.ties],
    }


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@pytest.mark.parametrize("version", VERSIONS, ids=str)
@SETTINGS
@given(docs=meshes(), order=st.randoms(use_true_random=False))
def test_shared_rules_equal_the_plain_computation(
    version: KumaVersion, docs: list[dict[str, Any]], order: random.Random
) -> None:
    index = build_index(resources(docs, version), MESH, version=version)
    evaluation = MeshEvaluation(index)
    names = sorted(index.dataplanes)
    order.shuffle(names)
    if order.random() < 0.5:
        evaluation.prepare()
    for name in names:
        shared = evaluation.rules(name)
        assert shared is not None
        expected = plain(index, name)
        for got, want in zip(shared.types, expected, strict=True):
            assert _fields(got) == _fields(want), (name, got.type)
        body = rules_body(index, index.dataplanes[name], computed=expected)
        assert evaluation.rules_body(name) == body, name


def _edited(
    docs: list[dict[str, Any]], rng: random.Random, new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """An edit as a user or a cluster makes one: a policy changed, added or removed, a
    dataplane changed, or (the rest) everything read again as equal new objects."""
    out = [dict(d) for d in docs]
    policies = [
        i for i, d in enumerate(out) if d["type"] in POLICY_KINDS and d["name"] != "route-web"
    ]
    roll = rng.random()
    if roll < 0.35 and policies:
        i = rng.choice(policies)
        out[i] = {**new[0], "name": out[i]["name"]}
    elif roll < 0.55:
        out.append({**new[0], "name": f"added-{rng.randrange(1000)}.ns-a"})
    elif roll < 0.7 and policies:
        del out[rng.choice(policies)]
    elif roll < 0.8:
        dps = [i for i, d in enumerate(out) if d["type"] == "Dataplane"]
        i = rng.choice(dps)
        out[i] = {**out[i], "labels": {**out[i]["labels"], "version": "v2"}}
    elif roll < 0.9 and len(new) > 1:
        out.extend({**p, "name": f"more-{j}.ns-b"} for j, p in enumerate(new[1:]))
    return out


@pytest.mark.parametrize("version", (V2_10, V2_12, V2_14), ids=str)
@SETTINGS
@given(
    docs=meshes(),
    new=st.lists(policy(99), min_size=1, max_size=3),
    rng=st.randoms(use_true_random=False),
)
def test_following_evaluation_equals_a_fresh_one_and_knows_what_changed(
    version: KumaVersion, docs: list[dict[str, Any]], new: list[dict[str, Any]], rng: random.Random
) -> None:
    """Three edits in a row, each evaluation following the one before (what it carries
    over, serial numbers included, goes down the chain)."""
    index = build_index(resources(docs, version), MESH, version=version)
    first = MeshEvaluation(index)
    for _ in range(3):
        names = sorted(index.dataplanes)
        for name in rng.sample(names, k=rng.randint(0, len(names))):  # some computed
            first.rules(name)
        docs = _edited(docs, rng, new)
        after = build_index(resources(docs, version), MESH, previous=index, version=version)
        carried = MeshEvaluation.following(first, after)
        fresh = MeshEvaluation(build_index(resources(docs, version), MESH, version=version))
        everything = sorted(index.dataplanes.keys() | after.dataplanes.keys())
        # what changed, by comparing everything (before `first` and `carried` compute more)
        expected: dict[str, tuple[str, ...]] = {}
        for name in everything:
            old, new_rules = first.rules(name), fresh.rules(name)
            if (
                old is None
                or new_rules is None
                or (old.dataplane, old.gateway) != (new_rules.dataplane, new_rules.gateway)
            ):
                expected[name] = tuple(POLICY_KINDS)
            else:
                differing = tuple(
                    a.type for a, b in zip(old.types, new_rules.types, strict=True)
                    if _fields(a) != _fields(b)
                )  # fmt: skip
                if differing:
                    expected[name] = differing
        if rng.random() < 0.5:  # asked before or after the rules themselves
            assert changed_types(first, carried) == expected
        for name in rng.sample(everything, k=len(everything)):
            got, want = carried.rules(name), fresh.rules(name)
            assert (got is None) == (want is None), name
            if got is not None and want is not None:
                assert [_fields(t) for t in got.types] == [_fields(t) for t in want.types], name
        assert changed_dataplanes(first, carried) == tuple(expected)
        assert changed_types(first, carried) == expected
        for name in rng.sample(sorted(after.dataplanes), k=min(3, len(after.dataplanes))):
            kind = rng.choice(sorted(POLICY_KINDS))
            alone = MeshEvaluation.following(carried, after).rules_of_type(name, kind)
            whole = fresh.rules(name)
            assert alone is not None and whole is not None
            assert _fields(alone) == _fields(whole.types[list(POLICY_KINDS).index(kind)])
        index, first = after, carried


def _other_proxy(a: DataplaneRules, b: DataplaneRules) -> bool:
    return (a.dataplane, a.gateway) != (b.dataplane, b.gateway)


def _one_mesh(version: KumaVersion) -> list[dict[str, Any]]:
    """Two namespaces of two apps, three pods each, and a producer MeshTimeout."""
    docs: list[dict[str, Any]] = [{"type": "Mesh", "name": MESH}, *_services()]
    for namespace in ("ns-a", "ns-b"):
        for app in ("web", "api"):
            for i in range(3):
                docs.append(
                    {
                        "type": "Dataplane",
                        "mesh": MESH,
                        "name": f"{app}-{namespace}-{i}",
                        "labels": {"app": app, "k8s.kuma.io/namespace": namespace},
                        "networking": {
                            "address": f"10.0.{i}.{len(namespace)}",
                            "inbound": [{"port": 8080, "tags": {
                                "kuma.io/service": _service(app, namespace), "app": app}}],
                        },
                    }
                )  # fmt: skip
    docs.append(
        {
            "type": "MeshTimeout",
            "mesh": MESH,
            "name": "api-timeout.ns-b",
            "labels": {"k8s.kuma.io/namespace": "ns-b", "kuma.io/policy-role": "producer"},
            "spec": {"to": [{"targetRef": {"kind": "MeshService", "name": "api"},
                             "default": {"idleTimeout": "5s"}}]},
        }
    )  # fmt: skip
    return docs


@pytest.mark.parametrize("version", (V2_10, V2_14), ids=str)
def test_a_policy_that_only_warns_changes_every_dataplane_it_warns_on(
    version: KumaVersion,
) -> None:
    """A policy whose top-level route does not exist selects nothing, but Kuma warns on
    every proxy it is tried on: adding it changes every dataplane's rules."""
    docs = _one_mesh(version)
    before = build_index(resources(docs, version), MESH, version=version)
    first = MeshEvaluation(before)
    first.all_rules()
    broken = {
        "type": "MeshTimeout",
        "mesh": MESH,
        "name": "broken.kuma-system",
        "labels": {"kuma.io/policy-role": "system"},
        "spec": {
            "targetRef": {"kind": "MeshHTTPRoute", "name": "missing"},
            "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "1s"}}],
        },
    }
    after = build_index(resources([*docs, broken], version), MESH, previous=before, version=version)
    carried = MeshEvaluation.following(first, after)
    assert changed_dataplanes(first, carried) == tuple(sorted(after.dataplanes))
    for name in after.dataplanes:
        rules = carried.rules(name)
        assert rules is not None
        timeouts = rules.of_type("MeshTimeout")
        assert timeouts is not None
        assert any("couldn't resolve MeshHTTPRoute" in w for w in timeouts.kuma_warnings)


@pytest.mark.parametrize("version", (V2_10, V2_14), ids=str)
def test_a_producer_edit_changes_exactly_its_clients_and_reuses_the_rest(
    version: KumaVersion,
) -> None:
    """Editing one producer policy: every client of its service changes (all proxies, as
    a producer policy applies mesh-wide); other types' rules are reused, not computed."""
    docs = _one_mesh(version)
    before = build_index(resources(docs, version), MESH, version=version)
    first = MeshEvaluation(before)
    old = first.all_rules()
    edited = [
        {
            **d,
            "spec": {**d["spec"], "to": [{**d["spec"]["to"][0], "default": {"idleTimeout": "7s"}}]},
        }
        if d["name"] == "api-timeout.ns-b"
        else d
        for d in docs
    ]
    after = build_index(resources(edited, version), MESH, previous=before, version=version)
    carried = MeshEvaluation.following(first, after)
    assert changed_dataplanes(first, carried) == tuple(sorted(after.dataplanes))
    for name, rules in carried.all_rules().items():
        keys = listener_keys(rules.dataplane)
        for (_, was), (_, now) in zip(old[name]._parts(keys), rules._parts(keys), strict=True):
            assert (was is now) == (now.type != "MeshTimeout"), (name, now.type)
        assert rules == MeshEvaluation(after).rules(name)


TIE_CLASSES = (3, 0, 2, 3, 3, 2, 3, 2, 1, 1, 2, 1, 0, 2, 1, 2, 0, 0, 2)
"""Merge-order classes of 19 policies in store order, for which Go's pdqsort orders the
class-0 ones differently once the first policy is gone (found by search)."""
CLASS_LABELS = (
    {"kuma.io/origin": "global", "kuma.io/policy-role": "system"},
    {"kuma.io/origin": "global", "kuma.io/policy-role": "producer"},
    {"kuma.io/origin": "zone", "kuma.io/policy-role": "system"},
    {"kuma.io/origin": "zone", "kuma.io/policy-role": "producer"},
)


def _tied_crowd(version: KumaVersion, *, without_first: bool) -> list[dict[str, Any]]:
    """Every proxy gets all 19 (same display name: each class ties fully); the class-0
    ones all configure `web`, the others `db`. The first in store order is the last
    document, so that leaving it out moves no other document (which would make every
    other policy a new object)."""
    docs = [d for d in _one_mesh(version) if d["type"] != "MeshTimeout"]
    for i, tie_class in (*enumerate(TIE_CLASSES[1:], start=1), (0, TIE_CLASSES[0])):
        if without_first and i == 0:
            continue
        app = "web" if tie_class == 0 else "db"
        docs.append(
            {
                "type": "MeshTimeout",
                "mesh": MESH,
                "name": f"tie-{i:02d}",
                "labels": {**CLASS_LABELS[tie_class], "kuma.io/display-name": "same"},
                "spec": {"to": [{"targetRef": {"kind": "MeshService", "labels": {"app": app}},
                                 "default": {"idleTimeout": f"{i + 1}s"}}]},
            }
        )  # fmt: skip
    return docs


@pytest.mark.parametrize("version", (V2_10, V2_14), ids=str)
def test_an_edit_that_reorders_full_ties_rebuilds_what_they_share(version: KumaVersion) -> None:
    """Removing a policy that reaches only `db` changes how Go's sort orders the tied
    class-0 policies, so `web`'s rule changes too: neither the previous rules nor the
    base (in rank order, never Go's) may be taken for it, as the tied policies both
    reach it."""
    before = build_index(resources(_tied_crowd(version, without_first=False), version), MESH,
                         version=version)  # fmt: skip
    first = MeshEvaluation(before)
    first.all_rules()
    docs = _tied_crowd(version, without_first=True)
    after = build_index(resources(docs, version), MESH, previous=before, version=version)
    carried = MeshEvaluation.following(first, after)
    fresh = MeshEvaluation(build_index(resources(docs, version), MESH, version=version))
    name = sorted(after.dataplanes)[0]
    assert _web_timeouts(fresh, name) != _web_timeouts(first, name), (
        "the example no longer reorders the ties: search for another"
    )
    for name in sorted(after.dataplanes):
        assert carried.rules(name) == fresh.rules(name), name


def _web_timeouts(evaluation: MeshEvaluation, name: str) -> list[tuple[Any, ...]]:
    rules = evaluation.rules(name)
    assert rules is not None
    timeouts = rules.of_type("MeshTimeout")
    assert timeouts is not None
    return [r.confs for r in timeouts.resource_rules if r.resource.labels.get("app") == "web"]
