"""The live tracker and the alert escalation, fed with decoded wire frames."""

from __future__ import annotations

import numpy as np

from dorsal.dashboard.alerts import Level
from dorsal.dashboard.live import HISTORY_S, LiveTracker, Thresholds
from dorsal.dashboard.posture import DEFAULT_NEUTRAL, angles_of, body_matrices, quaternions_from_matrices, \
    rotation_matrices
from dorsal.dashboard.script import ScriptLink, Segment
from dorsal.recording import read_recording


def feed_all(tracker: LiveTracker, path, batch: int = 10) -> list:  # type: ignore[no-untyped-def]
    samples = read_recording(path).samples
    out = []
    for i in range(0, len(samples), batch):
        out += [(round(tracker.t_s), e.kind, e.level) for e in tracker.feed(samples[i:i + batch])]
    return out


def test_angles_round_trip_through_quaternions() -> None:
    angles = np.array([[20.0, 0, 0], [-15, 0, 0], [0, 10, 0], [0, 0, 30], [-30, 0, 0]])
    r0 = rotation_matrices(DEFAULT_NEUTRAL[None])[0]
    for heading_deg in (0.0, 90.0, 200.0):  # whichever way the wearer faces
        h = np.radians(heading_deg)
        rz = np.array([[np.cos(h), -np.sin(h), 0], [np.sin(h), np.cos(h), 0], [0, 0, 1]])
        q = quaternions_from_matrices((rz @ r0)[None] @ body_matrices(angles))
        got = angles_of(q, DEFAULT_NEUTRAL, reference_heading_rad=h)
        np.testing.assert_allclose(got.flexion_deg, angles[:, 0], atol=1e-6)
        np.testing.assert_allclose(got.lateral_deg, angles[:, 1], atol=1e-6)
        np.testing.assert_allclose(got.rotation_deg, angles[:, 2], atol=1e-6)


def test_slouching_escalates_notice_then_bell_then_buzz(recording) -> None:  # type: ignore[no-untyped-def]
    path = recording([Segment(20, "sitting", 2), Segment(200, "sitting", 20, ramp_s=2)])
    events = [e for e in feed_all(LiveTracker(), path) if e[1] == "slouch"]
    assert [lvl for _, _, lvl in events] == [Level.NOTICE, Level.BELL, Level.BUZZ]
    t_notice = events[0][0]
    assert 75 <= t_notice <= 90  # 60 s after the slouch began (~22 s)
    assert events[1][0] - t_notice == 60 and events[2][0] - events[1][0] == 60


def test_upright_sitting_raises_nothing(recording) -> None:  # type: ignore[no-untyped-def]
    tracker = LiveTracker()
    assert feed_all(tracker, recording([Segment(300, "sitting", 3)])) == []
    assert tracker.view().today.slouched_share == 0.0


def test_snooze_silences_and_the_alert_ends_with_its_cause(recording) -> None:  # type: ignore[no-untyped-def]
    tracker = LiveTracker()
    path = recording([Segment(100, "sitting", 20, ramp_s=1), Segment(200, "sitting", 20), Segment(30, "sitting", 2)])
    samples = read_recording(path).samples
    levels = []
    for i in range(0, len(samples), 10):
        esc = tracker.feed(samples[i:i + 10])
        levels += [e.level for e in esc]
        if tracker.t_s >= 62 and not tracker.alerts.snoozed(tracker.t_s) and levels:
            tracker.alerts.snooze(tracker.t_s)
        if 100 < tracker.t_s < 300:
            assert tracker.view().alerts[0].level == Level.NOTICE  # no bell or buzz while snoozed
    assert levels == [Level.NOTICE]
    assert tracker.view().alerts == ()  # upright again: the alert is over


def test_a_long_sitting_bout_raises_prolonged_sitting_and_a_walk_resets_it(recording) -> None:  # type: ignore[no-untyped-def]
    th = Thresholds(sitting_limit_s=120.0)
    tracker = LiveTracker(th)
    path = recording([Segment(130, "sitting", 3), Segment(70, "walking", 3), Segment(30, "sitting", 3)])
    events = feed_all(tracker, path)
    assert ("prolonged_sitting" in {k for _, k, _ in events})
    view = tracker.view()
    assert view.today.breaks == 1 and view.sitting_bout_s < 40 and view.today.longest_bout_s >= 120


def test_twisting_past_the_daily_heuristic_raises_a_twist_alert(recording) -> None:  # type: ignore[no-untyped-def]
    segs = []
    for _ in range(5):
        segs += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(20, "sitting", 2, 0, 0, ramp_s=1)]
    tracker = LiveTracker()
    events = feed_all(tracker, recording(segs))
    assert tracker.twists == 5
    assert [k for _, k, _ in events] == ["twist"]


def test_history_is_bounded_over_a_long_day() -> None:
    link = ScriptLink("calm", speed=0)
    tracker = LiveTracker()
    seg = Segment(1, "sitting", 3)
    for k in range(0, 2 * HISTORY_S, 10):
        t = k + np.arange(0, 10, 0.1)
        tracker.feed(link.synthesize(t, seg, 0.0, np.zeros(3), np.array([3.0, 0, 0])))
    view = tracker.view()
    assert len(view.history_flexion_deg) == HISTORY_S and len(view.history_rotation_deg) == HISTORY_S
    assert len(tracker._acc_window) <= 200
