"""The serial link through real ptys and pyserial against a virtual board (the MicroPython unix port
running the firmware): REPL text and noise on the line, corrupt and truncated frames, unplug and replug."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import tty
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from linkrig import UsbCable, cable, run  # noqa: F401 (cable: the virtual board's fixture)
from serial.tools.list_ports_common import ListPortInfo

from dorsal.decode import SOURCE_BACKLOG
from dorsal.links.base import LinkError
from dorsal.links.serialport import WRITE_TIMEOUT_S, SerialLink, find_port, matching_ports
from dorsal.protocol import wire

BOGUS_SEQ = 4_000_000


def _bogus_frame() -> bytes:
    """A data frame no device sent (seq far ahead), damaged on the line: its CRC fails."""
    rec = (16384, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
    f = bytearray(wire.frame(wire.encode_data(BOGUS_SEQ, 1, 10000, [rec])))
    f[20] ^= 0x40
    return bytes(f)


def test_streams_through_repl_text_and_noise_and_survives_unplug_and_replug(cable: UsbCable) -> None:
    async def body() -> tuple[Any, ...]:
        link = SerialLink(str(cable.path))
        parts: list[np.ndarray] = []
        states: list[str] = []

        async def read() -> None:
            async for b in link.batches():
                parts.append(b.samples)
                if not states or states[-1] != b.state:
                    states.append(b.state)

        task = asyncio.get_running_loop().create_task(read())
        end = time.monotonic() + 20
        while link.samples < 200:
            assert time.monotonic() < end, "no samples arrived"
            await asyncio.sleep(0.05)
        for _ in range(5):  # between frames: REPL text, binary noise, a damaged frame
            cable.inject(b"\x00MicroPython v1.29 on unix\r\n>>> \x00")
            cable.inject(b"\x00\x13\x37\xff\x00")
            cable.inject(_bogus_frame())
            await asyncio.sleep(0.2)
        cable.unplug()
        await asyncio.sleep(1.5)
        cable.plug()
        while link.disconnects < 1 or not link.connected or link.merge.hole() is not None or link.samples < 600:
            assert time.monotonic() < end + 20, "did not come back after the replug"
            await asyncio.sleep(0.05)
        stats = link.stats()
        await link.close()
        await asyncio.gather(task, return_exceptions=True)
        return np.concatenate(parts), stats, states

    got, stats, states = run(body)
    assert np.all(np.diff(got["seq"]) == 1), "a gap or a repeat across the unplug"
    assert not np.any(got["seq"] >= BOGUS_SEQ)  # the damaged frame was never decoded
    assert np.allclose(np.diff(got["t_s"]), 0.01, atol=0.0011)
    q = np.stack([got[k] for k in ("qw", "qx", "qy", "qz")], 1)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=2e-3)
    assert stats.noise_chunks >= 5 and stats.decode_errors >= 5
    assert stats.disconnects == 1 and stats.connects == 2 and "reconnecting" in states
    assert stats.samples_lost == 0
    recovered = int(np.count_nonzero(got["source"] == SOURCE_BACKLOG))
    assert stats.samples_recovered == recovered >= 100  # 1.5 s unplugged at 100 Hz came from the backlog
    print(f"serial: {got.size} samples, {recovered} recovered after a 1.5 s unplug, {stats.noise_chunks} noise "
          f"chunks, {stats.decode_errors} damaged frames; latency p50 {stats.latency_ms_p50} ms")


def test_close_during_the_handshake_as_a_response_comes_in_ends_the_session() -> None:
    """close() in the loop turn that brought START's response (the replug above does it now and then under
    load): the cancellation must not get lost, or the session streams on and close() waits for an unplug."""

    async def body() -> float:
        master, slave = os.openpty()  # the test is the board, on the pty's other side
        tty.setraw(slave)
        os.set_blocking(master, False)
        link = SerialLink(os.ttyname(slave))
        link.start()
        board = wire.Deframer()
        end = time.monotonic() + 10
        try:
            while time.monotonic() < end:
                await asyncio.sleep(0.01)
                with contextlib.suppress(BlockingIOError):
                    for msg in board.feed(os.read(master, 4096)):
                        command, tag, _ = wire.decode_command(msg)
                        status = wire.ERR_UNAVAILABLE if command == wire.CMD_IDENTIFY else wire.OK
                        reply = wire.frame(wire.encode_response(command, tag, status))
                        if command != wire.CMD_START:
                            os.write(master, reply)
                            continue
                        link._on_bytes(reply)  # as the reader hands it over, then close() in the same turn
                        t = time.monotonic()
                        await asyncio.wait_for(link.close(), 5)
                        return time.monotonic() - t
            raise AssertionError("the handshake never sent START")
        finally:
            await link.close()
            os.close(master)
            os.close(slave)

    assert run(body) < 1.0


def test_a_command_cancelled_in_the_turn_its_response_arrives_is_cancelled() -> None:
    async def body() -> Any:
        link = SerialLink("unused")
        link.connected = True
        sent: list[bytes] = []

        async def send(message: bytes) -> None:
            sent.append(message)

        link._send = send  # type: ignore[method-assign]
        task = asyncio.get_running_loop().create_task(link.request(wire.CMD_START))
        while not sent:
            await asyncio.sleep(0)
        _, tag, _ = wire.decode_command(sent[0])
        link._on_bytes(wire.frame(wire.encode_response(wire.CMD_START, tag, wire.OK)))
        task.cancel()
        return (await asyncio.gather(task, return_exceptions=True))[0]

    assert isinstance(run(body), asyncio.CancelledError)  # asyncio.wait_for (Python 3.11) returned (0, b"")


@contextlib.asynccontextmanager
async def _link_to_a_board_that_stopped_reading() -> AsyncIterator[SerialLink]:
    """A link on a pty whose board side is never read, once connected: the line towards the board is filled
    up, and the link's writes cannot go out (pyserial retries them, each in a worker of the default executor)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    link = SerialLink(os.ttyname(slave))
    link.start()
    try:
        while not link.connected:
            await asyncio.sleep(0.01)
        os.set_blocking(slave, False)
        with contextlib.suppress(BlockingIOError):
            while True:
                os.write(slave, bytes(4096))
        yield link
    finally:
        await link.close()
        os.close(master)
        os.close(slave)


