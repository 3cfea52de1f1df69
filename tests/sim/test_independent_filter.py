"""An off-the-shelf orientation filter (vqf, Laidig & Seel) recovers the simulated tilt from the
simulated chip's accelerometer and gyroscope: the two signals tell one consistent story."""

from __future__ import annotations

import numpy as np
import pytest
import vqf

from dorsal.sim.rotation import matrices_from_quaternions
from dorsal.sim.stream import SensorStream


@pytest.mark.parametrize(("scenario", "p95_deg"), [("standing-bends", 1.5), ("desk-day", 1.5), ("walking", 2.5)])
def test_vqf_recovers_the_true_tilt(scenario, p95_deg):
    s = SensorStream(scenario, 3, 100, "icm42688p", duration_s=300)
    c = s.next_chunk(300)
    q = vqf.offlineVQF(np.ascontiguousarray(c.gyr_rps), np.ascontiguousarray(c.acc_mps2), None, 0.01)["quat6D"]
    up_true = matrices_from_quaternions(c.truth.quat_sensor_earth)[:, 2, :]  # Earth z in sensor axes
    up_est = matrices_from_quaternions(q)[:, 2, :]
    err = np.degrees(np.arccos(np.clip((up_true * up_est).sum(axis=1), -1, 1)))[1000:]  # after 10 s
    # the residual is the chip's accelerometer offset and scale error (+-20 mg, +-0.5%), not physics
    assert np.percentile(err, 95) < p95_deg, np.percentile(err, 95)
