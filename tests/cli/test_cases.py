"""End-to-end cases for `meshtui inspect …`, one folder each under `cases/`.

A case folder holds:

- the input: one or more `*.yaml` files (the folder itself is the PATH argument);
- `command.txt`: the argv after `meshtui`, shell-split, `{input}` standing for the folder;
- `expected.json`: the stdout, compared as parsed data (stdout is read as YAML when the
  command asks for `-o yaml`); absent means stdout must be empty;
- `exit_code.txt` (optional, default 0): the expected exit status; a non-zero status
  must come with exactly one line on stderr;
- `stderr.txt` (optional): one regular expression per line, each of which must match
  (`re.search`) at least one line of stderr.

Every expected output was worked out by hand from the Kuma 2.10.11 specification.
`main` runs in-process; stdout/stderr are captured with `capsys`.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshtui.cli import main
from meshtui.kinds import POLICY_KINDS

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir())


def argv_of(case: Path) -> list[str]:
    return [
        arg.replace("{input}", str(case)) for arg in shlex.split((case / "command.txt").read_text())
    ]


def is_yaml_output(argv: list[str]) -> bool:
    return any(a in ("-o", "--output") and b == "yaml" for a, b in itertools.pairwise(argv)) or (
        "--output=yaml" in argv
    )


def expected_exit(case: Path) -> int:
    path = case / "exit_code.txt"
    return int(path.read_text().strip()) if path.exists() else 0


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = argv_of(case)
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == expected_exit(case), err
    expected_path = case / "expected.json"
    if expected_path.exists():
        parsed: Any = yaml.safe_load(out) if is_yaml_output(argv) else json.loads(out)
        assert parsed == json.loads(expected_path.read_text())
    else:
        assert out == ""
    err_lines = err.splitlines()
    if status != 0:
        assert len(err_lines) == 1, err
    patterns_path = case / "stderr.txt"
    if patterns_path.exists():
        for pattern in filter(None, patterns_path.read_text().splitlines()):
            assert any(re.search(pattern, line) for line in err_lines), (pattern, err)


def expected_bodies(command: str) -> list[tuple[Path, Any]]:
    out = []
    for case in CASES:
        argv = argv_of(case)
        if argv[:2] == ["inspect", command] and (case / "expected.json").exists():
            out.append((case, json.loads((case / "expected.json").read_text())))
    return out


def test_cases_cover_every_policy_kind() -> None:
    seen = {block["type"] for _, body in expected_bodies("rules") for block in body["rules"]}
    assert seen == set(POLICY_KINDS)


def test_cases_cover_both_input_forms_and_commands() -> None:
    kube = [
        c
        for c in CASES
        if any("apiVersion: kuma.io/v1alpha1" in p.read_text() for p in c.glob("*.yaml"))
    ]
    universal = [
        c
        for c in CASES
        if any(re.search(r"^type: ", p.read_text(), re.M) for p in c.glob("*.yaml"))
    ]
    assert kube
    assert universal
    assert len(expected_bodies("dataplanes")) >= 2
    assert len(expected_bodies("policies")) >= 2
    assert any(is_yaml_output(argv_of(c)) for c in CASES)
