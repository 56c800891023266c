"""`meshtui diff`: drafts, removals, another folder and shadow policies against
sample-cluster/producer-consumer, with exit statuses like diff(1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from meshtui.cli import main

SAMPLE = Path(__file__).parents[2] / "sample-cluster" / "producer-consumer"
HEADER = """apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    kuma.io/mesh: default
"""


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The sample without consumer-timeout (the seed scenario before the consumer acts)."""
    folder = tmp_path / "base"
    shutil.copytree(SAMPLE, folder)
    (folder / "first-consumer" / "consumer-timeout.yaml").unlink()
    return folder


def draft(tmp_path: Path, name: str, namespace: str, spec: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name, namespace=namespace) + spec)
    return path


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    status = main(["diff", *argv, "-o", "json"])
    return status, json.loads(capsys.readouterr().out)


def changes_of(body: Any) -> dict[str, Any]:
    [mesh] = body["meshes"]
    return {c["dataplane"]: c for c in mesh["changes"]}


def test_adding_the_consumer_policy_changes_only_first_consumer(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consumer = SAMPLE / "first-consumer" / "consumer-timeout.yaml"
    status, body = run_json([str(base), "--with", str(consumer)], capsys)
    assert status == 1
    changes = changes_of(body)
    assert list(changes) == ["consumer.first-consumer"]
    outbound = changes["consumer.first-consumer"]["rules"][0]
    assert outbound["type"] == "MeshTimeout"
    assert outbound["where"] == "outbound MeshService kuma-demo/demo-app"
    assert outbound["change"] == "changed"
    assert outbound["fields"] == [
        {
            "path": "http.requestTimeout",
            "old": "1s",
            "new": "3s",
            "winner": "consumer-timeout.first-consumer to[0]",
        }
    ]
    assert outbound["patch"] == [{"op": "replace", "path": "/http/requestTimeout", "value": "3s"}]
    assert changes["consumer.first-consumer"]["startedApplying"] == [
        "MeshTimeout consumer-timeout.first-consumer"
    ]


def test_text_groups_identical_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = """spec:
  to:
    - targetRef: {kind: MeshService, name: demo-app}
      default: {http: {requestTimeout: 5s}}
"""
    replacement = draft(tmp_path, "producer-timeout", "kuma-demo", spec)
    assert main(["diff", str(SAMPLE), "--with", str(replacement)]) == 1
    out = capsys.readouterr().out
    assert (
        "  3 dataplanes in ns kuma-demo, second-consumer: consumer.second-consumer,"
        " demo-app-5d8c6b9f47-xk2lp.kuma-demo, redis-7b9c6f5d8-4mzqt.kuma-demo"
    ) in out
    assert "      http.requestTimeout: 1s → 5s  (won by producer-timeout.kuma-demo to[0])" in out
    assert out.startswith("mesh default: 4 of 4 dataplanes change\n")


def test_a_draft_that_changes_a_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = """spec:
  to:
    - targetRef:
        kind: MeshService
        labels: {k8s.kuma.io/service-name: demo-app}
      default: {http: {requestTimeout: 1s}}
"""
    replacement = draft(tmp_path, "producer-timeout", "kuma-demo", spec)
    status, body = run_json([str(SAMPLE), "--with", str(replacement)], capsys)
    assert status == 1
    [mesh] = body["meshes"]
    assert mesh["roleChanges"] == [
        {"policy": "MeshTimeout producer-timeout.kuma-demo", "old": "producer", "new": "consumer"}
    ]
    changes = changes_of(body)
    assert changes["consumer.second-consumer"]["stoppedApplying"] == [
        "MeshTimeout producer-timeout.kuma-demo"
    ]


def test_without_removes_a_workload_owner_policy(capsys: pytest.CaptureFixture[str]) -> None:
    status, body = run_json([str(SAMPLE), "--without", "mtp/mtp.kuma-demo"], capsys)
    assert status == 1
    changes = changes_of(body)
    assert sorted(changes) == [
        "demo-app-5d8c6b9f47-xk2lp.kuma-demo",
        "redis-7b9c6f5d8-4mzqt.kuma-demo",
    ]
    for change in changes.values():
        assert change["stoppedApplying"] == ["MeshTrafficPermission mtp.kuma-demo"]
        assert {r["change"] for r in change["rules"]} == {"removed"}


def test_against_compares_two_folders(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, body = run_json([str(base), "--against", str(SAMPLE)], capsys)
    assert status == 1
    assert list(changes_of(body)) == ["consumer.first-consumer"]
    assert main(["diff", str(SAMPLE), "--against", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == "mesh default: 0 of 4 dataplanes change\n"


def test_shadow_applies_shadow_policies(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    consumer = (SAMPLE / "first-consumer" / "consumer-timeout.yaml").read_text()
    shadowed = consumer.replace("labels:\n", "labels:\n    kuma.io/effect: shadow\n", 1)
    assert "kuma.io/effect: shadow" in shadowed
    (base / "first-consumer" / "consumer-timeout.yaml").write_text(shadowed)
    assert main(["diff", str(base)]) == 0
    capsys.readouterr()
    status, body = run_json([str(base), "--shadow"], capsys)
    assert status == 1
    assert list(changes_of(body)) == ["consumer.first-consumer"]


def test_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path / "nope")]) == 2
    assert main(["diff", str(SAMPLE), "--mesh", "nope"]) == 2
    assert main(["diff", str(SAMPLE), "--without", "NotAKind/x"]) == 2
    capsys.readouterr()


def test_load_problems_the_draft_introduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\n"
        "metadata: {name: x, namespace: kuma-demo}\nspec: {to: 5}\n"
    )
    status, body = run_json([str(SAMPLE), "--with", str(broken)], capsys)
    assert status == 1
    assert body["introducedProblems"]
    assert "broken.yaml" in body["introducedProblems"][0]
