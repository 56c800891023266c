"""Credentials: a 401 re-reads them (rotated token file, new kubeconfig token) or says 401."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from tests.fakekube import FakeKubeAPI
from tests.sources.kube.harness import (
    FAST,
    all_live,
    has_timeout,
    lists,
    matches_server,
    running,
    synced_run,
    timeout_obj,
    wait_for_all_watchers,
    wait_until,
)


def test_rotated_token_file_is_read_again_on_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """A kubeconfig `tokenFile` rewritten with a new token (and the old one revoked) is
    re-read at the first 401, not after `forbidden_retry`; the watches resume."""
    token_file = tmp_path / "token"
    token_file.write_text("fake-token")
    config = yaml.safe_load(fake.write_kubeconfig(tmp_path / "kc").read_text())
    config["users"][0]["user"] = {"tokenFile": str(token_file)}
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump(config))
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        listed = lists(fake)
        token_file.write_text("rotated-token")
        fake.set_token("rotated-token")
        fake.disconnect_watches()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("after-rotation"))
        wait_until(lambda: has_timeout(run, "after-rotation"), "watching with the new token")
        wait_until(lambda: all_live(run), "every kind live")
        assert lists(fake) == listed, "resumed, not listed again"
        assert any(r.status == 401 for r in fake.requests)


def test_rotated_kubeconfig_token_is_read_again_on_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        fake.set_token("second-token")
        fake.write_kubeconfig(kubeconfig)  # as `aws eks update-kubeconfig` or a login would
        fake.abort_watches()
        wait_for_all_watchers(fake)
        fake.upsert(timeout_obj("after-login"))
        wait_until(lambda: has_timeout(run, "after-login"), "watching with the new token")
        wait_until(lambda: all_live(run), "every kind live")


def test_revoked_token_says_401_and_keeps_the_rest(fake: FakeKubeAPI, tmp_path: Path) -> None:
    """No new credentials to be had: each kind says 401 (and keeps what it had)."""
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    patient = dataclasses.replace(FAST, forbidden_retry=60.0)
    with synced_run(fake, kubeconfig, patient) as run:
        had = run.resources()
        fake.set_token("someone-else")
        fake.disconnect_watches()
        wait_until(lambda: run.state("MeshTimeout") == "error", "MeshTimeout in error")
        status = run.status()
        assert status is not None
        assert "401" in status.kinds["MeshTimeout"].message
        assert run.resources() == had


def test_wrong_token_at_start_recovers_when_the_kubeconfig_is_fixed(
    fake: FakeKubeAPI, tmp_path: Path
) -> None:
    """Discovery answered 401 from the start: it says so, and picks up a corrected
    kubeconfig on a later attempt (not only on its first failure)."""
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
    fake.set_token("the-real-one")
    with running(kubeconfig) as run:
        wait_until(lambda: "401" in getattr(run.status(), "message", ""), "says 401")
        wait_until(lambda: len([r for r in fake.requests if r.status == 401]) >= 4, "retrying")
        fake.write_kubeconfig(kubeconfig)  # now with the real token
        run.wait_synced()
        wait_until(lambda: matches_server(run, fake), "inventory equal to the server")
