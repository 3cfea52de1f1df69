"""Orientation from raw IMU data on the host, and raw IMU input for the core.

Two fusions, chosen deliberately (DESIGN.md, `dorsal fuse --filter`):
- ``best``: vqf's offline filter (Laidig & Seel 2023), acausal, with rest and
  motion bias estimation, run on ~100 Hz blocks of the input and interpolated
  back to every sample: the most accurate tilt available here.
- ``device``: the firmware's own filter run on the host, for consistency with
  what the wearable computes (dorsal.devicefilter, from the firmware work).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import vqf

from dorsal.core.pipeline import after_all_before
from dorsal.decode import SAMPLE_DTYPE
from dorsal.errors import DorsalError

CSV_COLUMNS = ["t_s", "ax_mps2", "ay_mps2", "az_mps2", "gx_rps", "gy_rps", "gz_rps"]
#: optional column: the barometer's reading (Pa), blank where it has none (DESIGN.md)
PRESSURE_COLUMN = "pressure_pa"


#: vqf runs on blocks of whole samples at about this rate (never faster than the input). On BROAD
#: (~286 Hz, so blocks of 3 samples at 95 Hz) the mean tilt RMSE is 0.5133 deg against 0.5127 deg
#: with one sample per block, for about a third of vqf's CPU time (issue 5, bench `fuse`).
BEST_BLOCK_HZ = 100.0

#: Timestamps whose steps all lie within this share of their mean step are taken as a regular
#: rate whose jitter is only rounding or clock granularity; anything else (a dropped sample, a
#: wandering clock) goes the general way, step by step.
REGULAR_STEP_TOLERANCE = 0.01


def samples_per_block(period_s: float) -> int:
    """How many input samples `fuse_best` puts in one of vqf's blocks at this sample period."""
    return max(1, round(1.0 / (period_s * BEST_BLOCK_HZ)))


