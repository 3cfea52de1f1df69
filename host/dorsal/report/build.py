"""Day and week reports from the store: the figures, the week's trend and the advice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

from dorsal.report.advice import PAIN_LOOKBACK_DAYS, Advice, advise
from dorsal.report.figures import DayFigures

#: Columns of `dorsal report --csv` (one row per day), durations in seconds.
DAY_CSV_COLUMNS: tuple[str, ...] = (
    "day", "worn_s", "sitting_s", "standing_s", "walking_s", "lying_s", "unknown_s",
    "sitting_bouts", "longest_sitting_bout_s", "sitting_bouts_over_limit", "sitting_limit_s", "breaks",
    "slouch_s", "slouch_share", "stretches", "stretch_quality", "twists", "twist_limit_per_day",
    "twists_over_limit", "excessive_extensions", "pain_reports",
)


def day_csv_row(f: DayFigures) -> list[Any]:
    q = f.stretch_quality
    return [
        f.day, round(f.worn_s, 1), *(round(f.activity_s[a], 1) for a in ("sitting", "standing", "walking", "lying",
                                                                             "unknown")),
        f.sitting_bouts, round(f.longest_sitting_bout_s, 1), f.sitting_bouts_over_limit, f.sitting_limit_s, f.breaks,
        round(f.slouch_s, 1), round(f.slouch_share, 4), len(f.stretches), "" if q is None else round(q, 3),
        f.twists, f.twist_limit_per_day, f.twists_over_limit, f.excessive_extensions, f.pain_reports,
    ]


@dataclass
class Trend:
    """This week against the week before: daily averages over the days with data."""

    metric: str
    unit: str
    this_week: float | None
    last_week: float | None
    better_when: str  # "lower" or "higher"

    @property
    def change(self) -> float | None:
        if self.this_week is None or self.last_week is None:
            return None
        return self.this_week - self.last_week

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "unit": self.unit, "this_week": self.this_week,
                "last_week": self.last_week, "change": self.change, "better_when": self.better_when}


@dataclass
class Report:
    """A day report (one day) or a week report (seven days ending on ``end_day``)."""

    kind: str  # "day" or "week"
    end_day: str
    days: list[DayFigures]
    trend: list[Trend]
    advice: list[Advice]
    events: list[dict[str, Any]]  # the day's twists, stretches and pain reports for the strip (day reports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "end_day": self.end_day,
            "days": [d.to_dict() for d in self.days],
            "trend": [t.to_dict() for t in self.trend],
            "advice": [a.to_dict() for a in self.advice],
            "markers": self.events,
        }


def _date_range(end: dt.date, n: int) -> list[str]:
    return [(end - dt.timedelta(days=n - 1 - i)).isoformat() for i in range(n)]


def _avg(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def trends(this_week: Sequence[DayFigures], last_week: Sequence[DayFigures]) -> list[Trend]:
    def worn(days: Sequence[DayFigures]) -> list[DayFigures]:
        return [d for d in days if d.worn_s > 0]

    a, b = worn(this_week), worn(last_week)
    rows = [
        ("sitting per day", "h", lambda d: d.activity_s["sitting"] / 3600, "lower"),
        ("standing and walking per day", "h", lambda d: (d.activity_s["standing"] + d.activity_s["walking"]) / 3600,
         "higher"),
        ("time slouched", "%", lambda d: 100 * d.slouch_share, "lower"),
        ("breaks per day", "", lambda d: d.breaks, "higher"),
        ("sitting bouts over the limit per day", "", lambda d: d.sitting_bouts_over_limit, "lower"),
        ("stretches per day", "", lambda d: len(d.stretches), "higher"),
        ("twists per day", "", lambda d: d.twists, "lower"),
    ]
    out = [Trend(name, unit, _avg([fn(d) for d in a]), _avg([fn(d) for d in b]), better)
           for name, unit, fn, better in rows]
    out.append(Trend("days with pain", "", float(sum(d.pain_reports > 0 for d in this_week)),
                     float(sum(d.pain_reports > 0 for d in last_week)), "lower"))
    return out


def build_report(store: Any, kind: str, end_day: str | None = None) -> Report:
    """A report from a ``dorsal.store.Store``; ``end_day`` defaults to today (local time)."""
    from dorsal.store import day_bounds

    end = dt.date.fromisoformat(end_day) if end_day else dt.date.today()
    history_keys = _date_range(end, PAIN_LOOKBACK_DAYS)
    known = set(store.days())
    history = [store.day(k) for k in history_keys if k in known]
    by_day = {d.day: d for d in history}
    settings = store.figure_settings()

    def day_or_empty(key: str) -> DayFigures:
        return by_day.get(key) or DayFigures(day=key, sitting_limit_s=settings.sitting_limit_s,
                                             twist_limit_per_day=settings.twist_limit_per_day)

    advice = advise(history, end.isoformat())
    if kind == "day":
        start_s, end_s = day_bounds(end.isoformat())
        markers = [{"kind": e.kind, "t_unix_s": e.start_unix_s, "end_unix_s": e.end_unix_s, **_marker_figs(e.figures)}
                   for e in store.events(start_s, end_s) if e.kind in ("twist", "stretch", "excessive_extension")]
        markers += [{"kind": "pain", "t_unix_s": p.t_unix_s, **p.context} for p in store.pain_reports(start_s, end_s)]
        markers.sort(key=lambda m: m["t_unix_s"])
        return Report("day", end.isoformat(), [day_or_empty(end.isoformat())], [], advice, markers)
    if kind != "week":
        raise ValueError(f"unknown report kind {kind!r}")
    this_week = [day_or_empty(k) for k in _date_range(end, 7)]
    last_week = [day_or_empty(k) for k in _date_range(end - dt.timedelta(days=7), 7)]
    return Report("week", end.isoformat(), this_week, trends(this_week, last_week), advice, [])


def _marker_figs(figures: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "stretch_id", "quality", "rotation_deg", "extension_deg")
    return {k: figures[k] for k in keep if k in figures}
