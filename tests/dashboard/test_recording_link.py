"""A recording replayed into the dashboard (RecordingLink) hands out its samples as a live link does: by seq,
each once, whatever order the file holds them in (re-sent backlog after the live frames, duplicates)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from dorsal.dashboard.feed import RecordingLink, encode_frames
from dorsal.decode import SAMPLE_DTYPE
from dorsal.protocol import wire
from dorsal.recording import RecordingWriter


def _samples(n: int) -> np.ndarray:
    s = np.zeros(n, SAMPLE_DTYPE)
    s["seq"] = np.arange(n)
    s["t_s"] = 100.0 + np.arange(n) * 0.01
    s["qw"] = 1.0
    s["az_mps2"] = wire.STANDARD_GRAVITY_MPS2
    return s


def test_a_replayed_recording_hands_out_its_samples_by_seq_once_each(tmp_path: Path) -> None:
    frames = encode_frames(_samples(300))  # 30 frames of 10 samples
    backlog = [bytes([f[0], wire.MSG_DATA_BACKLOG]) + f[2:] for f in frames[12:18]]  # re-sent after the gap
    path = tmp_path / "gap.dorsal"
    with RecordingWriter(path, {"source": "test"}) as w:
        # the gap's frames last; two frames twice (less than a frame's 255 samples behind the newest live one:
        # further behind, a live frame is a restarted device's, dorsal.boots)
        for f in frames[:12] + frames[3:5] + frames[18:] + backlog:
            w.write_message(f)

    async def replay() -> list[np.ndarray]:
        link = RecordingLink(path, speed=0)
        return [b.samples for b in [b async for b in link.batches()] if len(b.samples)]

    got = np.concatenate(asyncio.run(replay()))
    assert got["seq"].tolist() == list(range(300))
    assert np.all(np.diff(got["t_s"]) > 0)
