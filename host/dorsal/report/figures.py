"""Day figures: what a report shows for one day, computed from an analysis.

The input is the analysis JSON shape of DESIGN.md (``analyze --json
--timeline``; ``simulate --truth`` writes the same shape from ground truth), so
the figures of a recording and of its ground truth come from the same code and
can be compared. Times in that shape are seconds on the recording's clock; a
start time (unix seconds) places them on the calendar, in local time.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

ACTIVITIES: tuple[str, ...] = ("sitting", "standing", "walking", "lying", "unknown")
HOURS = 24

#: Defaults, all user-tunable (settings of the store); see ../../shared notes in
#: the report's "where the advice comes from" text.
#: Break sitting at least every 30 min: common practice advice (WHO 2020 found no
#: evidence-based threshold; Diaz et al. 2017: risk rises with bouts >= 10 min).
DEFAULT_SITTING_LIMIT_S = 30 * 60.0
#: A break is real standing or walking of about 1-2 min (Dunstan et al. 2012 used 2 min).
DEFAULT_BREAK_MIN_S = 60.0
#: Twists per day: no study gives a number; practitioners' advice reaches "not more
#: than ~4 times a day". A heuristic, labelled so wherever it is shown.
DEFAULT_TWIST_LIMIT_PER_DAY = 4
#: Stretches done standing (the positions in SEED_NOTES.md's table).
STANDING_STRETCHES = frozenset({"standing-back-lean", "standing-bends"})


@dataclass(frozen=True)
class FigureSettings:
    """The thresholds the day figures use (units in the names)."""

    sitting_limit_s: float = DEFAULT_SITTING_LIMIT_S
    break_min_s: float = DEFAULT_BREAK_MIN_S
    twist_limit_per_day: int = DEFAULT_TWIST_LIMIT_PER_DAY

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FigureSettings:
        known = {k: d[k] for k in ("sitting_limit_s", "break_min_s", "twist_limit_per_day") if k in d}
        return cls(**known)


@dataclass
class StretchDone:
    """One stretch of the day: its id (SEED_NOTES.md), length and quality (0..1, None if not rated)."""

    stretch_id: str
    start_unix_s: float
    duration_s: float
    quality: float | None = None


@dataclass
class DayFigures:
    """Everything a report shows for one local calendar day (of one session, or merged)."""

    day: str  # YYYY-MM-DD, local time
    activity_s: dict[str, float] = field(default_factory=lambda: {a: 0.0 for a in ACTIVITIES})
    #: seconds of each activity per local hour: {activity: [24 floats]}
    hourly_activity_s: dict[str, list[float]] = field(
        default_factory=lambda: {a: [0.0] * HOURS for a in ACTIVITIES}
    )
    hourly_slouch_s: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    slouch_s: float = 0.0
    sitting_bouts: int = 0
    longest_sitting_bout_s: float = 0.0
    sitting_bouts_over_limit: int = 0
    breaks: int = 0
    stretches: list[StretchDone] = field(default_factory=list)
    twists: int = 0
    excessive_extensions: int = 0
    pain_reports: int = 0
    sitting_limit_s: float = DEFAULT_SITTING_LIMIT_S
    twist_limit_per_day: int = DEFAULT_TWIST_LIMIT_PER_DAY

    @property
    def worn_s(self) -> float:
        return float(sum(v for k, v in self.activity_s.items() if k != "unknown"))

    @property
    def upright_s(self) -> float:
        return self.activity_s["sitting"] + self.activity_s["standing"]

    @property
    def slouch_share(self) -> float:
        """Share of upright (sitting or standing) time spent slouched, 0..1."""
        up = self.upright_s
        return min(1.0, self.slouch_s / up) if up > 0 else 0.0

    @property
    def stretch_quality(self) -> float | None:
        rated = [s.quality for s in self.stretches if s.quality is not None]
        return float(np.mean(rated)) if rated else None

    @property
    def twists_over_limit(self) -> int:
        return max(0, self.twists - self.twist_limit_per_day)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["slouch_share"] = self.slouch_share
        d["worn_s"] = self.worn_s
        d["stretch_quality"] = self.stretch_quality
        d["twists_over_limit"] = self.twists_over_limit
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DayFigures:
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        fields["stretches"] = [StretchDone(**s) for s in d.get("stretches", [])]
        out = cls(**fields)
        for a in ACTIVITIES:
            out.activity_s.setdefault(a, 0.0)
            out.hourly_activity_s.setdefault(a, [0.0] * HOURS)
        return out


def local_day(t_unix_s: float) -> str:
    return _dt.datetime.fromtimestamp(t_unix_s).date().isoformat()


def merge_days(parts: Sequence[DayFigures], day: str | None = None) -> DayFigures:
    """One day from several sessions' shares of it (sums; longest bout is the max)."""
    out = DayFigures(day=day or (parts[0].day if parts else ""))
    for p in parts:
        for a in ACTIVITIES:
            out.activity_s[a] += p.activity_s.get(a, 0.0)
            out.hourly_activity_s[a] = [x + y for x, y in zip(out.hourly_activity_s[a], p.hourly_activity_s[a])]
        out.hourly_slouch_s = [x + y for x, y in zip(out.hourly_slouch_s, p.hourly_slouch_s)]
        out.slouch_s += p.slouch_s
        out.sitting_bouts += p.sitting_bouts
        out.longest_sitting_bout_s = max(out.longest_sitting_bout_s, p.longest_sitting_bout_s)
        out.sitting_bouts_over_limit += p.sitting_bouts_over_limit
        out.breaks += p.breaks
        out.stretches.extend(p.stretches)
        out.twists += p.twists
        out.excessive_extensions += p.excessive_extensions
        out.pain_reports += p.pain_reports
        out.sitting_limit_s = p.sitting_limit_s
        out.twist_limit_per_day = p.twist_limit_per_day
    out.stretches.sort(key=lambda s: s.start_unix_s)
    return out