def imu_blocks(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray,
                block_s: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Regular blocks of block_s from samples at any increasing times, for a fixed-step filter.

    Each sample stands for its sensor's mean over the period that ends at its timestamp, the
    first one over one median period (vqf's convention: sample i's gyroscope turns the
    orientation from t_(i-1) to t_i). Block k spans [start_s + k*block_s, start_s + (k+1)*block_s];
    its gyroscope is the mean rate over that span (so the integrated rotation is kept, to first
    order within a block) and its accelerometer the mean over one block centred on the block's
    end, the instant of the orientation a filter reports after the block. Past the last sample
    the last values are held. (Given the samples directly, offlineVQF pairs sample i's
    accelerometer with the orientation at t_i, half a period early under this model; centring it
    lowered BROAD's mean tilt RMSE from 0.533 to 0.513 deg.)

    t_s (N,) s; acc_mps2, gyr_rps (N, 3) -> (gyr_rps (K, 3), acc_mps2 (K, 3), start_s), float64,
    C-contiguous.
    """
    t = np.asarray(t_s, dtype=np.float64)
    n = t.size
    width_s = np.empty(n)
    width_s[1:] = np.diff(t)
    width_s[0] = np.median(width_s[1:])
    start_s = float(t[0] - width_s[0])
    # time on the last axis: the running integrals are contiguous rows
    area = np.empty((6, n))
    area[:3] = np.asarray(gyr_rps).T
    area[3:] = np.asarray(acc_mps2).T
    area *= width_s
    running = np.empty((6, n + 1))
    running[:, 0] = 0.0
    np.cumsum(area, axis=1, out=running[:, 1:])
    k = max(1, int(np.ceil((t[-1] - start_s) / block_s - 1e-9)))
    # the block edges start_s + j*block_s (gyroscope) and the points half-way between them
    # (accelerometer), interleaved
    at_s = start_s + (0.5 * block_s) * np.arange(2 * k + 2)
    i = np.searchsorted(t, at_s, side="left")
    np.minimum(i, n - 1, out=i)
    covered = (at_s - t[i]) / width_s[i] + 1.0  # share of sample i's period before at_s (> 1 past the end)
    edge, half = i[0::2], i[1::2]
    gyr_int = running[:3, edge] + area[:3, edge] * covered[0::2]
    acc_int = running[3:, half] + area[3:, half] * covered[1::2]
    gyr_b = np.ascontiguousarray(np.diff(gyr_int, axis=1).T)
    gyr_b /= block_s
    acc_b = np.ascontiguousarray(np.diff(acc_int, axis=1).T)
    acc_b /= block_s
    return gyr_b, acc_b, start_s


def regular_imu_blocks(acc_mps2: np.ndarray, gyr_rps: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """`imu_blocks` for samples at a regular rate, with blocks of d whole samples: the same
    figures (block k is samples k*d .. k*d+d-1; its accelerometer window is shifted by half a
    block, with half weights at both ends when d is odd), without searching any times."""
    n = acc_mps2.shape[0]
    k = -(-n // d)
    gyr = np.empty((3, k * d))  # time on the last axis, the last sample held past the end
    gyr[:, :n] = np.asarray(gyr_rps).T
    gyr[:, n:] = gyr[:, n - 1:n]
    acc = np.empty((3, k * d + d + 1))
    acc[:, :n] = np.asarray(acc_mps2).T
    acc[:, n:] = acc[:, n - 1:n]
    gyr_b = gyr[:, 0::d].copy()
    for j in range(1, d):
        gyr_b += gyr[:, j::d]
    s = d // 2
    acc_b = acc[:, s:s + k * d:d].copy()
    for j in range(1, d):
        acc_b += acc[:, s + j:s + j + k * d:d]
    if d % 2:
        acc_b += 0.5 * (acc[:, s + d:s + d + k * d:d] - acc[:, s:s + k * d:d])
    gyr_out = np.ascontiguousarray(gyr_b.T)
    gyr_out /= d
    acc_out = np.ascontiguousarray(acc_b.T)
    acc_out /= d
    return gyr_out, acc_out


def _block_arcs(quat_b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block (time on the last axis): the orientation at its start (the first block's start
    takes its end), the step to its end along the shorter arc, and that step's squared length."""
    q_end = np.ascontiguousarray(quat_b.T)
    q_start = np.empty_like(q_end)
    q_start[:, 0] = q_end[:, 0]
    q_start[:, 1:] = q_end[:, :-1]
    q_end *= np.where(np.einsum("ij,ij->j", q_start, q_end) < 0, -1.0, 1.0)
    step = q_end - q_start
    return q_start, step, np.einsum("ij,ij->j", step, step)


def interpolate_blocks(quat_b: np.ndarray, start_s: float, block_s: float, t_s: np.ndarray) -> np.ndarray:
    """Orientation at each time t_s (N,) from quat_b (K, 4), the orientation at the end of
    `imu_blocks`' block k, by normalised linear interpolation along the shorter arc (within a
    block the rotation is small, where this equals slerp) -> (N, 4), C-contiguous."""
    q_start, step, _ = _block_arcs(quat_b)
    pos = (np.asarray(t_s, dtype=np.float64) - start_s) / block_s
    k = pos.astype(np.intp)
    np.clip(k, 0, q_start.shape[1] - 1, out=k)
    frac = np.clip(pos - k, 0.0, 1.0)
    out = np.take(q_start, k, axis=1)
    delta = np.take(step, k, axis=1)
    delta *= frac
    out += delta
    out /= np.sqrt(np.einsum("ij,ij->j", out, out))
    return np.ascontiguousarray(out.T)


def regular_interpolate_blocks(quat_b: np.ndarray, d: int, n: int) -> np.ndarray:
    """`interpolate_blocks` for the n samples of `regular_imu_blocks`' blocks of d: sample i sits
    (i+1) mod d samples into block (i+1) // d, so the fractions repeat and nothing is searched."""
    q_start, step, step_sq = _block_arcs(quat_b)
    k = q_start.shape[1]
    start_dot_step = np.einsum("ij,ij->j", q_start, step)
    out = np.empty((4, k * d + 1))  # column m is the orientation m samples after the start
    out[:, -1] = q_start[:, -1] + step[:, -1]
    for j in range(d):
        frac = j / d
        q = out[:, j:k * d:d]
        np.multiply(step, frac, out=q)
        q += q_start
        q /= np.sqrt(1.0 + 2.0 * frac * start_dot_step + frac * frac * step_sq)
    return np.ascontiguousarray(out[:, 1:n + 1].T)


def fuse_best(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray) -> np.ndarray:
    """vqf's offline filter (Laidig & Seel 2023; vqf.offlineVQF, 6D, its default parameters) run
    on blocks of about 1/BEST_BLOCK_HZ (`imu_blocks`: mean rotation rate, accelerometer mean
    around the block's end) and interpolated back to every input sample (`interpolate_blocks`).
    Timestamps regular within REGULAR_STEP_TOLERANCE take a faster way to the same figures.

    t_s (N,) s, increasing, any rate; acc_mps2 (N, 3) m/s^2; gyr_rps (N, 3) rad/s
    -> quaternions (N, 4) w, x, y, z, sensor -> Earth (z up), float64.
    """
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_mps2)
    gyr = np.asarray(gyr_rps)
    if t.ndim != 1 or acc.shape != (t.size, 3) or gyr.shape != (t.size, 3):
        raise DorsalError("IMU input needs t (N,), acc (N, 3) and gyro (N, 3)")
    if t.size < 2:
        raise DorsalError("IMU input needs at least two samples")
    step_s = np.diff(t)
    mean_step_s = float(t[-1] - t[0]) / (t.size - 1)
    if mean_step_s <= 0 or step_s.min() < 0:
        raise DorsalError("IMU timestamps must increase")
    if np.abs(step_s - mean_step_s).max() <= REGULAR_STEP_TOLERANCE * mean_step_s:
        d = samples_per_block(mean_step_s)
        gyr_b, acc_b = regular_imu_blocks(acc, gyr, d)
        quat_b = vqf.offlineVQF(gyr_b, acc_b, None, d * mean_step_s)["quat6D"]
        return regular_interpolate_blocks(quat_b, d, t.size)
    median_step_s = float(np.median(step_s))
    if median_step_s <= 0:
        raise DorsalError("IMU timestamps must increase")
    block_s = samples_per_block(median_step_s) * median_step_s
    gyr_b, acc_b, start_s = imu_blocks(t, acc, gyr, block_s)
    quat_b = vqf.offlineVQF(gyr_b, acc_b, None, block_s)["quat6D"]
    return interpolate_blocks(quat_b, start_s, block_s, t)


def fuse(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray, filter_name: str = "best") -> np.ndarray:
    if filter_name == "best":
        return fuse_best(t_s, acc_mps2, gyr_rps)
    if filter_name == "device":
        try:
            from dorsal.devicefilter import fuse_device  # type: ignore[import-not-found]
        except ImportError:
            raise DorsalError("the device filter is not available: the firmware's fusion "
                              "(dorsal.devicefilter) is not part of this build yet; use --filter best") from None
        return np.asarray(fuse_device(t_s, acc_mps2, gyr_rps))
    raise DorsalError(f"unknown filter {filter_name!r}: use best or device")


@dataclass
class ImuCsv:
    """What `load_imu_csv` could use of a raw IMU CSV file, and what it could not (`problems`: one line per
    kind, with how many rows and the first line number)."""

    t_s: np.ndarray  # (N,) s, increasing
    acc_mps2: np.ndarray  # (N, 3) m/s^2
    gyr_rps: np.ndarray  # (N, 3) rad/s
    pressure_pa: np.ndarray | None  # (N,) Pa, 0 before the first reading; None without the column
    problems: list[str] = field(default_factory=list)


def _skipped(path: Path, lines: list[int], what: str) -> list[str]:
    """The one problem line for the rows skipped for one reason (none when there are none)."""
    if not lines:
        return []
    where = f"line {lines[0]}" if len(lines) == 1 else f"first at line {min(lines)}"
    return [f"{path}: {len(lines)} row{'s' if len(lines) > 1 else ''} skipped: {what} ({where})"]


#: a run of at most this many rows whose time jumps ahead by more than AHEAD_S and comes back is a glitch of the
#: logger's clock: those rows are skipped, not every row after them (whose times are not after theirs)
AHEAD_MAX_ROWS = 8
AHEAD_S = 1.0


def _ahead(t: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows (among those kept) of a short run whose time is more than AHEAD_S ahead of the row
    after it while the row before the run (if any) is before that row: timestamps from the far future."""
    ahead = np.zeros(t.size, bool)
    rows = np.flatnonzero(keep)
    tt = t[rows]
    for j in np.flatnonzero(tt[1:] < tt[:-1] - AHEAD_S):  # where the time comes back by more than AHEAD_S
        after = tt[j + 1]
        start = j  # the run is rows start..j: back to the first row after one before `after`
        while start > 0 and tt[start - 1] >= after and j - start + 1 < AHEAD_MAX_ROWS:
            start -= 1
        if start == 0 or tt[start - 1] < after:
            ahead[rows[start : j + 1]] = True
    return ahead


def load_imu_csv(path: str | Path) -> ImuCsv:
    """The rows of an --imu-csv file that can be used, and the problems of the others: a row with too few
    cells (the last line cut by a logger that died mid-write), a required cell that is not a finite number
    (blank, text, nan, inf), a time far ahead of the rows around it (_ahead: a clock's glitch), or a time not
    after the last row kept (rows swapped, a logger restarted at 0) is skipped. The optional pressure_pa column: a blank cell (a barometer slower than the IMU) holds the
    reading before it, and so does a cell that is not a finite number (reported); rows before the first
    reading are 0 (none). One clear error for a missing file or column, an empty file, or no usable row."""
    p = Path(path)
    # the line numbers of the rows (cells) with each problem, and of the lines not read into rows
    few_cells: list[int] = []
    not_number: list[int] = []
    bad_pressure: list[int] = []
    blank: list[int] = []
    gaps: list[int] = []
    end = 1
    try:
        with open(p, newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader)]
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise DorsalError(f"{p}: missing column(s) {', '.join(missing)}; need {', '.join(CSV_COLUMNS)}")
            cols = [header.index(c) for c in CSV_COLUMNS]
            pcol = header.index(PRESSURE_COLUMN) if PRESSURE_COLUMN in header else None
            rows: list[list[float]] = []
            press: list[float] = []
            for end, row in enumerate(reader, start=2):
                if not row:
                    blank.append(end)
                    gaps.append(end)
                    continue
                try:
                    rows.append([float(row[i]) for i in cols])
                except ValueError:
                    not_number.append(end)
                    gaps.append(end)
                    continue
                except IndexError:
                    few_cells.append(end)
                    gaps.append(end)
                    continue
                if pcol is not None:
                    cell = row[pcol].strip() if pcol < len(row) else ""
                    if not cell:
                        press.append(np.nan)
                        continue
                    try:
                        value = float(cell)
                    except ValueError:
                        value = np.nan
                    if not math.isfinite(value):
                        bad_pressure.append(end)
                        value = np.nan
                    press.append(value)
    except OSError as exc:
        raise DorsalError(f"{p}: cannot read ({exc.strerror})") from None
    except StopIteration:
        raise DorsalError(f"{p}: empty file") from None
    # a logger that died mid-write leaves its last line short (blank lines may follow)
    last_cut = bool(few_cells) and sum(b > few_cells[-1] for b in blank) == end - few_cells[-1]
    cut = [few_cells.pop()] if last_cut else []
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    # each row's line number: the lines not read into rows are few, so they are noted instead of every row's
    line = np.delete(np.arange(2, end + 1), np.asarray(gaps, dtype=np.intp) - 2)
    # after the row-by-row reading: one whole-array test costs far less than one per cell
    keep = np.isfinite(data).all(axis=1)
    not_number += line[~keep].tolist()
    t = data[:, 0]
    ahead = _ahead(t, keep)
    keep &= ~ahead
    # The last time kept before a row is the greatest time kept before it, as a row skipped for its time
    # never raises that greatest time (rows skipped for other reasons count as NaN: they raise nothing).
    late = keep & ~after_all_before(np.where(keep, t, np.nan), -np.inf)
    keep &= ~late
    problems = (_skipped(p, few_cells, "too few cells")
                + _skipped(p, not_number, "not a finite number in a required column")
                + _skipped(p, line[ahead].tolist(), "time far ahead of the rows around it")
                + _skipped(p, line[late].tolist(), "time not after the row before")
                + _skipped(p, cut, "the last line is cut"))
    if not keep.any():
        why = "; ".join(s.removeprefix(f"{p}: ") for s in problems) or "no data rows"
        raise DorsalError(f"{p}: no usable row ({why})")
    data = data[keep]
    pressure = None
    if pcol is not None:
        pr = np.asarray(press)[keep]
        held = np.maximum.accumulate(np.where(np.isfinite(pr), np.arange(pr.size), -1))
        pressure = np.where(held >= 0, pr[np.maximum(held, 0)], 0.0)
        bad = np.asarray(bad_pressure, dtype=np.int64)
        bad = bad[np.isin(bad, line[keep])]
        if bad.size:
            where = f"line {bad[0]}" if bad.size == 1 else f"first at line {bad.min()}"
            problems.append(f"{p}: {bad.size} {PRESSURE_COLUMN} cell{'s' if bad.size > 1 else ''} not a finite "
                            f"number, held from the reading before ({where})")
    return ImuCsv(data[:, 0], data[:, 1:4], data[:, 4:7], pressure, problems)


def samples_from_imu(t_s: np.ndarray, acc_mps2: np.ndarray, gyr_rps: np.ndarray, quat: np.ndarray) -> np.ndarray:
    """A SAMPLE_DTYPE array (as if decoded from the wire) from raw IMU data and its orientation."""
    out = np.zeros(len(t_s), SAMPLE_DTYPE)
    out["seq"] = np.arange(len(t_s))
    out["t_s"] = t_s
    for i, name in enumerate(("qw", "qx", "qy", "qz")):
        out[name] = quat[:, i]
    for i, name in enumerate(("ax_mps2", "ay_mps2", "az_mps2")):
        out[name] = acc_mps2[:, i]
    for i, name in enumerate(("gx_rps", "gy_rps", "gz_rps")):
        out[name] = gyr_rps[:, i]
    return out


def fuse_csv_to_samples(path: str | Path, filter_name: str = "best",
                        problems: list[str] | None = None) -> np.ndarray:
    """The samples of an --imu-csv file's usable rows (`load_imu_csv`), fused; the file's problems are
    added to `problems` when given."""
    r = load_imu_csv(path)
    if problems is not None:
        problems.extend(r.problems)
    out = samples_from_imu(r.t_s, r.acc_mps2, r.gyr_rps, fuse(r.t_s, r.acc_mps2, r.gyr_rps, filter_name))
    if r.pressure_pa is not None:
        out["pressure_pa"] = r.pressure_pa
    return out
