"""The Changes view and what-if mode: the rules diff behind them (figures f and g).

How: the generated folder is loaded as the folder source loads it, and its mesh indexed
through the dashboard's `IndexStore` (untimed). The change is one MeshTimeout added in the
first application namespace (`to: Mesh`, `requestTimeout: 99s`, a value the generator never
uses), so it reaches that namespace's proxies only:

* f. as a live edit: its file re-read (the policy appended), the inventory applied, and
  `journal.effect_of` timed: the diff of every proxy of the mesh, batched as the Changes
  view's worker computes it (issue 17: a live change in the Changes view within 1 s);
* f2. the same for a change that reaches every proxy: the system MeshTimeout (`to: Mesh`,
  `idleTimeout: 77s`) `bench_edits` adds, `journal.effect_of` timed (no target: it is
  proportional to the proxies and destinations changed);
* g. as a what-if draft: `whatif.overlay` on the live inventory, the overlay's index built
  from the live one, and `journal.full_diff` against it, timed together (issue 17: a
  one-policy draft's full diff within 2 s).

One run each (each takes seconds at 10k); `--quick` changes nothing here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from tests.perf.common import (
    Figure,
    at_reference,
    bench_args,
    load_engine_input,
    machine,
    mesh_folder,
    print_figures,
)

POLICY = """apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: bench-draft-timeout
  namespace: {namespace}
  labels: {{kuma.io/mesh: default}}
spec:
  to:
  - targetRef: {{kind: Mesh}}
    default: {{http: {{requestTimeout: 99s}}}}
"""


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figures f and g at one size."""
    from meshtui.engine.index import build_index_from_groups
    from meshtui.inventory import OriginUpdate, ScopeReplaced
    from meshtui.present.journal import ChangeJob, IndexStore, effect_of, full_diff
    from meshtui.present.whatif import DraftFiles, overlay
    from meshtui.sources.files import parse_text
    from tests.perf.bench_edits import _added_system_edit

    folder = mesh_folder(size)
    loaded = load_engine_input(folder)
    inventory = loaded.inventory
    store = IndexStore()
    store.index_of(inventory, "default")
    target = sorted(folder.glob("ns-*/policies.yaml"))[0]
    namespace = target.parent.name
    policy = POLICY.format(namespace=namespace)
    [origin] = [o for o in inventory.origins if o.endswith(f"{namespace}/policies.yaml")]
    contents = parse_text(f"{target.read_text()}---\n{policy}", origin.removeprefix("file:"))
    after, diff = inventory.apply([OriginUpdate(origin, contents.documents, contents.problems)])

    start = time.perf_counter()
    record = effect_of(ChangeJob(1, "", inventory, after, diff), store)
    live_seconds = time.perf_counter() - start
    changed = record.changed if record is not None else 0

    wide, wide_diff = inventory.apply(_added_system_edit(loaded).changes(0))
    wide_store = IndexStore()
    wide_store.index_of(inventory, "default")
    start = time.perf_counter()
    wide_record = effect_of(ChangeJob(2, "", inventory, wide, wide_diff), wide_store)
    wide_seconds = time.perf_counter() - start
    wide_changed = wide_record.changed if wide_record is not None else 0

    draft = parse_text(policy, "draft.yaml")
    drafts = DraftFiles().apply(
        [ScopeReplaced("file:", (OriginUpdate("file:draft.yaml", draft.documents),))]
    )
    live = store.index_of(inventory, "default")
    start = time.perf_counter()
    overlaid, _ = overlay(inventory, drafts)
    index = build_index_from_groups(
        overlaid.groups_of("default"),
        overlaid.groups_of("").get("Mesh", {}).values(),
        "default",
        previous=live,
        version=overlaid.control_plane.version,
    )
    compared = full_diff(live, index, stopped=lambda: False)
    draft_seconds = time.perf_counter() - start
    found = len(compared.changes) if compared is not None else 0
    note = f"MeshTimeout to Mesh in {namespace}"
    return [
        Figure(
            size,
            "f. live change: effect in the Changes view",
            live_seconds,
            "s",
            at_reference(size, 1.0),
            note=f"{note}: {changed} of {size} proxies change",
        ),
        Figure(
            size,
            "f2. live change across the mesh: its effect",
            wide_seconds,
            "s",
            note=f"system MeshTimeout added: {wide_changed} of {size} proxies change",
        ),
        Figure(
            size,
            "g. what-if: one-policy draft's full diff",
            draft_seconds,
            "s",
            at_reference(size, 2.0),
            note=f"{note}: {found} of {size} proxies change",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_changes [--sizes ...]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
