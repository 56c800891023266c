"""The inventory: origins replaced as files are re-read, diffs, last good versions."""

from __future__ import annotations

from meshtui.inventory import Inventory, OriginUpdate
from meshtui.parse import ContextOptions
from meshtui.sources.files import parse_text

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
    first, _ = Inventory.empty(ContextOptions()).apply([file_update(*docs)])
    docs[1] = TIMEOUT.format(name="t1", value="7s")
    second, diff = first.apply([file_update(*docs)])
    before, after = by_name(first), by_name(second)
    assert after["t0.demo"] is before["t0.demo"] and after["t2.demo"] is before["t2.demo"]
    assert after["t1.demo"] is not before["t1.demo"]
    assert [k.name for k in diff.changed] == ["t1.demo"] and not diff.added and not diff.removed
    assert second.version == first.version + 1


def test_a_broken_file_keeps_the_last_good_versions_and_reports_the_error() -> None:
    good, _ = Inventory.empty(ContextOptions()).apply(
        [file_update(TIMEOUT.format(name="t0", value="5s"), TIMEOUT.format(name="t1", value="5s"))]
    )
    broken, diff = good.apply([file_update(TIMEOUT.format(name="t0", value="6s"), "spec: [\n")])
    assert set(by_name(broken)) == {"t0.demo", "t1.demo"}
    assert [k.name for k in broken.stale_keys] == ["t1.demo"]
    assert [k.name for k in diff.changed] == ["t0.demo"] and not diff.removed
    errors = [(p.file, p.document) for p in broken.problems if p.severity == "error"]
    assert errors == [("policies.yaml", 2)]
