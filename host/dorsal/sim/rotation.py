"""Rotation helpers for the body model (vectorized: time on axis 0)."""

from __future__ import annotations

import numpy as np


def rot_x(a_rad: np.ndarray) -> np.ndarray:
    """Rotations about x by a (N,) rad -> (N, 3, 3)."""
    c, s = np.cos(a_rad), np.sin(a_rad)
    r = np.zeros(np.shape(a_rad) + (3, 3))
    r[..., 0, 0] = 1
    r[..., 1, 1], r[..., 1, 2], r[..., 2, 1], r[..., 2, 2] = c, -s, s, c
    return r


def rot_y(a_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(a_rad), np.sin(a_rad)
    r = np.zeros(np.shape(a_rad) + (3, 3))
    r[..., 1, 1] = 1
    r[..., 0, 0], r[..., 0, 2], r[..., 2, 0], r[..., 2, 2] = c, s, -s, c
    return r


def rot_z(a_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(a_rad), np.sin(a_rad)
    r = np.zeros(np.shape(a_rad) + (3, 3))
    r[..., 2, 2] = 1
    r[..., 0, 0], r[..., 0, 1], r[..., 1, 0], r[..., 1, 1] = c, -s, s, c
    return r


def matrix_from_axis_angle(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * k + (1 - np.cos(angle_rad)) * (k @ k)


def quaternions_from_matrices(r: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotation matrices -> (N, 4) unit quaternions w, x, y, z with w >= 0."""
    tr = np.stack([1 + r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2], 1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2],
                   1 - r[:, 0, 0] + r[:, 1, 1] - r[:, 2, 2], 1 - r[:, 0, 0] - r[:, 1, 1] + r[:, 2, 2]], axis=1)
    q = np.sqrt(np.maximum(0.0, tr)) / 2
    q[:, 1] = np.copysign(q[:, 1], r[:, 2, 1] - r[:, 1, 2])
    q[:, 2] = np.copysign(q[:, 2], r[:, 0, 2] - r[:, 2, 0])
    q[:, 3] = np.copysign(q[:, 3], r[:, 1, 0] - r[:, 0, 1])
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def matrices_from_quaternions(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
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


def angular_velocity(r_before: np.ndarray, r_after: np.ndarray, dt_s: float) -> np.ndarray:
    """Angular velocity in the moving frame (rad/s) from orientations dt_s apart: (N,3,3) x2 -> (N,3).

    The increment M = R0^T R1 is the rotation seen from the moving frame; its
    axis-angle divided by dt is the body-frame angular velocity (what a gyro
    measures), exactly for a constant rate and to O(dt^2) otherwise.
    """
    m = np.einsum("nji,njk->nik", r_before, r_after)
    v = 0.5 * np.stack([m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1]], axis=1)
    s = np.linalg.norm(v, axis=1)
    c = 0.5 * (m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2] - 1)
    angle = np.arctan2(s, c)
    scale = np.where(s > 1e-12, angle / np.where(s > 1e-12, s, 1.0), 1.0)
    return v * (scale / dt_s)[:, None]
