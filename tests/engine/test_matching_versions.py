"""Top-level matching per Kuma version (spec `kuma-2.14.md` §1, M2-M5).

Each switch is tested on both sides: the last release without the change and the first
with it (a patch, for backported fixes), on Universal resources whose labels are as
written.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.matching import Selection, select, select_gateway
from meshtui.versions import KumaVersion
from tests.engine.rules_support import MESH_REF, dataplane, inbound, load, mesh, policy
from tests.versions import V2_10, V2_11, V2_12, V2_13, V2_14

MT = "MeshTimeout"


def selected(
    version: KumaVersion, dp: dict[str, Any], target: dict[str, Any], **spec: Any
) -> Selection:
    """What a MeshTimeout with this top-level targetRef selects on `dp`."""
    index = load(
        mesh(),
        dp,
        policy(MT, "pol", {"targetRef": target, **spec}),
        version=version,
        allow_invalid=True,
    )
    proxy = index.dataplanes[dp["name"]]
    pol = index.policies_of(MT)[0]
    return select(pol.resource, pol.target_ref, proxy, select_gateway(index, proxy), index)


def ports(sel: Selection) -> list[int]:
    return sorted(port for _, port in sel.inbounds)


IGNORED = dataplane(
    inbounds=[inbound(8080), {**inbound(9090, "admin", name="admin"), "state": "Ignored"}]
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (V2_10, [8080]),
        (KumaVersion(2, 11, 12), [8080]),
        (KumaVersion(2, 11, 13), [8080, 9090]),
        (KumaVersion(2, 12, 9), [8080]),
        (KumaVersion(2, 12, 10), [8080, 9090]),
        (KumaVersion(2, 13, 4), [8080]),
        (KumaVersion(2, 13, 5), [8080, 9090]),
        (V2_14, [8080, 9090]),
    ],
)
def test_mesh_selects_ignored_inbounds_from_the_backported_patch(
    version: KumaVersion, expected: list[int]
) -> None:
    assert ports(selected(version, IGNORED, MESH_REF, rules=[{"default": {}}])) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (KumaVersion(2, 11, 15), []),
        (KumaVersion(2, 11, 16), [9090]),
        (KumaVersion(2, 12, 9), []),
        (KumaVersion(2, 12, 10), [9090]),
        (V2_14, [9090]),
    ],
)
def test_dataplane_section_selects_an_ignored_inbound_from_its_own_backport(
    version: KumaVersion, expected: list[int]
) -> None:
    target = {"kind": "Dataplane", "sectionName": "admin"}
    sel = selected(version, IGNORED, target, rules=[{"default": {}}])
    assert ports(sel) == expected
    assert sel.matched == bool(expected)


def test_ignored_inbounds_still_count_as_a_reason_before_the_fix() -> None:
    only_ignored = dataplane(inbounds=[{**inbound(8080), "state": "Ignored"}])
    before = selected(KumaVersion(2, 11, 12), only_ignored, MESH_REF)
    after = selected(KumaVersion(2, 11, 13), only_ignored, MESH_REF)
    assert not before.matched and "matches no inbound" in before.reason
    assert after.matched and ports(after) == [8080]


UNNAMED = dataplane(inbounds=[inbound(8080), inbound(9090, "admin", name="admin")])


@pytest.mark.parametrize(
    ("version", "section", "expected"),
    [
        (V2_11, "8080", []),  # 2.11 compares names only; the 8080 inbound has none
        (V2_12, "8080", [8080]),
        (V2_11, "admin", [9090]),
        (V2_12, "admin", [9090]),
        (V2_12, "9090", []),  # a named inbound is selected by its name, not its port
    ],
)
def test_dataplane_section_name_is_the_inbound_name_else_its_port_from_2_12(
    version: KumaVersion, section: str, expected: list[int]
) -> None:
    target = {"kind": "Dataplane", "sectionName": section}
    assert ports(selected(version, UNNAMED, target, rules=[{"default": {}}])) == expected


DELEGATED = dataplane(name="edge", gateway={"type": "DELEGATED", "tags": {"kuma.io/service": "e"}})


@pytest.mark.parametrize(
    ("version", "matched"),
    [
        (V2_11, False),
        (KumaVersion(2, 12, 7), False),
        (KumaVersion(2, 12, 8), True),
        (KumaVersion(2, 13, 2), False),
        (KumaVersion(2, 13, 3), True),
        (V2_14, True),
    ],
)
def test_dataplane_ref_selects_a_delegated_gateway_from_the_backported_patch(
    version: KumaVersion, matched: bool
) -> None:
    sel = selected(version, DELEGATED, {"kind": "Dataplane", "name": "edge"})
    assert sel.matched is matched
    assert sel.delegated is matched
    assert sel.inbounds == ()


def test_delegated_gateway_is_selected_even_when_the_section_selects_nothing() -> None:
    target = {"kind": "Dataplane", "name": "edge", "sectionName": "nope"}
    assert selected(V2_14, DELEGATED, target, rules=[{"default": {}}]).delegated
    assert not selected(V2_11, DELEGATED, target, rules=[{"default": {}}]).matched


ZONE_PROXY: dict[str, Any] = {
    **dataplane(name="zp", inbounds=[inbound(8080)], address="10.0.0.9"),
}
ZONE_PROXY["networking"]["listeners"] = [
    {"type": "ZoneIngress", "port": 10001, "name": "ingress"},
    {"type": "ZoneEgress", "port": 10002, "address": "10.0.0.10"},
]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (V2_13, [("10.0.0.9", 8080)]),
        (V2_14, [("10.0.0.9", 8080), ("10.0.0.9", 10001), ("10.0.0.10", 10002)]),
    ],
)
def test_mesh_selects_zone_proxy_listeners_after_the_inbounds_from_2_14(
    version: KumaVersion, expected: list[tuple[str, int]]
) -> None:
    assert list(selected(version, ZONE_PROXY, MESH_REF).inbounds) == expected


def test_only_mesh_and_dataplane_refs_select_zone_proxy_listeners() -> None:
    subset = {"kind": "MeshSubset", "tags": {"kuma.io/service": "web"}}
    assert list(selected(V2_14, ZONE_PROXY, subset).inbounds) == [("10.0.0.9", 8080)]
    by_name = {"kind": "Dataplane", "sectionName": "ingress"}
    by_port = {"kind": "Dataplane", "sectionName": "10002"}
    spec: dict[str, Any] = {"rules": [{"default": {}}]}
    assert list(selected(V2_14, ZONE_PROXY, by_name, **spec).inbounds) == [("10.0.0.9", 10001)]
    assert list(selected(V2_14, ZONE_PROXY, by_port, **spec).inbounds) == [("10.0.0.10", 10002)]
    assert not selected(V2_13, ZONE_PROXY, by_name, **spec).matched


def test_a_proxy_with_only_listeners_is_matched_by_mesh_from_2_14() -> None:
    only = dataplane(name="zp")
    only["networking"]["listeners"] = [{"type": "ZoneEgress", "port": 10002}]
    assert not selected(V2_13, only, MESH_REF).matched
    assert selected(V2_14, only, MESH_REF).matched
    sidecars_only = {"kind": "Mesh", "proxyTypes": ["Sidecar"]}
    assert selected(V2_14, only, sidecars_only).matched
    gateways_only = {"kind": "Mesh", "proxyTypes": ["Gateway"]}
    assert not selected(V2_14, only, gateways_only).matched
