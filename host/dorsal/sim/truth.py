"""Ground truth of a simulated run, in the shape of ``dorsal analyze --json --timeline``.

How truth is defined (one place; the detectors are judged against this):

* Angles (timeline ``flexion_deg``, ``lateral_deg``, ``rotation_deg``): the
  upper trunk's orientation relative to the upright standing neutral, heading
  removed, decomposed as the dashboard and core do (flexion = tilt of the
  superior axis toward anterior, lateral = its tilt toward the right, rotation
  = the anterior axis turned toward the right). ``inclination_deg`` = angle of
  the superior axis from vertical. These are what a calibrated sensor can see
  (a reclined office chair reads as negative flexion).
* activity: what the wearer is doing (``lying``, ``sitting``, ``standing``,
  ``walking``); a posture change counts from its midpoint; sitting on the floor
  counts as sitting, lying back over a ball as lying.
* ``slouch``: sitting with flexion above ``slouch_threshold_deg`` (and until
  it drops below the threshold minus ``slouch_hysteresis_deg``) for longer
  than ``slouch_delay_s``; dips shorter than ``merge_gap_s`` do not end it.
* ``excessive_extension``: the spine itself extended (relative to the body's
  base posture, so lying flat or reclining in a chair is not extension) past
  ``extension_limit_deg``, in any activity.
* ``twist``: one deliberate turn of the upper back to its end of range (to
  crack it), per side; seated-twist counts (SEED_NOTES.md). Fidgeting and
  reaching turn the trunk too, but are not twists.
* ``prolonged_sitting``: a sitting bout longer than ``sitting_bout_max_s``;
  standing/walking shorter than ``break_min_s`` does not end a bout.
* ``stretch``: from the first to the last movement of a stretch, with its id.

Thresholds come from ``dorsal.core.Settings`` when the core provides it (so
truth and detectors share defaults), else from the documented defaults here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from dorsal.sim.body import ACTIVITIES, ACTIVITY_CODE, Plan, activity_at, pose
from dorsal.sim.rotation import rot_x, rot_y, rot_z

GRID_HZ = 10.0  # truth is evaluated on this grid (closed form, so no samples are needed)


@dataclass(frozen=True)
class TruthRules:
    #: SEED_NOTES.md: ~10 deg separates upright from slouched sitting
    slouch_threshold_deg: float = 10.0
    #: a slouch ends only below threshold minus this (the core's hysteresis)
    slouch_hysteresis_deg: float = 3.0
    #: SEED_NOTES.md: products alert after 5 s - 10 min; 60 s here (an engineering choice)
    slouch_delay_s: float = 60.0
    #: SEED_NOTES.md: thoracic extension ROM ~19 +- 9 deg; a conservative default limit
    extension_limit_deg: float = 20.0
    #: SEED_NOTES.md: break sitting at least every 30 min
    sitting_bout_max_s: float = 1800.0
    #: SEED_NOTES.md: a real break is ~1-2 min of standing or walking
    break_min_s: float = 60.0
    #: heuristic (SEED_NOTES.md: "not more than ~4 times a day")
    twists_per_day_max: int = 4
    merge_gap_s: float = 5.0

    @classmethod
    def from_core(cls) -> TruthRules:
        """The core's defaults for every threshold both sides know by the same name."""
        try:
            from dorsal.core import Settings  # type: ignore[attr-defined]
        except ImportError:
            return cls()
        core = Settings()
        known = {f.name for f in fields(cls)}
        return cls(**{k: getattr(core, k) for k in known if hasattr(core, k)})


@dataclass
class TruthGrid:
    """Truth on a regular grid: time, activity code, observable angles, spinal flexion."""

    t_s: np.ndarray
    activity: np.ndarray
    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    rotation_deg: np.ndarray
    inclination_deg: np.ndarray
    spinal_flexion_deg: np.ndarray


