"""The core bench's baseline implements the core's rules: on simulated recordings it finds the same
seconds of each activity and the same events, so the bench compares like with like."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dorsal.bench._core_baseline import per_sample_baseline
from dorsal.core import ACTIVITIES, Settings, analyze
from dorsal.recording import read_recording

DORSAL = str(Path(sys.executable).with_name("dorsal"))


@pytest.mark.parametrize(("scenario", "rate_hz", "duration"), [
    ("sit-stand", 100, "150s"), ("unsafe-frequent-twists", 100, "240s"), ("trap-lying-rest", 200, "200s"),
])
def test_the_baseline_finds_what_the_core_finds(tmp_path: Path, scenario: str, rate_hz: int, duration: str) -> None:
    out = tmp_path / "sim.dorsal"
    subprocess.run([DORSAL, "simulate", "--scenario", scenario, "--duration", duration, "--rate", str(rate_hz),
                    "--out", str(out), "--seed", "5"], check=True, capture_output=True, timeout=300)
    samples = read_recording(out).samples
    core = analyze(samples, rate_hz=rate_hz)
    base = per_sample_baseline(samples, Settings(), core.calibration.body_to_sensor(), rate_hz)
    assert base["activity_s"] == [int(core.summary["activity_s"][a]) for a in ACTIVITIES]
    found = {k: v for k, v in base["events"].items() if v}
    assert found == {k: v for k, v in core.summary["events"].items() if k != "stretch"}
    assert sum(base["activity_s"]) > 100 and len(set(core.timeline["activity"])) >= 2  # not a trivial case


def test_the_baseline_turns_unknown_seconds_before_a_stand_up_into_sitting_as_the_core_does(tmp_path: Path) -> None:
    """A session begun seated (sit-stand cut 12 s in, mid-sit): the stand-up ends unknown seconds, which both
    count as a sitting bout, past a 10 s limit here."""
    out = tmp_path / "sim.dorsal"
    subprocess.run([DORSAL, "simulate", "--scenario", "sit-stand", "--duration", "150s", "--out", str(out), "--seed",
                    "5"], check=True, capture_output=True, timeout=300)
    samples = read_recording(out).samples
    samples = samples[samples["t_s"] - samples["t_s"][0] >= 12.0]
    settings = Settings(sitting_bout_max_s=10.0)
    core = analyze(samples, settings, rate_hz=100)
    base = per_sample_baseline(samples, settings, core.calibration.body_to_sensor(), 100)
    assert [e.figures.get("inferred") for e in core.events if e.kind == "prolonged_sitting"][:1] == [True]
    assert base["activity_s"] == [int(core.summary["activity_s"][a]) for a in ACTIVITIES]
    assert {k: v for k, v in base["events"].items() if v} == {
        k: v for k, v in core.summary["events"].items() if k != "stretch"}
    assert base["sitting_bouts"] == core.summary["sitting_bouts"]
    assert base["longest_sitting_bout_s"] == core.summary["longest_sitting_bout_s"]
    assert base["sitting_inferred_s"] == core.summary["sitting_inferred_s"] > 10


def test_the_baseline_leaves_out_unusable_samples_as_the_core_does(tmp_path: Path) -> None:
    """A NaN orientation, zero quaternions, a NaN acceleration and an infinite gyro reading in a sit-stand
    session: both leave out the same blocks and find the same activity seconds and events."""
    out = tmp_path / "sim.dorsal"
    subprocess.run([DORSAL, "simulate", "--scenario", "sit-stand", "--duration", "150s", "--out", str(out), "--seed",
                    "5"], check=True, capture_output=True, timeout=300)
    samples = read_recording(out).samples.copy()
    samples["qw"][2000:2100] = np.nan
    for f in ("qw", "qx", "qy", "qz"):
        samples[f][4000:4050] = 0.0
    samples["ax_mps2"][6001] = np.nan
    samples["gz_rps"][8003] = np.inf
    core = analyze(samples, rate_hz=100)
    base = per_sample_baseline(samples, Settings(), core.calibration.body_to_sensor(), 100)
    assert core.summary["unusable_s"] > 1.0
    assert base["activity_s"] == [int(core.summary["activity_s"][a]) for a in ACTIVITIES]
    assert {k: v for k, v in base["events"].items() if v} == {
        k: v for k, v in core.summary["events"].items() if k != "stretch"}
    assert len(set(core.timeline["activity"])) >= 3
