"""A device that restarts mid-session (watchdog, brown-out, the reset button) begins its seq and clock again
near 0: the link maps its new boot to follow on (dorsal.boots), so every sample of both boots is handed out
once, in order, and the recording analyses the same (protocol/SPEC.md §8, the device_restart note).

Before, the merge buffer took a live chunk for a restart only when it was 2^20 samples (2.9 h) behind: after
10 minutes, the new boot's samples were dropped as duplicates for as long as the old boot had run."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
from linkrig import LinkReader, UsbCable, assert_recording_gives, cable, run  # noqa: F401 (cable: the fixture)

from dorsal.decode import SOURCE_BACKLOG
from dorsal.links.base import Link
from dorsal.protocol import wire
from dorsal.recording import analysis_input, read_recording

REC = (wire.QUAT_ONE, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
PER_FRAME = 10


def frames(first: int, n: int, t0_ms: int, kind: int = wire.MSG_DATA) -> list[bytes]:
    """The data frames of samples first..first+n-1 at 100 Hz, as a device sends them."""
    return [wire.encode_data(first + k, t0_ms + k * 10, 10000, [REC] * PER_FRAME, kind)
            for k in range(0, n, PER_FRAME)]


def feed(link: Link, msgs: list[bytes], rx_s: float, step_s: float = 0.1) -> float:
    for m in msgs:
        link._on_message(m, rx_s=rx_s)
        rx_s += step_s
    return rx_s


def delivered(link: Link) -> np.ndarray:
    return link._take().samples


def test_a_restart_after_ten_minutes_delivers_both_boots_once_in_order_and_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "restart.dorsal"
    link = Link(record=path)
    link._open_recording()
    rx = feed(link, frames(0, 60_000, 5_000), 0.0)  # 10 minutes
    last_rx = rx - 0.1
    rx = feed(link, frames(0, 30_000, 250), rx + 3.0)  # reset: 3.1 s between the two boots' frames
    got = delivered(link)
    stats = link.stats()
    link._writer.close()

    assert got.size == 90_000 and stats.duplicates == 0 and stats.samples_lost == 0
    assert np.array_equal(got["seq"], np.arange(90_000))  # the new boot continues the seq
    assert np.all(np.diff(got["t_s"]) > 0)
    # the new boot's first sample: the old boot's last time plus the host's gap between the two frames
    assert np.isclose(got["t_s"][60_000] - got["t_s"][59_999], (last_rx + 3.1) - last_rx)
    assert np.allclose(np.diff(got["t_s"][60_000:]), 0.01)
    assert stats.device_restarts == 1 and stats.as_json()["device_restarts"] == 1

    rec = read_recording(path)
    (note,) = [n["device_restart"] for _, n in rec.notes if "device_restart" in n]
    assert note == {"device_seq": 0, "device_t_s": 0.25, "seq_shift": 60_000,
                    "t_shift_s": float(got["t_s"][60_000] - 0.25)}
    # the recording analyses what the live link handed out
    inp = analysis_input(rec)
    assert np.array_equal(inp.samples["seq"], got["seq"]) and np.array_equal(inp.samples["t_s"], got["t_s"])
    assert [p for p in rec.problems if "restarted at 10m0" in p], rec.problems


def test_chained_restarts_each_follow_on() -> None:
    link = Link()
    rx = feed(link, frames(0, 3_000, 0), 0.0)
    rx = feed(link, frames(0, 2_000, 100), rx + 1.0)
    feed(link, frames(0, 1_000, 100), rx + 1.0)
    got = delivered(link)
    assert np.array_equal(got["seq"], np.arange(6_000)) and np.all(np.diff(got["t_s"]) > 0)
    assert link.stats().device_restarts == 2 and [r.seq_shift for r in link.boots.restarts] == [3_000, 5_000]


def test_a_duplicated_live_frame_and_the_backlog_after_a_reconnect_are_no_restart() -> None:
    async def body() -> tuple[np.ndarray, Link]:
        link = Link()  # not connected: the hole's backfill task ends at once, the backlog comes as re-sent
        live = frames(0, 3_000, 0)
        rx = feed(link, live[:200], 0.0)
        rx = feed(link, [live[199 - 24]], rx)  # a live frame seen again: it starts 249 samples behind the last
        rx = feed(link, live[260:], rx + 6.0)  # a reconnect: frames 200..259 (600 samples) missed
        feed(link, frames(2_000, 600, 20_000, wire.MSG_DATA_BACKLOG), rx)  # the device's backlog fills them
        return delivered(link), link

    got, link = asyncio.run(body())
    stats = link.stats()
    assert stats.device_restarts == 0 and stats.duplicates == PER_FRAME and stats.samples_lost == 0
    assert np.array_equal(got["seq"], np.arange(3_000)) and np.allclose(np.diff(got["t_s"]), 0.01)
    assert stats.samples_recovered == 600 == int(np.count_nonzero(got["source"] == SOURCE_BACKLOG))


class BacklogDevice(Link):
    """A transport whose device is this test: it answers CMD_BACKLOG from its samples (its own seq), as the
    firmware does (a response, then the re-sent frames)."""

    source = "test"

    def __init__(self) -> None:
        super().__init__()
        self.connected = True
        self.requests: list[tuple[int, int]] = []
        self.device_frames: dict[int, bytes] = {}  # this boot's frames by their seq
        self.rx_s = 0.0

    async def _run(self) -> None:
        await asyncio.Event().wait()

    async def _send(self, message: bytes) -> None:
        command, tag, args = wire.decode_command(message)
        assert command == wire.CMD_BACKLOG
        first, last = int(args[0]), int(args[1])
        self.requests.append((first, last))
        loop = asyncio.get_running_loop()
        loop.call_soon(self._on_message, wire.encode_response(command, tag, wire.OK,
                                                              np.array([0, first, last - first], "<u4").tobytes()))
        for seq in range(first, last, PER_FRAME):
            f = self.device_frames[seq]
            loop.call_soon(self._on_message, bytes([f[0], wire.MSG_DATA_BACKLOG]) + f[2:])


async def backfilled(link: BacklogDevice, n: int) -> np.ndarray:
    """What the link handed out once its backfill has filled every hole and n samples came (up to 1 s), then
    closed."""
    for _ in range(100):
        await asyncio.sleep(0.01)
        if link.merge.hole() is None and link.samples == n:
            break
    got = delivered(link)
    await link.close()
    return got


def test_a_hole_after_a_restart_is_asked_of_the_device_in_its_own_seq() -> None:
    async def body() -> tuple[np.ndarray, BacklogDevice]:
        link = BacklogDevice()
        link.start()
        feed(link, frames(0, 3_000, 0), 0.0)
        boot2 = frames(0, 2_000, 100)
        link.device_frames = {k * PER_FRAME: f for k, f in enumerate(boot2)}
        feed(link, boot2[:50] + boot2[80:], 400.0)  # 300 samples of the new boot missed
        return await backfilled(link, 5_000), link

    got, link = asyncio.run(body())
    assert link.requests == [(500, 800)]  # the device's seq, not the session's 3500..3800
    assert np.array_equal(got["seq"], np.arange(5_000)) and np.all(np.diff(got["t_s"]) > 0)
    assert link.stats().samples_recovered == 300 and link.stats().samples_lost == 0


def test_the_samples_a_new_boot_took_before_its_start_come_from_its_backlog() -> None:
    """The firmware counts its seq from 0 at boot and keeps every sample, streamed or not: a new boot whose
    first live frame is its seq 300 (3 s waiting for the host's start, 4 s between the two boots' frames)
    follows on from its seq 0, and those 300 samples are fetched from its backlog. Before, they were placed
    before the new boot's start and never asked for."""
    async def body() -> tuple[np.ndarray, BacklogDevice]:
        link = BacklogDevice()
        link.start()
        rx = feed(link, frames(0, 3_000, 0), 0.0)
        boot2 = frames(0, 2_000, 100)
        link.device_frames = {k * PER_FRAME: f for k, f in enumerate(boot2)}
        feed(link, boot2[30:], rx + 3.9)
        return await backfilled(link, 5_000), link

    got, link = asyncio.run(body())
    (restart,) = link.boots.restarts
    assert restart.device_seq == 300 and restart.seq_shift == 3_000  # its seq 0 follows the old boot's last
    assert link.requests == [(0, 300)]
    assert np.array_equal(got["seq"], np.arange(5_000)) and np.all(np.diff(got["t_s"]) > 0)
    # the new boot's seq 0 lands 1 s after the old boot's last sample: 4 s between the frames, 3 s of them
    # sampled before the start
    assert np.isclose(got["t_s"][3_000] - got["t_s"][2_999], 1.0)
    assert link.stats().samples_recovered == 300 and link.stats().samples_lost == 0


