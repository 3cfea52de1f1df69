"""Which link `dorsal watch` (and `dorsal demo --link`) opens, from its arguments."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import threading
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from dorsal.errors import DorsalError
from dorsal.links.base import LinkBatch


def open_link(args: argparse.Namespace) -> Any:
    """A link object with ``batches()``, ``command()`` and ``close()``.

    args: ble (None, or "" for the only wearable in range, or a name/address), serial (None, "" to find the
    board by its USB ids, or a port/URL), replay (a file), sim (a scenario) with link direct|ble|serial,
    record (a file or None), speed.
    """
    record = getattr(args, "record", None)
    speed = getattr(args, "speed", None)
    if getattr(args, "replay", None):
        from dorsal.links.replay import ReplayLink

        if record:
            raise DorsalError("--record cannot be used with --replay (the recording exists already)")
        return ReplayLink(args.replay, speed=1.0 if speed is None else speed)
    if getattr(args, "ble", None) is not None:
        from dorsal.links.ble import BleLink

        return BleLink(args.ble or None, record=record)
    if getattr(args, "serial", None) is not None:
        from dorsal.links.serialport import SerialLink

        return SerialLink(args.serial or None, record=record)
    if getattr(args, "sim", None) is not None:
        return open_sim_link(args.sim or "desk-day", getattr(args, "link", None) or "direct",
                             1.0 if speed is None else speed, record)
    raise DorsalError("choose a source: --ble [NAME|ADDR], --serial [PORT], --replay FILE or --sim [SCENARIO]")


def open_sim_link(scenario: str, link: str, speed: float, record: str | None) -> Any:
    from dorsal.sim import SCENARIOS

    if scenario not in SCENARIOS:
        raise DorsalError(f"no scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if speed <= 0:
        raise DorsalError("--speed must be more than 0 for a simulated wearable")
    if link == "direct":
        if record:
            raise DorsalError("--record needs --link ble or serial with --sim (the direct link has no wire)")
        from dorsal.dashboard.simsource import SimWearableLink

        return SimWearableLink(scenario, speed=speed)
    if link == "ble":
        return RadioSimLink(scenario, speed, record)
    if link == "serial":
        return BoardSimLink(scenario, speed, record)
    raise DorsalError(f"unknown --link {link!r} (direct, ble, serial)")


class _Wrapped:
    """A link whose far end (a virtual wearable) is made inside ``batches()``, in the consumer's event loop."""

    def __init__(self) -> None:
        self.inner: Any = None
        self.closed = False
        self._early_notes: list[dict[str, Any]] = []  # record_note's before the inner link was made

    async def _make(self) -> Any:
        """The link to the virtual wearable, made in the running loop: each subclass makes its own."""
        raise NotImplementedError

    async def _teardown(self) -> None:
        """Stop what _make started (nothing by default)."""

    async def batches(self) -> AsyncIterator[LinkBatch]:
        self.inner = await self._make()
        for note in self._early_notes:
            self.inner.record_note(note)
        self._early_notes.clear()
        try:
            async for batch in self.inner.batches():
                yield batch
                if self._ended():
                    break
        finally:
            await self.close()

    def _ended(self) -> bool:
        return False

    def stats(self) -> Any:
        return self.inner.stats() if self.inner is not None else None

    def record_note(self, note: dict[str, Any]) -> None:
        """A note for the inner link's recording (Link.record_note)."""
        if self.inner is not None:
            self.inner.record_note(note)
        else:
            self._early_notes.append(note)

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> int:
        from dorsal.protocol import wire

        return await self.inner.command(command, args) if self.inner is not None else int(wire.ERR_BUSY)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.inner is not None:
            await self.inner.close()
        await self._teardown()


class RadioSimLink(_Wrapped):
    """The simulator's wearer, the firmware on the virtual radio, reached by the BLE link through bleak."""

    def __init__(self, scenario: str, speed: float, record: str | None) -> None:
        super().__init__()
        self.scenario, self.speed, self.record = scenario, speed, record
        self.wearable: Any = None

    async def _make(self) -> Any:
        from dorsal.links.ble import BleLink
        from dorsal.virtual_radio import LinkModel, Radio
        from dorsal.virtual_radio.wearable import SimulatedPerson, make_wearable

        radio = Radio(LinkModel(interval_ms=30))
        self.wearable = await make_wearable(radio, SimulatedPerson(self.scenario), speed=self.speed)
        return BleLink(self.wearable.name, scanner_backend=radio.scanner_backend(),
                       client_backend=radio.client_backend(), scan_timeout_s=1.0, record=self.record)

    def _ended(self) -> bool:
        return self.wearable is not None and self.wearable.done

    async def _teardown(self) -> None:
        if self.wearable is not None:
            await self.wearable.stop()


class BoardSimLink(_Wrapped):
    """The simulator's wearer as an IMU stream file, on a virtual board (the MicroPython unix port behind a
    pty running the firmware), reached by the serial link."""

    def __init__(self, scenario: str, speed: float, record: str | None) -> None:
        super().__init__()
        # the board's interpreter runs on the real clock: the simulation runs in real time whatever the speed
        self.scenario, self.record = scenario, record
        self.board: Any = None
        self.tmp: Any = None

    async def _make(self) -> Any:
        import shutil

        from dorsal.links.serialport import SerialLink
        from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR
        from dorsal.sim.stream import SensorStream
        from dorsal.simboard import VirtualBoard

        self.tmp = tempfile.TemporaryDirectory(prefix="dorsal-sim-board-")
        folder = Path(self.tmp.name) / "board"
        folder.mkdir()
        for src in [*FIRMWARE_DIR.glob("*.py"), PROTOCOL_DIR / "dorsal_protocol.py"]:
            shutil.copy(src, folder / src.name)
        # the wearer's samples go down a pipe as the board's IMU emulator takes them (the pipe's buffer is
        # the only look-ahead), so a day-long scenario starts at once
        path = Path(self.tmp.name) / "imu.f32"
        os.mkfifo(path)
        stream = SensorStream(self.scenario, 0, 100.0, "mpu6050", None, barometer=False)
        self._feeder = threading.Thread(target=_feed, args=(stream, path), name="dorsal-sim-feed", daemon=True)
        self._feeder.start()
        self.board = VirtualBoard(folder, env={"DORSAL_IMU_CHIP": "mpu6050", "DORSAL_IMU_STREAM": str(path)})
        port = await asyncio.get_running_loop().run_in_executor(None, self.board.start)
        return SerialLink(port, record=self.record)

    async def _teardown(self) -> None:
        if self.board is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.board.stop)
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.cleanup()


def _feed(stream: Any, path: Path) -> None:
    import numpy as np

    try:
        with open(path, "wb") as pipe:
            while not stream.done:
                chunk = stream.next_chunk(1.0)
                rows = np.hstack([chunk.acc_mps2, chunk.gyr_rps])
                pipe.write(np.ascontiguousarray(rows, dtype="<f4").tobytes())
    except (BrokenPipeError, OSError):
        pass  # the board stopped reading: the watch is over
