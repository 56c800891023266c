"""Edits through the engine, without the UI (figure f).

How: the generated folder is read, applied and indexed as the app does it (see
`bench_rules`), then edited in memory the way the folder source delivers an edit: the
edited file read again, every document of it a new object (only the edited one
different). Times are CPU time of this process (wall in the notes).

- *one-policy change, whole mesh* (what the what-if diff and the Changes view need):
  from an evaluation whose every dataplane's rules are known, one edit, then
  `build_index_from_groups(previous=...)`, `MeshEvaluation.following`,
  `changed_dataplanes(before, after)` and `after.all_rules()` (target <= 1 s at 10k
  each). Edits: a producer MeshTimeout's `requestTimeout` (its service's clients, in
  every namespace), a consumer MeshTimeout's (one namespace's proxies), a new system
  MeshTimeout `to: Mesh` (every dataplane, every destination), a Dataplane's label. The
  inventory's `apply` is given in the note (not engine work);
- *one-policy draft from a fresh load* (what `meshtui diff BASE --with DRAFT` needs,
  issue 17's "full diff within 2 s"): nothing computed yet; index the draft from the
  base's index, `following`, `changed_dataplanes` (which computes both sides of every
  dataplane the draft can touch, and no other), for the producer edit (target <= 2 s at
  10k); formatting the diff is not included;
- *edit -> panes, engine part*: as the dashboard follows an edit of the producer
  policy, alternating two values: index, `following`, the selected dataplane's rules
  (with its `types` and `from_rules`): median over the edits, and its flatness across
  sizes (largest / smallest, target <= 1.5 from 1k to 20k, see `flatness`); then every
  policy's `affected_count` (what the policies view shows), timed apart;
- *exactness*: after each whole-mesh edit, 20 dataplanes (drawn at random, seeded, plus
  the first changed ones) compared with a fresh evaluation of the edited snapshot: their
  rules, and whether `changed_dataplanes` listed them; target 0 wrong.
"""

from __future__ import annotations

import copy
import gc
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from tests.perf.bench_rules import Collections, timed
from tests.perf.common import (
    EngineInput,
    Figure,
    at_reference,
    bench_args,
    extremes,
    load_engine_input,
    machine,
    median,
    mesh_folder,
    print_figures,
)

VALUES = ("41s", "43s")


@dataclass(frozen=True)
class Edit:
    """One edit: what it is called, and the inventory changes that make it."""

    name: str
    changes: Callable[[int], list[Any]]
    """Round → the changes to apply (the value alternates with the round)."""


def _find(loaded: EngineInput, resource: Any) -> tuple[str, int]:
    """(origin, position of the document) the resource was read from."""
    for origin, update in loaded.updates.items():
        for i, document in enumerate(update.documents or ()):
            if document.source == resource.source:
                return origin, i
    raise LookupError(f"no document for {resource.key}")


def _reread(
    loaded: EngineInput, origin: str, change: Callable[[dict[str, Any], int], None]
) -> Callable[[int], list[Any]]:
    """Changes reading `origin` again, each document passed to `change` (which edits the
    one it wants in place)."""
    from meshtui.inventory import OriginUpdate
    from meshtui.raw import RawDocument

    update = loaded.updates[origin]

    def changes(round_: int) -> list[Any]:
        documents = []
        for i, document in enumerate(update.documents or ()):
            body = copy.deepcopy(document.body)
            change(body, i)
            documents.append(RawDocument(document.source, body))
        return [OriginUpdate(origin, tuple(documents), update.problems)]

    return changes


def _timeout_edit(loaded: EngineInput, role: str, name: str) -> Edit:
    """A MeshTimeout of `role` in an application namespace, one `to` with requestTimeout."""
    index = loaded.index()
    policy = min(
        (
            p
            for p in index.policies_of("MeshTimeout")
            if p.resource.namespace.startswith("ns-")
            and p.resource.role == role
            and len(p.to) == 1
            and "requestTimeout" in str(p.resource.spec.get("to"))
        ),
        key=lambda p: p.resource.name,
    )
    origin, position = _find(loaded, policy.resource)
    rounds = [0]

    def change(body: dict[str, Any], i: int) -> None:
        if i == position:
            http = body["spec"]["to"][0]["default"]["http"]
            http["requestTimeout"] = VALUES[rounds[0] % 2]

    reread = _reread(loaded, origin, change)

    def changes(round_: int) -> list[Any]:
        rounds[0] = round_
        return reread(round_)

    return Edit(name, changes)


