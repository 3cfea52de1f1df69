"""The virtual wearable obeys physics: gravity, gyro = derivative of orientation, height changes."""

from __future__ import annotations

import numpy as np
import pytest

from dorsal.sim.body import ACTIVITY_CODE
from dorsal.sim.imu import G_MPS2
from dorsal.sim.rotation import matrices_from_quaternions
from dorsal.sim.stream import SensorStream


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def test_at_rest_the_accelerometer_reads_g():
    s = SensorStream("standing-back-lean", seed=3, rate_hz=100, imu="icm42688p", duration_s=10)
    c = s.next_chunk(3.0)  # the wearer stands still while the device starts
    true_norm = np.linalg.norm(c.truth.acc_mps2, axis=1)
    # breathing and postural sway move the sensor by millimetres: far below 0.05 m/s^2
    assert np.all(np.abs(true_norm - G_MPS2) < 0.05)
    measured = np.linalg.norm(c.acc_mps2, axis=1).mean()
    # the chip adds at most its zero-g offset (+-20 mg) and scale error (+-0.5%)
    assert abs(measured - G_MPS2) < 0.03 * G_MPS2


def test_integrating_the_gyro_reproduces_the_orientation():
    s = SensorStream("standing-bends", seed=5, rate_hz=200, imu="icm42688p", duration_s=90)
    c = s.next_chunk(90)
    assert np.degrees(np.abs(c.truth.gyr_rps).max()) > 20, "the scenario should move"
    dt = 1.0 / s.rate_hz
    q = c.truth.quat_sensor_earth[0].copy()
    worst = 0.0
    for k in range(c.t_s.size - 1):
        w = 0.5 * (c.truth.gyr_rps[k] + c.truth.gyr_rps[k + 1])  # sensor-frame rate, midpoint
        angle = np.linalg.norm(w) * dt
        axis = w / np.linalg.norm(w) if angle > 0 else np.zeros(3)
        q = _quat_mul(q, np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * axis]))
        q /= np.linalg.norm(q)
        if k % 100 == 0:
            err = 2 * np.degrees(np.arccos(min(1.0, abs(float(q @ c.truth.quat_sensor_earth[k + 1])))))
            worst = max(worst, err)
    assert worst < 0.5, f"integrated gyro drifts {worst:.2f} deg from the true orientation in 90 s"


def _first_stand_up(c, rate_hz: float) -> tuple[int, int]:
    act = c.truth.activity
    k = int(np.flatnonzero((act[:-1] == ACTIVITY_CODE["sitting"]) & (act[1:] == ACTIVITY_CODE["standing"]))[0])
    return k - int(3 * rate_hz), k + int(3 * rate_hz)


def _double_integrated_rise(acc_sensor: np.ndarray, quat: np.ndarray, rate_hz: float) -> float:
    """Height change from rest to rest: rotate to Earth, remove the still first second, integrate twice."""
    r = matrices_from_quaternions(quat)
    acc_earth = np.einsum("nij,nj->ni", r, acc_sensor)
    vertical = acc_earth[:, 2] - acc_earth[: int(rate_hz), 2].mean()
    dt = 1.0 / rate_hz
    height = np.cumsum(np.cumsum(vertical) * dt) * dt
    return float(height[-int(rate_hz):].mean())


@pytest.mark.parametrize("chip", ["icm42688p", "mpu6050"])
def test_sit_to_stand_height_shows_in_double_integrated_vertical_acceleration_and_barometer(chip):
    s = SensorStream("sit-stand", seed=6, rate_hz=100, imu=chip, duration_s=60)
    c = s.next_chunk(60)
    a, b = _first_stand_up(c, s.rate_hz)
    true_rise = c.truth.sensor_height_m[b] - c.truth.sensor_height_m[a]
    assert 0.35 < true_rise < 0.55
    # the physical specific force integrates to the height change to within 2 cm
    assert abs(_double_integrated_rise(c.truth.acc_mps2[a:b], c.truth.quat_sensor_earth[a:b], s.rate_hz)
               - true_rise) < 0.02
    if chip == "icm42688p":
        # the chip's own readings still show it: its offset (+-20 mg) and scale error (+-0.5%)
        # leak gravity while the trunk leans ~50 deg, a few cm over the 2-s transition
        # (only the still second before and the transition itself, so the error has little time to grow)
        k = a + int(3 * s.rate_hz)
        a2, b2 = k - int(2.4 * s.rate_hz), k + int(2.0 * s.rate_hz)
        chip_rise = _double_integrated_rise(c.acc_mps2[a2:b2], c.truth.quat_sensor_earth[a2:b2], s.rate_hz)
        assert abs(chip_rise - true_rise) < 0.4 * true_rise, (chip_rise, true_rise)

    # barometer: 1 s means before and after (the BMP390 at ~0.3 Pa RMS per sample)
    p = c.pressure_pa
    before = p[a : a + int(s.rate_hz)].mean()
    after = p[b - int(s.rate_hz) : b].mean()
    rho_g = 1.2 * G_MPS2  # air density near sea level x g: ~11.8 Pa per metre
    baro_rise = (before - after) / rho_g
    assert abs(baro_rise - true_rise) < 0.1, (baro_rise, true_rise)


