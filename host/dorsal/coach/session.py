"""One stretch routine watched live: the step, the hold timer, the zone, the position check, pain.

Fed with the live posture (device time and angles); no UI, so it is tested
and reused directly. Time is the device's clock, so replays at any speed agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from dorsal.coach.limits import ExtensionLimit, Zone, zone_of
from dorsal.coach.routines import Position, Routine, Step

#: trunk within this angle of vertical counts as upright; beyond LYING as lying
UPRIGHT_MAX_INCLINATION_DEG = 35.0
LYING_MIN_INCLINATION_DEG = 55.0
#: lying with the trunk rolled more than this to one side counts as lying on the side
SIDE_MIN_LATERAL_DEG = 50.0


def position_matches(expected: Position, inclination_deg: float, flexion_deg: float, lateral_deg: float) -> bool:
    """Whether the trunk orientation fits the position a step expects."""
    if expected is Position.ANY:
        return True
    if expected is Position.UPRIGHT:
        return inclination_deg <= UPRIGHT_MAX_INCLINATION_DEG
    if inclination_deg < LYING_MIN_INCLINATION_DEG:
        return False
    if expected is Position.LYING_SIDE:
        return abs(lateral_deg) >= SIDE_MIN_LATERAL_DEG
    if abs(lateral_deg) >= SIDE_MIN_LATERAL_DEG:
        return False
    if expected is Position.LYING_BACK:
        return flexion_deg < 0
    return flexion_deg > 0  # face down


@dataclass(frozen=True)
class CoachStatus:
    """What the coach screen shows at one moment."""

    step_index: int
    step: Step
    hold_left_s: float
    extension_deg: float
    limit_deg: float
    zone: Zone
    position_ok: bool
    finished: bool
    stopped_for_pain: bool
    peak_extension_deg: float


class CoachSession:
    """Walks through a routine. The hold timer runs only while the body is in the expected
    position and the extension is not past the limit (red pauses it)."""

    def __init__(self, routine: Routine, limit: ExtensionLimit) -> None:
        self.routine = routine
        self.limit = limit
        self.step_index = 0
        self.held_s = 0.0
        self.peak_extension_deg = 0.0
        self.finished = False
        self.stopped_for_pain = False
        self._last_t_s: float | None = None
        self._extension_deg = 0.0
        self._position_ok = True

    @property
    def step(self) -> Step:
        return self.routine.steps[self.step_index]

    def update(self, t_s: float, flexion_deg: float, lateral_deg: float, inclination_deg: float) -> CoachStatus:
        extension_deg = max(0.0, -flexion_deg)
        step = self.step
        self._extension_deg = extension_deg
        self._position_ok = position_matches(step.position, inclination_deg, flexion_deg, lateral_deg)
        if step.watch_extension:
            self.peak_extension_deg = max(self.peak_extension_deg, extension_deg)
        dt_s = 0.0 if self._last_t_s is None else max(0.0, t_s - self._last_t_s)
        self._last_t_s = t_s
        if not (self.finished or self.stopped_for_pain):
            red = step.watch_extension and zone_of(extension_deg, self.limit.limit_deg) is Zone.RED
            if self._position_ok and not red:
                self.held_s += dt_s
            if self.held_s >= step.hold_s:
                self.next_step()
        return self.status()

    def next_step(self) -> None:
        if self.finished or self.stopped_for_pain:
            return
        if self.step_index + 1 < len(self.routine.steps):
            self.step_index += 1
            self.held_s = 0.0
        else:
            self.held_s = self.step.hold_s
            self.finished = True
            self.limit.stretch_done(self.peak_extension_deg)

    def hurts(self) -> dict[str, object]:
        """Stop at once; returns the pain context to log."""
        self.stopped_for_pain = True
        before = self.limit.limit_deg
        after = self.limit.pain_at(self._extension_deg)
        return {
            "stretch_id": self.routine.stretch_id,
            "step": self.step_index + 1,
            "extension_deg": round(self._extension_deg, 1),
            "limit_before_deg": before,
            "limit_after_deg": after,
        }

    def status(self) -> CoachStatus:
        step = self.step
        zone = zone_of(self._extension_deg, self.limit.limit_deg) if step.watch_extension else Zone.GREEN
        return CoachStatus(
            step_index=self.step_index,
            step=step,
            hold_left_s=max(0.0, step.hold_s - self.held_s),
            extension_deg=self._extension_deg,
            limit_deg=self.limit.limit_deg,
            zone=zone,
            position_ok=self._position_ok,
            finished=self.finished,
            stopped_for_pain=self.stopped_for_pain,
            peak_extension_deg=self.peak_extension_deg,
        )
