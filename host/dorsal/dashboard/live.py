"""The live picture of the wearer, fed batch by batch, from the core that `dorsal analyze` uses.

Activity, sitting bouts, slouching, twists and every event come from
``dorsal.core.Analyzer`` (streaming, the same rules as the analysis of a
recording). What is kept here is display only: the alerts' escalation and
snooze, today's running figures, the history ring buffers, and angles of the
newest samples against the core's calibration (the core works in whole
seconds, so its own angles lag by up to a second). Every buffer is bounded,
so memory stays flat all day.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dorsal.core import Analyzer, Calibration, Event, Settings, Update
from dorsal.core.angles import AngleState, quaternion_angles, rebase_heading
from dorsal.core.pipeline import spacing_rate
from dorsal.dashboard.alerts import Alert, AlertBook, Escalation
from dorsal.recording import AnalysisChange, calibration_note, settings_note

#: seconds of history in the "recent" plots (one point per second)
HISTORY_S = 300
#: the twist alert stays up this long after a twist past the daily heuristic
TWIST_ALERT_S = 300.0
#: leaning back past the limit raises the alert once it has lasted this long (the core ignores
#: shorter extensions too: a posture change passing through is not a held lean)
EXTENSION_ALERT_S = 2
#: core events kept for the screens (the store keeps them all)
RECENT_EVENTS = 50

#: what the screen says about the neutral posture the angles are measured against
NEUTRAL_TEXT = {
    "calibrated": "calibrated",
    "estimated": "estimated, press c",
    "estimated-standing": "estimated while standing, press c",
    "assumed": "assumed, press c",
    "estimating": "estimating… hold still",
}


@dataclass(frozen=True)
class TodayFigures:
    sitting_s: float
    longest_bout_s: float
    #: share of the seated time (sitting, or upright and still before the first transition) slouched
    slouched_share: float
    #: stretches the core recognised in the motion
    stretches_seen: int
    #: routines finished in the stretch coach
    stretches_done: int
    twists: int
    twist_limit: int
    breaks: int


@dataclass(frozen=True)
class LiveView:
    """One snapshot of everything the main screen shows."""

    t_s: float
    samples: int
    flexion_deg: float
    lateral_deg: float
    rotation_deg: float
    inclination_deg: float
    activity: str
    sitting_bout_s: float
    sitting_limit_s: float
    since_break_s: float
    slouching: bool
    slouch_threshold_deg: float
    extension_limit_deg: float
    history_flexion_deg: tuple[float, ...]
    history_rotation_deg: tuple[float, ...]
    today: TodayFigures
    alerts: tuple[Alert, ...]
    snoozed: bool
    #: calibrated | estimated | estimated-standing (taken again from standing still) | assumed | estimating (the
    #: core is still looking for a quiet moment)
    neutral: str

    @property
    def calibrated(self) -> bool:
        return self.neutral == "calibrated"


def rate_of(samples: np.ndarray) -> float | None:
    """Sample rate (Hz) from the spacing of one batch, None when it cannot tell: the core's own estimate
    (spacing_rate), so the live analysis and its recording's take the same rate."""
    return spacing_rate(samples["t_s"]) if len(samples) else None


