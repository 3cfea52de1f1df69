"""Re-analysis from recordings: unreadable recordings are reported and lose nothing; progress is shown."""

from __future__ import annotations

import io
from pathlib import Path

from store_fixtures import MORNING, at, desk_day  # type: ignore[import-not-found]

from dorsal.recording import RecordingWriter
from dorsal.store import Store
from dorsal.store.rebuild import ProgressBar, import_recording, rebuild

DAY = "2026-03-10"


def test_an_unreadable_recording_is_reported_and_its_session_kept(tmp_path: Path) -> None:
    missing = tmp_path / "gone.drec"
    damaged = tmp_path / "damaged.drec"
    damaged.write_bytes(b"NOTDORSAL" + bytes(100))
    with Store(tmp_path / "h.db") as store:
        for path, hour in ((missing, 9), (damaged, 14)):
            sid = store.start_session("d", at(DAY, hour), recording=path)
            store.record_analysis(sid, desk_day(**MORNING), at(DAY, hour))  # type: ignore[arg-type]
        before = store.day(DAY).to_dict()
        bar = io.StringIO()
        result = rebuild(store, progress=ProgressBar(bar))
        assert result.sessions == 0 and len(result.problems) == 2
        assert any("gone.drec" in p and "kept as it was" in p for p in result.problems)
        assert any("not a dorsal recording" in p for p in result.problems)
        assert store.day(DAY).to_dict() == before
    assert bar.getvalue().rstrip().endswith("done") and "100%" in bar.getvalue()


def test_progress_bar_draws_the_share_done() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    bar(0, 4, "day1.drec")
    bar(4, 4, "done")
    lines = out.getvalue().split("\r")
    assert lines[1].startswith("[..........]   0% day1.drec")
    assert lines[2].startswith("[##########] 100% done") and out.getvalue().endswith("\n")


def _still_recording(path: Path, header: dict) -> Path:
    """Ten seconds of a wearable lying still at 100 Hz, as wire frames through the real recording writer."""
    from dorsal.protocol import wire

    with RecordingWriter(path, header) as w:
        for k in range(10):
            records = [(wire.QUAT_ONE, 0, 0, 0, 0, 0, wire.ACC_LSB_PER_G, 0, 0, 0, 0)] * 100
            w.write_message(wire.encode_data(k, 2345 + 1000 * k, 10_000, records), 1000.0 + k)
    return path


def test_each_session_is_analysed_with_the_calibration_in_effect_when_it_started(tmp_path: Path) -> None:
    seen: list[object] = []

    def analyze(samples, calibration, changes=()):  # type: ignore[no-untyped-def]
        seen.append(None if calibration is None else calibration["neutral"])
        return desk_day([("sitting", 10)])

    early, late = at(DAY, 8), at(DAY, 12)
    with Store(tmp_path / "h.db") as store:
        store.save_calibration("dorsal-1a2b", {"neutral": [1.0, 0.0, 0.0, 0.0]}, t_unix_s=at(DAY, 7))
        store.save_calibration("dorsal-1a2b", {"neutral": [0.0, 1.0, 0.0, 0.0]}, t_unix_s=at(DAY, 10))
        device = {"name": "dorsal-1a2b", "board": "xiao-esp32c3"}
        for start in (early, late):
            rec = _still_recording(tmp_path / f"{start:.0f}.drec", {"format": 1, "device": device})
            import_recording(store, rec, start_unix_s=start, analyze=analyze)
        # a recording made while calibrated carries its own neutral, which wins
        own = _still_recording(tmp_path / "own.drec", {"format": 1, "device": device,
                                                       "calibration": {"neutral": [0.0, 0.0, 1.0, 0.0]}})
        import_recording(store, own, start_unix_s=late + 60, analyze=analyze)
        assert store.devices() == ["dorsal-1a2b"]
        rebuild(store, analyze=analyze)
    assert seen == [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]] * 2
