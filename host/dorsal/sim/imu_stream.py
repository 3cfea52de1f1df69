"""The IMU stream file the firmware rig reads under MicroPython (INTERFACES.md).

One row per IMU sample, float32 little-endian: ax, ay, az (specific force,
m/s^2), gx, gy, gz (rad/s), sensor frame, at the chip's output data rate; a
seventh column holds the barometer's pressure (Pa) when the board has one.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from dorsal.sim.stream import SensorChunk, SensorStream


def rows(chunk: SensorChunk, with_pressure: bool) -> np.ndarray:
    """(N, 6 or 7) float32 rows of a chunk."""
    cols = [chunk.acc_mps2, chunk.gyr_rps]
    if with_pressure:
        if chunk.pressure_pa is None:
            raise ValueError("the stream has no barometer")
        cols.append(chunk.pressure_pa[:, None])
    return np.ascontiguousarray(np.hstack(cols), dtype="<f4")


def write_stream(stream: SensorStream, out: BinaryIO, chunk_s: float = 60.0) -> int:
    """Write the whole run; returns the number of rows."""
    n = 0
    with_pressure = stream.baro is not None
    while not stream.done:
        r = rows(stream.next_chunk(chunk_s), with_pressure)
        out.write(r.tobytes())
        n += r.shape[0]
    return n
