"""Re-analysis from recordings: unreadable recordings are reported and lose nothing; progress is shown."""

from __future__ import annotations

import io
from pathlib import Path

from store_fixtures import MORNING, at, desk_day  # type: ignore[import-not-found]

from dorsal.store import Store
from dorsal.store.rebuild import ProgressBar, rebuild

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
