"""The virtual wearable on the virtual radio: the firmware app (firmware/dorsal_app.py) with its own BLE
peripheral code (firmware/dorsal_ble.py) on the MicroPython ``bluetooth`` stand-in, on the event loop's clock
(so on ``vtime.VirtualTimeLoop`` a long session runs faster than real time).

Used by the tests (tests/virtual_radio, tests/links) and by ``dorsal watch --sim --link ble``. The
firmware's modules are imported as a private set (dorsal.sim.rig_engine.with_firmware), so several
wearables, the simulator and the firmware tests never share the rig's state.

``out_of_reach(seconds, side)`` takes the wearable out of range: the link drops (ended by the wearable
or by the host) and the wearable is not heard advertising until it comes back, while its app keeps
sampling into its backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dorsal.virtual_radio.radio import Radio


class LoopClock:
    """The rig's clock interface on the event loop's clock (device time runs ``speed`` times as fast)."""

    PERIOD = 1 << 30

    def __init__(self, speed: float = 1.0) -> None:
        self.loop = asyncio.get_running_loop()
        self.t0_s = self.loop.time()
        self.speed = speed

    def elapsed_us(self) -> int:
        return int((self.loop.time() - self.t0_s) * self.speed * 1e6)

    def ticks_us(self) -> int:
        return self.elapsed_us() & (self.PERIOD - 1)

    def ticks_ms(self) -> int:
        return (self.elapsed_us() // 1000) & (self.PERIOD - 1)

    def ticks_diff(self, a: int, b: int) -> int:
        half = self.PERIOD // 2
        return ((a - b + half) & (self.PERIOD - 1)) - half

    def ticks_add(self, a: int, delta: int) -> int:
        return (a + delta) & (self.PERIOD - 1)

    def sleep_ms(self, ms: int) -> None:
        self._block(ms / 1000 / self.speed)

    def sleep_us(self, us: int) -> None:
        self._block(us / 1e6 / self.speed)

    def _block(self, seconds: float) -> None:
        # blocks the loop, as on the device; on virtual time (vtime) the loop's clock moves on instead
        advance = getattr(self.loop, "advance", None)
        if advance is not None:
            advance(seconds)
        else:
            time.sleep(seconds)

    def host_ms(self) -> float:
        """Now, on the device's millisecond scale (not wrapped)."""
        return (self.loop.time() - self.t0_s) * self.speed * 1000.0


class SimulatedPerson:
    """An IMU sample source for the rig's emulators from the body-motion simulator (dorsal.sim)."""

    def __init__(self, scenario: str, seed: int = 0, rate_hz: float = 100.0, imu: str = "icm42688p") -> None:
        from dorsal.sim.stream import SensorStream

        self.stream = SensorStream(scenario, seed, rate_hz, imu, None, barometer=False)
        self.rows: list[tuple[float, ...]] = []
        self.i = 0
        self.last: tuple[float, ...] = (0.0, 0.0, 9.80665, 0.0, 0.0, 0.0)

    @property
    def done(self) -> bool:
        return self.stream.done and self.i >= len(self.rows)

    def next(self) -> tuple[float, ...]:
        if self.i >= len(self.rows):
            if self.stream.done:
                return self.last  # the wearer has stopped: the device lies where it was
            import numpy as np

            chunk = self.stream.next_chunk(1.0)
            six = np.hstack([chunk.acc_mps2, chunk.gyr_rps]).astype(np.float32).astype(np.float64)
            self.rows = [tuple(r) for r in six.tolist()]
            self.i = 0
            if not self.rows:
                return self.last
        self.last = self.rows[self.i]
        self.i += 1
        return self.last


