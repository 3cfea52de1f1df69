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
from linkrig import LinkReader, UsbCable, assert_recording_gives, cable, run  # noqa: F401 (cable: the fixture)

from dorsal.links.base import COMMAND_TIMEOUT_S
from dorsal.links.serialport import ASK_AFTER_S, ASK_AGAIN_S, SerialLink
from dorsal.protocol import wire

OLD_BOOT_SAMPLES = 1000


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
        reader = LinkReader(link)
        # the new boot counts its seq from its start, streamed or not: it is told from the old one by its seq
        # more than 255 below the old boot's last (dorsal.boots), so the old boot runs well past what the new
        # one counts until it is started again (about 3.5 s, 350 samples)
        await reader.until(lambda: link.samples >= OLD_BOOT_SAMPLES, 40, "no samples arrived")
        assert await link.command(wire.CMD_REBOOT, (0,)) == wire.OK  # the board resets 0.3 s after its answer
        reset_s = time.monotonic()
        before = link.samples
        await reader.until(lambda: bool(link.boots.restarts), 30, "the new boot's samples did not come")
        back_s = time.monotonic() - reset_s
        await reader.until(lambda: link.merge.hole() is None and link.samples >= before + 400, 10,
                           "the new boot's samples stopped")
        stats = link.stats()
        return await reader.close(), stats, before, reader.states, back_s

    got, stats, before, states, back_s = run(body)
    assert stats.connects == 1 and stats.disconnects == 0  # the port stayed open all along
    # the streaming device was never asked; the quiet one once, then started again, and its backlog asked for
    # the samples the new boot took while it waited for the start
    sent = [c for _, c in commands_at_the_board(cable, 0.0)]
    assert sent[:8] == [wire.CMD_IDENTIFY, wire.CMD_SET_TIME, wire.CMD_START, wire.CMD_REBOOT,
                        wire.CMD_STATUS, wire.CMD_IDENTIFY, wire.CMD_SET_TIME, wire.CMD_START]
    assert set(sent[8:]) == {wire.CMD_BACKLOG}
    assert states == ["searching", "connecting", "streaming", "no data", "streaming", "ended"]
    assert stats.device_restarts == 1 and stats.samples_lost == 0 and stats.duplicates == 0
    assert np.all(np.diff(got["seq"]) == 1) and np.all(np.diff(got["t_s"]) > 0)
    rec = assert_recording_gives(path, got)
    links = [n for _, n in rec.notes if "link" in n]
    assert {"link": "status asked", "answer": "not streaming"} in links
    assert [n for n in links if n["link"] == "streaming again"]
    (restart,) = [n["device_restart"] for _, n in rec.notes if "device_restart" in n]
    assert restart["device_seq"] < 1000  # the new boot's seq began again
    # its samples from its seq 0 on, those before the start from its backlog
    assert before <= restart["seq_shift"] <= before + 100 and stats.samples_recovered >= restart["device_seq"] - 50
    print(f"bridge reset: {before} samples before, {got.size - before} after ({stats.samples_recovered} from the "
          f"backlog); the new boot's first samples "
          f"{back_s:.2f} s after the reboot's answer; restart note {restart}")


def test_a_board_that_stops_answering_is_asked_at_a_bounded_rate_and_close_ends_promptly(cable: UsbCable) -> None:
    async def body() -> tuple[list[tuple[float, int]], float, float, Any, str]:
        link = SerialLink(str(cable.path))
        reader = LinkReader(link)
        await reader.until(lambda: link.samples >= 200, 30, "no samples arrived")
        os.kill(cable.board._proc.pid, signal.SIGSTOP)  # the board hangs: it neither sends nor reads
        stopped_s = time.monotonic()
        asked = lambda: [c for _, c in commands_at_the_board(cable, stopped_s) if c == wire.CMD_STATUS]  # noqa: E731
        await reader.until(lambda: len(asked()) >= 2, 20, "the link did not ask the silent board twice")
        await asyncio.sleep(0.3)  # the second question is waiting for its answer
        state, stats = link.state, link.stats()
        t = time.monotonic()
        await asyncio.wait_for(reader.close(), 10)
        took = time.monotonic() - t
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
        reader = LinkReader(link)
        await reader.until(lambda: link.samples >= 200, 30, "no samples arrived")
        assert await link.command(wire.CMD_STOP) == wire.OK
        stopped_s = time.monotonic()
        await asyncio.sleep(ASK_AFTER_S + 1.5)
        state, quiet = link.state, link.samples
        assert await link.command(wire.CMD_START) == wire.OK
        await reader.until(lambda: link.samples >= quiet + 100, 10, "the host's own start did not stream")
        await reader.close()
        return [c for _, c in commands_at_the_board(cable, stopped_s)], state, quiet, link.samples

    sent, state, quiet, last = run(body)
    # asked once, and started by the host, not by the link (then the backlog of the stop is asked for)
    assert sent[:2] == [wire.CMD_STATUS, wire.CMD_START] and set(sent[2:]) <= {wire.CMD_BACKLOG}
    assert state == "no data" and last >= quiet + 100
