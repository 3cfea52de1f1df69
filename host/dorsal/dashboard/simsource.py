"""The simulator's virtual wearable (dorsal.sim) behind the link interface, in-process.

Used by `dorsal demo --scenario NAME` for the simulator's scenarios (desk-day,
unsafe-*, trap-*, every stretch). The wearable's own wire messages go through
the real decoder. ``dorsal.links`` provides the same over the virtual radio or
a virtual board's serial port (--link ble|serial).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from dorsal.dashboard.feed import FeedBatch, LinkStats
from dorsal.decode import SAMPLE_DTYPE, PressureJoin, StreamDecoder
from dorsal.protocol import wire


class SimWearableLink:
    def __init__(self, scenario: str, speed: float = 1.0, seed: int = 0, rate_hz: float = 100.0,
                 batch_s: float = 0.1) -> None:
        from dorsal.sim.engine import VirtualWearable

        self.wearable = VirtualWearable(scenario, seed=seed, rate_hz=rate_hz)
        self.speed = speed
        self.batch_s = batch_s
        self.device = f"dorsal-sim ({scenario}, simulated)"
        self.commands: list[tuple[int, tuple[Any, ...]]] = []
        self.closed = False
        self._decoder = StreamDecoder()
        self._pressure = PressureJoin()

    async def batches(self) -> AsyncIterator[FeedBatch]:
        yield FeedBatch(np.zeros(0, dtype=SAMPLE_DTYPE), "connecting", LinkStats(), self.device)
        start_wall = time.monotonic()
        device_s = 0.0
        n = 0
        battery: int | None = None
        while not self.closed and not self.wearable.done:
            # several batches per call at high speed keep the per-call overhead small
            step_s = self.batch_s * max(1.0, min(10.0, self.speed / 10))
            messages = self.wearable.next_messages(step_s)
            device_s += step_s
            data = [m.payload for m in messages if wire.message_type(m.payload) in (wire.MSG_DATA,
                                                                                     wire.MSG_DATA_BACKLOG)]
            for m in messages:
                if wire.message_type(m.payload) == wire.MSG_BATTERY:
                    battery = int(m.payload[8])
                elif wire.message_type(m.payload) == wire.MSG_PRESSURE:
                    self._pressure.add(m.payload)
            samples = self._decoder.decode(data)
            self._pressure.fill(samples)
            n += len(samples)
            if self.speed > 0:
                await asyncio.sleep(max(0.0, start_wall + device_s / self.speed - time.monotonic()))
            else:
                await asyncio.sleep(0)
            yield FeedBatch(samples, "streaming", LinkStats(samples=n, rate_hz=self.wearable.rate_hz,
                                                            battery_percent=battery), self.device)
        yield FeedBatch(np.zeros(0, dtype=SAMPLE_DTYPE), "ended", LinkStats(samples=n), self.device)

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> Any:
        """The in-process wearable has no motor: the command is kept and acknowledged."""
        self.commands.append((command, tuple(args)))
        return wire.OK

    async def close(self) -> None:
        self.closed = True
        self.wearable.close()
