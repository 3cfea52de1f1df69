"""Simulating a desk day: `dorsal simulate` (body + IMU model + frames + recording file) vs real time.

Baseline: the same model evaluated one sample at a time (no vectorization), measured in the same run.
The target is an 8-hour desk day at 100 Hz in at least 200x real time with the CPython engine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from dorsal.sim.stream import SensorStream

DESCRIPTION = "dorsal simulate desk-day at 100 Hz (CPython engine, recording written) vs per-sample evaluation"


def run(scale: float = 1.0) -> dict[str, Any]:
    from dorsal.commands.simulate import simulate

    duration_s = max(600.0, 8 * 3600.0 * scale)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = simulate("desk-day", duration_s, Path(tmp) / "day.rec", Path(tmp) / "truth.json", seed=1,
                          engine="cpython")
        wall = time.perf_counter() - t0
    samples = int(report["samples"])  # type: ignore[call-overload]
    # baseline: one sample per model evaluation
    stream = SensorStream("desk-day", seed=1, duration_s=duration_s)
    n_base = 2000
    t0 = time.perf_counter()
    for i in range(n_base):
        stream._block(i, 1)
    base = n_base / (time.perf_counter() - t0)
    rate = samples / wall
    return {
        "samples_per_s": rate,
        "baseline_samples_per_s": base,
        "ratio": rate / base,
        "samples": samples,
        "simulated_s": duration_s,
        "wall_s": wall,
        "speed_x_real_time": duration_s / wall,
        "engine": report["engine"],
        "target": ">= 200x real time for 8 h at 100 Hz (samples_per_s >= 20000)",
    }
