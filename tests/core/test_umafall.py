"""The core on real chest recordings (UMAFall, ../shared/data/umafall): per-class recognition.

UMAFall's sensor is on the chest, a little lower than ours, and +x points up
when standing; it is remapped to dorsal's nominal mounting (+Y superior) and
calibrated on each trial's first second (the subjects start upright).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dorsal.core import ACTIVITIES, analyze, capture
from dorsal.core.fusion import fuse_best, samples_from_imu

SITTING_CLASS = "Sitting_GettingUpOnAChair"


def evaluate(folder: Path) -> dict[str, dict[str, float]]:
    per: dict[str, list[dict[str, bool]]] = {}
    for f in sorted(folder.glob("*.npz")):
        d = np.load(f, allow_pickle=False)
        label = str(d["label_names"][d["label"][0]])
        ok = ~(np.isnan(d["acc"]).any(axis=1) | np.isnan(d["gyr"]).any(axis=1))
        t, acc, gyr = d["t"][ok], d["acc"][ok], d["gyr"][ok]
        a = np.stack([acc[:, 2], acc[:, 0], acc[:, 1]], axis=1)  # sensor x (up) -> dorsal Y (superior)
        g = np.stack([gyr[:, 2], gyr[:, 0], gyr[:, 1]], axis=1)
        q = fuse_best(t, a, g)
        result = analyze(samples_from_imu(t, a, g, q), calibration=capture(q[t < t[0] + 1.0]),
                         rate_hz=1.0 / float(np.median(np.diff(t))))
        acts = {ACTIVITIES[i] for i in result.timeline["activity"]}
        per.setdefault(label, []).append({
            "lying": "lying" in acts, "walking": "walking" in acts, "sitting": "sitting" in acts,
            "flexion": bool(result.timeline["flexion_deg"].max() > 30.0)})
    out = {label: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} | {"n": float(len(rows))}
           for label, rows in per.items()}
    non_sitting = [r["sitting"] for label, rows in per.items() if label != SITTING_CLASS for r in rows]
    out["_wrong_sitting"] = {"share": float(np.mean(non_sitting)), "n": float(len(non_sitting))}
    return out


@pytest.fixture(scope="module")
def figures(shared_data: Path) -> dict[str, dict[str, float]]:
    return evaluate(shared_data / "umafall")


def test_lying_is_recognised_in_lying_down_trials(figures: dict) -> None:
    assert figures["LyingDown_OnABed"]["lying"] >= 0.65


def test_walking_is_recognised_in_walking_trials(figures: dict) -> None:
    assert figures["Walking"]["walking"] >= 0.85


def test_a_sitting_period_is_found_in_sitting_trials(figures: dict) -> None:
    assert figures[SITTING_CLASS]["sitting"] >= 0.85


def test_forward_flexion_is_seen_in_bending_trials(figures: dict) -> None:
    assert figures["Bending"]["flexion"] >= 0.95


def test_wrong_sitting_in_other_trials_is_bounded(figures: dict) -> None:
    # Measured 2026-11-29 with a 20 deg transition lean: 0.325 of 277 trials (0.42 with 12 deg; the rest
    # are falls, lying down on a bed, bending, hopping and jogging read as sit-downs); the aim is <= 0.10.
    # Lying measured 0.71, walking 0.88, sitting 0.92, bending 1.00.
    assert figures["_wrong_sitting"]["share"] <= 0.40
