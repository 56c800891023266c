"""`kinds_for(version)`: the kinds of each Kuma line (spec kuma-2.14.md §6 K2, §7, §4 S3)."""

from __future__ import annotations

import pytest

from meshtui.kinds import (
    ALL_KINDS,
    EVERY_KIND,
    LATER_KINDS,
    POLICY_KINDS,
    RESOURCE_KINDS,
    kinds_for,
    lookup,
)
from meshtui.versions import KumaVersion

V = {line: KumaVersion.profile(line) for line in ("2.10", "2.11", "2.12", "2.13", "2.14")}


@pytest.mark.parametrize("line", ["2.10", "2.11"])
def test_2_10_and_2_11_have_the_2_10_catalogue(line: str) -> None:
    catalogue = kinds_for(V[line])
    assert dict(catalogue.policies) == POLICY_KINDS
    assert dict(catalogue.resources) == RESOURCE_KINDS
    assert dict(catalogue.all) == ALL_KINDS
    assert list(catalogue.policies) == list(POLICY_KINDS)  # plugin order


def test_catalogues_are_memoised() -> None:
    assert kinds_for(V["2.14"]) is kinds_for(KumaVersion(2, 14, 0))
    assert kinds_for(V["2.10"]) is kinds_for(V["2.11"])


@pytest.mark.parametrize(
    ("kind", "with_rules"),
    [
        ("MeshTrafficPermission", {"2.12", "2.13", "2.14"}),
        ("MeshFaultInjection", {"2.13", "2.14"}),
    ],
)
def test_rules_sections_arrive_without_from_as_rules(kind: str, with_rules: set[str]) -> None:
    for line, version in V.items():
        info = kinds_for(version).policies[kind]
        assert info.has_rules is (line in with_rules), line
        assert info.from_as_rules is False
        assert info.has_from and info.order == POLICY_KINDS[kind].order


def test_other_policies_keep_their_sections_on_every_line() -> None:
    for version in V.values():
        for kind, info in kinds_for(version).policies.items():
            if kind not in ("MeshTrafficPermission", "MeshFaultInjection"):
                assert info is POLICY_KINDS[kind]


@pytest.mark.parametrize(
    ("line", "later"),
    [
        ("2.10", []),
        ("2.11", []),
        ("2.12", ["MeshIdentity", "MeshTrust"]),
        ("2.13", ["MeshIdentity", "MeshTrust", "Workload"]),
        (
            "2.14",
            [
                "MeshIdentity",
                "MeshTrust",
                "Workload",
                "MeshOpenTelemetryBackend",
                "MeshZoneAddress",
            ],
        ),
    ],
)
def test_new_kinds_appear_on_the_lines_that_added_them(line: str, later: list[str]) -> None:
    catalogue = kinds_for(V[line])
    assert [kind for kind in catalogue.resources if kind not in RESOURCE_KINDS] == later
    for kind in later:
        info = catalogue.all[kind]
        assert not info.is_policy and info.namespaced
        assert catalogue.by_plural[info.plural] is info
        assert info.available(V[line])
    for kind in set(LATER_KINDS) - set(later):
        assert kind not in catalogue.all and not LATER_KINDS[kind].available(V[line])


def test_every_since_names_a_switch_of_kuma_version() -> None:
    for info in EVERY_KIND.values():
        if info.since:
            assert isinstance(getattr(KumaVersion, info.since), property), info.kind
    assert all(not info.since for info in ALL_KINDS.values())


KRI_2_14 = {
    "dp": "Dataplane",
    "m": "Mesh",
    "mgw": "MeshGateway",
    "zi": "ZoneIngress",
    "ze": "ZoneEgress",
    "z": "Zone",
    "msvc": "MeshService",
    "extsvc": "MeshExternalService",
    "mzsvc": "MeshMultiZoneService",
    "hg": "HostnameGenerator",
    "mid": "MeshIdentity",
    "mtrust": "MeshTrust",
    "wl": "Workload",
    "motb": "MeshOpenTelemetryBackend",
    "mza": "MeshZoneAddress",
    "mal": "MeshAccessLog",
    "mcb": "MeshCircuitBreaker",
    "mfi": "MeshFaultInjection",
    "mhc": "MeshHealthCheck",
    "mhttpr": "MeshHTTPRoute",
    "mlbs": "MeshLoadBalancingStrategy",
    "mm": "MeshMetric",
    "mp": "MeshPassthrough",
    "mpp": "MeshProxyPatch",
    "mrl": "MeshRateLimit",
    "mr": "MeshRetry",
    "mtcpr": "MeshTCPRoute",
    "mt": "MeshTimeout",
    "mtls": "MeshTLS",
    "mtr": "MeshTrace",
    "mtp": "MeshTrafficPermission",
}
"""Spec §6 K2 at 2.14.3."""


def test_kri_short_names_at_2_14_are_those_of_k2() -> None:
    assert dict(kinds_for(V["2.14"]).kri_kinds) == KRI_2_14


@pytest.mark.parametrize(
    ("line", "absent"),
    [
        ("2.13", {"z", "motb", "mza"}),
        ("2.12", {"z", "motb", "mza", "wl"}),
        ("2.11", {"z", "motb", "mza", "wl", "mid", "mtrust"}),
    ],
)
def test_kri_short_names_follow_the_kinds_of_the_line(line: str, absent: set[str]) -> None:
    expected = {short: kind for short, kind in KRI_2_14.items() if short not in absent}
    assert dict(kinds_for(V[line]).kri_kinds) == expected


def test_every_modelled_kind_has_a_kri_short_name() -> None:
    assert all(info.kri_short for info in EVERY_KIND.values())
    assert RESOURCE_KINDS["Mesh"].kri_short == "m" and RESOURCE_KINDS["Mesh"].short == "mesh"


def test_lookup_of_a_line_knows_its_kinds_and_kri_names() -> None:
    catalogue = kinds_for(V["2.14"])
    info = catalogue.lookup("motb")
    assert info is not None and info.kind == "MeshOpenTelemetryBackend"
    by_plural = catalogue.lookup("MeshIdentities")
    assert by_plural is not None and by_plural.kind == "MeshIdentity"
    mesh = catalogue.lookup("m")
    assert mesh is not None and mesh.kind == "Mesh"
    assert kinds_for(V["2.11"]).lookup("mid") is None
    # the 2.10 lookup is unchanged: kind, plural or kubectl short name only
    assert lookup("m") is None and lookup("mid") is None
    found = lookup("mt")
    assert found is not None and found.kind == "MeshTimeout"
