"""The dashboard writing (background writer) while `dorsal report` reads the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from store_fixtures import at, desk_day  # type: ignore[import-not-found]

from dorsal.store import BackgroundWriter, Store

DORSAL = str(Path(sys.executable).with_name("dorsal"))
DAY = "2026-03-10"


def test_reports_run_while_the_dashboard_writes(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    env = {**os.environ, "DORSAL_HOME": str(tmp_path)}
    worn: list[float] = []
    with BackgroundWriter(db, commit_every_s=0.2) as writer:
        sid = writer.start_session("dorsal-1", at(DAY, 8))
        minutes = 10
        reports = []
        for step in range(6):
            # The dashboard's running figures grow every step, with events as they end.
            minutes += 10
            analysis = desk_day([("sitting", 60 * minutes)], twists=[float(60 * k) for k in range(step + 1)])
            writer.record_analysis(sid, analysis, at(DAY, 8))
            for k in range(200):
                writer.add_event(sid, "slouch", at(DAY, 8) + step * 600 + k, at(DAY, 8) + step * 600 + k + 1)
            writer.log_pain(at(DAY, 9) + step)
            reports.append(subprocess.Popen([DORSAL, "report", "--day", DAY, "--json"], env=env,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            if len(reports) >= 2:
                out, err = reports[-2].communicate(timeout=120)
                assert reports[-2].returncode == 0, err
                worn.append(json.loads(out)["days"][0]["worn_s"])
        out, err = reports[-1].communicate(timeout=120)
        assert reports[-1].returncode == 0, err
        worn.append(json.loads(out)["days"][0]["worn_s"])
        assert writer.flush()
        assert writer.errors == []
    # Every report saw a consistent state: figures only ever grow while the dashboard writes.
    assert worn == sorted(worn)
    with Store(db) as store:
        final = store.day(DAY)
        assert final.activity_s["sitting"] == 60 * 70
        assert final.twists == 6 and final.pain_reports == 6
        assert store.integrity_check() == "ok"