def trunk_angles(base_pitch_deg: np.ndarray, base_roll_deg: np.ndarray, flexion_deg: np.ndarray,
                 lateral_deg: np.ndarray, rotation_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Observable (flexion, lateral, rotation, inclination) in deg from the model's base and spinal angles."""
    r = np.radians
    rel = (rot_z(r(-base_pitch_deg)) @ rot_x(r(base_roll_deg)) @ rot_z(r(-flexion_deg)) @ rot_x(r(lateral_deg))
           @ rot_y(r(-rotation_deg)))
    y = rel[:, :, 1]
    x = rel[:, :, 0]
    flex = np.degrees(np.arctan2(y[:, 0], y[:, 1]))
    lat = np.degrees(np.arctan2(y[:, 2], np.hypot(y[:, 0], y[:, 1])))
    rot = np.degrees(np.arctan2(x[:, 2], x[:, 0]))
    # neutral frame: Y is vertical, so the superior axis' vertical component is y[:, 1]
    incl = np.degrees(np.arccos(np.clip(y[:, 1], -1.0, 1.0)))
    return flex, lat, rot, incl


def truth_grid(plan: Plan, duration_s: float, hz: float = GRID_HZ, block: int = 50_000) -> TruthGrid:
    t_all = np.arange(0.0, duration_s, 1.0 / hz)
    parts = []
    for i in range(0, t_all.size, block):
        t = t_all[i : i + block]
        p = pose(plan, t)
        flex, lat, rot, incl = trunk_angles(p.base_pitch_deg, p.base_roll_deg, p.flexion_deg, p.lateral_deg,
                                            p.rotation_deg)
        parts.append((t, activity_at(plan, t), flex, lat, rot, incl, p.flexion_deg))
    cols = [np.concatenate([p[j] for p in parts]) if parts else np.zeros(0) for j in range(7)]
    return TruthGrid(*cols)


def _runs(mask: np.ndarray, t: np.ndarray, dt: float, merge_gap_s: float) -> list[tuple[float, float]]:
    """(start, end) of runs where mask holds, joining runs separated by less than merge_gap_s."""
    if not mask.any():
        return []
    m = mask.astype(np.int8)
    edges = np.diff(np.concatenate([[0], m, [0]]))
    starts = t[np.flatnonzero(edges == 1)]
    ends = t[np.flatnonzero(edges == -1) - 1] + dt
    out: list[list[float]] = []
    for s, e in zip(starts, ends):
        if out and s - out[-1][1] < merge_gap_s:
            out[-1][1] = float(e)
        else:
            out.append([float(s), float(e)])
    return [(s, e) for s, e in out]


def _hysteresis(x: np.ndarray, on: float, off: float) -> np.ndarray:
    """True from where x rises above ``on`` until it falls below ``off`` (vectorized)."""
    idx = np.arange(x.size)
    last_on = np.maximum.accumulate(np.where(x > on, idx, -1))
    last_off = np.maximum.accumulate(np.where(x < off, idx, -1))
    return last_on > last_off


def _event(kind: str, start_s: float, end_s: float, **figures: Any) -> dict[str, Any]:
    return {"kind": kind, "start_s": round(start_s, 2), "end_s": round(end_s, 2),
            **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()}}


def truth_events(plan: Plan, grid: TruthGrid, rules: TruthRules) -> list[dict[str, Any]]:
    dt = 1.0 / GRID_HZ
    t = grid.t_s
    sitting = grid.activity == ACTIVITY_CODE["sitting"]
    events: list[dict[str, Any]] = []

    def window(s: float, e: float) -> slice:
        return slice(int(round(s * GRID_HZ)), max(int(round(e * GRID_HZ)), int(round(s * GRID_HZ)) + 1))

    for s, e in _runs(sitting, t, dt, rules.break_min_s):
        if e - s > rules.sitting_bout_max_s:
            events.append(_event("prolonged_sitting", s, e, duration_s=e - s,
                                 alert_at_s=s + rules.sitting_bout_max_s))
    for s, e in _runs(sitting & _hysteresis(grid.flexion_deg, rules.slouch_threshold_deg,
                                            rules.slouch_threshold_deg - rules.slouch_hysteresis_deg),
                      t, dt, rules.merge_gap_s):
        if e - s > rules.slouch_delay_s:
            w = grid.flexion_deg[window(s, e)]
            events.append(_event("slouch", s, e, duration_s=e - s, peak_flexion_deg=float(w.max()),
                                 mean_flexion_deg=float(w.mean())))
    stretch_at = [(a, b, sid) for a, b, sid in plan.stretches]
    for s, e in _runs(-grid.spinal_flexion_deg > rules.extension_limit_deg, t, dt, 1.0):
        w = -grid.spinal_flexion_deg[window(s, e)]
        sid = next((x for a, b, x in stretch_at if a <= s <= b), None)
        events.append(_event("excessive_extension", s, e, peak_extension_deg=float(w.max()),
                             limit_deg=rules.extension_limit_deg, stretch=sid))
    for n, (s, e, peak) in enumerate(sorted(plan.twists), start=1):
        events.append(_event("twist", s, e, peak_rotation_deg=float(peak), side="right" if peak > 0 else "left",
                             count_today=n))
    for s, e, sid in plan.stretches:
        if s >= grid.t_s[-1] if grid.t_s.size else True:
            continue
        w = grid.spinal_flexion_deg[window(s, e)]
        events.append(_event("stretch", s, e, id=sid, duration_s=e - s,
                             peak_extension_deg=float(max(0.0, -w.min())) if w.size else 0.0,
                             peak_flexion_deg=float(max(0.0, w.max())) if w.size else 0.0))
    duration = float(grid.t_s[-1] + dt) if grid.t_s.size else 0.0
    events = [ev for ev in events if ev["start_s"] < duration]
    for ev in events:
        ev["end_s"] = min(ev["end_s"], round(duration, 2))
    events.sort(key=lambda ev: (ev["start_s"], ev["kind"]))
    return events


