"""Advice over time, in dorsal's own words, from the safety notes the product is built on.

The rules restate the safety notes of a how-to article on relieving upper-back
pain by stretching and twisting (see the project's SEED_NOTES). They are
general guidance: dorsal never diagnoses, and every piece of advice says where
it comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from dorsal.report.figures import DayFigures

SAFETY_NOTES = ("dorsal's safety notes, which restate a how-to article on relieving upper-back pain "
                "by stretching; general guidance, not a diagnosis")
SITTING_SOURCE = ("common practice advice (a guideline, not a proven threshold: WHO 2020 found no "
                  "evidence-based limit; Diaz et al. 2017; Dunstan et al. 2012)")

#: Pain on this many different days ...
PAIN_DAYS = 3
#: ... spread over more than this many days counts as pain lasting "more than a few weeks".
PAIN_SPAN_DAYS = 21
#: How far back the pain rule looks.
PAIN_LOOKBACK_DAYS = 84
#: Twisting over the daily limit on this many of the last 7 days counts as "often, day after day".
TWIST_DAYS_PER_WEEK = 3


@dataclass(frozen=True)
class Advice:
    """One calm suggestion: a stable key, the text, and where it comes from."""

    key: str
    text: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt_duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def advise(history: Sequence[DayFigures], today: str) -> list[Advice]:
    """Advice for the report ending on ``today`` from the days up to it (any order, gaps allowed).

    ``history`` should reach back PAIN_LOOKBACK_DAYS days for the pain rule.
    """
    end = dt.date.fromisoformat(today)
    by_day = {d.day: d for d in history if dt.date.fromisoformat(d.day) <= end}
    out: list[Advice] = []

    def days_back(n: int) -> list[DayFigures]:
        return [by_day[k] for k in ((end - dt.timedelta(days=i)).isoformat() for i in range(n)) if k in by_day]

    pain_days = sorted(d.day for d in days_back(PAIN_LOOKBACK_DAYS) if d.pain_reports > 0)
    if len(pain_days) >= PAIN_DAYS:
        span = (dt.date.fromisoformat(pain_days[-1]) - dt.date.fromisoformat(pain_days[0])).days
        recent = [d for d in pain_days if (end - dt.date.fromisoformat(d)).days < 14]
        if span > PAIN_SPAN_DAYS:
            out.append(Advice(
                "pain-see-doctor",
                f"You noted back pain on {len(pain_days)} different days over about {span // 7 + 1} weeks. "
                "Pain that keeps coming back for more than a few weeks should be seen by a doctor. "
                "Most back pain gets better on its own, and a doctor can tell you what will help; "
                "dorsal cannot tell what causes it.",
                SAFETY_NOTES))
        elif len(recent) >= PAIN_DAYS:
            out.append(Advice(
                "pain-frequent",
                f"You noted back pain on {len(recent)} of the last 14 days. Frequent back pain is worth "
                "having checked by a doctor, and if it goes on for more than a few weeks, please see one.",
                SAFETY_NOTES))
    week = days_back(7)
    today_fig = by_day.get(today)
    when = "today" if end == dt.date.today() else f"on {end:%A %Y-%m-%d}"
    if today_fig is not None and today_fig.pain_reports > 0:
        out.append(Advice(
            "pain-today",
            f"You reported pain {when}. Stop any stretch or movement that hurts, and notice how your back "
            "feels before trying it again: overdoing it can do harm.",
            SAFETY_NOTES))
    limit = week[0].twist_limit_per_day if week else 4
    twist_days = [d for d in week if d.twists > d.twist_limit_per_day]
    if len(twist_days) >= TWIST_DAYS_PER_WEEK:
        out.append(Advice(
            "twist-stretch-instead",
            f"You twisted your back more than {limit} times a day on {len(twist_days)} of the last 7 days. "
            "Twisting often can over-stretch the back muscles and make the spine looser and less stable "
            "over time. A stretch is the better habit: bending forward, back and to each side while "
            f"standing is the gentlest. (The limit of {limit} a day is a heuristic you can change.)",
            SAFETY_NOTES))
        earlier = [by_day[k] for k in ((end - dt.timedelta(days=i)).isoformat() for i in range(7, 14))
                   if k in by_day]
        if sum(d.twists > d.twist_limit_per_day for d in earlier) >= TWIST_DAYS_PER_WEEK:
            out.append(Advice(
                "twist-see-doctor",
                "The urge to twist has kept coming back for two weeks. If it comes from tiredness or "
                "stiffness that does not go away, that is a reason to talk to a doctor rather than to "
                "twist more.",
                SAFETY_NOTES))
    if today_fig is not None and today_fig.sitting_bouts_over_limit > 0:
        out.append(Advice(
            "sitting-breaks",
            f"Your longest time sitting without a break {when} was "
            f"{_fmt_duration(today_fig.longest_sitting_bout_s)}. "
            f"Standing up or walking for a minute or two at least every "
            f"{_fmt_duration(today_fig.sitting_limit_s)} is a common recommendation.",
            SITTING_SOURCE))
    return out
