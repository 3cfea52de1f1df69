"""Helpers for the link tests (conftest.py puts this folder on the path): a fresh event loop per test."""

from __future__ import annotations

import os
import select
import shutil
import threading
import time
import tty
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from looprun import run_in_fresh_loop

TEST_TIMEOUT_S = 60


def run(make: Callable[[], Awaitable[Any]], timeout_s: float = TEST_TIMEOUT_S) -> Any:
    """A coroutine in a fresh event loop, with a timeout (looprun.run_in_fresh_loop)."""
    return run_in_fresh_loop(make, timeout_s)


class UsbCable:
    """A USB cable between a virtual board's port and the host, that can be unplugged and plugged in again.

    The host sees the board at ``path``, a symlink to a fresh pty at every plug (as /dev/serial/by-id/...
    names a board whose tty comes back under a new number). Unplugged, the pty is gone (the host's reads
    fail) and what the board writes is lost, as on a USB port with no host; the board keeps running.
    ``inject`` puts bytes on the line towards the host (noise, REPL text); ``to_board`` keeps what the host
    sent, with when it reached the board (time.monotonic). ``board``: the VirtualBoard behind it (the fixture's).
    """

    def __init__(self, board_port: str, path: Path) -> None:
        self.path = path
        self.board_fd = os.open(board_port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.board_fd)
        self.master = -1
        self.slave = -1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.to_board: list[tuple[float, bytes]] = []
        self.board: Any = None
        self.plug()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def plug(self) -> None:
        with self._lock:
            master, slave = os.openpty()
            tty.setraw(slave)
            self.master, self.slave = master, slave
            tmp = self.path.with_suffix(".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(os.ttyname(slave))
            tmp.replace(self.path)

    def unplug(self) -> None:
        with self._lock:
            self.path.unlink(missing_ok=True)
            for fd in (self.master, self.slave):
                if fd >= 0:
                    os.close(fd)
            self.master = self.slave = -1

    def inject(self, data: bytes) -> None:
        with self._lock:
            if self.master >= 0:
                os.write(self.master, data)

    def _relay(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                fds = [self.board_fd] + ([self.master] if self.master >= 0 else [])
            try:
                ready, _, _ = select.select(fds, [], [], 0.05)
            except (OSError, ValueError):
                continue
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                with self._lock:
                    if fd == self.board_fd:
                        if self.master >= 0:
                            os.write(self.master, data)
                    elif fd == self.master:
                        os.write(self.board_fd, data)
                        self.to_board.append((time.monotonic(), data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.unplug()
        os.close(self.board_fd)


def board_folder(folder: Path) -> Path:
    """A board's filesystem with the firmware on it (as `dorsal flash` leaves it, as plain .py)."""
    from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR

    folder.mkdir(parents=True, exist_ok=True)
    for src in [*FIRMWARE_DIR.glob("*.py"), PROTOCOL_DIR / "dorsal_protocol.py"]:
        shutil.copy(src, folder / src.name)
    return folder


@pytest.fixture
def cable(tmp_path: Path, micropython: str) -> Iterator[UsbCable]:
    """A virtual board (the MicroPython unix port behind a pty) on a cable that can be unplugged."""
    from dorsal.simboard import VirtualBoard

    board = VirtualBoard(board_folder(tmp_path / "board"), micropython=micropython)
    c = UsbCable(board.start(), tmp_path / "ttyDORSAL0")
    c.board = board
    yield c
    c.close()
    board.stop()


class LinkReader:
    """A link's batches read in the background (start it inside the test's event loop), as the dashboard reads
    them: the samples handed out, the states the link went through (each once per change), the last batch."""

    def __init__(self, link: Any) -> None:
        import asyncio

        self.link = link
        self.parts: list[Any] = []
        self.states: list[str] = []
        self.last: Any = None
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for b in self.link.batches():
            self.parts.append(b.samples)
            if not self.states or self.states[-1] != b.state:
                self.states.append(b.state)
            self.last = b

    async def until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Wait (polling) until ready() holds; fails with `what` after timeout_s."""
        import asyncio

        end = time.monotonic() + timeout_s
        while not ready():
            assert time.monotonic() < end, f"{what} (states {self.states})"
            await asyncio.sleep(0.05)

    async def close(self) -> Any:
        """Close the link; every sample it handed out, in order."""
        import asyncio

        import numpy as np

        from dorsal.decode import SAMPLE_DTYPE

        await self.link.close()
        await asyncio.gather(self.task, return_exceptions=True)
        return np.concatenate(self.parts) if self.parts else np.zeros(0, SAMPLE_DTYPE)


def assert_recording_gives(path: Path, got: Any) -> Any:
    """The recording's analysis input (what `dorsal analyze` reads) begins with exactly the samples the link
    handed out (got), seq and time; returns the recording."""
    import numpy as np

    from dorsal.recording import analysis_input, read_recording

    rec = read_recording(path)
    inp = analysis_input(rec)
    n = got.size
    assert inp.samples.size >= n
    assert np.array_equal(inp.samples["seq"][:n], got["seq"]) and np.array_equal(inp.samples["t_s"][:n], got["t_s"])
    return rec
