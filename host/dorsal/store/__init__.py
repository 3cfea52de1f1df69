"""The history store: SQLite (WAL) with versioned migrations, a non-blocking writer, rebuild and export.

    from dorsal.store import Store, BackgroundWriter
    store = Store()                      # under dorsal.paths.data_home() ($DORSAL_HOME overrides)
    store.save_calibration("dorsal-1a2b", calibration.to_dict())
    store.latest_calibration("dorsal-1a2b")
    writer = BackgroundWriter()          # for the dashboard: every call returns at once
    sid = writer.start_session("dorsal-1a2b", recording="today.drec")
    writer.add_event(sid, "twist", t0, t1, {"rotation_deg": 31})
    writer.log_pain(context={"stretch": "seated-twist"})
    writer.record_analysis(sid, analysis.to_json(timeline=True), start_unix_s)
    writer.close()
"""

from dorsal.store.schema import SCHEMA_VERSION
from dorsal.store.store import (
    DB_NAME,
    PainReport,
    SessionInfo,
    Store,
    StoredEvent,
    StoreError,
    day_bounds,
    default_path,
)
from dorsal.store.writer import BackgroundWriter

__all__ = [
    "DB_NAME",
    "SCHEMA_VERSION",
    "BackgroundWriter",
    "PainReport",
    "SessionInfo",
    "Store",
    "StoreError",
    "StoredEvent",
    "day_bounds",
    "default_path",
]
