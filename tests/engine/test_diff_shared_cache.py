"""`diff_meshes` compares only what a change can touch, through the evaluations' change
API and winners explained once per rule object: its answer must be the plain one (every
proxy, every policy type, computed on its own), in one call or in batches."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meshtui.engine.diff import MeshDiff, diff_meshes, evaluations, rule_places
from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.matching import select_gateway
from meshtui.engine.rules import type_rules
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.kinds import POLICY_KINDS
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource, parse_text
from meshtui.versions import KumaVersion
from tests.engine.test_evaluation_shared import MESH, SETTINGS, _edited, meshes, policy, resources
from tests.versions import V2_10, V2_14

SAMPLE = Path(__file__).parents[2] / "sample-cluster"


Place = tuple[str, str, str, frozenset[tuple[str, str, str]]]


def flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(flat(child, f"{path}.{key}" if path else str(key)))
        return out
    return {} if value is None and not path else {path: value}


def leaf_changes(old: Any, new: Any) -> frozenset[tuple[str, str, str]]:
    a, b = flat(old), flat(new)
    return frozenset(
        (path, repr(a.get(path)), repr(b.get(path)))
        for path in set(a) | set(b)
        if a.get(path) != b.get(path) or (path in a) != (path in b)
    )


def plain_places(before: MeshIndex, after: MeshIndex) -> set[Place]:
    """(proxy, type, where, changed leaves) of every place whose conf differs, every proxy
    and type computed on its own, nothing shared."""
    out = set()
    for name in sorted(set(before.dataplanes) & set(after.dataplanes)):
        old_dp, new_dp = before.dataplanes[name], after.dataplanes[name]
        for kind in POLICY_KINDS:
            was = type_rules(before, old_dp, kind, gateway=select_gateway(before, old_dp))
            now = type_rules(after, new_dp, kind, gateway=select_gateway(after, new_dp))
            a, b = rule_places(was, before), rule_places(now, after)
            for where in set(a) | set(b):
                if a.get(where) != b.get(where):
                    out.add((name, kind, where, leaf_changes(a.get(where), b.get(where))))
    return out


def fast_places(diff: MeshDiff) -> set[Place]:
    return {
        (
            change.dataplane,
            rule.type,
            rule.where,
            frozenset((f.path, repr(f.old), repr(f.new)) for f in rule.fields),
        )
        for change in diff.changes
        for rule in change.rules
    }


def alone(before: MeshIndex, after: MeshIndex) -> MeshDiff:
    """Each proxy diffed by a call of its own (fresh memo tables every time)."""
    names = sorted(set(before.dataplanes) | set(after.dataplanes))
    parts = [diff_meshes(before, after, dataplanes=[name]) for name in names]
    return MeshDiff(
        mesh=parts[0].mesh,
        total=parts[0].total,
        changes=tuple(c for p in parts for c in p.changes),
        added=tuple(n for p in parts for n in p.added),
        removed=tuple(n for p in parts for n in p.removed),
        role_changes=parts[0].role_changes,
    )


def edited(update: OriginUpdate, old: str, new: str) -> OriginUpdate:
    name = update.origin.removeprefix("file:")
    text = Path(name).read_text()
    assert old in text
    contents = parse_text(text.replace(old, new), name)
    return OriginUpdate(update.origin, contents.documents, contents.problems)


def scenarios() -> list[tuple[str, str, str, str, str]]:
    """(folder, mesh, file, old text, new text): edits that reach some or all proxies."""
    return [
        ("shop", "shop", "kuma-system/global-default-policies.yaml", "10s", "11s"),
        (
            "shop",
            "shop",
            "kuma-system/global-default-policies.yaml",
            "requestTimeout: 0s",
            "requestTimeout: 5s",
        ),
        (
            "producer-consumer",
            "default",
            "kuma-demo/producer-timeout.yaml",
            "requestTimeout: 1s",
            "requestTimeout: 2s",
        ),
        (
            "producer-consumer",
            "default",
            "first-consumer/consumer-timeout.yaml",
            "consumer-timeout",
            "consumer-timeout-2",
        ),
    ]


@pytest.mark.parametrize(("folder", "mesh", "file", "old", "new"), scenarios())
def test_shared_memo_tables_give_what_each_proxy_alone_gives(
    folder: str, mesh: str, file: str, old: str, new: str
) -> None:
    updates = {u.origin: u for u in FolderSource(SAMPLE / folder, watch=False).scan()}
    [origin] = [o for o in updates if o.endswith(file)]
    before, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(list(updates.values()))
    after, _ = before.apply([edited(updates[origin], old, new)])
    old_index = build_index(before.resources, mesh, version=V2_10)
    new_index = build_index(after.resources, mesh, version=V2_10)
    shared = diff_meshes(old_index, new_index)
    assert shared.changes, "the edit changes some proxy's rules"
    assert shared == alone(old_index, new_index)
    plain = plain_places(old_index, new_index)
    assert fast_places(shared) == plain

    evaluated = evaluations(old_index, new_index)
    names = sorted(new_index.dataplanes)
    halves = [
        diff_meshes(old_index, new_index, dataplanes=part, evaluated=evaluated)
        for part in (names[: len(names) // 2], names[len(names) // 2 :])
    ]
    assert tuple(c for h in halves for c in h.changes) == shared.changes


@pytest.mark.parametrize("version", (V2_10, V2_14), ids=str)
@SETTINGS
@given(
    docs=meshes(),
    new=st.lists(policy(99), min_size=1, max_size=3),
    rng=st.randoms(use_true_random=False),
)
def test_diff_of_random_edits_equals_the_plain_comparison(
    version: KumaVersion, docs: list[dict[str, Any]], new: list[dict[str, Any]], rng: random.Random
) -> None:
    """Meshes whose proxies share outbound and legacy rule lists (many pods of one app, `to:
    Mesh` overlays, ties), edited at random: the places and leaves that changed are the plain
    ones, and diffing each proxy alone gives the same changes and winners."""
    before = build_index(resources(docs, version), MESH, version=version)
    edited_docs = _edited(docs, rng, new)
    after = build_index(resources(edited_docs, version), MESH, previous=before, version=version)
    shared = diff_meshes(before, after)
    assert fast_places(shared) == plain_places(before, after)
    assert shared == alone(before, after)
