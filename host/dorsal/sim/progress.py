"""A one-line progress bar on stderr for long simulations."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``update(done_s)`` redraws at most 10 times a second; ``close()`` ends the line."""

    def __init__(self, total_s: float, enabled: bool, stream: TextIO | None = None, width: int = 30):
        self.total_s = max(total_s, 1e-9)
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self.t0 = time.monotonic()
        self._last = 0.0

    def update(self, done_s: float, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        frac = min(1.0, done_s / self.total_s)
        fill = int(frac * self.width)
        wall = now - self.t0
        speed = done_s / wall if wall > 0 else 0.0
        self.stream.write(f"\r[{'#' * fill}{'.' * (self.width - fill)}] {frac * 100:5.1f}%  "
                          f"{_hms(done_s)} of {_hms(self.total_s)} simulated  {speed:7.0f}x real time")
        self.stream.flush()

    def close(self, done_s: float) -> None:
        if self.enabled:
            self.update(done_s, force=True)
            self.stream.write("\n")
            self.stream.flush()


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
