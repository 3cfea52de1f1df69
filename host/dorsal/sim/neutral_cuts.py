"""Sessions begun at any moment of a simulated day, without a calibration: what the estimated neutral costs.

A simulated day (the encoder engine: the firmware's fusion output, quickly) is analysed from the start of every
``--step`` seconds on, as if the wearer had started the session then without a calibration. Each session is
analysed twice: as the core does (the neutral estimated from the first quiet upright seconds, then once again
from the first seconds of standing still after a stand-up), and keeping the first estimate all session. The
events of each kind, summed over the sessions, are printed beside the truth's (events that go on past a
session's first minute), with the seconds whose flexion is off the truth's by more than 5 deg:

    python -m dorsal.sim.neutral_cuts --scenario desk-day --seed 3 --step 60

prints JSON (the README's figures; tests/core/test_neutral_refined.py checks one such session).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dorsal.core import Analysis, analyze
from dorsal.core.calibration import Calibration
from dorsal.recording import read_recording

KINDS = ("slouch", "excessive_extension", "stretch", "prolonged_sitting", "twist")
OFF_DEG = 5.0


def _tally(result: Analysis, truth_flex: np.ndarray, from_s: int, out: dict[str, Any]) -> None:
    for ev in result.events:
        if ev.kind in out["events"]:
            out["events"][ev.kind] += 1
    tl = result.timeline
    at = tl["t_s"].astype(np.int64) + from_s
    ok = at < truth_flex.size
    out["seconds_off"] += int((np.abs(tl["flexion_deg"][ok] - truth_flex[at[ok]]) > OFF_DEG).sum())
    out["seconds"] += int(ok.sum())


def evaluate(samples: np.ndarray, truth: dict[str, Any], step_s: int, tail_s: int = 300) -> dict[str, Any]:
    """samples in sequence order; truth: the simulator's truth JSON."""
    t = samples["t_s"] - samples["t_s"][0]
    truth_flex = np.array([row["flexion_deg"] for row in truth["timeline"]])
    starts = list(range(0, max(1, int(t[-1]) - tail_s), step_s))
    fresh = {k: 0 for k in KINDS}
    out: dict[str, Any] = {"sessions": len(starts), "step_s": step_s,
                           "core": {"events": dict(fresh), "seconds_off": 0, "seconds": 0, "estimated_again": 0},
                           "first_estimate_kept": {"events": dict(fresh), "seconds_off": 0, "seconds": 0},
                           "truth": {"events": dict(fresh)}}
    for from_s in starts:
        part = samples[t >= from_s]
        core = analyze(part)
        _tally(core, truth_flex, from_s, out["core"])
        first = core.summary["calibrations"][0]
        out["core"]["estimated_again"] += len(core.summary["calibrations"]) > 1
        kept = analyze(part, calibration=Calibration(tuple(first["neutral"]), None, "calibrated"))
        _tally(kept, truth_flex, from_s, out["first_estimate_kept"])
        for ev in truth["events"]:
            if ev["kind"] in fresh and ev["end_s"] > from_s + 60:
                out["truth"]["events"][ev["kind"]] += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dorsal.sim.neutral_cuts", description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="desk-day")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--duration", default=None, help="simulated time (default: the scenario's own)")
    parser.add_argument("--step", type=int, default=60, help="seconds between the sessions' starts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rec, truth = Path(tmp) / "day.dorsal", Path(tmp) / "day.json"
        cmd = [sys.executable, "-m", "dorsal", "simulate", "--scenario", args.scenario, "--seed", str(args.seed),
               "--engine", "encoder", "--out", str(rec), "--truth", str(truth)]
        if args.duration:
            cmd += ["--duration", args.duration]
        subprocess.run(cmd, check=True, capture_output=True)
        samples = read_recording(rec).samples
        result = evaluate(samples[np.argsort(samples["seq"], kind="stable")], json.loads(truth.read_text()),
                          args.step)
    print(json.dumps({"scenario": args.scenario, "seed": args.seed, **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
