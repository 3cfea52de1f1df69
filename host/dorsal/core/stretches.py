"""Which stretch of SEED_NOTES.md was done: episodes of stretch-like posture, classified by rules.

An episode is a run of seconds in an unusual posture (lying, bending or
leaning back while upright, turning far while sitting), joined across short
rests between repetitions. When it ends, its posture mix and movement decide
which stretch it was, or none (resting in bed, picking something up).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dorsal.core.runs import RunTracker
from dorsal.core.settings import Settings

ROW = np.dtype([("sec", "<i8"), ("activity", "u1"), ("flex", "<f8"), ("lat", "<f8"), ("incl", "<f8"),
                ("rot", "<f8"), ("gyro", "<f8"), ("side", "<f8")], align=True)
_LYING, _SITTING, _STANDING, _WALKING = 1, 2, 3, 4
EPISODE_GAP_S = 20
MIN_EPISODE_S = 12
MAX_BUFFER_S = 3600  # an episode longer than an hour is not a stretch; the buffer stays bounded


def _excursions(mask: np.ndarray) -> int:
    """Number of separate runs where mask holds."""
    m = mask.astype(np.int8)
    return int(np.count_nonzero(np.diff(np.concatenate([[0], m])) == 1))


def _share(mask: np.ndarray) -> float:
    """The share of a non-empty mask that holds (mask.mean() without its overhead: the same value)."""
    return np.count_nonzero(mask) / mask.size


def classify(rows: np.ndarray) -> str | None:
    """The stretch id for one episode's per-second rows, or None when it is not a stretch."""
    n = rows.size
    if n < MIN_EPISODE_S:
        return None
    act = rows["activity"]
    flex, lat, incl, rot, gyro = rows["flex"], rows["lat"], rows["incl"], rows["rot"], rows["gyro"]
    lying = (act == _LYING) | (incl > 45)  # half-reclined over a ball counts with lying
    if _share(lying) >= 0.5:
        ly = rows[lying]
        on_side = np.abs(ly["side"]) > 45
        if _share(on_side) >= 0.3:
            # resting on a side is still; the stretch pulls the knees up and stretches the legs out
            # the stretch is held on one side, then the other; resting stays on one
            both = (ly["side"] > 45).sum() >= 10 and (ly["side"] < -45).sum() >= 10
            return "side-lying-knees-to-chest" if both else None
        if _share(ly["flex"] > 45) >= 0.3:
            return "assisted-prone-press"
        if np.median(ly["gyro"]) > 0.3:
            return "rocking"
        if np.median(ly["incl"]) < 82:
            return "ball-rollout"
        if ly["flex"].min() < -99:
            return "bed-edge-extension"
        if ly["flex"].max() - np.median(ly["flex"]) > 4 and _excursions(ly["flex"] > np.median(ly["flex"]) + 3) >= 2:
            return "supine-chin-tuck"
        return None
    sitting = act == _SITTING
    standing = act == _STANDING
    if _share(act == _WALKING) > 0.15:
        return None  # stretches are done in place
    if (np.abs(rot) > 30).sum() >= 3 and np.abs(rot).max() <= 100 and np.median(np.abs(flex)) < 20:
        # turning far and holding it: the seated twist (on the floor the sit-down is often not seen)
        return "seated-twist"
    if _share(sitting) >= 0.5:
        if flex.min() < -8 and _excursions(flex < -6) >= 2:
            return "chair-back-extension"
        return None
    unknown = act == 0
    if _share(standing | unknown) >= 0.4:  # upright, posture not known: the standing stretches
        if flex.max() > 25 and np.abs(lat).max() > 10:
            return "standing-bends"
        if flex.min() < -7 and _excursions(flex < -5) >= 2:
            return "standing-back-lean"
    return None


class StretchDetector:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tracker = RunTracker(EPISODE_GAP_S)
        self._rows = np.zeros(0, ROW)

    def update(self, secs: np.ndarray, activity: np.ndarray, flex: np.ndarray, lat: np.ndarray, incl: np.ndarray,
               rot: np.ndarray, gyro: np.ndarray, side: np.ndarray) -> list[Any]:
        upright = (activity != _LYING) & (activity != _WALKING)
        stretchy = (activity == _LYING) | (upright & ((flex < -5) | (np.abs(lat) > 10) | (flex > 25)
                                                      | (np.abs(rot) > 30)))
        # Rows are kept from the open episode's start, or from this block's first stretch-like second:
        # no episode can take in an earlier one.
        if self._tracker.open_start is None:
            hits = np.flatnonzero(stretchy)
            if hits.size == 0:
                self._tracker.update(stretchy, flex, secs)  # nothing open, nothing new: no episode closes
                return []
            i = int(hits[0])
        else:
            i = 0
        rows = np.zeros(secs.size - i, ROW)
        rows["sec"], rows["activity"], rows["flex"], rows["lat"] = secs[i:], activity[i:], flex[i:], lat[i:]
        rows["incl"], rows["rot"], rows["gyro"], rows["side"] = incl[i:], rot[i:], gyro[i:], side[i:]
        self._rows = np.concatenate([self._rows, rows]) if self._rows.size else rows
        out = [self._event(r.start, r.end) for r in self._tracker.update(stretchy, flex, secs)]
        keep_from = self._tracker.open_start if self._tracker.open_start is not None else int(secs[-1]) + 1
        keep_from = max(keep_from, int(secs[-1]) + 1 - MAX_BUFFER_S)
        self._rows = self._rows[np.searchsorted(self._rows["sec"], keep_from):]  # rows are in time order
        return [e for e in out if e is not None]

    def flush(self) -> list[Any]:
        out = [self._event(r.start, r.end) for r in self._tracker.flush()]
        return [e for e in out if e is not None]

    def _event(self, start: int, end: int) -> Any:
        rows = self._rows[slice(*np.searchsorted(self._rows["sec"], (start, end)))]  # rows are in time order
        sid = classify(rows)
        if sid is None:
            return None
        from dorsal.core.pipeline import Event, extension_deg  # the pipeline imports this module

        ext = extension_deg(rows["flex"], rows["incl"], rows["side"])
        peak_ext = float(max(0.0, ext.max()))
        return Event("stretch", float(start), float(end), {
            "id": sid, "duration_s": float(end - start), "peak_extension_deg": peak_ext,
            "peak_flexion_deg": float(max(0.0, (-ext).max())),
            "within_limits": bool(peak_ext <= self.settings.extension_limit_deg)})
