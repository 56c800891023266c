"""Which kind names are generic policy kinds (`kinds.is_generic_kind`), near misses of
Kuma's kinds (`misspelt_kind`), and the order of policy types (`policy_types`)."""

from __future__ import annotations

import pytest

from meshtui.kinds import (
    POLICY_KINDS,
    generic_kind,
    is_generic_kind,
    is_policy_kind,
    misspelt_kind,
    policy_info,
    policy_types,
)


@pytest.mark.parametrize("kind", ["MeshOPA", "MeshGlobalRateLimit", "AccessRole", "MeshFooBar2"])
def test_a_kind_no_line_knows_is_generic(kind: str) -> None:
    assert is_generic_kind(kind)
    assert is_policy_kind(kind)
    info = policy_info(kind)
    assert info is not None and info.generic and info.is_policy


@pytest.mark.parametrize(
    "kind",
    [
        "MeshTimeout",  # a known policy kind
        "Dataplane",  # a known resource kind
        "MeshIdentity",  # a kind a later line added
        "Retry",  # a legacy policy
        "MeshInsight",  # a Kuma kind meshtui leaves aside
        "Namespace",
        "meshopa",  # not spelled as a Kubernetes kind
        "Mesh[red]X",
        "",
    ],
)
def test_known_kinds_and_odd_names_are_not_generic(kind: str) -> None:
    assert not is_generic_kind(kind)


@pytest.mark.parametrize(
    ("kind", "meant"),
    [
        ("MeshTimout", "MeshTimeout"),  # a letter dropped
        ("Meshtimeout", "MeshTimeout"),  # case aside
        ("MeshTLSs", "MeshTLS"),  # a letter added
        ("MeshRetries", "MeshRetry"),  # the plural for the kind
        ("MeshAccessLogs", "MeshAccessLog"),
        ("Dataplan", "Dataplane"),
        ("Retries", "Retry"),
    ],
)
def test_a_near_miss_of_a_kuma_kind_is_a_typo_not_a_generic_kind(kind: str, meant: str) -> None:
    assert misspelt_kind(kind) == meant
    assert not is_generic_kind(kind)


def test_kinds_three_edits_away_are_not_typos() -> None:
    # MeshGlobalRateLimit is six letters from MeshRateLimit; MeshOPA is far from MeshTLS
    assert misspelt_kind("MeshGlobalRateLimit") == ""
    assert misspelt_kind("MeshOPA") == ""
    assert misspelt_kind("MeshTimeout") == ""  # a kind is no typo of itself


def test_generic_kinds_sort_after_every_known_kind_by_name() -> None:
    order = policy_types(["MeshOPA", "MeshTimeout", "MeshGlobalRateLimit", "Dataplane"])
    assert order == (*POLICY_KINDS, "MeshGlobalRateLimit", "MeshOPA")
    assert generic_kind("MeshOPA").order > max(info.order for info in POLICY_KINDS.values())


def test_a_generic_kind_has_every_section_and_the_default_plural() -> None:
    info = generic_kind("MeshGlobalRateLimit")
    assert (info.has_to, info.has_from, info.has_rules, info.single_item) == (
        True,
        True,
        True,
        True,
    )
    assert info.plural == "meshglobalratelimits"
    assert info.kri_short == ""
