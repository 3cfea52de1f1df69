"""A recorded session keeps the calibration and settings changes its live analysis took (analysis notes), so
`dorsal analyze`, the store's rebuild and a replay analyse it as the dashboard did."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dorsal.commands import analyze as analyze_cmd
from dorsal.core import Analyzer, Calibration, Settings
from dorsal.core.pipeline import rate_of
from dorsal.dashboard.script import Segment
from dorsal.recording import (AnalysisInput, analysis_changes, analysis_input, calibration_note, read_recording,
                              settings_note)
from dorsal.store.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from test_watch_links import SIZE, watch_app  # noqa: E402

#: neutrals of the nominal mounting pitched by a few degrees (rotations about the sensor's X)
STORED = Calibration((math.cos(math.radians(47)), math.sin(math.radians(47)), 0.0, 0.0), None, "calibrated")
RECALIBRATED = Calibration((math.cos(math.radians(50)), math.sin(math.radians(50)), 0.0, 0.0), None, "calibrated")
ELSEWHERE = Calibration((math.cos(math.radians(40)), math.sin(math.radians(40)), 0.0, 0.0), None, "calibrated")
#: every second is past this limit: from its change on, one excessive extension to the end
LIMIT_DEG = -100.0


class KeepingAnalyzer(Analyzer):
    """The dashboard's analysis, keeping its timeline (the dashboard leaves it off) for the comparison."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **{**kw, "keep_timeline": True})


def same(a: Any, b: Any) -> None:
    assert np.array_equal(a.timeline, b.timeline)
    assert [e.to_json() for e in a.events] == [e.to_json() for e in b.events]
    assert a.summary == b.summary


