"""The link interface: what every transport (BLE, serial, replay, sim) hands the dashboard.

A link is driven by its own task (``_run``, per transport) that turns bytes into
wire messages and calls ``_on_message``. Everything after that is shared here:
decoding, the merge buffer with backlog requests for holes, commands with
tags and their responses, link statistics, recording (``--record``), and the
``batches()`` generator the dashboard consumes (dashboard/feed.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dorsal.boots import Boots
from dorsal.decode import SAMPLE_DTYPE, PressureJoin, StreamDecoder
from dorsal.errors import DorsalError
from dorsal.links.merge import MergeBuffer
from dorsal.protocol import ProtocolError, wire

#: the states of a link, the same words as dashboard.feed.STATE_TEXT
STATES = ("searching", "connecting", "streaming", "reconnecting", "no data", "ended")

#: streaming, but nothing arrived for this long: "no data"
NO_DATA_AFTER_S = 2.0
COMMAND_TIMEOUT_S = 2.0
#: close() waits this long for a cancelled session to end before it ends the transport under it
CLOSE_WAIT_S = 5.0
#: a backlog request whose frames have not all arrived after this (plus the time they need) is asked again
BACKLOG_GRACE_S = 2.0
#: the device sends its backlog after its live data; at 100 Hz with 20 notifications/s on BLE that is
#: about 10 frames (100 samples) a second: we wait for half that rate before asking again
BACKLOG_MIN_SAMPLES_PER_S = 50.0
BACKLOG_ATTEMPTS = 4
#: frames/s is measured over this window
RATE_WINDOW_S = 5.0
LATENCY_KEEP = 20000


class LinkError(DorsalError):
    """A link cannot be opened (no device, no adapter, bad port)."""


class LinkDown(Exception):
    """The transport went away while a command was under way."""


@dataclass(frozen=True)
class DeviceInfo:
    """Who is on the other end: from the scan or the port, and the device's own info (CMD_IDENTIFY)."""

    name: str
    address: str = ""
    rssi_dbm: int | None = None
    battery_percent: int | None = None
    firmware: str | None = None
    board: str | None = None
    imu: str | None = None
    rate_hz: int | None = None
    backlog_samples: int | None = None


@dataclass(frozen=True)
class LinkStats:
    """Link statistics; ``as_json`` gives the keys of `dorsal watch --headless --json` (DESIGN.md)."""

    frames: int = 0
    samples: int = 0
    samples_lost: int = 0
    samples_recovered: int = 0
    duplicates: int = 0
    decode_errors: int = 0
    noise_chunks: int = 0
    latency_ms_p50: float | None = None
    latency_ms_p99: float | None = None
    frames_per_s: float = 0.0
    rate_hz: float = 0.0
    rssi_dbm: int | None = None
    battery_percent: int | None = None
    connects: int = 0
    disconnects: int = 0
    backlog_requests: int = 0
    mtu: int | None = None
    #: times the device restarted mid-session (its seq began again): its new boot follows on (dorsal.boots)
    device_restarts: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LinkBatch:
    """What ``batches()`` yields: the samples handed out since the last batch, in seq order."""

    samples: np.ndarray  # SAMPLE_DTYPE, shape (N,)
    state: str
    stats: LinkStats
    info: DeviceInfo | None = None
    messages: list[bytes] = field(default_factory=list)  # battery, event and pressure messages


