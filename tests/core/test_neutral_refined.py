"""Without a calibration the neutral is estimated from the first quiet upright seconds, which at a desk are often
a slouch. The first seconds of standing still after a stand-up give the neutral again (once), from the second
after them on: in any chunking of the input, never over the wearer's own calibration, and the per-sample
baseline does the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dorsal.bench._core_baseline import per_sample_baseline
from dorsal.core import ACTIVITIES, Analyzer, Settings, analyze, pipeline
from dorsal.core.activity import ACT
from dorsal.core.calibration import Calibration
from dorsal.core.pipeline import REFINE_STILL_S
from dorsal.recording import read_recording

from chunking import feed_chunked

DORSAL = str(Path(sys.executable).with_name("dorsal"))

LongSitting = tuple[np.ndarray, dict]  # the long_sitting fixture (conftest.py): samples, truth
FROM_S = 7700.0  # seated, slouched ~17 deg, ~360 s before the stand-up that ends the sitting
DESK_FROM_S = 300.0


def window(samples: np.ndarray, from_s: float) -> np.ndarray:
    return samples[samples["t_s"] - samples["t_s"][0] >= from_s]


def stand_up_s(truth: dict) -> float:
    (bout,) = [e for e in truth["events"] if e["kind"] == "prolonged_sitting"]
    return float(bout["end_s"])


def chunked(samples: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, list[dict], list[dict]]:
    result = feed_chunked(samples, sizes)
    return result.timeline, [e.to_json() for e in result.events], result.summary["calibrations"]


@pytest.fixture(scope="module")
def begun_slouched(long_sitting: LongSitting) -> np.ndarray:
    return window(long_sitting[0], FROM_S)


def test_a_session_begun_slouched_takes_its_neutral_again_from_standing(begun_slouched: np.ndarray,
                                                                         long_sitting: LongSitting) -> None:
    truth = long_sitting[1]
    a = analyze(begun_slouched, rate_hz=100.0)
    first, again = a.summary["calibrations"]
    assert first["source"] == again["source"] == "estimated" and first["from_s"] == 0.0
    assert again["estimated_while"] == "standing"
    lo, hi = again["estimated_from_s"]
    assert hi == again["from_s"] and hi - lo == REFINE_STILL_S
    up = stand_up_s(truth) - FROM_S
    assert up < lo < up + 30  # the first still seconds after the stand-up
    tl = a.timeline
    assert (tl["activity"][(tl["t_s"] >= lo) & (tl["t_s"] < hi)] == ACT["standing"]).all()
    truth_flex = np.array([r["flexion_deg"] for r in truth["timeline"]])
    err = tl["flexion_deg"] - truth_flex[tl["t_s"].astype(int) + int(FROM_S)]
    assert np.median(err[tl["t_s"] < up]) < -10  # the slouch taken for upright
    assert abs(np.median(err[tl["t_s"] >= hi])) < 2  # from the standing neutral on


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.data_too_large])
@given(st.lists(st.integers(1, 6000), min_size=1, max_size=12))
def test_any_chunking_takes_the_same_neutral_at_the_same_second(begun_slouched: np.ndarray, sizes: list[int]) -> None:
    whole = analyze(begun_slouched, rate_hz=100.0)  # one batch: the change is found inside it and cut there
    assert len(whole.summary["calibrations"]) == 2
    timeline, events, calibrations = chunked(begun_slouched, sizes)
    assert calibrations == whole.summary["calibrations"]
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events]


@pytest.mark.parametrize("size", [7, 100, 2500, 36_200])
def test_fixed_chunkings_take_the_same_neutral(begun_slouched: np.ndarray, size: int) -> None:
    """36,200 samples: the chunk that holds the still seconds goes on past them."""
    whole = analyze(begun_slouched, rate_hz=100.0)
    assert len(whole.summary["calibrations"]) == 2
    timeline, events, calibrations = chunked(begun_slouched, [size])
    assert calibrations == whole.summary["calibrations"]
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events]


@pytest.mark.parametrize("piece", [700, 6000])
def test_pieces_of_the_per_sample_stages_take_the_same_neutral(begun_slouched: np.ndarray, piece: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Analyzer._analyse runs the per-sample stages in pieces of BATCH_CHUNK samples and the per-second ones
    over all of them at once; the standing still seconds, seen in a run of several pieces, are analysed again
    one piece at a time (700 samples: a 5 s still run spans two pieces)."""
    whole = analyze(begun_slouched, rate_hz=100.0)  # one piece
    monkeypatch.setattr(pipeline, "BATCH_CHUNK", piece)
    monkeypatch.setattr(pipeline, "BATCH_SPAN", 8 * piece)
    cut = analyze(begun_slouched, rate_hz=100.0)
    assert cut.summary == whole.summary and len(whole.summary["calibrations"]) == 2
    assert np.array_equal(cut.timeline, whole.timeline)
    assert [e.to_json() for e in cut.events] == [e.to_json() for e in whole.events]


