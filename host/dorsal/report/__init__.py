"""Day and week reports from the history store: terminal charts, SVG, CSV, JSON, and advice over time.

For the dashboard (today and this week):

    from dorsal.report import report_text
    text = report_text(store, "day")     # or "week"; plain text charts, no colour codes
"""

from __future__ import annotations

from typing import Any

from dorsal.report.build import Report, build_report


def report_text(store: Any, kind: str = "day", end_day: str | None = None, color: bool = False) -> str:
    """The terminal report (hour strip or week bars, figures, advice) of a ``dorsal.store.Store``."""
    from dorsal.report.terminal import render

    return render(build_report(store, kind, end_day), color=color)


__all__ = ["Report", "build_report", "report_text"]
