"""The watched session's share of today in the history store, kept while the dashboard runs.

What `dorsal report` (and the dashboard's report screen) shows for today comes
from the store; a live session adds its running figures there: per-second
activity rows and the core's events, turned into ``DayFigures`` the same way
a recording's analysis is (dorsal.report.figures). Writes go through the
store's BackgroundWriter, so they never block the screen; only the last few
days' figures are held, so memory stays flat.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from dorsal.core import ACTIVITIES, Event
from dorsal.report.figures import DayFigures, StretchDone, local_day

#: device seconds between writes of the running figures (events are written as they come)
FLUSH_EVERY_S = 30.0
#: Days held at once: a bout or event that began before midnight still closes into its own day.
KEEP_DAYS = 3


class SessionHistory:
    """Keeps one session's figures per local day; ``flush`` writes them through ``writer``."""

    def __init__(self, writer: Any, device: str | None, sitting_limit_s: float, twist_limit_per_day: int) -> None:
        self.writer = writer
        self.session_id: str = writer.start_session(device, source="live")
        self.sitting_limit_s = sitting_limit_s
        self.twist_limit_per_day = twist_limit_per_day
        self.days: dict[str, DayFigures] = {}
        self._last_flush_s: float | None = None
        #: the open run of unknown rows, counted per (day, hour) it fell in (bounded however long it runs)
        self._unknown_run: dict[tuple[str, int], float] = {}
        self._opening = True  # no row but unknown yet

    def _day(self, t_unix_s: float) -> DayFigures:
        """The held figures of t's day. Each day's figures are written whole (the store replaces them),
        so a day is never started afresh while held: an event that began yesterday, closing after
        midnight, adds to yesterday's figures. Beyond KEEP_DAYS the oldest is written and let go."""
        key = local_day(t_unix_s)
        fig = self.days.get(key)
        if fig is None:
            fig = self.days[key] = DayFigures(day=key, sitting_limit_s=self.sitting_limit_s,
                                              twist_limit_per_day=self.twist_limit_per_day)
            if len(self.days) > KEEP_DAYS:
                self.flush()
                del self.days[min(self.days)]
        return fig

    def seconds(self, t_unix_s: np.ndarray, activity: np.ndarray) -> None:
        """Per-second rows of the core's timeline: wall-clock times (s), activity codes (dorsal.core.ACTIVITIES).

        A run of unknown rows that a standing row ends was sitting: from unknown the core reaches standing only
        through a stand-up, and it counts those seconds in the sitting bouts (the dashboard's today figures
        too), while their rows, written before the stand-up, stay unknown. They move to sitting here, as a
        recording's report has them (dorsal.report.figures.settle_unknown_start). So does, as there, the session's
        opening run of unknown rows that a sit-down ends: it was standing.
        """
        for t, a in zip(t_unix_s.tolist(), activity.tolist()):
            name = ACTIVITIES[int(a)]
            if name == "standing" and self._unknown_run:
                self._settle_unknown_run("sitting")
            elif name == "sitting" and self._opening and self._unknown_run:
                self._settle_unknown_run("standing")  # the session began standing: a sit-down came first
            if name != "unknown":
                self._unknown_run.clear()
                self._opening = False
            fig = self._day(t)
            hour = dt.datetime.fromtimestamp(t).hour
            fig.activity_s[name] += 1.0
            fig.hourly_activity_s[name][hour] += 1.0
            if name == "unknown":
                self._unknown_run[(fig.day, hour)] = self._unknown_run.get((fig.day, hour), 0.0) + 1.0

    def _settle_unknown_run(self, posture: str) -> None:
        for (day, hour), n in self._unknown_run.items():
            fig = self.days.get(day)  # (a day already let go keeps what it had)
            if fig is not None:
                for k, sign in (("unknown", -1.0), (posture, 1.0)):
                    fig.activity_s[k] += sign * n
                    fig.hourly_activity_s[k][hour] += sign * n

    def bout(self, start_unix_s: float, length_s: float, ended_by_break: bool) -> None:
        """A sitting bout the core closed (a real break followed it when ended_by_break)."""
        fig = self._day(start_unix_s)
        fig.sitting_bouts += 1
        fig.longest_sitting_bout_s = max(fig.longest_sitting_bout_s, length_s)
        if length_s >= self.sitting_limit_s:
            fig.sitting_bouts_over_limit += 1
        if ended_by_break:
            fig.breaks += 1

    def event(self, ev: Event, start_unix_s: float, end_unix_s: float) -> None:
        self.writer.add_event(self.session_id, ev.kind, start_unix_s, end_unix_s, ev.figures)
        fig = self._day(start_unix_s)
        if ev.kind == "twist":
            fig.twists += 1
        elif ev.kind == "excessive_extension":
            fig.excessive_extensions += 1
        elif ev.kind == "slouch":
            # a slouch counts from its start, as in a recording's figures (the rows inside the event)
            for t in np.arange(start_unix_s, end_unix_s, 1.0).tolist():
                day = self._day(t)
                day.slouch_s += 1.0
                day.hourly_slouch_s[dt.datetime.fromtimestamp(t).hour] += 1.0
        elif ev.kind == "stretch":
            fig.stretches.append(StretchDone(str(ev.figures.get("id", "stretch")), start_unix_s,
                                             end_unix_s - start_unix_s))

    def maybe_flush(self, device_t_s: float) -> None:
        if self._last_flush_s is None or device_t_s - self._last_flush_s >= FLUSH_EVERY_S:
            self._last_flush_s = device_t_s
            self.flush()

    def flush(self) -> None:
        for fig in self.days.values():
            # a copy: the writer's thread stores it later, while this one keeps counting
            self.writer.put_day_figures(self.session_id, DayFigures.from_dict(fig.to_dict()))

    def close(self) -> None:
        self.flush()
        self.writer.end_session(self.session_id)

