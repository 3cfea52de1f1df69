"""A watched session that runs past midnight keeps both days whole in the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from dorsal.core import ACTIVITIES, Event
from dorsal.dashboard.history import SessionHistory
from dorsal.store.store import Store
from dorsal.store.writer import BackgroundWriter

SITTING = ACTIVITIES.index("sitting")


def test_a_session_past_midnight_keeps_both_days(dorsal_home: Path) -> None:
    before = dt.datetime(2026, 11, 29, 23, 55).timestamp()  # local time, as the report's days are
    midnight = dt.datetime(2026, 11, 30, 0, 0).timestamp()
    with BackgroundWriter() as writer:
        history = SessionHistory(writer, "dorsal-test", sitting_limit_s=1800.0, twist_limit_per_day=4)
        t = np.arange(before, midnight + 240.0)  # 5 min before midnight, 4 min after, sitting
        history.seconds(t[t < midnight], np.full(int((t < midnight).sum()), SITTING))
        history.flush()
        history.seconds(t[t >= midnight], np.full(int((t >= midnight).sum()), SITTING))
        # the bout and a twist began before midnight and are closed after it
        history.bout(before, 540.0, ended_by_break=True)
        history.event(Event("twist", 10.0, 14.0, {"peak_rotation_deg": 40.0}), before + 10, before + 14)
        history.close()
        writer.flush()
    with Store() as store:
        first, second = store.day("2026-11-29"), store.day("2026-11-30")
    assert first.activity_s["sitting"] == 300 and second.activity_s["sitting"] == 240
    assert first.sitting_bouts == 1 and first.longest_sitting_bout_s == 540.0 and first.twists == 1
    assert second.sitting_bouts == 0 and second.twists == 0
