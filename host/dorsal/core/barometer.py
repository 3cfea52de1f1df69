"""The barometer's part in activity: how far the chest has risen or dropped, from air pressure.

A sit-down or a stand-up moves the sensor ~0.4-0.5 m, which a barometer sees directly (~5-6 Pa);
a trunk IMU and a barometer together separated real transitions at 99.5% in a study
(SEED_NOTES.md). The IMU's own height transient (the high-passed double integral of vertical
acceleration, pipeline) also rises and drops when the chest only leans and reaches; the barometer
tells these apart. Weather moves the pressure by ~1 Pa in minutes and the chip's offset is
constant, so only changes over a few seconds are used.
"""

from __future__ import annotations

import numpy as np

#: A transition's height change is measured against the seconds before it, this many. A stand-to-sit
#: takes 2-3 s and is read as a sit-down up to ~6 s later (Settings.sit_settle_within_s); pressure
#: drifts with the weather by well under 1 Pa (8 cm) in 8 s.
WINDOW_S = 8


def altitude_m(pressure_pa: np.ndarray) -> np.ndarray:
    """Height (m) in the ICAO standard atmosphere for a pressure (Pa); its offset does not matter here."""
    return 44330.77 * (1.0 - (np.asarray(pressure_pa, np.float64) / 101325.0) ** (1.0 / 5.25588))


def second_altitudes(pressure_pa: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per second: the altitude (m) of the mean reading over its analysis samples; NaN for a second
    with any sample that has no reading (0), so a wearable without a barometer gives all NaN."""
    valid = pressure_pa > 0
    if not valid.any():
        return np.full(starts.size, np.nan)
    # float64 sums: float32 rounds a sum of 25 readings of ~1e5 Pa to ~0.25 Pa, ~2 cm
    mean = np.add.reduceat(pressure_pa.astype(np.float64), starts) / counts
    full = np.add.reduceat(valid, starts) == counts
    return np.where(full, altitude_m(mean), np.nan)


class HeightSteps:
    """Per second: the chest's altitude against the highest and the lowest of the WINDOW_S seconds
    before it (m, NaN without readings). Carries those seconds between calls (streaming equals batch)."""

    def __init__(self) -> None:
        self._before = np.full(WINDOW_S, np.nan)

    def update(self, altitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(drop, rise): altitude minus the window's highest (<= 0 after a drop) and minus its lowest."""
        n = altitude.size
        hist = np.concatenate([self._before, altitude])
        self._before = hist[-WINDOW_S:]
        if np.isnan(hist).all():
            nan = np.full(n, np.nan)
            return nan, nan.copy()
        hi = hist[:n].copy()
        lo = hi.copy()
        for k in range(1, WINDOW_S):
            np.fmax(hi, hist[k : k + n], out=hi)  # fmax/fmin skip the seconds without a reading
            np.fmin(lo, hist[k : k + n], out=lo)
        return altitude - hi, altitude - lo
