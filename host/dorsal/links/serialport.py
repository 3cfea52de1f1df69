"""The serial link with pyserial: a board on USB serial (or any ``serial_for_url`` URL: a pty, ``socket://``).

The port is named, or found by its USB vendor/product ids: the boards' own ids (firmware/dorsal_boards.py,
MicroPython's native USB) and the common USB-serial bridge chips. The host sends ``start streaming`` as a
frame and deframes what comes back (protocol/SPEC.md §5): REPL text and noise between frames are counted,
corrupt frames are counted, neither is ever decoded. When the port goes away (unplugged) the link keeps
trying to open it again (or any matching board, when it was found by id), with backoff, forever.

A board behind a USB-serial bridge (CP210x, CH340: most ESP32 development boards) keeps its port open when
it resets (the reset button, its watchdog, a brown-out): its new boot waits for the host's start. A session
from which no live data came for ``ASK_AFTER_S`` asks the device's status; when it answers that it is not
streaming, the handshake runs again and the new boot follows on (dorsal.boots). A device that does not
answer (hung, in its REPL) is asked again later, less and less often; a streaming device is never asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

from dorsal.links.base import (COMMAND_TIMEOUT_S, NO_DATA_AFTER_S, DeviceInfo, Link, LinkDown, LinkError,
                               backoff_delays)
from dorsal.protocol import wire

BAUDRATE = 115200  # native USB ignores it; bridge chips need it
READ_TIMEOUT_S = 0.05
#: a board that stopped reading its input fills the line: pyserial would retry a write forever, holding an
#: executor worker (and spinning on EAGAIN); it fails instead, as its command would time out
WRITE_TIMEOUT_S = COMMAND_TIMEOUT_S
#: no live data frame for this long (a frame comes every 0.1 s at 100 Hz, every 1 s at the lowest rate, 10 Hz):
#: the session asks the device whether it streams. Past NO_DATA_AFTER_S, so the dashboard says "no data" first
ASK_AFTER_S = 3.0
#: a device that did not answer, or answered that it streams while nothing comes, is asked again after this,
#: doubling up to ASK_AGAIN_MAX_S: a board in its REPL takes every frame for typed text
ASK_AGAIN_S = 5.0
ASK_AGAIN_MAX_S = 30.0
assert ASK_AFTER_S > NO_DATA_AFTER_S

#: USB-serial bridge chips found on ESP32 development boards (vendor id, product id, chip)
BRIDGE_CHIPS = (
    (0x10C4, 0xEA60, "Silicon Labs CP210x"),
    (0x1A86, 0x7523, "WCH CH340"),
    (0x1A86, 0x55D4, "WCH CH9102"),
    (0x0403, 0x6001, "FTDI FT232R"),
    (0x0403, 0x6015, "FTDI FT231X"),
)


def known_usb_ids() -> dict[tuple[int, int], str]:
    """(vendor id, product id) -> what it is: the boards' MicroPython ids first, then bridge chips."""
    from dorsal.flashing import boards_module

    ids: dict[tuple[int, int], str] = {}
    for name, board in boards_module().BOARDS.items():
        usb = board.get("usb")
        if usb and name != "virtual":
            key = (int(usb[0]), int(usb[1]))
            ids[key] = f"{ids[key]}, {name}" if key in ids else name
    for vid, pid, chip in BRIDGE_CHIPS:
        ids.setdefault((vid, pid), chip)
    return ids


def matching_ports(ports: Iterable[Any] | None = None) -> list[Any]:
    """The serial ports (pyserial ListPortInfo) whose USB ids are a board's or a bridge chip's."""
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    ids = known_usb_ids()
    return [p for p in ports if p.vid is not None and (p.vid, p.pid) in ids]


def find_port(ports: Iterable[Any] | None = None) -> str | None:
    """The one board's port; None when there is none; LinkError when there are several."""
    found = matching_ports(ports)
    if len(found) > 1:
        raise LinkError(f"several boards found ({', '.join(p.device for p in found)}): choose one with --serial PORT")
    return found[0].device if found else None


