"""Vectorized quaternion helpers (w, x, y, z; sensor to Earth, z up)."""

from __future__ import annotations

import numpy as np


def normalize(q: np.ndarray) -> np.ndarray:
    """q: float array (N, 4) -> unit quaternions (N, 4), float64."""
    q = np.asarray(q, dtype=np.float64)
    assert q.ndim == 2 and q.shape[1] == 4, q.shape
    n = np.linalg.norm(q, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return q / n


def matrices(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (N, 3, 3) of quaternions (N, 4)."""
    w, x, y, z = normalize(q).T
    r = np.empty((w.size, 3, 3))
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


def from_matrix(r: np.ndarray) -> np.ndarray:
    """One rotation matrix (3, 3) -> unit quaternion (4,), w >= 0 (Shepperd's method)."""
    r = np.asarray(r, dtype=np.float64)
    tr = np.trace(r)
    diag = [tr, r[0, 0], r[1, 1], r[2, 2]]
    k = int(np.argmax(diag))
    if k == 0:
        t = 1 + tr
        q = [t, r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]]
    elif k == 1:
        t = 1 + r[0, 0] - r[1, 1] - r[2, 2]
        q = [r[2, 1] - r[1, 2], t, r[0, 1] + r[1, 0], r[0, 2] + r[2, 0]]
    elif k == 2:
        t = 1 - r[0, 0] + r[1, 1] - r[2, 2]
        q = [r[0, 2] - r[2, 0], r[0, 1] + r[1, 0], t, r[1, 2] + r[2, 1]]
    else:
        t = 1 - r[0, 0] - r[1, 1] + r[2, 2]
        q = [r[1, 0] - r[0, 1], r[0, 2] + r[2, 0], r[1, 2] + r[2, 1], t]
    out = np.array(q) * (0.5 / np.sqrt(t))
    return out * (1 if out[0] >= 0 else -1)


def matrix_entries(q: np.ndarray) -> tuple[np.ndarray, ...]:
    """The nine entries r00, r01, ..., r22 of each rotation matrix, as (N,) arrays of q's float type
    (q need not be unit)."""
    q = np.asarray(q)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    s = q.dtype.type(2.0) / (w * w + x * x + y * y + z * z)
    xx, yy, zz = s * x * x, s * y * y, s * z * z
    xy, xz, yz = s * x * y, s * x * z, s * y * z
    wx, wy, wz = s * w * x, s * w * y, s * w * z
    return (1 - yy - zz, xy - wz, xz + wy, xy + wz, 1 - xx - zz, yz - wx, xz - wy, yz + wx, 1 - xx - yy)


def apply(r: tuple[np.ndarray, ...], v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R v for each matrix given by matrix_entries and one vector v (3,): three (N,) arrays."""
    return (r[0] * v[0] + r[1] * v[1] + r[2] * v[2],
            r[3] * v[0] + r[4] * v[1] + r[5] * v[2],
            r[6] * v[0] + r[7] * v[1] + r[8] * v[2])
