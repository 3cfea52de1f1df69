"""The live tracker: the core's activity and events, shown with escalation, fed with decoded wire frames."""

from __future__ import annotations

import numpy as np

from dorsal.core import Calibration, Settings, analyze, capture
from dorsal.dashboard.alerts import Level
from dorsal.dashboard.live import HISTORY_S, LiveTracker
from dorsal.dashboard.script import ScriptLink, Segment
from dorsal.recording import read_recording


def feed_all(tracker: LiveTracker, path, batch: int = 10) -> list:  # type: ignore[no-untyped-def]
    samples = read_recording(path).samples
    out = []
    for i in range(0, len(samples), batch):
        out += [(round(tracker.t_s), e.kind, e.level) for e in tracker.feed(samples[i:i + batch])]
    return out


def test_the_dashboard_sees_the_same_activity_and_events_as_dorsal_analyze(recording) -> None:  # type: ignore[no-untyped-def]
    segs = [Segment(12, "standing", 0), Segment(150, "sitting", 3), Segment(90, "sitting", 20, ramp_s=3),
            Segment(20, "sitting", 2), Segment(10, "sitting", -24, ramp_s=2), Segment(20, "sitting", 2)]
    for _ in range(5):
        segs += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(20, "sitting", 2, 0, 0, ramp_s=1)]
    segs += [Segment(80, "walking", 3), Segment(30, "standing", 0)]
    path = recording(segs)
    settings = Settings(sitting_bout_max_s=240.0)
    tracker = LiveTracker(settings)
    raised = {kind for _, kind, _ in feed_all(tracker, path)}
    batch = analyze(read_recording(path).samples, settings)
    live_events = [(e.kind, e.start_s, e.end_s) for e in tracker.recent_events]
    core_events = [(e.kind, e.start_s, e.end_s) for e in batch.events]
    # the stream has not ended for the tracker: runs still open at the end are the batch's alone
    assert live_events and set(live_events) <= set(core_events)
    assert {k for k, _, _ in live_events} >= {"slouch", "excessive_extension", "twist", "prolonged_sitting"}
    assert raised == {"slouch", "excessive_extension", "twist", "prolonged_sitting"}
    view = tracker.view()
    assert view.today.twists == batch.summary["twists"] == 5
    assert view.today.breaks == 1 and view.sitting_bout_s == 0
    assert view.today.longest_bout_s == batch.summary["longest_sitting_bout_s"]
    assert view.today.sitting_s == batch.summary["activity_s"]["sitting"]
    assert view.activity == "standing" and view.neutral == "estimated"


def test_slouching_escalates_notice_then_bell_then_buzz(recording) -> None:  # type: ignore[no-untyped-def]
    path = recording([Segment(10, "standing", 0), Segment(10, "sitting", 2), Segment(200, "sitting", 20, ramp_s=2)])
    events = [e for e in feed_all(LiveTracker(), path) if e[1] == "slouch"]
    assert [lvl for _, _, lvl in events] == [Level.NOTICE, Level.BELL, Level.BUZZ]
    t_notice = events[0][0]
    assert 80 <= t_notice <= 86  # the core's slouch delay (60 s) after the slouch began (~21 s)
    assert events[1][0] - t_notice == 60 and events[2][0] - events[1][0] == 60


def test_upright_sitting_raises_nothing(recording) -> None:  # type: ignore[no-untyped-def]
    tracker = LiveTracker()
    assert feed_all(tracker, recording([Segment(10, "standing", 0), Segment(300, "sitting", 3)])) == []
    assert tracker.view().today.slouched_share == 0.0
    assert tracker.view().activity == "sitting"


def test_without_a_calibration_the_screen_says_the_neutral_is_being_estimated(recording) -> None:  # type: ignore[no-untyped-def]
    # walking gives the core no quiet upright second: it waits (up to ~2 min) and says so
    samples = read_recording(recording([Segment(20, "walking", 2)])).samples
    tracker = LiveTracker()
    for i in range(0, len(samples), 10):
        tracker.feed(samples[i:i + 10])
    view = tracker.view()
    assert view.neutral == "estimating" and view.history_flexion_deg == ()
    # the angles still follow each batch (against the nominal mounting until the neutral is known)
    assert view.samples == len(samples) and abs(view.flexion_deg - 2.0) < 3.0


