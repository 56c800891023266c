"""End to end through `meshtui inspect` (Kubernetes-form YAML files, zone CP `zone-1`):
TV1, TV3 and TV6 of `kuma-matching.md`, as the inspect API would answer them.

Expected values are worked out from the spec text, not from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meshtui.cli import main
from tests.engine.matching_support import (
    MESH_REF,
    k8s_policy,
    mesh_doc,
    sidecar,
    timeout,
    to_,
    web_1,
    yaml_text,
)

BACKEND_ITEM = to_({"kind": "MeshService", "name": "backend"}, timeout("2s"))


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    """TV1 + TV3 as files: web-1 and be-1, five MeshTimeouts in three namespaces."""
    files = {
        "dataplanes.yaml": yaml_text(
            mesh_doc(), web_1(), sidecar("be-1", "backend", "backend_backend_svc_80", 80)
        ),
        "kuma-system/aaa.yaml": yaml_text(
            k8s_policy(
                "MeshTimeout",
                "aaa",
                "kuma-system",
                {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("1s"))]},
            )
        ),
        "backend/mmm.yaml": yaml_text(
            k8s_policy(
                "MeshTimeout", "mmm", "backend", {"targetRef": MESH_REF, "to": [BACKEND_ITEM]}
            )
        ),
        "demo/zzz.yaml": yaml_text(
            k8s_policy(
                "MeshTimeout",
                "zzz",
                "demo",
                {"targetRef": MESH_REF, "to": [to_(MESH_REF, timeout("3s"))]},
            )
        ),
        "kuma-system/tv1.yaml": yaml_text(
            k8s_policy(
                "MeshTimeout",
                "by-dp",
                "kuma-system",
                {
                    "targetRef": {"kind": "Dataplane", "name": "web-1", "namespace": "demo"},
                    "from": [to_(MESH_REF, timeout("5s"))],
                },
            ),
            k8s_policy(
                "MeshTimeout",
                "by-subset",
                "kuma-system",
                {
                    "targetRef": {"kind": "MeshSubset", "tags": {"app": "web"}},
                    "from": [to_(MESH_REF, timeout("10s"))],
                },
            ),
        ),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main(
        ["inspect", *args, "--mesh", "default", "--zone", "zone-1", "--kuma-version", "2.10"]
    )
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_policies_in_merge_order(cluster: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = inspect(
        capsys, "policies", str(cluster), "--dataplane", "web-1.demo", "--type", "MeshTimeout"
    )
    # by-dp (Dataplane) and by-subset (MeshSubset) are more specific than the three Mesh ones (TV1),
    # which sort system, producer, consumer (TV3).
    assert [item["name"] for item in got["items"]] == [
        "aaa.kuma-system",
        "mmm.backend",
        "zzz.demo",
        "by-dp.kuma-system",
        "by-subset.kuma-system",
    ]
    assert got["total"] == 5
    roles = [item["labels"]["kuma.io/policy-role"] for item in got["items"]]
    assert roles == ["system", "producer", "consumer", "system", "system"]


def test_dataplanes_of_a_producer_and_a_consumer(
    cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    producer = inspect(capsys, "dataplanes", str(cluster), "--policy", "MeshTimeout/mmm.backend")
    consumer = inspect(capsys, "dataplanes", str(cluster), "--policy", "MeshTimeout/zzz.demo")
    assert [item["name"] for item in producer["items"]] == ["be-1.backend", "web-1.demo"]
    assert [item["name"] for item in consumer["items"]] == ["web-1.demo"]


def test_rules_inbound_8080_gets_the_subset_policy(
    cluster: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = inspect(capsys, "rules", str(cluster), "--dataplane", "web-1.demo")
    (block,) = [b for b in got["rules"] if b["type"] == "MeshTimeout"]
    (inbound,) = [i for i in block["inboundRules"] if i["inbound"]["port"] == 8080]
    (rule,) = inbound["rules"]
    assert rule["conf"] == [timeout("10s")]
    assert [o["resourceMeta"]["name"] for o in rule["origin"]] == [
        "by-dp.kuma-system",
        "by-subset.kuma-system",
    ]