def test_a_virtual_board_reset_mid_session_over_usb_serial(cable: UsbCable, tmp_path: Path) -> None:
    """The real firmware on a virtual board (the MicroPython unix port) resets on the host's CMD_REBOOT; its
    USB port goes away and comes back, as a board's own USB does at a reset. The link hands out both boots,
    and `dorsal analyze`'s input from the recording is what the link handed out."""
    from dorsal.links.serialport import SerialLink

    path = tmp_path / "reset.dorsal"

    async def body() -> tuple[np.ndarray, Any, int]:
        link = SerialLink(str(cable.path), record=path)
        reader = LinkReader(link)
        await reader.until(lambda: link.samples >= 400, 30, "no samples arrived")
        assert await link.command(wire.CMD_REBOOT, (0,)) == wire.OK
        before = link.samples
        cable.unplug()  # the board resets 0.3 s after its answer; its USB goes with it
        await asyncio.sleep(1.0)
        cable.plug()
        await reader.until(lambda: bool(link.boots.restarts) and link.merge.hole() is None
                           and link.samples >= before + 400, 30, "the new boot's samples did not come")
        stats = link.stats()
        return await reader.close(), stats, before

    got, stats, before = run(body)
    assert stats.device_restarts == 1 and stats.samples_lost == 0 and stats.duplicates == 0
    assert np.all(np.diff(got["seq"]) == 1) and np.all(np.diff(got["t_s"]) > 0)
    rec = assert_recording_gives(path, got)
    notes = [n["device_restart"] for _, n in rec.notes if "device_restart" in n]
    assert len(notes) == 1 and notes[0]["device_seq"] < 300  # the new boot's seq began again
    assert [p for p in rec.problems if "as the live link noted" in p]
    print(f"virtual board reset: {before} samples before, {got.size - before} after; restart note {notes[0]}")