def test_a_stored_calibration_starts_the_core_at_once(recording) -> None:  # type: ignore[no-untyped-def]
    samples = read_recording(recording([Segment(20, "walking", 2)])).samples
    tracker = LiveTracker(calibration=Calibration(source="calibrated"))
    for i in range(0, len(samples), 10):
        tracker.feed(samples[i:i + 10])
    view = tracker.view()
    assert view.neutral == "calibrated" and len(view.history_flexion_deg) >= 18


def test_the_shown_angles_follow_every_batch_not_only_whole_seconds(recording) -> None:  # type: ignore[no-untyped-def]
    samples = read_recording(recording([Segment(10, "standing", 0), Segment(3, "standing", 0),
                                        Segment(5, "standing", 25, ramp_s=0.5)])).samples
    tracker = LiveTracker()
    cut = int(np.searchsorted(samples["t_s"], 13.7))  # 0.2 s after the lean reached 25 deg
    for i in range(0, cut, 10):
        tracker.feed(samples[i:min(cut, i + 10)])
    assert abs(tracker.view().flexion_deg - 25.0) < 1.5


def test_snooze_silences_and_the_alert_ends_with_its_cause(recording) -> None:  # type: ignore[no-untyped-def]
    tracker = LiveTracker()
    path = recording([Segment(10, "standing", 0), Segment(10, "sitting", 2), Segment(300, "sitting", 20, ramp_s=1),
                      Segment(30, "sitting", 2)])
    samples = read_recording(path).samples
    levels = []
    for i in range(0, len(samples), 10):
        esc = tracker.feed(samples[i:i + 10])
        levels += [e.level for e in esc]
        if levels and not tracker.alerts.snoozed(tracker.t_s) and tracker.t_s < 200:
            tracker.alerts.snooze(tracker.t_s)
        if 100 < tracker.t_s < 300:
            assert tracker.view().alerts[0].level == Level.NOTICE  # no bell or buzz while snoozed
    assert levels == [Level.NOTICE]
    assert tracker.view().alerts == ()  # upright again: the alert is over


def test_a_long_sitting_bout_raises_prolonged_sitting_and_a_walk_resets_it(recording) -> None:  # type: ignore[no-untyped-def]
    tracker = LiveTracker(Settings(sitting_bout_max_s=120.0))
    path = recording([Segment(10, "standing", 0), Segment(130, "sitting", 3), Segment(70, "walking", 3),
                      Segment(30, "sitting", 3)])
    events = feed_all(tracker, path)
    assert "prolonged_sitting" in {k for _, k, _ in events}
    view = tracker.view()
    assert view.today.breaks == 1 and view.sitting_bout_s < 40 and view.today.longest_bout_s >= 120


def test_twisting_past_the_daily_heuristic_raises_a_twist_alert(recording) -> None:  # type: ignore[no-untyped-def]
    segs = [Segment(10, "standing", 0), Segment(10, "sitting", 2)]
    for _ in range(5):
        segs += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(20, "sitting", 2, 0, 0, ramp_s=1)]
    tracker = LiveTracker()
    events = feed_all(tracker, recording(segs))
    assert tracker.twists == 5
    assert [k for _, k, _ in events] == ["twist"]


def test_a_new_calibration_keeps_the_analysis_and_today_carries_on(recording) -> None:  # type: ignore[no-untyped-def]
    segs = [Segment(10, "standing", 0), Segment(10, "sitting", 2)]
    for _ in range(2):
        segs += [Segment(3, "sitting", 2, 0, 40, ramp_s=1), Segment(20, "sitting", 2, 0, 0, ramp_s=1)]
    samples = read_recording(recording(segs)).samples
    tracker = LiveTracker()
    half = len(samples) // 2
    for i in range(0, half, 10):
        tracker.feed(samples[i:min(half, i + 10)])
    before, analyzer = tracker.twists, tracker.analyzer
    tracker.set_calibration(Calibration(source="calibrated"))
    for i in range(half, len(samples), 10):
        tracker.feed(samples[i:i + 10])
    assert before == 1 and tracker.twists == 2 and tracker.view().neutral == "calibrated"
    assert tracker.analyzer is analyzer


