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
#: (4, 1) rad to deg of tilt_angles()'s flexion, lateral (turning its sign too), inclination and side
_DEGREES = np.array([[DEG], [-DEG], [DEG], [DEG]], np.float32)


@dataclass
class AngleState:
    """Carried between chunks: the last heading (as read, and unwrapped: read + 2 pi turns) and the heading
    reference filter."""

    last_heading_rad: float | None = None
    zi: np.ndarray | None = None
    last_read_rad: float | None = None  #: the last heading as read (float32, in (-pi, pi])
    turns: float = 0.0  #: whole turns added to it (a float64 integer)


def tilt_angles(w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, r_bs: np.ndarray, out: np.ndarray,
                norm2: np.ndarray | None = None) -> np.ndarray:
    """Flexion, lateral, inclination, side (deg) and heading (rad) into out (5, N) float32; returns the vertical
    row (r20, r21, r22) of the sensor-to-Earth rotation R, (3, N) float32 (the vertical acceleration's weights).

    w, x, y, z: (N,) float32 quaternion components (sensor to Earth; need not be unit).
    r_bs: (3, 3) body-to-sensor rotation (columns: body X anterior, Y superior, Z right in sensor coordinates).
    norm2: w*w + x*x + y*y + z*z summed in that order, when the caller has it already (it is used up).

    The angles are read in the wearer's heading: the right axis r's horizontal direction r_h / |r_h| and the
    anterior direction up x r_h / |r_h|. With the body axes orthonormal (anterior a = superior y x right r),
    the superior axis along the anterior direction is (y1 r0 - y0 r1) / |r_h| = -a2 / |r_h|, along the right
    direction (y0 r0 + y1 r1) / |r_h| = -y2 r2 / |r_h| (y . r = 0), and |r_h| = sqrt(r0^2 + r1^2) =
    sqrt(a2^2 + y2^2) (the body axes' vertical components are a row of the body-to-Earth rotation, a unit
    vector). So flexion = atan2(-a2 / |r_h|, y2) = atan2(-a2, y2 |r_h|) and lateral = atan2(-y2 r2 / |r_h|,
    sqrt(a2^2 / |r_h|^2 + y2^2)) = -atan2(y2 r2, sqrt(a2^2 + (y2 |r_h|)^2)): the tilt angles need only R's
    vertical row (dotted with the body axes: a2, y2, r2), and no division (lying on a side, |r_h| -> 0, stays
    finite); the same angles as the axes' full Earth coordinates give, to float32 rounding. Only the heading,
    atan2(r0, -r1) (the anterior direction's), needs rows 0 and 1 of R, times the right axis's column.
    """
    f32, one = np.float32, np.float32(1.0)
    # every intermediate is written into a few preallocated rows, most of them used up in place (an operation
    # that writes over one of its inputs streams through less memory than one that fills a fresh row)
    vert = np.empty((3, w.size), f32)
    work = np.empty((11, w.size), f32)
    s, xs, ys, xx, yy, zz, xy, xz, yz, r01, tmp = work
    if norm2 is None:
        np.multiply(w, w, out=s)
        for u in (x, y, z):
            np.multiply(u, u, out=xx)
            s += xx
        norm2 = s
    np.divide(f32(2.0), norm2, out=s)  # R = I + 2 / |q|^2 times sums of the quaternion's products
    np.multiply(x, s, out=xs)
    np.multiply(y, s, out=ys)
    zs = np.multiply(s, z, out=s)
    for o, u, c in ((xx, x, xs), (yy, y, ys), (zz, z, zs), (xy, x, ys), (xz, x, zs), (yz, y, zs)):
        np.multiply(u, c, out=o)
    wx, wy, wz = (np.multiply(c, w, out=c) for c in (xs, ys, zs))  # the scaled x, y, z's last use
    r20, r21, r22 = vert
    np.subtract(xz, wy, out=r20)
    np.add(yz, wx, out=r21)
    np.subtract(one, xx, out=r22)
    r22 -= yy
    # rows 0 and 1 over the products as they are used up (R's entries as ever: (1 - yy) - zz, ...)
    np.subtract(xy, wz, out=r01)
    r02 = np.add(xz, wy, out=xz)
    r10 = np.add(xy, wz, out=xy)
    r12 = np.subtract(yz, wx, out=yz)
    r00 = np.subtract(one, yy, out=yy)
    r00 -= zz
    r11 = np.subtract(one, xx, out=xx)
    r11 -= zz
    # rows times constant columns, each sum in the order c0 + c1 + c2: -a2, y2, r2 = (-X, Y, Z) . row 2 (a
    # negated column negates every product and sum exactly) into the rows of the angles they become, and
    # r0, r1 = Z . rows 0 and 1, in place
    body = r_bs.astype(f32)
    a2n, y2, r2 = out[0], out[2], out[3]
    for o, c in ((a2n, -body[:, 0]), (y2, body[:, 1]), (r2, body[:, 2])):
        np.multiply(r20, c[0], out=o)
        o += np.multiply(r21, c[1], out=tmp)
        o += np.multiply(r22, c[2], out=tmp)
    c = body[:, 2]
    for r_0, r_1, r_2 in ((r00, r01, r02), (r10, r11, r12)):
        r_0 *= c[0]
        r_0 += np.multiply(r_1, c[1], out=r_1)
        r_0 += np.multiply(r_2, c[2], out=r_2)
    np.negative(r10, out=r10)  # -r1 after the sum, so an exact zero's sign is the heading's as ever
    np.arctan2(r00, r10, out=out[4])  # the anterior direction (-r1, r0)
    a_sq, t = r01, tmp  # used up
    np.square(a2n, out=a_sq)
    np.square(y2, out=t)
    t += a_sq
    np.sqrt(t, out=t)  # |r_h| = sqrt(a2^2 + y2^2)
    t *= y2
    np.arctan2(a2n, t, out=out[0])  # flexion, over -a2
    np.square(t, out=t)
    t += a_sq
    np.sqrt(t, out=t)  # sqrt(a2^2 + (y2 |r_h|)^2)
    np.arctan2(np.multiply(y2, r2, out=a_sq), t, out=out[1])  # the lateral bend negated (see _DEGREES)
    ends = out[2:4]  # y2 and r2: clipped only when rounding put a value outside [-1, 1] (two reductions cost
    if ends.min() < -1.0 or ends.max() > 1.0:  # less than a clip)
        np.clip(ends, f32(-1.0), f32(1.0), out=ends)
    np.arccos(y2, out=y2)  # inclination, in place
    np.arcsin(r2, out=r2)  # side
    out[:4] *= _DEGREES
    return vert


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
    b, a = reference_filter(rate_hz, reference_s)
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


