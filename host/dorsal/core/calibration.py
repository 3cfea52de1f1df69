"""Sensor-to-body alignment: from a calibration, or estimated from the data.

Nominal mounting (hardware/ docs): the board flat between the shoulder
blades with sensor +Y toward the head and +X forward through the body. The
neutral quaternion captured while sitting or standing tall fixes the tilt
part of any misalignment; an optional forward bend fixes the anterior axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dorsal.core import quaternion as quat

#: Without any calibration: the nominal mounting, upright.
NOMINAL_NEUTRAL = (np.sqrt(0.5), np.sqrt(0.5), 0.0, 0.0)  # sensor Y up, X horizontal


@dataclass(frozen=True)
class Calibration:
    """neutral: quaternion (w, x, y, z) sensor->Earth at the upright neutral posture.

    forward_axis_sensor: optional unit vector (3,), the anterior axis in sensor coordinates (from a
    forward bend); source: "calibrated", "estimated" (quiet upright period in the data) or "assumed".
    """

    neutral: tuple[float, float, float, float] = NOMINAL_NEUTRAL
    forward_axis_sensor: tuple[float, float, float] | None = None
    source: str = "assumed"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"neutral": [float(v) for v in self.neutral], "source": self.source}
        if self.forward_axis_sensor is not None:
            d["forward_axis_sensor"] = [float(v) for v in self.forward_axis_sensor]
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        fwd = d.get("forward_axis_sensor")
        extra = {k: v for k, v in d.items() if k not in ("neutral", "forward_axis_sensor", "source")}
        return cls(tuple(float(v) for v in d["neutral"]), None if fwd is None else tuple(float(v) for v in fwd),
                   str(d.get("source", "calibrated")), extra)

    def body_to_sensor(self) -> np.ndarray:
        """R_bs (3, 3): body axes (X anterior, Y superior, Z right) in sensor coordinates."""
        r0 = quat.matrices(np.asarray(self.neutral, dtype=np.float64)[None])[0]  # sensor -> Earth
        up = np.array([0.0, 0.0, 1.0])
        fwd_s = np.array(self.forward_axis_sensor if self.forward_axis_sensor is not None else (1.0, 0.0, 0.0))
        f = r0 @ fwd_s
        f_h = f - up * f[2]
        if np.linalg.norm(f_h) < 1e-6:  # forward axis vertical: fall back to the sensor's -Z
            f = r0 @ np.array([0.0, 0.0, -1.0])
            f_h = f - up * f[2]
        x = f_h / np.linalg.norm(f_h)
        z = np.cross(x, up)
        r_b_earth = np.stack([x, up, z], axis=1)  # body -> Earth at neutral
        return r0.T @ r_b_earth


def capture(samples_q: np.ndarray, source: str = "calibrated") -> Calibration:
    """A neutral from quaternions (N, 4) held still: their sign-aligned mean."""
    q = quat.normalize(samples_q)
    q = q * np.where(q @ q[0] < 0, -1.0, 1.0)[:, None]
    m = q.mean(axis=0)
    return Calibration(tuple(float(v) for v in m / np.linalg.norm(m)), None, source)


def forward_from_bend(neutral: Calibration, bent_q: np.ndarray) -> Calibration:
    """Anterior axis from a forward bend: the direction the superior axis moved, in sensor coordinates."""
    r0 = quat.matrices(np.asarray(neutral.neutral)[None])[0]
    rb = quat.matrices(quat.normalize(bent_q).mean(axis=0, keepdims=True))[0]
    up = np.array([0.0, 0.0, 1.0])
    # The sensor axis that was vertical at neutral moves forward in the bend.
    y_s = r0.T @ up
    moved = rb @ y_s
    f_e = moved - up * moved[2]
    if np.linalg.norm(f_e) < 0.15:  # bend too small to tell
        return neutral
    f_e /= np.linalg.norm(f_e)
    f_s = r0.T @ f_e
    return Calibration(neutral.neutral, tuple(float(v) for v in f_s), neutral.source, dict(neutral.extra))
