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


def body_axes(w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, r_bs: np.ndarray,
              norm2: np.ndarray | None = None) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...],
                                                        tuple[np.ndarray, ...]]:
    """The body's superior and right axes in Earth coordinates, and the sensor axes' vertical parts.

    w, x, y, z: (N,) float32 quaternion components (sensor to Earth; need not be unit).
    r_bs: (3, 3) body-to-sensor rotation (columns: body X, Y, Z in sensor coordinates).
    norm2: w*w + x*x + y*y + z*z summed in that order, when the caller has it already (it is used up).
    Returns (superior (3 arrays), right (3 arrays), vertical row (r20, r21, r22) of the sensor-to-Earth
    rotation), all (N,) float32.
    """
    f32, one = np.float32, np.float32(1.0)
    # every intermediate is written into a few preallocated rows, used up in place (same arithmetic, same
    # results as the plain expressions, less memory to stream through)
    out = np.empty((9, w.size), f32)  # superior, right, the vertical row
    work = np.empty((13, w.size), f32)
    s, xs, ys, zs, xx, yy, zz, xy, xz, yz, wx, wy, wz = work
    if norm2 is None:
        np.multiply(w, w, out=s)
        for u in (x, y, z):
            np.multiply(u, u, out=xx)
            s += xx
        norm2 = s
    np.divide(f32(2.0), norm2, out=s)
    for o, u in ((xs, x), (ys, y), (zs, z)):
        np.multiply(u, s, out=o)
    for o, u, v in ((xx, x, xs), (yy, y, ys), (zz, z, zs), (xy, x, ys), (xz, x, zs), (yz, y, zs), (wx, w, xs),
                    (wy, w, ys), (wz, w, zs)):
        np.multiply(u, v, out=o)
    r20, r21, r22 = out[6:]
    r01 = s  # the scale is used up
    np.subtract(xy, wz, out=r01)
    r10 = np.add(xy, wz, out=xy)
    np.subtract(xz, wy, out=r20)
    r02 = np.add(xz, wy, out=xz)
    np.add(yz, wx, out=r21)
    r12 = np.subtract(yz, wx, out=yz)
    np.subtract(one, xx, out=r22)
    r22 -= yy
    r00 = np.subtract(one, yy, out=yy)
    r00 -= zz
    r11 = np.subtract(one, xx, out=xx)
    r11 -= zz
    tmp = wz  # the products are used up
    for i, row in enumerate(((r00, r01, r02), (r10, r11, r12), (r20, r21, r22))):
        for k, c in ((0, r_bs[:, 1].astype(f32)), (3, r_bs[:, 2].astype(f32))):
            o = out[k + i]
            np.multiply(row[0], c[0], out=o)
            np.multiply(row[1], c[1], out=tmp)
            o += tmp
            np.multiply(row[2], c[2], out=tmp)
            o += tmp
    return (out[0], out[1], out[2]), (out[3], out[4], out[5]), (r20, r21, r22)


def _tilt(sup: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...], out: np.ndarray) -> None:
    """Flexion, lateral, inclination, side (deg) and heading (rad) of the pieces' axes into out (5, n)."""
    y0, y1, y2 = sup
    r0, r1, r2 = right
    f32 = np.float32
    # the intermediates go into a few preallocated rows (same arithmetic as the plain expressions)
    work = np.empty((4, y0.size), f32)
    a, b, rx, ry = work
    # right axis projected on the horizontal, and anterior = up x right (both horizontal unit vectors)
    np.multiply(r0, r0, out=a)
    np.multiply(r1, r1, out=b)
    a += b
    np.sqrt(a, out=a)
    np.maximum(a, f32(1e-9), out=a)
    inv = np.divide(f32(1.0), a, out=a)
    np.multiply(r0, inv, out=rx)
    np.multiply(r1, inv, out=ry)
    y_fwd = np.multiply(y1, rx, out=a)  # superior axis on the anterior direction (-ry, rx)
    np.multiply(y0, ry, out=b)
    y_fwd -= b
    np.arctan2(y_fwd, y2, out=out[0])
    out[0] *= DEG
    y_lat, tmp = b, out[1]  # superior axis on the right direction (rx, ry)
    np.multiply(y0, rx, out=y_lat)
    np.multiply(y1, ry, out=tmp)
    y_lat += tmp
    np.multiply(y_fwd, y_fwd, out=a)
    np.multiply(y2, y2, out=tmp)
    a += tmp
    np.sqrt(a, out=a)
    np.arctan2(y_lat, a, out=out[1])
    out[1] *= DEG
    for o, v, f in ((out[2], y2, np.arccos), (out[3], r2, np.arcsin)):
        # clipped only when rounding put a value outside [-1, 1] (two reductions cost less than a clip)
        f(np.clip(v, f32(-1.0), f32(1.0), out=o) if v.min() < -1.0 or v.max() > 1.0 else v, out=o)
        o *= DEG
    np.negative(ry, out=ry)
    np.arctan2(rx, ry, out=out[4])  # anterior direction (-ry, rx)


def _rotation(heading: np.ndarray, rate_hz: float, reference_s: float, state: AngleState) -> np.ndarray:
    """Axial rotation (deg, right +) of the headings (rad) against their slowly following reference."""
    if heading.size == 0:
        return heading.copy()
    # unwrap against the last heading of the previous chunk: each heading as read plus the whole turns
    # counted so far (integers, exact in float64 all day), so any chunking gives the very same values
    step = np.empty_like(heading)
    step[0] = heading[0] - (heading[0] if state.last_read_rad is None else np.float32(state.last_read_rad))
    np.subtract(heading[1:], heading[:-1], out=step[1:])
    step *= np.float32(1.0 / TWO_PI)
    np.rint(step, out=step)  # whole turns in each step (-1, 0 or +1): nonzero only where the heading wraps
    wraps = step != 0
    # the turns are constant between wraps: added run by run, as rounded float64 multiples of 2 pi
    unwrapped = heading.astype(np.float64)
    if wraps.any():
        at = np.flatnonzero(wraps)
        turns = np.empty(at.size + 1)
        turns[0] = state.turns
        np.cumsum(step[at], dtype=np.float64, out=turns[1:])
        np.subtract(state.turns, turns[1:], out=turns[1:])
        unwrapped += np.repeat(turns * TWO_PI, np.diff(at, prepend=0, append=heading.size))
    else:
        turns = np.array([state.turns])
        unwrapped += turns[0] * TWO_PI
    state.turns, state.last_read_rad = float(turns[-1]), float(heading[-1])
    state.last_heading_rad = float(unwrapped[-1])
    alpha = 1.0 - np.exp(-1.0 / (reference_s * rate_hz))
    b, a = np.array([alpha]), np.array([1.0, alpha - 1.0])
    # scipy.signal is imported where it is used: importing it takes over a second, which every user of
    # dorsal.core (the simulator's truth, the CLI) would pay at start-up without analysing anything
    from scipy.signal import lfilter, lfilter_zi

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
    reference_s: float, state: AngleState, norm2: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """body_axes() then posture_angles(): (flexion, lateral, rotation, inclination, side, vertical row
    r20, r21, r22), each float32 (N,), the angles written straight into one array."""
    out = np.empty((5, w.size), np.float32)
    sup, right, vert = body_axes(w, x, y, z, r_bs, norm2)
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
