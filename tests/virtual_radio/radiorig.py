"""Test support for the virtual radio: the firmware app as a peripheral on it, and a bleak host.

Every test runs its own event loop (``asyncio.run``) and creates its radio inside
it: Bumble objects are bound to the loop they were created in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bleak import BleakClient, BleakScanner
from looprun import run_in_fresh_loop

from dorsal.protocol import wire
from dorsal.virtual_radio import LinkModel, Radio
from dorsal.virtual_radio.wearable import LoopClock

TEST_TIMEOUT_S = 30


def run(make: Callable[[], Awaitable[Any]], timeout_s: float = TEST_TIMEOUT_S) -> Any:
    """A coroutine in a fresh event loop, with a timeout (looprun.run_in_fresh_loop)."""
    return run_in_fresh_loop(make, timeout_s)


@dataclass
class Wearable:
    """The firmware app (firmware/dorsal_app.py) on the rig, its BLE on the virtual radio, run by its main loop."""

    app: Any
    ble: Any
    clock: LoopClock
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._main())

    async def _main(self) -> None:
        # dorsal_app.App.run, with the sleep handed to the event loop (the radio lives there)
        import dorsal_app

        loops = 0
        while True:
            t = self.clock.ticks_ms()
            self.app.step()
            self.app.ble.poll()
            loops += 1
            if loops % 4 == 0:
                self.app.housekeeping()
            spent = self.clock.ticks_diff(self.clock.ticks_ms(), t)
            await asyncio.sleep(max(0, dorsal_app.DRAIN_MS - spent) / 1000)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        await self.ble.settle()  # e.g. advertising again after a disconnect: let the stack finish


async def make_wearable(radio: Radio) -> Wearable:
    import dorsal_app
    import imu_emulator
    import machine
    import rigstate

    clock = LoopClock()
    rigstate.setup("icm42688p", imu_emulator.StillSource(), clock)
    ble = await radio.micropython_ble()
    app = dorsal_app.App(machine, clock, board="virtual", ble=ble)
    await ble.settle()  # advertising has started
    wearable = Wearable(app, ble, clock)
    await wearable.start()
    return wearable


@dataclass
class Host:
    """The host side with bleak's public API: scan, connect, subscribe, command, reassemble."""

    radio: Radio
    client: BleakClient | None = None
    disconnects: int = 0
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    messages: list[tuple[float, bytes]] = field(default_factory=list)  # (arrival in loop seconds, message)
    responses: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    reassembler: Any = field(default_factory=wire.Reassembler)
    segment_sizes: list[int] = field(default_factory=list)
    last_adv: Any = None

    async def find(self, timeout_s: float = 3.0, **scanner: Any) -> Any:
        """The first wearable advertising the dorsal service with a name; its advertisement in `last_adv`."""

        def named(device: Any, adv: Any) -> bool:
            if adv.local_name:
                self.last_adv = adv
                return True
            return False

        found = await BleakScanner.find_device_by_filter(named, timeout=timeout_s, service_uuids=[wire.SERVICE_UUID],
                                                         backend=self.radio.scanner_backend(), **scanner)
        assert found is not None, "no wearable with a name advertised the dorsal service"
        return found

    async def connect(self, device: Any) -> BleakClient:
        def gone(client: BleakClient) -> None:
            self.disconnects += 1
            self.disconnected.set()

        self.disconnected.clear()
        self.reassembler = wire.Reassembler()
        self.client = BleakClient(device, disconnected_callback=gone, backend=self.radio.client_backend())
        await self.client.connect()
        await self.client.start_notify(wire.DATA_CHAR_UUID, self._on_data)
        await self.client.start_notify(wire.RESPONSE_CHAR_UUID, self._on_response)
        return self.client

    def _on_data(self, _char: Any, data: bytearray) -> None:
        self.segment_sizes.append(len(data))
        m = self.reassembler.feed(bytes(data))
        if m is not None:
            self.messages.append((asyncio.get_running_loop().time(), bytes(m)))

    def _on_response(self, _char: Any, data: bytearray) -> None:
        self.responses.put_nowait(bytes(data))

    async def command(self, cmd: int, tag: int, args: tuple = (), timeout_s: float = 2.0) -> tuple:
        assert self.client is not None
        await self.client.write_gatt_char(wire.CONTROL_CHAR_UUID, wire.encode_command(cmd, tag, args), response=True)
        while True:
            r = wire.decode_response(await asyncio.wait_for(self.responses.get(), timeout_s))
            if r[1] == tag:
                return r

    def frames(self) -> list[tuple[float, tuple]]:
        """(arrival, header) of every sample frame received, in arrival order."""
        return [(t, wire.decode_header(m)) for t, m in self.messages if m[1] in (wire.MSG_DATA, wire.MSG_DATA_BACKLOG)]


def model(interval_ms: float) -> LinkModel:
    return LinkModel(interval_ms=interval_ms)