def _feed_recalibrating(samples, settings: Settings, at_s: float | None, calibration: Calibration | None = None
                        ) -> tuple[LiveTracker, list, list]:  # type: ignore[no-untyped-def]
    tracker = LiveTracker(settings)
    escalations, bouts = [], []
    for i in range(0, len(samples), 10):
        if at_s is not None and tracker.t_s < at_s <= float(samples["t_s"][i]):
            tracker.set_calibration(calibration)  # type: ignore[arg-type]
        escalations += [(round(tracker.t_s, 2), e.kind, e.level) for e in tracker.feed(samples[i:i + 10])]
        bouts.append(tracker.view().sitting_bout_s)
    return tracker, escalations, bouts


def test_recalibrating_mid_bout_keeps_the_bout_and_the_alert_time(recording) -> None:  # type: ignore[no-untyped-def]
    """Pressing c 100 s into a sitting bout: the bout goes on (its length keeps growing) and prolonged
    sitting is raised when the bout reaches the limit, as without the recalibration."""
    samples = read_recording(recording([Segment(10, "standing", 0), Segment(200, "sitting", 3)])).samples
    settings = Settings(sitting_bout_max_s=120.0)
    t = samples["t_s"]
    seated = samples[(t >= 95) & (t < 100)]
    neutral = capture(np.stack([seated[f] for f in ("qw", "qx", "qy", "qz")], axis=1).astype(np.float64))
    plain, plain_escalations, plain_bouts = _feed_recalibrating(samples, settings, None)
    tracker, escalations, bouts = _feed_recalibrating(samples, settings, 100.0, neutral)
    sitting_alerts = [e for e in escalations if e[1] == "prolonged_sitting"]
    assert sitting_alerts and sitting_alerts == [e for e in plain_escalations if e[1] == "prolonged_sitting"]
    assert 130 <= sitting_alerts[0][0] <= 140  # ~12 s standing, then 120 s of sitting
    assert bouts == plain_bouts and bouts[-1] > 190
    assert tracker.view().today.longest_bout_s == plain.view().today.longest_bout_s
    assert tracker.view().neutral == "calibrated" and tracker.analyzer.calibration == neutral  # type: ignore[union-attr]
    assert tracker.analyzer.finish().summary["calibrations"][1]["source"] == "calibrated"  # type: ignore[union-attr]


def test_the_coachs_limit_applies_to_the_running_analysis(recording) -> None:  # type: ignore[no-untyped-def]
    """A lean back of 17 deg is within the default limit (20 deg) but past the coach's 15 deg: set during
    the session, the core itself judges the lean against it (its event and the alert)."""
    samples = read_recording(recording([Segment(10, "standing", 0), Segment(10, "standing", -17, ramp_s=1),
                                        Segment(10, "standing", 0, ramp_s=1)])).samples
    tracker = LiveTracker()
    raised = []
    for i in range(0, len(samples), 10):
        if i == 800:
            tracker.set_extension_limit(15.0)
        raised += [e.kind for e in tracker.feed(samples[i:i + 10])]
    assert tracker.analyzer.settings.extension_limit_deg == 15.0  # type: ignore[union-attr]
    (ev,) = [e for e in tracker.recent_events if e.kind == "excessive_extension"]
    assert ev.figures["limit_deg"] == 15.0 and 10 <= ev.start_s <= 13
    assert "excessive_extension" in raised


