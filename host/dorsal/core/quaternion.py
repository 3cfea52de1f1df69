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
