"""Posture angles from the device's quaternions, relative to the calibrated neutral (vectorized).

Body frame (DESIGN.md, ISB thorax): X anterior, Y superior, Z right. The
sensor is taken to be aligned with that frame at the neutral posture, so the
body's rotation since neutral, in the neutral frame, is R(q0)^T R(q).
Flexion (+) tilts Y toward X, lateral bend right (+) tilts Y toward Z, axial
rotation right (+) turns X toward Z. Inclination is Y's angle from vertical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Upright neutral when the wearer has not calibrated: sensor Y (superior) up,
#: X (anterior) horizontal. Shown as "estimated" in the UI.
DEFAULT_NEUTRAL = np.array([np.sqrt(0.5), np.sqrt(0.5), 0.0, 0.0])


@dataclass(frozen=True)
class Angles:
    """Per-sample angles in degrees, float64 arrays of shape (N,)."""

    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    rotation_deg: np.ndarray
    inclination_deg: np.ndarray


def rotation_matrices(q: np.ndarray) -> np.ndarray:
    """Rotation matrices of unit quaternions (w, x, y, z): q (N, 4) -> (N, 3, 3)."""
    q = np.asarray(q, dtype=np.float64)
    assert q.ndim == 2 and q.shape[1] == 4
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    r = np.empty((q.shape[0], 3, 3))
    r[:, 0, 0] = 1 - 2 * (y * y + z * z)
    r[:, 0, 1] = 2 * (x * y - w * z)
    r[:, 0, 2] = 2 * (x * z + w * y)
    r[:, 1, 0] = 2 * (x * y + w * z)
    r[:, 1, 1] = 1 - 2 * (x * x + z * z)
    r[:, 1, 2] = 2 * (y * z - w * x)
    r[:, 2, 0] = 2 * (x * z - w * y)
    r[:, 2, 1] = 2 * (y * z + w * x)
    r[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return r


def quaternion_from_matrix(r: np.ndarray) -> np.ndarray:
    """One rotation matrix (3, 3) -> unit quaternion (w, x, y, z) with w >= 0."""
    return quaternions_from_matrices(np.asarray(r, dtype=np.float64)[None])[0]


def body_matrix(flexion_deg: float, lateral_deg: float, rotation_deg: float) -> np.ndarray:
    """The body's rotation since neutral for given angles (the inverse of angles_of for one pose)."""
    return body_matrices(np.array([[flexion_deg, lateral_deg, rotation_deg]]))[0]


def body_matrices(angles_deg: np.ndarray) -> np.ndarray:
    """Vectorized body_matrix: angles (N, 3) flexion, lateral, rotation in deg -> (N, 3, 3)."""
    f, lat, rot = np.radians(np.asarray(angles_deg, dtype=np.float64)).T
    n = len(f)
    # axial rotation right: about Y by -rot; flexion: about Z by -f; lateral bend: about X by +lat
    ry = np.zeros((n, 3, 3))
    ry[:, 0, 0] = ry[:, 2, 2] = np.cos(rot)
    ry[:, 0, 2], ry[:, 2, 0], ry[:, 1, 1] = -np.sin(rot), np.sin(rot), 1
    rz = np.zeros((n, 3, 3))
    rz[:, 0, 0] = rz[:, 1, 1] = np.cos(f)
    rz[:, 0, 1], rz[:, 1, 0], rz[:, 2, 2] = np.sin(f), -np.sin(f), 1
    rx = np.zeros((n, 3, 3))
    rx[:, 1, 1] = rx[:, 2, 2] = np.cos(lat)
    rx[:, 1, 2], rx[:, 2, 1], rx[:, 0, 0] = -np.sin(lat), np.sin(lat), 1
    return rz @ rx @ ry


def quaternions_from_matrices(r: np.ndarray) -> np.ndarray:
    """Vectorized quaternion_from_matrix: (N, 3, 3) -> (N, 4), w >= 0 (Shepperd: the largest component
    is taken from the diagonal, the others from off-diagonal sums, so no component's sign is lost)."""
    r = np.asarray(r, dtype=np.float64)
    diag = np.stack([r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2], r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]], axis=1)
    k = np.argmax(diag, axis=1)
    q = np.empty((len(r), 4))
    for case in range(4):
        m = r[k == case]
        if not len(m):
            continue
        if case == 0:
            t = 1 + m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
            v = [t, m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1]]
        elif case == 1:
            t = 1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2]
            v = [m[:, 2, 1] - m[:, 1, 2], t, m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0]]
        elif case == 2:
            t = 1 - m[:, 0, 0] + m[:, 1, 1] - m[:, 2, 2]
            v = [m[:, 0, 2] - m[:, 2, 0], m[:, 0, 1] + m[:, 1, 0], t, m[:, 1, 2] + m[:, 2, 1]]
        else:
            t = 1 - m[:, 0, 0] - m[:, 1, 1] + m[:, 2, 2]
            v = [m[:, 1, 0] - m[:, 0, 1], m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1], t]
        q[k == case] = np.stack(v, axis=1) * (0.5 / np.sqrt(t))[:, None]
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def heading_rad(q: np.ndarray) -> np.ndarray:
    """Heading of the body's anterior axis (sensor X) in the horizontal plane, rad (N,); Earth y is left."""
    r = rotation_matrices(q)
    return np.arctan2(r[:, 1, 0], r[:, 0, 0])


def _rot_z(angle_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    m = np.zeros((len(c), 3, 3))
    m[:, 0, 0] = m[:, 1, 1] = c
    m[:, 0, 1], m[:, 1, 0], m[:, 2, 2] = -s, s, 1
    return m


def angles_of(q: np.ndarray, neutral: np.ndarray, reference_heading_rad: float | None = None) -> Angles:
    """Angles of quaternions q (N, 4) (sensor to Earth, z up) against the neutral quaternion (4,).

    Heading is taken out before the tilt angles are measured, so flexion and lateral bend do not
    depend on which way the wearer faces. Axial rotation is the heading against
    ``reference_heading_rad`` (default: the neutral's heading); one sensor cannot tell a trunk
    twist from turning the whole body, so the live tracker lets that reference follow slowly.
    """
    q = np.asarray(q, dtype=np.float64)
    r = rotation_matrices(q)
    n0 = np.asarray(neutral, dtype=np.float64)[None, :]
    r0 = rotation_matrices(n0)[0]
    psi0 = float(heading_rad(n0)[0])
    psi = np.arctan2(r[:, 1, 0], r[:, 0, 0])
    aligned = _rot_z(psi0 - psi) @ r
    rel = np.einsum("ji,njk->nik", r0, aligned)
    y = rel[:, :, 1]
    flexion = np.degrees(np.arctan2(y[:, 0], y[:, 1]))
    lateral = np.degrees(np.arctan2(y[:, 2], np.hypot(y[:, 0], y[:, 1])))
    ref = psi0 if reference_heading_rad is None else reference_heading_rad
    # turning right (toward Earth -y at heading 0) lowers the heading
    rotation = -np.degrees(np.angle(np.exp(1j * (psi - ref))))
    # inclination: the body's superior axis (sensor Y) against Earth's vertical
    inclination = np.degrees(np.arccos(np.clip(r[:, 2, 1], -1.0, 1.0)))
    return Angles(flexion, lateral, rotation, inclination)
