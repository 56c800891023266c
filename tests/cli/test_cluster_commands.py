"""`explain` and `diff` without a path read the kubeconfig context's cluster once (the
fake API server, real HTTP), answering as the version its control plane runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meshtui.cli import main
from tests.fakekube import DEPLOYMENTS, NAMESPACES, SERVICES, FakeKubeAPI, kuma_resources
from tests.fakekube.charts import control_plane

SAMPLE = Path(__file__).parents[2] / "sample-cluster" / "producer-consumer"
FIRST = ["--mesh", "default", "--dataplane", "consumer.first-consumer"]


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[Path]:
    served = [NAMESPACES, *kuma_resources("2.13"), DEPLOYMENTS, SERVICES]
    fake = FakeKubeAPI.from_folder(SAMPLE, resources=served, bookmark_interval=0.1)
    for obj in control_plane("2.13.4", zone="default"):
        fake.upsert(obj)
    with fake:
        yield fake.write_kubeconfig(tmp_path / "kubeconfig")
        assert {r.method for r in fake.requests} == {"GET"}


def test_explain_reads_the_cluster_as_its_detected_version(
    kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "--kubeconfig", str(kubeconfig), *FIRST, "--type", "mt"]) == 0
    out, err = capsys.readouterr()
    assert "answering as Kuma 2.13.4 (detected on the cluster)" in err
    assert out.splitlines()[1] == (
        "  http.requestTimeout  3s  ← consumer-timeout.first-consumer to[0]"
        "  (overrides producer-timeout.kuma-demo to[0]: 1s)"
    )


def test_kuma_version_overrides_the_detected_one(
    kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["explain", "--kubeconfig", str(kubeconfig), *FIRST, "--kuma-version", "2.10"]
    assert main(argv) == 0
    assert "answering as Kuma 2.10.11 (--kuma-version 2.10)" in capsys.readouterr().err


def test_diff_of_a_draft_against_the_cluster(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = tmp_path / "draft.yaml"
    text = (SAMPLE / "kuma-demo" / "producer-timeout.yaml").read_text()
    draft.write_text(text.replace("requestTimeout: 1s", "requestTimeout: 7s"))
    argv = ["diff", "--kubeconfig", str(kubeconfig), "--with", str(draft), "--mesh", "default"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "http.requestTimeout: 1s → 7s  (won by producer-timeout.kuma-demo to[0])" in out
    assert out.startswith("mesh default: 4 of 4 dataplanes change")


def test_an_unreachable_cluster_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
        "users: [{name: u, user: {}}]\n"
    )
    import meshtui.loading as loading

    monkeypatch.setattr(loading, "CLUSTER_TIMEOUT", 3.0)  # how long meshtui waits, not the client
    assert main(["explain", "--kubeconfig", str(config), *FIRST]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("meshtui: ") and "could not read it" in err
