"""What the dashboard reads: link batches, whatever the source.

``dorsal.links`` (the real links) yields LinkBatch objects; the dashboard
reads them through ``FeedBatch.of`` by attribute, so any source with an async
``batches()`` and an async ``command()`` fits. ``RecordingLink`` replays a
recording file through the real decoder at a chosen speed (tests and
``dorsal calibrate --replay``); ``ScriptLink`` is the demo's scripted wearable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dorsal.decode import SAMPLE_DTYPE, StreamDecoder
from dorsal.protocol import wire

#: link states the device panel explains (dorsal.links uses the same words)
STATE_TEXT: dict[str, str] = {
    "searching": "Searching for the wearable… make sure it is switched on and close by.",
    "connecting": "Connecting to the wearable…",
    "streaming": "Streaming.",
    "reconnecting": "Connection lost: reconnecting. Samples from the gap are fetched from the device when it is back.",
    "no data": "Connected, but no data is arriving. Check the wearable is switched on.",
    "ended": "The source has ended.",
}


@dataclass(frozen=True)
class LinkStats:
    samples: int = 0
    samples_lost: int = 0
    samples_recovered: int = 0
    rate_hz: float = 0.0
    battery_percent: int | None = None
    rssi_dbm: int | None = None


@dataclass(frozen=True)
class FeedBatch:
    samples: np.ndarray
    state: str
    stats: LinkStats = field(default_factory=LinkStats)
    device: str | None = None
    #: the demo's script says which stretch the wearer has started (None otherwise)
    stretch_id: str | None = None

    @classmethod
    def of(cls, batch: Any) -> FeedBatch:
        """Reads a batch of any link by attribute (dorsal.links.LinkBatch or ours)."""
        if isinstance(batch, FeedBatch):
            return batch
        raw = getattr(batch, "stats", None)
        if isinstance(raw, LinkStats) or raw is None:
            stats = raw or LinkStats()
        else:
            get = raw.get if isinstance(raw, dict) else (lambda k, d=None: getattr(raw, k, d))
            stats = LinkStats(
                samples=int(get("samples", 0) or 0),
                samples_lost=int(get("samples_lost", 0) or 0),
                samples_recovered=int(get("samples_recovered", 0) or 0),
                rate_hz=float(get("rate_hz", 0.0) or 0.0),
                battery_percent=get("battery_percent", None),
                rssi_dbm=get("rssi_dbm", None),
            )
        info = getattr(batch, "info", None)
        device = getattr(info, "name", None) if info is not None and not isinstance(info, dict) else (
            info.get("name") if isinstance(info, dict) else None)
        samples = getattr(batch, "samples", None)
        if samples is None:
            samples = np.zeros(0, dtype=SAMPLE_DTYPE)
        return cls(samples, str(getattr(batch, "state", "streaming")), stats, device)


class Link(Protocol):
    def batches(self) -> AsyncIterator[Any]: ...

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> Any: ...

    async def close(self) -> None: ...


class PacedSource:
    """Shared pacing: hands out batches at ``speed`` times the device clock (speed 0 = as fast as possible)."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.commands: list[tuple[int, tuple[Any, ...]]] = []
        self._start_wall: float | None = None
        self._start_dev: float | None = None
        self.closed = False

    async def _pace(self, device_t_s: float) -> None:
        if self.speed <= 0:
            await asyncio.sleep(0)
            return
        now = time.monotonic()
        if self._start_wall is None or self._start_dev is None:
            self._start_wall, self._start_dev = now, device_t_s
            return
        due = self._start_wall + (device_t_s - self._start_dev) / self.speed
        await asyncio.sleep(max(0.0, due - now))

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> Any:
        """A replayed or scripted source has no radio: the command is kept (tests read it) and acknowledged."""
        self.commands.append((command, tuple(args)))
        return wire.OK

    async def close(self) -> None:
        self.closed = True


