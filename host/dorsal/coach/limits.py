"""The user's comfortable backward-extension limit: zones, and learning it from their own stretches.

No validated "excessive extension" threshold exists (SEED_NOTES.md). Thoracic
extension range of motion is about 19 +/- 9 deg (inclinometer vs motion
capture), so the default limit is a conservative 15 deg, and learning never
goes past 25 deg: both are engineering choices the user can change.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

DEFAULT_LIMIT_DEG = 15.0
MAX_LEARNED_LIMIT_DEG = 25.0
MIN_LIMIT_DEG = 5.0
#: amber from this share of the limit on (a warning before the limit is reached)
AMBER_FROM = 0.8
#: the limit moves at most this much per completed stretch, so one odd stretch cannot push it far
MAX_STEP_DEG = 2.0


class Zone(str, Enum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def zone_of(extension_deg: float, limit_deg: float) -> Zone:
    """Zone of a backward extension (positive degrees) against the limit."""
    if extension_deg > limit_deg:
        return Zone.RED
    if extension_deg >= AMBER_FROM * limit_deg:
        return Zone.AMBER
    return Zone.GREEN


@dataclass
class ExtensionLimit:
    """The comfortable extension limit in degrees, learned from pain-free stretches.

    A stretch finished without pain whose peak came near the limit nudges the
    limit toward that peak (at most MAX_STEP_DEG each time, never above
    MAX_LEARNED_LIMIT_DEG). A stretch stopped for pain lowers the limit at once
    to 80 % of the extension at that moment, and by at least MAX_STEP_DEG.
    """

    limit_deg: float = DEFAULT_LIMIT_DEG
    peaks_deg: deque[float] = field(default_factory=lambda: deque(maxlen=10))

    def stretch_done(self, peak_extension_deg: float) -> float:
        if peak_extension_deg <= 0:
            return self.limit_deg
        self.peaks_deg.append(float(peak_extension_deg))
        ordered = sorted(self.peaks_deg)
        typical = ordered[len(ordered) // 2]
        target = min(MAX_LEARNED_LIMIT_DEG, max(MIN_LIMIT_DEG, typical))
        step = max(-MAX_STEP_DEG, min(MAX_STEP_DEG, target - self.limit_deg))
        self.limit_deg = round(self.limit_deg + step, 1)
        return self.limit_deg

    def pain_at(self, extension_deg: float) -> float:
        if extension_deg > 0:
            lowered = min(self.limit_deg - MAX_STEP_DEG, 0.8 * extension_deg)
            self.limit_deg = round(max(MIN_LIMIT_DEG, lowered), 1)
        return self.limit_deg

    def to_dict(self) -> dict[str, object]:
        return {"limit_deg": self.limit_deg, "peaks_deg": list(self.peaks_deg)}

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> ExtensionLimit:
        if not data:
            return cls()
        peaks = data.get("peaks_deg") or []
        limit = float(data.get("limit_deg", DEFAULT_LIMIT_DEG))  # type: ignore[arg-type]
        return cls(limit, deque((float(p) for p in peaks), maxlen=10))  # type: ignore[union-attr]
