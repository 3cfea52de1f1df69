"""The CLI contract of DESIGN.md: an installed `dorsal` command with the whole table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dorsal import __version__
from dorsal.cli import COMMANDS

DORSAL = str(Path(sys.executable).with_name("dorsal"))
DESIGN_COMMANDS = ["demo", "watch", "scan", "calibrate", "simulate", "analyze", "fuse", "report", "flash",
                   "sim-board", "bench", "doctor"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DORSAL, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_help_lists_every_command_of_the_design() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in DESIGN_COMMANDS:
        assert name in result.stdout
    assert sorted(COMMANDS) == sorted(DESIGN_COMMANDS)


def test_version() -> None:
    assert run("--version").stdout.strip() == f"dorsal {__version__}"


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_every_command_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: dorsal " + name in result.stdout


def test_python_m_dorsal_is_the_dorsal_command() -> None:
    via_module = subprocess.run([sys.executable, "-m", "dorsal", "--help"], capture_output=True, text=True,
                                timeout=120, stdin=subprocess.DEVNULL)
    assert via_module.returncode == 0
    assert via_module.stdout == run("--help").stdout
