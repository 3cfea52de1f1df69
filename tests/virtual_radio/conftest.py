"""Fixtures for the virtual radio tests (helpers are in radiorig.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fwrig import cpython_paths

sys.path.insert(0, str(Path(__file__).parent))  # radiorig, the helpers of these tests


@pytest.fixture
def firmware(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The firmware, the rig and the protocol importable under CPython, in a scratch folder (its config file)."""
    cpython_paths()
    monkeypatch.chdir(tmp_path)
