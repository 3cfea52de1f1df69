"""The golden vectors pin the wire bytes, under both interpreters, from one file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mprun import run_micropython
from dorsal.paths import PROTOCOL_DIR

CHECK = Path(__file__).with_name("golden_check.py")
GOLDEN = PROTOCOL_DIR / "golden.json"


def test_golden_vectors_round_trip_under_micropython(micropython: str) -> None:
    result = run_micropython(micropython, CHECK, str(GOLDEN))
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert "0 failed" in out and " ok," in out


def test_golden_vectors_round_trip_under_cpython() -> None:
    result = subprocess.run(
        [sys.executable, str(CHECK), str(GOLDEN)],
        capture_output=True,
        env={"PYTHONPATH": str(PROTOCOL_DIR)},
    )
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert "0 failed" in out


def test_golden_file_covers_every_message_kind() -> None:
    import json

    kinds = {c["kind"] for c in json.loads(GOLDEN.read_text())["cases"]}
    assert kinds == {"data", "pressure", "battery", "event", "command", "response", "info", "frame", "segments"}


def test_the_micropython_binary_is_the_real_interpreter(micropython: str) -> None:
    result = subprocess.run(
        [micropython, "-c", "import sys; print(sys.implementation.name, sys.implementation.version[:2])"],
        capture_output=True,
    )
    assert result.stdout.decode().split()[0] == "micropython"