def test_the_wearers_calibration_is_never_replaced(begun_slouched: np.ndarray) -> None:
    estimated = analyze(begun_slouched, rate_hz=100.0).summary["calibrations"][0]
    own = Calibration(tuple(estimated["neutral"]), None, "calibrated")
    a = analyze(begun_slouched, calibration=own, rate_hz=100.0)
    assert [c["source"] for c in a.summary["calibrations"]] == ["calibrated"]
    # nor one made during the session, before the stand-up
    live = Analyzer(rate_hz=100.0, keep_timeline=True)
    live.feed(begun_slouched[:10_000])
    assert live.set_calibration(own) < 300
    live.feed(begun_slouched[10_000:])
    assert [c["source"] for c in live.finish().summary["calibrations"]] == ["estimated", "calibrated"]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dict]:
    """40 minutes of the simulator's desk day (seed 3, encoder engine, ~5 s to make), from 300 s on: the
    session begins seated, slouched; a walk and a stand follow, then more sitting and slouching."""
    tmp = tmp_path_factory.mktemp("desk")
    out, truth = tmp / "desk.dorsal", tmp / "desk.json"
    subprocess.run([DORSAL, "simulate", "--scenario", "desk-day", "--duration", "40m", "--engine", "encoder",
                    "--seed", "3", "--out", str(out), "--truth", str(truth)], check=True, capture_output=True,
                   timeout=300)
    samples = read_recording(out).samples
    return window(samples[np.argsort(samples["seq"], kind="stable")], DESK_FROM_S), json.loads(truth.read_text())


def test_the_slouches_after_the_stand_are_found(desk: tuple[np.ndarray, dict]) -> None:
    """With the slouch taken for upright no slouch was found in this session and three backward extensions
    were; from the standing neutral on, the slouches are found where the truth has them."""
    samples, truth = desk
    a = analyze(samples, rate_hz=100.0)
    assert [c.get("estimated_while") for c in a.summary["calibrations"]] == [None, "standing"]
    changed = a.summary["calibrations"][1]["from_s"] + DESK_FROM_S
    after = [(e["start_s"], e["end_s"]) for e in truth["events"] if e["kind"] == "slouch" and e["start_s"] > changed]
    found = [(e.start_s + DESK_FROM_S, e.end_s + DESK_FROM_S) for e in a.events if e.kind == "slouch"]
    assert len(after) >= 2 and found
    for start, end in found:  # each found slouch lies in one of the truth's
        assert any(start < t_end and end > t_start for t_start, t_end in after)
    assert sum(any(s < t_end and e > t_start for s, e in found) for t_start, t_end in after) >= len(after) - 1
    assert len([e for e in a.events if e.kind == "excessive_extension"]) <= 1


def test_the_baseline_takes_the_same_neutral_again(desk: tuple[np.ndarray, dict]) -> None:
    """The per-sample baseline of the bench (the same rules, written plainly) estimates the neutral again at the
    same second: the same activity seconds and events as the core's (which differ from the first neutral's)."""
    samples = desk[0]
    core = analyze(samples, rate_hz=100.0)
    first = Calibration.from_dict(core.summary["calibrations"][0])
    base = per_sample_baseline(samples, Settings(), first.body_to_sensor(), 100.0)
    assert base["activity_s"] == [int(core.summary["activity_s"][a]) for a in ACTIVITIES]
    assert {k: v for k, v in base["events"].items() if v} == {
        k: v for k, v in core.summary["events"].items() if k != "stretch"}
    kept = analyze(samples, calibration=Calibration(first.neutral, None, "calibrated"), rate_hz=100.0)
    assert kept.summary["events"] != core.summary["events"]  # the change is what both found


def test_the_cut_sessions_command_reports_both_neutrals_against_the_truth() -> None:
    """The README's figures come from python -m dorsal.sim.neutral_cuts: here on 40 minutes of the desk day."""
    out = subprocess.run([sys.executable, "-m", "dorsal.sim.neutral_cuts", "--duration", "40m", "--step", "300"],
                         check=True, capture_output=True, text=True, timeout=300)
    r = json.loads(out.stdout)
    assert r["sessions"] == 7 and r["core"]["seconds"] == r["first_estimate_kept"]["seconds"] > 10_000
    assert 0 < r["core"]["estimated_again"] < r["sessions"]
    assert r["truth"]["events"]["excessive_extension"] == 0
    core, kept = r["core"], r["first_estimate_kept"]
    assert core["events"]["excessive_extension"] < kept["events"]["excessive_extension"]
    assert core["seconds_off"] < kept["seconds_off"]
