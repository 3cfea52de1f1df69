"""The nominal sample rate read from the samples' times, and the analysis blocks it gives.

A device's sample times are a frame's start (whole ms on its clock) plus the samples' offsets, in float64; at an
uptime of hours their spacing reads a hair above or below the rate, by where the recording starts. Unrounded,
99.99999999998 Hz made the core's blocks 3 samples instead of 4 for most start times, and a live session (its
first batch) and its recording could take different blocks.
"""

from __future__ import annotations

import numpy as np
import pytest

from dorsal.core import Analyzer
from dorsal.core.pipeline import block_size, rate_of, spacing_rate
from dorsal.dashboard.live import rate_of as live_rate_of
from dorsal.decode import SAMPLE_DTYPE, decode_samples
from dorsal.protocol import wire

#: device clock start times (ms) spread over its 32-bit range (~49.7 days)
STARTS_MS = np.linspace(0, 2**32 - 10**6, 97).astype(np.int64)


def frames(t0_ms: int, period_us: int, n_frames: int = 200, per_frame: int = 10) -> np.ndarray:
    """The samples of n_frames data frames from a device whose clock stood at t0_ms, as the host decodes them
    (the device's frames start at whole ms, dorsal.decode adds the samples' offsets)."""
    rec = (16384, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
    msgs = [wire.encode_data(i * per_frame, (t0_ms + round(i * per_frame * period_us / 1000)) & 0xFFFFFFFF,
                             period_us, [rec] * per_frame) for i in range(n_frames)]
    offsets = np.cumsum([0] + [len(m) for m in msgs[:-1]])
    return decode_samples(b"".join(msgs), offsets)


@pytest.mark.parametrize(("period_us", "rate_hz", "block"), [(10_000, 100.0, 4), (5_000, 200.0, 8),
                                                             (20_000, 50.0, 2), (9_615, 104.004, 4),
                                                             (40_000, 25.0, 1), (50_000, 20.0, 1)])
def test_the_rate_and_the_blocks_do_not_depend_on_where_the_device_clock_stood(period_us: int, rate_hz: float,
                                                                                block: int) -> None:
    for t0 in STARTS_MS:
        s = frames(int(t0), period_us)
        assert rate_of(s) == rate_hz
        assert Analyzer(rate_hz=rate_of(s)).block == block
        # the dashboard estimates it from one batch (a tenth of a second): the same
        assert live_rate_of(s[:10]) == rate_of(s)


def test_a_rate_a_caller_estimated_unrounded_still_gives_whole_blocks() -> None:
    assert block_size(99.99999999998437) == block_size(100.0000000000021) == 4
    assert block_size(74.9) == 2 and block_size(24.0) == 1


def test_no_rate_from_too_few_or_equal_times() -> None:
    assert spacing_rate(np.array([5.0])) is None and spacing_rate(np.array([5.0, 5.0, 5.0])) is None
    assert rate_of(np.zeros(1, SAMPLE_DTYPE)) == 100.0 and live_rate_of(np.zeros(1, SAMPLE_DTYPE)) is None
