"""`dorsal calibrate` and `dorsal demo` from the command line (the installed entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dorsal.dashboard.script import Segment
from dorsal.store.store import Store

DORSAL = str(Path(sys.executable).with_name("dorsal"))


def run_dorsal(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DORSAL_HOME": str(home)}
    return subprocess.run([DORSAL, *args], capture_output=True, text=True, timeout=60, env=env)


def test_calibrate_headless_from_a_recording_stores_the_neutral(recording, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = recording([Segment(1, "sitting", 0), Segment(8, "sitting", 5, ramp_s=0.5)])
    out = run_dorsal("calibrate", "--replay", str(path), "--headless", "--speed", "0", home=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["device"] == "dorsal-test" and result["source"] == "calibrated" and len(result["neutral"]) == 4
    monkeypatch.setenv("DORSAL_HOME", str(tmp_path))
    with Store() as store:
        saved = store.latest_calibration("dorsal-test")
    assert saved is not None and saved["neutral"] == result["neutral"]


def test_calibrate_without_a_still_moment_says_so(recording, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = recording([Segment(6, "walking", 3)])
    out = run_dorsal("calibrate", "--replay", str(path), "--headless", "--speed", "0", home=tmp_path)
    assert out.returncode == 1
    assert "no still moment" in out.stderr and "Traceback" not in out.stderr


def test_demo_with_an_unknown_scenario_lists_the_known_ones(tmp_path: Path) -> None:
    out = run_dorsal("demo", "--scenario", "no-such-day", home=tmp_path)
    assert out.returncode == 1
    assert "no-such-day" in out.stderr and "tour" in out.stderr and "desk-day" in out.stderr
