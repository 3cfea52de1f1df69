"""A session begun already seated: the core sees no sit-down, so the posture reads unknown until the stand-up
that ends the sitting. That stand-up tells what the unknown seconds were: they become a sitting bout (their
timeline rows stay unknown), with its prolonged-sitting event, in any chunking of the input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dorsal.core import ACTIVITIES, Analyzer, Settings, analyze
from dorsal.core.runs import RunTracker
from dorsal.recording import read_recording

from chunking import feed_chunked

DORSAL = str(Path(sys.executable).with_name("dorsal"))
LongSitting = tuple[np.ndarray, dict]  # the long_sitting fixture (conftest.py): samples, truth


def window(samples: np.ndarray, from_s: float, to_s: float = np.inf) -> np.ndarray:
    t = samples["t_s"] - samples["t_s"][0]
    return samples[(t >= from_s) & (t < to_s)]


def truth_stand_up_s(truth: dict) -> float:
    """When the truth's one sitting bout ends (s since the recording's start)."""
    (bout,) = [e for e in truth["events"] if e["kind"] == "prolonged_sitting"]
    return float(bout["end_s"])


def chunked(samples: np.ndarray, sizes: list[int],
            st_: Settings | None = None) -> tuple[np.ndarray, list[dict], dict]:
    result = feed_chunked(samples, sizes, st_)
    return result.timeline, [e.to_json() for e in result.events], result.summary


def inferred_bouts(events: list[dict]) -> list[dict]:
    return [e for e in events if e["kind"] == "prolonged_sitting" and e.get("inferred")]


def test_a_session_begun_seated_gets_its_long_sitting_bout_when_the_wearer_stands_up(long_sitting: LongSitting) -> None:
    samples, truth = long_sitting
    cut = 600.0  # the session starts 10 min into the sitting: no sit-down to see
    got = analyze(window(samples, cut)).to_json(timeline=True)
    summary = got["summary"]
    (bout,) = [e for e in got["events"] if e["kind"] == "prolonged_sitting"]
    assert bout["inferred"] is True and bout["start_s"] <= 2.0
    assert abs(bout["end_s"] - (truth_stand_up_s(truth) - cut)) <= 3.0
    assert bout["inferred_s"] == bout["duration_s"] == bout["end_s"] - bout["start_s"]
    # the rows were emitted before the stand-up was seen: they stay unknown; the bout counts the seconds
    rows = np.array([r["activity"] for r in got["timeline"]])
    assert (rows[: int(bout["end_s"])] == "unknown").all() and summary["activity_s"]["sitting"] == 0
    assert summary["sitting_bouts"] == 1 and summary["longest_sitting_bout_s"] == bout["duration_s"]
    assert summary["sitting_inferred_s"] == bout["duration_s"]


def test_from_the_start_the_sit_down_is_seen_and_nothing_is_inferred(long_sitting: LongSitting) -> None:
    samples, truth = long_sitting
    got = analyze(samples).to_json()
    (bout,) = [e for e in got["events"] if e["kind"] == "prolonged_sitting"]
    assert "inferred" not in bout and abs(bout["end_s"] - truth_stand_up_s(truth)) <= 3.0
    assert got["summary"]["sitting_inferred_s"] == 0


@pytest.mark.parametrize(("seconds", "from_s", "to_s", "bout_max_s"),
                         [(7, 6000, 8300, 1800.0), (1, 7500, 8250, 300.0)])
def test_chunkings_give_the_inferred_bout_of_the_whole(long_sitting: LongSitting, seconds: int, from_s: float,
                                                       to_s: float, bout_max_s: float) -> None:
    samples = window(long_sitting[0], from_s, to_s)
    st_ = Settings(sitting_bout_max_s=bout_max_s)
    whole = analyze(samples, st_, rate_hz=100.0)
    timeline, events, summary = chunked(samples, [100 * seconds], st_)
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events] and len(inferred_bouts(events)) == 1
    assert summary["sitting_inferred_s"] == whole.summary["sitting_inferred_s"] > bout_max_s


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.data_too_large])
@given(st.lists(st.integers(50, 5000), min_size=1, max_size=12))
def test_random_chunkings_give_the_inferred_bout_of_the_whole(long_sitting: LongSitting, sizes: list[int]) -> None:
    samples = window(long_sitting[0], 7700, 8200)
    st_ = Settings(sitting_bout_max_s=200.0)
    whole = analyze(samples, st_, rate_hz=100.0)
    timeline, events, summary = chunked(samples, sizes, st_)
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events] and len(inferred_bouts(events)) == 1
    assert summary == whole.summary


def test_the_live_state_counts_the_still_unknown_seconds_and_then_the_inferred_bout(long_sitting: LongSitting) -> None:
    samples = window(long_sitting[0], 7900, 8200)
    a = Analyzer(rate_hz=100.0)
    seen = []
    for i in range(0, samples.size, 1000):
        u = a.feed(samples[i : i + 1000])
        if u.timeline.size:
            lv = u.live
            seen.append((lv.t_s, lv.activity, lv.unknown_still_s, lv.sitting_bout_s, lv.sitting_bout_end_s))
    stand_up = next(k for k, s in enumerate(seen) if s[1] == "standing")
    assert all(act == "unknown" and still == t + 1 and bout == 0 for t, act, still, bout, _ in seen[:stand_up])
    t, _, still, bout, end = seen[stand_up]
    assert still == 0 and end == a.live.sitting_inferred_s > 150 and bout == t + 1  # the bout began at second 0


def test_an_unknown_run_that_a_walk_ends_stays_unknown(tmp_path: Path) -> None:
    """Standing at the start, then walking (the simulator's floor pick-ups, seed 10): a walk does not tell
    what came before it, so nothing is inferred."""
    out = tmp_path / "pickup.dorsal"
    subprocess.run([DORSAL, "simulate", "--scenario", "trap-floor-pickup", "--engine", "encoder", "--duration", "60s",
                    "--out", str(out), "--seed", "10"], check=True, capture_output=True, timeout=300)
    got = analyze(read_recording(out).samples)
    act = got.timeline["activity"]
    first = int(np.argmax(act != ACTIVITIES.index("unknown")))
    assert first > 10 and ACTIVITIES[act[first]] == "walking"  # the case: a long unknown run, then a walk
    assert got.summary["sitting_inferred_s"] == 0 and got.summary["sitting_bouts"] == 0


def test_unknown_seconds_added_after_a_stand_up_join_the_sitting_that_follows_within_the_break() -> None:
    """RunTracker.add_earlier: the added seconds form a run with true seconds closer than the gap after them,
    and a run still open before them; any cut of the seconds gives the same runs."""
    secs = np.arange(100)
    sitting = np.zeros(100, bool)
    sitting[[2, 3]] = True  # a run that closes long before
    sitting[65:70] = True  # sitting again 5 s after the stand-up at 60 (gap 10): the same bout
    sitting[90:95] = True  # 20 s after that one ends: a new bout
    flex = np.linspace(0.0, 9.9, 100)
    for pieces in ([(0, 60), (60, 100)], [(0, 30), (30, 60), (60, 67), (67, 100)], [(0, 60), (60, 99), (99, 100)]):
        tracker = RunTracker(10)
        runs = []
        for a, b in pieces:
            runs += tracker.update(sitting[a:b], flex[a:b], secs[a:b])
            if b == 60:  # the stand-up at second 60 ends unknown seconds 20-59
                tracker.add_earlier(20, 59, float(flex[59]), float(flex[20]), float(flex[20:60].sum()), 40)
        runs += tracker.flush()
        assert [(r.start, r.end, r.true_seconds, r.inferred_seconds) for r in runs] == [
            (2, 4, 2, 0), (20, 70, 45, 40), (90, 95, 5, 0)]
        assert runs[1].peak == pytest.approx(flex[69]) and runs[1].low == pytest.approx(flex[20])