def test_history_is_bounded_over_a_long_day() -> None:
    link = ScriptLink("calm", speed=0)
    tracker = LiveTracker()
    seg = Segment(1, "sitting", 3)
    for k in range(0, 2 * HISTORY_S, 10):
        t = k + np.arange(0, 10, 0.01)
        tracker.feed(link.synthesize(t, seg, 0.0, np.zeros(3), np.array([3.0, 0, 0])))
    view = tracker.view()
    assert len(view.history_flexion_deg) == HISTORY_S and len(view.history_rotation_deg) == HISTORY_S
    assert len(tracker.recent_events) <= tracker.recent_events.maxlen  # type: ignore[operator]


def test_the_demo_tour_raises_every_kind_of_alert_within_its_first_two_minutes_at_the_default_speed() -> None:
    import asyncio

    from dorsal.commands.demo import DEFAULT_SPEED

    async def first_alerts() -> dict[str, float]:
        link = ScriptLink("tour", speed=0, loop=False)
        tracker = LiveTracker()
        tracker.set_extension_limit(15.0)  # the coach's default limit, as the app passes it
        first: dict[str, float] = {}
        stretch_at = None
        async for batch in link.batches():
            if len(batch.samples) == 0:
                continue
            tracker.in_stretch = batch.stretch_id is not None  # the demo opens the coach for the stretch
            if batch.stretch_id and stretch_at is None:
                stretch_at = tracker.t_s
            for esc in tracker.feed(batch.samples):
                first.setdefault(esc.kind, tracker.t_s)
            if stretch_at is not None:
                break
        first["coach"] = stretch_at or float("inf")
        return first

    first = asyncio.run(first_alerts())
    assert set(first) == {"slouch", "excessive_extension", "twist", "prolonged_sitting", "coach"}
    wall_s = {k: v / DEFAULT_SPEED for k, v in first.items()}
    assert max(wall_s.values()) < 120, wall_s


