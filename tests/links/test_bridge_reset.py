"""A board behind a USB-serial bridge (CP210x, CH340: most ESP32 development boards) keeps its port open when
it resets: its new boot waits for the host's start. The serial link asks a quiet device whether it streams
and starts it again; a device that does not answer is asked at a bounded rate.

The counterpart is the real firmware on a virtual board (the MicroPython unix port behind a pty): its reset
on CMD_REBOOT restarts the interpreter behind the same pty, as a bridge keeps the port."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
from linkrig import UsbCable, cable, run  # noqa: F401 (cable: the virtual board's fixture)

from dorsal.links.base import COMMAND_TIMEOUT_S
from dorsal.links.serialport import ASK_AFTER_S, ASK_AGAIN_S, SerialLink
from dorsal.protocol import wire
from dorsal.recording import analysis_input, read_recording

OLD_BOOT_SAMPLES = 1500


def commands_at_the_board(c: UsbCable, since_s: float) -> list[tuple[float, int]]:
    """(when it reached the board, command) of every command frame the host sent since since_s."""
    deframer = wire.Deframer()
    out = []
    for t, data in list(c.to_board):
        for msg in deframer.feed(data):
            if t >= since_s:
                out.append((t, wire.decode_command(msg)[0]))
    return out


def test_a_board_reset_that_keeps_the_port_open_streams_again_and_follows_on(cable: UsbCable,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "bridge-reset.dorsal"

    async def body() -> tuple[np.ndarray, Any, int, list[str], float]:
        link = SerialLink(str(cable.path), record=path)
        parts: list[np.ndarray] = []
        states: list[str] = []

        async def read() -> None:
            async for b in link.batches():
                parts.append(b.samples)
                if not states or states[-1] != b.state:
                    states.append(b.state)

        task = asyncio.get_running_loop().create_task(read())
        end = time.monotonic() + 40
        # the new boot counts its seq from its start, streamed or not: it is told from the old one by its seq
        # more than 255 below the old boot's last (dorsal.boots), so the old boot runs well past what the new
        # one counts until it is started again (about 3.5 s, 350 samples)
        while link.samples < OLD_BOOT_SAMPLES:
            assert time.monotonic() < end, "no samples arrived"
            await asyncio.sleep(0.05)
        assert await link.command(wire.CMD_REBOOT, (0,)) == wire.OK  # the board resets 0.3 s after its answer
        reset_s = time.monotonic()
        before = link.samples
        while not link.boots.restarts:
            assert time.monotonic() < reset_s + 30, f"the new boot's samples did not come (states {states})"
            await asyncio.sleep(0.02)
        back_s = time.monotonic() - reset_s
        while link.merge.hole() is not None or link.samples < before + 400:
            assert time.monotonic() < reset_s + 40, "the new boot's samples stopped"
            await asyncio.sleep(0.05)
        stats = link.stats()
        await link.close()
        await asyncio.gather(task, return_exceptions=True)
        return np.concatenate(parts), stats, before, states, back_s

    got, stats, before, states, back_s = run(body)
    assert stats.connects == 1 and stats.disconnects == 0  # the port stayed open all along
    # the streaming device was never asked; the quiet one once, then started again
    assert [c for _, c in commands_at_the_board(cable, 0.0)] == [
        wire.CMD_IDENTIFY, wire.CMD_SET_TIME, wire.CMD_START, wire.CMD_REBOOT,
        wire.CMD_STATUS, wire.CMD_IDENTIFY, wire.CMD_SET_TIME, wire.CMD_START]
    assert states == ["searching", "connecting", "streaming", "no data", "streaming", "ended"]
    assert stats.device_restarts == 1 and stats.samples_lost == 0 and stats.duplicates == 0
    assert np.all(np.diff(got["seq"]) == 1) and np.all(np.diff(got["t_s"]) > 0)
    rec = read_recording(path)
    links = [n for _, n in rec.notes if "link" in n]
    assert {"link": "status asked", "answer": "not streaming"} in links
    assert [n for n in links if n["link"] == "streaming again"]
    (restart,) = [n["device_restart"] for _, n in rec.notes if "device_restart" in n]
    assert restart["device_seq"] < 1000  # the new boot's seq began again
    inp = analysis_input(rec)
    n = got.size
    assert inp.samples.size >= n
    assert np.array_equal(inp.samples["seq"][:n], got["seq"]) and np.array_equal(inp.samples["t_s"][:n], got["t_s"])
    print(f"bridge reset: {before} samples before, {n - before} after; the new boot's first samples "
          f"{back_s:.2f} s after the reboot's answer; restart note {restart}")


def test_a_board_that_stops_answering_is_asked_at_a_bounded_rate_and_close_ends_promptly(cable: UsbCable) -> None:
    async def body() -> tuple[list[tuple[float, int]], float, float, Any, str]:
        link = SerialLink(str(cable.path))
        states: list[str] = []

        async def read() -> None:
            async for b in link.batches():
                states.append(b.state)

        task = asyncio.get_running_loop().create_task(read())
        end = time.monotonic() + 30
        while link.samples < 200:
            assert time.monotonic() < end, "no samples arrived"
            await asyncio.sleep(0.05)
        os.kill(cable.board._proc.pid, signal.SIGSTOP)  # the board hangs: it neither sends nor reads
        stopped_s = time.monotonic()
        while len([c for _, c in commands_at_the_board(cable, stopped_s) if c == wire.CMD_STATUS]) < 2:
            assert time.monotonic() < stopped_s + 20, "the link did not ask the silent board twice"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the second question is waiting for its answer
        state, stats = link.state, link.stats()
        t = time.monotonic()
        await asyncio.wait_for(link.close(), 10)
        took = time.monotonic() - t
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.5)  # nothing more is sent after close
        return commands_at_the_board(cable, stopped_s), stopped_s, took, stats, state

    sent, stopped_s, took, stats, state = run(body)
    assert [c for _, c in sent] == [wire.CMD_STATUS, wire.CMD_STATUS]  # no handshake without an answer
    first, second = sent[0][0] - stopped_s, sent[1][0] - sent[0][0]
    assert ASK_AFTER_S - 0.3 <= first <= ASK_AFTER_S + 1.0
    assert second >= COMMAND_TIMEOUT_S + ASK_AGAIN_S - 0.3  # the question's timeout, then the wait
    assert state == "no data" and stats.disconnects == 0  # the session waits on: the board may come back
    assert took < 1.0
    print(f"silent board: asked {first:.2f} s after it stopped, again {second:.2f} s later; close took {took:.3f} s")


def test_a_stream_the_host_stopped_itself_is_not_started_again(cable: UsbCable) -> None:
    async def body() -> tuple[list[int], str, int, int]:
        link = SerialLink(str(cable.path))
        states: list[str] = []

        async def read() -> None:
            async for b in link.batches():
                states.append(b.state)

        task = asyncio.get_running_loop().create_task(read())
        end = time.monotonic() + 30
        while link.samples < 200:
            assert time.monotonic() < end, "no samples arrived"
            await asyncio.sleep(0.05)
        assert await link.command(wire.CMD_STOP) == wire.OK
        stopped_s = time.monotonic()
        await asyncio.sleep(ASK_AFTER_S + 1.5)
        state, quiet = link.state, link.samples
        assert await link.command(wire.CMD_START) == wire.OK
        while link.samples < quiet + 100:
            assert time.monotonic() < end + 10, "the host's own start did not stream"
            await asyncio.sleep(0.05)
        await link.close()
        await asyncio.gather(task, return_exceptions=True)
        return [c for _, c in commands_at_the_board(cable, stopped_s)], state, quiet, link.samples

    sent, state, quiet, last = run(body)
    # asked once, and started by the host, not by the link (then the backlog of the stop is asked for)
    assert sent[:2] == [wire.CMD_STATUS, wire.CMD_START] and set(sent[2:]) <= {wire.CMD_BACKLOG}
    assert state == "no data" and last >= quiet + 100
