"""A writer killed with SIGKILL at random moments leaves an intact database (losing at most the
last second) and a readable recording."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from dorsal.recording import read_recording
from dorsal.store import Store

WRITER = Path(__file__).with_name("killed_writer.py")
#: The promise: a crash loses at most the last second of writes.
MAX_LOSS_S = 1.0


def run_and_kill(db: Path, recording: Path, after_s: float) -> list[tuple[int, float]]:
    """Start the writer, kill it ``after_s`` seconds after its first write; returns what it said it queued."""
    proc = subprocess.Popen([sys.executable, str(WRITER), str(db), str(recording)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[tuple[int, float]] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.endswith("\n"):
                break  # the kill cut the writer's last line
            i, t = line.split()
            lines.append((int(i), float(t)))
            started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not started.wait(60):
        proc.kill()
        raise AssertionError(f"the writer never started: {proc.stderr.read() if proc.stderr else ''}")
    time.sleep(after_s)
    seen = list(lines)  # what the writer had queued before the kill (more may still be in the pipe)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    reader.join(10)
    assert proc.returncode == -signal.SIGKILL
    return seen


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_at_most_the_last_second(tmp_path: Path) -> None:
    rng = random.Random(8)
    db = tmp_path / "history.sqlite3"
    losses: list[float] = []
    for attempt in range(5):
        recording = tmp_path / f"session-{attempt}.drec"
        seen = run_and_kill(db, recording, rng.uniform(0.3, 2.0))
        assert seen, "the writer queued nothing before the kill"

        # The database: intact, and holds an unbroken prefix of this session's events.
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        with Store(db) as store:
            # Killed before its first commit, the session itself may be among the lost writes.
            ids = [s.session_id for s in store.sessions() if recording.resolve() in map(Path, s.recordings)]
            got = sorted(e.figures["i"] for e in store.events() if e.session_id in ids)
        assert got == list(range(len(got))), "a committed batch has a hole"
        last_seen_i, last_seen_t = seen[-1]
        # Writes lost = from the last one kept (or the first one queued) to the last one queued.
        kept_t = max((t for i, t in seen if i < len(got)), default=seen[0][1])
        lost_s = last_seen_t - kept_t
        losses.append(lost_s)
        assert lost_s <= MAX_LOSS_S, f"attempt {attempt}: lost {lost_s:.2f} s of writes (up to #{last_seen_i})"

        # The recording: readable, every frame written before each queued event is there.
        rec = read_recording(recording)
        assert rec.header["device"] == "dorsal-crash"
        assert rec.corrupt_entries == 0 and rec.undecodable_messages == 0
        assert rec.samples.size >= 10 * len(got)
        assert rec.samples.size >= 10 * (last_seen_i + 1)
        assert np.array_equal(rec.samples["seq"], np.arange(rec.samples.size))
    print(f"writes lost per kill (s): {', '.join(f'{x:.2f}' for x in losses)}")
