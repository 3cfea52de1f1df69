"""The device's per-sample path inside the MicroPython unix port, and what it means on an ESP32-C3.

Measured here: FIFO packets -> wire records -> fixed-point fusion (viper) -> frame header, per sample, and the
heap it allocates (the heap is locked while it runs: any allocation would raise). Baseline, same run: the float
reference of the same filter in plain MicroPython packing the same records.

Duty cycle at 100 Hz on an ESP32-C3 (160 MHz, the default clock) is an estimate, not a measurement. Assumed
slowdown against the unix port on this machine: 100x, derived from two published figures: this machine runs
MicroPython benchmark loops 117-122x faster than an ESP32 at 160 MHz (calibrated with published loops, see
../shared/FACTS.md), and the same benchmark took 13.2 s on an ESP32-C3 at 160 MHz vs 15.4 s on an ESP32 at
160 MHz (scruss.com, "Parallel MicroPython Benchmarking", 2025): 120 / (15.4 / 13.2) = 103, rounded to 100.
Viper code is native, so its ratio may differ from interpreted loops; the pessimistic figure uses 150x.
The blocking I2C transfer of the FIFO bytes (12 per sample for an MPU-6050, 9 bits a byte at 400 kHz) is added.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR
from dorsal.sim.micropython_engine import micropython_binary

DESCRIPTION = "firmware per-sample path in MicroPython (viper fixed point) vs its float reference; ESP32-C3 duty"
SLOWDOWN_C3 = 100.0
SLOWDOWN_C3_PESSIMISTIC = 150.0
I2C_US_PER_SAMPLE = 12 * 9 / 400e3 * 1e6
RATE_HZ = 100


def run(scale: float = 1.0) -> dict[str, Any]:
    frames = max(200, int(4000 * scale))
    rig = FIRMWARE_DIR / "rig"
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(rig), str(FIRMWARE_DIR), str(PROTOCOL_DIR)]))
    r = subprocess.run([micropython_binary(), str(rig / "bench" / "fw_bench.py"), str(frames)], env=env,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"the firmware benchmark failed: {r.stderr.strip()[-500:]}")
    m = json.loads(r.stdout.strip().splitlines()[-1])
    fixed_us, float_us = m["fixed_us_per_sample"], m["float_us_per_sample"]

    def duty(us: float, slowdown: float) -> float:
        return RATE_HZ * (us * slowdown + I2C_US_PER_SAMPLE) / 1e6

    return {
        "samples_per_s": 1e6 / fixed_us,
        "baseline_samples_per_s": 1e6 / float_us,
        "ratio": float_us / fixed_us,
        "us_per_sample_unix": fixed_us,
        "baseline_us_per_sample_unix": float_us,
        "heap_bytes_per_sample": m["fixed_alloc_bytes_per_sample"],
        "baseline_heap_bytes_per_sample": m["float_alloc_bytes_per_sample"],
        "esp32c3_duty_at_100hz": duty(fixed_us, SLOWDOWN_C3),
        "esp32c3_duty_at_100hz_pessimistic": duty(fixed_us, SLOWDOWN_C3_PESSIMISTIC),
        "esp32c3_duty_float_baseline": duty(float_us, SLOWDOWN_C3),
        "assumed_slowdown_vs_unix_port": SLOWDOWN_C3,
        # the optional barometer (25 Hz): float compensation, garbage collected at the loop's fixed point
        "baro_us_per_sample_unix": m["baro_us_per_sample"],
        "baro_heap_bytes_per_sample": m["baro_alloc_bytes_per_sample"],
        "esp32c3_duty_baro_at_25hz": 25 * m["baro_us_per_sample"] * SLOWDOWN_C3 / 1e6,
        "target": "0 heap bytes per sample in steady state (heap_lock), fusion included",
    }
