"""Analyses in the documented JSON shape (DESIGN.md `analyze --json --timeline`), built from a script of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any


def desk_day(segments: list[tuple[str, float]], slouch: list[tuple[float, float]] = (),  # type: ignore[assignment]
             twists: list[float] = (), stretches: list[tuple[float, float, str, float | None]] = (),  # type: ignore[assignment]
             extensions: list[float] = (), t0_s: float = 1000.0) -> dict[str, Any]:  # type: ignore[assignment]
    """A day: (activity, seconds) segments one after the other; event times in seconds from the start.

    The timeline is per second; times are on a recording clock starting at ``t0_s``
    (not zero, as a device clock would be), so offsets are exercised.
    """
    activity: list[str] = []
    for name, secs in segments:
        activity += [name] * int(secs)
    timeline = [{"t_s": t0_s + i, "activity": a, "flexion_deg": 0.0, "lateral_deg": 0.0, "rotation_deg": 0.0,
                 "inclination_deg": 0.0} for i, a in enumerate(activity)]
    events: list[dict[str, Any]] = []
    for a, b in slouch:
        events.append({"kind": "slouch", "start_s": t0_s + a, "end_s": t0_s + b, "figures": {"flexion_deg": 22.0}})
    for t in twists:
        events.append({"kind": "twist", "start_s": t0_s + t, "end_s": t0_s + t + 2, "figures": {"rotation_deg": 35.0}})
    for t, d, sid, q in stretches:
        events.append({"kind": "stretch", "start_s": t0_s + t, "end_s": t0_s + t + d,
                       "figures": {"id": sid, "quality": q}})
    for t in extensions:
        events.append({"kind": "excessive_extension", "start_s": t0_s + t, "end_s": t0_s + t + 3,
                       "figures": {"extension_deg": -35.0}})
    return {"summary": {}, "events": events, "timeline": timeline}


def at(day: str, hour: float) -> float:
    """Unix seconds of a local time on a day."""
    base = dt.datetime.combine(dt.date.fromisoformat(day), dt.time())
    return (base + dt.timedelta(hours=hour)).timestamp()


#: A morning: 50 min sitting (slouched 10 min of it), 5 min walking, 20 min sitting, a 30 s stand
#: (too short for a break), 20 min sitting, 10 min standing. Two twists, one stretch.
MORNING = dict(
    segments=[("sitting", 3000), ("walking", 300), ("sitting", 1200), ("standing", 30), ("sitting", 1200),
              ("standing", 600)],
    slouch=[(600, 1200)],
    twists=[3100.0, 4000.0],
    stretches=[(5800.0, 60.0, "standing-bends", 0.8)],
)