@dataclass
class Timeline:
    """Per-second rows of an analysis: time on the recording's clock and activity label."""

    t_s: np.ndarray  # float64, shape (N,)
    activity: np.ndarray  # str (object), shape (N,)


def timeline_from_json(timeline: Any) -> Timeline:
    """Accepts the timeline as a list of row dicts, a dict of columns, or a structured array."""
    if timeline is None:
        return Timeline(np.zeros(0), np.zeros(0, dtype=object))
    if isinstance(timeline, np.ndarray):
        return Timeline(np.asarray(timeline["t_s"], float), np.asarray(timeline["activity"]).astype(str).astype(object))
    if isinstance(timeline, Mapping):
        return Timeline(np.asarray(timeline["t_s"], float), np.asarray(timeline["activity"], dtype=object))
    rows = list(timeline)
    return Timeline(
        np.asarray([r["t_s"] for r in rows], float), np.asarray([r["activity"] for r in rows], dtype=object)
    )


def _event_list(events: Any) -> list[dict[str, Any]]:
    out = []
    for e in events or []:
        out.append(e if isinstance(e, Mapping) else {**getattr(e, "figures", {}), "kind": e.kind,
                                                     "start_s": e.start_s, "end_s": e.end_s})
    return out


def _flatten(e: Mapping[str, Any]) -> dict[str, Any]:
    # Events carry their figures either inline or under "figures".
    d = dict(e)
    inner = d.pop("figures", None)
    if isinstance(inner, Mapping):
        for k, v in inner.items():
            d.setdefault(k, v)
    return d


