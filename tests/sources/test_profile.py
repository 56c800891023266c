"""Which Kuma meshtui answers as, and for which control plane (`sources.profile`): the
command line's word first, then what the cluster says, then the defaults."""

from __future__ import annotations

import pytest

from meshtui.parse import ContextOptions
from meshtui.sources.detection import KONG_MESH, Detection
from meshtui.sources.profile import Asked, Profile
from meshtui.versions import DEFAULT, KumaVersion
from tests.versions import V2_10, V2_12, V2_13

KUMA_2_13_4 = Detection(
    version=KumaVersion(2, 13, 4),
    how="Kuma 2.13.4 (detected from the kuma-control-plane image tag)",
    evidence="image tag",
    product_version="2.13.4",
    deployment="kuma-system/kuma-control-plane",
    mode="zone",
    zone="zone-1",
    system_namespace="kuma-system",
    environment="kubernetes",
)
KONG = Detection(
    version=KumaVersion(2, 14, 3),
    how="Kong Mesh 2.14.1 (detected from the kong-mesh-control-plane image tag): answering as"
    " Kuma 2.14.3",
    evidence="image tag",
    product=KONG_MESH,
    product_version="2.14.1",
    deployment="kong-mesh-system/kong-mesh-control-plane",
    mode="global",
)
UNDETECTED = Detection(version=None, how="could not read Deployments (403): using the default 2.14")
FROM_CRDS = Detection(
    version=V2_12,
    how="kuma-control-plane: image tag 'latest' cannot be parsed; CRDs say at least 2.12:"
    " answering as 2.12.14",
    evidence="CRDs",
)


@pytest.mark.parametrize(
    ("asked", "detection", "label"),
    [
        pytest.param(Asked(), None, f"Kuma {DEFAULT} (default)", id="folder-default"),
        pytest.param(Asked(version=V2_12), None, "Kuma 2.12.14 (--kuma-version)", id="given"),
        pytest.param(Asked(), KUMA_2_13_4, "Kuma 2.13.4 (detected)", id="detected"),
        pytest.param(
            Asked(version=V2_12), KUMA_2_13_4, "Kuma 2.12.14 (--kuma-version)", id="given-wins"
        ),
        pytest.param(Asked(), FROM_CRDS, "Kuma 2.12 (from CRDs)", id="crds"),
        pytest.param(
            Asked(), UNDETECTED, f"Kuma {DEFAULT} (default: not detected)", id="undetected"
        ),
        pytest.param(Asked(), KONG, "Kong Mesh 2.14.1 (detected) · as Kuma 2.14.3", id="kong-mesh"),
    ],
)
def test_the_header_label_says_the_version_and_where_it_came_from(
    asked: Asked, detection: Detection | None, label: str
) -> None:
    assert asked.profile(detection).label == label
    assert asked.options(detection).version == asked.profile(detection).version


def test_the_help_sentence_tells_how_and_an_undetected_cluster_is_flagged() -> None:
    assert Asked().profile(KUMA_2_13_4) == Profile(
        KumaVersion(2, 13, 4),
        "Kuma 2.13.4 (detected)",
        "Answering as Kuma 2.13.4 (detected from the kuma-control-plane image tag)",
    )
    undetected = Asked().profile(UNDETECTED)
    assert undetected.undetected and undetected.version == DEFAULT
    assert undetected.how == (
        f"Answering as Kuma {DEFAULT}: could not read Deployments (403): using the default 2.14"
    )
    assert Asked().profile(KONG).how == KONG.how
    assert not Asked(version=V2_10).profile(UNDETECTED).undetected, "nothing was detected for"


def test_an_older_unsupported_line_answers_as_the_oldest_profile() -> None:
    old = Detection(
        version=KumaVersion(2, 9, 3),
        how="Kuma 2.9.3 (detected from the kuma-control-plane image tag): not a supported"
        " line, answering as Kuma 2.10.11",
        evidence="image tag",
        product_version="2.9.3",
    )
    profile = Asked().profile(old)
    assert profile.version == V2_10
    assert profile.label == "Kuma 2.9.3 (detected) · as Kuma 2.10.11"


def test_the_detected_control_plane_gives_mode_zone_and_system_namespace() -> None:
    assert Asked().options(KUMA_2_13_4) == ContextOptions(
        cp_mode="zone",
        zone="zone-1",
        env="kubernetes",
        system_namespace="kuma-system",
        version=KumaVersion(2, 13, 4),
    )
    assert Asked().options(KONG) == ContextOptions(
        cp_mode="global",
        zone=None,
        env=None,
        system_namespace="kong-mesh-system",
        version=KONG.profile,
    ), "a global control plane has no zone; the Deployment's namespace is the system one"


def test_what_the_command_line_gives_wins_over_the_cluster() -> None:
    asked = Asked(version=V2_13, zone="east", system_namespace="mesh-system", env="universal")
    assert asked.options(KUMA_2_13_4) == ContextOptions(
        cp_mode=None, zone="east", env="universal", system_namespace="mesh-system", version=V2_13
    )
    assert Asked(cp_mode="global").options(KUMA_2_13_4).zone is None


def test_nothing_detected_leaves_the_defaults_and_the_inference() -> None:
    assert Asked().options(UNDETECTED) == ContextOptions()
    assert Asked().options(None) == ContextOptions()
    assert Asked.pinned(ContextOptions(version=V2_10, zone="z")).options(KUMA_2_13_4) == (
        ContextOptions(version=V2_10, zone="z")
    ), "pinned: what the options say, whatever the cluster says"
