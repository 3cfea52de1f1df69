"""Rebuilding a week of history from recordings: read + analyse + store, vs the analysis alone.

A week of simulated desk days (``dorsal simulate``) is imported into a fresh
store, then timed while ``dorsal.store.rebuild`` re-analyses all of it. The
baseline is the core's analysis of the same samples already in memory, so the
ratio is the cost of reading recordings and writing the store on top of it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from dorsal.recording import read_recording

DESCRIPTION = "rebuild a week of day figures from recordings (read, analyse, store) vs the analysis alone"
SCENARIO = "desk-day"
DAYS = 7


def simulate_week(folder: Path, minutes_per_day: int, seed: int = 0) -> list[Path]:
    """One recording per day of simulated desk work (with its ground truth beside it)."""
    import contextlib
    import io

    from dorsal.commands.simulate import simulate

    paths = []
    for k in range(DAYS):
        out = folder / f"day{k}.drec"
        # `dorsal bench --json` owns stdout and stderr: keep the simulator's notes out of them.
        with contextlib.redirect_stderr(io.StringIO()):
            simulate(SCENARIO, 60.0 * minutes_per_day, out, folder / f"day{k}.truth.json", seed + k)
        paths.append(out)
    return paths


def run(scale: float = 1.0) -> dict[str, Any]:
    from dorsal.store import Store
    from dorsal.store.rebuild import core_analyze, import_recording, rebuild

    minutes = max(2, int(round(60 * scale)))
    with tempfile.TemporaryDirectory(prefix="dorsal-bench-rebuild-") as tmp:
        folder = Path(tmp)
        recordings = simulate_week(folder, minutes)
        monday = dt.date.today() - dt.timedelta(days=DAYS)
        with Store(folder / "history.sqlite3") as store:
            for k, path in enumerate(recordings):
                start = dt.datetime.combine(monday + dt.timedelta(days=k), dt.time(9)).timestamp()
                import_recording(store, path, start_unix_s=start)
            t0 = time.perf_counter()
            result = rebuild(store)
            rebuild_s = time.perf_counter() - t0
            if result.sessions != DAYS or result.problems:
                raise AssertionError(f"rebuild did not cover the week: {result}")
        t0 = time.perf_counter()
        samples = [read_recording(p).samples for p in recordings]
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for s in samples:
            core_analyze(s)
        analyze_s = time.perf_counter() - t0
    n = int(sum(s.size for s in samples))
    # A real week: 7 days of 8 h worn; rebuild time grows with the samples.
    per_8h_week_s = rebuild_s * (8 * 60) / minutes
    return {
        "samples_per_s": n / rebuild_s,
        "baseline_samples_per_s": n / analyze_s,
        "samples": n,
        "simulated_minutes_per_day": minutes,
        "week_rebuild_s": rebuild_s,
        "week_analyze_only_s": analyze_s,
        "week_read_recordings_only_s": read_s,
        "estimated_rebuild_s_for_7_days_of_8h": per_8h_week_s,
    }