def analyze_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """`dorsal analyze FILE --json --timeline`: the document and the warnings."""
    capsys.readouterr()
    args = argparse.Namespace(file=str(path), imu_csv=None, json=True, timeline=True, filter="best")
    assert analyze_cmd.run(args) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_a_recorded_session_is_analysed_and_replayed_with_the_changes_made_live(
        tmp_path: Path, dorsal_home: Path, wait_for: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("dorsal.dashboard.live.Analyzer", KeepingAnalyzer)
    path = tmp_path / "session.dorsal"
    # the wearable's stored calibration, whatever name the virtual radio gives it
    monkeypatch.setattr(Store, "latest_calibration", lambda self, device: STORED.to_dict())
    live, rate_hz, n, last_t_s, fed_at = asyncio.run(_live_session(path, wait_for))

    rec = read_recording(path)
    inp = analysis_input(rec)
    assert rec.ok and not inp.problems
    notes = [(c.calibration, c.settings, c.device_t_s) for c in inp.changes]
    assert notes == [(STORED, None, None), (None, {"extension_limit_deg": 15.0}, None),  # the start: the coach's
                     (RECALIBRATED, None, fed_at[0]), (None, {"extension_limit_deg": LIMIT_DEG}, fed_at[1])]
    # the link handed out the recording's samples, by seq: the live analysis saw its first n
    assert inp.samples.size >= n and float(inp.samples["t_s"][n - 1]) == last_t_s
    # each at its own estimate of the rate: the dashboard's from its first batch, the recording's from its first
    # 10,000 samples (both pipeline.spacing_rate: unrounded they read 100.0000000000021 and 99.99999999998437 here,
    # and blocks of 4 and 3 samples)
    assert rate_hz == rate_of(inp.samples) == 100.0
    same(analyze_cmd.analyze_input(AnalysisInput(inp.samples[:n], inp.calibration, inp.changes, [])), live)
    origin = float(inp.samples["t_s"][0])
    froms = [0.0, math.floor(fed_at[0] - origin) + 1]
    assert [(c["from_s"], c["neutral"]) for c in live.summary["calibrations"]] == [
        (froms[0], list(STORED.neutral)), (froms[1], list(RECALIBRATED.neutral))]
    (ext,) = [e for e in live.events if e.kind == "excessive_extension"]
    # from the limit's second on, every analysed second is past it: the event begins at the first of them (the
    # virtual radio may have lost a few seconds there under load; a lost second has no row)
    limit_from = math.floor(fed_at[1] - origin) + 1
    assert ext.start_s == live.timeline["t_s"][live.timeline["t_s"] >= limit_from][0]
    assert ext.start_s - limit_from <= 5 and ext.figures["limit_deg"] == LIMIT_DEG

    doc, err = analyze_json(path, capsys)
    assert err == ""
    assert [(c["from_s"], c["neutral"]) for c in doc["summary"]["calibrations"]] == [
        (froms[0], list(STORED.neutral)), (froms[1], list(RECALIBRATED.neutral))]
    assert any(e["kind"] == "excessive_extension" and e["limit_deg"] == LIMIT_DEG for e in doc["events"])
    assert len(doc["timeline"]) >= len(live.timeline)

    # the replay makes the same changes at the same device times, not the store's calibration of today
    monkeypatch.setattr(Store, "latest_calibration", lambda self, device: ELSEWHERE.to_dict())
    replayed, rate_hz, view = asyncio.run(_replay(path, wait_for))
    assert rate_hz == 100.0
    same(replayed, analyze_cmd.analyze_input(inp))
    assert view.extension_limit_deg == LIMIT_DEG and view.neutral == "calibrated"


async def _live_session(path: Path, wait_for: Any) -> tuple[Any, float, int, float, list[float]]:
    """`dorsal watch --sim --link ble --record FILE`: recalibrated at ~6 s, the extension limit changed at ~12 s."""
    link, app = watch_app("--sim", "desk-day", "--link", "ble", "--speed", "8", "--record", str(path))
    fed_at = []
    async with app.run_test(size=SIZE) as pilot:
        tracker = app.tracker
        await wait_for(pilot, lambda: tracker.samples >= 600, timeout_s=90)
        app.apply_calibration(RECALIBRATED)
        fed_at.append(tracker.t_s)
        # each change gets 6 s of samples after it, counted from where it was made (under load the polling
        # lags: counted from the start, the limit's change once came a second before the end and made no event)
        at = tracker.samples
        await wait_for(pilot, lambda: tracker.samples >= at + 600, timeout_s=60)
        tracker.set_extension_limit(LIMIT_DEG)
        fed_at.append(tracker.t_s)
        at = tracker.samples
        await wait_for(pilot, lambda: tracker.samples >= at + 600, timeout_s=60)
    return tracker.analyzer.finish(), tracker.analyzer.rate_hz, tracker.samples, tracker.t_s, fed_at


async def _replay(path: Path, wait_for: Any) -> tuple[Any, float, Any]:
    link, app = watch_app("--replay", str(path), "--speed", "0")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.link_state == "ended", timeout_s=60)
        view = app.tracker.view()
    return app.tracker.analyzer.finish(), app.tracker.analyzer.rate_hz, view


