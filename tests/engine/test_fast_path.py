"""The engine's shortcuts (fast matching, memo tables, incremental index) change nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import MeshIndex, build_index, mesh_names
from meshtui.engine.inspect import rules_body
from meshtui.engine.matching import select_gateway
from meshtui.engine.memo import Memo
from meshtui.engine.rules import type_rules
from meshtui.kinds import POLICY_KINDS
from meshtui.model import Resource
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import load_path
from meshtui.versions import KumaVersion
from tests.versions import V2_10, V2_11, V2_12, V2_14

SAMPLE = Path(__file__).resolve().parents[2] / "sample-cluster"


def _sample_resources() -> tuple[Resource, ...]:
    documents, _ = load_path(SAMPLE)
    return parse_documents(documents, ContextOptions(version=V2_10)).resources


def _reference(index: MeshIndex, name: str) -> dict[str, Any]:
    dp = index.dataplanes[name]
    gateway = select_gateway(index, dp)
    types = [type_rules(index, dp, kind, gateway=gateway, fast=False) for kind in POLICY_KINDS]
    return rules_body(index, dp, computed=types)


def test_fast_path_and_shared_cache_equal_the_plain_loop_for_every_sample_dataplane() -> None:
    resources = _sample_resources()
    for mesh in mesh_names(resources):
        index = build_index(resources, mesh, version=V2_10)
        evaluation = MeshEvaluation(index)
        for name in sorted(index.dataplanes):
            assert evaluation.rules_body(name) == _reference(index, name), name


def test_results_do_not_depend_on_which_dataplane_filled_the_cache() -> None:
    resources = _sample_resources()
    index = build_index(resources, "shop", version=V2_10)
    names = sorted(index.dataplanes)
    expected = {name: MeshEvaluation(index).rules_body(name) for name in names}
    for seed in range(5):
        order = names[:]
        random.Random(seed).shuffle(order)
        shared = MeshEvaluation(index, memo=Memo())
        for name in order:
            assert shared.rules_body(name) == expected[name]


def test_incremental_index_and_carried_cache_equal_a_fresh_evaluation() -> None:
    resources = list(_sample_resources())
    before = build_index(resources, "shop", version=V2_10)
    first = MeshEvaluation(before)
    for name in before.dataplanes:
        first.rules_body(name)
    edited = [
        r
        if r.type != "MeshRetry"
        else type(r)(
            type=r.type, mesh=r.mesh, name=r.name, labels=r.labels, spec={**r.spec, "to": []}
        )
        for r in resources
    ]
    after = build_index(edited, "shop", previous=before, version=V2_10)
    carried = MeshEvaluation.following(first, after)
    fresh = MeshEvaluation(build_index(edited, "shop", version=V2_10))
    for name in sorted(after.dataplanes):
        assert carried.rules_body(name) == fresh.rules_body(name), name
    policy = next(p for p in after.all_policies() if p.type == "MeshTimeout")
    assert carried.affected(policy) == fresh.affected(policy)


def test_carried_cache_survives_equal_but_new_objects_from_a_re_read_file() -> None:
    """Re-reading a file makes new objects for every resource in it, even unchanged ones."""
    resources = list(_sample_resources())
    before = build_index(resources, "shop", version=V2_10)
    first = MeshEvaluation(before)
    for name in before.dataplanes:
        first.rules_body(name)
    copies = [
        type(r)(type=r.type, mesh=r.mesh, name=r.name, labels=dict(r.labels), spec=dict(r.spec))
        if r.type in ("MeshTimeout", "MeshRetry")
        else r
        for r in resources
    ]
    after = build_index(copies, "shop", previous=before, version=V2_10)
    carried = MeshEvaluation.following(first, after)
    fresh = MeshEvaluation(build_index(copies, "shop", version=V2_10))
    for name in sorted(after.dataplanes):
        assert carried.rules_body(name) == fresh.rules_body(name), name


def test_carried_affected_counts_equal_a_fresh_count_after_an_edit() -> None:
    resources = list(_sample_resources())
    before = build_index(resources, "shop", version=V2_10)
    first = MeshEvaluation(before)
    counts_before = {p.key: first.affected_count(p) for p in before.all_policies()}
    target = next(r for r in resources if r.type == "MeshTimeout" and r.mesh == "shop")
    narrowed = type(target)(
        type=target.type,
        mesh=target.mesh,
        name=target.name,
        labels=target.labels,
        spec={**target.spec, "targetRef": {"kind": "MeshSubset", "tags": {"no-such": "tag"}}},
    )
    edited = [narrowed if r is target else r for r in resources]
    after = build_index(edited, "shop", previous=before, version=V2_10)
    carried = MeshEvaluation.following(first, after)
    from meshtui.engine.evaluation import _COUNTED

    reused = set(carried.memo.table(_COUNTED))
    assert reused == set(counts_before) - {narrowed.key}, "unchanged policies are not recounted"
    fresh = MeshEvaluation(build_index(edited, "shop", version=V2_10))
    counts_after = {p.key: carried.affected_count(p) for p in after.all_policies()}
    assert counts_after == {p.key: fresh.affected_count(p) for p in after.all_policies()}
    assert counts_after[narrowed.key] == 0 < counts_before[narrowed.key]


def _index_shape(index: MeshIndex) -> dict[str, Any]:
    """Everything the engine reads from an index, by value (views compared by resource)."""
    return {
        "mesh": index.mesh,
        "policies": {k: [p.resource for p in v] for k, v in index.policies.items()},
        "shadow": {k: [p.resource for p in v] for k, v in index.shadow_policies.items()},
        "dataplanes": [(n, d.resource) for n, d in index.dataplanes.items()],
        "services": {k: list(v) for k, v in index.services.items()},
        "gateways": list(index.gateways),
        "candidates": {
            kind: [
                [c.policies[p].resource for p in part] for part in (c.fast_global, c.slow_global)
            ]
            + [
                {ns: [c.policies[p].resource for p in ps] for ns, ps in by_ns.items()}
                for by_ns in (c.fast_by_namespace, c.slow_by_namespace)
            ]
            for kind, c in index.candidate_sets.items()
        },
        "by_namespace": {
            k: [d.resource for d in v] for k, v in index.dataplanes_by_namespace.items()
        },
        "by_tag": {k: [d.resource for d in v] for k, v in index.dataplanes_by_tag.items()},
        "by_label": {k: [d.resource for d in v] for k, v in index.dataplanes_by_label.items()},
        "routes": {k: p.resource for k, p in index.routes_by_display_name.items()},
        "resources": list(index.resources),
    }


def _edited(rng: random.Random, resources: list[Resource], pool: list[Resource]) -> list[Resource]:
    """Some resources dropped, some replaced by equal new objects or changed copies,
    some added back from `pool`; in a shuffled order (the index must not care)."""
    out: list[Resource] = []
    for r in resources:
        roll = rng.random()
        if roll < 0.1:
            continue
        if roll < 0.2:
            labels = dict(r.labels)
            if rng.random() < 0.5:
                labels["kuma.io/effect"] = "shadow" if "kuma.io/effect" not in labels else "x"
            r = type(r)(type=r.type, mesh=r.mesh, name=r.name, labels=labels, spec=dict(r.spec))
        out.append(r)
    have = {r.key for r in out}
    out.extend(r for r in pool if r.key not in have and rng.random() < 0.3)
    rng.shuffle(out)
    return out


def test_an_index_built_from_the_previous_one_equals_one_built_afresh() -> None:
    pool = list(_sample_resources())
    for seed in range(40):
        rng = random.Random(seed)
        resources = pool[:]
        index = build_index(resources, "shop", version=V2_10)
        assert index.candidate_sets and index.dataplanes_by_tag and index.routes_by_display_name
        for _ in range(4):
            resources = _edited(rng, resources, pool)
            index = build_index(resources, "shop", previous=index, version=V2_10)
            assert _index_shape(index) == _index_shape(
                build_index(resources, "shop", version=V2_10)
            ), seed


def test_an_index_built_from_inventory_groups_equals_one_built_afresh() -> None:
    """The app indexes the inventory's per-type groups: a type no edit touched keeps its
    mapping and is taken as it was; everything must still equal a fresh index."""
    from meshtui.engine.index import build_index_from_groups
    from meshtui.inventory import Inventory, OriginUpdate
    from meshtui.sources.files import read_file, yaml_files

    files = {str(p): read_file(p, str(p)) for p in yaml_files(SAMPLE / "shop")}
    for seed in range(15):
        rng = random.Random(seed)
        inventory = Inventory.empty(ContextOptions(version=V2_10))
        inventory, _ = inventory.apply(
            [OriginUpdate(f, c.documents, c.problems) for f, c in files.items()]
        )
        index = None
        for _ in range(6):
            index = build_index_from_groups(
                inventory.groups_of("shop"),
                inventory.groups_of("").get("Mesh", {}).values(),
                "shop",
                previous=index,
                version=V2_10,
            )
            assert _index_shape(index) == _index_shape(
                build_index(inventory.resources, "shop", version=V2_10)
            )
            name = rng.choice(sorted(files))
            gone = rng.random() < 0.3 and name in inventory.origins
            again = read_file(Path(name), name)  # new, equal objects
            inventory, _ = inventory.apply(
                [OriginUpdate(name, None if gone else again.documents, again.problems)]
            )


def _random_policies_mesh(seed: int) -> str:
    """Universal proxies and MeshTimeouts with every kind of top-level targetRef the slow
    path prunes by requirement (tags, `*`, services, subsets, names, labels, "")."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = [{"type": "Mesh", "name": "m"}]
    for i in range(12):
        inbounds = [
            {
                "port": 8000 + k,
                "name": rng.choice(["", "http"]),
                "state": rng.choice(["Ready", "Ready", "Ignored"]),
                "tags": {
                    "kuma.io/service": rng.choice(["a", "b", "c", ""]),
                    **({"v": rng.choice(["1", "2"])} if rng.random() < 0.6 else {}),
                },
            }
            for k in range(rng.randint(0, 2))
        ]
        networking: dict[str, Any] = {"address": f"10.0.0.{i}", "inbound": inbounds}
        if rng.random() < 0.2:
            networking["gateway"] = {"type": "DELEGATED", "tags": {"kuma.io/service": "a"}}
        if rng.random() < 0.3:
            networking["listeners"] = [
                {"type": rng.choice(["ZoneIngress", "ZoneEgress"]), "port": 10000 + k,
                 "name": rng.choice(["", "http", "zi"])}
                for k in range(rng.randint(1, 2))
            ]  # fmt: skip
        labels = {k: v for k, v in (("app", rng.choice(["w", "x", ""])),) if rng.random() < 0.7}
        if rng.random() < 0.5:
            labels["kuma.io/display-name"] = rng.choice(["d1", "d2"])
        docs.append(
            {"type": "Dataplane", "mesh": "m", "name": f"dp{i}", "labels": labels,
             "networking": networking}
        )  # fmt: skip
    refs: list[dict[str, Any]] = [
        {"kind": "MeshSubset", "tags": {"v": "1"}},
        {"kind": "MeshSubset", "tags": {"v": "*"}},
        {"kind": "MeshSubset", "tags": {"v": "1", "kuma.io/service": "a"}},
        {"kind": "MeshSubset", "tags": {}},
        {"kind": "MeshService", "name": "b"},
        {"kind": "MeshService", "name": ""},
        {"kind": "MeshServiceSubset", "name": "a", "tags": {"v": "2"}},
        {"kind": "MeshServiceSubset", "name": "c", "tags": {"kuma.io/service": "a"}},
        {"kind": "Dataplane", "labels": {"app": "w"}},
        {"kind": "Dataplane", "labels": {"app": ""}},
        {"kind": "Dataplane", "labels": {}},
        {"kind": "Dataplane", "name": "dp3"},
        {"kind": "Dataplane", "name": "d1"},
        {"kind": "Dataplane", "namespace": "x"},
        {"kind": "Dataplane", "sectionName": "http"},
        {"kind": "Dataplane", "sectionName": "8001"},
        {"kind": "Dataplane", "sectionName": "10000"},
        {"kind": "Mesh", "proxyTypes": ["Sidecar"]},
        {"kind": "MeshHTTPRoute", "name": "missing"},
    ]
    for i in range(20):
        ref = rng.choice(refs)
        body: dict[str, Any] = {"targetRef": ref}
        if ref["kind"] == "Dataplane" and "sectionName" in ref:
            body["rules"] = [{"default": {"idleTimeout": f"{i}s"}}]
        else:
            body["to"] = [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": f"{i}s"}}]
        docs.append({"type": "MeshTimeout", "mesh": "m", "name": f"p{i:02d}", "spec": body})
    return "\n---\n".join(json.dumps(d) for d in docs)


@pytest.mark.parametrize("version", [V2_10, V2_11, V2_12, V2_14], ids=str)
@pytest.mark.parametrize("seed", range(25))
def test_slow_candidates_pruned_by_requirement_equal_trying_every_policy(
    seed: int, version: KumaVersion
) -> None:
    from meshtui.sources.files import parse_text

    contents = parse_text(_random_policies_mesh(seed), "random.yaml")
    assert not contents.problems
    index = build_index(
        parse_documents(contents.documents, ContextOptions(version=version)).resources,
        "m",
        version=version,
    )
    cache = Memo()
    for proxy in index.dataplanes.values():
        for kind in ("MeshTimeout",):
            fast = type_rules(index, proxy, kind, cache=cache, fast=True)
            slow = type_rules(index, proxy, kind, fast=False)
            assert fast.matched == slow.matched, proxy.resource.name
            assert fast.by_inbound == slow.by_inbound
            assert fast.warnings == slow.warnings