def _runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding: (start index, length, label) of each run."""
    if labels.size == 0:
        return np.zeros(0, int), np.zeros(0, int), labels[:0]
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [labels.size])))
    return starts, lengths, labels[starts]


_SIT, _ACTIVE, _OTHER = 0, 1, 2


def day_figures_from_analysis(
    analysis: Mapping[str, Any], start_unix_s: float, settings: FigureSettings | None = None
) -> dict[str, DayFigures]:
    """Figures per local day of one analysis (JSON shape with a timeline).

    ``start_unix_s`` is the wall-clock time of the timeline's first second.
    Sitting bouts absorb interruptions shorter than ``break_min_s``; a break is
    standing or walking for at least ``break_min_s`` right after sitting. A
    bout or break belongs to the day it starts on.
    """
    settings = settings or FigureSettings()
    tl = timeline_from_json(analysis.get("timeline"))
    events = [_flatten(e) for e in _event_list(analysis.get("events"))]
    days: dict[str, DayFigures] = {}

    def day_of(t_unix_s: float) -> DayFigures:
        key = local_day(t_unix_s)
        if key not in days:
            days[key] = DayFigures(day=key, sitting_limit_s=settings.sitting_limit_s,
                                   twist_limit_per_day=settings.twist_limit_per_day)
        return days[key]

    t0 = float(tl.t_s[0]) if tl.t_s.size else 0.0
    offset = start_unix_s - t0
    if tl.t_s.size:
        dt = np.diff(tl.t_s)
        step_s = float(np.median(dt)) if dt.size else 1.0
        unix = tl.t_s + offset
        stamps = [_dt.datetime.fromtimestamp(float(u)) for u in (unix[0], unix[-1])]
        # Local day and hour of every row, vectorized from the day boundaries in the span.
        day_keys, day_idx, hour_idx = _day_hour_index(unix, stamps[0].date(), stamps[1].date())
        activity = settle_unknown_start(np.where(np.isin(tl.activity, ACTIVITIES), tl.activity, "unknown"),
                                        tl.t_s, events)
        slouched = np.zeros(unix.size, bool)
        for e in events:
            if e.get("kind") == "slouch":
                a, b = np.searchsorted(tl.t_s, [float(e["start_s"]), float(e["end_s"])])
                slouched[a:b] = True
        for k, key in enumerate(day_keys):
            rows = day_idx == k
            if not rows.any():
                continue
            fig = day_of(float(unix[rows][0]))
            hours = hour_idx[rows]
            for a in ACTIVITIES:
                sel = activity[rows] == a
                fig.activity_s[a] += float(sel.sum()) * step_s
                counts = np.bincount(hours[sel], minlength=HOURS) * step_s
                fig.hourly_activity_s[a] = [x + float(y) for x, y in zip(fig.hourly_activity_s[a], counts)]
            s = slouched[rows]
            fig.slouch_s += float(s.sum()) * step_s
            counts = np.bincount(hours[s], minlength=HOURS) * step_s
            fig.hourly_slouch_s = [x + float(y) for x, y in zip(fig.hourly_slouch_s, counts)]
        _bouts_and_breaks(activity, unix, step_s, settings, day_of)
    for e in events:
        kind = e.get("kind")
        t = float(e["start_s"]) + offset
        if kind == "twist":
            day_of(t).twists += 1
        elif kind == "excessive_extension":
            day_of(t).excessive_extensions += 1
        elif kind == "stretch":
            q = e.get("quality")
            day_of(t).stretches.append(StretchDone(
                stretch_id=str(e.get("id") or e.get("stretch_id") or e.get("stretch") or "stretch"),
                start_unix_s=t, duration_s=float(e["end_s"]) - float(e["start_s"]),
                quality=None if q is None else float(q)))
    return days


def settle_unknown_start(activity: np.ndarray, t_s: np.ndarray, events: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The posture of a session's opening seconds, in hindsight (activity: (N,) names per timeline row).

    Live, the core calls the posture "unknown" until it sees a sit-down, a stand-up or a walk: one
    sensor on the back cannot tell sitting still from standing still. A report has the whole session:
    the posture did not change before the first change the core saw, so those seconds were standing
    when it was a sit-down (sitting follows) and sitting when it was a stand-up (standing follows); a
    stretch done standing shows standing. Otherwise (a walk or lying follows) they stay unknown.
    Later in the session, a run of unknown seconds that a stand-up ends reads sitting as well
    (_sitting_before_stand_ups).
    """
    out = _sitting_before_stand_ups(activity)
    known = np.flatnonzero(activity != "unknown")
    end = int(known[0]) if known.size else activity.size
    if end == 0:
        return out
    last_t = float(t_s[end - 1])
    stood = any(e.get("kind") == "stretch" and str(e.get("id") or e.get("stretch_id")) in STANDING_STRETCHES
                and float(e["start_s"]) <= last_t for e in events)
    after = str(activity[end]) if known.size else None
    fill = "standing" if stood or after == "sitting" else "sitting" if after == "standing" else None
    if fill is None:
        return out
    out = out.copy() if out is activity else out
    out[:end] = fill
    return out


