"""The inventory: origins replaced as files are re-read, diffs, last good versions."""

from __future__ import annotations

import random

import pytest

from meshtui.engine.index import mesh_names
from meshtui.inventory import Inventory, OriginUpdate
from meshtui.model import Problem
from meshtui.parse import ContextOptions, dedupe
from meshtui.sources.files import parse_text
from tests.versions import V2_10

TIMEOUT = """\
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: {name}
  namespace: demo
  labels: {{kuma.io/mesh: default}}
spec:
  to:
  - targetRef: {{kind: Mesh}}
    default: {{idleTimeout: {value}}}
"""


def file_update(*docs: str, origin: str = "policies.yaml") -> OriginUpdate:
    contents = parse_text("---\n".join(docs), origin)
    return OriginUpdate(origin, contents.documents, contents.problems)


def by_name(inventory: Inventory) -> dict[str, object]:
    return {r.name: r for r in inventory.resources}


def test_re_reading_a_file_keeps_the_objects_of_unchanged_resources() -> None:
    docs = [TIMEOUT.format(name=f"t{i}", value="5s") for i in range(3)]
    first, _ = Inventory.empty(ContextOptions(version=V2_10)).apply([file_update(*docs)])
    docs[1] = TIMEOUT.format(name="t1", value="7s")
    second, diff = first.apply([file_update(*docs)])
    before, after = by_name(first), by_name(second)
    assert after["t0.demo"] is before["t0.demo"] and after["t2.demo"] is before["t2.demo"]
    assert after["t1.demo"] is not before["t1.demo"]
    assert [k.name for k in diff.changed] == ["t1.demo"] and not diff.added and not diff.removed
    assert second.version == first.version + 1


def test_a_broken_file_keeps_the_last_good_versions_and_reports_the_error() -> None:
    good, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [file_update(TIMEOUT.format(name="t0", value="5s"), TIMEOUT.format(name="t1", value="5s"))]
    )
    broken, diff = good.apply([file_update(TIMEOUT.format(name="t0", value="6s"), "spec: [\n")])
    assert set(by_name(broken)) == {"t0.demo", "t1.demo"}
    assert [k.name for k in broken.stale_keys] == ["t1.demo"]
    assert [k.name for k in diff.changed] == ["t0.demo"] and not diff.removed
    errors = [(p.file, p.document) for p in broken.problems if p.severity == "error"]
    assert errors == [("policies.yaml", 2)]


def _random_file(rng: random.Random, origin: str) -> OriginUpdate | None:
    """A file defining a few of a small pool of names (so keys collide across files and
    within one), in one of two meshes, sometimes broken, sometimes deleted."""
    if rng.random() < 0.15:
        return OriginUpdate(origin, None)
    docs = [
        TIMEOUT.format(name=f"t{rng.randrange(6)}", value=f"{rng.randrange(3)}s").replace(
            "kuma.io/mesh: default", f"kuma.io/mesh: {rng.choice(['default', 'other'])}"
        )
        for _ in range(rng.randrange(4))
    ]
    if rng.random() < 0.2:
        docs.append("spec: [\n")
    if rng.random() < 0.2:
        docs.append("type: Mesh\nname: other\n")
    return file_update(*docs, origin=origin) if docs else OriginUpdate(origin, ())


@pytest.mark.parametrize("seed", range(30))
def test_applying_changes_one_by_one_equals_reading_everything_afresh(seed: int) -> None:
    """The merge is kept up to date per changed file; it must always equal the merge of
    every file made from scratch: shown resources, duplicate warnings in order, meshes,
    and the diff against the previous state."""
    rng = random.Random(seed)
    origins = [f"f{i}.yaml" for i in range(5)]
    inventory = Inventory.empty(ContextOptions(zone="z1", version=V2_10))
    for _ in range(12):
        batch = [u for u in (_random_file(rng, rng.choice(origins)) for _ in range(2)) if u]
        before = dict(inventory.resource_map)
        inventory, diff = inventory.apply(batch)
        # from scratch, the way the whole inventory used to be merged on every change
        dup_problems: list[Problem] = []
        expected = dedupe(
            (r for state in inventory.origins.values() for r in state.current()), dup_problems
        )
        assert inventory.resources == expected
        assert all(inventory.resource_map[r.key] is r for r in expected)
        per_origin = [
            p for st in inventory.origins.values() for p in (*st.read_problems, *st.batch.problems)
        ]
        note = [p for p in inventory.problems[:1] if p.severity == "info" and not p.file]
        namespace_problems: list[Problem] = []
        dedupe(
            (n for st in inventory.origins.values() for n in st.batch.namespaces),
            namespace_problems,
        )
        assert inventory.problems == (*note, *per_origin, *dup_problems, *namespace_problems)
        assert inventory.mesh_names == mesh_names(expected)
        whole = Inventory(  # merged in one go, as after a context change
            options=inventory.options,
            origins=inventory.origins,
            control_plane=inventory.control_plane,
            context_note=inventory.context_note,
        )
        assert whole.resources == expected and whole.problems == inventory.problems
        assert whole.mesh_names == inventory.mesh_names
        expected_added = inventory.resource_map.keys() - before.keys()
        expected_removed = before.keys() - inventory.resource_map.keys()
        assert diff.added == expected_added and diff.removed == expected_removed
        assert diff.changed == {
            k
            for k in inventory.resource_map.keys() & before.keys()
            if inventory.resource_map[k] != before[k]
        }
