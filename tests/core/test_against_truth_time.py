"""The detectors against the simulator's ground truth (simulate --truth): sitting, breaks, traps, activity.

(Split from test_against_truth.py so two test workers share the simulations.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from truthsim import events, simulate


def test_prolonged_sitting_alert_within_30_s_of_the_limit(tmp_path: Path) -> None:
    got, truth = simulate(tmp_path, "unsafe-long-sitting", "2700s")
    (t,) = events(truth, "prolonged_sitting")
    (g,) = events(got, "prolonged_sitting")
    assert abs(g["alert_at_s"] - t["alert_at_s"]) <= 30


def test_short_stands_do_not_break_a_bout_but_the_alert_matches_truth(tmp_path: Path) -> None:
    # Standing for 20-30 s between sits is not a real break (break_min_s), as in the truth.
    got, truth = simulate(tmp_path, "sit-stand", "2400s")
    t, g = events(truth, "prolonged_sitting"), events(got, "prolonged_sitting")
    assert len(t) == len(g) == 1
    assert abs(g[0]["alert_at_s"] - t[0]["alert_at_s"]) <= 30


def test_no_prolonged_sitting_when_breaks_happen(tmp_path: Path) -> None:
    got, truth = simulate(tmp_path, "walking", "2400s")
    assert events(truth, "prolonged_sitting") == [] and events(got, "prolonged_sitting") == []


@pytest.mark.parametrize("scenario", ["trap-lying-rest", "trap-stairs", "trap-floor-pickup", "trap-fidgeting",
                                      "trap-chair-lean-back"])
def test_traps_raise_no_false_stretch_or_twist(tmp_path: Path, scenario: str) -> None:
    got, truth = simulate(tmp_path, scenario, "600s")
    assert events(got, "stretch") == events(truth, "stretch") == []
    assert len(events(got, "twist")) <= len(events(truth, "twist")) + 1


# Measured 2026-11-25 (seed 3): desk-day 1.00, walking 0.96, lying rest 0.95, seated twisting 0.99,
# sit-stand every 20-30 s 0.71 (some quick stand-ups rise less than the stand-up threshold).
@pytest.mark.parametrize("scenario,minimum", [("desk-day", 0.9), ("walking", 0.9), ("trap-lying-rest", 0.9),
                                              ("unsafe-frequent-twists", 0.9), ("sit-stand", 0.65)])
def test_activity_agrees_with_truth(tmp_path: Path, scenario: str, minimum: float) -> None:
    got, truth = simulate(tmp_path, scenario, "600s" if scenario != "desk-day" else "2400s", seed=10)
    a = [r["activity"] for r in got["timeline"]]
    b = [r["activity"] for r in truth["timeline"]]
    n = min(len(a), len(b))
    assert np.mean(np.array(a[:n]) == np.array(b[:n])) >= minimum


def test_a_reach_from_a_slouched_seat_is_not_a_stand_up(tmp_path: Path) -> None:
    # desk-day seed 12: at ~867 s the wearer, slouched at ~22 deg, reaches to ~52 deg and back; through the
    # height filters (and the accelerometer's offset at the lean's tilt) it rose like a stand-up (0.19 m)
    # and the rest of the 30-min bout read as standing (activity agreement 0.48).
    got, truth = simulate(tmp_path, "desk-day", "1800s", seed=12)
    a = np.array([r["activity"] for r in got["timeline"]])
    b = np.array([r["activity"] for r in truth["timeline"]])
    n = min(a.size, b.size)
    assert np.mean(a[:n] == b[:n]) >= 0.95
    assert "standing" not in set(a[20:n])