class RecordingLink(PacedSource):
    """A recording replayed through the real decoder, in batches of ``batch_s`` device seconds."""

    def __init__(self, path: str | Path, speed: float = 1.0, batch_s: float = 0.1,
                 states: dict[float, str] | None = None, end_state: str | None = "ended") -> None:
        super().__init__(speed)
        #: what to announce after the last sample; None keeps the link open (quiet) until closed
        self.end_state = end_state
        self._closed_event: asyncio.Event | None = None
        from dorsal.recording import analysis_input, read_recording

        self.recording = read_recording(path)
        inp = analysis_input(self.recording)
        #: by seq, the first copy of each, as a live link hands them out (dorsal.recording.by_seq)
        self.samples = inp.samples
        #: the live analysis' calibration and settings changes (dorsal.recording.analysis_changes) for the dashboard
        #: to make again; None when the recording holds none (the dashboard then does as it does live)
        self.recording.problems += inp.problems
        self.analysis_changes = inp.changes if inp.changes or inp.problems else None
        self.batch_s = batch_s
        #: device-time -> state changes to announce (a replay of a reconnect, for example)
        self.states = dict(sorted((states or {}).items()))
        device = self.recording.header.get("device", "recording")
        # `watch --record` writes the device as a dict (name, imu, ...); older recordings as a name
        self.device = str(device.get("name", "recording") if isinstance(device, dict) else device)
        #: every sample has been handed out
        self.finished = False

    async def batches(self) -> AsyncIterator[FeedBatch]:
        samples = self.samples
        if len(samples) == 0:
            yield FeedBatch(samples, "no data", device=self.device)
            return
        t = samples["t_s"]
        edges = np.arange(t[0], t[-1] + self.batch_s, self.batch_s)
        idx = np.searchsorted(t, edges)
        rate = 1.0 / float(np.median(np.diff(t))) if len(t) > 1 else 0.0
        state = "streaming"
        done = 0
        for a, b in zip(idx[:-1], idx[1:]):
            chunk = samples[a:b]
            if len(chunk) == 0 or self.closed:
                continue
            for at, new in self.states.items():
                if at <= chunk["t_s"][-1]:
                    state = new
            await self._pace(float(chunk["t_s"][-1]))
            done += len(chunk)
            yield FeedBatch(chunk, state, LinkStats(samples=done, rate_hz=rate, battery_percent=87, rssi_dbm=-58),
                            self.device)
        self.finished = True
        if self.end_state is None:
            self._closed_event = asyncio.Event()
            if not self.closed:
                await self._closed_event.wait()
            return
        yield FeedBatch(np.zeros(0, dtype=SAMPLE_DTYPE), self.end_state, LinkStats(samples=done, rate_hz=rate),
                        self.device)

    async def close(self) -> None:
        await super().close()
        if self._closed_event is not None:
            self._closed_event.set()


def encode_frames(samples: np.ndarray, records_per_frame: int = 10) -> list[bytes]:
    """Wire data messages for samples (SAMPLE_DTYPE), as the device would send them."""
    out: list[bytes] = []
    g = wire.STANDARD_GRAVITY_MPS2
    q = np.round(np.stack([samples[k] for k in ("qw", "qx", "qy", "qz")], 1) * wire.QUAT_ONE).astype(int)
    a = np.round(np.stack([samples[k] for k in ("ax_mps2", "ay_mps2", "az_mps2")], 1) / g
                 * wire.ACC_LSB_PER_G).astype(int)
    w = np.round(np.degrees(np.stack([samples[k] for k in ("gx_rps", "gy_rps", "gz_rps")], 1))
                 * wire.GYRO_LSB_PER_DPS).astype(int)
    q, a, w = (np.clip(v, -32768, 32767) for v in (q, a, w))
    period_us = int(round(float(np.median(np.diff(samples["t_s"]))) * 1e6)) if len(samples) > 1 else 10_000
    for start in range(0, len(samples), records_per_frame):
        sl = slice(start, start + records_per_frame)
        recs = [tuple(int(v) for v in (*qq, *aa, *ww)) + (int(st),)
                for qq, aa, ww, st in zip(q[sl], a[sl], w[sl], samples["status"][sl])]
        t0_ms = int(round(float(samples["t_s"][start]) * 1000)) & 0xFFFFFFFF
        out.append(wire.encode_data(int(samples["seq"][start]) & 0xFFFFFFFF, t0_ms, period_us, recs))
    return out


def decode_frames(frames: list[bytes]) -> np.ndarray:
    return StreamDecoder().decode(frames)
