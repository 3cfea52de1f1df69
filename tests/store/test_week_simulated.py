"""Acceptance: a week of simulated days (from the simulator) gives the expected report figures.

Days are compressed (tens of minutes) to keep the test short. The same
recordings are judged twice: the store fed with the simulator's ground truth
must reproduce the simulator's own summary, and the store fed with the
recordings (analysed by the core, imported, then rebuilt) must match the
truth within stated tolerances.

The recordings are the product's real path: the firmware runs in the loop
(its fusion, its settling after power-up), and the wearer calibrates as the
product asks. The simulator clips the board on anew for every session (a new
mounting per seed, as a board clipped on by feel is), so each session opens
with the wearer standing still for 10 s and the calibration is taken there by
the product's own headless calibration (``dorsal calibrate --headless``'s
code), stored for the wearable at the session's start; the store analyses
each recording with the calibration in effect then. A single Monday
calibration would not fit Tuesday's mounting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from dorsal.cli import main
from dorsal.report.build import build_report
from dorsal.report.figures import DayFigures, FigureSettings, day_figures_from_analysis, merge_days
from dorsal.report.svg import render_svg
from dorsal.report.terminal import render
from dorsal.store import Store

MONDAY = dt.date(2026, 3, 9)
#: The wearer stands still this long when a session starts, to calibrate.
CALIBRATION_STILL_S = 10
#: (day of the week, start hour, scenario, minutes, seed)
WEEK = [
    (0, 9.0, "desk-day", 40, 10),
    (1, 9.0, "unsafe-frequent-twists", 40, 11),
    (2, 9.0, "desk-day", 30, 12),
    (2, 11.0, "standing-bends", 5, 13),
    (3, 9.0, "unsafe-frequent-twists", 40, 14),
    (4, 9.0, "unsafe-long-sitting", 35, 15),
    (5, 10.0, "unsafe-frequent-twists", 40, 16),
    (6, 9.0, "desk-day", 30, 17),
]

#: Tolerances of recording-vs-truth figures (the detectors are judged in the core's own tests;
#: these say the report carries their results through to the right day and hour).
ACTIVITY_TOL = lambda worn_s: max(90.0, 0.10 * worn_s)  # noqa: E731
SLOUCH_SHARE_TOL = 0.15
COUNT_TOL = 1


@dataclass
class SimDay:
    day: str
    start_unix_s: float
    recording: Path
    truth: dict


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> list[SimDay]:
    folder = tmp_path_factory.mktemp("week")
    out = []
    for weekday, hour, scenario, minutes, seed in WEEK:
        rec, truth = folder / f"{weekday}-{scenario}.drec", folder / f"{weekday}-{scenario}.json"
        # the firmware in the loop (the default engine), as a real session records
        code = main(["simulate", "--scenario", scenario, "--duration", f"{minutes}m", "--seed", str(seed),
                     "--start-still", str(CALIBRATION_STILL_S), "--out", str(rec), "--truth", str(truth)])
        assert code == 0
        day = MONDAY + dt.timedelta(days=weekday)
        start = dt.datetime.combine(day, dt.time()).timestamp() + hour * 3600
        out.append(SimDay(day.isoformat(), start, rec, json.loads(truth.read_text())))
    return out


def truth_days(week: list[SimDay]) -> dict[str, DayFigures]:
    parts: dict[str, list[DayFigures]] = {}
    for d in week:
        for key, f in day_figures_from_analysis(d.truth, d.start_unix_s, FigureSettings()).items():
            parts.setdefault(key, []).append(f)
    return {k: merge_days(v, k) for k, v in parts.items()}


@pytest.mark.slow
def test_a_store_fed_with_ground_truth_reproduces_the_simulators_summary(week: list[SimDay], tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        for d in week:
            sid = store.start_session("sim", d.start_unix_s, source="truth")
            store.record_analysis(sid, d.truth, d.start_unix_s)
        # Pain on three days spread over more than three weeks (two before this week).
        for back in (24, 10, 0):
            store.log_pain(d.start_unix_s - back * 86400 + 600, {"during": "desk work"})
        for d in week:
            f = store.day(d.day)
            same_day = [w for w in week if w.day == d.day]
            s = [w.truth["summary"] for w in same_day]
            assert f.activity_s["sitting"] == pytest.approx(sum(x["activity_s"]["sitting"] for x in s), abs=2 * len(s))
            assert f.slouch_s == pytest.approx(sum(x["slouch_s"] for x in s), abs=3 * len(s))
            assert f.twists == sum(x["twists"] for x in s)
            assert sorted(x.stretch_id for x in f.stretches) == sorted(i for x in s for i in x["stretches"])
            assert f.longest_sitting_bout_s == pytest.approx(max(x["longest_sitting_bout_s"] for x in s), abs=2)
            assert f.sitting_bouts_over_limit == sum(x["events"].get("prolonged_sitting", 0) for x in s)
        week_report = build_report(store, "week", (MONDAY + dt.timedelta(days=6)).isoformat())
        day_report = build_report(store, "day", MONDAY.isoformat())
    over = [f.day for f in week_report.days if f.twists > f.twist_limit_per_day]
    assert len(over) >= 3, f"the twisting days of the scenario should pass the limit: {over}"
    keys = [a.key for a in week_report.advice]
    assert "twist-stretch-instead" in keys and "pain-see-doctor" in keys
    text = render(week_report)
    assert "twists" in text and "doctor" in text and "safety notes" in text
    for report in (week_report, day_report):
        svg = render_svg(report)
        ET.fromstring(svg)
        exe = shutil.which("rsvg-convert")
        if exe:
            svg_path = tmp_path / f"{report.kind}.svg"
            svg_path.write_text(svg)
            done = subprocess.run([exe, "-o", str(svg_path.with_suffix(".png")), str(svg_path)], capture_output=True)
            assert done.returncode == 0, done.stderr


def calibrate_on_put_on(recording: Path) -> dict:
    """The neutral as ``dorsal calibrate --replay FILE --headless`` takes it: the first still moment."""
    from dorsal.commands.calibrate import calibrate_headless
    from dorsal.dashboard.feed import RecordingLink

    return asyncio.run(calibrate_headless(RecordingLink(recording, speed=1e6)))


@pytest.mark.slow
def test_a_week_of_recordings_gives_the_figures_of_its_ground_truth(week: list[SimDay], tmp_path: Path) -> None:
    from dorsal.recording import read_recording
    from dorsal.store.rebuild import ProgressBar, core_analyze, device_name, import_recording, rebuild

    used: list[tuple[float, ...]] = []

    def analyze(samples, calibration, changes=()):  # type: ignore[no-untyped-def]
        used.append(tuple(calibration["neutral"]) if calibration else ())
        return core_analyze(samples, calibration, changes)

    truth = truth_days(week)
    with Store(tmp_path / "h.db") as store:
        stored = []
        for d in week:
            device = device_name(read_recording(d.recording).header)
            assert device, "a recording names its wearable"
            cal = calibrate_on_put_on(d.recording)
            store.save_calibration(device, cal, t_unix_s=d.start_unix_s)
            stored.append(tuple(cal["neutral"]))
            import_recording(store, d.recording, start_unix_s=d.start_unix_s, analyze=analyze)
        # each session is analysed with the calibration taken when it started, not an estimate
        assert used == stored
        first = {k: store.day(k).to_dict() for k in truth}
        bar = io.StringIO()
        result = rebuild(store, analyze=analyze, progress=ProgressBar(bar))
        assert used[len(week):] == stored
        assert result.sessions == len(week) and not [p for p in result.problems if "truncated" not in p]
        assert "100%" in bar.getvalue().splitlines()[-1]
        # Rebuilding replaces, it does not add.
        assert {k: store.day(k).to_dict() for k in truth} == first
        got = {k: store.day(k) for k in truth}
    misses = []
    for key, want in truth.items():
        f = got[key]
        tol = ACTIVITY_TOL(want.worn_s)
        for a in ("sitting", "standing", "walking", "lying"):
            if abs(f.activity_s[a] - want.activity_s[a]) > tol:
                misses.append(f"{key} {a}: report {f.activity_s[a]:.0f} s, truth {want.activity_s[a]:.0f} s")
        if abs(f.slouch_share - want.slouch_share) > SLOUCH_SHARE_TOL:
            misses.append(f"{key} slouched: report {f.slouch_share:.2f}, truth {want.slouch_share:.2f}")
        for name, mine, theirs in (("twists", f.twists, want.twists),
                                   ("stretches", len(f.stretches), len(want.stretches)),
                                   ("bouts over the limit", f.sitting_bouts_over_limit, want.sitting_bouts_over_limit)):
            if abs(mine - theirs) > COUNT_TOL:
                misses.append(f"{key} {name}: report {mine}, truth {theirs}")
    assert not misses, "report vs ground truth:\n" + "\n".join(misses)
