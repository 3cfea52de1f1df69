"""The history store: one SQLite file (WAL) under the user's data folder.

Every write is a short transaction; the dashboard writes through
``BackgroundWriter`` (dorsal.store.writer) so it never waits on the disk.
WAL mode with ``synchronous=NORMAL`` keeps the file consistent when the
process is killed at any moment: a killed process loses only transactions it
had not committed (the background writer commits at least every second).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from dorsal.errors import DorsalError
from dorsal.report.figures import DayFigures, FigureSettings, day_figures_from_analysis, local_day, merge_days
from dorsal.store.schema import SCHEMA_VERSION, migrate

DB_NAME = "history.sqlite3"
#: A reader or writer waits this long for the other's lock before giving up.
BUSY_TIMEOUT_MS = 10_000


class StoreError(DorsalError):
    """The history database cannot be opened or used."""


@dataclass(frozen=True)
class SessionInfo:
    """One watching session: its device, time span and recording files."""

    session_id: str
    device: str | None
    source: str
    start_unix_s: float
    end_unix_s: float | None
    recordings: tuple[str, ...]


@dataclass(frozen=True)
class StoredEvent:
    """An event on the calendar (unix seconds) with its figures."""

    session_id: str | None
    kind: str
    start_unix_s: float
    end_unix_s: float
    figures: dict[str, Any]


@dataclass(frozen=True)
class PainReport:
    t_unix_s: float
    context: dict[str, Any]


def default_path() -> Path:
    from dorsal.paths import data_home

    return data_home() / DB_NAME


class Store:
    """Devices, sessions and their recordings, calibrations, events, day figures, pain reports, settings.

    ``Store(path=None)`` opens (creating and migrating) the database at
    ``path`` or under ``dorsal.paths.data_home()``. One Store per thread:
    sqlite connections are not shared across threads.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self.migrated_from = migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the history database ({exc})") from None
        self._depth = 0
        self._lock = threading.RLock()

    # -- plumbing -----------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic transaction (nests: only the outermost commits)."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def integrity_check(self) -> str:
        return str(self._one("PRAGMA integrity_check"))

    # -- devices and calibrations -------------------------------------------------

    def device_id(self, name: str, address: str | None = None, info: Mapping[str, Any] | None = None) -> int:
        """The id of a device by name, adding it on first sight."""
        with self.transaction():
            found = self._one("SELECT id FROM devices WHERE name = ?", (name,))
            if found is not None:
                if address is not None or info is not None:
                    self._conn.execute(
                        "UPDATE devices SET address = COALESCE(?, address), info_json = COALESCE(?, info_json) "
                        "WHERE id = ?", (address, None if info is None else json.dumps(dict(info)), found))
                return int(found)
            cur = self._conn.execute(
                "INSERT INTO devices (name, address, info_json, first_seen_unix_s) VALUES (?, ?, ?, ?)",
                (name, address, json.dumps(dict(info or {})), time.time()))
            return int(cur.lastrowid or 0)

    def devices(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM devices ORDER BY name")]

    def save_calibration(self, device: str, calibration: Mapping[str, Any], t_unix_s: float | None = None) -> None:
        """Keep a calibration (``dorsal.core.Calibration`` as a dict) for a device; older ones stay as history."""
        with self.transaction():
            dev = self.device_id(device)
            self._conn.execute(
                "INSERT INTO calibrations (device_id, t_unix_s, calibration_json) VALUES (?, ?, ?)",
                (dev, time.time() if t_unix_s is None else t_unix_s, json.dumps(dict(calibration))))

    def latest_calibration(self, device: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT c.calibration_json FROM calibrations c JOIN devices d ON d.id = c.device_id "
            "WHERE d.name = ? ORDER BY c.t_unix_s DESC, c.id DESC LIMIT 1", (device,))
        return None if row is None else dict(json.loads(row))

    def calibration_at(self, device: str, t_unix_s: float) -> dict[str, Any] | None:
        """The calibration in effect for a device at a time: the latest one saved at or before it."""
        row = self._one(
            "SELECT c.calibration_json FROM calibrations c JOIN devices d ON d.id = c.device_id "
            "WHERE d.name = ? AND c.t_unix_s <= ? ORDER BY c.t_unix_s DESC, c.id DESC LIMIT 1",
            (device, float(t_unix_s)))
        return None if row is None else dict(json.loads(row))

    # -- sessions and recordings --------------------------------------------------

    def start_session(self, device: str | None = None, start_unix_s: float | None = None, source: str = "live",
                      recording: str | os.PathLike[str] | None = None, session_id: str | None = None) -> str:
        """A new session; returns its id (give ``session_id`` to choose it, e.g. from a background writer)."""
        sid = session_id or uuid.uuid4().hex
        start = time.time() if start_unix_s is None else float(start_unix_s)
        with self.transaction():
            dev = self.device_id(device) if device else None
            self._conn.execute(
                "INSERT OR IGNORE INTO sessions (id, device_id, source, start_unix_s) VALUES (?, ?, ?, ?)",
                (sid, dev, source, start))
            if recording is not None:
                self.add_recording(sid, recording, start)
        return sid

    def add_recording(self, session_id: str, path: str | os.PathLike[str], start_unix_s: float | None = None) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO recordings (session_id, path, start_unix_s) VALUES (?, ?, ?)",
                (session_id, str(Path(path).resolve()), time.time() if start_unix_s is None else start_unix_s))

    def end_session(self, session_id: str, end_unix_s: float | None = None) -> None:
        with self.transaction():
            self._conn.execute("UPDATE sessions SET end_unix_s = ? WHERE id = ?",
                               (time.time() if end_unix_s is None else end_unix_s, session_id))

    def sessions(self) -> list[SessionInfo]:
        rows = self._conn.execute(
            "SELECT s.id, d.name, s.source, s.start_unix_s, s.end_unix_s FROM sessions s "
            "LEFT JOIN devices d ON d.id = s.device_id ORDER BY s.start_unix_s").fetchall()
        recs: dict[str, list[str]] = {}
        for sid, path in self._conn.execute("SELECT session_id, path FROM recordings ORDER BY start_unix_s, id"):
            recs.setdefault(sid, []).append(path)
        return [SessionInfo(r[0], r[1], r[2], r[3], r[4], tuple(recs.get(r[0], ()))) for r in rows]

    def recording_starts(self, session_id: str) -> list[tuple[str, float]]:
        return [(p, s) for p, s in self._conn.execute(
            "SELECT path, start_unix_s FROM recordings WHERE session_id = ? ORDER BY start_unix_s, id",
            (session_id,))]

    # -- events -------------------------------------------------------------------

    def add_event(self, session_id: str | None, kind: str, start_unix_s: float, end_unix_s: float,
                  figures: Mapping[str, Any] | None = None) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO events (session_id, kind, start_unix_s, end_unix_s, figures_json) VALUES (?, ?, ?, ?, ?)",
                (session_id, kind, float(start_unix_s), float(end_unix_s), json.dumps(dict(figures or {}))))

    def events(self, start_unix_s: float = float("-inf"), end_unix_s: float = float("inf"),
               kind: str | None = None) -> list[StoredEvent]:
        sql = "SELECT session_id, kind, start_unix_s, end_unix_s, figures_json FROM events " \
              "WHERE start_unix_s >= ? AND start_unix_s < ?"
        args: list[Any] = [max(start_unix_s, -1e18), min(end_unix_s, 1e18)]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return [StoredEvent(r[0], r[1], r[2], r[3], json.loads(r[4]))
                for r in self._conn.execute(sql + " ORDER BY start_unix_s, id", args)]

    # -- analyses and day figures -------------------------------------------------

    def figure_settings(self) -> FigureSettings:
        return FigureSettings.from_dict(self.settings())

    def record_analysis(self, session_id: str, analysis: Mapping[str, Any], start_unix_s: float,
                        analysis_version: str = "", replace: bool = True) -> list[str]:
        """Store a session's analysis (JSON shape, with timeline): its events and its figures per day.

        With ``replace`` (the default) it replaces whatever the session had
        before, so re-analysis is idempotent; without, it adds to it (a
        session's second recording file). Returns the days touched.
        """
        figures = day_figures_from_analysis(analysis, start_unix_s, self.figure_settings())
        tl = analysis.get("timeline")
        t0 = _first_t(tl)
        offset = start_unix_s - t0
        now = time.time()
        with self.transaction():
            if replace:
                self._conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
                self._conn.execute("DELETE FROM session_days WHERE session_id = ?", (session_id,))
            else:
                for day, f in list(figures.items()):
                    row = self._one("SELECT figures_json FROM session_days WHERE session_id = ? AND day = ?",
                                    (session_id, day))
                    if row is not None:
                        figures[day] = merge_days([DayFigures.from_dict(json.loads(row)), f], day)
            rows = []
            for e in analysis.get("events") or []:
                e = e if isinstance(e, Mapping) else {"kind": e.kind, "start_s": e.start_s, "end_s": e.end_s,
                                                      "figures": dict(e.figures)}
                figs = {k: v for k, v in e.items() if k not in ("kind", "start_s", "end_s", "figures")}
                figs.update(e.get("figures") or {})
                rows.append((session_id, e["kind"], float(e["start_s"]) + offset, float(e["end_s"]) + offset,
                             json.dumps(figs)))
            self._conn.executemany(
                "INSERT INTO events (session_id, kind, start_unix_s, end_unix_s, figures_json) VALUES (?, ?, ?, ?, ?)",
                rows)
            self._conn.executemany(
                "INSERT OR REPLACE INTO session_days (session_id, day, figures_json, analysis_version, updated_unix_s) "
                "VALUES (?, ?, ?, ?, ?)",
                [(session_id, day, json.dumps(f.to_dict()), analysis_version, now) for day, f in figures.items()])
        return sorted(figures)

    def put_day_figures(self, session_id: str, figures: DayFigures, analysis_version: str = "") -> None:
        """Store (replace) one session's share of one day, e.g. the dashboard's running figures."""
        with self.transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO session_days (session_id, day, figures_json, analysis_version, "
                "updated_unix_s) VALUES (?, ?, ?, ?, ?)",
                (session_id, figures.day, json.dumps(figures.to_dict()), analysis_version, time.time()))

    def days(self) -> list[str]:
        """Every day that has figures or pain reports, oldest first."""
        found = {r[0] for r in self._conn.execute("SELECT DISTINCT day FROM session_days")}
        found |= {r[0] for r in self._conn.execute("SELECT day FROM legacy_days")}
        found |= {local_day(r[0]) for r in self._conn.execute("SELECT t_unix_s FROM pain_reports")}
        return sorted(found)

    def day(self, day: str) -> DayFigures:
        """The merged figures of one day (all its sessions), with its pain reports counted."""
        parts = [DayFigures.from_dict(json.loads(r[0])) for r in self._conn.execute(
            "SELECT figures_json FROM session_days WHERE day = ? ORDER BY session_id", (day,))]
        parts += [DayFigures.from_dict(json.loads(r[0])) for r in self._conn.execute(
            "SELECT figures_json FROM legacy_days WHERE day = ?", (day,))]
        merged = merge_days(parts, day)
        merged.pain_reports = len(self.pain_reports_on(day))
        settings = self.figure_settings()
        merged.sitting_limit_s = settings.sitting_limit_s
        merged.twist_limit_per_day = settings.twist_limit_per_day
        return merged

    # -- pain ---------------------------------------------------------------------

    def log_pain(self, t_unix_s: float | None = None, context: Mapping[str, Any] | None = None) -> None:
        """A pain report (e.g. the stop-on-pain key during a stretch), with what was going on."""
        with self.transaction():
            self._conn.execute("INSERT INTO pain_reports (t_unix_s, context_json) VALUES (?, ?)",
                               (time.time() if t_unix_s is None else float(t_unix_s), json.dumps(dict(context or {}))))

    def pain_reports(self, start_unix_s: float = float("-inf"), end_unix_s: float = float("inf")) -> list[PainReport]:
        return [PainReport(r[0], json.loads(r[1])) for r in self._conn.execute(
            "SELECT t_unix_s, context_json FROM pain_reports WHERE t_unix_s >= ? AND t_unix_s < ? "
            "ORDER BY t_unix_s", (max(start_unix_s, -1e18), min(end_unix_s, 1e18)))]

    def pain_reports_on(self, day: str) -> list[PainReport]:
        start, end = day_bounds(day)
        return self.pain_reports(start, end)

    # -- settings -----------------------------------------------------------------

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self._conn.execute("INSERT OR REPLACE INTO settings (key, value_json) VALUES (?, ?)",
                               (key, json.dumps(value)))

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._one("SELECT value_json FROM settings WHERE key = ?", (key,))
        return default if row is None else json.loads(row)

    def settings(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value_json FROM settings")}

    # -- retention and export -----------------------------------------------------

    def delete_day(self, day: str) -> None:
        """Forget one day: its figures, events and pain reports (recording files stay on disk)."""
        start, end = day_bounds(day)
        with self.transaction():
            self._conn.execute("DELETE FROM session_days WHERE day = ?", (day,))
            self._conn.execute("DELETE FROM legacy_days WHERE day = ?", (day,))
            self._conn.execute("DELETE FROM events WHERE start_unix_s >= ? AND start_unix_s < ?", (start, end))
            self._conn.execute("DELETE FROM pain_reports WHERE t_unix_s >= ? AND t_unix_s < ?", (start, end))

    def delete_all(self) -> None:
        """Forget everything: history, devices, calibrations and settings."""
        with self.transaction():
            for table in ("events", "session_days", "legacy_days", "recordings", "sessions", "calibrations",
                          "pain_reports", "devices", "settings"):
                self._conn.execute(f"DELETE FROM {table}")
        self._conn.execute("VACUUM")

    def export(self) -> dict[str, Any]:
        """Everything in the store as one JSON-ready object."""
        return {
            "schema_version": SCHEMA_VERSION,
            "days": [self.day(d).to_dict() for d in self.days()],
            "events": [e.__dict__ for e in self.events()],
            "pain_reports": [p.__dict__ for p in self.pain_reports()],
            "sessions": [{**s.__dict__, "recordings": list(s.recordings)} for s in self.sessions()],
            "settings": self.settings(),
        }

    def export_json(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.export(), indent=1, sort_keys=True))

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """One row per day with its figures (the shape `dorsal report --csv` writes)."""
        from dorsal.report.build import DAY_CSV_COLUMNS, day_csv_row

        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(DAY_CSV_COLUMNS)
            for d in self.days():
                w.writerow(day_csv_row(self.day(d)))


def day_bounds(day: str) -> tuple[float, float]:
    """Unix seconds of a local day's first instant and of the next day's."""
    import datetime as dt

    d = dt.date.fromisoformat(day)
    start = dt.datetime.combine(d, dt.time()).timestamp()
    end = dt.datetime.combine(d + dt.timedelta(days=1), dt.time()).timestamp()
    return start, end


def _first_t(timeline: Any) -> float:
    from dorsal.report.figures import timeline_from_json

    tl = timeline_from_json(timeline)
    return float(tl.t_s[0]) if tl.t_s.size else 0.0
