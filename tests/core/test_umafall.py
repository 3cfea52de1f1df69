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
#: In these trials the subjects sit on the bed before lying down and sit up on it afterwards, so a sitting
#: period there is true: the label does not say that no sitting happened. They count in the "all" figure only.
SITS_AS_WELL = ("LyingDown_OnABed",)


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
    non_sitting = [r["sitting"] for label, rows in per.items() if label != SITTING_CLASS and label not in SITS_AS_WELL
                   for r in rows]
    out["_wrong_sitting"] = {"share": float(np.mean(non_sitting)), "n": float(len(non_sitting))}
    other = [r["sitting"] for label, rows in per.items() if label != SITTING_CLASS for r in rows]
    out["_wrong_sitting_all"] = {"share": float(np.mean(other)), "n": float(len(other))}
    return out


@pytest.fixture(scope="module")
def figures(shared_data: Path) -> dict[str, dict[str, float]]:
    return evaluate(shared_data / "umafall")


# Measured 2026-11-30 (accelerometer faults feed no filter; a sit-down needs the seat's jolt and a fall of the
# transient within two seconds; a stand-up soon after one makes it a brief sit; a stand-up's lean may precede
# its rise by a second; a settled upright trunk after lying on the back or a side is sitting): lying 0.95 of
# 21, walking 0.92 of 26, sitting 0.96 of 26 (0.88 before: one subject sat ~1 s twice and stood straight up;
# the one miss sat and stood while its accelerometer read ~0.25 g), bending 1.00, a sitting period in 0.035
# of the 256 trials that rule sitting out (0.039; left: door opening 0.21, three shallow bends, one backward
# fall) and in 0.079 of 277 with the lying-down trials (0.069: the faulty starts no longer hide sitting on the
# bed, and sitting up on it now reads sitting).
# Measured 2026-11-29 (sit-downs confirmed by settling, bends voiding them, reclined lying, walking in 3 of 4
# seconds): lying 0.95 of 21 (0.71 before; one trial never lies down), walking 0.92 of 26 (0.88), sitting 0.88
# of 26 (0.92: one subject sat for ~1 s and stood up without settling; two other recordings read |acc|
# ~2.5 m/s^2 at rest for a while), bending 1.00, a sitting period in 0.039 of the 256 trials that rule sitting
# out (0.285 before: falls, bends, jogging, hopping; left: door opening 0.25, two shallow bends, one call, one
# backward fall) and in 0.065 of 277 with the lying-down trials (0.325).
def test_lying_is_recognised_in_lying_down_trials(figures: dict) -> None:
    assert figures["LyingDown_OnABed"]["lying"] >= 0.90


def test_walking_is_recognised_in_walking_trials(figures: dict) -> None:
    assert figures["Walking"]["walking"] >= 0.88


def test_a_sitting_period_is_found_in_sitting_trials(figures: dict) -> None:
    assert figures[SITTING_CLASS]["sitting"] >= 0.92


def test_forward_flexion_is_seen_in_bending_trials(figures: dict) -> None:
    assert figures["Bending"]["flexion"] >= 0.95


def test_wrong_sitting_in_other_trials_is_bounded(figures: dict) -> None:
    assert figures["_wrong_sitting"]["share"] <= 0.05
    assert figures["_wrong_sitting_all"]["share"] <= 0.08
