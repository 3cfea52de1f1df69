"""A running analysis takes a new calibration or new settings at a whole second, for any chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dorsal.core import Analysis, Analyzer, Calibration, Settings, analyze, capture

#: the recording sits from ~9 s to its end: a bout past this limit, closed by the end of the recording
LIMITS = Settings(sitting_bout_max_s=120.0)
#: what the coach and the user might change mid-stream (twist_reference_s changes the heading filter)
LATER = Settings(sitting_bout_max_s=100.0, extension_limit_deg=5.0, slouch_threshold_deg=3.0,
                 twist_reference_s=10.0, merge_gap_s=3.0, break_min_s=30.0)


def turned(neutral: Calibration, deg: float) -> Calibration:
    """A calibration whose anterior axis is turned deg about the neutral's vertical sensor axis."""
    from dorsal.core import quaternion as quat

    r0 = quat.matrices(np.asarray(neutral.neutral)[None])[0]  # sensor -> Earth
    up_s = r0.T @ np.array([0.0, 0.0, 1.0])
    fwd_s = np.array([1.0, 0.0, 0.0]) - up_s * up_s[0]
    fwd_s /= np.linalg.norm(fwd_s)
    a = np.radians(deg)
    f = fwd_s * np.cos(a) + np.cross(up_s, fwd_s) * np.sin(a)
    return Calibration(neutral.neutral, tuple(float(v) for v in f), "calibrated")


def seated_calibration(samples: np.ndarray, from_s: float, to_s: float) -> Calibration:
    """The neutral as the dashboard captures it: the mean orientation while holding still (here: seated)."""
    t = samples["t_s"] - samples["t_s"][0]
    s = samples[(t >= from_s) & (t < to_s)]
    return capture(np.stack([s["qw"], s["qx"], s["qy"], s["qz"]], axis=1).astype(np.float64))


def feed_with_changes(samples: np.ndarray, sizes: list[int], changes: list[tuple[float, Calibration | Settings]],
                      early: list[bool] | None = None, base: Settings = LIMITS) -> Analysis:
    """Feed in chunks of the given sizes; each change is made once the samples fed reach its time (the
    chunk that would pass it is cut there), or as soon as the chunk before it when early says so."""
    a = Analyzer(base, rate_hz=100.0, keep_timeline=True)
    t = samples["t_s"] - samples["t_s"][0]
    todo = sorted(changes, key=lambda c: c[0])
    early = list(early or [])
    pos = i = 0
    while pos < samples.size or todo:
        end = min(samples.size, pos + sizes[i % len(sizes)])
        if todo and (pos >= samples.size or t[end - 1] > todo[0][0] or (early and early[0])):
            at_s, change = todo.pop(0)
            if early:
                early.pop(0)
            cut = int(np.searchsorted(t, at_s, side="right"))
            if cut > pos:
                a.feed(samples[pos:cut])
                pos = cut
            if isinstance(change, Calibration):
                assert a.set_calibration(change, at_s) == int(np.floor(at_s)) + 1
            else:
                assert a.set_settings(change, at_s) == int(np.floor(at_s)) + 1
            continue
        a.feed(samples[pos:end])
        pos = end
        i += 1
    return a.finish()


def scheduled_then_whole(samples: np.ndarray, changes: list[tuple[float, Calibration | Settings]]) -> Analysis:
    """The batch reference: every change scheduled before the first sample, the recording in one chunk."""
    a = Analyzer(LIMITS, rate_hz=100.0, keep_timeline=True)
    for at_s, change in changes:
        if isinstance(change, Calibration):
            a.set_calibration(change, at_s)
        else:
            a.set_settings(change, at_s)
    a.feed(samples)
    return a.finish()


def same(a: Analysis, b: Analysis) -> bool:
    return (np.array_equal(a.timeline, b.timeline) and [e.to_json() for e in a.events] == [e.to_json() for e in b.events]
            and a.summary == b.summary)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.data_too_large])
@given(st.lists(st.integers(1, 5000), min_size=1, max_size=12), st.floats(6.0, 230.0), st.floats(6.0, 230.0),
       st.lists(st.booleans(), min_size=2, max_size=2), st.floats(-60.0, 60.0))
