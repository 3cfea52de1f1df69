"""Reports as terminal charts: an hour-by-hour strip of a day, bars for a week.

Each activity has its own glyph so the charts read without colour; colour
(ANSI) is added only when asked (a terminal, and NO_COLOR unset).
"""

from __future__ import annotations

import datetime as dt
import textwrap

from dorsal.report.build import Report
from dorsal.report.figures import ACTIVITIES, HOURS, DayFigures

GLYPH = {"sitting": "█", "standing": "▓", "walking": "▒", "lying": "░", "unknown": "·"}
COLOR = {"sitting": "\x1b[34m", "standing": "\x1b[32m", "walking": "\x1b[36m", "lying": "\x1b[35m",
         "unknown": "\x1b[90m"}
RESET = "\x1b[0m"
SPARK = " ▁▂▃▄▅▆▇█"
MARK = {"twist": "t", "stretch": "s", "excessive_extension": "x", "pain": "!"}
#: An hour counts as "no data" when less than this share of it was recorded.
MIN_HOUR_SHARE = 0.05


def hour_activity(f: DayFigures) -> list[str]:
    """The dominant activity of each hour ("unknown" when the hour was barely recorded)."""
    out = []
    for h in range(HOURS):
        secs = {a: f.hourly_activity_s[a][h] for a in ACTIVITIES if a != "unknown"}
        best = max(secs, key=lambda a: secs[a])
        out.append(best if secs[best] >= MIN_HOUR_SHARE * 3600 else "unknown")
    return out


def hour_slouch_share(f: DayFigures) -> list[float]:
    out = []
    for h in range(HOURS):
        up = f.hourly_activity_s["sitting"][h] + f.hourly_activity_s["standing"][h]
        out.append(min(1.0, f.hourly_slouch_s[h] / up) if up > 0 else 0.0)
    return out


def fmt_h(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}"


def _paint(text: str, activity: str, color: bool) -> str:
    return f"{COLOR[activity]}{text}{RESET}" if color else text


def day_strip(f: DayFigures, markers: list[dict], color: bool = False) -> list[str]:
    """Three lines, two columns per hour: activity, slouch share, and marks (twist, stretch, pain)."""
    acts = hour_activity(f)
    strip = "".join(_paint(GLYPH[a] * 2, a, color) for a in acts)
    spark = "".join(SPARK[min(8, int(round(s * 8)))] * 2 for s in hour_slouch_share(f))
    marks = [" "] * (HOURS * 2)
    for m in markers:
        t = dt.datetime.fromtimestamp(m["t_unix_s"])
        col = t.hour * 2 + (1 if t.minute >= 30 else 0)
        symbol = MARK.get(m["kind"], "?")
        # Pain wins a shared cell: it is the one that must not be missed.
        if marks[col] == " " or symbol == "!":
            marks[col] = symbol
    axis = "".join(f"{h:02d}  " for h in range(0, HOURS, 2))
    return [
        "hour      " + axis,
        "activity  " + strip,
        "slouched  " + spark,
        "events    " + "".join(marks),
    ]


def legend(color: bool = False) -> str:
    parts = [f"{_paint(GLYPH[a], a, color)} {a if a != 'unknown' else 'no data'}" for a in ACTIVITIES]
    return "  ".join(parts) + "   marks: t twist  s stretch  x over-extension  ! pain"


def day_lines(f: DayFigures) -> list[str]:
    q = f.stretch_quality
    ids = ", ".join(sorted({s.stretch_id for s in f.stretches})) or "none"
    return [
        f"worn {fmt_h(f.worn_s)}: sitting {fmt_h(f.activity_s['sitting'])}, standing {fmt_h(f.activity_s['standing'])}, "
        f"walking {fmt_h(f.activity_s['walking'])}, lying {fmt_h(f.activity_s['lying'])}",
        f"sitting bouts {f.sitting_bouts}, longest {fmt_h(f.longest_sitting_bout_s)}, "
        f"{f.sitting_bouts_over_limit} over the {int(f.sitting_limit_s // 60)}-min limit; breaks {f.breaks}",
        f"slouched {100 * f.slouch_share:.0f}% of upright time ({fmt_h(f.slouch_s)})",
        f"stretches {len(f.stretches)} ({ids})" + ("" if q is None else f", quality {100 * q:.0f}%")
        + (f"; over-extensions {f.excessive_extensions}" if f.excessive_extensions else ""),
        f"twists {f.twists} (limit {f.twist_limit_per_day} a day, a heuristic)"
        + (f", {f.twists_over_limit} over" if f.twists_over_limit else ""),
        f"pain reports {f.pain_reports}",
    ]


def week_bars(days: list[DayFigures], width: int = 40, color: bool = False) -> list[str]:
    """One stacked bar per day (sitting, standing, walking, lying), scaled to the longest day."""
    longest = max((d.worn_s for d in days), default=0.0) or 1.0
    lines = []
    for d in days:
        date = dt.date.fromisoformat(d.day)
        bar = ""
        used = 0
        for a in ("sitting", "standing", "walking", "lying"):
            n = int(round(d.activity_s[a] / longest * width))
            n = min(n, width - used)
            used += n
            bar += _paint(GLYPH[a] * n, a, color)
        bar += " " * (width - used)
        pain = " pain" if d.pain_reports else ""
        figs = (f"{fmt_h(d.worn_s):>6}  slouch {100 * d.slouch_share:3.0f}%  breaks {d.breaks:2d}  "
                f"twists {d.twists:2d}{'*' if d.twists_over_limit else ' '}{pain}") if d.worn_s else "  no data" + pain
        lines.append(f"{date:%a %m-%d} {bar} {figs}")
    return lines


def render(report: Report, color: bool = False) -> str:
    out: list[str] = []
    if report.kind == "day":
        f = report.days[0]
        date = dt.date.fromisoformat(f.day)
        out.append(f"dorsal report: {date:%A %Y-%m-%d}")
        out.append("")
        out += day_strip(f, report.events, color)
        out.append(legend(color))
        out.append("")
        if f.worn_s == 0 and not f.pain_reports:
            out.append("nothing recorded on this day (the dashboard keeps your days while you watch; "
                       "`dorsal report --import FILE` adds a recording)")
        else:
            out += day_lines(f)
    else:
        out.append(f"dorsal report: the week ending {report.end_day}")
        out.append("")
        out += week_bars(report.days, color=color)
        out.append(legend(color).split("   marks")[0] + "   * twists over the daily limit")
        out.append("")
        out.append("trend (daily average, this week vs the week before):")
        for t in report.trend:
            if t.this_week is None:
                continue
            unit = f" {t.unit}" if t.unit else ""
            if t.last_week is None:
                out.append(f"  {t.metric}: {t.this_week:.1f}{unit}")
                continue
            change = t.change or 0.0
            arrow = "=" if abs(change) < 0.05 else ("↑" if change > 0 else "↓")
            good = abs(change) >= 0.05 and ((change < 0) == (t.better_when == "lower"))
            verdict = "" if arrow == "=" else (" (better)" if good else " (worse)")
            out.append(f"  {t.metric}: {t.this_week:.1f}{unit} {arrow} from {t.last_week:.1f}{unit}{verdict}")
    if report.advice:
        out.append("")
        out.append("advice:")
        for a in report.advice:
            out += textwrap.wrap(a.text, 100, initial_indent="  - ", subsequent_indent="    ")
            out += textwrap.wrap(f"(from {a.source})", 100, initial_indent="    ", subsequent_indent="     ")
    return "\n".join(out) + "\n"
