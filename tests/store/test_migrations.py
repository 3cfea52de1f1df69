"""Migrating real SQLite files created with the first released schema (version 1)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dorsal.store import SCHEMA_VERSION, Store, StoreError

#: The schema as version 1 of dorsal created it, verbatim: a file made with this
#: SQL must open in every later version with nothing lost.
SCHEMA_V1 = """
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    address TEXT,
    info_json TEXT NOT NULL DEFAULT '{}',
    first_seen_unix_s REAL NOT NULL
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    source TEXT NOT NULL,
    start_unix_s REAL NOT NULL,
    end_unix_s REAL,
    recording_path TEXT
);
CREATE TABLE calibrations (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    t_unix_s REAL NOT NULL,
    calibration_json TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    start_unix_s REAL NOT NULL,
    end_unix_s REAL NOT NULL,
    figures_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_time ON events(start_unix_s);
CREATE TABLE day_summaries (
    day TEXT PRIMARY KEY,
    summary_json TEXT NOT NULL,
    updated_unix_s REAL NOT NULL
);
CREATE TABLE pain_reports (
    id INTEGER PRIMARY KEY,
    t_unix_s REAL NOT NULL,
    context_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value_json TEXT NOT NULL
);
PRAGMA user_version = 1;
"""

V1_DAY = {"day": "2025-06-02", "activity_s": {"sitting": 18000.0, "standing": 3600.0, "walking": 1800.0,
                                                "lying": 0.0, "unknown": 0.0},
          "slouch_s": 2160.0, "sitting_bouts": 9, "longest_sitting_bout_s": 4200.0, "sitting_bouts_over_limit": 4,
          "breaks": 8, "twists": 6, "stretches": [{"stretch_id": "chair-back-extension", "start_unix_s": 1.7e9,
                                                   "duration_s": 90.0, "quality": 0.7}]}


def make_v1_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V1)
    conn.execute("INSERT INTO devices (id, name, address, first_seen_unix_s) VALUES (1, 'dorsal-7f', 'AA:BB', 1.7e9)")
    conn.execute("INSERT INTO sessions VALUES ('s1', 1, 'live', 1.7e9, 1.7e9 + 3600, 'rec/2025-06-02.drec')")
    conn.execute("INSERT INTO sessions VALUES ('s2', 1, 'live', 1.8e9, NULL, NULL)")
    conn.execute("INSERT INTO calibrations (device_id, t_unix_s, calibration_json) VALUES (1, 1.7e9, ?)",
                 (json.dumps({"neutral": [1, 0, 0, 0], "source": "calibrated"}),))
    conn.execute("INSERT INTO events (session_id, kind, start_unix_s, end_unix_s, figures_json) "
                 "VALUES ('s1', 'twist', 1.7e9 + 10, 1.7e9 + 12, '{\"rotation_deg\": 33}')")
    conn.execute("INSERT INTO day_summaries VALUES ('2025-06-02', ?, 1.7e9)", (json.dumps(V1_DAY),))
    conn.execute("INSERT INTO pain_reports (t_unix_s, context_json) VALUES (1.7e9 + 100, '{\"stretch\": \"rocking\"}')")
    conn.execute("INSERT INTO settings VALUES ('twist_limit_per_day', '3')")
    conn.commit()
    conn.close()


def test_a_version_1_file_is_migrated_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    make_v1_file(path)
    with Store(path) as store:
        assert store.migrated_from == 1
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == "ok"
        assert store.latest_calibration("dorsal-7f") == {"neutral": [1, 0, 0, 0], "source": "calibrated"}
        sessions = {s.session_id: s for s in store.sessions()}
        assert sessions["s1"].recordings == ("rec/2025-06-02.drec",)  # moved into the recordings table
        assert sessions["s2"].recordings == ()
        assert store.events(kind="twist")[0].figures == {"rotation_deg": 33}
        assert store.pain_reports()[0].context == {"stretch": "rocking"}
        assert store.get_setting("twist_limit_per_day") == 3
        day = store.day("2025-06-02")
        assert day.activity_s["sitting"] == 18000.0 and day.breaks == 8 and day.twists == 6
        assert day.twist_limit_per_day == 3 and day.twists_over_limit == 3
        assert day.stretches[0].stretch_id == "chair-back-extension"
        assert "2025-06-02" in store.days()
        # the migrated file takes new writes like a new one
        sid = store.start_session("dorsal-7f", 1.9e9, recording="rec/new.drec")
        assert sid in {s.session_id for s in store.sessions()}
    with Store(path) as again:
        assert again.migrated_from == SCHEMA_VERSION  # nothing left to do the second time


def test_a_failed_migration_leaves_the_old_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    make_v1_file(path)
    # A stray table of the same name makes migration 2 fail halfway through.
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE session_days (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="cannot open the history database.*already exists"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT recording_path FROM sessions WHERE id = 's1'").fetchone()[0] == "rec/2025-06-02.drec"
    assert conn.execute("SELECT count(*) FROM day_summaries").fetchone()[0] == 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
