"""The core is headless: importing it loads no UI, cluster, watcher or YAML library."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("textual", "rich", "kubernetes", "watchfiles", "yaml")
CORE = (
    "meshtui.model",
    "meshtui.kinds.schemas",
    "meshtui.parse",
    "meshtui.engine.inspect",
    "meshtui.engine.rules",
)


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io_or_ui_library(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in {FORBIDDEN!r} if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_check_would_notice_a_forbidden_import() -> None:
    code = "import sys, meshtui.sources.files\nprint('yaml' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