@pytest.mark.parametrize("chip", ["mpu6050", "icm42688p", "lsm6dsox"])
def test_noise_statistics_match_the_datasheet(chip):
    from dorsal.sim.imu import CHIPS, DEG

    spec = CHIPS[chip]
    s = SensorStream("standing-back-lean", seed=11, rate_hz=100, imu=chip, duration_s=60, barometer=False)
    c = s.next_chunk(60)
    dev = s.device
    dT = dev.temperature_rise_k(c.t_s)[:, None]
    expect_acc = c.truth.acc_mps2 @ dev.acc_matrix.T + dev.acc_bias_mps2 + dev.acc_tempco_mps2_per_k * dT
    expect_gyr = c.truth.gyr_rps @ dev.gyro_matrix.T + dev.gyro_bias_rps + dev.gyro_tempco_rps_per_k * dT
    acc_sd = (c.acc_mps2 - expect_acc).std(axis=0)
    gyr_sd = (c.gyr_rps - expect_gyr).std(axis=0)
    # datasheet density x sqrt(equivalent noise bandwidth), plus the quantisation step's share
    enbw = min(0.5 * s.rate_hz, 0.5 * np.pi * spec.bandwidth_ratio * s.rate_hz)
    acc_ds = spec.acc_noise_ug_rthz * 1e-6 * G_MPS2 * np.sqrt(enbw)
    gyr_ds = spec.gyro_noise_mdps_rthz * 1e-3 * DEG * np.sqrt(enbw)
    acc_q = np.hypot(acc_ds, spec.acc_lsb_mps2 / np.sqrt(12))
    gyr_q = np.hypot(gyr_ds, spec.gyro_lsb_rps / np.sqrt(12))
    assert np.all(np.abs(acc_sd / acc_q - 1) < 0.05), (acc_sd, acc_q)
    assert np.all(np.abs(gyr_sd / gyr_q - 1) < 0.05), (gyr_sd, gyr_q)
    # the white noise is white: neighbouring samples do not correlate
    n = c.acc_mps2[:, 0] - expect_acc[:, 0]
    assert abs(np.corrcoef(n[:-1], n[1:])[0, 1]) < 0.05
    # every reading sits on the chip's quantisation grid
    assert np.allclose(np.round(c.acc_mps2 / spec.acc_lsb_mps2) * spec.acc_lsb_mps2, c.acc_mps2)


def test_mpu6050_noise_figure_is_the_datasheet_one():
    from dorsal.sim.imu import CHIPS, DEG

    # PS-MPU-6000A: 0.005 dps/rtHz; total RMS noise 0.05 dps at DLPF 100 Hz -> same order here
    acc_sigma, gyr_sigma = CHIPS["mpu6050"].noise_sigma(100.0)
    assert gyr_sigma / DEG == pytest.approx(0.005 * np.sqrt(50.0), rel=1e-9)
    assert acc_sigma / G_MPS2 == pytest.approx(400e-6 * np.sqrt(50.0), rel=1e-9)


def test_lsm6dsox_runs_at_its_own_output_data_rate():
    s = SensorStream("standing-bends", seed=1, rate_hz=100, imu="lsm6dsox", duration_s=5)
    assert s.rate_hz == 104.0
    assert s.next_chunk(5).t_s.size == 520


def test_saturation_is_flagged_at_full_scale():
    from dorsal.sim.imu import CHIPS, ImuDevice

    dev = ImuDevice.draw(CHIPS["mpu6050"], 100.0, np.random.default_rng(0))
    big = np.array([[0.0, 0.0, 6 * G_MPS2], [0.0, 0.0, G_MPS2]])
    acc, gyr, sat = dev.measure(np.zeros(2), big, np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)))
    assert sat[0] & 1 and not sat[1] & 1
    assert acc[0, 2] == pytest.approx(32767 * CHIPS["mpu6050"].acc_lsb_mps2)