def _sitting_before_stand_ups(activity: np.ndarray) -> np.ndarray:
    """Every run of unknown rows that standing ends reads sitting: from unknown the core reaches standing
    only through a stand-up, and it counts those seconds in the sitting bouts (its timeline rows, written
    before the stand-up, stay unknown). Mid-session such runs follow lying (sitting up without settling)."""
    unknown = activity == "unknown"
    ends = np.flatnonzero(unknown[:-1] & (activity[1:] == "standing")) + 1  # the first standing row after a run
    if ends.size == 0:
        return activity
    out = activity.copy()
    begins = np.flatnonzero(unknown & np.concatenate([[True], ~unknown[:-1]]))
    for end in ends.tolist():
        out[begins[np.searchsorted(begins, end) - 1] : end] = "sitting"
    return out


def _day_hour_index(unix: np.ndarray, first: _dt.date, last: _dt.date) -> tuple[list[str], np.ndarray, np.ndarray]:
    keys: list[str] = []
    bounds: list[float] = []
    d = first
    while d <= last:
        keys.append(d.isoformat())
        bounds.append(_dt.datetime.combine(d, _dt.time()).timestamp())
        d += _dt.timedelta(days=1)
    bounds_arr = np.asarray(bounds)
    day_idx = np.clip(np.searchsorted(bounds_arr, unix, side="right") - 1, 0, len(keys) - 1)
    # Hours from the local midnight of each row's day (DST days have 23 or 25 hours: clip).
    hour_idx = np.clip(((unix - bounds_arr[day_idx]) // 3600).astype(int), 0, HOURS - 1)
    return keys, day_idx, hour_idx


def _bouts_and_breaks(activity: np.ndarray, unix: np.ndarray, step_s: float, settings: FigureSettings,
                      day_of: Any) -> None:
    code = np.full(activity.size, _OTHER, np.int8)
    code[activity == "sitting"] = _SIT
    code[(activity == "standing") | (activity == "walking")] = _ACTIVE
    starts, lengths, labels = _runs(code)
    short = int(np.ceil(settings.break_min_s / step_s))
    # Interruptions shorter than a break, between two sitting runs, belong to the bout.
    merged = labels.copy()
    for i in range(1, len(labels) - 1):
        if labels[i] != _SIT and lengths[i] < short and labels[i - 1] == _SIT and labels[i + 1] == _SIT:
            merged[i] = _SIT
    s2, l2, lab2 = _runs(np.repeat(merged, lengths))
    for i, (st, ln, lab) in enumerate(zip(s2, l2, lab2)):
        t = float(unix[st])
        if lab == _SIT:
            fig = day_of(t)
            bout_s = ln * step_s
            fig.sitting_bouts += 1
            fig.longest_sitting_bout_s = max(fig.longest_sitting_bout_s, bout_s)
            if bout_s >= settings.sitting_limit_s:
                fig.sitting_bouts_over_limit += 1
        elif lab == _ACTIVE and i > 0 and lab2[i - 1] == _SIT and ln >= short:
            day_of(t).breaks += 1
