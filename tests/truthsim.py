"""Simulate a scenario with its ground truth and analyse it: the detectors against the simulator's truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from dorsal.core import analyze
from dorsal.recording import read_recording

DORSAL = str(Path(sys.executable).with_name("dorsal"))
STRETCHES = ["standing-back-lean", "chair-back-extension", "side-lying-knees-to-chest", "assisted-prone-press",
             "ball-rollout", "seated-twist", "bed-edge-extension", "rocking", "supine-chin-tuck", "standing-bends"]


#: (scenario, duration, seed) -> the recording and truth files already simulated in this process: the simulator
#: is seeded, so a second test of the same scenario (ball-rollout, say, both a stretch and an extension) reads
#: the same files instead of simulating them again. Each test still analyses the recording itself.
_SIMULATED: dict[tuple[str, str, int], tuple[Path, Path]] = {}


def simulate(tmp: Path, scenario: str, duration: str, seed: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    key = (scenario, duration, seed)
    if key not in _SIMULATED:
        out, truth = tmp / f"{scenario}-{duration}-{seed}.dorsal", tmp / f"{scenario}-{duration}-{seed}.json"
        subprocess.run([DORSAL, "simulate", "--scenario", scenario, "--duration", duration, "--out", str(out),
                        "--truth", str(truth), "--seed", str(seed)], check=True, capture_output=True, timeout=600)
        _SIMULATED[key] = out, truth
    out, truth = _SIMULATED[key]
    got = analyze(read_recording(out).samples).to_json(timeline=True)
    return got, json.loads(truth.read_text())


def events(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if e["kind"] == kind]


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start_s"] < b["end_s"] and b["start_s"] < a["end_s"]