def test_a_recalibration_mid_bout_leaves_one_whole_bout_in_the_history(recording, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    """The history (what the store and the report get) sees the bout once, whole, with its alert."""
    from dorsal.dashboard.history import SessionHistory
    from dorsal.store.writer import BackgroundWriter

    samples = read_recording(recording([Segment(10, "standing", 0), Segment(200, "sitting", 3)])).samples
    with BackgroundWriter() as writer:
        history = SessionHistory(writer, "dorsal-test", sitting_limit_s=120.0, twist_limit_per_day=4)
        tracker = LiveTracker(Settings(sitting_bout_max_s=120.0), history=history)
        for i in range(0, len(samples), 10):
            if i == 10_000:
                tracker.set_calibration(Calibration(source="calibrated"))
            tracker.feed(samples[i:i + 10])
        tracker.close()
        writer.flush()
    days = list(history.days.values())
    assert sum(d.sitting_bouts for d in days) == 1 and sum(d.sitting_bouts_over_limit for d in days) == 1
    assert max(d.longest_sitting_bout_s for d in days) > 190


def test_a_session_begun_seated_raises_the_hedged_still_alert_and_the_stand_up_records_the_bout(  # type: ignore[no-untyped-def]
        recording, dorsal_home) -> None:
    """Seated from the start: the core sees no sit-down, so the posture is unknown. Past the sitting limit the
    dashboard says it saw no stand-up or walk (it cannot tell sitting from standing still); the stand-up then
    ends the alert and makes those seconds a sitting bout, in today's figures and in the history."""
    from dorsal.dashboard.history import SessionHistory
    from dorsal.store.writer import BackgroundWriter

    samples = read_recording(recording([Segment(200, "sitting", 3), Segment(100, "standing", 0)])).samples
    raised, before_limit = [], []
    with BackgroundWriter() as writer:
        history = SessionHistory(writer, "dorsal-test", sitting_limit_s=120.0, twist_limit_per_day=4)
        tracker = LiveTracker(Settings(sitting_bout_max_s=120.0), history=history)
        for i in range(0, len(samples), 10):
            raised += [(tracker.t_s, e.kind, e.level) for e in tracker.feed(samples[i:i + 10])]
            if tracker.activity == "unknown" and 100 < tracker.t_s < 118:
                before_limit.append(tracker.view().alerts)
            if tracker.activity == "unknown" and tracker.t_s > 125:
                (alert,) = tracker.view().alerts
                assert alert.title == "Still for a long time" and "if you are sitting" in alert.what_to_do
        view = tracker.view()
        tracker.close()
        writer.flush()
    assert before_limit and all(a == () for a in before_limit)  # not before the limit
    assert [(k, lvl) for _, k, lvl in raised] == [("long_still", Level.NOTICE)] and 120 < raised[0][0] < 124
    assert view.activity == "standing" and view.alerts == ()
    assert 195 <= view.today.longest_bout_s <= 205 and view.today.breaks == 1 and view.sitting_bout_s == 0
    assert view.today.sitting_s == view.today.longest_bout_s
    days = list(history.days.values())  # (two when the session crosses midnight)
    assert [sum(d.sitting_bouts for d in days), sum(d.sitting_bouts_over_limit for d in days)] == [1, 1]
    assert sum(d.breaks for d in days) == 1
    assert max(d.longest_sitting_bout_s for d in days) == view.today.longest_bout_s
    # the history's seconds: the unknown ones before the stand-up are sitting there too, hour by hour
    assert sum(d.activity_s["sitting"] for d in days) == view.today.sitting_s
    assert sum(d.activity_s["unknown"] for d in days) == 0
    assert sum(sum(d.hourly_activity_s["sitting"]) for d in days) == view.today.sitting_s


def test_a_session_begun_slouched_takes_its_neutral_again_from_standing(recording) -> None:  # type: ignore[no-untyped-def]
    """Seated and slouched from the start: the first quiet seconds, a slouch, become the estimated neutral and the
    slouch reads as upright. After the stand-up the core takes the neutral again from standing still: the screen
    says so, and the same slouch after sitting down again reads ~15 deg and raises the slouch alert."""
    samples = read_recording(recording([Segment(90, "sitting", 15), Segment(40, "standing", 0),
                                        Segment(150, "sitting", 15)])).samples
    tracker = LiveTracker(Settings())
    raised, first_sit, second_sit, neutrals = [], [], [], set()
    for i in range(0, len(samples), 10):
        raised += [(tracker.t_s, e.kind) for e in tracker.feed(samples[i:i + 10])]
        neutrals.add(tracker.view().neutral)
        if 30 < tracker.t_s < 85:
            first_sit.append(tracker.flexion_deg)
        if tracker.t_s > 150:
            second_sit.append(tracker.flexion_deg)
    assert abs(float(np.median(first_sit))) < 3  # the slouch taken for upright
    assert abs(float(np.median(second_sit)) - 15) < 3
    assert tracker.view().neutral == "estimated-standing" and "estimated" in neutrals
    assert [k for t, k in raised if k == "slouch" and t > 150]  # the second sitting's slouch, past its delay
    assert not [k for t, k in raised if k == "slouch" and t < 130]


def test_the_history_gives_a_session_begun_standing_its_standing_seconds(recording, dorsal_home) -> None:  # type: ignore[no-untyped-def]
    """Standing still from the start reads unknown until the sit-down; the history then counts those seconds as
    standing, as a recording's report does (a sit-down came first)."""
    from dorsal.dashboard.history import SessionHistory
    from dorsal.store.writer import BackgroundWriter

    samples = read_recording(recording([Segment(40, "standing", 0), Segment(100, "sitting", 3)])).samples
    with BackgroundWriter() as writer:
        history = SessionHistory(writer, "dorsal-test", sitting_limit_s=1800.0, twist_limit_per_day=4)
        tracker = LiveTracker(Settings(), history=history)
        unknown_seen = False
        for i in range(0, len(samples), 10):
            tracker.feed(samples[i:i + 10])
            unknown_seen |= tracker.activity == "unknown"
        tracker.close()
        writer.flush()
    days = list(history.days.values())
    standing = sum(d.activity_s["standing"] for d in days)
    assert unknown_seen and sum(d.activity_s["unknown"] for d in days) == 0
    assert 30 <= standing <= 45 and sum(sum(d.hourly_activity_s["standing"]) for d in days) == standing
    assert sum(d.activity_s["sitting"] for d in days) >= 90
