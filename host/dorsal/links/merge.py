"""The merge buffer: live and backlog samples in, every sample exactly once and in order out.

Live frames and the frames the device re-sends from its backlog (with their
original ``seq``) arrive interleaved. Chunks wait in a heap keyed by their
first ``seq``; ``pop_ready`` hands out the contiguous run from ``next_seq``,
dropping what was already handed out (duplicates). A gap at ``next_seq`` is a
*hole*: the link asks the device's backlog for it, or gives it up with
``skip`` (the samples are then counted as lost).

What is handed out never goes back in seq: a chunk behind ``next_seq`` is a
duplicate. A device that restarted begins its seq again; the link maps its
new boot to follow on before it gets here (dorsal.boots).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from dorsal.decode import SAMPLE_DTYPE, SOURCE_BACKLOG


@dataclass(frozen=True)
class Hole:
    """Missing samples ``[start_seq, end_seq)``: the next ones due, before what is buffered."""

    start_seq: int
    end_seq: int

    @property
    def samples(self) -> int:
        return self.end_seq - self.start_seq


class MergeBuffer:
    def __init__(self) -> None:
        self.next_seq: int | None = None
        self._heap: list[tuple[int, int, np.ndarray]] = []
        self._order = itertools.count()
        self.duplicates = 0
        self.lost = 0
        self.recovered = 0

    def push(self, samples: np.ndarray) -> None:
        """samples — SAMPLE_DTYPE array of consecutive ``seq`` (one or more wire messages of one channel)."""
        if samples.size == 0:
            return
        first, last = int(samples["seq"][0]), int(samples["seq"][-1])
        if self.next_seq is None:
            self.next_seq = first
        if last < self.next_seq:
            self.duplicates += samples.size
            return
        heapq.heappush(self._heap, (first, next(self._order), samples))

    def pop_ready(self) -> np.ndarray:
        """The contiguous samples from ``next_seq`` on (SAMPLE_DTYPE), removed from the buffer."""
        out: list[np.ndarray] = []
        while self._heap and self.next_seq is not None and self._heap[0][0] <= self.next_seq:
            _, _, chunk = heapq.heappop(self._heap)
            keep = chunk["seq"] >= self.next_seq
            if not keep.all():
                self.duplicates += int((~keep).sum())
                chunk = chunk[keep]
            if chunk.size == 0:
                continue
            # within a chunk seq is consecutive, so the kept part starts exactly at next_seq
            out.append(chunk)
            self.recovered += int(np.count_nonzero(chunk["source"] == SOURCE_BACKLOG))
            self.next_seq = int(chunk["seq"][-1]) + 1
        if not out:
            return np.zeros(0, dtype=SAMPLE_DTYPE)
        return out[0] if len(out) == 1 else np.concatenate(out)

    def hole(self) -> Hole | None:
        """The gap before the first buffered chunk, if samples are waiting behind one."""
        if not self._heap or self.next_seq is None or self._heap[0][0] <= self.next_seq:
            return None
        return Hole(self.next_seq, self._heap[0][0])

    def skip(self, to_seq: int) -> int:
        """Give up the missing samples before ``to_seq`` (counted as lost); returns how many.

        Never skips past a buffered chunk: samples that did arrive are still handed out.
        """
        if self.next_seq is None:
            return 0
        to = min(to_seq, self._heap[0][0]) if self._heap else to_seq
        if to <= self.next_seq:
            return 0
        n = to - self.next_seq
        self.lost += n
        self.next_seq = to
        return n

    def drain(self) -> np.ndarray:
        """Everything buffered, in order, every hole given up (the link is closing)."""
        out = [self.pop_ready()]
        while (h := self.hole()) is not None:
            self.skip(h.end_seq)
            out.append(self.pop_ready())
        out = [o for o in out if o.size]
        if not out:
            return np.zeros(0, dtype=SAMPLE_DTYPE)
        return np.concatenate(out)

    @property
    def buffered(self) -> int:
        return sum(c.size for _, _, c in self._heap)
