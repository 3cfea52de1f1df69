"""The detectors against the simulator's ground truth (simulate --truth), scenario by scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dorsal.core import analyze
from dorsal.recording import read_recording

DORSAL = str(Path(sys.executable).with_name("dorsal"))
STRETCHES = ["standing-back-lean", "chair-back-extension", "side-lying-knees-to-chest", "assisted-prone-press",
             "ball-rollout", "seated-twist", "bed-edge-extension", "rocking", "supine-chin-tuck", "standing-bends"]


def simulate(tmp: Path, scenario: str, duration: str, seed: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    out, truth = tmp / f"{scenario}.dorsal", tmp / f"{scenario}.json"
    subprocess.run([DORSAL, "simulate", "--scenario", scenario, "--duration", duration, "--out", str(out),
                    "--truth", str(truth), "--seed", str(seed)], check=True, capture_output=True, timeout=600)
    got = analyze(read_recording(out).samples).to_json(timeline=True)
    return got, json.loads(truth.read_text())


def events(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if e["kind"] == kind]


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start_s"] < b["end_s"] and b["start_s"] < a["end_s"]


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
