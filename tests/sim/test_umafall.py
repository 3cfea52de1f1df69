"""The simulated chest/upper-back signals against real chest recordings (UMAFall, ../shared/data).

Figures compared (UMAFall is ~20 Hz, so the simulation is taken at every 5th sample of 100 Hz):
walking cadence (autocorrelation of |acc|), the 5th-95th percentile range of |acc| while walking,
and the duration and depth of the trunk lean during sit-to-stand.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from dorsal.sim.body import ACTIVITY_CODE
from dorsal.sim.stream import SensorStream


def cadence_spm(t_s: np.ndarray, acc: np.ndarray) -> float:
    """Step rate from the autocorrelation peak of |acc| (step period 0.4-0.8 s), parabolic refinement."""
    fs = 1.0 / np.median(np.diff(t_s))
    m = np.linalg.norm(acc, axis=1)
    m = m - m.mean()
    ac = np.correlate(m, m, "full")[m.size - 1 :]
    lo, hi = int(fs * 0.4), int(np.ceil(fs * 0.8)) + 1
    k = lo + int(np.argmax(ac[lo:hi]))
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) if (y0 - 2 * y1 + y2) != 0 else 0.0
    return 60.0 * fs / (k + shift)


def acc_range(acc: np.ndarray) -> tuple[float, float]:
    m = np.linalg.norm(acc, axis=1)
    return float(np.percentile(m, 5)), float(np.percentile(m, 95))


def lean_episodes(t_s: np.ndarray, acc: np.ndarray, threshold_deg: float = 10.0) -> list[tuple[float, float]]:
    """(duration s, peak deg) of excursions of the trunk's tilt from the first second's, on 2 Hz low-pass."""
    fs = 1.0 / np.median(np.diff(t_s))
    lp = sosfiltfilt(butter(2, 2.0, fs=fs, output="sos"), acc, axis=0)
    ref = lp[: int(fs)].mean(axis=0)
    ref /= np.linalg.norm(ref)
    ang = np.degrees(np.arccos(np.clip((lp / np.linalg.norm(lp, axis=1, keepdims=True)) @ ref, -1, 1)))
    edges = np.diff(np.concatenate([[0], (ang > threshold_deg).astype(int), [0]]))
    out = []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if b - a > 2:
            out.append((float(t_s[b - 1] - t_s[a]), float(ang[a:b].max())))
    return out


def _load(shared_data, kind: str) -> list[dict]:
    files = sorted((shared_data / "umafall").glob(f"*_ADL_{kind}_*.npz"))
    if not files:
        pytest.skip(f"no UMAFall {kind} trials in {shared_data / 'umafall'}")
    return [dict(np.load(f, allow_pickle=False)) for f in files]


def _sim_walks(seeds: range) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for seed in seeds:
        s = SensorStream("walking", seed, 100, "mpu6050", duration_s=60)
        c = s.next_chunk(60)
        idx = np.flatnonzero(c.truth.activity == ACTIVITY_CODE["walking"])
        end = idx[np.flatnonzero(np.diff(idx) > 1)[0]] if np.any(np.diff(idx) > 1) else idx[-1]
        sel = np.arange(idx[0] + 100, min(end - 100, idx[0] + 1600), 5)  # 15 s like a UMAFall trial
        out.append((c.t_s[sel], c.acc_mps2[sel]))
    return out


def test_walking_cadence_and_acceleration_range_fall_within_umafall(shared_data):
    real = _load(shared_data, "Walking")
    real_cad = np.array([cadence_spm(d["t"], d["acc"]) for d in real])
    real_rng = np.array([acc_range(d["acc"]) for d in real])
    sim = _sim_walks(range(6))
    sim_cad = np.array([cadence_spm(t, a) for t, a in sim])
    sim_rng = np.array([acc_range(a) for _, a in sim])
    assert real_cad.min() <= sim_cad.min() and sim_cad.max() <= real_cad.max(), (sim_cad, real_cad)
    assert abs(np.median(sim_cad) - np.median(real_cad)) < 10
    for j in (0, 1):  # 5th and 95th percentiles of |acc|
        lo, hi = np.percentile(real_rng[:, j], [10, 90])
        assert np.all((sim_rng[:, j] >= lo) & (sim_rng[:, j] <= hi)), (j, sim_rng[:, j], lo, hi)


def test_sit_to_stand_lean_is_like_umafall(shared_data):
    real = _load(shared_data, "Sitting_GettingUpOnAChair")
    # transitions: lean excursions deeper than 25 deg lasting under 4 s (sitting slumped lasts longer)
    real_ep = [e for d in real for e in lean_episodes(d["t"], d["acc"]) if e[1] > 25 and e[0] < 4]
    sim_ep = []
    for seed in range(4):
        s = SensorStream("sit-stand", seed, 100, "mpu6050", duration_s=60)
        c = s.next_chunk(60)
        sim_ep += [e for e in lean_episodes(c.t_s[::5], c.acc_mps2[::5]) if e[1] > 25 and e[0] < 4]
    real_d, sim_d = np.array([e[0] for e in real_ep]), np.array([e[0] for e in sim_ep])
    real_p, sim_p = np.array([e[1] for e in real_ep]), np.array([e[1] for e in sim_ep])
    assert len(sim_ep) >= 6
    assert abs(np.median(sim_d) - np.median(real_d)) < 0.5, (np.median(sim_d), np.median(real_d))
    lo, hi = np.percentile(real_p, [10, 90])
    assert lo <= np.median(sim_p) <= hi, (np.median(sim_p), lo, hi)


def test_walking_trunk_angular_rate_is_like_umafall(shared_data):
    real = _load(shared_data, "Walking")
    real_med = np.median([np.nanmedian(np.degrees(np.linalg.norm(d["gyr"], axis=1))) for d in real])
    sim_med = []
    for seed in range(4):
        s = SensorStream("walking", seed, 100, "mpu6050", duration_s=60)
        c = s.next_chunk(60)
        w = c.truth.activity == ACTIVITY_CODE["walking"]
        sim_med.append(np.median(np.degrees(np.linalg.norm(c.gyr_rps[w][::5], axis=1))))
    # the median rate of the trunk's sway and turn per stride; a chest strap jolts more at heel
    # strike (UMAFall's 95th percentile is ~110 dps against ~60 here), so only the median is held
    assert abs(np.median(sim_med) / real_med - 1) < 0.3, (sim_med, real_med)