def test_damaged_or_unknown_analysis_notes_are_skipped_with_one_warning(
        recording: Any, capsys: pytest.CaptureFixture[str]) -> None:
    notes = [
        calibration_note(STORED, None), settings_note(Settings(extension_limit_deg=LIMIT_DEG), 20.0),
        calibration_note(RECALIBRATED, 30.0),
        {"analysis": "calibration", "calibration": {"neutral": [0.0, 0.0]}, "device_t_s": 5.0},
        {"analysis": "calibration", "calibration": {"neutral": [0.7, 0.7, 0.0, 0.0]}, "device_t_s": "later"},
        {"analysis": "settings", "settings": {"no_such_setting": 1.0}, "device_t_s": 10.0},
        {"analysis": "settings", "settings": {"slouch_threshold_deg": "steep"}, "device_t_s": 10.0},
        {"analysis": "teleport", "device_t_s": 12.0},
        {"link": "connected"},  # a link event: not the analysis'
    ]
    segs = [Segment(10, "standing", 0), Segment(40, "sitting", 3)]
    path = recording(segs, notes=notes)
    plain = analysis_input(read_recording(recording(segs)))
    doc, err = analyze_json(path, capsys)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "5 analysis notes skipped (damaged or of an unknown shape)" in lines[0]
    assert doc["summary"]["problems"] == [lines[0].split("warning: ")[1].split(" (analysing")[0]]
    # every sample is analysed, with the notes that are whole
    assert len(doc["timeline"]) == doc["summary"]["duration_s"] == len(analyze_cmd.analyze_input(plain).timeline)
    assert [(c["from_s"], c["neutral"]) for c in doc["summary"]["calibrations"]] == [
        (0.0, list(STORED.neutral)), (31.0, list(RECALIBRATED.neutral))]
    assert doc["summary"]["settings_changes"] == [{"from_s": 21.0, "extension_limit_deg": LIMIT_DEG}]
    (ext,) = [e for e in doc["events"] if e["kind"] == "excessive_extension"]
    assert ext["start_s"] == 21.0 and ext["limit_deg"] == LIMIT_DEG
    # the human summary names each calibration with the time it applied from
    args = argparse.Namespace(file=str(path), imu_csv=None, json=False, timeline=False, filter="best")
    assert analyze_cmd.run(args) == 0
    assert "(calibrations: calibrated from 0m00s, calibrated from 0m31s," in capsys.readouterr().out


def test_the_rebuild_analyses_a_recording_with_its_changes(recording: Any, tmp_path: Path) -> None:
    from dorsal.store.rebuild import core_analyze, import_recording, rebuild

    notes = [calibration_note(RECALIBRATED, 30.0), settings_note(Settings(extension_limit_deg=LIMIT_DEG), 20.0)]
    path = recording([Segment(10, "standing", 0), Segment(40, "sitting", 3)], notes=notes)
    seen: list[Any] = []

    def analyze(samples, calibration, changes=()):  # type: ignore[no-untyped-def]
        seen.append(core_analyze(samples, calibration, changes))
        return seen[-1]

    with Store(tmp_path / "h.db") as store:
        # the wearable's calibration in the store was in force at the start; the notes change it at 30 s
        store.save_calibration("dorsal-test", STORED.to_dict(), t_unix_s=1.0)
        import_recording(store, path, analyze=analyze)
        result = rebuild(store, analyze=analyze)
    assert result.sessions == 1 and not result.problems and len(seen) == 2
    for got in seen:
        assert [(c["from_s"], c["neutral"]) for c in got["summary"]["calibrations"]] == [
            (0.0, list(STORED.neutral)), (31.0, list(RECALIBRATED.neutral))]
        assert got["summary"]["settings_changes"] == [{"from_s": 21.0, "extension_limit_deg": LIMIT_DEG}]
        (ext,) = [e for e in got["events"] if e["kind"] == "excessive_extension"]
        assert ext["start_s"] == 21.0 and ext["limit_deg"] == LIMIT_DEG


def test_notes_made_before_the_recording_opens_are_written_when_it_opens(tmp_path: Path) -> None:
    """The link opens its recording once the device has said who it is; a note made before waits for it."""
    from dorsal.links.base import DeviceInfo, Link

    link = Link(record=tmp_path / "early.dorsal")
    link.record_note(settings_note(Settings(extension_limit_deg=15.0), None))
    link.info = DeviceInfo("dorsal-1a2b")
    link._open_recording()
    link.record_note(calibration_note(RECALIBRATED, 12.5))
    link._writer.close()
    changes, problems = analysis_changes(read_recording(tmp_path / "early.dorsal").notes)
    assert not problems
    assert [(c.device_t_s, c.settings, c.calibration) for c in changes] == [
        (None, {"extension_limit_deg": 15.0}, None), (12.5, None, RECALIBRATED)]
