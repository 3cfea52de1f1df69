"""`dorsal report`: terminal charts, SVG (valid and rendered by a real renderer), CSV, JSON, advice."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from store_fixtures import MORNING, at, desk_day  # type: ignore[import-not-found]

from dorsal.report.advice import advise
from dorsal.report.build import build_report
from dorsal.report.figures import DayFigures
from dorsal.report.svg import render_svg
from dorsal.report.terminal import render
from dorsal.store import Store

DORSAL = str(Path(sys.executable).with_name("dorsal"))
END = "2026-03-13"  # a Friday
#: Words a calm, non-medical text must not use.
MEDICAL_CLAIMS = ("diagnos", "cure", "treat", "injury risk", "you have a", "disease", "hernia", "guarantee")


def week_store(path: Path, pain_days: list[str] = (), twists_per_day: int = 2) -> Store:  # type: ignore[assignment]
    store = Store(path)
    end = dt.date.fromisoformat(END)
    for back in range(14):
        day = (end - dt.timedelta(days=back)).isoformat()
        if back == 3:
            continue  # a day without the sensor
        analysis = desk_day(MORNING["segments"], slouch=[(600, 1200 + 60 * back)],  # type: ignore[arg-type]
                            twists=[100.0 * k for k in range(twists_per_day + back % 2)],
                            stretches=[(5800.0, 60.0, "standing-bends", 0.8)])
        sid = store.start_session("d", at(day, 9))
        store.record_analysis(sid, analysis, at(day, 9))
        afternoon = desk_day([("sitting", 2400), ("walking", 600), ("lying", 900)], slouch=[(0, 300)])
        store.record_analysis(store.start_session("d", at(day, 14)), afternoon, at(day, 14))
    for day in pain_days:
        store.log_pain(at(day, 10.5), {"during": "seated-twist"})
    return store


def test_day_report_in_the_terminal_shows_the_hour_strip(tmp_path: Path) -> None:
    with week_store(tmp_path / "h.db", pain_days=[END]) as store:
        report = build_report(store, "day", END)
    text = render(report)
    lines = text.splitlines()
    strip = next(line for line in lines if line.startswith("activity  "))[10:]
    assert len(strip) == 48
    assert strip[18:22] == "████"  # 09:00-10:59 sitting
    assert strip[28:30] == "██" and strip[:16] == "·" * 16  # 14:00 sitting, nothing before 08:00
    assert strip[30:32] == "░░"  # 15:00-15:05 lying, then nothing
    events = next(line for line in lines if line.startswith("events    "))[10:]
    assert events[21] == "!"  # pain at 10:30
    assert "t" in events[18:20]
    assert "sitting bouts 3, longest 0h50, 3 over the 30-min limit" in text
    assert "pain reports 1" in text
    assert "You reported pain on Friday 2026-03-13" in text


def test_week_report_has_bars_and_a_trend(tmp_path: Path) -> None:
    with week_store(tmp_path / "h.db") as store:
        report = build_report(store, "week", END)
    assert [d.day for d in report.days][-1] == END and len(report.days) == 7
    text = render(report)
    bars = [line for line in text.splitlines() if line[:3] in ("Sat", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri")]
    assert len(bars) == 7
    assert "no data" in bars[3]  # Tuesday 03-10 was not worn
    assert bars[-1].count("█") > bars[-1].count("▒") > 0
    trend = {t.metric: t for t in report.trend}
    # slouching grew by a minute a day further back: this week slouched less than the one before
    assert trend["time slouched"].this_week < trend["time slouched"].last_week
    assert "time slouched" in text and "(better)" in text


def test_csv_and_json_carry_the_same_figures(tmp_path: Path) -> None:
    with week_store(tmp_path / "h.db"):
        pass
    env = {**os.environ, "DORSAL_HOME": str(tmp_path)}
    os.replace(tmp_path / "h.db", tmp_path / "history.sqlite3")
    for suffix in ("-wal", "-shm"):
        if (tmp_path / f"h.db{suffix}").exists():
            os.replace(tmp_path / f"h.db{suffix}", tmp_path / f"history.sqlite3{suffix}")
    out = subprocess.run([DORSAL, "report", "--week", "--end", END, "--json", "--csv", str(tmp_path / "w.csv"),
                          "--svg", str(tmp_path / "w.svg")], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = list(csv.DictReader(open(tmp_path / "w.csv")))
    assert [r["day"] for r in rows] == [d["day"] for d in data["days"]]
    for row, day in zip(rows, data["days"]):
        assert float(row["sitting_s"]) == day["activity_s"]["sitting"]
        assert int(row["twists"]) == day["twists"]
    ET.parse(tmp_path / "w.svg")


def test_bad_date_is_one_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "DORSAL_HOME": str(tmp_path)}
    out = subprocess.run([DORSAL, "report", "--day", "13/03/2026"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == "dorsal report: not a date: '13/03/2026' (use YYYY-MM-DD, 'today' or 'yesterday')"


@pytest.mark.parametrize("kind", ["day", "week"])
def test_svg_is_valid_and_renders(tmp_path: Path, kind: str) -> None:
    with week_store(tmp_path / "h.db", pain_days=[END, "2026-03-11"], twists_per_day=6) as store:
        report = build_report(store, kind, END)
    svg = render_svg(report)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    rects = root.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(rects) > 30
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Advice" in texts and "safety notes" in texts
    path = tmp_path / f"{kind}.svg"
    path.write_text(svg)
    exe = shutil.which("rsvg-convert")
    if exe is None:
        pytest.skip("rsvg-convert (Debian package librsvg2-bin) is not installed: the SVG was checked as XML only")
    png = tmp_path / f"{kind}.png"
    done = subprocess.run([exe, "-o", str(png), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 860 and height > 300
    if os.environ.get("DORSAL_KEEP_REPORT_PNG"):
        shutil.copy(png, Path(os.environ["DORSAL_KEEP_REPORT_PNG"]) / png.name)


def _day(day: str, pain: int = 0, twists: int = 0) -> DayFigures:
    f = DayFigures(day=day, pain_reports=pain, twists=twists)
    f.activity_s["sitting"] = 6 * 3600.0
    return f


def _dates(end: str, back: list[int]) -> list[str]:
    e = dt.date.fromisoformat(end)
    return [(e - dt.timedelta(days=b)).isoformat() for b in back]


def test_pain_on_several_days_over_weeks_suggests_a_doctor_calmly() -> None:
    history = [_day(d, pain=1) for d in _dates(END, [0, 12, 30])]
    advice = advise(history, END)
    (a,) = [a for a in advice if a.key == "pain-see-doctor"]
    assert "3 different days" in a.text and "doctor" in a.text
    assert "safety notes" in a.source and "not a diagnosis" in a.source
    assert not any(word in a.text.lower() for word in MEDICAL_CLAIMS)


def test_pain_on_one_or_two_days_does_not_send_anyone_to_a_doctor() -> None:
    assert not [a for a in advise([_day(d, pain=1) for d in _dates(END, [2, 30])], END) if "doctor" in a.text]
    # several days but within two weeks: frequent, worth a check, not "lasting weeks"
    recent = advise([_day(d, pain=1) for d in _dates(END, [1, 4, 9])], END)
    assert [a.key for a in recent if a.key.startswith("pain-")] == ["pain-frequent"]


def test_twisting_day_after_day_suggests_stretching_then_a_doctor() -> None:
    one_week = [_day(d, twists=6) for d in _dates(END, [0, 1, 3, 5])]
    keys = [a.key for a in advise(one_week, END)]
    assert "twist-stretch-instead" in keys and "twist-see-doctor" not in keys
    stretch = next(a for a in advise(one_week, END) if a.key == "twist-stretch-instead")
    assert "4 of the last 7 days" in stretch.text and "heuristic" in stretch.text and "standing" in stretch.text
    two_weeks = one_week + [_day(d, twists=7) for d in _dates(END, [7, 9, 11])]
    keys = [a.key for a in advise(two_weeks, END)]
    assert "twist-stretch-instead" in keys and "twist-see-doctor" in keys
    # twisting within the limit says nothing
    assert not advise([_day(d, twists=4) for d in _dates(END, range(14))], END)  # type: ignore[arg-type]


def test_every_advice_text_is_calm_and_cites_its_source() -> None:
    history = [_day(d, pain=1, twists=9) for d in _dates(END, range(0, 40, 2))]  # type: ignore[arg-type]
    history[0].sitting_bouts_over_limit = 2
    history[0].longest_sitting_bout_s = 5400
    advice = advise(history, END)
    assert {a.key for a in advice} >= {"pain-see-doctor", "pain-today", "twist-stretch-instead", "twist-see-doctor",
                                       "sitting-breaks"}
    for a in advice:
        assert a.source and not any(word in a.text.lower() for word in MEDICAL_CLAIMS)
        assert "!" not in a.text  # calm
    sitting = next(a for a in advice if a.key == "sitting-breaks")
    assert "1 h 30 min" in sitting.text and f"on {dt.date.fromisoformat(END):%A} {END}" in sitting.text and "WHO 2020" in sitting.source


def test_cli_keeps_the_history_export_delete_a_day_delete_everything(tmp_path: Path) -> None:
    with week_store(tmp_path / "history.sqlite3", pain_days=[END]):
        pass
    env = {**os.environ, "DORSAL_HOME": str(tmp_path)}

    def dorsal(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DORSAL, "report", *args], env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    assert dorsal("--export", str(tmp_path / "all.json")).returncode == 0
    before = json.loads((tmp_path / "all.json").read_text())
    assert END in [d["day"] for d in before["days"]] and len(before["days"]) == 13
    assert dorsal("--export", str(tmp_path / "all.csv")).returncode == 0
    assert len(list(csv.DictReader(open(tmp_path / "all.csv")))) == 13
    assert dorsal("--delete-day", END).returncode == 0
    out = dorsal("--day", END, "--json")
    assert json.loads(out.stdout)["days"][0]["worn_s"] == 0
    refused = dorsal("--delete-all")
    assert refused.returncode == 2 and "needs --yes" in refused.stderr
    assert dorsal("--day", "2026-03-12", "--json").stdout.count('"worn_s": 0') == 0
    assert dorsal("--delete-all", "--yes").returncode == 0
    with Store(tmp_path / "history.sqlite3") as store:
        assert store.days() == [] and store.integrity_check() == "ok"


@pytest.mark.parametrize("segments,stretches,opening", [
    ([("unknown", 20), ("sitting", 600)], [], "standing"),  # a sit-down came first: standing before it
    ([("unknown", 20), ("standing", 600)], [], "sitting"),  # a stand-up came first: sitting before it
    ([("unknown", 300)], [(40.0, 90.0, "standing-bends", 0.8)], "standing"),  # no change seen, a standing stretch
    ([("unknown", 20), ("walking", 100)], [], "unknown"),  # walking shows nothing about before it
    ([("unknown", 300)], [], "unknown"),
])
def test_the_opening_seconds_of_a_session_take_their_posture_in_hindsight(segments, stretches, opening) -> None:
    from dorsal.report.figures import day_figures_from_analysis

    (fig,) = day_figures_from_analysis(desk_day(segments, stretches=stretches), at("2026-03-10", 9)).values()
    first = segments[0][1]
    want = {a: 0.0 for a in ("sitting", "standing", "walking", "lying", "unknown")}
    want[opening] += first
    for name, secs in segments[1:]:
        want[name] += secs
    assert fig.activity_s == want


@pytest.mark.parametrize("segments,want_sitting,want_unknown", [
    # sat up from lying and did not settle (unknown), then stood up: the stand-up shows it was sitting
    ([("sitting", 100), ("lying", 60), ("unknown", 50), ("standing", 100)], 150, 0),
    ([("sitting", 100), ("lying", 60), ("unknown", 50), ("walking", 100)], 100, 50),  # a walk shows nothing
    ([("sitting", 100), ("lying", 60), ("unknown", 50)], 100, 50),  # the session ended unknown
])
def test_unknown_seconds_that_a_stand_up_ends_read_sitting_in_the_report(segments, want_sitting, want_unknown) -> None:
    """As the core counts them in the sitting bouts (its timeline rows, written before the stand-up, say unknown)."""
    from dorsal.report.figures import day_figures_from_analysis

    (fig,) = day_figures_from_analysis(desk_day(segments), at("2026-03-10", 9)).values()
    assert fig.activity_s["sitting"] == want_sitting and fig.activity_s["unknown"] == want_unknown
    assert fig.activity_s["lying"] == 60
