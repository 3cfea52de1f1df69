"""A virtual board (the real MicroPython unix port behind a pty) for the flashing tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dorsal.simboard import VirtualBoard

BIN = Path(sys.executable).parent


def mpremote(port: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The real mpremote command against a port."""
    return subprocess.run([str(BIN / "mpremote"), "connect", port, *args], capture_output=True, text=True,
                          timeout=timeout)


def dorsal(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "dorsal"), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def board(tmp_path: Path, micropython: str) -> Iterator[VirtualBoard]:
    b = VirtualBoard(tmp_path / "board", micropython=micropython)
    b.start()
    yield b
    b.stop()