class LiveTracker:
    """Feeds the core and keeps what the screens show.

    settings: the core's settings (the dashboard passes the user's extension limit); calibration: a
    stored one for this wearable, or None (the core then estimates the neutral from the first quiet
    upright seconds, up to ~2 min, and says so). One analysis runs for the whole session: a new
    calibration or extension limit changes it from its next whole second on (Analyzer.set_calibration,
    set_settings), so the sitting bout, open runs and today's figures carry on.

    ``record`` (the link's Link.record_note when it records) gets a note of the calibration and settings
    the analysis starts with and of every change it takes after, at the device time of the newest sample
    it had seen (dorsal.recording), so a recording is analysed later as it was seen live. ``replay`` makes
    a recording's changes again, at the same device times.
    """

    def __init__(self, settings: Settings | None = None, calibration: Calibration | None = None,
                 rate_hz: float | None = None, history: Any = None) -> None:
        self.settings = settings or Settings()
        #: what a replayed recording's settings notes are read onto (they hold the fields off the defaults)
        self._base_settings = self.settings
        #: where the analysis' changes are noted (Link.record_note), or None
        self.record: Callable[[dict[str, Any]], None] | None = None
        #: a replayed recording's changes not made yet, by device time
        self._replayed: deque[AnalysisChange] = deque()
        #: where the session's figures and events go (dorsal.dashboard.history.SessionHistory), or None
        self.history = history
        self.calibration = calibration
        self.rate_hz = rate_hz
        self.analyzer: Analyzer | None = None
        self.alerts = AlertBook()
        self.samples = 0
        #: device time of the newest sample (s)
        self.t_s = 0.0
        self.flexion_deg = self.lateral_deg = self.rotation_deg = self.inclination_deg = 0.0
        self.activity = "unknown"
        self.in_stretch = False
        self.stretches_done = 0
        self.recent_events: deque[Event] = deque(maxlen=RECENT_EVENTS)
        #: events of the running analysis already in the history (a day's worth at most: a few hundred)
        self._sent: set[tuple[str, float, float]] = set()
        #: device time (s) of the current analysis' first sample: core times are relative to it
        self._origin_s: float | None = None
        #: wall-clock time (s) of that sample, for the history
        self._origin_unix_s = 0.0
        self._angles = AngleState()
        self._display_r_bs: np.ndarray | None = None
        self._display_cal: Calibration | None = None
        self._last_q: tuple[float, ...] | None = None  # the newest sample's orientation (w, x, y, z)
        self._hist_flex: deque[float] = deque(maxlen=HISTORY_S)
        self._hist_rot: deque[float] = deque(maxlen=HISTORY_S)
        self._twists_live = 0
        self._bout_s = 0.0
        self._bout_start_s: float | None = None
        self._last_sitting_s: float | None = None
        self._slouching_s = 0.0
        self._extension_run_s = 0.0
        self._unknown_still_s = 0.0
        self._inferred_s = 0.0
        self._last_twist_alert_s = float("-inf")
        self._break_at_s: float | None = None
        self._first_t_s: float | None = None
        self.sitting_s = 0.0
        self.seated_s = 0.0
        self.slouched_closed_s = 0.0
        self.longest_bout_s = 0.0
        self.breaks = 0
        self.stretches_seen = 0

    # -- calibration ---------------------------------------------------------------

    @property
    def neutral(self) -> str:
        if self.calibration is not None:  # stored, or set in this session (the core takes it within a second)
            return self.calibration.source
        if self.analyzer is not None and self.analyzer.calibration is not None:
            cal = self.analyzer.calibration
            # the core took the neutral again from standing still (a session begun slouched at the desk)
            return "estimated-standing" if cal.extra.get("estimated_while") == "standing" else cal.source
        return "estimating"

    @property
    def calibrated(self) -> bool:
        return self.neutral == "calibrated"

    def set_calibration(self, calibration: Calibration) -> None:
        """A new neutral. The running analysis takes it from the second after the newest sample on; the
        sitting bout, open runs, the activity and today's figures carry on. The shown angles use it from
        the next batch."""
        self.calibration = calibration
        if self.analyzer is not None:
            self.analyzer.set_calibration(calibration)
            if self.record is not None:
                self.record(calibration_note(calibration, self.t_s))

    def _end_analysis(self) -> None:
        """The analysis ends (the session's end): the core closes its open runs, and the history gets the
        events that closes and the sitting bout still open (not ended by a break)."""
        if self.analyzer is None or self.history is None:
            return
        for ev in self.analyzer.finish().events:
            if (ev.kind, ev.start_s, ev.end_s) not in self._sent:
                self.history.event(ev, self._origin_unix_s + ev.start_s, self._origin_unix_s + ev.end_s)
        self._sent.clear()
        if (self._bout_s > 0 and self._bout_start_s is not None and self._last_sitting_s is not None
                and self._last_sitting_s >= self._bout_start_s):
            self.history.bout(self._origin_unix_s + self._bout_start_s, self._last_sitting_s - self._bout_start_s + 1,
                              ended_by_break=False)

    def close(self) -> None:
        """The session ends: the history gets its last figures."""
        if self.history is not None:
            self._end_analysis()
            self.history.close()
            self.history = None

    def set_extension_limit(self, limit_deg: float) -> None:
        """The coach's learned limit: the screens use it at once, the running analysis from the second
        after the newest sample on."""
        self.set_settings(replace(self.settings, extension_limit_deg=float(limit_deg)))

    def set_settings(self, settings: Settings) -> None:
        """New settings: the screens use them at once, the running analysis from the second after the newest
        sample on."""
        changed = settings != self.settings
        self.settings = settings
        if self.analyzer is not None:
            self.analyzer.set_settings(settings)
            if changed and self.record is not None:
                self.record(settings_note(settings, self.t_s))

    def replay(self, changes: list[AnalysisChange]) -> None:
        """A recording's changes (dorsal.recording.analysis_changes), made again as the feed reaches their
        device times: the replayed analysis takes them at the seconds the live one did. Those made before
        its first sample are what the analysis starts with."""
        self._replayed = deque(changes)
        self._make_due(None)

    def _make_due(self, newest_t_s: float | None) -> None:
        """Make the replayed changes due once the newest sample fed is at newest_t_s (None: before any)."""
        while self._replayed and (self._replayed[0].device_t_s is None
                                  or (newest_t_s is not None and self._replayed[0].device_t_s <= newest_t_s)):
            change = self._replayed.popleft()
            if change.calibration is not None:
                self.set_calibration(change.calibration)
            if change.settings is not None:
                self.set_settings(change.settings_on(self._base_settings))

    # -- feeding -------------------------------------------------------------------

    @property
    def twists(self) -> int:
        return self._twists_live

    def feed(self, samples: np.ndarray) -> list[Escalation]:
        """Take one batch (SAMPLE_DTYPE array); returns the alert escalations it caused."""
        if not self._replayed:
            return self._feed(samples)
        # a replay: the batch is cut after the sample each due change was made at
        out: list[Escalation] = []
        while self._replayed and len(samples):
            at = self._replayed[0].device_t_s
            j = int(np.searchsorted(samples["t_s"], at, side="right"))
            if j == len(samples) and float(samples["t_s"][-1]) < at:  # type: ignore[operator]
                break
            if j:
                out += self._feed(samples[:j])
                samples = samples[j:]
            self._make_due(at)
        return out + self._feed(samples)

    def _feed(self, samples: np.ndarray) -> list[Escalation]:
        n = len(samples)
        if n == 0:
            return []
        if self.analyzer is None:
            rate = self.rate_hz or rate_of(samples) or 100.0
            self.analyzer = Analyzer(self.settings, self.calibration, rate, keep_timeline=False)
            if self.record is not None:  # what the analysis starts with (before any sample: from its start)
                if self.calibration is not None:
                    self.record(calibration_note(self.calibration, None))
                self.record(settings_note(self.settings, None))
            # The first sample the link handed out: its merge buffer starts at the first seq received and hands
            # out by seq, once each, so this is also where a recording's analysis starts (by seq, the first copy:
            # dorsal.recording.analysis_input), and the noted changes' times mean the same seconds there. (A device
            # that restarted mid-recording is mapped to follow on, live and in the recording: dorsal.boots.)
            self._origin_s = float(samples["t_s"][0])
            self._origin_unix_s = time.time() - float(samples["t_s"][-1] - samples["t_s"][0])
            self._angles = AngleState()
        if self._first_t_s is None:
            self._first_t_s = float(samples["t_s"][0])
        update = self.analyzer.feed(samples)
        self.samples += n
        self.t_s = float(samples["t_s"][-1])
        self._take(update)
        if self.history is not None:
            self.history.maybe_flush(self.t_s)
        self._display_angles(samples)
        return self.alerts.update(self.t_s, self.conditions())

    def _take(self, update: Update) -> None:
        """The core's output of one feed: per-second rows, events and its live state."""
        rows = update.timeline
        if len(rows) == 0:
            return
        assert self._origin_s is not None
        st = self.settings
        live = update.live
        self.activity = live.activity
        self._hist_flex.extend(rows["flexion_deg"].tolist())
        self._hist_rot.extend(rows["rotation_deg"].tolist())
        sitting = rows["activity"] == _ACT_SITTING
        self.sitting_s += float(np.count_nonzero(sitting))
        self.seated_s += float(np.count_nonzero(sitting | (rows["activity"] == _ACT_UNKNOWN)))
        if sitting.any():
            self._last_sitting_s = float(rows["t_s"][sitting][-1])
        # seconds shown unknown that a stand-up has since turned into sitting (the core's bout holds them)
        self.sitting_s += live.sitting_inferred_s - self._inferred_s
        self._inferred_s = live.sitting_inferred_s
        if live.sitting_bout_s > 0:
            self._last_sitting_s = max(self._last_sitting_s or 0.0, live.sitting_bout_end_s - 1)
        if self.history is not None:
            self.history.seconds(self._origin_unix_s + rows["t_s"], rows["activity"])
        # a sitting bout ends (the core closes it) after a real break: that is a break
        if self._bout_s > 0 and live.sitting_bout_s == 0:
            self.breaks += 1
            if self.history is not None and self._bout_start_s is not None and self._last_sitting_s is not None:
                self.history.bout(self._origin_unix_s + self._bout_start_s,
                                  self._last_sitting_s - self._bout_start_s + 1, ended_by_break=True)
            self._break_at_s = self._origin_s + live.t_s
            self._bout_start_s = None
        if live.sitting_bout_s > 0:
            self._bout_start_s = live.t_s - live.sitting_bout_s + 1
            if self._last_sitting_s is not None and self._last_sitting_s >= self._bout_start_s:
                self.longest_bout_s = max(self.longest_bout_s, self._last_sitting_s - self._bout_start_s + 1)
        self._bout_s = live.sitting_bout_s
        self._slouching_s = live.slouching_s
        self._twists_live = live.twists_today
        self._extension_run_s = live.extension_run_s
        self._unknown_still_s = live.unknown_still_s
        for ev in update.events:
            self.recent_events.append(ev)
            if self.history is not None:
                self.history.event(ev, self._origin_unix_s + ev.start_s, self._origin_unix_s + ev.end_s)
                self._sent.add((ev.kind, ev.start_s, ev.end_s))
            if ev.kind == "slouch":
                self.slouched_closed_s += float(ev.figures.get("duration_s", ev.end_s - ev.start_s))
            elif ev.kind == "stretch":
                self.stretches_seen += 1
            elif ev.kind == "twist" and int(ev.figures.get("count_today", 0)) > st.twists_per_day_max:
                self._last_twist_alert_s = self._origin_s + ev.end_s

    def _display_angles(self, samples: np.ndarray) -> None:
        """Angles of the newest samples against the newest calibration (the user's, at once; else the
        core's estimate, or while the core estimates the neutral, the nominal mounting), computed with the
        core's own angle function. A new calibration moves the heading reference with the body axes, as
        in the core, so the shown rotation does not jump."""
        assert self.analyzer is not None
        cal = self.calibration or self.analyzer.calibration
        rate_hz, reference_s = self.analyzer.rate_hz, self.analyzer.settings.twist_reference_s
        if self._display_r_bs is None or cal is not self._display_cal:
            r_bs = (cal or Calibration()).body_to_sensor()
            if self._display_cal is None:  # the nominal mounting was a stand-in: the rotation starts afresh
                self._angles = AngleState()
            elif self._last_q is not None:
                rebase_heading(self._angles, self._last_q, r_bs, rate_hz, reference_s)
            self._display_r_bs, self._display_cal = r_bs, cal
        w, x, y, z = (np.ascontiguousarray(samples[f], np.float32) for f in ("qw", "qx", "qy", "qz"))
        self._last_q = (float(w[-1]), float(x[-1]), float(y[-1]), float(z[-1]))
        flex, lat, rot, incl = quaternion_angles(w, x, y, z, self._display_r_bs, rate_hz, reference_s,
                                                 self._angles)[:4]
        self.flexion_deg, self.lateral_deg = float(flex[-1]), float(lat[-1])
        self.rotation_deg, self.inclination_deg = float(rot[-1]), float(incl[-1])

    def conditions(self) -> dict[str, bool]:
        """When each alert is up, from the core's live figures and events (escalation is the AlertBook's)."""
        st = self.analyzer.settings if self.analyzer is not None else self.settings
        return {
            "slouch": self._slouching_s > st.slouch_delay_s,
            "prolonged_sitting": self._bout_s > st.sitting_bout_max_s and self.activity == "sitting",
            # sitting or standing, the core cannot tell until a stand-up, a sit-down or a walk
            "long_still": self._unknown_still_s > st.sitting_bout_max_s and self.activity == "unknown",
            # the coach watches the limit itself while a routine runs
            "excessive_extension": self._extension_run_s >= EXTENSION_ALERT_S and not self.in_stretch,
            "twist": self.t_s - self._last_twist_alert_s < TWIST_ALERT_S,
        }

    # -- the picture ---------------------------------------------------------------

    def view(self) -> LiveView:
        st = self.settings
        slouched = self.slouched_closed_s + (self._slouching_s if self._slouching_s > st.slouch_delay_s else 0.0)
        since = self._break_at_s if self._break_at_s is not None else self._first_t_s
        return LiveView(
            t_s=self.t_s,
            samples=self.samples,
            flexion_deg=self.flexion_deg,
            lateral_deg=self.lateral_deg,
            rotation_deg=self.rotation_deg,
            inclination_deg=self.inclination_deg,
            activity=self.activity,
            sitting_bout_s=self._bout_s,
            sitting_limit_s=st.sitting_bout_max_s,
            since_break_s=max(0.0, self.t_s - since) if since is not None else 0.0,
            slouching=self._slouching_s > st.slouch_delay_s,
            slouch_threshold_deg=st.slouch_threshold_deg,
            extension_limit_deg=st.extension_limit_deg,
            history_flexion_deg=tuple(self._hist_flex),
            history_rotation_deg=tuple(self._hist_rot),
            today=TodayFigures(
                sitting_s=self.sitting_s,
                longest_bout_s=self.longest_bout_s,
                slouched_share=min(1.0, slouched / self.seated_s) if self.seated_s > 0 else 0.0,
                stretches_seen=self.stretches_seen,
                stretches_done=self.stretches_done,
                twists=self.twists,
                twist_limit=st.twists_per_day_max,
                breaks=self.breaks,
            ),
            alerts=tuple(self.alerts.active(self.t_s)),
            snoozed=self.alerts.snoozed(self.t_s),
            neutral=self.neutral,
        )


def _activity_code(name: str) -> int:
    from dorsal.core import ACTIVITIES

    return ACTIVITIES.index(name)


_ACT_SITTING = _activity_code("sitting")
_ACT_UNKNOWN = _activity_code("unknown")
