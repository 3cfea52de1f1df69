"""The store's SQLite schema as numbered migrations.

``PRAGMA user_version`` holds the schema version of a file. Opening a file runs
every migration above its version, each in its own transaction, so a crash
during an upgrade leaves the file at the last completed version. Never edit a
released migration: add a new one.
"""

from __future__ import annotations

import sqlite3

#: Version 1: the first released layout. A session had one recording file
#: (``sessions.recording_path``) and day summaries were per day only.
_V1 = """
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
"""

#: Version 2: a session can have several recording files (a reconnect starts a
#: new file); day figures are kept per session and day, so re-analysing one
#: session replaces only its share of a day; pain reports get a day index.
_V2 = """
CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    start_unix_s REAL NOT NULL,
    UNIQUE(session_id, path)
);
INSERT INTO recordings (session_id, path, start_unix_s)
    SELECT id, recording_path, start_unix_s FROM sessions WHERE recording_path IS NOT NULL;
ALTER TABLE sessions DROP COLUMN recording_path;
CREATE TABLE session_days (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    analysis_version TEXT NOT NULL DEFAULT '',
    updated_unix_s REAL NOT NULL,
    PRIMARY KEY (session_id, day)
);
CREATE TABLE legacy_days (
    day TEXT PRIMARY KEY,
    figures_json TEXT NOT NULL
);
INSERT INTO legacy_days (day, figures_json) SELECT day, summary_json FROM day_summaries;
DROP TABLE day_summaries;
CREATE INDEX session_days_by_day ON session_days(day);
CREATE INDEX pain_by_time ON pain_reports(t_unix_s);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file up to SCHEMA_VERSION; returns the version it had before.

    ``conn`` must be in autocommit mode (isolation_level=None): each step is
    one explicit transaction that also sets user_version.
    """
    before = schema_version(conn)
    if before > SCHEMA_VERSION:
        from dorsal.errors import DorsalError

        raise DorsalError(
            f"the history database has schema version {before}, newer than this dorsal understands "
            f"({SCHEMA_VERSION}); update dorsal"
        )
    for version in range(before + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= version:
                # Another process upgraded the file while we waited for the lock.
                conn.execute("COMMIT")
                continue
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return before


def _statements(script: str) -> list[str]:
    # executescript() would commit on its own; split so the migration stays one transaction.
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError("incomplete SQL statement in a migration")
    return out
