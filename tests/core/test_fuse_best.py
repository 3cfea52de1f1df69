"""`fuse_best` on synthetic motion with exact truth: vqf on ~100 Hz blocks follows fast tilt at any
rate, regular or not, and its fast way for regular rates gives the same figures as the general way."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from dorsal.core.fusion import (fuse_best, imu_blocks, interpolate_blocks, regular_imu_blocks,
                                regular_interpolate_blocks)
from dorsal.errors import DorsalError
from dorsal.fusion_eval import tilt_error_deg

GRAVITY_MPS2 = 9.81


def swinging(t_s: np.ndarray) -> Rotation:
    """Sensor -> Earth: a slow heading sweep; from 5 s on (ramped in over 2 s), pitch (50 deg,
    0.7 Hz) and roll (30 deg, 1.9 Hz) swings."""
    moving = np.clip((t_s - 5.0) / 2.0, 0.0, 1.0)
    return Rotation.from_euler("ZXY", np.column_stack([
        0.8 * np.sin(2 * np.pi * 0.1 * t_s),
        np.radians(50.0) * np.sin(2 * np.pi * 0.7 * t_s) * moving,
        np.radians(30.0) * np.sin(2 * np.pi * 1.9 * t_s + 1.0) * moving]))


def ideal_imu(t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(acc_mps2, gyr_rps, true quaternions w,x,y,z) of a noise-free IMU doing `swinging`; each
    gyroscope sample is the exact mean rate since the previous sample."""
    rot = swinging(t_s)
    acc = rot.inv().apply([0.0, 0.0, GRAVITY_MPS2])
    gyr = np.empty_like(acc)
    gyr[1:] = (rot[:-1].inv() * rot[1:]).as_rotvec() / np.diff(t_s)[:, None]
    gyr[0] = gyr[1]
    return acc, gyr, rot.as_quat(scalar_first=True)


def tilt_rmse_after_settling_deg(t_s: np.ndarray) -> float:
    acc, gyr, truth = ideal_imu(t_s)
    err = tilt_error_deg(fuse_best(t_s, acc, gyr), truth)
    return float(np.sqrt(np.mean(err[t_s > 10.0] ** 2)))


def test_fast_swings_sampled_at_1_khz_keep_tilt_within_a_tenth_of_a_degree() -> None:
    assert tilt_rmse_after_settling_deg(np.arange(0.0, 60.0, 0.001)) <= 0.1


def test_irregular_1_khz_timestamps_keep_tilt_within_a_tenth_of_a_degree() -> None:
    steps_s = np.random.default_rng(1).uniform(0.0005, 0.0015, 60_000)
    assert tilt_rmse_after_settling_deg(np.cumsum(steps_s)) <= 0.1


def test_slow_irregular_timestamps_keep_tilt_within_a_degree() -> None:
    """~30 Hz with steps from 20 to 47 ms, like a phone or BLE-timed recording (UMAFall's are irregular too)."""
    steps_s = np.random.default_rng(2).uniform(0.020, 0.047, 1_800)
    assert tilt_rmse_after_settling_deg(np.cumsum(steps_s)) <= 1.0


def test_blocks_keep_the_integrated_rotation_of_irregular_samples() -> None:
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.001, 0.005, 2_000))
    gyr = rng.normal(0.0, 2.0, (t.size, 3))
    acc = rng.normal(0.0, 1.0, (t.size, 3))
    block_s = 0.01
    gyr_b, acc_b, start_s = imu_blocks(t, acc, gyr, block_s)
    # each sample's rate holds over the period that ends at its timestamp; the last one past the end
    width_s = np.diff(t, prepend=start_s)
    end_s = start_s + block_s * gyr_b.shape[0]
    expected = (gyr * width_s[:, None]).sum(axis=0) + gyr[-1] * (end_s - t[-1])
    assert np.allclose(gyr_b.sum(axis=0) * block_s, expected, rtol=1e-9, atol=1e-12)
    assert acc_b.shape == gyr_b.shape


@pytest.mark.parametrize("d", [1, 2, 3, 4, 10])
def test_the_regular_way_gives_the_general_way_s_figures(d: int) -> None:
    step_s = 1 / 285.7
    n = 10 * d + d // 2 + 1  # a partial block at the end
    t = np.arange(n) * step_s
    rng = np.random.default_rng(d)
    acc, gyr = rng.normal(0.0, 5.0, (n, 3)), rng.normal(0.0, 3.0, (n, 3))
    gyr_b, acc_b, start_s = imu_blocks(t, acc, gyr, d * step_s)
    gyr_r, acc_r = regular_imu_blocks(acc, gyr, d)
    assert np.allclose(gyr_r, gyr_b, atol=1e-9) and np.allclose(acc_r, acc_b, atol=1e-9)

    quat_b = Rotation.from_rotvec(np.cumsum(gyr_b, axis=0) * d * step_s).as_quat(scalar_first=True)
    quat_b[1::2] *= -1  # the same orientations with alternating signs: interpolation takes the shorter arc
    general = interpolate_blocks(quat_b, start_s, d * step_s, t)
    regular = regular_interpolate_blocks(quat_b, d, n)
    same_sign = np.sign(np.einsum("ij,ij->i", regular, general))[:, None]  # q and -q: one orientation
    assert np.allclose(regular * same_sign, general, atol=1e-9)
    assert np.allclose(np.linalg.norm(regular, axis=1), 1.0)


def test_timestamps_going_back_are_one_clear_error() -> None:
    t = np.array([0.0, 0.01, 0.02, 0.015, 0.03])
    with pytest.raises(DorsalError, match="increase"):
        fuse_best(t, np.tile([0.0, 0.0, GRAVITY_MPS2], (5, 1)), np.zeros((5, 3)))
