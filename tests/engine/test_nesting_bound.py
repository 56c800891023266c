"""Values nested right up to the input bound go through parsing, merging and both writers
with stack to spare; one level more is a problem on the document, not a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshtui.cli import main
from meshtui.parse.bounds import MAX_DEPTH
from meshtui.present.text import yaml_lines
from tests.conftest import StackBudget

BASE = Path(__file__).resolve().parents[2] / "sample-cluster" / "producer-consumer"
QUERY = ["--mesh", "default", "--dataplane", "consumer.first-consumer", "--zone", "default"]
STACK_TO_SPARE = 500
"""Frames the whole pipeline may use at the bound: half of Python's default limit, so a
caller already deep in its own stack (a Textual worker, a test runner) has room too."""


def nested(levels: int, leaf: Any) -> Any:
    """`levels` containers, lists and maps in turn, around `leaf`."""
    value = leaf
    for level in range(levels):
        value = [value, level] if level % 2 else {"k": value, "n": level}
    return value


def _policy(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "kuma-system",
            "labels": {"kuma.io/mesh": "default"},
        },
        "spec": spec,
    }


def deep_documents(extra: int = 0) -> list[dict[str, Any]]:
    """Free-form values of every kind of free-form field, each reaching `MAX_DEPTH + extra`
    levels from its document's root; two of each kind, so they are merged too."""
    documents = []
    for i in range(2):
        # body, spec, default, appendModifications, [0], cluster, jsonPatches, [0] = 8 levels
        patch = {"op": "add", "path": f"/p{i}", "value": nested(MAX_DEPTH - 8 + extra, i)}
        documents.append(
            _policy(
                "MeshProxyPatch",
                f"patch-{i}",
                {
                    "targetRef": {"kind": "Mesh"},
                    "default": {
                        "appendModifications": [
                            {"cluster": {"operation": "Patch", "jsonPatches": [patch]}}
                        ]
                    },
                },
            )
        )
        # body, spec, to, [0], default, backends, [0], openTelemetry = 8 levels
        backend = {
            "type": "OpenTelemetry",
            "openTelemetry": {"endpoint": "otel:4317", "body": nested(MAX_DEPTH - 8 + extra, i)},
        }
        documents.append(
            _policy(
                "MeshAccessLog",
                f"log-{i}",
                {
                    "targetRef": {"kind": "Mesh"},
                    "to": [{"targetRef": {"kind": "Mesh"}, "default": {"backends": [backend]}}],
                },
            )
        )
        # body, spec, to, [0], default = 5 levels; `unknown` is not in the schema
        default = {"idleTimeout": f"{i + 1}s", "unknown": nested(MAX_DEPTH - 5 + extra, i)}
        to = [{"targetRef": {"kind": "Mesh"}, "default": default}]
        documents.append(
            _policy("MeshTimeout", f"timeout-{i}", {"targetRef": {"kind": "Mesh"}, "to": to})
        )
    return documents


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deep") / "cluster"
    shutil.copytree(BASE, root)
    (root / "deep.yaml").write_text(yaml.safe_dump_all(deep_documents()))
    return root


@pytest.mark.parametrize("output", ["json", "yaml"])
@pytest.mark.parametrize(
    ("query", "answer_depth"),
    [
        (["rules"], MAX_DEPTH - 8),
        (["policies", "--type", "MeshProxyPatch"], MAX_DEPTH - 8),
        (["policies", "--type", "MeshAccessLog"], MAX_DEPTH - 8),
        (["policies", "--type", "MeshTimeout"], 0),  # unknown fields are not in the answer
    ],
    ids=["rules", "proxypatch", "accesslog", "timeout"],
)
def test_values_at_the_bound_are_answered_with_stack_to_spare(
    stack_budget: StackBudget,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    query: list[str],
    answer_depth: int,
    output: str,
) -> None:
    with stack_budget(STACK_TO_SPARE):
        status = main(["inspect", query[0], *QUERY, *query[1:], "-o", output, str(folder)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "deep.yaml" not in err, "nothing at the bound is refused"
    body = json.loads(out) if output == "json" else yaml.safe_load(out)
    assert depth(body) >= answer_depth, "the deep values are in the answer"


def test_the_yaml_view_renders_values_at_the_bound_with_stack_to_spare(
    stack_budget: StackBudget,
) -> None:
    with stack_budget(STACK_TO_SPARE):
        for document in deep_documents():
            assert yaml_lines(document)


def test_one_level_more_is_a_problem_on_each_document_and_the_rest_loads(
    stack_budget: StackBudget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cluster"
    shutil.copytree(BASE, root)
    (root / "deep.yaml").write_text(yaml.safe_dump_all(deep_documents(extra=1)))
    with stack_budget(STACK_TO_SPARE):
        status = main(["inspect", "rules", *QUERY, str(root)])
    out, err = capsys.readouterr()
    assert status == 0
    refused = [line for line in err.splitlines() if "deep.yaml" in line]
    assert len(refused) == 6 and all(f"more than {MAX_DEPTH} levels" in x for x in refused)
    assert json.loads(out)["resource"]["name"] == "consumer.first-consumer"