class SerialLink(Link):
    source = "serial"

    def __init__(self, port: str | None = None, *, record: str | None = None, batch_s: float = 0.1,
                 baudrate: int = BAUDRATE, delays: Callable[[], Any] = backoff_delays,
                 ports: Callable[[], Iterable[Any]] | None = None) -> None:
        super().__init__(record=record, batch_s=batch_s)
        self.port = port
        self.baudrate = baudrate
        self._delays = delays
        self._ports = ports
        self._serial: Any = None
        self._deframer = wire.Deframer()
        self.noise_chunks = 0

    def _locate(self) -> str | None:
        if self.port is not None:
            return self.port
        return find_port(self._ports() if self._ports is not None else None)

    def _open(self, port: str) -> Any:
        import serial

        return serial.serial_for_url(port, baudrate=self.baudrate, timeout=READ_TIMEOUT_S,
                                     write_timeout=WRITE_TIMEOUT_S)

    async def _run(self) -> None:
        self._set_state("searching")
        delays = self._delays()
        loop = asyncio.get_running_loop()
        while not self.closed:
            port = self._locate()
            if port is None and self.connects == 0:
                wanted = ", ".join(f"{v:04x}:{p:04x} ({what})" for (v, p), what in known_usb_ids().items())
                raise LinkError(f"no board found: no serial port with a known USB id ({wanted}); plug the board "
                                "in with a data cable, or name the port with --serial PORT")
            ser = None
            if port is not None:
                try:
                    ser = await loop.run_in_executor(None, self._open, port)
                except Exception as exc:  # noqa: BLE001 - SerialException, OSError, ValueError from a URL
                    if self.connects == 0 and self.port is not None:
                        raise LinkError(f"cannot open {port}: {exc}") from None
            if ser is None:
                self._set_state("reconnecting" if self.connects else "searching")
                await asyncio.sleep(next(delays))
                continue
            self.info = DeviceInfo(name=self.info.name if self.info else port, address=port)
            self._set_state("connecting" if self.connects == 0 else "reconnecting")
            try:
                await self._session(ser)
                delays = self._delays()
            except (LinkDown, TimeoutError, OSError) as exc:
                self._note({"link": "session ended", "why": f"{type(exc).__name__}: {exc}"})
            finally:
                self._went_down()
                with contextlib.suppress(Exception):
                    ser.close()
                self._serial = None
            if self.closed:
                break
            self._set_state("reconnecting")
            await asyncio.sleep(next(delays))

    async def _session(self, ser: Any) -> None:
        loop = asyncio.get_running_loop()
        gone = asyncio.Event()
        stop = threading.Event()
        self._serial = ser
        self._deframer = wire.Deframer()

        def reader() -> None:
            try:
                # closed too: the session then ends (gone) even if close()'s cancellation got lost on the
                # way (an await that drops it, as wait_for before Python 3.12 does): it would wait forever
                while not (stop.is_set() or self.closed):
                    data = ser.read(4096)
                    if data:
                        loop.call_soon_threadsafe(self._on_bytes, data)
            except Exception:  # noqa: BLE001 - unplugged: SerialException or OSError (EIO on a pty)
                pass
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(gone.set)

        threading.Thread(target=reader, name="dorsal-serial-reader", daemon=True).start()
        try:
            self._went_up()
            await self._handshake()
            self._set_state("streaming")
            await self._watch(gone)
        finally:
            stop.set()
            # the reader's last act, after handing over its bytes, is gone.set(): awaited here (the port
            # closes after it, in _run) rather than joined in the default executor, whose workers can all
            # be held by writes to a board that stopped reading, and close() would wait for a free one
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await gone.wait()

    async def _watch(self, gone: asyncio.Event) -> None:
        """Until the port goes away: a device that sends no live data is asked whether it streams, and started
        again when it does not (it restarted behind a bridge that kept the port open, or lost its start)."""
        loop = asyncio.get_running_loop()  # the clock of the receive times (Link._on_message)
        started_s = loop.time()  # the quiet time counts from the handshake's end, or the last restart of the stream
        ask_at_s = 0.0
        waits = None  # while the device stays quiet: the waits between questions
        last_answer = None
        while not gone.is_set():
            now = loop.time()
            quiet_from = max(self.last_live_rx_s, started_s)
            if now - quiet_from < ASK_AFTER_S:
                waits, last_answer = None, None  # streaming: a later silence begins afresh
                sleep_s = quiet_from + ASK_AFTER_S - now
            elif now < ask_at_s:
                sleep_s = ask_at_s - now
            else:
                answer = await self._ask_streaming()
                if answer != last_answer:  # noted when it changes, not at every question to a silent board
                    self._note({"link": "status asked", "answer": answer})
                    last_answer = answer
                if answer == "not streaming" and not self.stopped_by_host:
                    with contextlib.suppress(TimeoutError):  # still booting: asked again below
                        await self._handshake()
                        self._note({"link": "streaming again", "why": "the device was not streaming (it "
                                    "restarted, or lost its start)"})
                        started_s = loop.time()
                if waits is None:
                    waits = backoff_delays(ASK_AGAIN_S, ASK_AGAIN_MAX_S)
                ask_at_s = loop.time() + next(waits)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(sleep_s):  # not wait_for: see Link.request
                    await gone.wait()

    async def _ask_streaming(self) -> str:
        """The device's answer to CMD_STATUS: "streaming", "not streaming" or "none" (no readable answer)."""
        try:
            status, payload = await self.request(wire.CMD_STATUS)
        except TimeoutError:
            return "none"
        if status != wire.OK or len(payload) < struct.calcsize(wire.STATUS_FORMAT):
            return "none"
        flags = struct.unpack_from(wire.STATUS_FORMAT, payload)[5]
        return "streaming" if flags & wire.STAT_STREAMING else "not streaming"

    def _on_bytes(self, data: bytes) -> None:
        d = self._deframer
        before_crc, before_noise = d.crc_errors, d.noise_chunks
        messages = d.feed(data)
        self.decode_errors += d.crc_errors - before_crc
        self.noise_chunks += d.noise_chunks - before_noise
        for m in messages:
            self._on_message(m)

    async def _send(self, message: bytes) -> None:
        ser = self._serial
        if ser is None:
            raise LinkDown()
        try:
            await asyncio.get_running_loop().run_in_executor(None, ser.write, wire.frame(message))
        except Exception as exc:  # noqa: BLE001 - the port went away under the write
            raise LinkDown() from exc
