"""Posture angles in the ISB thorax convention (DESIGN.md), vectorized.

Body frame: X anterior, Y superior, Z right. Angles are measured in the
wearer's own heading (so turning around does not change flexion):
flexion (+) tilts the superior axis toward anterior, lateral bend right (+)
tilts it toward the right, inclination is its angle from vertical, and axial
rotation right (+) is the heading of the anterior axis turned right against a
slowly following reference (yaw drifts without a magnetometer).

Single precision throughout: the wire carries Q14 quaternions (~0.004 deg),
and float32 halves the memory traffic of every pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter, lfilter_zi

TWO_PI = 2.0 * np.pi
DEG = np.float32(180.0 / np.pi)


@dataclass
class AngleState:
    """Carried between chunks: the last heading (as read, and unwrapped: read + 2 pi turns) and the heading
    reference filter."""

    last_heading_rad: float | None = None
    zi: np.ndarray | None = None
    last_read_rad: float | None = None  #: the last heading as read (float32, in (-pi, pi])
    turns: float = 0.0  #: whole turns added to it (a float64 integer)


def body_axes(w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, r_bs: np.ndarray
              ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The body's superior and right axes in Earth coordinates, and the sensor axes' vertical parts.

    w, x, y, z: (N,) float32 quaternion components (sensor to Earth; need not be unit).
    r_bs: (3, 3) body-to-sensor rotation (columns: body X, Y, Z in sensor coordinates).
    Returns (superior (3 arrays), right (3 arrays), vertical row (r20, r21, r22) of the sensor-to-Earth
    rotation), all (N,) float32.
    """
    f32, one = np.float32, np.float32(1.0)
    s = w * w
    s += x * x
    s += y * y
    s += z * z
    np.divide(f32(2.0), s, out=s)
    xs, ys, zs = x * s, y * s, z * s
    # written into preallocated rows: no temporaries to allocate and fill (same arithmetic, same results)
    p = np.empty((9, s.size), f32)
    xx, yy, zz, xy, xz, yz, wx, wy, wz = p
    for out, u, v in ((xx, x, xs), (yy, y, ys), (zz, z, zs), (xy, x, ys), (xz, x, zs), (yz, y, zs), (wx, w, xs),
                      (wy, w, ys), (wz, w, zs)):
        np.multiply(u, v, out=out)
    r = np.empty((9, s.size), f32)
    np.subtract(one, yy, out=r[0])
    r[0] -= zz
    np.subtract(xy, wz, out=r[1])
    np.add(xz, wy, out=r[2])
    np.add(xy, wz, out=r[3])
    np.subtract(one, xx, out=r[4])
    r[4] -= zz
    np.subtract(yz, wx, out=r[5])
    np.subtract(xz, wy, out=r[6])
    np.add(yz, wx, out=r[7])
    np.subtract(one, xx, out=r[8])
    r[8] -= yy
    axes = np.empty((6, s.size), f32)
    tmp = p[0]  # the products are used up
    for k, c in ((0, r_bs[:, 1].astype(f32)), (3, r_bs[:, 2].astype(f32))):
        for i in range(3):
            o = axes[k + i]
            np.multiply(r[3 * i], c[0], out=o)
            np.multiply(r[3 * i + 1], c[1], out=tmp)
            o += tmp
            np.multiply(r[3 * i + 2], c[2], out=tmp)
            o += tmp
    sup, right = (axes[0], axes[1], axes[2]), (axes[3], axes[4], axes[5])
    return sup, right, (r[6], r[7], r[8])


def _tilt(sup: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...], out: np.ndarray) -> None:
    """Flexion, lateral, inclination, side (deg) and heading (rad) of the pieces' axes into out (5, n)."""
    y0, y1, y2 = sup
    # right axis projected on the horizontal, and anterior = up x right (both horizontal unit vectors)
    inv = np.float32(1.0) / np.maximum(np.sqrt(right[0] * right[0] + right[1] * right[1]), np.float32(1e-9))
    rx, ry = right[0] * inv, right[1] * inv
    y_fwd = y1 * rx - y0 * ry  # superior axis on the anterior direction (-ry, rx)
    np.multiply(np.arctan2(y_fwd, y2), DEG, out=out[0])
    np.multiply(np.arctan2(y0 * rx + y1 * ry, np.sqrt(y_fwd * y_fwd + y2 * y2)), DEG, out=out[1])
    np.multiply(np.arccos(np.clip(y2, -1.0, 1.0)), DEG, out=out[2])
    np.multiply(np.arcsin(np.clip(right[2], -1.0, 1.0)), DEG, out=out[3])
    np.arctan2(rx, -ry, out=out[4])  # anterior direction (-ry, rx)


