"""IMU and barometer models from the datasheets of the chips the firmware supports.

What a chip adds to the physical signal, per axis (sensor frame):

    out = clip(quantise((I + S + C) @ true + bias0 + tempco * dT(t) + noise))

* ``S``: sensitivity (scale) error, drawn once per device, within the
  datasheet tolerance; ``C``: cross-axis sensitivity, drawn once.
* ``bias0``: initial offset (zero-g level / zero-rate output), drawn once.
* ``tempco * dT(t)``: the bias drift. Consumer datasheets give no bias
  instability figure; they give the offset change with temperature, and a
  worn device warms from room to skin temperature (+6..10 K over ~10 min)
  and then wanders by about a kelvin. That is the drift modelled here.
* ``noise``: white, density * sqrt(equivalent noise bandwidth); the
  bandwidth is the chip's low-pass filter at the chosen output data rate.
* quantisation to the LSB of the chosen full scale and saturation at it.

Draws use a spread of a third of the datasheet's min/max limit (so ~99.7% of
simulated devices are inside the limit) unless the datasheet gives a typical
value, which is then used as one sigma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

G_MPS2 = 9.80665
DEG = np.pi / 180


@dataclass(frozen=True)
class ImuSpec:
    """Datasheet figures of one chip at the full scales the firmware uses."""

    name: str
    datasheet: str
    odr_hz: tuple[float, ...]  # output data rates the chip offers
    acc_range_g: float
    gyro_range_dps: float
    acc_noise_ug_rthz: float  # accelerometer noise density
    gyro_noise_mdps_rthz: float  # gyroscope rate noise density
    bandwidth_ratio: float  # low-pass -3 dB bandwidth / ODR at the configured filter
    acc_offset_mg: float  # zero-g offset limit (+-)
    gyro_offset_dps: float  # zero-rate output limit (+-)
    acc_tempco_mg_per_k: float
    gyro_tempco_dps_per_k: float
    acc_scale_tol: float  # sensitivity tolerance, fraction (+-)
    gyro_scale_tol: float
    cross_axis: float  # cross-axis sensitivity, fraction (+-)
    fifo_bytes: int

    @property
    def acc_lsb_mps2(self) -> float:
        return self.acc_range_g * G_MPS2 / 32768.0

    @property
    def gyro_lsb_rps(self) -> float:
        return self.gyro_range_dps * DEG / 32768.0

    def pick_odr(self, rate_hz: float) -> float:
        """The chip's output data rate closest to the requested one."""
        rates = np.asarray(self.odr_hz)
        return float(rates[np.argmin(np.abs(np.log(rates / rate_hz)))])

    def noise_sigma(self, odr_hz: float) -> tuple[float, float]:
        """(acc m/s^2, gyro rad/s) white-noise sigma per sample at this ODR.

        Equivalent noise bandwidth of a first-order-like low-pass = pi/2 times
        its -3 dB bandwidth, never above Nyquist.
        """
        enbw = min(0.5 * odr_hz, 0.5 * np.pi * self.bandwidth_ratio * odr_hz)
        acc = self.acc_noise_ug_rthz * 1e-6 * G_MPS2 * np.sqrt(enbw)
        gyr = self.gyro_noise_mdps_rthz * 1e-3 * DEG * np.sqrt(enbw)
        return float(acc), float(gyr)


CHIPS: dict[str, ImuSpec] = {
    # InvenSense PS-MPU-6000A-00 rev 3.4, tables 6.1/6.2: gyro noise 0.005 dps/rtHz, ZRO +-20 dps
    # initial and +-20 dps over -40..85 C (0.16 dps/K), sensitivity +-3%, cross-axis +-2%; accel
    # 400 ug/rtHz, zero-g +-50 mg (X/Y; Z +-80), +-35 mg over 0..70 C (0.5 mg/K), +-3%. Firmware
    # configures +-4 g, +-500 dps, DLPF_CFG=3 (44 Hz accel / 42 Hz gyro), 100 Hz = SMPLRT_DIV 9.
    # FIFO 1024 bytes.
    "mpu6050": ImuSpec("mpu6050", "InvenSense PS-MPU-6000A-00 rev 3.4",
                       tuple(1000.0 / (1 + d) for d in range(0, 256)), 4.0, 500.0, 400.0, 5.0, 0.43,
                       50.0, 20.0, 0.5, 0.16, 0.03, 0.03, 0.02, 1024),
    # TDK InvenSense DS-000347 rev 1.x, tables 1/2: gyro 0.0028 dps/rtHz, ZRO +-0.5 dps,
    # +-0.005 dps/K, sensitivity +-0.5%; accel 70 ug/rtHz, zero-g +-20 mg, +-0.15 mg/K, +-0.5%;
    # cross-axis +-1%. UI filter at ODR/4 by default. FIFO 2 KB.
    "icm42688p": ImuSpec("icm42688p", "TDK InvenSense ICM-42688-P DS-000347",
                         (12.5, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0), 4.0, 500.0, 70.0, 2.8, 0.25,
                         20.0, 0.5, 0.15, 0.005, 0.005, 0.005, 0.01, 2048),
    # ST DS12814 (LSM6DSOX), table 2 (typ.): gyro 3.8 mdps/rtHz, zero-rate +-1 dps, +-0.01 dps/K;
    # accel 70 ug/rtHz (high-performance), zero-g +-20 mg, +-0.1 mg/K; ODRs 12.5..6664 Hz in
    # steps of 2 (104 Hz where 100 is asked). Sensitivity and cross-axis tolerances are not
    # given as limits there: +-1% is assumed. FIFO 9 KB.
    "lsm6dsox": ImuSpec("lsm6dsox", "ST LSM6DSOX DS12814",
                        (12.5, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0), 4.0, 500.0, 70.0, 3.8, 0.45,
                        20.0, 1.0, 0.1, 0.01, 0.01, 0.01, 0.01, 9216),
}


