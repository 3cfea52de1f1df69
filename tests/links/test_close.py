"""Link.close() returns even when the session's cancellation gets lost on the way.

Before Python 3.12, asyncio.wait_for cancelled in the loop turn its future completed in returned the result
and dropped the cancellation: a session then went on waiting for its device, and close() waited for it
forever (tests/links/test_serial_link.py has the real case). Any await inside a transport's library can do
the same, so close() ends the transport under a session that outlives its cancellation. The session here
drops every cancellation, as such an await does, and ends only when its transport is closed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dorsal.links import base
from dorsal.links.base import Link
from dorsal.recording import read_recording


class DeafSession(Link):
    source = "test"

    def __init__(self, record: Path | None = None) -> None:
        super().__init__(record=record)
        self.transport_open = asyncio.Event()
        self.cancels_dropped = 0

    async def _run(self) -> None:
        self._open_recording()
        self.transport_open.set()
        while self.transport_open.is_set():  # what a session does: wait for its device to go away
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                self.cancels_dropped += 1  # dropped, as wait_for did

    async def _close_transport(self) -> None:
        self.transport_open.clear()


def test_close_ends_a_session_that_dropped_its_cancellation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "CLOSE_WAIT_S", 0.3)
    path = tmp_path / "session.dorsal"

    async def body() -> tuple[DeafSession, float]:
        link = DeafSession(path)
        link.start()
        await link.transport_open.wait()
        link.record_note({"test": "before close"})
        t0 = time.monotonic()
        closing = asyncio.get_running_loop().create_task(link.close())
        done, _ = await asyncio.wait({closing}, timeout=5.0)  # without the transport's close it never returns
        took = time.monotonic() - t0
        if not done:  # end the session from here, so the failing test ends too
            await link._close_transport()
            await closing
        return link, took

    link, took = asyncio.run(body())
    assert link.cancels_dropped >= 1 and link._task is not None and link._task.done()
    assert took < 2.0
    assert [n for _, n in read_recording(path).notes] == [{"test": "before close"}]  # the recording is closed whole
