"""SensorStream: the virtual wearer's IMU (and barometer) samples, chunk by chunk.

The body is a closed-form function of time (body.py), the device's random
draws are made once, and the noise comes from generators that are consumed
sample by sample, so any chunking of a run gives the same samples and memory
stays bounded by the chunk size (an 8-hour day never exists in memory at
once).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from dorsal.sim.body import Plan, activity_at, motion
from dorsal.sim.imu import CHIPS, G_MPS2, BaroSpec, ImuDevice, pressure_from_height
from dorsal.sim.rotation import matrix_from_axis_angle, quaternions_from_matrices
from dorsal.sim.scenarios import Scenario, compile_plan, scenario_named

#: The longest block evaluated at once (memory bound: ~1.5 KB per sample while evaluating).
BLOCK_SAMPLES = 20_000


@dataclass(frozen=True)
class Mounting:
    """How the board sits on the back: a rotation from sensor axes to body axes."""

    r_body_sensor: np.ndarray  # (3, 3)
    in_plane_deg: float
    tilt_deg: float
    side_deg: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Mounting:
        # Nominal: sensor axes = body axes. The board is clipped on by feel, so it turns in the
        # plane of the back (about X) by up to ~15 deg, and the back's curvature at T2-T5
        # (kyphosis) tilts it about the right axis (Z) by up to ~12 deg; a little about Y too.
        in_plane = float(rng.uniform(-15, 15))
        tilt = float(rng.uniform(-12, 6))
        side = float(rng.uniform(-4, 4))
        r = (matrix_from_axis_angle([1, 0, 0], np.radians(in_plane))
             @ matrix_from_axis_angle([0, 0, 1], np.radians(tilt))
             @ matrix_from_axis_angle([0, 1, 0], np.radians(side)))
        return cls(r, in_plane, tilt, side)


@dataclass
class ChunkTruth:
    """What really happened at each sample of a chunk."""

    activity: np.ndarray  # int8 codes (body.ACTIVITIES), (N,)
    quat_sensor_earth: np.ndarray  # (N, 4) w, x, y, z: true sensor -> Earth (z up)
    acc_mps2: np.ndarray  # (N, 3) noise-free specific force, sensor frame
    gyr_rps: np.ndarray  # (N, 3) noise-free angular velocity, sensor frame
    sensor_height_m: np.ndarray  # (N,)
    spinal_flexion_deg: np.ndarray  # (N,) relative to the base posture
    spinal_lateral_deg: np.ndarray
    spinal_rotation_deg: np.ndarray


@dataclass
class SensorChunk:
    """Physical samples at the chip's output data rate (sensor frame)."""

    t_s: np.ndarray  # (N,) time since the start of the run
    acc_mps2: np.ndarray  # (N, 3) specific force as the chip reports it
    gyr_rps: np.ndarray  # (N, 3)
    pressure_pa: np.ndarray | None  # (N,) barometer reading held at each IMU sample, or None
    saturated: np.ndarray  # (N,) bit 0 accelerometer, bit 1 gyroscope
    truth: ChunkTruth