def timeline(grid: TruthGrid) -> list[dict[str, Any]]:
    """Per-second rows: angles averaged over the second, the activity most of the second."""
    per = int(GRID_HZ)
    n = grid.t_s.size // per
    if n == 0:
        return []
    def mean(a: np.ndarray) -> np.ndarray:
        return a[: n * per].reshape(n, per).mean(axis=1)
    acts = grid.activity[: n * per].reshape(n, per)
    counts = np.stack([(acts == c).sum(axis=1) for c in range(len(ACTIVITIES))], axis=1)
    mode = counts.argmax(axis=1)
    cols = [mean(grid.flexion_deg), mean(grid.lateral_deg), mean(grid.rotation_deg), mean(grid.inclination_deg)]
    return [{"t_s": float(i), "activity": ACTIVITIES[int(mode[i])], "flexion_deg": round(float(cols[0][i]), 2),
             "lateral_deg": round(float(cols[1][i]), 2), "rotation_deg": round(float(cols[2][i]), 2),
             "inclination_deg": round(float(cols[3][i]), 2)} for i in range(n)]


def summary(grid: TruthGrid, events: list[dict[str, Any]], rules: TruthRules) -> dict[str, Any]:
    dt = 1.0 / GRID_HZ
    act_s = {name: round(float((grid.activity == code).sum() * dt), 1) for name, code in ACTIVITY_CODE.items()}
    sitting = grid.activity == ACTIVITY_CODE["sitting"]
    bouts = _runs(sitting, grid.t_s, dt, rules.break_min_s)
    kinds: dict[str, int] = {}
    for ev in events:
        kinds[ev["kind"]] = kinds.get(ev["kind"], 0) + 1
    return {
        "duration_s": round(float(grid.t_s.size * dt), 1),
        "activity_s": act_s,
        "sitting_bouts": len(bouts),
        "longest_sitting_bout_s": round(max((e - s for s, e in bouts), default=0.0), 1),
        "slouch_s": round(sum(ev["duration_s"] for ev in events if ev["kind"] == "slouch"), 1),
        "twists": kinds.get("twist", 0),
        "twists_per_day_max": rules.twists_per_day_max,
        "stretches": [ev["id"] for ev in events if ev["kind"] == "stretch"],
        "events": kinds,
        "calibration": "truth",
        "settings": {f.name: getattr(rules, f.name) for f in fields(rules)},
    }


def truth_json(plan: Plan, duration_s: float, rules: TruthRules | None = None,
               with_timeline: bool = True, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole truth document (``simulate --truth``)."""
    rules = rules or TruthRules.from_core()
    grid = truth_grid(plan, duration_s)
    events = truth_events(plan, grid, rules)
    out: dict[str, Any] = {"summary": summary(grid, events, rules), "events": events}
    if extra:
        out["summary"].update(extra)
    if with_timeline:
        out["timeline"] = timeline(grid)
    return out
