"""What-if mode without the app: drafts overlaid on the live state as `diff --with` does,
labelled with the live control-plane context, and how rows and details show them."""

from __future__ import annotations

from dataclasses import replace

from meshtui.engine.diff import diff_meshes
from meshtui.engine.evaluation import MeshEvaluation
from meshtui.engine.index import build_index
from meshtui.inventory import Inventory, OriginUpdate, ScopeReplaced
from meshtui.model import ResourceKey
from meshtui.parse import ContextOptions
from meshtui.present.detail import DetailRequest, detail_for
from meshtui.present.highlights import Highlights
from meshtui.present.navigator import NavState
from meshtui.present.tables import table_for
from meshtui.present.whatif import (
    DRAFT_PREFIX,
    RULES_MARK,
    DraftFiles,
    WhatIf,
    header_text,
    marked,
    overlay,
)
from meshtui.sources.files import parse_text
from meshtui.views import ResourceRow
from tests.versions import V2_10

LIVE = """apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata: {name: default}
---
apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: web
  namespace: shop
  labels: {kuma.io/mesh: default, kuma.io/origin: zone, kuma.io/zone: east, app: web}
spec:
  networking:
    address: 10.0.0.1
    inbound: [{port: 80, tags: {kuma.io/service: web_shop_svc_80, app: web}}]
---
apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: api
  namespace: shop
  labels: {kuma.io/mesh: default, kuma.io/origin: zone, kuma.io/zone: east, app: api}
spec:
  networking:
    address: 10.0.0.2
    inbound: [{port: 80, tags: {kuma.io/service: api_shop_svc_80, app: api}}]
---
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: web-timeout
  namespace: kuma-system
  labels: {kuma.io/mesh: default}
spec:
  targetRef: {kind: Dataplane, labels: {app: web}}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 5s}}]
"""

REPLACING = """apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: web-timeout
  namespace: kuma-system
  labels: {kuma.io/mesh: default}
spec:
  targetRef: {kind: Dataplane, labels: {app: web}}
  from: [{targetRef: {kind: Mesh}, default: {idleTimeout: 9s}}]
"""

ADDING = """apiVersion: kuma.io/v1alpha1
kind: MeshRetry
metadata:
  name: api-retry
  namespace: kuma-system
  labels: {kuma.io/mesh: default}
spec:
  targetRef: {kind: Dataplane, labels: {app: api}}
  to: [{targetRef: {kind: Mesh}, default: {tcp: {maxConnectAttempt: 3}}}]
---
apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: batch
  namespace: jobs
  labels: {kuma.io/mesh: default, kuma.io/origin: zone, kuma.io/zone: west}
spec:
  networking:
    address: 10.0.0.9
    inbound: [{port: 80, tags: {kuma.io/service: batch_jobs_svc_80}}]
"""


def update(origin: str, text: str) -> OriginUpdate:
    contents = parse_text(text, origin.split(":", 1)[1])
    return OriginUpdate(origin, contents.documents, contents.problems)


def live() -> Inventory:
    inventory, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [update("file:live.yaml", LIVE)]
    )
    return inventory


def drafts(*texts: str) -> tuple[OriginUpdate, ...]:
    files = DraftFiles()
    return files.apply(
        [ScopeReplaced("file:", tuple(update(f"file:d{i}.yaml", t) for i, t in enumerate(texts)))]
    )


def evaluation(inventory: Inventory) -> MeshEvaluation:
    return MeshEvaluation(build_index(inventory.resources, "default", version=V2_10))


def test_draft_files_become_origins_of_their_own() -> None:
    files = DraftFiles()
    first = files.apply([ScopeReplaced("file:", (update("file:a.yaml", REPLACING),))])
    assert [u.origin for u in first] == [f"{DRAFT_PREFIX}file:a.yaml"]
    second = files.apply([update("file:b.yaml", ADDING)])
    assert [u.origin for u in second] == [
        f"{DRAFT_PREFIX}file:a.yaml",
        f"{DRAFT_PREFIX}file:b.yaml",
    ]
    assert files.apply([OriginUpdate("file:a.yaml", None)]) == second[1:]
    assert files.apply([ScopeReplaced("file:", ())]) == ()