def quaternion_angles(
    w: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, r_bs: np.ndarray, rate_hz: float,
    reference_s: float, state: AngleState, norm2: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """(flexion, lateral, rotation, inclination, side) in deg and the vertical row r20, r21, r22 of the
    sensor-to-Earth rotation, each float32 (N,), the angles written straight into one array.

    side is the elevation of the body's right axis (+90 lying on the left side, -90 on the right):
    lying on a side makes the heading-based angles degenerate, so it is reported on its own.
    rate_hz is the rate of these samples (the heading reference filter's design rate); norm2 as in
    tilt_angles().
    """
    out = np.empty((5, w.size), np.float32)
    vert = tilt_angles(w, x, y, z, r_bs, out, norm2)
    return (out[0], out[1], _rotation(out[4], rate_hz, reference_s, state), out[2], out[3], *vert)


def reference_alpha(rate_hz: float, reference_s: float) -> float:
    """The heading reference's smoothing factor per sample (a one-pole low-pass of time constant reference_s)."""
    return 1.0 - float(np.exp(-1.0 / (reference_s * rate_hz)))


def reference_filter(rate_hz: float, reference_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of the heading reference's one-pole low-pass, for lfilter."""
    alpha = reference_alpha(rate_hz, reference_s)
    return np.array([alpha]), np.array([1.0, alpha - 1.0])


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
    tilt_angles(w, x, y, z, r_bs, out)
    read = float(out[4, 0])
    old = state.last_heading_rad
    turns = float(np.round((old - read) / TWO_PI))  # the new heading's turns nearest the old one
    new = turns * TWO_PI + read
    state.turns, state.last_read_rad, state.last_heading_rad = turns, read, new
    if state.zi is not None:
        state.zi = state.zi + (1.0 - reference_alpha(rate_hz, reference_s)) * (new - old)
