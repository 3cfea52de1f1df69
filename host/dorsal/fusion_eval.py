"""Tilt accuracy of an orientation filter on BROAD (the optical-truth dataset in ../shared/data/broad).

The figure is the convention of the BROAD paper for 6-axis fusion: the RMS
angle between the estimated and the true vertical, both expressed in the
sensor frame (so heading is excluded), over the trial's movement samples
(label 1) where the optical truth is not occluded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dorsal.paths import ROOT

#: A filter under test: (t_s, acc_mps2 (N,3), gyr_rps (N,3)) -> quaternions (N,4) w,x,y,z sensor -> Earth (z up).
Filter = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Trial:
    name: str
    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rps: np.ndarray
    quat_true: np.ndarray  # NaN rows are optical occlusions
    moving: np.ndarray  # bool, label == movement

    @property
    def rate_hz(self) -> float:
        return float((self.t_s.size - 1) / (self.t_s[-1] - self.t_s[0]))


def broad_dir() -> Path:
    return ROOT.parent / "shared" / "data" / "broad"


def trials(folder: Path | None = None) -> Iterator[Trial]:
    """The BROAD trials in name order (empty when the data folder is absent)."""
    folder = broad_dir() if folder is None else folder
    for f in sorted(folder.glob("*.npz")):
        d = np.load(f, allow_pickle=False)
        yield Trial(f.stem, d["t"], np.ascontiguousarray(d["acc"]), np.ascontiguousarray(d["gyr"]), d["quat"],
                    d["label"] == 1)


def up_in_sensor(quat: np.ndarray) -> np.ndarray:
    """Earth's z axis in sensor coordinates (third row of the sensor -> Earth rotation matrix)."""
    w, x, y, z = np.asarray(quat, dtype=np.float64).T
    return np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=1)


def tilt_error_deg(q_est: np.ndarray, q_true: np.ndarray) -> np.ndarray:
    """Per-sample angle between estimated and true vertical (NaN where the truth is missing)."""
    a, b = up_in_sensor(q_est), up_in_sensor(q_true)
    cos = np.einsum("ij,ij->i", a, b) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def tilt_rmse_deg(q_est: np.ndarray, trial: Trial) -> float:
    err = tilt_error_deg(q_est, trial.quat_true)
    use = trial.moving & ~np.isnan(err)
    return float(np.sqrt(np.mean(err[use] ** 2)))


@dataclass(frozen=True)
class Score:
    name: str
    per_trial_deg: dict[str, float]
    samples_per_s: float

    @property
    def mean_deg(self) -> float:
        return float(np.mean(list(self.per_trial_deg.values())))

    @property
    def worst_deg(self) -> float:
        return float(np.max(list(self.per_trial_deg.values())))


def score(name: str, fuse: Filter, folder: Path | None = None, only: list[Trial] | None = None) -> Score:
    """Tilt RMSE of ``fuse`` per trial (all of folder's, or ``only`` these) and its samples per CPU second."""
    import time

    per: dict[str, float] = {}
    n = 0
    spent = 0.0
    for tr in only if only is not None else trials(folder):
        t0 = time.process_time()
        q = fuse(tr.t_s, tr.acc_mps2, tr.gyr_rps)
        spent += time.process_time() - t0
        n += tr.t_s.size
        per[tr.name] = tilt_rmse_deg(q, tr)
    return Score(name, per, n / spent if spent else 0.0)


def vqf_online(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """vqf's online (causal) filter with its default parameters."""
    import vqf

    dt = float(np.median(np.diff(t_s)))
    f = vqf.VQF(dt)
    out = f.updateBatch(np.ascontiguousarray(gyr_rps, dtype=np.float64), np.ascontiguousarray(acc_mps2, dtype=np.float64))
    return np.asarray(out["quat6D"])


def imufusion_recommended(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """x-io Technologies' Fusion AHRS (imufusion 1.3) with the settings its README recommends (gain 0.5,
    10 deg acceleration rejection, rejection timeout 5 s) and its gyroscope Bias module, 6-axis."""
    import imufusion

    rate_hz = (t_s.size - 1) / (t_s[-1] - t_s[0])
    bias = imufusion.Bias()
    bias.set_settings(imufusion.BiasSettings(rate_hz))
    ahrs = imufusion.Ahrs()
    ahrs.set_settings(imufusion.AhrsSettings(rate_hz, imufusion.CONVENTION_NWU, 0.5, 2000.0, 10.0, 0.0, 5.0))
    ahrs.set_sample_period(1.0 / rate_hz)
    gyr_dps = np.ascontiguousarray(np.degrees(gyr_rps))
    acc_g = np.ascontiguousarray(acc_mps2 / 9.80665)
    out = np.empty((t_s.size, 4))
    for i in range(t_s.size):
        ahrs.update_no_magnetometer(bias.update(gyr_dps[i]), acc_g[i])
        out[i] = ahrs.get_quaternion()
    return out