def test_a_draft_adds_or_replaces_by_store_key_as_diff_with_does() -> None:
    base = live()
    shown, diff = overlay(base, drafts(REPLACING, ADDING))
    key = ResourceKey("MeshTimeout", "default", "web-timeout.kuma-system")
    assert diff.changed == {key}
    assert ResourceKey("MeshRetry", "default", "api-retry.kuma-system") in diff.added
    assert shown.resource_map[key].spec["from"][0]["default"] == {"idleTimeout": "9s"}
    assert base.resource_map[key].spec["from"][0]["default"] == {"idleTimeout": "5s"}, (
        "the live state is untouched"
    )


def test_drafts_are_labelled_with_the_live_control_plane_context() -> None:
    """A draft proxy of another zone would make the zones two, and the inferred control
    plane global, relabelling every live resource: the live context stays pinned."""
    base = live()
    assert (base.control_plane.mode, base.control_plane.zone) == ("zone", "east")
    shown, diff = overlay(base, drafts(ADDING))
    assert shown.control_plane == base.control_plane
    assert not diff.changed, "no live resource was relabelled"
    assert shown.context_note == base.context_note
    alone, _ = Inventory.empty(ContextOptions(version=V2_10)).apply(
        [update("file:live.yaml", LIVE), update("file:d.yaml", ADDING)]
    )
    assert alone.control_plane.mode == "global", "without the pin the context would change"


def test_an_overlay_is_never_taken_for_a_live_inventory() -> None:
    base = live()
    one, _ = overlay(base, drafts(ADDING))
    two, _ = overlay(base, drafts(ADDING))
    assert one.version < 0 and two.version < 0 and one.version != two.version
    same, diff = overlay(base, ())
    assert diff.empty and same.resource_map == base.resource_map


def test_rows_and_the_detail_show_what_the_drafts_do() -> None:
    base = live()
    shown, diff = overlay(base, drafts(REPLACING, ADDING))
    ev = evaluation(shown)
    compared = diff_meshes(build_index(base.resources, "default", version=V2_10), ev.index)
    drafted = {**dict.fromkeys(diff.added, "added"), **dict.fromkeys(diff.changed, "changed")}
    whatif = WhatIf("drafts/", drafted=drafted)
    assert (
        header_text(whatif, ev) == "drafts/: 3 resources drafted · comparing with the live state…"
    )
    whatif = replace(whatif, compared=compared, compared_for=ev)
    assert header_text(whatif, ev) == "drafts/: 3 resources drafted · 2 of 3 dataplanes change"

    def table(view: str) -> dict[str, tuple[str, str]]:
        state = NavState(mesh="default", view=view)
        plain = table_for(state, ev, shown, (), Highlights(), 0.0, {})
        rows = marked(plain, whatif, ev).rows
        column = 0 if view == "dataplanes" else 1
        return {
            r.key.name: (r.cells[column], r.style) for r in rows if isinstance(r.key, ResourceRow)
        }

    assert table("dataplanes") == {
        "api.shop": ("api" + RULES_MARK, "changed"),
        "batch.jobs": ("batch  + draft", "added"),
        "web.shop": ("web" + RULES_MARK, "changed"),
    }
    assert table("policies") == {
        "api-retry.kuma-system": ("api-retry  + draft", "added"),
        "web-timeout.kuma-system": ("web-timeout  ~ draft", "changed"),
    }

    def detail(name: str) -> list[str]:
        key = ResourceRow("dataplanes", "Dataplane", name)
        view = detail_for(DetailRequest(key, "tree", frozenset(), ev, shown, (), whatif=whatif))
        assert view.tree is not None
        return [n.label for n in view.tree.walk()][1:6]

    assert detail("web.shop") == [
        "What-if: against the live state, 2 rules change",
        "MeshTimeout  inbound 10.0.0.1:80  (changed)",
        "idleTimeout: 5s → 9s  (won by web-timeout.kuma-system from[0])",
        "MeshTimeout  from-tags 10.0.0.1:80 [every kuma.io/service]  (changed)",
        "idleTimeout: 5s → 9s  (won by web-timeout.kuma-system from[0])",
    ]
    assert detail("api.shop")[:2] == [
        "What-if: against the live state, 2 rules change, 1 policy now applies",
        "MeshRetry  outbound Mesh default  (added)",
    ]
    assert detail("batch.jobs")[0] == "What-if: a new dataplane, not in the live state"
    policy = ResourceRow("policies", "MeshTimeout", "web-timeout.kuma-system")
    view = detail_for(DetailRequest(policy, "tree", frozenset(), ev, shown, (), whatif=whatif))
    assert view.subtitle.startswith("DRAFT (replaces the live one) · ")
