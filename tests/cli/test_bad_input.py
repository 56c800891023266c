"""`meshtui inspect` on hostile input and hostile outputs: one line on stderr, never a
traceback, never raw terminal sequences, never a stuck or orphaned process."""

from __future__ import annotations

import _thread
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import meshtui.sources.files as files_module
from meshtui.cli import main

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "sample-cluster" / "producer-consumer"
QUERY = ["--mesh", "default", "--dataplane", "consumer.first-consumer", "--zone", "default"]
MESHTUI = str(Path(sys.executable).parent / "meshtui")

DANGEROUS = [
    "\x1b]0;title\x07",  # OSC: sets the terminal's title
    "\x1b[31m",  # CSI: colour
    "\x1b[2J",  # CSI: clear the screen
    "\x9b31m",  # C1 CSI
    "\x07",
    "\r",
    "\n",
    "\x00",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
]
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""What must never reach the terminal raw (a newline only ends a line)."""

HOSTILE = st.lists(st.sampled_from([*DANGEROUS, "a", "b-", "x.y"]), min_size=1, max_size=5).map(
    "".join
)

FIELDS = [
    "file",
    "apiVersion",
    "kind",
    "metadata.name",
    "metadata.namespace",
    "label key",
    "label value",
    "spec.to[0].default.idleTimeout",
    "spec.targetRef.kind",
    "universal type",
    "universal name",
    "universal mesh",
]


def _document(field: str, text: str) -> tuple[str, dict[str, Any]]:
    """(file name, body) of a MeshTimeout with `text` in `field`, broken somewhere, so a
    problem names it (its file, its resource, the field or the value)."""
    quoted_name = "bad.yaml"
    body: dict[str, Any] = {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": "MeshTimeout",
        "metadata": {"name": "t", "namespace": "kuma-demo", "labels": {"app": "x"}},
        "spec": {
            "targetRef": {"kind": "Mesh"},
            "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "no duration"}}],
        },
    }
    if field == "file":
        safe = text.replace("/", "_").replace("\x00", "_")
        quoted_name = f"bad{safe}.yaml"
    elif field in ("apiVersion", "kind"):
        body[field] = text
    elif field.startswith("metadata."):
        body["metadata"][field.split(".")[1]] = text
    elif field == "label key":
        body["metadata"]["labels"] = {text: 1}
    elif field == "label value":
        body["metadata"]["labels"] = {"kuma.io/policy-role": text}
    elif field == "spec.to[0].default.idleTimeout":
        body["spec"]["to"][0]["default"]["idleTimeout"] = text
    elif field == "spec.targetRef.kind":
        body["spec"]["targetRef"]["kind"] = text
    else:
        key = field.split()[1]
        body = {"type": "MeshTimeout", "name": "t", "mesh": "default", "spec": {"to": 5}}
        body[key] = text if key != "mesh" else 5  # a wrong type names the value
        if key == "mesh":
            body["name"] = text
    return quoted_name, body


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base") / "cluster"
    shutil.copytree(BASE, folder)
    return folder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(FIELDS), HOSTILE)
def test_text_from_input_is_escaped_on_stderr_whatever_field_holds_it(
    base: Path, capsys: pytest.CaptureFixture[str], field: str, text: str
) -> None:
    name, body = _document(field, text)
    path = base / name
    # JSON is YAML, and its string escapes are YAML's: the text arrives as is.
    path.write_text(json.dumps(body), encoding="utf-8")
    try:
        status = main(["inspect", "rules", *QUERY, str(base)])
    finally:
        path.unlink()
    out, err = capsys.readouterr()
    assert status == 0
    json.loads(out)
    lines = err.splitlines()
    assert any(name.replace("\n", "\\n")[:3] in line for line in lines), "it is reported"
    assert all(line.startswith("meshtui: ") for line in lines), lines
    assert RAW.search(err.replace("\n", "")) is None, err


def test_an_error_message_from_input_is_escaped_too(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["inspect", "rules", *QUERY, "/no/such\x1b]0;x\x07\u202efolder"])
    _, err = capsys.readouterr()
    assert status == 2
    assert RAW.search(err.rstrip("\n")) is None and len(err.splitlines()) == 1


@pytest.fixture
def cafe(tmp_path: Path) -> Path:
    """The sample with a non-ASCII label on the proxy, so the answer is not ASCII."""
    folder = tmp_path / "cluster"
    shutil.copytree(BASE, folder)
    dataplane = folder / "first-consumer" / "consumer-dataplane.yaml"
    text = dataplane.read_text().replace("  labels:\n", '  labels:\n    note: "café"\n', 1)
    dataplane.write_text(text)
    return folder


REDIRECTS = {"closed": ">&-", "full": ">/dev/full", "ascii": ">/dev/null", "broken pipe": ""}


@pytest.mark.parametrize("output", ["json", "yaml"])
@pytest.mark.parametrize("stdout", list(REDIRECTS))
def test_an_answer_that_cannot_be_written_is_one_line_and_status_1(
    cafe: Path, stdout: str, output: str
) -> None:
    argv = [MESHTUI, "inspect", "rules", *QUERY, "-o", output, "--kuma-version", "2.10", str(cafe)]
    env = {**os.environ, "PYTHONUNBUFFERED": "", "PYTHONIOENCODING": ""}
    if stdout == "ascii":
        env["PYTHONIOENCODING"] = "ascii"
    command = " ".join(shlex.quote(a) for a in argv) + " " + REDIRECTS[stdout]
    proc = subprocess.Popen(
        ["sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None
    proc.stdout.close()  # for "broken pipe": the reader is gone before anything is written
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 1, err
    # the profile note, then the one error line
    note, error = err.splitlines()
    assert note == "meshtui: note: answering as Kuma 2.10.11 (--kuma-version 2.10)", err
    assert error.startswith("meshtui: cannot write the answer"), err


def test_ctrl_c_while_workers_decode_takes_them_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    items = "".join(f"- {{name: item-{i}, value: {i}, tags: [a, b, c]}}\n" for i in range(40_000))
    for i in range(8):
        (folder / f"f{i}.yaml").write_text(f"kind: Bulk\nindex: {i}\nitems:\n{items}")
    started: list[subprocess.Popen[bytes]] = []
    real_start = files_module._start_worker

    def start() -> subprocess.Popen[bytes] | None:
        proc = real_start()
        if proc is not None:
            started.append(proc)
        return proc

    def interrupt_once_started() -> None:
        deadline = time.monotonic() + 10
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        _thread.interrupt_main()  # what ctrl+c does to the main thread

    monkeypatch.setattr(files_module, "_start_worker", start)
    monkeypatch.setattr(files_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(files_module, "decode_workers", lambda: 2)
    threading.Thread(target=interrupt_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        files_module.load_path(folder)
        time.sleep(10)  # the interrupt lands here if loading finished first: the test fails
    assert len(started) == 2
    assert all(proc.poll() is not None for proc in started), "no worker outlives ctrl+c"
