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
    w = np.sqrt(max(0.0, 1 + r[0, 0] + r[1, 1] + r[2, 2])) / 2
    x = np.sqrt(max(0.0, 1 + r[0, 0] - r[1, 1] - r[2, 2])) / 2
    y = np.sqrt(max(0.0, 1 - r[0, 0] + r[1, 1] - r[2, 2])) / 2
    z = np.sqrt(max(0.0, 1 - r[0, 0] - r[1, 1] + r[2, 2])) / 2
    x = np.copysign(x, r[2, 1] - r[1, 2])
    y = np.copysign(y, r[0, 2] - r[2, 0])
    z = np.copysign(z, r[1, 0] - r[0, 1])
    q = np.array([w, x, y, z])
    return q / np.linalg.norm(q)


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
    """Vectorized quaternion_from_matrix: (N, 3, 3) -> (N, 4)."""
    tr = [1 + r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2], 1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2],
          1 - r[:, 0, 0] + r[:, 1, 1] - r[:, 2, 2], 1 - r[:, 0, 0] - r[:, 1, 1] + r[:, 2, 2]]
    q = np.sqrt(np.maximum(0.0, np.stack(tr, axis=1))) / 2
    q[:, 1] = np.copysign(q[:, 1], r[:, 2, 1] - r[:, 1, 2])
    q[:, 2] = np.copysign(q[:, 2], r[:, 0, 2] - r[:, 2, 0])
    q[:, 3] = np.copysign(q[:, 3], r[:, 1, 0] - r[:, 0, 1])
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def angles_of(q: np.ndarray, neutral: np.ndarray) -> Angles:
    """Angles of quaternions q (N, 4) (sensor to Earth, z up) against the neutral quaternion (4,)."""
    r = rotation_matrices(q)
    r0 = rotation_matrices(np.asarray(neutral, dtype=np.float64)[None, :])[0]
    rel = np.einsum("ji,njk->nik", r0, r)
    y = rel[:, :, 1]
    x = rel[:, :, 0]
    flexion = np.degrees(np.arctan2(y[:, 0], y[:, 1]))
    lateral = np.degrees(np.arctan2(y[:, 2], np.hypot(y[:, 0], y[:, 1])))
    rotation = np.degrees(np.arctan2(x[:, 2], x[:, 0]))
    # inclination: the body's superior axis (sensor Y) against Earth's vertical
    inclination = np.degrees(np.arccos(np.clip(r[:, 2, 1], -1.0, 1.0)))
    return Angles(flexion, lateral, rotation, inclination)
