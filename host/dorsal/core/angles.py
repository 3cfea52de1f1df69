"""Posture angles in the ISB thorax convention (DESIGN.md), vectorized.

Body frame: X anterior, Y superior, Z right. Angles are measured in the
wearer's own heading (so turning around does not change flexion):
flexion (+) tilts the superior axis toward anterior, lateral bend right (+)
tilts it toward the right, inclination is its angle from vertical, and axial
rotation right (+) is the heading of the anterior axis turned right against a
slowly following reference (yaw drifts without a magnetometer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter, lfilter_zi

from dorsal.core import quaternion as quat


@dataclass
class AngleState:
    """Carried between chunks: the heading reference filter and the unwrapping of heading."""

    last_heading_rad: float | None = None
    zi: np.ndarray | None = None


def posture_angles(
    q: np.ndarray, r_bs: np.ndarray, rate_hz: float, reference_s: float, state: AngleState,
    entries: tuple[np.ndarray, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(flexion, lateral, rotation, inclination, side) in deg, each float64 (N,), for q (N, 4).

    side is the elevation of the body's right axis (+90 lying on the left side, -90 on the right):
    lying on a side makes the heading-based angles degenerate, so it is reported on its own.
    """
    r = entries if entries is not None else quat.matrix_entries(q)  # nine (N,) arrays, no (N, 3, 3)
    y = quat.apply(r, r_bs[:, 1])
    z = quat.apply(r, r_bs[:, 2])
    # right axis projected on the horizontal, and anterior = up x right (both horizontal unit vectors)
    norm = np.maximum(np.hypot(z[0], z[1]), 1e-9)
    rx, ry = z[0] / norm, z[1] / norm
    fx, fy = -ry, rx
    y_fwd = y[0] * fx + y[1] * fy
    flexion = np.degrees(np.arctan2(y_fwd, y[2]))
    lateral = np.degrees(np.arctan2(y[0] * rx + y[1] * ry, np.hypot(y_fwd, y[2])))
    inclination = np.degrees(np.arccos(np.clip(y[2], -1.0, 1.0)))

    heading = np.arctan2(fy, fx)
    if heading.size:
        first = heading[0] if state.last_heading_rad is None else state.last_heading_rad
        heading = np.unwrap(np.concatenate([[first], heading]))[1:]
        state.last_heading_rad = float(heading[-1])
    alpha = 1.0 - np.exp(-1.0 / (reference_s * rate_hz))
    b, a = np.array([alpha]), np.array([1.0, alpha - 1.0])
    if state.zi is None and heading.size:
        state.zi = lfilter_zi(b, a) * heading[0]
    if heading.size:
        ref, state.zi = lfilter(b, a, heading, zi=state.zi)
    else:
        ref = heading
    rotation = -np.degrees(heading - ref)  # turning right lowers the heading (z up, counter-clockwise +)
    side = np.degrees(np.arcsin(np.clip(z[2], -1.0, 1.0)))
    return flexion, lateral, rotation, inclination, side
