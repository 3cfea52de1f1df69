"""Guided calibration without the UI: hold still, average the orientation, optionally a forward bend.

The neutral is the mean quaternion of a still, upright moment (gyroscope
below STILL_RPS for HOLD_S of device time). An optional forward bend gives
the body's forward direction in the sensor frame. Stored per device as a dict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from dorsal.dashboard.posture import angles_of, rotation_matrices
from dorsal.protocol import wire

#: about 3 deg/s: breathing and small sway pass, shifting in the chair does not
STILL_RPS = 0.05
HOLD_S = 3.0
#: a forward bend counts from this flexion on
BEND_MIN_DEG = 15.0
BEND_HOLD_S = 2.0


@dataclass(frozen=True)
class Calibration:
    neutral: tuple[float, float, float, float]
    forward_axis: tuple[float, float, float] | None
    source: str
    t_unix_s: float

    def to_dict(self) -> dict[str, object]:
        """The stored shape, the same keys as dorsal.core.Calibration.to_dict (anterior axis in sensor axes)."""
        out: dict[str, object] = {"neutral": list(self.neutral), "source": self.source, "t_unix_s": self.t_unix_s}
        if self.forward_axis is not None:
            out["forward_axis_sensor"] = list(self.forward_axis)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibration:
        fwd = data.get("forward_axis_sensor")
        return cls(tuple(float(v) for v in data["neutral"]),  # type: ignore[arg-type, union-attr]
                   tuple(float(v) for v in fwd) if fwd else None,  # type: ignore[union-attr]
                   str(data.get("source", "calibrated")), float(data.get("t_unix_s", 0.0)))  # type: ignore[arg-type]


def motion_rps(samples: np.ndarray) -> float:
    """How fast the trunk turns over a batch, rad/s, from the orientation itself (first to last sample).

    The fused orientation is used rather than the raw gyroscope, whose bias (up to a few deg/s on
    an MPU-6050) would hide a still moment."""
    if len(samples) < 2:
        return 0.0
    q = np.stack([samples["qw"], samples["qx"], samples["qy"], samples["qz"]], axis=1).astype(np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    dot = min(1.0, abs(float(q[0] @ q[-1])))
    span_s = float(samples["t_s"][-1] - samples["t_s"][0])
    return 2 * float(np.arccos(dot)) / span_s if span_s > 0 else 0.0


def settling(samples: np.ndarray) -> bool:
    """Whether any sample of the batch comes from a device fusion that is still settling (status bit)."""
    if samples.dtype.names is None or "status" not in samples.dtype.names:
        return False
    return bool(np.any((samples["status"] & wire.ST_FUSION_SETTLING) != 0))


def mean_quaternion(q: np.ndarray) -> np.ndarray:
    """Mean of nearby unit quaternions (N, 4): signs aligned to the first, averaged, normalised."""
    q = np.asarray(q, dtype=np.float64)
    q = q * np.where(q @ q[0] < 0, -1.0, 1.0)[:, None]
    m = q.mean(axis=0)
    return m / np.linalg.norm(m)


@dataclass
class CalibrationFlow:
    """Steps: "still" (collect the neutral) -> "bend" (optional) -> "done". Fed per batch."""

    step: str = "still"
    held_s: float = 0.0
    hint: str = "Sit or stand tall, look straight ahead, and hold still."
    neutral: np.ndarray | None = None
    forward_axis: np.ndarray | None = None
    _quats: list[np.ndarray] = field(default_factory=list)
    _last_t_s: float | None = None

    def feed(self, samples: np.ndarray) -> None:
        if len(samples) == 0 or self.step == "done":
            return
        t = float(samples["t_s"][-1])
        dt = 0.0 if self._last_t_s is None else max(0.0, t - self._last_t_s)
        self._last_t_s = t
        q = np.stack([samples["qw"], samples["qx"], samples["qy"], samples["qz"]], axis=1).astype(float)
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
                    self.neutral = mean_quaternion(np.concatenate(self._quats))
                    self.step = "bend?"
                    self.hint = "Neutral captured. Press f to add a forward bend (optional), or enter to finish."
            else:
                self.held_s, self._quats = 0.0, []
                self.hint = "You moved: sit or stand tall and hold still."
        elif self.step == "bend":
            assert self.neutral is not None
            flex = angles_of(q, self.neutral)
            tilt = float(np.mean(flex.inclination_deg - angles_of(self.neutral[None], self.neutral).inclination_deg))
            if still and tilt >= BEND_MIN_DEG:
                self.held_s += dt
                self._quats.append(q)
                self.hint = "Hold the bend…"
                if self.held_s >= BEND_HOLD_S:
                    self.forward_axis = forward_axis_of(self.neutral, mean_quaternion(np.concatenate(self._quats)))
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
        if self.neutral is None:
            return None
        fwd = tuple(float(v) for v in self.forward_axis) if self.forward_axis is not None else None
        return Calibration(tuple(float(v) for v in self.neutral), fwd, "calibrated", time.time())  # type: ignore[arg-type]


def forward_axis_of(neutral: np.ndarray, bent: np.ndarray) -> np.ndarray:
    """The body's forward direction in the sensor frame: where the sensor's 'up' moved when bending
    forward, projected on the plane normal to up at neutral."""
    r0 = rotation_matrices(neutral[None])[0]
    r1 = rotation_matrices(bent[None])[0]
    up0 = r0.T @ np.array([0.0, 0.0, 1.0])  # Earth up in the neutral sensor frame
    up1 = r1.T @ np.array([0.0, 0.0, 1.0])
    # bending forward tilts the trunk forward, so Earth-up moves backward in the sensor frame
    d = up0 - up1
    d = d - up0 * (d @ up0)
    return d / np.linalg.norm(d)
