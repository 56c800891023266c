"""`meshtui explain` on the bundled sample cluster: text, JSON and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshtui.cli import main

SAMPLE = Path(__file__).parents[2] / "sample-cluster"
FIRST = ["--mesh", "default", "--dataplane", "consumer.first-consumer"]


def test_text_blames_request_timeout_on_the_consumer_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", str(SAMPLE), *FIRST, "--type", "mt"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "MeshTimeout  outbound MeshService kuma-demo/demo-app"
    assert lines[1] == (
        "  http.requestTimeout  3s  ← consumer-timeout.first-consumer to[0]"
        "  (overrides producer-timeout.kuma-demo to[0]: 1s)"
    )
    assert lines[2] == (
        "  order: consumer-timeout comes after producer-timeout: role consumer ranks above producer"
    )
    assert "answering as Kuma 2.14.3" in err


def test_json_carries_the_same_with_stable_names(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", str(SAMPLE), *FIRST, "--policy", "MeshTimeout/producer-timeout.kuma-demo"]
    assert main([*argv, "-o", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["kumaVersion"] == "2.14.3"
    outbound = body["rules"][0]
    assert outbound["where"] == "outbound MeshService kuma-demo/demo-app"
    assert outbound["fields"] == [
        {
            "path": "http.requestTimeout",
            "value": "3s",
            "winner": {
                "type": "MeshTimeout",
                "name": "consumer-timeout.first-consumer",
                "entry": "to[0]",
                "value": "3s",
            },
            "overridden": [
                {
                    "type": "MeshTimeout",
                    "name": "producer-timeout.kuma-demo",
                    "entry": "to[0]",
                    "value": "1s",
                }
            ],
            "appended": False,
        }
    ]
    assert outbound["orderReasons"][0]["key"] == "role"
    policy = body["policy"]
    assert policy["applies"] is True
    assert [w["where"] for w in policy["loses"]] == ["outbound MeshService kuma-demo/demo-app"]


def test_why_not_for_a_policy_of_another_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", str(SAMPLE), "--mesh", "default", "--dataplane", "consumer.second-consumer"]
    assert main([*argv, "--policy", "mt/consumer-timeout.first-consumer"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "MeshTimeout consumer-timeout.first-consumer does not apply to consumer.second-consumer:",
        "  - namespace: a consumer policy in 'first-consumer' only applies to proxies in that"
        " namespace",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        ["--mesh", "nope", "--dataplane", "x"],
        ["--mesh", "default", "--dataplane", "nope"],
        [*FIRST, "--policy", "MeshTimeout/nope"],
        [*FIRST, "--type", "NotAType"],
    ],
)
def test_unknowns_exit_3_with_one_line(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # 2.10: the sample's `from` sections draw deprecation warnings on 2.14
    assert main(["explain", str(SAMPLE), "--kuma-version", "2.10", *extra]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