def _added_system_edit(loaded: EngineInput) -> Edit:
    """A new file with one system MeshTimeout: top-level Mesh, `to: Mesh`."""
    from meshtui.inventory import OriginUpdate
    from meshtui.model import SourceRef
    from meshtui.raw import RawDocument

    index = loaded.index()
    model = next(
        p for p in index.policies_of("MeshTimeout") if p.resource.role == "system" and p.to
    )
    origin, position = _find(loaded, model.resource)
    document = (loaded.updates[origin].documents or ())[position]
    body = copy.deepcopy(document.body)
    body["metadata"]["name"] = "perf-added-timeout"
    body["metadata"]["labels"] = {
        k: v for k, v in body["metadata"].get("labels", {}).items() if k != "kuma.io/display-name"
    }
    body["spec"] = {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "77s"}}],
    }
    added = origin.rsplit("/", 1)[0] + "/perf-added.yaml"
    source = SourceRef(document.source.file.rsplit("/", 1)[0] + "/perf-added.yaml", 1)
    return Edit(
        "system MeshTimeout to: Mesh added",
        lambda _: [OriginUpdate(added, (RawDocument(source, body),))],
    )


def _dataplane_edit(loaded: EngineInput) -> Edit:
    index = loaded.index()
    dataplane = index.dataplanes[sorted(index.dataplanes)[len(index.dataplanes) // 2]]
    origin, position = _find(loaded, dataplane.resource)

    def change(body: dict[str, Any], i: int) -> None:
        if i == position:
            body["metadata"].setdefault("labels", {})["perf-edited"] = "yes"

    return Edit("a Dataplane's label", _reread(loaded, origin, change))


def _whole_mesh(
    size: int, loaded: EngineInput, edit: Edit, rng: random.Random
) -> tuple[Figure, list[str], int, tuple[str, ...]]:
    from meshtui.engine.evaluation import MeshEvaluation, changed_dataplanes

    index = loaded.index()
    before = MeshEvaluation(index)
    before.prepare()
    before.all_rules()
    found: dict[str, Any] = {}
    with Collections() as applying:
        apply_cpu, _ = timed(
            lambda: found.update(inventory=loaded.inventory.apply(edit.changes(1))[0])
        )
    inventory = found["inventory"]

    def engine() -> None:
        after_index = loaded.index(previous=index, inventory=inventory)
        after = MeshEvaluation.following(before, after_index)
        found["changed"] = changed_dataplanes(before, after)
        after.all_rules()
        found["after"] = after

    gc.collect()
    with Collections() as collections:
        cpu, wall = timed(engine)
    changed: tuple[str, ...] = found["changed"]
    fresh = MeshEvaluation(loaded.index(inventory=inventory))
    names = sorted(fresh.index.dataplanes)
    checked = sorted({*rng.sample(names, min(20, len(names))), *changed[:5]})
    wrong = [
        n
        for n in checked
        if found["after"].rules(n) != fresh.rules(n)
        or (n in changed) != (before.rules(n) != fresh.rules(n))
    ]
    figure = Figure(
        size,
        f"one-policy change, whole mesh: {edit.name}",
        cpu,
        "s",
        at_reference(size, 1),
        f"wall {wall:.2f} s; {len(changed):,} dataplanes changed; {collections.note()};"
        f" inventory apply {apply_cpu * 1000:.0f} ms (not engine; {applying.note()})",
    )
    return figure, wrong, len(checked), changed


def _draft(size: int, loaded: EngineInput, edit: Edit) -> tuple[Figure, tuple[str, ...]]:
    from meshtui.engine.evaluation import MeshEvaluation, changed_dataplanes

    inventory, _ = loaded.inventory.apply(edit.changes(1))
    found: dict[str, Any] = {}

    def engine() -> None:
        index = loaded.index()
        base = MeshEvaluation(index)
        draft = MeshEvaluation.following(base, loaded.index(previous=index, inventory=inventory))
        found["changed"] = changed_dataplanes(base, draft)

    gc.collect()
    with Collections() as collections:
        cpu, wall = timed(engine)
    return Figure(
        size,
        f"one-policy draft from a fresh load: {edit.name}",
        cpu,
        "s",
        at_reference(size, 2),
        f"wall {wall:.2f} s; {len(found['changed']):,} dataplanes changed; index included;"
        f" {collections.note()}",
    ), found["changed"]


def _edit_to_panes(loaded: EngineInput, edits: int) -> tuple[list[float], list[float]]:
    from meshtui.engine.evaluation import MeshEvaluation

    edit = _timeout_edit(loaded, "producer", "producer MeshTimeout edited")
    index = loaded.index()
    producer = next(
        p
        for p in index.policies_of("MeshTimeout")
        if p.resource.namespace.startswith("ns-") and p.resource.role == "producer"
    )
    evaluation = MeshEvaluation(index)
    evaluation.prepare()
    selected = next(iter(evaluation.affected(producer)), sorted(index.dataplanes)[0])
    policies = [*index.all_policies(), *(p for ps in index.shadow_policies.values() for p in ps)]

    def show(ev: MeshEvaluation) -> None:
        rules = ev.rules(selected)
        assert rules is not None
        for typed in rules.types:
            _ = typed.from_rules

    def count(ev: MeshEvaluation) -> None:
        for policy in policies:
            ev.affected_count(policy)

    show(evaluation)
    count(evaluation)
    inventory = loaded.inventory
    times, counts = [], []
    for round_ in range(1, edits + 1):
        inventory, _ = inventory.apply(edit.changes(round_))
        state: dict[str, Any] = {}

        def engine(
            inv: Any = inventory, st: dict[str, Any] = state, ev: MeshEvaluation = evaluation
        ) -> None:
            after_index = loaded.index(previous=ev.index, inventory=inv)
            after = MeshEvaluation.following(ev, after_index)
            policies[:] = [
                *after_index.all_policies(),
                *(p for ps in after_index.shadow_policies.values() for p in ps),
            ]
            show(after)
            st["after"] = after

        times.append(timed(engine)[0])
        evaluation = state["after"]
        counts.append(timed(partial(count, evaluation))[0])
    return times, counts


def run(size: int, *, quick: bool = False) -> list[Figure]:
    """Figure f at one size."""
    loaded = load_engine_input(mesh_folder(size))
    gc.collect()
    gc.freeze()
    rng = random.Random(20_14_03)
    figures = []
    wrong: list[str] = []
    checked = 0
    edits = [
        _timeout_edit(loaded, "producer", "producer MeshTimeout edited"),
        _timeout_edit(loaded, "consumer", "consumer MeshTimeout edited"),
        _added_system_edit(loaded),
        _dataplane_edit(loaded),
    ]
    found = []
    for edit in edits:
        figure, missed, n, changed = _whole_mesh(size, loaded, edit, rng)
        figures.append(figure)
        wrong += missed
        checked += n
        found.append(changed)
    draft, draft_changed = _draft(size, loaded, edits[0])
    figures.append(draft)
    checked += 1
    if draft_changed != found[0]:  # the same edit, from nothing computed: the same answer
        wrong.append(f"draft: {len(draft_changed)} changed, not {len(found[0])}")
    times, counts = _edit_to_panes(loaded, 4 if quick else 10)
    figures.append(
        Figure(size, "edit -> panes, engine part: median", median(times) * 1000, "ms", None,
               f"n={len(times)}; index, following, the selected dataplane's rules")
    )  # fmt: skip
    figures.append(
        Figure(size, "  ... then every policy's affected count", median(counts) * 1000, "ms",
               note=f"n={len(counts)}; the policies view; unchanged policies' counts carried")
    )  # fmt: skip
    figures.append(
        Figure(size, "exactness: edits, sampled dataplanes wrong", len(wrong), "", 0,
               f"of {checked}: rules and changed_dataplanes vs a fresh evaluation"
               + (f"; e.g. {wrong[0]}" if wrong else ""))
    )  # fmt: skip
    return figures


def flatness(figures: Sequence[Figure]) -> list[Figure]:
    """Largest over smallest engine edit median across the sizes run (target <= 1.5)."""
    found = extremes(figures, "edit -> panes, engine part: median")
    if found is None:
        return []
    smallest, largest = found
    assert smallest.value is not None and largest.value is not None
    ratio = largest.value / smallest.value
    note = f"median at {largest.size:,} / at {smallest.size:,}"
    added = largest.value - smallest.value
    return [
        Figure(0, "edit -> panes, engine part: flatness", ratio, "x", 1.5, note),
        Figure(0, "edit -> panes, engine part: added", added, "ms", None,
               f"median at {largest.size:,} minus at {smallest.size:,}: what the engine adds"
               " to an edit's latency as the mesh grows"),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run on its own: `python -m tests.perf.bench_edits [--sizes ...] [--quick]`."""
    args = bench_args(__doc__.splitlines()[0] if __doc__ else "", argv)
    print(machine())
    figures = [f for size in args.size_list for f in run(size, quick=args.quick)]
    print_figures([*figures, *flatness(figures)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