class SensorStream:
    """``SensorStream(scenario, seed, rate_hz, imu).next_chunk(duration_s)`` until ``done``."""

    def __init__(self, scenario: str | Scenario, seed: int = 0, rate_hz: float = 100.0, imu: str = "mpu6050",
                 duration_s: float | None = None, barometer: bool = True, quantise: bool = True,
                 start_still_s: float | None = None):
        self.scenario = scenario_named(scenario) if isinstance(scenario, str) else scenario
        if imu not in CHIPS:
            raise ValueError(f"unknown IMU {imu!r}; known: {', '.join(CHIPS)}")
        self.seed = int(seed)
        self.duration_s = float(duration_s if duration_s is not None else self.scenario.default_duration_s)
        self.plan: Plan = compile_plan(self.scenario, self.seed, self.duration_s, start_still_s)
        ss = np.random.SeedSequence([self.seed, zlib.crc32(self.scenario.name.encode()), 7])
        dev_seq, mount_seq, acc_seq, gyr_seq, baro_seq = ss.spawn(5)
        self.device = ImuDevice.draw(CHIPS[imu], rate_hz, np.random.default_rng(dev_seq))
        self.mounting = Mounting.draw(np.random.default_rng(mount_seq))
        self._acc_rng = np.random.default_rng(acc_seq)
        self._gyr_rng = np.random.default_rng(gyr_seq)
        self._baro_rng = np.random.default_rng(baro_seq)
        self.baro = BaroSpec() if barometer else None
        brng = np.random.default_rng(baro_seq.spawn(1)[0])
        self._baro_offset_pa = float(brng.normal(0, BaroSpec.offset_pa / 3))
        self._site_altitude_m = float(brng.uniform(0, 400))
        self._weather_phase = float(brng.uniform(0, 2 * np.pi))
        self.quantise = quantise
        self.rate_hz = self.device.odr_hz
        self.total_samples = int(np.floor(self.duration_s * self.rate_hz))
        self.index = 0  # next sample

    @property
    def done(self) -> bool:
        return self.index >= self.total_samples

    def next_chunk(self, duration_s: float) -> SensorChunk:
        """The next ``duration_s`` of samples (fewer at the end of the run)."""
        n = min(int(round(duration_s * self.rate_hz)), self.total_samples - self.index)
        parts = []
        while n > 0:
            k = min(n, BLOCK_SAMPLES)
            parts.append(self._block(self.index, k))
            self.index += k
            n -= k
        if not parts:
            return self._block(self.index, 0)
        if len(parts) == 1:
            return parts[0]
        return _concat(parts)

    def _block(self, start: int, n: int) -> SensorChunk:
        t = (start + np.arange(n)) / self.rate_hz
        m = motion(self.plan, t)
        r_es = m.pose.r_earth_body @ self.mounting.r_body_sensor
        specific = m.acc_earth_mps2 + np.array([0.0, 0.0, G_MPS2])
        acc_true = np.einsum("nji,nj->ni", r_es, specific)
        gyr_true = m.omega_body_rps @ self.mounting.r_body_sensor  # R_BS^T w_B, row-wise
        acc, gyr, sat = self.device.measure(t, acc_true, gyr_true, self._acc_rng.standard_normal((n, 3)),
                                            self._gyr_rng.standard_normal((n, 3)), self.quantise)
        pressure = None
        if self.baro is not None:
            height = m.pose.sensor_pos_m[:, 2]
            weather = 40.0 * np.sin(2 * np.pi * t / (5 * 3600.0) + self._weather_phase)  # slow weather drift
            pressure = (pressure_from_height(height + self._site_altitude_m) + self._baro_offset_pa + weather
                        + self._baro_rng.standard_normal(n) * self.baro.noise_pa)
            if self.quantise:
                pressure = np.round(pressure / self.baro.lsb_pa) * self.baro.lsb_pa
        truth = ChunkTruth(activity_at(self.plan, t), quaternions_from_matrices(r_es) if n else np.zeros((0, 4)),
                           acc_true, gyr_true, m.pose.sensor_pos_m[:, 2], m.pose.flexion_deg,
                           m.pose.lateral_deg, m.pose.rotation_deg)
        return SensorChunk(t, acc, gyr, pressure, sat, truth)


def _concat(parts: list[SensorChunk]) -> SensorChunk:
    def cat(get):  # type: ignore[no-untyped-def]
        return np.concatenate([get(p) for p in parts])

    pressure = None if parts[0].pressure_pa is None else cat(lambda p: p.pressure_pa)
    truth = ChunkTruth(*(cat(lambda p, f=f: getattr(p.truth, f)) for f in ChunkTruth.__dataclass_fields__))
    return SensorChunk(cat(lambda p: p.t_s), cat(lambda p: p.acc_mps2), cat(lambda p: p.gyr_rps), pressure,
                       cat(lambda p: p.saturated), truth)
