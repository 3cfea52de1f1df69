"""Runs of a per-second condition, tracked across chunks.

The contract of scipy.signal.sosfilt(zi=): state goes in and comes out, so
feeding a series in any chunking yields the same runs. Python work is per
run, never per second or per sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Run:
    """Seconds [start, end) (end exclusive) where the condition held, with the peak and mean of a value."""

    start: int
    end: int
    peak: float
    low: float
    mean: float
    true_seconds: int
    peak_value: float = 0.0
    #: seconds of the run that were not true when they came, added afterwards (RunTracker.add_earlier)
    inferred_seconds: int = 0


@dataclass
class RunTracker:
    """Joins true seconds separated by fewer than ``gap`` false seconds into runs.

    A run closes once ``max(gap, 1)`` false seconds follow it; until then it is open.
    """

    gap: int
    open_start: int | None = None
    open_last: int = -1
    open_peak: float = -np.inf
    open_low: float = np.inf
    open_sum: float = 0.0
    open_n: int = 0
    open_xmax: float = -np.inf
    open_xmin: float = np.inf
    open_inferred: int = 0

    def update(self, mask: np.ndarray, values: np.ndarray, seconds: np.ndarray,
               extreme: np.ndarray | None = None) -> list[Run]:
        """mask: bool (S,), values: float (S,), seconds: int64 (S,) increasing second indices;
        extreme: optional float (S,) whose largest-magnitude value over the run is ``Run.peak_value``.

        Returns the runs that closed in this block.
        """
        closed: list[Run] = []
        need = max(self.gap, 1)
        idx = np.flatnonzero(mask)
        end_of_block = int(seconds[-1]) + 1 if seconds.size else self.open_last + 1
        if idx.size == 0:
            if self.open_start is not None and end_of_block - self.open_last - 1 >= need:
                closed.append(self._close())
            return closed
        t = seconds[idx]
        v = values[idx].astype(np.float64, copy=False)
        breaks = np.flatnonzero(np.diff(t) > need) + 1  # more than need - 1 false seconds between
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [t.size]])
        peaks = np.maximum.reduceat(v, starts)
        lows = np.minimum.reduceat(v, starts)
        sums = np.add.reduceat(v, starts)
        if extreme is None:
            xmax, xmin = peaks, lows
        else:
            x = extreme[idx].astype(np.float64, copy=False)
            xmax, xmin = np.maximum.reduceat(x, starts), np.minimum.reduceat(x, starts)
        for g, (a, b) in enumerate(zip(starts, ends)):
            first, last = int(t[a]), int(t[b - 1])
            if self.open_start is not None and first - self.open_last - 1 >= need:
                closed.append(self._close())
            if self.open_start is None:
                self.open_start = first
            self.open_last = last
            self.open_peak = max(self.open_peak, float(peaks[g]))
            self.open_low = min(self.open_low, float(lows[g]))
            self.open_sum += float(sums[g])
            self.open_n += int(b - a)
            self.open_xmax = max(self.open_xmax, float(xmax[g]))
            self.open_xmin = min(self.open_xmin, float(xmin[g]))
        if end_of_block - self.open_last - 1 >= need:
            closed.append(self._close())
        return closed

    def add_earlier(self, start: int, last: int, peak: float, low: float, total: float, n: int) -> None:
        """Seconds start..last (inclusive), already passed to update as false, were true after all: they join
        the open run, or open one. peak, low, total: the largest, smallest and sum of their n values.

        Call it right after update has taken the seconds up to last, before any later second: a run still
        open then is closer than the gap to these seconds (update closes it otherwise), so it joins them,
        and the result does not depend on how the seconds were cut into blocks.
        """
        assert last >= start > self.open_last and n > 0
        if self.open_start is None:
            self.open_start = start
        self.open_last = last
        self.open_peak = max(self.open_peak, peak)
        self.open_low = min(self.open_low, low)
        self.open_sum += total
        self.open_n += n
        self.open_xmax = max(self.open_xmax, peak)
        self.open_xmin = min(self.open_xmin, low)
        self.open_inferred += n

    def _close(self) -> Run:
        assert self.open_start is not None
        peak_value = self.open_xmax if abs(self.open_xmax) >= abs(self.open_xmin) else self.open_xmin
        run = Run(self.open_start, self.open_last + 1, self.open_peak, self.open_low,
                  self.open_sum / max(self.open_n, 1), self.open_n, peak_value, self.open_inferred)
        self.open_start = None
        self.open_last = -1
        self.open_peak, self.open_low, self.open_sum, self.open_n = -np.inf, np.inf, 0.0, 0
        self.open_xmax, self.open_xmin = -np.inf, np.inf
        self.open_inferred = 0
        return run

    def flush(self) -> list[Run]:
        """Close the open run (end of the recording)."""
        return [self._close()] if self.open_start is not None else []

    def open_length(self, now: int) -> int:
        """Seconds since the open run started (0 when none is open)."""
        return 0 if self.open_start is None else now - self.open_start + 1
