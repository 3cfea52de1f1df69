"""Reports as SVG: the same pictures as the terminal (hour strip of a day, bars of a week) in a file.

Plain SVG 1.1 with inline attributes only (no CSS, scripts or fonts to fetch),
so any viewer or browser shows it and it can be shared as is.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from xml.sax.saxutils import escape

from dorsal.report.build import Report
from dorsal.report.figures import ACTIVITIES, HOURS, DayFigures
from dorsal.report.terminal import MARK, day_lines, fmt_h, hour_slouch_share

FILL = {"sitting": "#3465a4", "standing": "#4e9a06", "walking": "#06989a", "lying": "#75507b",
        "unknown": "#d3d7cf"}
MARK_FILL = {"twist": "#ce5c00", "stretch": "#4e9a06", "excessive_extension": "#c4a000", "pain": "#cc0000"}
FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
WIDTH = 860


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, title: str | None = None) -> None:
        body = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                          f'fill="{fill}">{body}</rect>' if body else
                          f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                          f'fill="{fill}"/>')

    def text(self, x: float, y: float, s: str, size: int = 12, anchor: str = "start", weight: str = "normal",
             fill: str = "#2e3436") -> None:
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" text-anchor="{anchor}" '
                          f'font-weight="{weight}" fill="{fill}">{escape(s)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#888a85") -> None:
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
                          f'stroke-width="1"/>')

    def circle(self, x: float, y: float, r: float, fill: str, title: str) -> None:
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}">'
                          f'<title>{escape(title)}</title></circle>')

    def document(self, height: float, title: str) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height:.0f}" '
                f'viewBox="0 0 {WIDTH} {height:.0f}">\n<title>{escape(title)}</title>\n'
                f'<rect x="0" y="0" width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>\n'
                + "\n".join(self.parts) + "\n</svg>\n")


def _legend(c: _Canvas, y: float) -> None:
    x = 20.0
    for a in ACTIVITIES:
        c.rect(x, y - 10, 12, 12, FILL[a])
        label = "no data" if a == "unknown" else a
        c.text(x + 16, y, label, 11)
        x += 30 + 7 * len(label)


def _day(c: _Canvas, f: DayFigures, markers: list[dict], y: float) -> float:
    left, col_w, strip_h = 74.0, 32.0, 120.0
    c.text(left - 8, y + 10, "1 h", 10, "end")
    c.text(left - 8, y + strip_h, "0", 10, "end")
    for h in range(HOURS):
        x = left + h * col_w
        c.rect(x + 1, y, col_w - 2, strip_h, "#f3f3f1")
        top = y + strip_h
        for a in ACTIVITIES:
            if a == "unknown":
                continue
            secs = f.hourly_activity_s[a][h]
            hgt = strip_h * min(secs, 3600.0) / 3600.0
            top -= hgt
            if hgt > 0:
                c.rect(x + 1, top, col_w - 2, hgt, FILL[a], f"{h:02d}:00 {a} {secs / 60:.0f} min")
        c.text(x + col_w / 2, y + strip_h + 14, f"{h:02d}", 10, "middle")
    # Slouch share of each hour, as a bar row under the strip.
    sy = y + strip_h + 24
    c.text(left - 8, sy + 14, "slouched", 10, "end")
    for h, share in enumerate(hour_slouch_share(f)):
        x = left + h * col_w
        c.rect(x + 1, sy, col_w - 2, 18, "#f3f3f1")
        if share > 0:
            c.rect(x + 1, sy + 18 * (1 - share), col_w - 2, 18 * share, "#f57900",
                   f"{h:02d}:00 slouched {100 * share:.0f}% of upright time")
    my = sy + 34
    c.text(left - 8, my + 4, "events", 10, "end")
    c.line(left, my, left + HOURS * col_w, my)
    for m in markers:
        t = dt.datetime.fromtimestamp(m["t_unix_s"])
        x = left + (t.hour + t.minute / 60 + t.second / 3600) * col_w
        c.circle(x, my, 5 if m["kind"] == "pain" else 4, MARK_FILL.get(m["kind"], "#555753"),
                 f"{t:%H:%M} {m['kind'].replace('_', ' ')}")
    ly = my + 24
    _legend(c, ly)
    x = 480.0
    for kind in ("twist", "stretch", "excessive_extension", "pain"):
        c.circle(x, ly - 4, 4, MARK_FILL[kind], kind)
        label = kind.replace("excessive_extension", "over-extension")
        c.text(x + 8, ly, f"{label} ({MARK[kind]})", 11)
        x += 24 + 7 * len(label)
    y = ly + 26
    for line in day_lines(f):
        c.text(20, y, line, 12)
        y += 18
    return y


def _week(c: _Canvas, report: Report, y: float) -> float:
    left, bar_w, bar_h = 100.0, 400.0, 22.0
    longest = max((d.worn_s for d in report.days), default=0.0) or 1.0
    for d in report.days:
        date = dt.date.fromisoformat(d.day)
        c.text(left - 8, y + 16, f"{date:%a %m-%d}", 12, "end")
        c.rect(left, y, bar_w, bar_h, "#f3f3f1")
        x = left
        for a in ("sitting", "standing", "walking", "lying"):
            w = bar_w * d.activity_s[a] / longest
            if w > 0:
                c.rect(x, y, w, bar_h, FILL[a], f"{d.day} {a} {fmt_h(d.activity_s[a])}")
            x += w
        figs = (f"{fmt_h(d.worn_s)}  slouch {100 * d.slouch_share:.0f}%  breaks {d.breaks}  twists {d.twists}"
                if d.worn_s else "no data")
        c.text(left + bar_w + 10, y + 16, figs, 11, fill="#cc0000" if d.twists_over_limit else "#2e3436")
        if d.pain_reports:
            c.circle(left + bar_w + 276, y + 11, 5, MARK_FILL["pain"], f"{d.pain_reports} pain reports")
            c.text(left + bar_w + 286, y + 16, f"pain ({d.pain_reports})", 11, fill="#cc0000")
        y += bar_h + 8
    _legend(c, y + 10)
    c.text(480, y + 10, "red figures: twists over the daily limit (a heuristic)", 11, fill="#cc0000")
    y += 36
    c.text(20, y, "Trend (daily average, this week vs the week before)", 13, weight="bold")
    y += 20
    for t in report.trend:
        if t.this_week is None:
            continue
        unit = f" {t.unit}" if t.unit else ""
        s = f"{t.metric}: {t.this_week:.1f}{unit}"
        if t.last_week is not None:
            s += f" (week before: {t.last_week:.1f}{unit})"
        c.text(30, y, s, 12)
        y += 17
    return y


def render_svg(report: Report) -> str:
    c = _Canvas()
    if report.kind == "day":
        date = dt.date.fromisoformat(report.end_day)
        title = f"dorsal: {date:%A %Y-%m-%d}"
    else:
        title = f"dorsal: the week ending {report.end_day}"
    c.text(20, 30, title, 18, weight="bold")
    y = _day(c, report.days[0], report.events, 50.0) if report.kind == "day" else _week(c, report, 50.0)
    if report.advice:
        y += 14
        c.text(20, y, "Advice", 13, weight="bold")
        y += 18
        for a in report.advice:
            for i, line in enumerate(textwrap.wrap(a.text, 115)):
                c.text(30, y, ("• " if i == 0 else "  ") + line, 12)
                y += 16
            for line in textwrap.wrap(f"From {a.source}.", 125):
                c.text(42, y, line, 10, fill="#555753")
                y += 14
            y += 4
    return c.document(y + 16, title)
