"""The core pipeline (quaternions -> angles -> activity -> events) on a generated 24-hour 100 Hz day.

The baseline is a plain per-sample Python implementation of the same rules
(dorsal.bench._core_baseline), run on a slice of the same day in the same run.
``read_floor`` measures only the core's reading of what it needs from the
64-byte structured samples; ``numpy_floor`` adds the rest of the numpy work
that the core's rules cannot do without (with the core's own reader and
scipy's IIR recursion), which bounds the ratio a numpy core of these rules
can reach against the loop on this machine.
Times are the process's CPU time (one thread), so other work on the machine
does not count against either side.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np

from dorsal.bench._core_baseline import per_sample_baseline
from dorsal.core import Analyzer, Settings, analyze
from dorsal.core.angles import reference_filter
from dorsal.core.pipeline import BATCH_CHUNK, block_size, filter_designs, read_blocks, second_extremes
from dorsal.decode import SAMPLE_DTYPE

DESCRIPTION = "posture pipeline on a generated 24 h day at 100 Hz vs a per-sample Python loop"
RATE_HZ = 100.0


def generate_day(duration_s: float, seed: int = 0) -> np.ndarray:
    """Quaternions of a slowly changing trunk (flexion drifts, occasional twists), gravity and gyro noise."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    flex = np.radians(8 + 10 * np.sin(2 * np.pi * t / 1800) + rng.normal(0, 0.5, n))
    yaw = np.radians(30 * (np.sin(2 * np.pi * t / 3600) > 0.999))
    # sensor Y superior: upright = +90 deg about X; then flexion about body Z and yaw about Earth z
    half = 0.5 * (np.pi / 2 - flex)
    qw, qx = np.cos(half), np.sin(half)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    s = np.zeros(n, SAMPLE_DTYPE)
    s["t_s"] = t
    s["seq"] = np.arange(n)
    s["qw"], s["qx"], s["qy"], s["qz"] = cy * qw, cy * qx, sy * qx, sy * qw
    s["ay_mps2"] = 9.81 * np.cos(flex) + rng.normal(0, 0.05, n)
    s["az_mps2"] = 9.81 * np.sin(flex) + rng.normal(0, 0.05, n)
    s["gx_rps"] = rng.normal(0, 0.01, n)
    return s