@dataclass(frozen=True)
class BaroSpec:
    """Bosch BST-BMP390-DS002: relative accuracy +-3 Pa (+-25 cm), absolute +-50 Pa; RMS noise
    from 0.02 Pa (highest oversampling with the IIR filter) upward. The firmware runs it at
    x8 oversampling with a light IIR, taken here as 0.3 Pa RMS (assumption between the
    datasheet's extremes)."""

    name: str = "bmp390"
    noise_pa: float = 0.3
    offset_pa: float = 50.0
    lsb_pa: float = 1.0 / 64  # the protocol's pressure LSB (the chip resolves 0.016 Pa)


def pressure_from_height(height_m: np.ndarray, sea_level_pa: float = 101325.0) -> np.ndarray:
    """International barometric formula (ICAO standard atmosphere, troposphere)."""
    return sea_level_pa * (1.0 - 2.25577e-5 * height_m) ** 5.25588


@dataclass
class ImuDevice:
    """One simulated unit: the random draws that make it differ from its siblings."""

    spec: ImuSpec
    odr_hz: float
    acc_matrix: np.ndarray  # (3, 3) I + scale + cross-axis
    gyro_matrix: np.ndarray
    acc_bias_mps2: np.ndarray  # (3,)
    gyro_bias_rps: np.ndarray
    acc_tempco_mps2_per_k: np.ndarray
    gyro_tempco_rps_per_k: np.ndarray
    warmup_k: float  # temperature rise from room to skin contact
    warmup_s: float  # its time constant
    wander_k: float  # slow temperature wander amplitude after warm-up
    wander_hz: np.ndarray  # (3,)
    wander_phase: np.ndarray  # (3,)
    acc_sigma_mps2: float
    gyro_sigma_rps: float

    @classmethod
    def draw(cls, spec: ImuSpec, rate_hz: float, rng: np.random.Generator) -> ImuDevice:
        def matrix(scale_tol: float) -> np.ndarray:
            m = np.eye(3) + np.diag(rng.normal(0, scale_tol / 3, 3))
            cross = rng.normal(0, spec.cross_axis / 3, (3, 3))
            np.fill_diagonal(cross, 0.0)
            return m + cross

        odr = spec.pick_odr(rate_hz)
        acc_sigma, gyro_sigma = spec.noise_sigma(odr)
        return cls(
            spec=spec, odr_hz=odr,
            acc_matrix=matrix(spec.acc_scale_tol), gyro_matrix=matrix(spec.gyro_scale_tol),
            acc_bias_mps2=rng.normal(0, spec.acc_offset_mg / 3, 3) * 1e-3 * G_MPS2,
            gyro_bias_rps=rng.normal(0, spec.gyro_offset_dps / 3, 3) * DEG,
            acc_tempco_mps2_per_k=rng.normal(0, spec.acc_tempco_mg_per_k / 3, 3) * 1e-3 * G_MPS2,
            gyro_tempco_rps_per_k=rng.normal(0, spec.gyro_tempco_dps_per_k / 3, 3) * DEG,
            warmup_k=float(rng.uniform(6, 10)), warmup_s=float(rng.uniform(300, 900)),
            wander_k=float(rng.uniform(0.3, 1.0)), wander_hz=rng.uniform(1 / 7200, 1 / 900, 3),
            wander_phase=rng.uniform(0, 2 * np.pi, 3),
            acc_sigma_mps2=acc_sigma, gyro_sigma_rps=gyro_sigma,
        )

    def temperature_rise_k(self, t_s: np.ndarray) -> np.ndarray:
        """Chip temperature above room temperature (K): warm-up on the skin plus slow wander."""
        wander = np.sin(2 * np.pi * self.wander_hz[None, :] * t_s[:, None] + self.wander_phase[None, :]).mean(axis=1)
        return self.warmup_k * (1 - np.exp(-t_s / self.warmup_s)) + self.wander_k * wander

    def measure(self, t_s: np.ndarray, acc_true: np.ndarray, gyro_true: np.ndarray,
                acc_noise: np.ndarray, gyro_noise: np.ndarray, quantise: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Chip output (m/s^2, rad/s) and saturation flags from true values and unit-variance noise draws."""
        dt = self.temperature_rise_k(t_s)[:, None]
        acc = acc_true @ self.acc_matrix.T + self.acc_bias_mps2 + self.acc_tempco_mps2_per_k * dt
        gyr = gyro_true @ self.gyro_matrix.T + self.gyro_bias_rps + self.gyro_tempco_rps_per_k * dt
        acc = acc + acc_noise * self.acc_sigma_mps2
        gyr = gyr + gyro_noise * self.gyro_sigma_rps
        acc_lsb, gyr_lsb = self.spec.acc_lsb_mps2, self.spec.gyro_lsb_rps
        if quantise:
            acc = np.round(acc / acc_lsb) * acc_lsb
            gyr = np.round(gyr / gyr_lsb) * gyr_lsb
        acc_max, gyr_max = 32767 * acc_lsb, 32767 * gyr_lsb
        acc_sat = np.any(np.abs(acc) >= acc_max, axis=1)
        gyr_sat = np.any(np.abs(gyr) >= gyr_max, axis=1)
        acc = np.clip(acc, -32768 * acc_lsb, acc_max)
        gyr = np.clip(gyr, -32768 * gyr_lsb, gyr_max)
        saturated = acc_sat.astype(np.uint8) | (gyr_sat.astype(np.uint8) << 1)
        return acc, gyr, saturated
