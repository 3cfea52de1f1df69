"""Re-analysis: rebuild the events and day figures of stored sessions from their recording files.

Used after the detectors improve, or to add recordings made elsewhere. Each
session is replaced in one transaction, so an interrupted rebuild leaves every
session either as it was or fully rebuilt. A recording that cannot be read is
reported and its session keeps what it had.

A recording is analysed with the neutral posture the wearer had then: the
calibration written in its header (a session recorded while calibrated), else
the device's calibration in effect when the session started (the store's
history), else the core estimates one from the data, as the dashboard would.
The calibration and settings changes the live analysis took (the recording's
analysis notes: the stored calibration it started with, recalibrations, the
coach's extension limit) apply at the seconds they applied live.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

import numpy as np

from dorsal.errors import DorsalError
from dorsal.recording import AnalysisInput, RecordingError, analysis_input, read_recording
from dorsal.store.store import Store

#: analyze(samples SAMPLE_DTYPE (N,), calibration as stored or None, the changes the live analysis took
#: (core.analyze's ``changes``)) -> the analysis JSON shape with a per-second timeline.
AnalyzeFn = Callable[[np.ndarray, Mapping[str, Any] | None, Sequence[tuple[float, Any]]], Mapping[str, Any]]
#: progress(done_samples, total_samples, label)
ProgressFn = Callable[[int, int, str], None]


def core_analyze(samples: np.ndarray, calibration: Mapping[str, Any] | None = None,
                 changes: Sequence[tuple[float, Any]] = ()) -> Mapping[str, Any]:
    """The product's own analysis (dorsal.core), as JSON with its timeline."""
    try:
        from dorsal.core import Calibration, analyze
    except ImportError as exc:
        raise DorsalError(f"the analysis core is not available ({exc}); nothing was rebuilt") from None
    cal = Calibration.from_dict(dict(calibration)) if calibration and "neutral" in calibration else None
    return analyze(samples, calibration=cal, changes=changes).to_json(timeline=True)


def _analyse(store: Store, inp: AnalysisInput, device: str | None, start_unix_s: float, header: Mapping[str, Any],
             analyze: AnalyzeFn) -> Mapping[str, Any]:
    """A recording's analysis with the neutral it started with and the changes its live analysis took."""
    changes: Sequence[tuple[float, Any]] = ()
    if inp.changes:  # (the core is imported only then: core_analyze says so when it is missing)
        from dorsal.core import Settings

        changes = inp.scheduled(Settings())
    return analyze(inp.samples, calibration_for(store, header, device, start_unix_s), changes)


def device_name(header: Mapping[str, Any]) -> str | None:
    """The wearable's name from a recording header (its device info, or a plain name)."""
    dev = header.get("device") or header.get("name")
    if isinstance(dev, Mapping):
        dev = dev.get("name")
    return str(dev) if dev else None


def calibration_for(store: Store, header: Mapping[str, Any], device: str | None,
                    start_unix_s: float) -> Mapping[str, Any] | None:
    """The neutral of a recording: its header's calibration, else the device's in effect at the start."""
    cal = header.get("calibration")
    if isinstance(cal, Mapping) and "neutral" in cal:
        return cal
    return store.calibration_at(device, start_unix_s) if device else None


def analysis_version() -> str:
    import dorsal

    try:
        import dorsal.core as core

        return f"dorsal {dorsal.__version__} core {getattr(core, '__version__', dorsal.__version__)}"
    except ImportError:
        return f"dorsal {dorsal.__version__}"


@dataclass
class RebuildResult:
    sessions: int = 0
    recordings: int = 0
    samples: int = 0
    days: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class ProgressBar:
    """A one-line progress bar on a terminal (stderr), redrawn at most 10 times a second."""

    def __init__(self, stream: IO[str] | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        share = done / total if total else 1.0
        filled = int(round(share * self.width))
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {100 * share:3.0f}% {label[:40]:<40}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def import_recording(store: Store, path: str | os.PathLike[str], device: str | None = None,
                     start_unix_s: float | None = None, analyze: AnalyzeFn = core_analyze) -> str:
    """Add a recording file as a new session and analyse it; returns the session id.

    ``start_unix_s`` places it on the calendar (default: the recording header's start time).
    """
    rec = read_recording(path)
    start = float(rec.header.get("start_unix_s", time.time())) if start_unix_s is None else float(start_unix_s)
    dev = device or device_name(rec.header)
    sid = store.start_session(dev, start, source="import", recording=path)
    end = start + (float(rec.samples["t_s"][-1] - rec.samples["t_s"][0]) if rec.samples.size else 0.0)
    store.end_session(sid, end)
    inp = analysis_input(rec)
    if inp.samples.size:
        store.record_analysis(sid, _analyse(store, inp, dev, start, rec.header, analyze), start, analysis_version())
    return sid


def rebuild(store: Store, analyze: AnalyzeFn = core_analyze, progress: ProgressFn | None = None,
            sessions: list[str] | None = None) -> RebuildResult:
    """Re-analyse every session that has recordings (or the given ones); progress is by samples."""
    t0 = time.perf_counter()
    result = RebuildResult()
    todo = [s for s in store.sessions() if s.recordings and (sessions is None or s.session_id in sessions)]
    # Sizes first so the bar moves in proportion to the work.
    sizes = {p: Path(p).stat().st_size if Path(p).exists() else 0 for s in todo for p in s.recordings}
    total = sum(sizes.values()) or 1
    done = 0
    version = analysis_version()
    for s in todo:
        analyses: list[tuple[Mapping[str, Any], float]] = []
        failed = False
        for path, start in store.recording_starts(s.session_id):
            label = Path(path).name
            if progress:
                progress(done, total, label)
            try:
                rec = read_recording(path)
            except RecordingError as exc:
                result.problems.append(f"{exc}; session {s.session_id[:8]} kept as it was")
                failed = True
                break
            inp = analysis_input(rec)
            result.problems += [f"{path}: {p}" for p in rec.problems + inp.problems]
            if inp.samples.size:
                analyses.append((_analyse(store, inp, s.device, s.start_unix_s, rec.header, analyze), start))
                result.samples += int(rec.samples.size)
            result.recordings += 1
            done += sizes.get(path, 0)
        if failed:
            continue
        with store.transaction():
            first = True
            for analysis, start in analyses:
                result.days.update(store.record_analysis(s.session_id, analysis, start, version, replace=first))
                first = False
        result.sessions += 1
    if progress:
        progress(total, total, "done")
    result.seconds = time.perf_counter() - t0
    return result
