"""`diff_meshes` shares one memo table per index across its proxies (and, given `caches`,
across calls): every answer must be the one a proxy computed on its own gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshtui.engine.diff import MeshDiff, diff_meshes
from meshtui.engine.index import MeshIndex, build_index
from meshtui.engine.memo import RuleCache
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.parse import ContextOptions
from meshtui.sources.files import FolderSource, parse_text
from tests.versions import V2_10

SAMPLE = Path(__file__).parents[2] / "sample-cluster"


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
    caches = (RuleCache(), RuleCache())
    names = sorted(new_index.dataplanes)
    halves = [
        diff_meshes(old_index, new_index, dataplanes=part, caches=caches)
        for part in (names[: len(names) // 2], names[len(names) // 2 :])
    ]
    assert tuple(c for h in halves for c in h.changes) == shared.changes
