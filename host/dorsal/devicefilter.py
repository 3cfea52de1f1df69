"""The firmware's own fusion (firmware/dorsal_fusion.py) run on the host.

`dorsal fuse --filter device` uses it so anyone can see, on their own
recordings, exactly what the wearable would compute: the samples are
quantised to the wire's units (1 mg, 1/16 deg/s) as the device's driver does,
and the same fixed-point code runs here as plain Python.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import numpy as np

from dorsal.paths import FIRMWARE_DIR
from dorsal.protocol import wire

RECORD_HALFWORDS = wire.RECORD_SIZE // 2
MG_PER_MPS2 = 1000.0 / wire.STANDARD_GRAVITY_MPS2
DPS16_PER_RPS = 16.0 * 180.0 / np.pi
CHUNK = 4096


def _load(name: str) -> ModuleType:
    """A firmware module by name (imported once, from firmware/)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FIRMWARE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fusion_module() -> ModuleType:
    return _load("dorsal_fusion")


def to_records(acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """(N, 11) int16 wire records with acceleration and rate filled in, as the device's driver writes them."""
    n = acc_mps2.shape[0]
    rec = np.zeros((n, RECORD_HALFWORDS), dtype="<i2")

    def fixed(x: np.ndarray, per: float) -> np.ndarray:
        v = np.asarray(x, dtype=np.float64) * per
        return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), -32768, 32767)

    rec[:, 4:7] = fixed(acc_mps2, MG_PER_MPS2)
    rec[:, 7:10] = fixed(gyr_rps, DPS16_PER_RPS)
    return rec


def rate_of(t_s: np.ndarray) -> float:
    if t_s.size < 2:
        raise ValueError("need at least two samples to know the rate")
    return float((t_s.size - 1) / (t_s[-1] - t_s[0]))


def fuse_records(records: np.ndarray, rate_hz: float) -> np.ndarray:
    """Run the device filter in place over (N, 11) int16 records; returns them."""
    fusion = fusion_module()
    state = fusion.new_state(rate_hz)
    buf = bytearray(records.astype("<i2").tobytes())
    n = records.shape[0]
    for start in range(0, n, CHUNK):
        fusion.fuse(state, buf, start * RECORD_HALFWORDS, min(CHUNK, n - start))
    return np.frombuffer(bytes(buf), dtype="<i2").reshape(n, RECORD_HALFWORDS).copy()


def fuse_device(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """Quaternions (N, 4) w, x, y, z sensor -> Earth from the firmware's filter at the recording's mean rate.

    The device runs at a fixed rate set by the IMU's clock, so irregular
    timestamps are taken at their mean rate (as the device would see them).
    """
    rec = fuse_records(to_records(acc_mps2, gyr_rps), rate_of(t_s))
    q = rec[:, 0:4].astype(np.float64) / wire.QUAT_ONE
    return q / np.linalg.norm(q, axis=1, keepdims=True)
