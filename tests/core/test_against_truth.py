"""The detectors against the simulator's ground truth (simulate --truth): stretches, extension, twists.

The simulator runs the firmware itself, so these figures include what the device's fusion does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from truthsim import STRETCHES, events, overlaps, simulate


def test_stretch_recognition_over_the_stretch_scenarios(tmp_path: Path) -> None:
    correct = []
    for sid in STRETCHES:
        got, truth = simulate(tmp_path, sid, "600s")
        (t,) = [e for e in events(truth, "stretch") if e["id"] == sid]
        found = [e for e in events(got, "stretch") if overlaps(e, t)]
        correct.append(len(found) == 1 and found[0]["id"] == sid)
    assert sum(correct) / len(correct) >= 0.9, dict(zip(STRETCHES, correct))


@pytest.mark.parametrize("scenario", ["unsafe-deep-back-lean", "unsafe-deep-chair-extension", "ball-rollout",
                                      "bed-edge-extension", "trap-chair-lean-back"])
def test_excessive_extension_precision_and_recall(tmp_path: Path, scenario: str) -> None:
    got, truth = simulate(tmp_path, scenario, "600s")
    t, g = events(truth, "excessive_extension"), events(got, "excessive_extension")
    recall = np.mean([any(overlaps(x, y) for y in g) for x in t]) if t else 1.0
    precision = np.mean([any(overlaps(y, x) for x in t) for y in g]) if g else 1.0
    assert recall >= 0.95 and precision >= 0.95, (t, g)


@pytest.mark.parametrize("scenario", ["unsafe-frequent-twists", "seated-twist", "trap-fidgeting", "walking",
                                      "trap-floor-pickup"])
def test_twist_count_within_one(tmp_path: Path, scenario: str) -> None:
    got, truth = simulate(tmp_path, scenario, "900s")
    assert abs(len(events(got, "twist")) - len(events(truth, "twist"))) <= 1