def _rotation(heading: np.ndarray, rate_hz: float, reference_s: float, state: AngleState) -> np.ndarray:
    """Axial rotation (deg, right +) of the headings (rad) against their slowly following reference."""
    if heading.size == 0:
        return heading.copy()
    # unwrap against the last heading of the previous chunk: each heading as read plus the whole turns
    # counted so far (integers, exact in float64 all day), so any chunking gives the very same values
    step = np.empty_like(heading)
    step[0] = heading[0] - (heading[0] if state.last_read_rad is None else np.float32(state.last_read_rad))
    np.subtract(heading[1:], heading[:-1], out=step[1:])
    turns = np.cumsum(np.round(step * np.float32(1.0 / TWO_PI)), dtype=np.float64)
    np.subtract(state.turns, turns, out=turns)
    unwrapped = turns * TWO_PI
    unwrapped += heading
    state.turns, state.last_read_rad = float(turns[-1]), float(heading[-1])
    state.last_heading_rad = float(unwrapped[-1])
    alpha = 1.0 - np.exp(-1.0 / (reference_s * rate_hz))
    b, a = np.array([alpha]), np.array([1.0, alpha - 1.0])
    if state.zi is None:
        state.zi = lfilter_zi(b, a) * unwrapped[0]
    ref, state.zi = lfilter(b, a, unwrapped, zi=state.zi)
    # turning right lowers the heading (z up, counter-clockwise +)
    ref -= unwrapped
    ref *= 180.0 / np.pi
    return ref.astype(np.float32)


def posture_angles(
    sup: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...], rate_hz: float, reference_s: float,
    state: AngleState,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(flexion, lateral, rotation, inclination, side) in deg, each float32 (N,), from body_axes().

    side is the elevation of the body's right axis (+90 lying on the left side, -90 on the right):
    lying on a side makes the heading-based angles degenerate, so it is reported on its own.
    rate_hz is the rate of these samples (the heading reference filter's design rate).
    """
    out = np.empty((5, sup[0].size), np.float32)
    _tilt(sup, right, out)
    return out[0], out[1], _rotation(out[4], rate_hz, reference_s, state), out[2], out[3]


def quaternion_angles(
    w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, r_bs: np.ndarray, rate_hz: float,
    reference_s: float, state: AngleState,
) -> tuple[np.ndarray, ...]:
    """body_axes() then posture_angles(): (flexion, lateral, rotation, inclination, side, vertical row
    r20, r21, r22), each float32 (N,), the angles written straight into one array."""
    out = np.empty((5, w.size), np.float32)
    sup, right, vert = body_axes(w, x, y, z, r_bs)
    _tilt(sup, right, out)
    return (out[0], out[1], _rotation(out[4], rate_hz, reference_s, state), out[2], out[3], *vert)


def reference_alpha(rate_hz: float, reference_s: float) -> float:
    """The heading reference's smoothing factor per sample (a one-pole low-pass of time constant reference_s)."""
    return 1.0 - float(np.exp(-1.0 / (reference_s * rate_hz)))


def retime_reference(state: AngleState, rate_hz: float, old_s: float, new_s: float) -> None:
    """The heading reference follows at a new time constant from here on, continuing from its current value.

    The one-pole filter's state is (1 - alpha) times its last output, so it is rescaled for the new alpha.
    """
    if state.zi is not None and old_s != new_s:
        state.zi = state.zi * ((1.0 - reference_alpha(rate_hz, new_s)) / (1.0 - reference_alpha(rate_hz, old_s)))


def rebase_heading(state: AngleState, q: tuple[float, ...], r_bs: np.ndarray, rate_hz: float,
                   reference_s: float) -> None:
    """New body axes (a recalibration) from here on, without a jump in the axial rotation.

    The anterior axis of the new calibration points elsewhere than the old one's: read against the old
    heading reference, that jump would be a false twist that fades over the reference's time constant.
    Instead the unwrapped heading and its reference both move by the jump, measured at q (w, x, y, z), the
    orientation of the last analysis sample before the change: the rotation continues from its value.
    """
    if state.last_heading_rad is None:
        return
    w, x, y, z = (np.array([v], np.float32) for v in q)
    out = np.empty((5, 1), np.float32)
    sup, right, _ = body_axes(w, x, y, z, r_bs)
    _tilt(sup, right, out)
    read = float(out[4, 0])
    old = state.last_heading_rad
    turns = float(np.round((old - read) / TWO_PI))  # the new heading's turns nearest the old one
    new = turns * TWO_PI + read
    state.turns, state.last_read_rad, state.last_heading_rad = turns, read, new
    if state.zi is not None:
        state.zi = state.zi + (1.0 - reference_alpha(rate_hz, reference_s)) * (new - old)