def _now() -> float:
    """The running event loop's clock (time.monotonic on a real loop, virtual seconds on a virtual-time loop)."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()


def _percentile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values.size else None


class Link:
    """Shared machinery; a transport implements ``_run`` (connect, read, reconnect) and ``_send``."""

    source = "link"

    def __init__(self, record: str | Path | None = None, batch_s: float = 0.1) -> None:
        self.record_path = Path(record) if record else None
        self.batch_s = batch_s
        self.state = "connecting"
        self.info: DeviceInfo | None = None
        self.closed = False
        self.connected = False
        self._decoder = StreamDecoder()
        self._pressure = PressureJoin()
        self.merge = MergeBuffer()
        #: the device's restarts: each new boot's samples are mapped to follow on before the merge buffer
        self.boots = Boots()
        self._out: list[np.ndarray] = []
        self._other: list[bytes] = []
        self._wake: asyncio.Event | None = None
        self._progress: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._backfill_task: asyncio.Task[None] | None = None
        self._responses: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self._tag = 0
        self._writer: Any = None
        self._early_notes: list[dict[str, Any]] = []  # record_note's before the recording opened
        self._last_rx = 0.0
        #: when the last live data frame arrived (the link's clock): a serial session asks a quiet device why
        self.last_live_rx_s = 0.0
        #: the host stopped the stream itself (CMD_STOP through command()): a quiet device is then not restarted
        self.stopped_by_host = False
        self._clock_offset_s: float | None = None  # host s (the loop's clock) minus device s
        self._latencies_ms: deque[float] = deque(maxlen=LATENCY_KEEP)
        self._frame_rx: deque[float] = deque()
        self.frames = 0
        self.samples = 0
        self.decode_errors = 0
        self.noise_chunks = 0
        self.connects = 0
        self.disconnects = 0
        self.backlog_requests = 0
        self.battery_percent: int | None = None
        self.rssi_dbm: int | None = None
        self.mtu: int | None = None
        self.rate_hz = 0.0
        self.error: BaseException | None = None

    # ------------------------------------------------------------ transport side
    async def _run(self) -> None:
        """Connect, stream and reconnect until closed: each transport (BLE, serial) implements it."""
        raise NotImplementedError

    async def _send(self, message: bytes) -> None:
        """Write one protocol message to the device: each transport implements it."""
        raise NotImplementedError

    def _set_state(self, state: str) -> None:
        assert state in STATES, state
        if state != self.state:
            self.state = state
            self._note({"link": state})
            self._kick()

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _went_up(self) -> None:
        self.connected = True
        self.connects += 1
        self._last_rx = _now()
        self._note({"link": "connected"})

    def _went_down(self) -> None:
        if self.connected:
            self.disconnects += 1
        self.connected = False
        for fut in self._responses.values():
            if not fut.done():
                fut.set_exception(LinkDown())
        self._responses.clear()

    def _open_recording(self, extra: dict[str, Any] | None = None) -> None:
        if self.record_path is None or self._writer is not None:
            return
        from dorsal.recording import RecordingWriter

        header: dict[str, Any] = {"source": self.source}
        if self.info is not None:
            header["device"] = asdict(self.info)
        header.update(extra or {})
        try:
            self._writer = RecordingWriter(self.record_path, header)
        except OSError as exc:
            raise LinkError(f"cannot record to {self.record_path}: {exc.strerror}") from None
        for note in self._early_notes:
            self._writer.write_note(note)
        self._early_notes.clear()

    def _note(self, note: dict[str, Any]) -> None:
        if self._writer is not None:
            self._writer.write_note(note)

    def record_note(self, note: dict[str, Any]) -> None:
        """A note from the host for the recording (the dashboard's analysis changes, dorsal.recording); one
        made before the recording opens (the device not yet identified) is written when it opens."""
        if self._writer is not None:
            self._writer.write_note(note)
        elif self.record_path is not None and not self.closed:
            self._early_notes.append(note)

    def _on_message(self, msg: bytes, rx_s: float | None = None) -> None:
        """One wire message as received (after deframing or segment reassembly)."""
        rx_s = _now() if rx_s is None else rx_s
        self._last_rx = rx_s
        if self._writer is not None:
            self._writer.write_message(msg)
        if len(msg) < 2:
            self.decode_errors += 1
            return
        kind = msg[1]
        if kind in (wire.MSG_DATA, wire.MSG_DATA_BACKLOG):
            self._on_data(msg, rx_s)
        elif kind == wire.MSG_RESPONSE:
            self._on_response(msg)
        else:
            if kind == wire.MSG_BATTERY and len(msg) >= wire.BATTERY_SIZE:
                self.battery_percent = int(msg[8])
            elif kind == wire.MSG_PRESSURE:
                try:
                    self._pressure.add(msg, self.boots.t_shift_s)
                except ProtocolError:
                    self.decode_errors += 1
            self._other.append(bytes(msg))
        # a response is no stream: a serial session's question to a quiet device (its status) leaves "no data"
        if kind != wire.MSG_RESPONSE and self.state in ("no data", "connecting") and self.connected:
            self._set_state("streaming")

    def _on_data(self, msg: bytes, rx_s: float) -> None:
        if (len(msg) < wire.HEADER_SIZE or msg[12] == 0
                or len(msg) != wire.HEADER_SIZE + msg[12] * msg[13]):
            self.decode_errors += 1
            return
        try:
            samples = self._decoder.decode([msg])
        except ProtocolError:
            self.decode_errors += 1
            return
        self.frames += 1
        self._frame_rx.append(rx_s)
        if msg[1] == wire.MSG_DATA:
            self.last_live_rx_s = rx_s
        while self._frame_rx and self._frame_rx[0] < rx_s - RATE_WINDOW_S:
            self._frame_rx.popleft()
        period_us = msg[10] | (msg[11] << 8)
        self.rate_hz = 1e6 / period_us if period_us else 0.0
        if msg[1] == wire.MSG_DATA and self._clock_offset_s is not None:
            newest_s = float(samples["t_s"][-1])
            self._latencies_ms.append((rx_s - self._clock_offset_s - newest_s) * 1000.0)
        restart = self.boots.map(samples, rx_s, period_us * 1e-6)
        if restart is not None:
            self.record_note(restart.note())
        self.merge.push(samples)
        ready = self.merge.pop_ready()
        if ready.size:
            self._deliver(ready)
        if self._progress is not None:
            self._progress.set()
        if self.merge.hole() is not None:
            self._start_backfill()

    def _deliver(self, samples: np.ndarray) -> None:
        self.samples += samples.size
        self._out.append(samples)
        if sum(o.size for o in self._out) >= self.rate_hz * self.batch_s:
            self._kick()

    def _on_response(self, msg: bytes) -> None:
        try:
            command, tag, status, payload = wire.decode_response(msg)
        except ProtocolError:
            self.decode_errors += 1
            return
        fut = self._responses.pop(tag, None)
        if fut is not None and not fut.done():
            fut.set_result((status, bytes(payload)))

    # ------------------------------------------------------------ commands
    async def request(self, command: int, args: tuple[Any, ...] = (),
                      timeout_s: float = COMMAND_TIMEOUT_S) -> tuple[int, bytes]:
        """Send a command, wait for its response: (status, payload). Raises LinkDown, TimeoutError."""
        if not self.connected:
            raise LinkDown()
        self._tag = self._tag % 255 + 1
        tag = self._tag
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._responses[tag] = fut
        try:
            await self._send(wire.encode_command(command, tag, args))
            # asyncio.timeout, not wait_for: before Python 3.12, wait_for cancelled in the loop turn its
            # future completed in returns the result and drops the cancellation. close() during a
            # handshake, as its response came in, left the session streaming, waiting for an unplug
            async with asyncio.timeout(timeout_s):
                return await fut
        finally:
            self._responses.pop(tag, None)

    async def command(self, command: int, args: tuple[Any, ...] = ()) -> int:
        """A command from the dashboard: its status (wire.OK, ...), or ERR_BUSY when the link is down."""
        try:
            status, _ = await self.request(command, tuple(args))
        except (LinkDown, TimeoutError, OSError):
            return wire.ERR_BUSY
        if status == wire.OK and command in (wire.CMD_START, wire.CMD_STOP):
            self.stopped_by_host = command == wire.CMD_STOP
        return status

    async def _handshake(self) -> None:
        """After every connect: start streaming, sync the clocks (for latency), read the device info."""
        try:
            status, payload = await self.request(wire.CMD_IDENTIFY)
            if status == wire.OK:
                d = wire.decode_info(payload)
                base = self.info or DeviceInfo(name=str(d.get("name") or "dorsal"))
                self.info = DeviceInfo(name=str(d.get("name") or base.name), address=base.address,
                                       rssi_dbm=base.rssi_dbm, battery_percent=self.battery_percent,
                                       firmware=".".join(str(v) for v in d.get("firmware", ())) or None,
                                       board=d.get("board"), imu=d.get("imu"), rate_hz=d.get("rate_hz"),
                                       backlog_samples=d.get("backlog_capacity"))
        except (TimeoutError, ProtocolError):
            # no readable answer: the device info stays what the scan or the port told; streaming and
            # the clock sync below do not depend on it
            pass
        self._open_recording()
        sent = _now()
        status, payload = await self.request(wire.CMD_SET_TIME, (int(time.time()), 0))
        back = _now()
        if status == wire.OK and len(payload) >= 4 and back - sent < 0.5:
            device_ms = struct.unpack_from("<I", payload)[0]
            self._clock_offset_s = self._unwrap_device_s(device_ms, (sent + back) / 2)
        status, _ = await self.request(wire.CMD_START)
        if status != wire.OK:
            raise LinkError(f"the device refused to stream ({wire.ERROR_NAMES.get(status, status)})")
        self.stopped_by_host = False

    def _unwrap_device_s(self, device_ms: int, host_s: float) -> float:
        # the decoder unwraps the u32 t0_ms from its first value on: do the same for the sync
        last = self._decoder.state.last_t0_ms
        ms = device_ms if last is None else last + ((device_ms - last + 2**31) % 2**32 - 2**31)
        return host_s - ms / 1000.0

    # ------------------------------------------------------------ backfill
    def _start_backfill(self) -> None:
        if self._backfill_task is None or self._backfill_task.done():
            self._backfill_task = asyncio.get_running_loop().create_task(self._backfill())

    async def _backfill(self) -> None:
        """Ask the device's backlog for each hole in turn, until none is left or the link is down."""
        assert self._progress is not None
        attempts = 0
        while self.connected and (hole := self.merge.hole()) is not None:
            device_start = self.boots.to_device(hole.start_seq)
            if device_start is None:
                # a hole from before the device restarted: its backlog went with the restart
                assert self.boots.boot_start_seq is not None
                self._give_up(min(hole.end_seq, self.boots.boot_start_seq))
                continue
            shift = hole.start_seq - device_start
            self.backlog_requests += 1
            try:
                status, payload = await self.request(
                    wire.CMD_BACKLOG, (device_start & 0xFFFFFFFF, (hole.end_seq - shift) & 0xFFFFFFFF))
            except LinkDown:
                return  # asked again after the reconnect, when the next live frame shows the hole
            except TimeoutError:
                attempts += 1
                if attempts >= BACKLOG_ATTEMPTS:
                    self._give_up(hole.end_seq)
                    attempts = 0
                continue
            if status not in (wire.OK, wire.ERR_UNAVAILABLE) or len(payload) < 12:
                self._give_up(hole.end_seq)  # a device without a backlog: the gap stays (SPEC §7)
                continue
            _, served, count = struct.unpack_from("<III", payload)
            served_seq = hole.start_seq + ((served - device_start + 2**31) % 2**32 - 2**31)
            if served_seq > hole.start_seq:
                self._give_up(min(served_seq, hole.end_seq))  # overwritten in the device's ring
            if count == 0:
                self._give_up(hole.end_seq)
                continue
            until = served_seq + count
            deadline = _now() + BACKLOG_GRACE_S + count / BACKLOG_MIN_SAMPLES_PER_S
            while self.connected and self.merge.next_seq is not None and self.merge.next_seq < until:
                h = self.merge.hole()
                if h is None or h.start_seq >= until:
                    break
                left = deadline - _now()
                if left <= 0:
                    break
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left, 0.5)):  # not wait_for: see request()
                        await self._progress.wait()
            h = self.merge.hole()
            if self.connected and h is not None and h.start_seq < until and _now() >= deadline:
                attempts += 1
                if attempts >= BACKLOG_ATTEMPTS:
                    self._give_up(h.end_seq)
                    attempts = 0
            else:
                attempts = 0

    def _give_up(self, to_seq: int) -> None:
        self.merge.skip(to_seq)
        ready = self.merge.pop_ready()
        if ready.size:
            self._deliver(ready)

    # ------------------------------------------------------------ the dashboard's side
    def stats(self) -> LinkStats:
        lat = np.fromiter(self._latencies_ms, dtype=np.float64, count=len(self._latencies_ms))
        now = _now()
        recent = [t for t in self._frame_rx if t >= now - RATE_WINDOW_S]
        span = min(RATE_WINDOW_S, now - recent[0]) if recent else 0.0
        return LinkStats(
            frames=self.frames, samples=self.samples, samples_lost=self.merge.lost,
            samples_recovered=self.merge.recovered, duplicates=self.merge.duplicates,
            decode_errors=self.decode_errors, noise_chunks=self.noise_chunks,
            latency_ms_p50=_percentile(lat, 50), latency_ms_p99=_percentile(lat, 99),
            frames_per_s=round(len(recent) / span, 2) if span > 0 else 0.0, rate_hz=round(self.rate_hz, 2),
            rssi_dbm=self.rssi_dbm, battery_percent=self.battery_percent, connects=self.connects,
            disconnects=self.disconnects, backlog_requests=self.backlog_requests, mtu=self.mtu,
            device_restarts=len(self.boots.restarts))

    def _take(self) -> LinkBatch:
        samples = (np.concatenate(self._out) if len(self._out) > 1 else self._out[0]) if self._out \
            else np.zeros(0, dtype=SAMPLE_DTYPE)
        self._out = []
        self._pressure.fill(samples)  # the barometer's latest readings into the samples' pressure_pa
        other, self._other = self._other, []
        return LinkBatch(samples, self.state, self.stats(), self.info, other)

    async def _guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # surfaces in batches()
            self.error = exc
        finally:
            self._went_down()
            if self.merge.buffered:
                rest = self.merge.drain()
                if rest.size:
                    self._deliver(rest)
            self.state = "ended"
            self._kick()

    def start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._progress = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._guarded())

    async def batches(self) -> AsyncIterator[LinkBatch]:
        self.start()
        assert self._wake is not None and self._task is not None
        try:
            while True:
                self._wake.clear()
                if not self._task.done():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.batch_s):  # not wait_for: see request()
                            await self._wake.wait()
                if (self.state == "streaming" and self.connected
                        and _now() - self._last_rx > NO_DATA_AFTER_S):
                    self._set_state("no data")
                if self._task.done():
                    if self.error is not None and not isinstance(self.error, asyncio.CancelledError):
                        err = self.error
                        self.error = None
                        raise err
                    yield self._take()
                    return
                yield self._take()
        finally:
            await self.close()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for task in (self._backfill_task, self._task):
            if task is not None and not task.done():
                task.cancel()
                if not await _ended(task, CLOSE_WAIT_S):
                    # The cancellation got lost on the way (an await that drops one, as wait_for did before
                    # Python 3.12): the session is still waiting for its device. Ending the transport ends it
                    # (BLE: the disconnection; serial: the reader sees the link closed); a session that still
                    # does not end is left behind rather than holding close() forever.
                    await self._close_transport()
                    task.cancel()
                    await _ended(task, CLOSE_WAIT_S)
        await self._close_transport()
        if self._writer is not None:
            self._writer.close()
            self._writer = None  # a note from a session left behind goes nowhere

    async def _close_transport(self) -> None:
        pass


async def _ended(task: asyncio.Task[Any], timeout_s: float) -> bool:
    """Whether task ends within timeout_s (its exception, if any, is taken: close() does not raise it)."""
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if done and not task.cancelled():
        task.exception()
    return bool(done)


def backoff_delays(first_s: float = 0.2, cap_s: float = 5.0) -> Any:
    """Reconnect delays: doubling from ``first_s`` up to ``cap_s``, forever."""
    d = first_s
    while True:
        yield d
        d = min(cap_s, d * 2)
