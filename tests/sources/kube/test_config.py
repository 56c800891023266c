"""Kubeconfig resolution, contexts, the in-cluster fallback and the namespace kubectl uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshtui.errors import ConfigError
from meshtui.sources.kube import KubeSource
from meshtui.sources.kube.config import context_namespace
from tests.fakekube import FakeKubeAPI


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kubeconfig not found: .*missing"):
        KubeSource(str(tmp_path / "missing"))


def test_invalid_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("clusters: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot use kubeconfig") as err:
        KubeSource(str(path))
    assert "\n" not in str(err.value)


def test_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(ConfigError, match="nope"):
        KubeSource(str(kubeconfig), context="nope")


def test_kubeconfig_env_is_read_at_construction(
    fake: FakeKubeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fake.write_kubeconfig(tmp_path / "a", context="ctx-a")
    second = fake.write_kubeconfig(tmp_path / "b", context="ctx-b")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'absent'}:{second}")
    source = KubeSource()
    assert source.description == "ctx-a"  # kubectl: the first current-context wins
    assert source.server == fake.url
    assert KubeSource(context="ctx-b").description == "ctx-b"


def test_no_kubeconfig_falls_back_to_in_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="not running in a cluster"):
        KubeSource()
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(ConfigError, match="cannot use in-cluster config"):
        KubeSource()  # no service-account token outside a pod


def test_default_namespace_is_the_contexts(
    fake: FakeKubeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What kubectl uses without `-n`, for the app to focus first."""
    kubeconfig = fake.write_kubeconfig(
        tmp_path / "kc", "team", "kuma-demo", extra_contexts={"plain": None}
    )
    assert KubeSource(str(kubeconfig)).default_namespace == "kuma-demo"
    assert KubeSource(str(kubeconfig), context="plain").default_namespace == ""
    monkeypatch.setenv("POD_NAMESPACE", "kuma-system")
    assert context_namespace(None, "in-cluster") == "kuma-system"
