"""Raw IMU CSV files a logger damaged (`--imu-csv`): the rows that cannot be used are skipped and reported
once per kind of problem, with how many and the first line; the rest is analysed (`dorsal analyze`) or
fused (`dorsal fuse`) as if the test had removed those rows itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dorsal.core import Settings, analyze
from dorsal.core.fusion import fuse_csv_to_samples, load_imu_csv

DORSAL = str(Path(sys.executable).with_name("dorsal"))
HEAD = "t_s,ax_mps2,ay_mps2,az_mps2,gx_rps,gy_rps,gz_rps"
ROWS = 12_000  # two minutes at 100 Hz: data on lines 2 .. 12001


@pytest.fixture(scope="module")
def clean() -> list[str]:
    """The file's lines, header first (line n is clean[n - 1]): two minutes of the simulator's sit-stand
    scenario (seed 2), sitting then standing with one seated twist, with its barometer every 4th row."""
    from dorsal.sim.stream import SensorStream

    chunk = SensorStream("sit-stand", seed=2, rate_hz=100.0, duration_s=120.0).next_chunk(120.0)
    assert chunk.t_s.size == ROWS and chunk.pressure_pa is not None
    rows = np.column_stack([chunk.t_s, chunk.acc_mps2, chunk.gyr_rps])
    return [HEAD + ",pressure_pa"] + [",".join(f"{v:.6f}" for v in r) + (f",{p:.3f}" if i % 4 == 0 else ",")
                                      for i, (r, p) in enumerate(zip(rows, chunk.pressure_pa))]


def with_cell(line: str, column: int, text: str) -> str:
    cells = line.split(",")
    cells[column] = text
    return ",".join(cells)


def without(lines: list[str], numbers: list[int]) -> list[str]:
    """The lines but those with these line numbers."""
    drop = set(numbers)
    return [s for n, s in enumerate(lines, start=1) if n not in drop]


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end)
    return path


def analysis_in_process(path: Path) -> dict:
    """A reference: a file the test made itself, analysed as `dorsal analyze --imu-csv --json` does."""
    return json.loads(json.dumps(analyze(fuse_csv_to_samples(path), Settings()).to_json()))


@pytest.fixture(scope="module")
def clean_analysis(clean: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    return analysis_in_process(write(tmp_path_factory.mktemp("clean") / "clean.csv", clean))


# Each damage: (the damaged file's lines, the same file with the bad rows removed (cells blanked) by the
# test itself, the problem reported).
Damage = tuple[list[str], list[str], str]


def truncated(lines: list[str]) -> Damage:
    cut = lines[-1][:len(lines[-1]) // 2]  # the logger died in the middle of the last line
    return lines[:-1] + [cut], lines[:-1], f"1 row skipped: the last line is cut (line {ROWS + 1})"


def not_finite(lines: list[str]) -> Damage:
    # accelerometer cells: before, one of these made the whole file read unknown, with a false stretch
    bad = {3001: (3, "nan"), 5001: (2, "inf"), 7001: (1, "NaN")}
    out = [with_cell(s, *bad[n]) if n in bad else s for n, s in enumerate(lines, start=1)]
    return (out, without(out, list(bad)),
            "3 rows skipped: not a finite number in a required column (first at line 3001)")


def empty_cell(lines: list[str]) -> Damage:
    bad = {4001: (4, ""), 4500: (0, ""), 9000: (6, " ")}
    out = [with_cell(s, *bad[n]) if n in bad else s for n, s in enumerate(lines, start=1)]
    return (out, without(out, list(bad)),
            "3 rows skipped: not a finite number in a required column (first at line 4001)")


def out_of_order(lines: list[str]) -> Damage:
    # lines 2001 and 2002 swapped, then the logger restarted after 60 s and wrote the whole recording again
    # from time 0: the earlier time of the pair goes, and the repeated first minute (lines 6002 .. 12001),
    # the rest continuing the first minute
    out = list(lines[:6001])
    out[2000], out[2001] = out[2001], out[2000]
    out += lines[1:]
    return (out, without(out, [2002, *range(6002, 12002)]),
            "6001 rows skipped: time not after the row before (first at line 2002)")


def far_ahead(lines: list[str]) -> Damage:
    # a logger's clock glitch: one row stamped far in the future, and three rows 30 s ahead; before, every row
    # after the first of them was skipped (their times were not after its time)
    out = list(lines)
    out[4000] = with_cell(out[4000], 0, "1000000000.000000")
    for n in (8001, 8002, 8003):
        out[n - 1] = with_cell(out[n - 1], 0, f"{float(out[n - 1].split(',')[0]) + 30:.6f}")
    return (out, without(out, [4001, 8001, 8002, 8003]),
            "4 rows skipped: time far ahead of the rows around it (first at line 4001)")


def bad_pressure(lines: list[str]) -> Damage:
    bad = {1002: "x", 2002: "nan"}
    assert all(lines[n - 1].rsplit(",", 1)[1] for n in bad)  # cells that hold readings
    out = [with_cell(s, 7, bad[n]) if n in bad else s for n, s in enumerate(lines, start=1)]
    blanked = [with_cell(s, 7, "") if n in bad else s for n, s in enumerate(lines, start=1)]
    return (out, blanked,
            "2 pressure_pa cells not a finite number, held from the reading before (first at line 1002)")


DAMAGE: dict[str, Callable[[list[str]], Damage]] = {
    "truncated": truncated, "not-finite": not_finite, "empty-cell": empty_cell, "out-of-order": out_of_order,
    "far-ahead": far_ahead, "bad-pressure": bad_pressure}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_file_is_analysed_as_if_its_bad_rows_were_removed(
        clean: list[str], clean_analysis: dict, tmp_path: Path, damage: str) -> None:
    damaged, removed, message = DAMAGE[damage](clean)
    csv = write(tmp_path / "imu.csv", damaged, end="" if damage == "truncated" else "\n")
    r = subprocess.run([DORSAL, "analyze", "--imu-csv", str(csv), "--json"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [f"dorsal analyze: warning: {csv}: {message} (analysing what is readable)"]
    got = json.loads(r.stdout)
    assert got["summary"].pop("problems") == [f"{csv}: {message}"]
    want = analysis_in_process(write(tmp_path / "removed.csv", removed))
    assert got["summary"] == want["summary"]
    assert got["events"] == want["events"]
    # and no false event, nor activity lost, against the undamaged file
    assert [e["kind"] for e in got["events"]] == [e["kind"] for e in clean_analysis["events"]]
    assert got["summary"]["activity_s"] == clean_analysis["summary"]["activity_s"]
    assert clean_analysis["summary"]["activity_s"]["sitting"] >= 20  # something to compare


def test_a_file_without_one_usable_row_is_one_clear_error(tmp_path: Path) -> None:
    csv = write(tmp_path / "imu.csv", [HEAD] + [f"{i * 0.01:.2f},0,nan,9.81,0,0,0" for i in range(500)])
    r = subprocess.run([DORSAL, "analyze", "--imu-csv", str(csv)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [f"dorsal analyze: {csv}: no usable row (500 rows skipped: not a finite "
                                     "number in a required column (first at line 2))"]


def test_fuse_writes_the_kept_rows_and_warns_once_per_kind(clean: list[str], tmp_path: Path) -> None:
    lines, _, _ = not_finite(clean)
    bad = [3001, 5001, 7001]
    lines[2000], lines[2001] = lines[2001], lines[2000]
    bad.append(2002)
    lines[-1] = lines[-1][:20]
    bad.append(ROWS + 1)
    csv = write(tmp_path / "imu.csv", lines, end="")
    out = tmp_path / "q.csv"
    r = subprocess.run([DORSAL, "fuse", "--imu-csv", str(csv), "--out", str(out)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        f"dorsal fuse: warning: {csv}: 3 rows skipped: not a finite number in a required column "
        "(first at line 3001) (fusing what is readable)",
        f"dorsal fuse: warning: {csv}: 1 row skipped: time not after the row before (line 2002) "
        "(fusing what is readable)",
        f"dorsal fuse: warning: {csv}: 1 row skipped: the last line is cut (line 12001) (fusing what is readable)"]
    kept = np.array([float(s.split(",")[0]) for s in without(lines, bad)[1:]])
    q = np.loadtxt(out, delimiter=",", skiprows=1)
    assert q.shape == (ROWS - 5, 5)
    assert np.allclose(q[:, 0], kept, atol=1e-6, rtol=0)
    assert np.isfinite(q).all()


def test_the_reader_counts_each_kind_once_with_its_first_line(tmp_path: Path) -> None:
    lines = [HEAD + ",pressure_pa",
             "0.00,0,0,9.8,0,0,0,",          # 2: before the first reading: 0
             "0.01,0,0,9.8,0,0,0,100000",    # 3
             "0.02,0,0,9.8,0,0,0,inf",       # 4: held (100000)
             "",                              # 5: a blank line is no row, but it is counted as a line
             "0.03,0,0,9.8,0,0,0,100010",    # 6
             "0.04,0,,9.8,0,0,0,100020",     # 7: empty required cell
             "0.05,0,0,9.8,0,0",             # 8: too few cells
             "0.02,0,0,9.8,0,0,0,100030",    # 9: time not after 0.03
             "0.06,0,0,9.8,0,nan,0,",        # 10: nan
             "0.05,0,0,9.8,0,0,0,",          # 11: after 0.03, the last time kept
             "0.07,0,0,9.8,0,0,0,abc",       # 12: held (100010)
             "0.07,0,0,9.8,0,0,0,x",         # 13: the same time as the row before (its pressure untold)
             "0.08,0,0,9"]                   # 14: the last line is cut
    r = load_imu_csv(write(tmp_path / "imu.csv", lines, end=""))
    p = tmp_path / "imu.csv"
    assert r.problems == [
        f"{p}: 1 row skipped: too few cells (line 8)",
        f"{p}: 2 rows skipped: not a finite number in a required column (first at line 7)",
        f"{p}: 2 rows skipped: time not after the row before (first at line 9)",
        f"{p}: 1 row skipped: the last line is cut (line 14)",
        f"{p}: 2 pressure_pa cells not a finite number, held from the reading before (first at line 4)"]
    assert r.t_s.tolist() == [0.0, 0.01, 0.02, 0.03, 0.05, 0.07]
    assert r.pressure_pa is not None and r.pressure_pa.tolist() == [0, 100000, 100000, 100010, 100010, 100010]
    assert r.acc_mps2.shape == (6, 3) and r.gyr_rps.shape == (6, 3)
