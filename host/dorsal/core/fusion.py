"""Orientation from raw IMU data on the host, and raw IMU input for the core.

Two fusions, chosen deliberately (DESIGN.md, `dorsal fuse --filter`):
- ``best``: vqf's offline filter (Laidig & Seel 2023), acausal, with rest and
  motion bias estimation: the most accurate tilt available here.
- ``device``: the firmware's own filter run on the host, for consistency with
  what the wearable computes (dorsal.devicefilter, from the firmware work).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import vqf

from dorsal.decode import SAMPLE_DTYPE
from dorsal.errors import DorsalError

CSV_COLUMNS = ["t_s", "ax_mps2", "ay_mps2", "az_mps2", "gx_rps", "gy_rps", "gz_rps"]


def fuse_best(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """vqf offline: t_s (N,) s, acc (N, 3) m/s^2, gyr (N, 3) rad/s -> quaternions (N, 4) sensor->Earth (z up).

    Irregular timestamps are resampled onto a regular grid at the median rate and back.
    """
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.ascontiguousarray(acc_mps2, dtype=np.float64)
    gyr = np.ascontiguousarray(gyr_rps, dtype=np.float64)
    if t.ndim != 1 or acc.shape != (t.size, 3) or gyr.shape != (t.size, 3):
        raise DorsalError("IMU input needs t (N,), acc (N, 3) and gyro (N, 3)")
    if t.size < 2:
        raise DorsalError("IMU input needs at least two samples")
    dt = float(np.median(np.diff(t)))
    if dt <= 0:
        raise DorsalError("IMU timestamps must increase")
    regular = np.allclose(np.diff(t), dt, rtol=0.02, atol=1e-6)
    if regular:
        q = vqf.offlineVQF(gyr, acc, None, dt)["quat6D"]
    else:
        grid = np.arange(t[0], t[-1] + dt / 2, dt)
        g = np.stack([np.interp(grid, t, gyr[:, i]) for i in range(3)], axis=1)
        a = np.stack([np.interp(grid, t, acc[:, i]) for i in range(3)], axis=1)
        qg = vqf.offlineVQF(np.ascontiguousarray(g), np.ascontiguousarray(a), None, dt)["quat6D"]
        idx = np.clip(np.searchsorted(grid, t), 0, grid.size - 1)
        q = qg[idx]
    return np.asarray(q)


def fuse(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray, filter_name: str = "best") -> np.ndarray:
    if filter_name == "best":
        return fuse_best(t_s, acc_mps2, gyr_rps)
    if filter_name == "device":
        try:
            from dorsal.devicefilter import fuse_device  # type: ignore[import-not-found]
        except ImportError:
            raise DorsalError("the device filter is not available: the firmware's fusion "
                              "(dorsal.devicefilter) is not part of this build yet; use --filter best") from None
        return np.asarray(fuse_device(t_s, acc_mps2, gyr_rps))
    raise DorsalError(f"unknown filter {filter_name!r}: use best or device")


def read_imu_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_s (N,), acc (N, 3), gyr (N, 3)) from an --imu-csv file; one clear error for bad input."""
    p = Path(path)
    try:
        with open(p, newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader)]
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise DorsalError(f"{p}: missing column(s) {', '.join(missing)}; need {', '.join(CSV_COLUMNS)}")
            cols = [header.index(c) for c in CSV_COLUMNS]
            rows = []
            for n, row in enumerate(reader, start=2):
                if not row:
                    continue
                try:
                    rows.append([float(row[i]) for i in cols])
                except (ValueError, IndexError):
                    raise DorsalError(f"{p}:{n}: not a number in a required column") from None
    except OSError as exc:
        raise DorsalError(f"{p}: cannot read ({exc.strerror})") from None
    except StopIteration:
        raise DorsalError(f"{p}: empty file") from None
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    return data[:, 0], data[:, 1:4], data[:, 4:7]


def samples_from_imu(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray, quat: np.ndarray) -> np.ndarray:
    """A SAMPLE_DTYPE array (as if decoded from the wire) from raw IMU data and its orientation."""
    out = np.zeros(len(t_s), SAMPLE_DTYPE)
    out["seq"] = np.arange(len(t_s))
    out["t_s"] = t_s
    for i, name in enumerate(("qw", "qx", "qy", "qz")):
        out[name] = quat[:, i]
    for i, name in enumerate(("ax_mps2", "ay_mps2", "az_mps2")):
        out[name] = acc_mps2[:, i]
    for i, name in enumerate(("gx_rps", "gy_rps", "gz_rps")):
        out[name] = gyr_rps[:, i]
    return out


def fuse_csv_to_samples(path: str | Path, filter_name: str = "best") -> np.ndarray:
    t, acc, gyr = read_imu_csv(path)
    return samples_from_imu(t, acc, gyr, fuse(t, acc, gyr, filter_name))
