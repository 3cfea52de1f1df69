"""Running a script under the real MicroPython interpreter (imported by tests; conftest names clash)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR


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
