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
