"""Replay of a recording: at 1x, Nx (``speed``) or as fast as possible (``speed`` 0).

The recording holds the wire messages as they were received, backlog frames and repeats included; the
replay merges them by seq, so the samples come out as the live link handed them out: each once, in order.
Samples that never arrived are counted as lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np

from dorsal.decode import SAMPLE_DTYPE, SOURCE_BACKLOG
from dorsal.links.base import DeviceInfo, LinkBatch, LinkError, LinkStats


class ReplayLink:
    source = "replay"

    def __init__(self, path: str | Path, speed: float = 1.0, batch_s: float = 0.1) -> None:
        from dorsal.recording import RecordingError, analysis_input, read_recording

        if speed < 0:
            raise LinkError("--speed must be 0 (as fast as possible) or more")
        try:
            self.recording = read_recording(path)
        except RecordingError as exc:
            raise LinkError(str(exc)) from None
        #: the live analysis' calibration and settings changes (dorsal.recording.analysis_changes) for the dashboard
        #: to make again; None when the recording holds none (the dashboard then does as it does live)
        inp = analysis_input(self.recording)
        self.recording.problems += inp.problems
        self.analysis_changes = inp.changes if inp.changes or inp.problems else None
        self.speed = speed
        self.batch_s = batch_s
        self.closed = False
        self.commands: list[tuple[int, tuple[Any, ...]]] = []
        self.samples = inp.samples  # by seq, the first copy of each
        self.duplicates = int(self.recording.samples.size - self.samples.size)
        seq = self.samples["seq"]
        self.lost = int(seq[-1] - seq[0] + 1 - seq.size) if seq.size else 0
        device = self.recording.header.get("device")
        name = device.get("name") if isinstance(device, dict) else None
        self.info = DeviceInfo(name=str(name or Path(path).name), address=str(path),
                               imu=device.get("imu") if isinstance(device, dict) else None)
        self.delivered = 0

    def stats(self, done: int | None = None) -> LinkStats:
        done = self.delivered if done is None else done
        part = self.samples[:done]
        t = self.samples["t_s"]
        rate = 1.0 / float(np.median(np.diff(t))) if t.size > 1 else 0.0
        lost = int(part["seq"][-1] - part["seq"][0] + 1 - part.size) if part.size else 0
        return LinkStats(samples=done, samples_lost=lost,
                         samples_recovered=int(np.count_nonzero(part["source"] == SOURCE_BACKLOG)),
                         duplicates=self.duplicates, decode_errors=self.recording.undecodable_messages
                         + self.recording.corrupt_entries, rate_hz=round(rate, 2))

    async def batches(self) -> AsyncIterator[LinkBatch]:
        samples = self.samples
        if samples.size == 0:
            yield LinkBatch(samples, "no data", self.stats(0), self.info)
            return
        t = samples["t_s"]
        edges = np.arange(t[0], t[-1] + self.batch_s, self.batch_s)
        cuts = np.unique(np.concatenate([[0], np.searchsorted(t, edges[1:]), [t.size]]))
        clock = asyncio.get_running_loop().time
        start_wall = clock()
        for a, b in zip(cuts[:-1], cuts[1:]):
            if self.closed:
                return
            if self.speed > 0:
                due = start_wall + (float(t[b - 1]) - float(t[0])) / self.speed
                await asyncio.sleep(max(0.0, due - clock()))
            else:
                await asyncio.sleep(0)
            self.delivered = int(b)
            yield LinkBatch(samples[a:b], "streaming", self.stats(int(b)), self.info)
        yield LinkBatch(np.zeros(0, dtype=SAMPLE_DTYPE), "ended", self.stats(int(t.size)), self.info)

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> int:
        """A recording has no device: the command is kept and acknowledged."""
        from dorsal.protocol import wire

        self.commands.append((command, tuple(args)))
        return int(wire.OK)

    async def close(self) -> None:
        self.closed = True
