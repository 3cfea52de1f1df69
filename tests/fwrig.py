"""Helpers for running the firmware on the rig, in-process (CPython) or in the MicroPython unix port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR
from dorsal.protocol import wire

RIG = FIRMWARE_DIR / "rig"
MICROPYPATH = os.pathsep.join([str(RIG), str(FIRMWARE_DIR), str(PROTOCOL_DIR)])


def cpython_paths() -> None:
    """Put the rig, the firmware and the protocol on sys.path (rig first: its `machine`)."""
    for p in (str(PROTOCOL_DIR), str(FIRMWARE_DIR), str(RIG)):
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def write_stream(path: Path, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> None:
    np.ascontiguousarray(np.hstack([acc_mps2, gyr_rps]), dtype="<f4").tofile(path)


def run_app_micropython(micropython: str, cwd: Path, chip: str, rate_hz: int, duration_s: float, stream: str,
                        commands: bytes | None = None, extra: tuple[str, ...] = ()) -> list[bytes]:
    """The app inside the real MicroPython interpreter; returns the messages it sent on its USB link."""
    if commands is None:
        commands = wire.frame(wire.encode_command(wire.CMD_START, 1))
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    r = subprocess.run([micropython, str(RIG / "run_app.py"), chip, str(rate_hz), str(duration_s), stream, *extra],
                       input=commands, capture_output=True, env=env, cwd=cwd, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return wire.Deframer().feed(r.stdout)


def data_frames(msgs: list[bytes], kind: int = wire.MSG_DATA) -> list[tuple[tuple[int, ...], bytes]]:
    return [(wire.decode_header(m), m) for m in msgs if m[1] == kind]
