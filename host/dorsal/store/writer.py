"""Writing to the store without ever blocking the caller (the dashboard).

Calls are queued and return at once; a thread owning its own connection
commits everything queued as one transaction at least every ``commit_every_s``
(0.5 s by default: a killed process loses at most the last second).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from typing import Any, Mapping

from dorsal.report.figures import DayFigures
from dorsal.store.store import Store

_STOP = object()


class BackgroundWriter:
    """The store's write methods, queued: ``log_pain``, ``add_event``, ``start_session``,
    ``add_recording``, ``end_session``, ``save_calibration``, ``record_analysis``,
    ``put_day_figures``, ``set_setting``. Each returns immediately.

    ``errors`` collects exceptions raised while writing (the UI can show them);
    ``flush()`` waits until everything queued so far is committed.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, commit_every_s: float = 0.5) -> None:
        self.path = path
        self.commit_every_s = commit_every_s
        self.errors: list[BaseException] = []
        self.committed = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dorsal-store-writer", daemon=True)
        self._thread.start()
        self._opened.wait()

    # -- queued writes ------------------------------------------------------------

    def _put(self, method: str, *args: Any, **kwargs: Any) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the store writer is closed")
        self._queue.put((method, args, kwargs))

    def start_session(self, device: str | None = None, start_unix_s: float | None = None, source: str = "live",
                      recording: str | os.PathLike[str] | None = None) -> str:
        sid = uuid.uuid4().hex
        self._put("start_session", device, time.time() if start_unix_s is None else start_unix_s, source,
                  recording, sid)
        return sid

    def add_recording(self, session_id: str, path: str | os.PathLike[str], start_unix_s: float | None = None) -> None:
        self._put("add_recording", session_id, path, time.time() if start_unix_s is None else start_unix_s)

    def end_session(self, session_id: str, end_unix_s: float | None = None) -> None:
        self._put("end_session", session_id, time.time() if end_unix_s is None else end_unix_s)

    def add_event(self, session_id: str | None, kind: str, start_unix_s: float, end_unix_s: float,
                  figures: Mapping[str, Any] | None = None) -> None:
        self._put("add_event", session_id, kind, start_unix_s, end_unix_s, dict(figures or {}))

    def log_pain(self, t_unix_s: float | None = None, context: Mapping[str, Any] | None = None) -> None:
        self._put("log_pain", time.time() if t_unix_s is None else t_unix_s, dict(context or {}))

    def save_calibration(self, device: str, calibration: Mapping[str, Any], t_unix_s: float | None = None) -> None:
        self._put("save_calibration", device, dict(calibration), time.time() if t_unix_s is None else t_unix_s)

    def record_analysis(self, session_id: str, analysis: Mapping[str, Any], start_unix_s: float,
                        analysis_version: str = "") -> None:
        self._put("record_analysis", session_id, analysis, start_unix_s, analysis_version)

    def put_day_figures(self, session_id: str, figures: DayFigures) -> None:
        self._put("put_day_figures", session_id, figures)

    def set_setting(self, key: str, value: Any) -> None:
        self._put("set_setting", key, value)

    # -- control ------------------------------------------------------------------

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued before this call is committed; False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 30.0) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout_s)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            store = Store(self.path)
        except BaseException as exc:  # reported to the owner, who sees a dead writer
            self.errors.append(exc)
            self._opened.set()
            return
        self._opened.set()
        try:
            stop = False
            while not stop:
                item = self._queue.get()
                batch = [item]
                deadline = time.monotonic() + self.commit_every_s
                # Gather what arrives within the commit interval into one transaction.
                while item is not _STOP and not isinstance(item, threading.Event):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=left)
                    except queue.Empty:
                        break
                    batch.append(item)
                stop = self._commit(store, batch)
        finally:
            store.close()

    def _commit(self, store: Store, batch: list[Any]) -> bool:
        writes = [b for b in batch if isinstance(b, tuple)]
        if writes:
            try:
                with store.transaction():
                    for method, args, kwargs in writes:
                        getattr(store, method)(*args, **kwargs)
                self.committed += len(writes)
            except Exception as exc:
                # One bad write must not lose the others: retry them one by one.
                self.errors.append(exc)
                for method, args, kwargs in writes:
                    try:
                        getattr(store, method)(*args, **kwargs)
                        self.committed += 1
                    except Exception as one:
                        self.errors.append(one)
        for b in batch:
            if isinstance(b, threading.Event):
                b.set()
        return any(b is _STOP for b in batch)