def test_changes_mid_stream_give_the_same_result_for_any_chunking(recording: np.ndarray, sizes: list[int],
                                                                  cal_at_s: float, set_at_s: float,
                                                                  early: list[bool], turn_deg: float) -> None:
    neutral = analyze(recording[:3000], rate_hz=100.0).calibration
    changes: list[tuple[float, Calibration | Settings]] = [(cal_at_s, turned(neutral, turn_deg)), (set_at_s, LATER)]
    whole = scheduled_then_whole(recording, changes)
    assert same(feed_with_changes(recording, sizes, changes, early), whole)
    assert [c["from_s"] for c in whole.summary["calibrations"]] == [0.0, np.floor(cal_at_s) + 1]
    assert whole.summary["settings_changes"][0]["from_s"] == np.floor(set_at_s) + 1


def test_the_changes_change_the_analysis_from_their_second_on(recording: np.ndarray) -> None:
    neutral = analyze(recording[:3000], rate_hz=100.0).calibration
    plain = analyze(recording, LIMITS, rate_hz=100.0)
    changed = feed_with_changes(recording, [1000], [(100.5, turned(neutral, 30.0)), (150.0, LATER)])
    assert np.array_equal(changed.timeline[:101], plain.timeline[:101])  # seconds 0-100: as before
    assert not np.array_equal(changed.timeline["flexion_deg"][101:], plain.timeline["flexion_deg"][101:])
    assert changed.summary["calibrations"][1]["from_s"] == 101.0
    assert changed.summary["calibrations"][1]["source"] == "calibrated"
    assert changed.summary["calibration"] == "calibrated" and changed.summary["settings"] == LATER.to_dict()
    assert changed.summary["settings_changes"] == [
        {"from_s": 151.0, "slouch_threshold_deg": 3.0, "extension_limit_deg": 5.0, "sitting_bout_max_s": 100.0,
         "break_min_s": 30.0, "twist_reference_s": 10.0, "merge_gap_s": 3.0}]


def test_a_sitting_bout_passes_a_recalibration(recording: np.ndarray) -> None:
    """Recalibrating while seated (the user presses c mid-bout) neither restarts nor cuts the bout: the
    prolonged sitting starts where the bout began and is raised sitting_bout_max_s after that."""
    plain = analyze(recording, LIMITS, rate_hz=100.0)
    (bout,) = [e for e in plain.events if e.kind == "prolonged_sitting"]
    assert bout.start_s < 20 and bout.end_s == 240.0
    a = Analyzer(LIMITS, rate_hz=100.0, keep_timeline=True)
    t = recording["t_s"] - recording["t_s"][0]
    bouts = []
    for i in range(0, recording.size, 500):
        if i == 10_000:  # 100 s: seated for ~90 s, 30 s before the alert
            assert a.live.sitting_bout_s > 85
            assert a.set_calibration(seated_calibration(recording, 95, 100)) == int(np.floor(t[i - 1])) + 1
        a.feed(recording[i:i + 500])
        bouts.append((float(t[min(i + 499, t.size - 1)]), a.live.sitting_bout_s))
    result = a.finish()
    (got,) = [e for e in result.events if e.kind == "prolonged_sitting"]
    assert (got.start_s, got.end_s) == (bout.start_s, bout.end_s)
    assert got.figures["alert_at_s"] == bout.start_s + 120.0
    assert result.summary["sitting_bouts"] == 1
    assert [c["source"] for c in result.summary["calibrations"]] == ["estimated", "calibrated"]
    # the bout's length grows through the recalibration, second by second
    lengths = [b for tt, b in bouts if tt > 20]
    assert all(b1 >= b0 for b0, b1 in zip(lengths, lengths[1:])) and lengths[-1] > 220


