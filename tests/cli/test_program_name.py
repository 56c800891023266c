"""The usage line names the command the user typed: `kubectl meshtui` for the plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(sys.executable).parent  # the venv's console scripts, as pip installed them


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        ([str(SCRIPTS / "kubectl-meshtui"), "--help"], "usage: kubectl meshtui [-h]"),
        ([str(SCRIPTS / "kubectl-meshtui"), "inspect", "-h"], "usage: kubectl meshtui inspect"),
        ([str(SCRIPTS / "meshtui"), "--help"], "usage: meshtui [-h]"),
        ([sys.executable, "-m", "meshtui", "--help"], "usage: meshtui [-h]"),
    ],
)
def test_usage_names_the_command(argv: list[str], usage: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage), done.stdout.splitlines()[:1]
