"""Feeding the core's Analyzer a recording in chunks of given sizes, as a live stream would (streaming equals batch)."""

from __future__ import annotations

import numpy as np

from dorsal.core import Analysis, Analyzer, Settings


def feed_chunked(samples: np.ndarray, sizes: list[int], settings: Settings | None = None,
                 rate_hz: float = 100.0) -> Analysis:
    """The analysis of samples fed in chunks of sizes[0], sizes[1], ... (cycling), with every timeline row."""
    a = Analyzer(settings, rate_hz=rate_hz, keep_timeline=True)
    pos, i = 0, 0
    while pos < samples.size:
        n = sizes[i % len(sizes)]
        a.feed(samples[pos : pos + n])
        pos, i = pos + n, i + 1
    return a.finish()