def test_a_recalibration_turning_the_body_axes_makes_no_false_twist(recording: np.ndarray) -> None:
    """A new calibration whose anterior axis points 40 deg elsewhere jumps the heading by 40 deg: the
    rotation must continue from its value (the heading reference moves with it), not read a twist."""
    neutral = analyze(recording[:3000], rate_hz=100.0).calibration
    plain = analyze(recording, LIMITS, rate_hz=100.0)
    quiet = [k for k in range(30, 200) if all(not (e.start_s - 20 <= k <= e.end_s + 20)
                                               for e in plain.events if e.kind == "twist")]
    at_s = quiet[0] + 0.5
    changed = feed_with_changes(recording, [700], [(at_s, turned(neutral, 40.0))])
    k = int(at_s) + 1
    rot = changed.timeline["rotation_deg"]
    assert abs(rot[k] - rot[k - 1]) < 3.0 and np.abs(rot[k - 1:k + 20]).max() < 10.0
    twists = [(e.start_s, e.end_s) for e in changed.events if e.kind == "twist"]
    assert twists == [(e.start_s, e.end_s) for e in plain.events if e.kind == "twist"]


def test_while_the_neutral_is_estimated_the_seconds_before_a_calibration_keep_the_estimate(
        recording: np.ndarray) -> None:
    """The estimate comes from the first quiet upright seconds (0-5 s here); a calibration at 3 s arrives
    before it is found (from the samples of those seconds alone), so the seconds before it take it too."""
    neutral = analyze(recording[:3000], rate_hz=100.0).calibration
    cal = turned(neutral, 20.0)
    early = feed_with_changes(recording, [50], [(3.2, cal)])
    assert [c["source"] for c in early.summary["calibrations"]] == ["calibrated"]
    assert same(early, scheduled_then_whole(recording, [(3.2, cal)]))
    late = feed_with_changes(recording, [50], [(30.2, cal)])
    assert [(c["from_s"], c["source"]) for c in late.summary["calibrations"]] == [(0.0, "estimated"),
                                                                                   (31.0, "calibrated")]
    assert same(late, scheduled_then_whole(recording, [(30.2, cal)]))


def test_a_change_for_a_second_already_analysed_applies_from_the_next_one(recording: np.ndarray) -> None:
    a = Analyzer(LIMITS, rate_hz=100.0)
    a.feed(recording[:5000], ends_second=True)  # seconds 0-49 analysed
    assert a.set_settings(LATER, at_s=10.0) == 50
    assert a.set_settings(LATER) == 50  # the newest sample is at 49.99 s
    a.feed(recording[5000:6000])
    assert a.finish().summary["settings_changes"][0]["from_s"] == 50.0
    with pytest.raises(RuntimeError):
        a.set_settings(LIMITS)


def test_the_live_state_shows_the_open_extension_run(recording: np.ndarray) -> None:
    """LiveState.extension_run_s: how long the extension past the limit has lasted, 0 when not past it."""
    a = Analyzer(Settings(extension_limit_deg=-100.0), rate_hz=100.0)  # every second is past this limit
    seen = []
    for i in range(0, 6000, 100):
        a.feed(recording[i:i + 100])
        seen.append(a.live.extension_run_s)
    assert seen[-1] == a.live.t_s + 1 and all(b >= c for b, c in zip(seen[1:], seen))
    a.set_settings(Settings(extension_limit_deg=90.0))
    for i in range(6000, 7000, 100):
        a.feed(recording[i:i + 100])
    assert a.live.extension_run_s == 0.0
    (ev,) = [e for e in a.finish().events if e.kind == "excessive_extension"]
    assert ev.figures["limit_deg"] == -100.0  # the limit in force when the run began


@pytest.mark.parametrize("size", [50, 1000])
def test_a_turned_calibration_is_chunk_invariant_to_the_last_bit(recording: np.ndarray, size: int) -> None:
    """The unwrapped heading used to be re-anchored at each chunk through a float32 cast: with this
    calibration a chunked analysis differed from the whole one in the last bit of rotation_deg."""
    cal = turned(analyze(recording[:3000], rate_hz=100.0).calibration, 20.0)
    whole = analyze(recording, calibration=cal, rate_hz=100.0)
    a = Analyzer(calibration=cal, rate_hz=100.0, keep_timeline=True)
    for i in range(0, recording.size, size):
        a.feed(recording[i:i + size])
    assert same(a.finish(), whole)
