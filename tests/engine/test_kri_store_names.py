"""E7 (`/_kri/{kri}`, 2.13+): the control plane looks the resource up by the store name it
gives it (spec kuma-2.14.md §5 E7, `kri_endpoint.go:getCoreName`, `kds/hash.HashedName`).

The hashed names below were computed by running Go: `hash/fnv` 64a, `encoding/hex`,
`k8s.io/apimachinery/pkg/util/rand.SafeEncodeString` (v0.37.2) and
`k8s.io/utils/strings.ShortenString`, as `HashedName` composes them.
"""

from __future__ import annotations

from typing import Any

import pytest

from meshtui.engine.api import InspectApi
from meshtui.engine.kri import Kri, StoreNaming, hashed_name
from meshtui.parse import ContextOptions, parse_documents
from meshtui.sources.files import parse_text
from tests.engine.rules_support import yaml_text
from tests.versions import V2_14


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("default", "timeout", "zone-1", "demo"), "timeout-vfv9ffc4zdd48766"),
        (("default", "timeout", "", "kuma-system"), "timeout-4z69d274244c7624"),
        (("m", "x"), "x-4dvf864cw99454b4"),
    ],
)
def test_hashed_name_is_kumas(args: tuple[str, ...], expected: str) -> None:
    assert hashed_name(*args) == expected


def test_a_long_hashed_name_is_cut_to_fit_kubernetes_names() -> None:
    found = hashed_name("m", "a" * 300, "z")
    assert len(found) == 253
    assert found.endswith("aaaaaa-9v497c9d8279c4d6")


def kri(zone: str, namespace: str, name: str = "timeout", kind: str = "MeshTimeout") -> Kri:
    return Kri(kind, "default", zone, namespace, name)


@pytest.mark.parametrize(
    ("naming", "wanted", "namespaced", "store"),
    [
        # a zone CP authored what carries its zone
        (StoreNaming(zone="zone-1"), kri("zone-1", "demo"), True, "timeout.demo"),
        (StoreNaming(zone="zone-1"), kri("zone-1", ""), True, "timeout.kuma-system"),
        (StoreNaming(zone="zone-1", universal=True), kri("zone-1", "demo"), True, "timeout"),
        (StoreNaming(zone="zone-1"), kri("zone-1", "", "default", "Mesh"), False, "default"),
        # anything else was synced to it: hashed, in the system namespace on Kubernetes
        (
            StoreNaming(zone="zone-1"),
            kri("", "kuma-system"),
            True,
            "timeout-4z69d274244c7624.kuma-system",
        ),
        (
            StoreNaming(zone="zone-2", universal=True),
            kri("zone-1", "demo"),
            True,
            "timeout-vfv9ffc4zdd48766",
        ),
        # a global CP authored what carries no zone
        (StoreNaming(global_cp=True), kri("", "kuma-system"), True, "timeout.kuma-system"),
        (
            StoreNaming(global_cp=True, system_namespace="kong-mesh-system"),
            kri("zone-1", "demo"),
            True,
            "timeout-vfv9ffc4zdd48766.kong-mesh-system",
        ),
    ],
)
def test_store_name_of_a_kri(
    naming: StoreNaming, wanted: Kri, namespaced: bool, store: str
) -> None:
    assert naming.store_name(wanted, namespaced=namespaced) == store


def policy(name: str, labels: dict[str, str]) -> dict[str, Any]:
    spec = {"targetRef": {"kind": "Mesh"}, "to": [{"targetRef": {"kind": "Mesh"}, "default": {}}]}
    return {"type": "MeshTimeout", "mesh": "default", "name": name, "labels": labels, "spec": spec}


SYNCED = {"kuma.io/origin": "global", "kuma.io/display-name": "timeout"}


def api(naming: StoreNaming, *docs: dict[str, Any]) -> InspectApi:
    contents = parse_text(yaml_text({"type": "Mesh", "name": "default"}, *docs), "input.yaml")
    result = parse_documents(contents.documents, ContextOptions(version=V2_14))
    return InspectApi(result.resources, V2_14, naming=naming)


def test_a_policy_synced_from_global_is_found_under_its_hashed_name() -> None:
    naming = StoreNaming(zone="zone-1", universal=True)
    stored = hashed_name("default", "timeout")
    found = api(naming, policy(stored, SYNCED)).get("/_kri/kri_mt_default___timeout_")
    assert found.status == 200
    assert found.body["name"] == stored


def test_a_copy_under_another_name_is_not_what_the_kri_names() -> None:
    # same display name and labels, so the same KRI, but not where Kuma looks
    naming = StoreNaming(zone="zone-1", universal=True)
    found = api(naming, policy("timeout", SYNCED)).get("/_kri/kri_mt_default___timeout_")
    assert found.status == 404
    assert found.body["title"] == "Could not retrieve a resource"


def test_a_local_policy_is_found_under_its_own_name() -> None:
    labels = {"kuma.io/zone": "zone-1", "kuma.io/display-name": "timeout"}
    naming = StoreNaming(zone="zone-1", universal=True)
    assert (
        api(naming, policy("timeout", labels)).get("/_kri/kri_mt_default_zone-1__timeout_").status
        == 200
    )
    elsewhere = StoreNaming(zone="zone-2", universal=True)
    assert (
        api(elsewhere, policy("timeout", labels))
        .get("/_kri/kri_mt_default_zone-1__timeout_")
        .status
        == 404
    )
