"""Dashboard test support: recordings made of real wire frames, and the screen as text.

A recording is written with dorsal.recording.RecordingWriter from data frames
encoded with the wire protocol (dorsal.dashboard.feed.encode_frames ->
wire.encode_data), so the app reads it through the real decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dorsal.dashboard.feed import RecordingLink, encode_frames
from dorsal.dashboard.script import ScriptLink, Segment
from dorsal.recording import RecordingWriter


def write_recording(path: Path, segments: list[Segment], rate_hz: float = 100.0,
                    device: str | dict[str, str] = "dorsal-test", notes: list[dict] | None = None) -> Path:
    """notes: written before the frames (an analysis note carries its own time)."""
    link = ScriptLink("calm", speed=0, rate_hz=rate_hz)
    link.segments = segments
    _, spans = link._pose_track()
    with RecordingWriter(path, {"device": device, "rate_hz": rate_hz}) as writer:
        for note in notes or []:
            writer.write_note(note)
        seq = 0
        for span in spans:
            start = span.start_s
            n = int(round((span.end_s - start) * rate_hz))
            for i0 in range(0, n, 1000):
                i = np.arange(i0, min(n, i0 + 1000))
                samples = link.synthesize(start + i / rate_hz, span.segment, start, span.prev, span.pose, span.before)
                samples["seq"] = seq + np.arange(len(i))
                seq += len(i)
                for frame in encode_frames(samples):
                    writer.write_message(frame, float(start + i0 / rate_hz))
    return path


@pytest.fixture
def recording(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(segments: list[Segment], **kw: object) -> Path:
        return write_recording(tmp_path / f"rec{next(counter)}.dorsal", segments, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def dorsal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DORSAL_HOME", str(home))
    return home


def _screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def _wait_for(pilot, condition: Callable[[], bool], timeout_s: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    import time

    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)


@pytest.fixture
def screen_text() -> Callable[..., str]:
    return _screen_text


@pytest.fixture
def wait_for():  # type: ignore[no-untyped-def]
    return _wait_for


@pytest.fixture
def replay() -> Callable[..., RecordingLink]:
    def make(path: Path, **kw: object) -> RecordingLink:
        kw.setdefault("speed", 0)
        kw.setdefault("end_state", None)
        return RecordingLink(path, **kw)  # type: ignore[arg-type]

    return make
