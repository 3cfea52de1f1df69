"""The guided calibration flow (no UI): hold still, then optionally bend forward.

The result is the core's own ``dorsal.core.Calibration``: the neutral is
``dorsal.core.capture`` of a still, upright moment (the fused orientation
turning slower than STILL_RPS for HOLD_S of device time), the anterior axis
``dorsal.core.forward_from_bend`` of a held forward bend. What is here is the
flow: the steps, the hints, and when a moment counts as still or bent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from dorsal.core import Calibration, capture, forward_from_bend
from dorsal.core import quaternion as quat
from dorsal.protocol import wire

#: about 3 deg/s: breathing and small sway pass, shifting in the chair does not
STILL_RPS = 0.05
HOLD_S = 3.0
#: a forward bend counts from this tilt away from the neutral on
BEND_MIN_DEG = 15.0
BEND_HOLD_S = 2.0


def motion_rps(samples: np.ndarray) -> float:
    """How fast the trunk turns over a batch, rad/s, from the orientation itself (first to last sample).

    The fused orientation is used rather than the raw gyroscope, whose bias (up to a few deg/s on
    an MPU-6050) would hide a still moment."""
    if len(samples) < 2:
        return 0.0
    q = quat.normalize(np.stack([samples["qw"], samples["qx"], samples["qy"], samples["qz"]], axis=1))
    dot = min(1.0, abs(float(q[0] @ q[-1])))
    span_s = float(samples["t_s"][-1] - samples["t_s"][0])
    return 2 * float(np.arccos(dot)) / span_s if span_s > 0 else 0.0


def settling(samples: np.ndarray) -> bool:
    """Whether any sample of the batch comes from a device fusion that is still settling (status bit)."""
    if samples.dtype.names is None or "status" not in samples.dtype.names:
        return False
    return bool(np.any((samples["status"] & wire.ST_FUSION_SETTLING) != 0))


def tilt_from_neutral_deg(neutral: Calibration, q: np.ndarray) -> float:
    """Mean angle (deg) between the axis that was vertical at the neutral and the vertical, over q (N, 4)."""
    r0 = quat.matrices(np.asarray([neutral.neutral]))[0]
    up_sensor = r0.T @ np.array([0.0, 0.0, 1.0])
    vertical = quat.matrices(q)[:, 2, :] @ up_sensor
    return float(np.degrees(np.mean(np.arccos(np.clip(vertical, -1.0, 1.0)))))


@dataclass
class CalibrationFlow:
    """Steps: "still" (collect the neutral) -> "bend?" -> "bend" (optional) -> "done". Fed per batch."""

    step: str = "still"
    held_s: float = 0.0
    hint: str = "Sit or stand tall, look straight ahead, and hold still."
    neutral: Calibration | None = None
    calibration: Calibration | None = None
    _quats: list[np.ndarray] = field(default_factory=list)
    _last_t_s: float | None = None

    def feed(self, samples: np.ndarray) -> None:
        if len(samples) == 0 or self.step == "done":
            return
        t = float(samples["t_s"][-1])
        dt = 0.0 if self._last_t_s is None else max(0.0, t - self._last_t_s)
        self._last_t_s = t
        q = np.stack([samples["qw"], samples["qx"], samples["qy"], samples["qz"]], axis=1).astype(np.float64)
        still = motion_rps(samples) < STILL_RPS
        if self.step == "still" and settling(samples):
            # Right after power-up the device's orientation is still swinging in from a guess (it
            # steadies within ~3 s): a neutral taken then is off by several degrees.
            self.held_s, self._quats = 0.0, []
            self.hint = "The wearable is still settling: keep standing or sitting tall…"
            return
        if self.step == "still":
            if still:
                self.held_s += dt
                self._quats.append(q)
                self.hint = "Hold still…"
                if self.held_s >= HOLD_S:
                    self.neutral = capture(np.concatenate(self._quats), source="calibrated")
                    self.step = "bend?"
                    self.hint = "Neutral captured. Press f to add a forward bend (optional), or enter to finish."
            else:
                self.held_s, self._quats = 0.0, []
                self.hint = "You moved: sit or stand tall and hold still."
        elif self.step == "bend":
            assert self.neutral is not None
            if still and tilt_from_neutral_deg(self.neutral, q) >= BEND_MIN_DEG:
                self.held_s += dt
                self._quats.append(q)
                self.hint = "Hold the bend…"
                if self.held_s >= BEND_HOLD_S:
                    self.calibration = forward_from_bend(self.neutral, np.concatenate(self._quats))
                    self.step = "done"
                    self.hint = "Done: neutral and forward bend recorded."
            else:
                self.held_s, self._quats = 0.0, []
                self.hint = f"Bend forward slowly (at least {BEND_MIN_DEG:.0f}°) and hold still."

    def start_bend(self) -> None:
        if self.step == "bend?":
            self.step, self.held_s, self._quats = "bend", 0.0, []
            self.hint = f"Bend forward slowly (at least {BEND_MIN_DEG:.0f}°) and hold still."

    def finish(self) -> None:
        if self.neutral is not None:
            self.step = "done"
            self.hint = "Done: neutral recorded."

    @property
    def progress(self) -> float:
        hold = BEND_HOLD_S if self.step == "bend" else HOLD_S
        return 1.0 if self.step in ("bend?", "done") and self.held_s >= hold else min(1.0, self.held_s / hold)

    def result(self) -> Calibration | None:
        """The core's Calibration (with the forward bend when one was held), stamped with the time."""
        cal = self.calibration or self.neutral
        if cal is None:
            return None
        return Calibration(cal.neutral, cal.forward_axis_sensor, "calibrated", {**cal.extra, "t_unix_s": time.time()})