@dataclass
class RadioWearable:
    """The firmware app on the rig, its BLE on the virtual radio, run by its main loop as a task."""

    app: Any
    ble: Any
    clock: LoopClock
    drain_ms: int
    source: Any = None
    task: asyncio.Task[None] | None = None
    in_reach: bool = True
    _folder: Any = None
    _advertise: Any = None
    loops: int = field(default=0)

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._main())

    async def _main(self) -> None:
        # dorsal_app.App.run, with the sleep handed to the event loop (the radio lives there)
        while True:
            t = self.clock.ticks_ms()
            self.app.step()
            self.app.ble.poll()
            self.loops += 1
            if self.loops % 4 == 0:
                self.app.housekeeping()
            spent = self.clock.ticks_diff(self.clock.ticks_ms(), t)
            await asyncio.sleep(max(0.0, self.drain_ms - spent) / 1000 / self.clock.speed)

    @property
    def name(self) -> str:
        return str(self.app.ble.name)

    @property
    def done(self) -> bool:
        return bool(getattr(self.source, "done", False))

    def _guard_advertising(self) -> None:
        # the firmware advertises again as soon as a link drops; out of reach nobody hears it
        real = self.ble.gap_advertise

        def gap_advertise(interval_us: int | None, *args: Any, **kwargs: Any) -> Any:
            if not self.in_reach and interval_us is not None:
                self._advertise = (interval_us, args, kwargs)
                return None
            return real(interval_us, *args, **kwargs)

        self.ble.gap_advertise = gap_advertise
        self._real_advertise = real

    async def out_of_reach(self, seconds: float, side: str = "wearable") -> None:
        """Drop the link (ended by the ``wearable`` or by the ``host``'s ``client``) and stay unheard for a while."""
        self.in_reach = False
        self._real_advertise(None)
        conn = self.app.ble.conn
        if conn is not None:
            if side == "wearable":
                self.ble.gap_disconnect(conn)
            else:
                raise ValueError("a host-side drop is made by the host (its client's disconnect())")
        await self.ble.settle()
        await asyncio.sleep(seconds)
        await self.back_in_reach()

    async def back_in_reach(self) -> None:
        self.in_reach = True
        if self.app.ble.conn is None:
            self.app.ble.advertise()
        await self.ble.settle()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        with contextlib.suppress(Exception):
            await self.ble.settle()  # e.g. advertising again after a disconnect: let the stack finish
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


async def make_wearable(radio: Radio, source: Any = None, chip: str = "icm42688p", speed: float = 1.0,
                        board: str = "virtual", config_path: str | None = None,
                        backlog_samples: int | None = None) -> RadioWearable:
    """A running wearable on ``radio``; ``source`` gives its IMU samples (default: lying still).

    backlog_samples: the size of its backlog ring (default: the board profile's).
    """
    from dorsal.sim.rig_engine import _GC_STAND_IN, with_firmware

    clock = LoopClock(speed)
    folder = None
    if config_path is None:
        folder = tempfile.TemporaryDirectory(prefix="dorsal-radio-wearable-")
        config_path = str(Path(folder.name) / "dorsal_config.json")
    ble = await radio.micropython_ble()

    def build(_: dict[str, types.ModuleType]) -> tuple[Any, int]:
        import importlib

        rigstate = importlib.import_module("rigstate")
        imu_emulator = importlib.import_module("imu_emulator")
        machine = importlib.import_module("machine")
        dorsal_app = importlib.import_module("dorsal_app")
        # a full collection here walks the whole host process (tens of ms, blocking the radio's loop);
        # CPython frees the app's garbage by reference counting
        dorsal_app.gc = _GC_STAND_IN
        rigstate.setup(chip, source if source is not None else imu_emulator.StillSource(), clock)
        backlog = dorsal_app.Backlog(backlog_samples) if backlog_samples else None
        app = dorsal_app.App(machine, clock, board=board, ble=ble, config_path=config_path, backlog=backlog)
        return app, int(dorsal_app.DRAIN_MS)

    app, drain_ms = with_firmware(build)
    await ble.settle()  # advertising has started
    wearable = RadioWearable(app, ble, clock, drain_ms, source, _folder=folder)
    wearable._guard_advertising()
    await wearable.start()
    return wearable