def read_floor(s: np.ndarray) -> float:
    """Samples/s of only reading what the core reads of each structured sample (acceleration of every
    sample, the rest of one sample per block), with the core's own reader: the ceiling for this input
    layout."""
    d = block_size(RATE_HZ)
    carry = np.zeros((3, 0), np.float32)
    t0 = time.process_time()
    for i in range(0, s.size, BATCH_CHUNK):
        c = s[i : i + BATCH_CHUNK]
        read_blocks(c, d - 1, c.size // d, d, carry)  # the core's own reading of the blocks
    return s.size / (time.process_time() - t0)


#: The per-second sums the core takes over its analysis blocks: the means of flexion, lateral bend, rotation,
#: inclination and side, of the gait band's square and of |a|, and the gyro's three axes and their squares.
PER_SECOND_SUMS = 13


def numpy_floor(s: np.ndarray) -> float:
    """Seconds of CPU time of only the numpy work that the core's rules cannot do without, over samples s in the
    core's pieces of BATCH_CHUNK samples: reading the blocks (read_floor), the three IIR recursions over them
    (the gait band-pass and the height filter with the analyzer's own designs, and the heading's one-pole
    reference, through scipy's lfilter as in the core), the transcendental functions of the five angles
    (arctan2 for flexion, lateral bend and heading, arccos, arcsin, and square roots for |r_h|, the lateral
    bend's denominator and |a|), and the per-second reductions (PER_SECOND_SUMS sums, and the lowest and
    highest flexion and height). Left out: the rotation's algebra (~64 float32 passes per block), the checks
    for bad input, the per-second rules and Python's own work.
    """
    from scipy.signal import lfilter, lfilter_zi

    d = block_size(RATE_HZ)
    rate = RATE_HZ / d
    width = int(round(rate))
    designs = [*filter_designs(rate), reference_filter(rate, Settings().twist_reference_s)]
    filters = [(b, a, lfilter_zi(b, a)) for b, a in designs]
    rng = np.random.default_rng(1)
    n = BATCH_CHUNK // d
    x, y = rng.standard_normal((2, n)).astype(np.float32)  # in-cache rows, as the core's stages have them
    unit, positive, out = np.tanh(x), np.abs(y), np.empty(n, np.float32)
    carry = np.zeros((3, 0), np.float32)
    t0 = time.process_time()
    for i in range(0, s.size, BATCH_CHUNK):
        c = s[i : i + BATCH_CHUNK]
        m = c.size // d
        read_blocks(c, d - 1, m, d, carry)
        xs, ys, o = x[:m], y[:m], out[:m]
        for b, a, zi in filters:
            lfilter(b, a, xs, zi=zi)
        for _ in range(3):
            np.arctan2(xs, ys, out=o)
            np.sqrt(positive[:m], out=o)
        np.arccos(unit[:m], out=o)
        np.arcsin(unit[:m], out=o)
        starts = np.arange(0, m - m % width, width)
        for _ in range(PER_SECOND_SUMS):
            np.add.reduceat(xs, starts)
        for v in (xs, ys):
            second_extremes(v[: starts.size * width], starts, width)
    return time.process_time() - t0


def run(scale: float = 1.0) -> dict[str, Any]:
    duration_s = max(600.0, 86400.0 * scale)
    day = generate_day(duration_s)
    analyze(day[: 60_000])  # warm-up
    base_n = min(day.size, 150_000)
    r_bs = analyze(day[:base_n], rate_hz=RATE_HZ).calibration.body_to_sensor()
    # Rounds alternate the pipeline and the baseline (each ~0.3 s), so that both see the machine in the same
    # state; each side keeps its best round (the machine's other work only ever slows a run down).
    elapsed, base_rate, rounds, t_floor = float("inf"), 0.0, [], float("inf")
    for _ in range(3):
        t0 = time.process_time()
        result = analyze(day, rate_hz=RATE_HZ)
        t_core = time.process_time() - t0
        t_floor = min(t_floor, numpy_floor(day))
        t0 = time.process_time()
        per_sample_baseline(day[:base_n], Settings(), r_bs, RATE_HZ)
        rate = base_n / (time.process_time() - t0)
        elapsed, base_rate = min(elapsed, t_core), max(base_rate, rate)
        rounds.append(day.size / t_core / rate)
    tracemalloc.start()
    analyze(day, rate_hz=RATE_HZ)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    floor = read_floor(day)
    # streaming memory: the analyzer's own buffers after a long live feed stay bounded
    live = Analyzer(rate_hz=RATE_HZ)
    for i in range(0, min(day.size, 2_000_000), 1000):
        live.feed(day[i : i + 1000])
    return {
        "samples_per_s": day.size / elapsed,
        "baseline_samples_per_s": base_rate,
        "ratio": day.size / elapsed / base_rate,
        "ratio_rounds": [round(r, 1) for r in rounds],  # each round's pipeline over its own baseline
        "samples": int(day.size),
        "day_seconds": elapsed * 86400.0 / duration_s,
        "read_floor_samples_per_s": floor,
        "share_of_read_floor": day.size / elapsed / floor,
        # the ratio of the rules' unavoidable numpy work alone against the loop: the ceiling of a numpy core
        "numpy_floor_samples_per_s": day.size / t_floor,
        "numpy_floor_ratio": day.size / t_floor / base_rate,
        "share_of_numpy_floor": t_floor / elapsed,
        "input_bytes": int(day.nbytes),
        "peak_bytes": int(peak),
        "peak_over_input": peak / day.nbytes,
        "events": len(result.events),
        "live_pending_samples": int(live._pending.size),
        "target": ">= 20e6 samples/s, >= 100x baseline, 24 h < 1 s, peak <= 3x input",
    }
