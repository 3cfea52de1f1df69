"""The history store on real SQLite files: calibrations, sessions, events, day figures, pain, settings,
retention and export."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from store_fixtures import at, desk_day  # type: ignore[import-not-found]

from dorsal.errors import DorsalError
from dorsal.store import SCHEMA_VERSION, BackgroundWriter, Store, StoreError


def test_default_location_follows_dorsal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORSAL_HOME", str(tmp_path / "home"))
    with Store() as store:
        assert store.path.parent == tmp_path / "home"
        assert store.schema_version == SCHEMA_VERSION
    assert (tmp_path / "home" / "history.sqlite3").exists()
    journal = sqlite3.connect(tmp_path / "home" / "history.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_latest_calibration_is_per_device(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        assert store.latest_calibration("a") is None
        store.save_calibration("a", {"neutral": [1, 0, 0, 0], "source": "calibrated"}, t_unix_s=100)
        store.save_calibration("b", {"neutral": [0, 1, 0, 0], "source": "estimated"}, t_unix_s=150)
        store.save_calibration("a", {"neutral": [0.9, 0.1, 0, 0], "source": "calibrated"}, t_unix_s=200)
        assert store.latest_calibration("a") == {"neutral": [0.9, 0.1, 0, 0], "source": "calibrated"}
        assert store.latest_calibration("b")["source"] == "estimated"
        assert sorted(store.devices()) == ["a", "b"]
    # and it is still there after reopening
    with Store(tmp_path / "h.db") as store:
        assert store.latest_calibration("a")["neutral"][0] == 0.9


def test_the_calibration_in_effect_at_a_time_is_the_last_one_before_it(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        store.save_calibration("a", {"neutral": [1, 0, 0, 0]}, t_unix_s=100)
        store.save_calibration("a", {"neutral": [0.9, 0.1, 0, 0]}, t_unix_s=200)
        store.save_calibration("b", {"neutral": [0, 1, 0, 0]}, t_unix_s=150)
        assert store.calibration_at("a", 99) is None
        assert store.calibration_at("a", 100)["neutral"] == [1, 0, 0, 0]
        assert store.calibration_at("a", 199)["neutral"] == [1, 0, 0, 0]
        assert store.calibration_at("a", 1e9)["neutral"] == [0.9, 0.1, 0, 0]
        assert store.calibration_at("c", 1e9) is None


def test_sessions_keep_their_recording_files(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        sid = store.start_session("dorsal-1", 1000.0, recording=tmp_path / "a.drec")
        store.add_recording(sid, tmp_path / "b.drec", 2000.0)
        store.end_session(sid, 3000.0)
        (s,) = store.sessions()
        assert s.device == "dorsal-1" and s.end_unix_s == 3000.0
        assert [Path(p).name for p in s.recordings] == ["a.drec", "b.drec"]


def test_a_morning_gives_the_figures_of_its_script(tmp_path: Path, morning: dict) -> None:
    day = "2026-03-10"
    with Store(tmp_path / "h.db") as store:
        sid = store.start_session("d", at(day, 9))
        assert store.record_analysis(sid, morning, at(day, 9)) == [day]
        f = store.day(day)
    assert f.activity_s["sitting"] == 3000 + 1200 + 1200
    assert f.activity_s["walking"] == 300 and f.activity_s["standing"] == 630
    # the 30 s stand does not end the bout: bouts are 50 min and 20 + 0.5 + 20 min
    assert f.sitting_bouts == 2
    assert f.longest_sitting_bout_s == 3000
    assert f.sitting_bouts_over_limit == 2
    assert f.breaks == 2  # the walk and the final standing
    assert f.slouch_s == 600
    assert f.slouch_share == pytest.approx(600 / (5400 + 630))
    assert f.twists == 2 and len(f.stretches) == 1 and f.stretch_quality == pytest.approx(0.8)
    # hour strip: 09:00-10:00 is all sitting; 10:00 has the walk
    assert f.hourly_activity_s["sitting"][9] == 3300 and f.hourly_activity_s["sitting"][10] == 2100
    assert sum(f.hourly_activity_s["walking"]) == 300 and f.hourly_activity_s["walking"][9] == 300
    assert sum(f.hourly_slouch_s) == 600 and f.hourly_slouch_s[9] == 600


def test_re_analysis_replaces_a_session_instead_of_adding_to_it(tmp_path: Path, morning: dict) -> None:
    day = "2026-03-10"
    with Store(tmp_path / "h.db") as store:
        sid = store.start_session("d", at(day, 9))
        store.record_analysis(sid, morning, at(day, 9))
        store.record_analysis(sid, morning, at(day, 9))
        assert store.day(day).activity_s["sitting"] == 5400
        assert len(store.events(kind="twist")) == 2
        other = store.start_session("d", at(day, 14))
        store.record_analysis(other, morning, at(day, 14))
        merged = store.day(day)
    assert merged.activity_s["sitting"] == 2 * 5400 and merged.twists == 4 and merged.sitting_bouts == 4


def test_a_session_across_midnight_is_split_into_two_days(tmp_path: Path) -> None:
    analysis = desk_day([("sitting", 7200)], twists=[600.0, 5400.0])
    with Store(tmp_path / "h.db") as store:
        sid = store.start_session("d", at("2026-03-10", 23))
        assert store.record_analysis(sid, analysis, at("2026-03-10", 23)) == ["2026-03-10", "2026-03-11"]
        a, b = store.day("2026-03-10"), store.day("2026-03-11")
    assert a.activity_s["sitting"] == 3600 and b.activity_s["sitting"] == 3600
    assert a.twists == 1 and b.twists == 1
    assert a.sitting_bouts == 1 and b.sitting_bouts == 0  # the bout belongs to the day it started on


def test_pain_reports_settings_and_retention(tmp_path: Path, morning: dict) -> None:
    with Store(tmp_path / "h.db") as store:
        for day in ("2026-03-10", "2026-03-11"):
            sid = store.start_session("d", at(day, 9))
            store.record_analysis(sid, morning, at(day, 9))
            store.log_pain(at(day, 10), {"stretch": "seated-twist", "during": "stretch"})
        store.set_setting("twist_limit_per_day", 1)
        assert store.get_setting("twist_limit_per_day") == 1
        assert store.day("2026-03-10").pain_reports == 1
        assert store.day("2026-03-10").twists_over_limit == 1
        assert store.pain_reports()[0].context["stretch"] == "seated-twist"
        store.delete_day("2026-03-10")
        assert store.days() == ["2026-03-11"]
        assert store.day("2026-03-10").worn_s == 0 and store.day("2026-03-10").pain_reports == 0
        assert len(store.events(kind="twist")) == 2
        store.delete_all()
        assert store.days() == [] and store.sessions() == [] and store.settings() == {}
        assert store.integrity_check() == "ok"


def test_export_json_and_csv(tmp_path: Path, morning: dict) -> None:
    with Store(tmp_path / "h.db") as store:
        sid = store.start_session("d", at("2026-03-10", 9))
        store.record_analysis(sid, morning, at("2026-03-10", 9))
        store.log_pain(at("2026-03-10", 11))
        store.export_json(tmp_path / "all.json")
        store.export_csv(tmp_path / "all.csv")
    data = json.loads((tmp_path / "all.json").read_text())
    assert data["days"][0]["day"] == "2026-03-10" and data["days"][0]["pain_reports"] == 1
    assert len([e for e in data["events"] if e["kind"] == "twist"]) == 2
    rows = list(csv.DictReader(open(tmp_path / "all.csv")))
    assert rows[0]["day"] == "2026-03-10" and float(rows[0]["sitting_s"]) == 5400 and rows[0]["twists"] == "2"


def test_background_writer_commits_everything_it_was_given(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store, BackgroundWriter(tmp_path / "h.db") as writer:
        sid = writer.start_session("d", 1000.0)
        for i in range(500):
            writer.add_event(sid, "twist", 1000.0 + i, 1001.0 + i, {"i": i})
        writer.log_pain(1200.0, {"why": "test"})
        assert writer.flush()
        assert len(store.events()) == 500 and len(store.pain_reports()) == 1
        assert [e.figures["i"] for e in store.events()] == list(range(500))
        assert writer.errors == []


def test_a_bad_write_is_reported_and_does_not_lose_the_others(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store, BackgroundWriter(tmp_path / "h.db") as writer:
        writer.add_event("no-such-session", "twist", 1.0, 2.0)  # violates the foreign key
        writer.log_pain(5.0)
        assert writer.flush()
        assert len(writer.errors) >= 1 and isinstance(writer.errors[-1], sqlite3.IntegrityError)
        assert len(store.pain_reports()) == 1


def test_a_file_that_is_not_a_database_gets_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "h.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the history database"):
        Store(bad)
    assert bad.read_bytes().startswith(b"this is not sqlite")  # left as it was


def test_a_newer_schema_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(DorsalError, match="newer than this dorsal"):
        Store(path)
