"""Decoding data frames: the vectorized decoder against a per-frame struct loop."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from dorsal.bench import best_rate
from dorsal.decode import SAMPLE_DTYPE, decode_buffer, message_offsets
from dorsal.protocol import wire

DESCRIPTION = "decode data frames (numpy, vectorized) vs a per-frame struct.unpack loop"


def make_frames(n_frames: int, records_per_frame: int = 10, seed: int = 0) -> bytes:
    """A buffer of back-to-back data frames with random (valid) records."""
    rng = np.random.default_rng(seed)
    rec = rng.integers(-32768, 32767, size=(n_frames, records_per_frame, 11), dtype=np.int64)
    rec[..., 10] &= 0xFF
    frames = []
    for k in range(n_frames):
        rows = [tuple(int(v) for v in r) for r in rec[k]]
        frames.append(wire.encode_data(k * records_per_frame, k * records_per_frame * 10, 10000, rows))
    return b"".join(frames)


def struct_loop_decode(buf: bytes) -> np.ndarray:
    """The baseline: one struct.unpack per frame header and per frame body, then arrays."""
    head = struct.Struct(wire.HEADER_FORMAT)
    rows: list[tuple[int, ...]] = []
    times: list[float] = []
    seqs: list[int] = []
    pos = 0
    n = len(buf)
    while pos < n:
        _, mtype, seq, t0_ms, period_us, count, size = head.unpack_from(buf, pos)
        body = struct.unpack_from("<" + wire.RECORD_FORMAT[1:] * count, buf, pos + wire.HEADER_SIZE)
        for i in range(count):
            rows.append(body[i * 11 : (i + 1) * 11])
            seqs.append(seq + i)
            times.append(t0_ms * 1e-3 + i * period_us * 1e-6)
        pos += wire.HEADER_SIZE + count * size
    raw = np.array(rows, dtype=np.float64)
    out = np.empty(len(rows), dtype=SAMPLE_DTYPE)
    out["seq"] = seqs
    out["t_s"] = times
    g = wire.STANDARD_GRAVITY_MPS2 / wire.ACC_LSB_PER_G
    r = np.pi / 180 / wire.GYRO_LSB_PER_DPS
    for j, (name, scale) in enumerate(
        [("qw", 1 / wire.QUAT_ONE), ("qx", 1 / wire.QUAT_ONE), ("qy", 1 / wire.QUAT_ONE), ("qz", 1 / wire.QUAT_ONE),
         ("ax_mps2", g), ("ay_mps2", g), ("az_mps2", g), ("gx_rps", r), ("gy_rps", r), ("gz_rps", r)]
    ):
        out[name] = raw[:, j] * scale
    out["status"] = raw[:, 10]
    out["source"] = 0
    return out


def run(scale: float = 1.0) -> dict[str, Any]:
    n_frames = max(100, int(200_000 * scale))
    buf = make_frames(n_frames)
    fast = decode_buffer(buf)
    slow = struct_loop_decode(buf[: len(buf) // 10 or len(buf)])
    # Same answer first: a fast wrong decoder is worth nothing.
    for name in ("seq", "t_s", "qw", "ax_mps2", "gz_rps", "status"):
        if not np.allclose(fast[name][: slow.size], slow[name], rtol=1e-6, atol=1e-6):
            raise AssertionError(f"decoder and baseline disagree on {name}")
    offsets = message_offsets(buf)
    rate = best_rate(lambda: decode_buffer(buf).size, repeats=5)
    base_buf = buf[: (len(buf) // 10)]
    base = best_rate(lambda: struct_loop_decode(base_buf).size, repeats=2)
    return {
        "samples_per_s": rate,
        "baseline_samples_per_s": base,
        "ratio": rate / base,
        "samples": int(fast.size),
        "frames": int(offsets.size),
        "target": ">= 10e6 samples/s and >= 20x baseline",
    }