def test_a_command_to_a_board_that_stopped_reading_fails() -> None:
    async def body() -> int:
        async with _link_to_a_board_that_stopped_reading() as link:
            return await asyncio.wait_for(link.command(wire.CMD_STATUS), WRITE_TIMEOUT_S + 3)

    # its write gives up (pyserial retried it forever, and the command's timeout starts after the write)
    assert run(body) == wire.ERR_BUSY


def test_close_does_not_wait_for_writes_to_a_board_that_stopped_reading() -> None:
    async def body() -> tuple[float, list[int]]:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=2))  # all held by writes, whatever the cores
        async with _link_to_a_board_that_stopped_reading() as link:
            commands = [loop.create_task(link.command(wire.CMD_STATUS)) for _ in range(2)]
            await asyncio.sleep(0.3)
            t = time.monotonic()
            await asyncio.wait_for(link.close(), WRITE_TIMEOUT_S + 3)
            took = time.monotonic() - t
            return took, await asyncio.wait_for(asyncio.gather(*commands), WRITE_TIMEOUT_S + 3)

    took, statuses = run(body)
    assert took < 1.0  # not waiting for a free worker to join the reader in: until a write gives up
    assert statuses == [wire.ERR_BUSY] * 2


def test_corrupt_and_truncated_frames_are_counted_and_never_decoded() -> None:
    async def body() -> tuple[Any, ...]:
        link = SerialLink("unused")
        link._progress = asyncio.Event()
        rec = (16384, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
        good = [wire.frame(wire.encode_data(s, s * 10, 10000, [rec] * 10)) for s in range(0, 50, 10)]
        truncated = good[1][:-9] + b"\x00"  # the line dropped the frame's end: its CRC cannot match
        bad_version = wire.frame(b"\x09" + wire.encode_data(10, 100, 10000, [rec] * 10)[1:])
        short_body = wire.frame(wire.encode_data(10, 100, 10000, [rec] * 10)[:-5])
        stream = good[0] + truncated + bad_version + short_body + _bogus_frame() + good[1] + b"\xff" * 3
        stream += good[2][:7]
        for i in range(0, len(stream), 13):  # in pieces, as a port delivers them
            link._on_bytes(stream[i : i + 13])
        link._on_bytes(good[2][7:] + good[3] + good[4])
        return link.merge.pop_ready(), link._out, link.decode_errors

    _, out, errors = run(body)
    got = np.concatenate(out)
    assert got["seq"].tolist() == list(range(50))  # every good frame, nothing else
    assert errors == 5  # truncated, wrong version, short body, damaged, and the binary noise (not text)


def test_the_board_is_found_by_its_usb_ids() -> None:
    def port(device: str, vid: int | None, pid: int | None) -> ListPortInfo:
        p = ListPortInfo(device, skip_link_detection=True)
        p.vid, p.pid = vid, pid
        return p

    ports = [port("/dev/ttyS0", None, None), port("/dev/ttyACM0", 0x303A, 0x1001), port("/dev/ttyUSB3", 0x1234, 1)]
    assert find_port(ports) == "/dev/ttyACM0"
    assert [p.device for p in matching_ports([port("/dev/ttyUSB0", 0x10C4, 0xEA60)])] == ["/dev/ttyUSB0"]
    assert find_port(ports[:1]) is None
    with pytest.raises(LinkError, match="several boards"):
        find_port([port("/dev/ttyACM0", 0x2E8A, 0x0005), port("/dev/ttyACM1", 0x303A, 0x1001)])


def test_a_named_port_that_does_not_exist_is_one_clear_error(tmp_path: Path) -> None:
    async def body() -> str:
        link = SerialLink(str(tmp_path / "nothing"))
        try:
            async for _ in link.batches():
                pass
        except LinkError as exc:
            return str(exc)
        return ""

    assert run(body).startswith(f"cannot open {tmp_path / 'nothing'}")


def test_without_a_port_and_no_board_plugged_in_the_link_says_so() -> None:
    async def body() -> str:
        link = SerialLink(None, ports=lambda: [])
        try:
            async for _ in link.batches():
                pass
        except LinkError as exc:
            return str(exc)
        return ""

    message = run(body)
    assert message.startswith("no board found") and "303a:1001" in message and "--serial PORT" in message
