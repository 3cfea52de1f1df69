"""The streaming posture pipeline: samples -> angles -> per-second activity -> events.

Vectorized: per-sample work is numpy over whole chunks; per-second work is
numpy over whole blocks of seconds; Python loops run per run or event only.
Streaming equals batch: samples are processed in whole seconds (counted from
the first sample), and every filter and run tracker carries its state, so
any chunking of the input yields the same timeline and events.

Analysis rate: posture, the gait band (0.8-3 Hz) and sit/stand height
transients (1-3 s) all lie far below 12 Hz, so the pipeline works on blocks
of D consecutive samples (D = rate // 25: 4 at 100 Hz). Each block gives one
analysis sample: the orientation, gyro and status of its last sample
(orientation is already the fusion's smoothed output; gyro variance is kept
by sampling), and the mean acceleration of its D samples (a boxcar of 4 at
100 Hz has its nulls at 25 and 50 Hz, the frequencies that would fold onto the
gait band). Blocks count from the first sample, and a block cut by a chunk
boundary carries its acceleration over, so chunking still changes nothing.
Reading the 64-byte structured samples is the one cost that grows with the
sample rate (read_blocks): every record is touched once for its acceleration,
and the block's last record gives the rest.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from dorsal.core import quaternion as quat
from dorsal.core.activity import ACT, ACTIVITIES, ActivityClassifier, SecondFeatures
from dorsal.core.angles import AngleState, quaternion_angles, rebase_heading, retime_reference
from dorsal.core.barometer import HeightSteps, second_altitudes
from dorsal.core.calibration import Calibration, capture
from dorsal.core.runs import Run, RunTracker
from dorsal.core.settings import Settings
from dorsal.core.stretches import StretchDetector
from dorsal.decode import SAMPLE_DTYPE
from dorsal.protocol import wire

QUAT_FIELDS = ("qw", "qx", "qy", "qz")
ACC_FIELDS = ("ax_mps2", "ay_mps2", "az_mps2")
GYRO_FIELDS = ("gx_rps", "gy_rps", "gz_rps")


def _word(name: str) -> int:
    return SAMPLE_DTYPE.fields[name][1] // 4


#: A record in 32-bit words, and where the fields the blocks read lie in it (SAMPLE_DTYPE is aligned and
#: little-endian; the words are read in the host's order, so the reader needs a little-endian host).
_WORDS = SAMPLE_DTYPE.itemsize // 4
_F_WORD, _STATUS_WORD = _word("qw"), _word("status")
_ACC = _word("ax_mps2") - _F_WORD  # the acceleration's place among the ten float32 fields
#: A record as 16-byte columns, moved as complex128 lanes (copied bit for bit, never added): t_s is the
#: upper half of column _T_COL, the twelve words from qw fill the columns from _F_COL on, and column _ACC_COL
#: holds ax, ay, az (and gx) as its float32 lanes.
_COLS = SAMPLE_DTYPE.itemsize // 16
_T_COL, _F_COL = SAMPLE_DTYPE.fields["t_s"][1] // 16, _F_WORD // 4
_ACC_COL = SAMPLE_DTYPE.fields["ax_mps2"][1] // 16
assert sys.byteorder == "little", "dorsal's core reads its records as little-endian words"
assert SAMPLE_DTYPE.itemsize % 16 == 0 and SAMPLE_DTYPE.fields["t_s"][1] == 16 * _T_COL + 8
assert _F_WORD % 4 == 0 and _F_COL + 3 == _COLS and SAMPLE_DTYPE.fields["ax_mps2"][1] == 16 * _ACC_COL
assert [_word(f) for f in QUAT_FIELDS + ACC_FIELDS + GYRO_FIELDS] == list(range(_F_WORD, _F_WORD + 10))
assert _STATUS_WORD == _F_WORD + 10 and SAMPLE_DTYPE.fields["status"][1] % 4 == 0
assert _word("pressure_pa") == _F_WORD + 11
#: Records per piece when reading blocks: the piece (512 KiB) and its copies stay in the processor's cache
#: between the passes over them (measured best of 4096-16384).
_PIECE = 1 << 13
GRAVITY_MPS2 = 9.80665
#: A quaternion whose squared norm lies outside (NORM2_MIN, NORM2_MAX) is no orientation (a zero or garbage
#: record): the wire's Q14 quaternions and every fusion's output have norms within a fraction of a percent of 1.
NORM2_MIN, NORM2_MAX = 0.25, 4.0
#: feed() reads the time of every this many samples to see that it goes forward (_in_time_order)
TIME_CHECK_STRIDE = 64

#: One row per second of the timeline (t_s since the first sample).
TIMELINE_DTYPE = np.dtype(
    [
        ("t_s", "<f8"),
        ("activity", "u1"),
        ("flexion_deg", "<f4"),
        ("lateral_deg", "<f4"),
        ("rotation_deg", "<f4"),
        ("inclination_deg", "<f4"),
    ]
)

#: Seconds to wait for a quiet upright period before assuming the nominal mounting.
ESTIMATE_WINDOW_S = 120
ESTIMATE_STILL_S = 5
#: Upright enough to estimate the neutral from: the sensor's Y axis at least this far up (its vertical part;
#: 0.8 is within ~37 deg of vertical).
ESTIMATE_UP_MIN = 0.8
#: The sources of a neutral that the analysis may estimate again (never a calibration the wearer made).
REFINABLE = ("estimated", "assumed")
#: An estimated (or assumed) neutral is estimated again, once, from the first REFINE_STILL_S seconds in a row
#: of standing still upright (Analyzer): taken from those seconds when it tilts at least REFINE_MIN_DEG
#: away from the neutral in force.
REFINE_STILL_S = 5
REFINE_MIN_DEG = 3.0
#: Samples per piece of the per-sample stages (~44 min at 100 Hz; Analyzer._analyse): keeps a piece's fields
#: within the processor's caches between the passes over them, and makes the fixed cost of a piece's some
#: hundred numpy calls small (1 << 17 and 1 << 19 were slower on the bench's 24 h day).
BATCH_CHUNK = 1 << 18
#: Samples per chunk when analysing a whole recording (~6 h at 100 Hz): bounds the temporaries; the
#: per-second stages take a chunk's seconds at once (Analyzer._analyse), so their fixed cost comes once per
#: chunk.
BATCH_SPAN = 8 * BATCH_CHUNK
#: The analysis rate (Hz) that blocks of samples are reduced to (see the module's docstring).
ANALYSIS_RATE_HZ = 25.0
#: Leak time constant of the height integrators (s). Longer (2.5 s) separated reaching from standing
#: up no better on the simulator and lost sit-to-stand cycles, so 1 s.
HEIGHT_TAU_S = 1.0
#: An extension shorter than this is a posture change passing through, not a held lean.
EXTENSION_MIN_S = 2


@dataclass
class Event:
    kind: str
    start_s: float
    end_s: float
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2)}
        for k, v in self.figures.items():
            out[k] = round(v, 2) if isinstance(v, float) else v
        return out


@dataclass
class LiveState:
    """What the dashboard shows now."""

    t_s: float = 0.0
    activity: str = "unknown"
    flexion_deg: float = 0.0
    lateral_deg: float = 0.0
    rotation_deg: float = 0.0
    inclination_deg: float = 0.0
    sitting_bout_s: float = 0.0
    slouching_s: float = 0.0
    extension_deg: float = 0.0
    twists_today: int = 0
    calibration_source: str = "assumed"
    #: seconds the open excessive-extension run has lasted (from its first second past the limit, short dips
    #: below it included), while the newest second is past the limit; 0 otherwise
    extension_run_s: float = 0.0
    #: the end (exclusive, s) of the open sitting bout's last sitting second, seconds inferred from a
    #: stand-up included (Analyzer); 0 while no bout is open
    sitting_bout_end_s: float = 0.0
    #: seconds the posture has been unknown in a row (no stand-up, sit-down, walk or lying seen since the
    #: session began or the wearer got up from lying), while the newest second is unknown; 0 otherwise
    unknown_still_s: float = 0.0
    #: seconds turned into sitting so far because a stand-up ended a run of unknown ones (Analyzer)
    sitting_inferred_s: float = 0.0


@dataclass
class _UnknownRun:
    """The open run of unknown seconds, carried between blocks: its first and last second, and the largest,
    smallest and sum of its n seconds' mean flexion (what the sitting RunTracker keeps of a run)."""

    start: int
    last: int
    peak: float
    low: float
    total: float
    n: int

    def extend(self, secs: np.ndarray, flex: np.ndarray) -> _UnknownRun:
        """This run continued by the seconds secs (S,) with mean flexion flex (S,) deg, S >= 1."""
        flex = flex.astype(np.float64, copy=False)
        return _UnknownRun(self.start, int(secs[-1]), max(self.peak, float(flex.max())),
                           min(self.low, float(flex.min())), self.total + float(flex.sum()), self.n + flex.size)


@dataclass
class _Refine:
    """The look for a standing still run to estimate the neutral from (Analyzer), carried between blocks: the
    open run's seconds so far (fewer than REFINE_STILL_S), its last second, the orientation of its first
    analysis sample (sign reference), and each of its seconds' sum of sign-aligned orientations (float64)."""

    run: int = 0
    last: int = -2
    ref: np.ndarray | None = None
    sums: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class _Change:
    """A calibration and/or settings change scheduled for a whole second of the stream."""

    second: int
    calibration: Calibration | None = None
    settings: Settings | None = None
    refined: bool = False  #: the analysis' own estimate of the neutral again (_refine_scan)


#: For _refine_scan, per run of seconds: the index of each second's first analysis sample (S,), the orientation
#: (w, x, y, z) (B,) float32, the sensor Y's vertical part (B,) float32, the settling fusion (B,) bool.
_RefineBlocks = tuple[np.ndarray, tuple[np.ndarray, ...], np.ndarray, np.ndarray]


@dataclass
class _Piece:
    """What the per-sample stages give for a run of whole seconds (Analyzer._per_sample): per analysis sample
    (B,) and per second (S,)."""

    #: t (B,) float64 s since the first sample, flexion, lateral bend, axial rotation and inclination (B,)
    #: float32 deg: the Update's angles; None when they are not kept (Analyzer's keep_angles)
    angles: tuple[np.ndarray, ...] | None
    last: tuple[float, float, float, float]  #: the last analysis sample's flexion, lateral, rotation, inclination
    #: what _refine_scan reads of the analysis samples, while the neutral may be estimated again and the seconds
    #: are analysed in one piece; else None
    refine: _RefineBlocks | None
    secs: np.ndarray  #: (S,) int64, the second (s since the first sample, floored)
    f_s: np.ndarray  #: (S,) float64 deg, mean flexion
    l_s: np.ndarray  #: (S,) float64 deg, mean lateral bend
    r_s: np.ndarray  #: (S,) float64 deg, mean axial rotation
    i_s: np.ndarray  #: (S,) float64 deg, mean inclination
    sd_s: np.ndarray  #: (S,) float64 deg, mean side tilt
    flex_lo: np.ndarray  #: (S,) float32 deg, least flexion
    flex_hi: np.ndarray  #: (S,) float32 deg, most flexion
    band_rms: np.ndarray  #: (S,) float64 m/s^2, RMS of the gait band
    h_lo: np.ndarray  #: (S,) float64 m, lowest height transient
    h_hi: np.ndarray  #: (S,) float64 m, highest height transient
    settling_s: np.ndarray  #: (S,) bool, the fusion was settling during the second
    fault_s: np.ndarray  #: (S,) bool, an accelerometer fault
    altitude: np.ndarray  #: (S,) float64 m, the barometer's altitude (NaN: none)
    g_s: np.ndarray  #: (S,) float32 rad/s, gyro activity (gyro_activity)

    #: the fields per second, in order
    PER_SECOND = ("secs", "f_s", "l_s", "r_s", "i_s", "sd_s", "flex_lo", "flex_hi", "band_rms", "h_lo", "h_hi",
                  "settling_s", "fault_s", "altitude", "g_s")

    @staticmethod
    def join(pieces: list[_Piece]) -> _Piece:
        """Pieces of consecutive seconds as one (without refine: only a single piece keeps it)."""
        cat = np.concatenate
        angles = None
        if pieces[0].angles is not None:
            angles = tuple(cat([p.angles[k] for p in pieces if p.angles is not None]) for k in range(5))
        per_second = (cat([getattr(p, k) for p in pieces]) for k in _Piece.PER_SECOND)
        return _Piece(angles, pieces[-1].last, None, *per_second)


@dataclass
class Update:
    """The result of one feed: angles of the processed samples at the analysis rate (one per block of
    samples, t_s since the first sample), new timeline rows, events."""

    t_s: np.ndarray
    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    rotation_deg: np.ndarray
    inclination_deg: np.ndarray
    timeline: np.ndarray
    events: list[Event]
    live: LiveState


def usable(samples: np.ndarray) -> np.ndarray:
    """(N,) bool: the samples whose quaternion is an orientation (finite, squared norm within NORM2_MIN ..
    NORM2_MAX). The analysis leaves the others out as if they had not arrived (an imported file's missing
    readings, a zero record). An acceleration that is not finite makes its second an accelerometer fault,
    as one far from 1 g does; a gyro reading that is not finite only makes its second's gyro activity so."""
    q = np.stack([samples[f] for f in QUAT_FIELDS]).astype(np.float64)
    n2 = (q * q).sum(axis=0)
    return (n2 > NORM2_MIN) & (n2 < NORM2_MAX)


def _unusable_blocks(f: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(the squared norms of the blocks' quaternions, None when every block is usable, else the (B,) mask of
    the usable ones) for the blocks' float rows f (10, B): usable()'s rule. The squared norms are
    tilt_angles()'s own first step, so they are computed once for both; a NaN makes min() and max() NaN."""
    w, x, y, z = f[0], f[1], f[2], f[3]
    with np.errstate(over="ignore", invalid="ignore"):  # a garbage record may overflow float32: not usable
        n2 = np.multiply(w, w)
        tmp = np.empty_like(n2)
        for u in (x, y, z):
            np.multiply(u, u, out=tmp)
            n2 += tmp
    if n2.min() > NORM2_MIN and n2.max() < NORM2_MAX:
        return n2, None
    return n2, (n2 > NORM2_MIN) & (n2 < NORM2_MAX)


def after_all_before(t: np.ndarray, after: float) -> np.ndarray:
    """(N,) bool: the times t that are after `after` and after every time before them (a NaN time is neither
    after anything nor raises what comes after it)."""
    before = np.empty(t.size)
    if t.size:
        before[0] = after
        np.fmax.accumulate(t[:-1], out=before[1:])
        np.fmax(before[1:], after, out=before[1:])
    return t > before


def _first_usable(samples: np.ndarray) -> tuple[float, ...] | None:
    """The orientation (w, x, y, z) of the first usable sample (usable()), or None."""
    ok = np.flatnonzero(usable(samples[:1]))
    if not ok.size:
        ok = np.flatnonzero(usable(samples))
    return tuple(float(samples[f][ok[0]]) for f in QUAT_FIELDS) if ok.size else None


def _empty_update(live: LiveState) -> Update:
    z = np.zeros(0)
    return Update(z, z, z, z, z, np.zeros(0, TIMELINE_DTYPE), [], live)


def extension_deg(flex: np.ndarray, incl: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Backward bend past the posture's base, deg (N,): upright base 0, on the back -90, face down +90.

    Between upright and lying (lying down, sitting up, half-reclined over a ball) the base is not
    known, and on a side the flexion angle is degenerate: extension reads 0 there rather than guessing.
    """
    base = np.where(flex < 0, -90.0, 90.0)
    ext = np.where(incl < 50.0, -flex, -(flex - base))
    known = ((incl < 50.0) | (incl > 70.0)) & (np.abs(side) < 45.0)
    return np.where(known, ext, 0.0)


def gyro_activity(gyro: np.ndarray, starts: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Per second: RMS deviation (rad/s) of the gyro from its mean over that second.

    gyro: (3, N) rad/s; starts: index of each second's first sample; counts: each second's samples (found
    from starts when not given).
    Raw gyro carries the chip's zero-rate offset (up to +-20 deg/s on an MPU-6050), so movement is
    judged by variation, not magnitude.
    """
    g = np.asarray(gyro, np.float32)
    if counts is None:
        counts = np.diff(np.append(starts, g.shape[1]))
    inv = (1.0 / counts).astype(np.float32)
    m = np.add.reduceat(g, starts, axis=1) * inv
    with np.errstate(invalid="ignore"):  # an infinite reading: that second's activity is NaN
        var = np.add.reduceat(g * g, starts, axis=1) * inv - m * m
    return np.sqrt(np.maximum(var, np.float32(0.0)).sum(axis=0))


def _filter_held(ba: tuple[np.ndarray, np.ndarray], x: np.ndarray, hold: np.ndarray | None, last: float | None,
                 zi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, float | None]:
    """One IIR filter (b, a) over x whose held entries take the last good input (_held); it starts at rest
    at its first input. Returns (output, state, last input); zeros while no input has been good yet."""
    x, start = _held(x, hold, last)
    if start is None:
        return np.zeros(x.size), zi, last
    from scipy.signal import lfilter, lfilter_zi  # imported here, not at the top: see _rotation in angles.py

    if zi is None:
        zi = lfilter_zi(*ba) * start
    y, zi = lfilter(*ba, x, zi=zi)
    return y, zi, float(x[-1])


def _held(v: np.ndarray, hold: np.ndarray | None, last: float | None) -> tuple[np.ndarray, float | None]:
    """v (N,) with the entries where hold (N,) bool is set replaced by the last entry not held (by last
    before any), and the filter's starting value: last, or without it the first entry not held (None:
    every entry is held and the filter waits)."""
    if hold is None or not hold.any():
        return v, (last if last is not None else float(v[0]))
    if last is None:
        good = np.flatnonzero(~hold)
        if good.size == 0:
            return v, None
        last = float(v[good[0]])
    idx = np.maximum.accumulate(np.where(hold, -1, np.arange(v.size)))
    return np.where(idx >= 0, v[np.maximum(idx, 0)], np.float32(last)), last


def _seconds(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(index of each second's first sample, the second, its samples) for times t (s, increasing): the
    seconds are floor(t). Found by bisection at the whole seconds, unless a gap makes those many."""
    first, last = int(np.floor(t[0])), int(np.floor(t[-1]))
    if last - first > t.size:
        k = np.floor(t).astype(np.int64)
        starts = np.flatnonzero(np.diff(k, prepend=k[0] - 1))
        return starts, k[starts], np.diff(starts, append=t.size)
    whole = np.arange(first, last + 1)
    edges = np.searchsorted(t, whole.astype(np.float64), side="left")
    counts = np.diff(edges, append=t.size)
    if counts.all():  # every second has samples
        return edges, whole, counts
    keep = counts > 0
    return edges[keep], whole[keep], counts[keep]


def second_extremes(v: np.ndarray, starts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per second: the lowest and the highest of v (N,); starts: index of each second's first entry; width: the
    entries in every second when they are all equal (else 0).

    Seconds of equal width are turned into rows of one array, which numpy reduces in long passes (twice as fast
    as reduceat's one short pass per second). The values are the same either way (a zero's sign may differ).
    """
    if width:
        rows = np.ascontiguousarray(v.reshape(-1, width).T)
        return rows.min(axis=0), rows.max(axis=0)
    return np.minimum.reduceat(v, starts), np.maximum.reduceat(v, starts)


def _first_from(t: np.ndarray, origin: float, second: int) -> int:
    """Index of the first sample of t (time-ordered, a strided view is fine) with t - origin >= second."""
    lo, hi = 0, t.size
    while lo < hi:
        mid = (lo + hi) // 2
        if float(t[mid]) - origin >= second:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass
class Blocks:
    """The analysis samples of a run of records (see the module's docstring), one column per block."""

    t_s: np.ndarray  #: (B,) float64, the block's last sample's time
    floats: np.ndarray  #: (10, B) float32 rows: qw, qx, qy, qz, ax, ay, az (block means), gx, gy, gz
    status: np.ndarray  #: (B,) the block's last sample's status bits
    pressure_pa: np.ndarray  #: (B,) float32, the barometer's reading at the block's last sample (0: none)


def read_blocks(s: np.ndarray, first: int, n_blocks: int, d: int, carry: np.ndarray) -> Blocks:
    """The n_blocks >= 1 blocks of d samples ending in s at first, first + d, ...; carry: (3, k) the
    accelerations of the first block's samples from an earlier chunk.

    The blocks after the first are read in pieces of _PIECE records (_read_pieces); the first block, which
    may have begun in the earlier chunk, is read on its own.
    """
    s = np.ascontiguousarray(s)
    u = s.view(np.uint32).reshape(s.size, _WORDS)
    cols = s.view(np.complex128).reshape(s.size, _COLS)
    words = np.empty((12, n_blocks), np.uint32)  # the ten float32 fields, the status word, the pressure
    t_s = np.empty(n_blocks)
    a = _F_WORD + _ACC
    f = u.view(np.float32)
    # the first block's sum in record order, as a whole input would add it (the carry's records come first)
    terms = np.concatenate([carry, f[: first + 1, a : a + 3].T], axis=1)
    acc0 = terms[:, 0].copy()
    for term in terms.T[1:]:
        acc0 += term
    words[:, 0], t_s[0] = u[first, _F_WORD : _F_WORD + 12], cols[first, _T_COL].imag
    step = max(1, _PIECE // d)
    full, part = divmod(n_blocks - 1, step)
    for b0, count, size in ((1, full, step), (1 + full * step, 1, part)):
        if count and size:
            b1 = b0 + count * size
            _read_pieces(cols[first + 1 + (b0 - 1) * d : first + 1 + (b1 - 1) * d], d, count, size,
                         words[:, b0:b1], t_s[b0:b1])
    acc = words[_ACC : _ACC + 3].view(np.float32)
    acc[:, 0] = acc0
    if d > 1:
        acc *= np.float32(1.0 / d)
    # status: the word's low half
    return Blocks(t_s, words[:10].view(np.float32), words[10] & 0xFFFF, words[11].view(np.float32))


def _read_pieces(cols: np.ndarray, d: int, count: int, size: int, words: np.ndarray, t_s: np.ndarray) -> None:
    """`count` pieces of `size` whole blocks of d records each (cols: the records' 16-byte columns) into
    words (12, B) and t_s (B,): each block's last record's fields, and in the acceleration's rows the
    block's sum, not yet divided by d.

    Each piece is first copied in memory order, one column per record (the acceleration's), so the memory is
    read as one stream; then the last records' columns come from the cache. Everything else works on those
    compact copies. The sums add whole rows, each block's records in order (((a0 + a1) + a2) + a3 in
    float32, bit for bit that order; each add takes the new record first, which decides which NaN a sum of
    two NaNs keeps), the last one into the last records' acceleration column, so that one strided copy turns
    the columns into the twelve rows; gx, which that add overwrote, comes from the first copy.
    """
    last = cols[d - 1 :: d].reshape(count, size, _COLS).transpose(0, 2, 1)  # each piece's last records, by column
    rows = np.empty((_COLS, size), np.complex128)
    r_words = rows.view(np.uint32).reshape(_COLS, size, 4)
    out = words.reshape(3, 4, count, size)  # the twelve words, by the column they come from
    times = t_s.reshape(count, size)
    if d > 1:
        every = np.empty(size * d, np.complex128)  # the acceleration column of each record of a piece
        acc_in = cols[:, _ACC_COL].reshape(count, size * d)
        spread = np.empty((d - 1, size), np.complex128)  # ... of the records before the last, one row each
        terms = spread.view(np.float32)
        total = rows[_ACC_COL].view(np.float32)  # the last records' acceleration, then the blocks' sums
        partial = np.empty(size * 4, np.float32) if d > 2 else terms[0]
        gx_in = every.view(np.uint32).reshape(size, 4 * d)[:, -1]  # the last records' gx, as the first copy has it
        gx_out = words[_ACC + 3].reshape(count, size)
    with np.errstate(all="ignore"):  # the sums' fourth lane (gx) may hold anything
        for i in range(count):
            if d > 1:
                np.copyto(every, acc_in[i])
            np.copyto(rows, last[i])
            np.copyto(times[i], rows[_T_COL].imag)
            if d > 1:
                np.copyto(spread, every.reshape(size, d)[:, : d - 1].T)
                if d > 2:
                    np.add(terms[1], terms[0], out=partial)
                    for term in terms[2:]:
                        np.add(term, partial, out=partial)
                np.add(total, partial, out=total)
            np.copyto(out[:, :, i], r_words[_F_COL:].transpose(0, 2, 1))
            if d > 1:
                np.copyto(gx_out[i], gx_in)


def _join(updates: list[Update], live: LiveState) -> Update:
    if len(updates) == 1:
        return updates[0]
    updates = [u for u in updates if u.t_s.size or u.events] or [_empty_update(live)]
    if len(updates) == 1:
        return updates[0]
    cat = np.concatenate
    return Update(cat([u.t_s for u in updates]), cat([u.flexion_deg for u in updates]),
                  cat([u.lateral_deg for u in updates]), cat([u.rotation_deg for u in updates]),
                  cat([u.inclination_deg for u in updates]), cat([u.timeline for u in updates]),
                  [e for u in updates for e in u.events], live)


def estimate_calibration(samples: np.ndarray, settings: Settings, origin_s: float) -> Calibration | None:
    """The neutral from the first run of quiet upright seconds in the first two minutes, or None.

    Only complete seconds count, so a live stream and a whole recording agree.
    """
    if samples.size == 0:
        return None
    t = samples["t_s"]
    last_complete = int(np.floor(t[-1] - origin_s)) - 1
    s = samples[: _first_from(t, origin_s, min(last_complete, ESTIMATE_WINDOW_S - 1) + 1)]  # the seconds counted
    ok = usable(s) & np.isfinite(s["t_s"])
    if not ok.all():
        s = s[ok]
    if s.size == 0:
        return None
    k = np.floor(s["t_s"] - origin_s).astype(np.int64)
    q = np.stack([s["qw"], s["qx"], s["qy"], s["qz"]], axis=1).astype(np.float64)
    # samples of a settling fusion take the nearest settled orientation (as the analysis does)
    settling = (s["status"] & wire.ST_FUSION_SETTLING) != 0
    if settling.any() and not settling.all():
        idx = np.maximum.accumulate(np.where(settling, -1, np.arange(s.size)))
        q = q[np.where(idx >= 0, idx, np.argmin(settling))]
    w, x, y, z = quat.normalize(q).T
    up_y = 2 * (y * z + w * x)  # vertical component of sensor Y (nominally superior): quat.matrices()[:, 2, 1]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(k)) + 1])
    secs = k[starts]
    gyro = np.stack([s[f] for f in GYRO_FIELDS])
    still = (gyro_activity(gyro, starts) < settings.still_gyro_rps) & (np.minimum.reduceat(up_y, starts) > ESTIMATE_UP_MIN)
    i = np.arange(still.size)
    new_sequence = np.concatenate([[True], np.diff(secs) != 1])
    previous_still = np.concatenate([[False], still[:-1]])
    run_start = still & (new_sequence | ~previous_still)
    last_start = np.maximum.accumulate(np.where(run_start, i, -1))
    run = np.where(still, i - last_start + 1, 0)
    done = np.flatnonzero(run >= ESTIMATE_STILL_S)
    if done.size == 0:
        return None
    end_sec = int(secs[done[0]])
    sel = (k > end_sec - ESTIMATE_STILL_S) & (k <= end_sec)
    cal = capture(q[sel], source="estimated")
    return Calibration(cal.neutral, None, "estimated", {"estimated_from_s": [end_sec - ESTIMATE_STILL_S + 1,
                                                                             end_sec + 1]})


#: The analyzer's attributes that its analysis changes before the seconds' activity is known (Analyzer._state_before).
_BEFORE_ACTIVITY = ("_seen", "_acc_carry", "_q_settled", "_walk_zi", "_amag_last", "_height_zi", "_a_vert_last",
                    "_baro_seconds", "_unusable_blocks", "_t_block")


class Analyzer:
    """Streaming analysis. ``feed(chunk)`` any number of times, then ``finish()``.

    samples: SAMPLE_DTYPE arrays in time order. rate_hz: nominal sample rate (the filters' design rate).
    calibration: None -> estimated from the first quiet upright seconds (or the nominal mounting).
    keep_timeline: keep every timeline row for finish() (batch use); a live session leaves it off so
    memory stays flat.
    keep_angles: each Update carries the angles of every analysis sample (a live view draws them); batch use
    (analyze()) reads none and leaves it off, which spares joining them when a feed spans several pieces.

    Changing the calibration or the settings of a running analysis (``set_calibration``,
    ``set_settings``): the change is scheduled for a whole second of the stream (seconds count from the
    first sample, as in the timeline) and everything from that second on is analysed with it, everything
    before with what was in force, so any chunking still gives the same timeline and events.

    - A change made at time ``at_s`` (s since the first sample; default: the newest sample fed so far)
      applies from second ``floor(at_s) + 1``, the first whole second that begins after at_s: the second
      holding at_s is analysed entirely with the old values. The analysis keeps the newest sample's second
      pending (it may go on), so a change at the newest sample's time (what the live dashboard does)
      always comes in time. A change for a second that has already been analysed (at_s before the
      newest sample fed) applies from the first second not analysed yet; the result then depends on how
      the input was chunked. Both methods return the second the change applies from.
    - What carries on: the sitting bout and every open run (slouch, extension, twist, stretch episode),
      the activity state (a seated wearer stays seated), the gait and height filters (they read the
      sensor's acceleration against the Earth's vertical, which no calibration changes), today's counts.
    - A new calibration moves the body axes: flexion, lateral bend and inclination jump to the new neutral
      (that is the point), while the axial rotation's heading and its reference move together by the
      jump of the anterior axis, so the rotation continues from its value and no false twist appears.
      While the neutral is still being estimated, the seconds before the change take the estimate if one
      is found in them (the same rule as without a change), else the new calibration (or the nominal
      mounting when the two minutes of waiting were over before the change).
    - New settings: thresholds, delays and limits apply to the seconds from the change on; runs open at
      the change keep going and are judged when they close (an excessive extension reports the limit in
      force when it began). The run gaps (break_min_s, merge_gap_s) apply to the open runs from the
      change on. No setting changes a filter's design except twist_reference_s: the heading reference
      then follows at the new time constant from its current value. still_gyro_rps serves the
      estimates of the neutral: the first, before the analysis starts, and while the look goes on, the
      second one (below).
    - While the neutral in force is estimated or assumed, the analysis estimates it again, once, from the
      first seconds of standing still (_refine_scan), and puts that in force from the next second the way
      a recalibration is; the summary lists it with ``estimated_while: "standing"``. A calibration of the
      wearer's (given, or set before then) ends the look, and one scheduled for the same second wins.
    - The summary lists the calibrations used (``calibrations``, each with the second it applied from)
      and the settings changes (``settings_changes``); ``calibration`` and ``settings`` are those in
      force at the end.
    """

    def __init__(self, settings: Settings | None = None, calibration: Calibration | None = None,
                 rate_hz: float = 100.0, keep_timeline: bool = False, keep_angles: bool = True) -> None:
        self.settings = settings or Settings()
        self.rate_hz = float(rate_hz)
        self.calibration = calibration
        self._r_bs = calibration.body_to_sensor() if calibration is not None else None
        self.keep_timeline = keep_timeline
        self._pending = np.zeros(0, SAMPLE_DTYPE)
        self._origin: float | None = None
        self._angle_state = AngleState()
        s = self.settings
        #: samples per analysis block, and the analysis rate (Hz) the filters are designed for
        self.block = block_size(self.rate_hz)
        self.analysis_rate_hz = self.rate_hz / self.block
        self._seen = 0  # samples processed so far (blocks count from the first)
        self._acc_carry = np.zeros((3, 0), np.float32)  # accelerations of a block cut by a chunk boundary
        self._walk_ba, self._height = filter_designs(self.analysis_rate_hz)
        self._walk_zi: np.ndarray | None = None
        self._height_zi: np.ndarray | None = None
        self._a_vert_last: float | None = None  # the last vertical acceleration of settled fusion
        self._amag_last: float | None = None  # the last |acceleration| the gait filter took (no fault)
        self._q_settled: tuple[float, ...] | None = None  # the last settled orientation
        self._unusable_blocks = 0  # analysis blocks left out (usable(), or their time out of order)
        self._out_of_order = 0  # samples left out by feed() for their time (_in_time_order)
        self._t_fed: float | None = None  # the newest sample's time fed so far (s, as in the samples)
        self._t_block = -1.0  # the last analysed block's time (s since the first sample; -1: none yet)
        self._started = False  # the fusion has settled once (or never will: finish())
        self._unsettled = np.zeros(0, SAMPLE_DTYPE)  # samples before the fusion first settled
        self._activity = ActivityClassifier(s)
        self._baro = HeightSteps()
        self._baro_seconds = 0  # seconds with the barometer's readings
        self._slouch_on = False
        self._sitting = RunTracker(int(round(s.break_min_s)))
        self._slouch = RunTracker(int(round(s.merge_gap_s)))
        self._extension = RunTracker(3)
        self._twist = RunTracker(1)
        self._stretch = StretchDetector(s)
        self._twists = 0
        self._events: list[Event] = []
        self._timeline: list[np.ndarray] = []
        self._activity_s = np.zeros(len(ACTIVITIES))
        self._bouts: list[tuple[int, int]] = []
        self._slouch_s = 0.0
        self._seconds = 0
        self._finished = False
        self.live = LiveState(calibration_source=calibration.source if calibration else "assumed")
        self._changes: list[_Change] = []  # scheduled, in order of their seconds
        #: (second it applied from, calibration): the calibrations used so far
        self._calibrations: list[tuple[int, Calibration]] = [(0, calibration)] if calibration is not None else []
        self._settings_changes: list[dict[str, Any]] = []
        self._next_second = 0  # the first second not analysed yet
        self._t_newest: float | None = None  # the newest sample fed (s since the first)
        self._ext_over = False  # the last analysed second was past the extension limit
        self._ext_limit_open = s.extension_limit_deg  # the limit in force when the open extension run began
        self._last_activity = -1  # the activity of the last analysed second (-1: none yet)
        self._unknown: _UnknownRun | None = None  # the open run of unknown seconds, while the last one is unknown
        self._sitting_inferred_s = 0
        #: the look for standing still seconds to estimate the neutral from, while it is estimated or assumed
        self._refine: _Refine | None = _Refine() if calibration is None or calibration.source in REFINABLE else None
        self._keep_angles = keep_angles

    # ------------------------------------------------------------------ changes

    def set_calibration(self, calibration: Calibration, at_s: float | None = None) -> int:
        """A new neutral from second floor(at_s) + 1 on (see the class's docstring); returns that second."""
        return self._schedule(_Change(0, calibration=calibration), at_s)

    def set_settings(self, settings: Settings, at_s: float | None = None) -> int:
        """New settings from second floor(at_s) + 1 on (see the class's docstring); returns that second."""
        return self._schedule(_Change(0, settings=settings), at_s)

    def _schedule(self, change: _Change, at_s: float | None) -> int:
        if self._finished:
            raise RuntimeError("the analysis has finished")
        if at_s is None:
            at_s = self._t_newest if self._t_newest is not None else -1.0
        second = max(int(np.floor(at_s)) + 1, self._next_second)
        change = _Change(second, change.calibration, change.settings, change.refined)
        if self._origin is None and second == 0:
            self._apply(change)  # nothing fed yet: as if the analysis had started with it
            return second
        self._insert_change(change)
        return second

    def _insert_change(self, change: _Change) -> None:
        """Schedule a change after those for its second or earlier."""
        at = len(self._changes)
        while at and self._changes[at - 1].second > change.second:
            at -= 1
        self._changes.insert(at, change)

    def _apply(self, change: _Change) -> None:
        """Put a scheduled change in force (between two seconds of the stream)."""
        if change.settings is not None:
            old, new = self.settings, change.settings
            retime_reference(self._angle_state, self.analysis_rate_hz, old.twist_reference_s, new.twist_reference_s)
            self.settings = self._activity.settings = self._stretch.settings = new
            self._sitting.gap = int(round(new.break_min_s))
            self._slouch.gap = int(round(new.merge_gap_s))
            before = old.to_dict()
            diff = {k: v for k, v in new.to_dict().items() if before[k] != v}
            if diff:
                self._settings_changes.append({"from_s": float(change.second), **diff})
        cal = change.calibration
        if change.refined and self.calibration is not None and self.calibration.source not in REFINABLE:
            cal = None  # the wearer's calibration came first
        if cal is not None and cal != self.calibration:
            r_bs = cal.body_to_sensor()
            if self._q_settled is not None:
                rebase_heading(self._angle_state, self._q_settled, r_bs, self.analysis_rate_hz,
                               self.settings.twist_reference_s)
            self._set_calibration(cal, change.second)

    def _calibration_before_change(self, buf: np.ndarray) -> Calibration | None:
        """While the neutral is being estimated and the stream has reached a scheduled calibration change:
        the calibration of the seconds before it (the estimate from them, else the new one, or the nominal
        mounting when the wait for an estimate was over before the change). None otherwise."""
        change = next((c for c in self._changes if c.calibration is not None), None)
        origin = self._origin or 0.0
        t = buf["t_s"]
        if change is None or np.floor(t[-1] - origin) < change.second:
            return None
        j = _first_from(t, origin, change.second)
        found = estimate_calibration(buf[: j + 1], self.settings, origin)  # the seconds before the change, all complete
        if found is not None:
            return found
        if j and t[j - 1] - origin >= ESTIMATE_WINDOW_S + 1:
            return Calibration()
        return change.calibration

    # ------------------------------------------------------------------ feeding

    def feed(self, chunk: np.ndarray, ends_second: bool = False) -> Update:
        """Analyse a chunk of samples. The chunk's last second waits for the next chunk (it may go on),
        unless ends_second says the next sample, if any, belongs to a later second."""
        if chunk.dtype != SAMPLE_DTYPE:
            raise TypeError("Analyzer.feed takes SAMPLE_DTYPE arrays (dorsal.decode)")
        chunk = self._in_time_order(chunk)
        if chunk.size == 0:
            return _empty_update(self.live)
        if self._origin is None:
            self._origin = float(chunk["t_s"][0])
        self._t_newest = float(chunk["t_s"][-1]) - self._origin
        chunk = self._wait_for_settled(chunk)
        if chunk.size == 0:
            return _empty_update(self.live)
        if self._r_bs is None:
            buf = np.concatenate([self._pending, chunk]) if self._pending.size else chunk
            cal = self._calibration_before_change(buf)
            if cal is None:
                cal = estimate_calibration(buf, self.settings, self._origin)
                waited = buf["t_s"][-1] - self._origin >= ESTIMATE_WINDOW_S + 1
                if cal is None and not waited:
                    self._pending = buf
                    return _empty_update(self.live)
            self._set_calibration(cal or Calibration())
            self._pending, chunk = np.zeros(0, SAMPLE_DTYPE), buf
        return self._take_seconds(chunk, ends_second)

    def _in_time_order(self, chunk: np.ndarray) -> np.ndarray:
        """The chunk without the samples whose time is not after every earlier sample's (a NaN time, a clock that
        went back): they are left out and counted, as unusable orientations are.

        A pass over every sample's time would cost about an eighth of the whole analysis, so the time is read
        at the chunk's first and last sample and every TIME_CHECK_STRIDE-th one; only when those are out of
        order is every sample's time read. A reversal shorter than the stride can pass here; the analysis
        blocks' own times are held to the same rule (_blocks), so it cannot disturb the seconds.
        """
        t = chunk["t_s"]
        after = self._t_fed if self._t_fed is not None else -np.inf
        probe = t[::TIME_CHECK_STRIDE]
        if t[0] > after and t[-1] >= probe[-1] and (probe.size < 2 or bool((probe[1:] > probe[:-1]).all())):
            self._t_fed = float(t[-1])
            return chunk
        keep = after_all_before(t, after)
        self._out_of_order += int(t.size - np.count_nonzero(keep))
        chunk = chunk[keep]
        if chunk.size:
            self._t_fed = float(chunk["t_s"][-1])
        return chunk

    def _take_seconds(self, chunk: np.ndarray, ends_second: bool = False) -> Update:
        """Process the complete seconds of pending + chunk; keep the last (maybe incomplete) second,
        or process it too when the caller knows it is complete.

        Whole seconds are found by bisection, and only the pending second is copied together with the
        head of the chunk, so a large chunk is never copied.
        """
        origin = self._origin or 0.0
        t = chunk["t_s"]
        updates = []
        if self._pending.size:
            second = int(np.floor(self._pending["t_s"][-1] - origin))
            j = _first_from(t, origin, second + 1)
            if j == chunk.size:
                self._pending = np.concatenate([self._pending, chunk])
                return _empty_update(self.live)
            updates.append(self._process(np.concatenate([self._pending, chunk[:j]])))
            chunk, t = chunk[j:], t[j:]
        m = chunk.size if ends_second else _first_from(t, origin, int(np.floor(t[-1] - origin)))
        if m:
            updates.append(self._process(chunk[:m]))
        self._pending = chunk[m:].copy()
        return _join(updates, self.live) if updates else _empty_update(self.live)

    def _wait_for_settled(self, chunk: np.ndarray) -> np.ndarray:
        """Samples before the fusion first settles (status bit) wait for the first settled sample.

        After power-up the device's orientation swings in from a guess for a second or two; read as
        posture it would be a deep bend or a lying-down. Analysis blocks whose fusion is settling take
        the last settled orientation (carried between chunks, in _process); those before the first
        settled sample wait for it here and then take its orientation, so any chunking gives the
        same result.
        """
        if self._started:
            return chunk
        buf = np.concatenate([self._unsettled, chunk]) if self._unsettled.size else chunk
        status = buf["status"]
        good = np.flatnonzero((status[:1] & wire.ST_FUSION_SETTLING) == 0)  # most often the first: one is read
        if good.size == 0:
            good = np.flatnonzero((status & wire.ST_FUSION_SETTLING) == 0)
        if good.size == 0:
            self._unsettled = buf
            return np.zeros(0, SAMPLE_DTYPE)
        self._unsettled = np.zeros(0, SAMPLE_DTYPE)
        self._started = True
        self._q_settled = _first_usable(buf[good[0]:])
        return buf

    def finish(self) -> Analysis:
        """Process what is pending, close open runs, and return the whole analysis."""
        if self._unsettled.size:  # the fusion never settled: its orientation is all there is
            unsettled, self._unsettled = self._unsettled, np.zeros(0, SAMPLE_DTYPE)
            self._q_settled = _first_usable(unsettled[::-1])
            self._started = True
            self.feed(unsettled)
        if not self._finished:
            if self._r_bs is None:
                self._set_calibration(
                    (self._calibration_before_change(self._pending) if self._pending.size else None)
                    or (estimate_calibration(self._pending, self.settings, self._origin or 0.0) if self._pending.size
                        else None) or Calibration())
            if self._pending.size:
                self._process(self._pending)
                self._pending = np.zeros(0, SAMPLE_DTYPE)
            self._close_runs(final=True)
            self._finished = True
        timeline = np.concatenate(self._timeline) if self._timeline else np.zeros(0, TIMELINE_DTYPE)
        return Analysis(self.settings, self.calibration or Calibration(), sorted(self._events, key=_event_order),
                        timeline, self._summary())

    def _set_calibration(self, cal: Calibration, from_second: int = 0) -> None:
        if cal.source not in REFINABLE:
            self._refine = None
        self.calibration = cal
        self._r_bs = cal.body_to_sensor()
        self.live.calibration_source = cal.source
        if self._calibrations and self._calibrations[-1][0] == from_second:
            self._calibrations[-1] = (from_second, cal)
        else:
            self._calibrations.append((from_second, cal))

    # ------------------------------------------------------------------ processing

    def _blocks(self, s: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """The analysis samples of s (see the module's docstring), or None when no block ends in s.

        Returns t (s since the first sample, float64), quaternion w, x, y, z, mean acceleration x, y, z,
        gyro (3, B) (float32), settling (bool) and the barometer's reading (float32 Pa, 0: none), one entry
        per usable block (usable()), and the quaternions' squared norms (None where settling replaced them).
        None also when no usable block is left.
        """
        d = self.block
        first = (d - 1 - self._seen) % d  # the first sample of s that ends a block
        self._seen += s.size
        n_blocks = (s.size - first + d - 1) // d if first < s.size else 0
        tail = first + 1 + (n_blocks - 1) * d if n_blocks else 0
        rest = np.stack([s[f][tail:] for f in ACC_FIELDS]).astype(np.float32) if d > 1 else self._acc_carry
        if n_blocks == 0:
            self._acc_carry = np.concatenate([self._acc_carry, rest], axis=1)
            return None
        blk = read_blocks(s, first, n_blocks, d, self._acc_carry)
        self._acc_carry = rest
        t = blk.t_s - (self._origin or 0.0)
        q = blk.floats
        norm2, ok = _unusable_blocks(q)
        # a block's time must lie in a second after the last analysed block's and not analysed yet (else it is
        # left out: a clock that went back by less than feed()'s probe could see); in time order it always does
        lowest = max(self._next_second, np.floor(self._t_block) + 1) - 1e-9
        if not (t[0] > lowest and bool((t[1:] > t[:-1]).all())):
            in_order = after_all_before(t, lowest)
            ok = in_order if ok is None else ok & in_order
        status, pressure = blk.status, blk.pressure_pa
        if ok is not None:  # blocks the analysis cannot use are left out, as if they had not arrived
            self._unusable_blocks += int(ok.size - np.count_nonzero(ok))
            if not ok.any():
                return None
            t, q, norm2, status, pressure = t[ok], q[:, ok], norm2[ok], status[ok], pressure[ok]
        w, x, y, z = q[0], q[1], q[2], q[3]
        settling = (status & wire.ST_FUSION_SETTLING) != 0
        if settling.any():
            norm2 = None  # the held orientations have their own norms
            held = self._q_settled if self._q_settled is not None else (float(w[-1]), float(x[-1]),
                                                                         float(y[-1]), float(z[-1]))
            idx = np.maximum.accumulate(np.where(settling, -1, np.arange(t.size)))
            w, x, y, z = (np.where(idx >= 0, c[np.maximum(idx, 0)], np.float32(h))
                          for c, h in zip((w, x, y, z), held))
        self._q_settled = (float(w[-1]), float(x[-1]), float(y[-1]), float(z[-1]))
        self._t_block = float(t[-1])
        return (t, w, x, y, z, q[4], q[5], q[6], q[7:10], settling, pressure, norm2)

    def _process(self, s: np.ndarray) -> Update:
        """Complete seconds of samples -> angles, activity and events; scheduled changes are put in force
        between the seconds they apply from (the samples are cut there, as a chunk boundary would be)."""
        if s.size == 0:
            return _empty_update(self.live)
        origin = self._origin or 0.0
        updates = []
        newest = float(s["t_s"][-1])
        if not np.isfinite(newest):  # a NaN time that feed()'s probe passed over (its block is left out)
            newest = float(np.nanmax(s["t_s"])) if np.isfinite(s["t_s"]).any() else origin + self._next_second - 1
        one_piece = False  # the seconds are analysed one piece at a time (_analyse returned None)
        while s.size:
            j = _first_from(s["t_s"], origin, self._changes[0].second) if self._changes else s.size
            if j == 0:
                self._apply(self._changes.pop(0))
                continue
            if one_piece:
                j = self._pieces(s[:j])[0].size
            done = self._analyse(s[:j], one_piece)
            if done is None:
                one_piece = True
                continue
            if isinstance(done, int):
                # the neutral is estimated again from second `done` on, found in these seconds: the seconds
                # before it are analysed again (the same values), and that schedules the change
                second, j = done, _first_from(s["t_s"], origin, done)
                done = self._analyse(s[:j], True)
                assert isinstance(done, Update) and any(c.second == second and c.refined for c in self._changes)
            updates.append(done)
            s = s[j:]
        self._next_second = max(self._next_second, int(np.floor(newest - origin)) + 1)
        return _join(updates, self.live)

    def _analyse(self, s: np.ndarray, one_piece: bool = False) -> Update | int | None:
        """Complete seconds of samples, all under one calibration and one set of settings.

        The per-sample stages (_per_sample) take the seconds in pieces of about BATCH_CHUNK samples (_pieces;
        one_piece: in one), so that each piece's arrays stay in the processor's caches between their passes;
        the per-second stages (activity, events, timeline) then take all the seconds at once, so that their
        fixed cost (a few hundred numpy calls on short arrays) comes once, not once per piece. Every stage
        carries its state, so the result is that of any other cut.

        While the neutral may be estimated again (_refine_scan): when these seconds call for it before their
        last second, nothing is kept of them, and the second the new neutral applies from is returned. The
        look reads the analysis samples of its standing still seconds, which only a single piece keeps: when
        several pieces have such seconds, nothing is kept of them either, and None says to analyse the
        seconds again one piece at a time (rare: the look ends at the first such run of REFINE_STILL_S).
        """
        before = self._state_before() if self._refine is not None and s.size else None
        cuts = [s] if one_piece else self._pieces(s)
        keep = len(cuts) == 1 or self._keep_angles
        pieces = [p for p in (self._per_sample(c, keep, len(cuts) == 1) for c in cuts) if p is not None]
        if not pieces:
            return _empty_update(self.live)
        p = pieces[0] if len(pieces) == 1 else _Piece.join(pieces)
        secs, f_s, l_s, r_s, i_s = p.secs, p.f_s, p.l_s, p.r_s, p.i_s
        self._baro_seconds += int(np.isfinite(p.altitude).sum())
        baro_drop, baro_rise = self._baro.update(p.altitude)

        activity = self._activity.classify(SecondFeatures(
            i_s, p.flex_hi, p.flex_lo, p.band_rms, p.h_lo, p.h_hi, p.settling_s, p.fault_s, baro_drop, baro_rise))
        if before is not None:
            if p.refine is None and self._still(activity, p.g_s).any():
                self._put_back(before)
                return None
            refined = self._refine_scan(secs, activity, p.g_s, p.refine)
            if refined is not None:
                self._put_back(before)
                return refined

        rows = np.zeros(secs.size, TIMELINE_DTYPE)
        rows["t_s"] = secs
        rows["activity"] = activity
        rows["flexion_deg"], rows["lateral_deg"] = f_s, l_s
        rows["rotation_deg"], rows["inclination_deg"] = r_s, i_s
        if self.keep_timeline:
            self._timeline.append(rows)
        self._activity_s += np.bincount(activity, minlength=len(ACTIVITIES))
        self._seconds += secs.size

        events = self._detect(secs, activity, f_s, r_s, i_s, l_s, p.g_s, p.sd_s)

        sitting = activity == ACT["sitting"]
        now = int(secs[-1])
        lv = self.live
        lv.t_s = float(now)
        lv.activity = ACTIVITIES[int(activity[-1])]
        lv.flexion_deg, lv.lateral_deg, lv.rotation_deg, lv.inclination_deg = p.last
        bout_open = self._sitting.open_start is not None
        lv.sitting_bout_s = float(self._sitting.open_length(now)) if sitting[-1] or bout_open else 0.0
        lv.sitting_bout_end_s = float(self._sitting.open_last + 1) if bout_open else 0.0
        lv.unknown_still_s = float(now - self._unknown.start + 1) if self._unknown is not None else 0.0
        lv.sitting_inferred_s = float(self._sitting_inferred_s)
        lv.slouching_s = float(self._slouch.open_length(now)) if self._slouch_on else 0.0
        lv.extension_deg = float(max(0.0, -f_s[-1]))
        lv.extension_run_s = float(self._extension.open_length(now)) if self._ext_over else 0.0
        lv.twists_today = self._twists
        if p.angles is None:  # not kept (analyze())
            z = np.zeros(0)
            return Update(z, z, z, z, z, rows, events, lv)
        return Update(*p.angles, rows, events, lv)

    def _pieces(self, s: np.ndarray) -> list[np.ndarray]:
        """Complete seconds of samples s cut at whole seconds into pieces of about BATCH_CHUNK samples (or the
        whole second a longer one is in); one piece when s is no longer than 3/2 BATCH_CHUNK, and from where a
        time that is not finite lies at a cut (the bisection may have been misled by it: no cut there)."""
        origin = self._origin or 0.0
        t, out, i = s["t_s"], [], 0
        while s.size - i > BATCH_CHUNK + BATCH_CHUNK // 2:
            at = float(t[i + BATCH_CHUNK])
            if not np.isfinite(at):
                break
            cut = i + _first_from(t[i:], origin, int(np.floor(at - origin)))
            if cut == i:  # a second of more than BATCH_CHUNK samples: the piece ends with it
                cut = i + _first_from(t[i:], origin, int(np.floor(at - origin)) + 1)
            if cut == i or not np.isfinite(t[cut - 1]):
                break
            out.append(s[i:cut])
            i = cut
        out.append(s[i:])
        return out

    def _per_sample(self, s: np.ndarray, angles: bool, refine: bool) -> _Piece | None:
        """The per-sample stages over complete seconds of samples s: blocks, angles, the gait and height
        filters, and what each second shows (_Piece, keeping the analysis samples' angles, and what
        _refine_scan reads of them while the look goes on, when told to); None when no usable block ends in s."""
        blocks = self._blocks(s) if s.size else None
        if blocks is None:
            return None
        t, w, x, y, z, ax, ay, az, gyro, settling, pressure, norm2 = blocks
        st = self.settings
        assert self._r_bs is not None
        flex, lat, rot, incl, side, v0, v1, v2 = quaternion_angles(w, x, y, z, self._r_bs, self.analysis_rate_hz,
                                                                   st.twist_reference_s, self._angle_state, norm2)

        # |a| and the vertical acceleration, in place (the same operations in the same order); an infinite
        # reading makes them NaN quietly, and its second a fault (below)
        with np.errstate(invalid="ignore"):
            amag, tmp = ax * ax, ay * ay
            amag += tmp
            amag += np.multiply(az, az, out=tmp)
            np.sqrt(amag, out=amag)
            a_vert = v0 * ax
            a_vert += np.multiply(v1, ay, out=tmp)
            a_vert += np.multiply(v2, az, out=tmp)
            a_vert -= np.float32(GRAVITY_MPS2)
        starts, secs, counts = _seconds(t)
        width = int(counts[0]) if (counts == counts[0]).all() else 0  # analysis samples in every second, if equal
        # An accelerometer fault (settings.accel_fault_low_g): whole seconds by their mean |a|, and, until
        # the gait filter has had its first input, each analysis sample by its own. Faulty samples feed
        # neither filter: they hold the last good input (carried between chunks); before the first one the
        # filters wait.
        amag_s = np.add.reduceat(amag, starts) / counts
        fault_s = ~((amag_s >= np.float32(st.accel_fault_low_g * GRAVITY_MPS2))
                    & (amag_s <= np.float32(st.accel_fault_high_g * GRAVITY_MPS2)))  # NaN: a fault
        bad = np.repeat(fault_s, counts) if fault_s.any() else None
        if self._amag_last is None:
            ok = ((amag >= np.float32(st.accel_fault_low_g * GRAVITY_MPS2))
                  & (amag <= np.float32(st.accel_fault_high_g * GRAVITY_MPS2)))
            if bad is not None:
                ok &= ~bad
            first = int(np.argmax(ok)) if ok.any() else amag.size
            if first:
                bad = np.zeros(amag.size, bool) if bad is None else bad
                bad[:first] = True
        band, self._walk_zi, self._amag_last = _filter_held(self._walk_ba, amag, bad, self._amag_last, self._walk_zi)
        # While the device's fusion settles (after power-up, status bit) its vertical is still
        # swinging in: no height change can be read from it. Those samples hold the last settled
        # value as well.
        hold = settling if bad is None else settling | bad
        height, self._height_zi, self._a_vert_last = _filter_held(self._height, a_vert, hold, self._a_vert_last,
                                                                  self._height_zi)

        def mean(v: np.ndarray) -> np.ndarray:
            return np.add.reduceat(v, starts) / counts

        h_lo, h_hi = second_extremes(height, starts, width)
        flex_lo, flex_hi = second_extremes(flex, starts, width)
        settling_s = np.logical_or.reduceat(settling, starts) if settling.any() else np.zeros(secs.size, bool)
        return _Piece((t, flex, lat, rot, incl) if angles else None,
                      (float(flex[-1]), float(lat[-1]), float(rot[-1]), float(incl[-1])),
                      (starts, (w, x, y, z), v1, settling) if refine and self._refine is not None else None,
                      secs, mean(flex), mean(lat), mean(rot), mean(incl), mean(side), flex_lo, flex_hi,
                      np.sqrt(mean(band * band)), h_lo, h_hi, settling_s, fault_s,
                      second_altitudes(pressure, starts, counts), gyro_activity(gyro, starts, counts))

    def _state_before(self) -> tuple[dict[str, Any], ...]:
        """What analysing seconds changes up to their activity (_analyse): the analyzer's attributes and those of
        three objects it holds, to be put back by _put_back (shallow copies: these reassign their arrays rather
        than write into them)."""
        return ({k: self.__dict__[k] for k in _BEFORE_ACTIVITY}, dict(self._angle_state.__dict__),
                dict(self._baro.__dict__), dict(self._activity.__dict__))

    def _put_back(self, before: tuple[dict[str, Any], ...]) -> None:
        mine, angles, baro, activity = before
        self.__dict__.update(mine)
        self._angle_state.__dict__.update(angles)
        self._baro.__dict__.update(baro)
        self._activity.__dict__.update(activity)

    def _still(self, activity: np.ndarray, gyro: np.ndarray) -> np.ndarray:
        """(S,) bool: the seconds standing still (activity codes (S,), gyro activity (S,) rad/s), as _refine_scan
        looks for them."""
        return (activity == ACT["standing"]) & (gyro < np.float32(self.settings.still_gyro_rps))

    def _refine_scan(self, secs: np.ndarray, activity: np.ndarray, gyro: np.ndarray,
                     blocks: _RefineBlocks | None) -> int | None:
        """The neutral estimated again, once, while the one in force is estimated or assumed.

        The wearer stands upright after a stand-up or a walk far more reliably than they sit upright at the
        start of a session (a session begun slouched at the desk took its neutral from the slouch). So the
        first REFINE_STILL_S seconds in a row of standing still (activity standing, the gyro's activity
        below still_gyro_rps, the sensor's Y axis within ~37 deg of vertical, no settling fusion) give a
        neutral: their analysis samples' sign-aligned mean orientation (capture's rule). It applies from the
        second after them when it tilts at least REFINE_MIN_DEG away from the neutral in force; either way
        the look ends there.

        blocks: what it reads of the seconds' analysis samples; needed only when some second stands still.
        Returns the second the new neutral applies from when that lies within these seconds (the caller
        analyses them again up to it), else None (a change for the next second is scheduled, or the open
        run is carried on).
        """
        look = self._refine
        assert look is not None
        n = secs.size
        still = self._still(activity, gyro)
        if not still.any():
            self._refine = _Refine()
            return None
        assert blocks is not None
        starts, q, up_y, settling = blocks
        ok = still & (np.minimum.reduceat(up_y, starts) > np.float32(ESTIMATE_UP_MIN))
        if settling.any():
            ok &= ~np.logical_or.reduceat(settling, starts)
        i = np.arange(n)
        new_sequence = np.empty(n, bool)
        new_sequence[0] = secs[0] != look.last + 1 or look.run == 0
        new_sequence[1:] = np.diff(secs) != 1
        begins = ok & (new_sequence | np.concatenate([[False], ~ok[:-1]]))
        last_begin = np.maximum.accumulate(np.where(begins, i, -1))
        run = np.where(ok, np.where(last_begin >= 0, i - last_begin + 1, i + 1 + look.run), 0)
        hit = np.flatnonzero(run >= REFINE_STILL_S)
        end = int(hit[0]) if hit.size else n - 1
        length = int(run[end])
        if length == 0:
            self._refine = _Refine()
            return None
        first = end - length + 1  # the run's first second here (< 0: it began in an earlier block)
        a, b = max(first, 0), end + 1
        lo, hi = int(starts[a]), int(starts[b]) if b < n else q[0].size
        block = np.stack(q)[:, lo:hi].astype(np.float64)
        ref = block[:, 0].copy() if first >= 0 else look.ref
        assert ref is not None
        block *= np.where(ref @ block < 0, -1.0, 1.0)
        sums = (look.sums if first < 0 else []) + list(np.add.reduceat(block, starts[a:b] - lo, axis=1).T)
        if not hit.size:
            self._refine = _Refine(length, int(secs[end]), ref, sums)
            return None
        total = sums[0].copy()
        for v in sums[1:]:
            total += v
        neutral = total / np.linalg.norm(total)
        up_old = quat.matrices(np.asarray((self.calibration or Calibration()).neutral, np.float64)[None])[0][2]
        up_new = quat.matrices(neutral[None])[0][2]
        if np.degrees(np.arccos(min(1.0, float(up_old @ up_new)))) < REFINE_MIN_DEG:
            self._refine = None
            return None
        second = int(secs[end]) + 1
        if end < n - 1:
            return second  # nothing changed yet: these seconds are analysed again up to it, and find it again
        self._refine = None
        cal = Calibration(tuple(float(v) for v in neutral), None, "estimated",
                          {"estimated_from_s": [second - REFINE_STILL_S, second], "estimated_while": "standing"})
        self._insert_change(_Change(second, calibration=cal, refined=True))
        return None

    def _detect(self, secs: np.ndarray, activity: np.ndarray, flex: np.ndarray, rot: np.ndarray,
                incl: np.ndarray, lat: np.ndarray, gyro: np.ndarray, side: np.ndarray) -> list[Event]:
        st = self.settings
        sitting = activity == ACT["sitting"]
        new = self._sitting_bouts(secs, activity, flex)

        # slouch with hysteresis: on above the threshold, off below threshold - hysteresis
        # Slouching counts while sitting, and while upright and still when the posture is not known yet
        # (a session that starts seated shows no sit-down transition).
        seated = sitting | (activity == ACT["unknown"])
        on = seated & (flex > st.slouch_threshold_deg)
        off = ~seated | (flex < st.slouch_threshold_deg - st.slouch_hysteresis_deg)
        idx = np.arange(secs.size)
        last_on = np.maximum.accumulate(np.where(on, idx, -1))
        last_off = np.maximum.accumulate(np.where(off, idx, -1))
        state = np.where((last_on < 0) & (last_off < 0), self._slouch_on, last_on > last_off)
        self._slouch_on = bool(state[-1])
        for run in self._slouch.update(state, flex, secs):
            new.extend(self._slouch_event(run))

        # extension past the posture's base: upright 0, lying on the back -90, face down +90
        extension = extension_deg(flex, incl, side)
        over = extension > st.extension_limit_deg
        self._ext_over = bool(over[-1])
        was_open = self._extension.open_start is not None
        closed = self._extension.update(over, extension, secs)
        for i, run in enumerate(closed):
            if run.true_seconds < EXTENSION_MIN_S:
                continue  # passing through on the way to lying down or sitting up
            limit = self._ext_limit_open if i == 0 and was_open else st.extension_limit_deg
            new.append(Event("excessive_extension", float(run.start), float(run.end),
                             {"peak_extension_deg": run.peak, "limit_deg": limit,
                              "time_above_s": float(run.true_seconds)}))
        if self._extension.open_start is not None and (closed or not was_open):
            self._ext_limit_open = st.extension_limit_deg  # a run began in these seconds

        # A twist goes out and comes back within twist_max_s, inside the trunk's range; turning the whole
        # body around (walking, lying down) does not come back or goes further.
        turned = np.abs(rot) > st.twist_min_deg
        moving = ((activity == ACT["walking"]) | (activity == ACT["lying"])).astype(np.float64)
        for run in self._twist.update(turned, moving, secs, extreme=rot):
            peak = run.peak_value
            if run.end - run.start <= st.twist_max_s and run.peak == 0.0 and abs(peak) <= st.twist_max_deg:
                self._twists += 1
                figures: dict[str, Any] = {"peak_rotation_deg": peak, "side": "right" if peak > 0 else "left",
                                           "count_today": self._twists}
                if self._twists > st.twists_per_day_max:
                    figures["warning"] = (f"more than {st.twists_per_day_max} twists today (a heuristic limit, "
                                          "not a medical one): prefer the standing bends")
                new.append(Event("twist", float(run.start), float(run.end), figures))

        new.extend(self._stretch.update(secs, activity, flex, lat, incl, rot, gyro, side))
        self._events.extend(new)
        return new

    def _sitting_bouts(self, secs: np.ndarray, activity: np.ndarray, flex: np.ndarray) -> list[Event]:
        """The sitting RunTracker over a block of seconds (secs (S,), activity codes (S,), mean flexion (S,) deg);
        returns the prolonged-sitting events of the bouts that closed.

        A run of unknown seconds that a stand-up ends (unknown -> standing: from unknown the classifier
        reaches standing only by a stand-up; walking shows as walking) was sitting: the session began
        seated, or the wearer sat up from lying without settling. When the stand-up is seen, those seconds
        join the sitting bouts as if they had been sitting (RunTracker.add_earlier); their timeline rows,
        emitted before, stay unknown. The block is cut only at such stand-ups; the open unknown run's
        figures are carried between blocks.
        """
        unknown, standing = ACT["unknown"], ACT["standing"]
        before = np.empty_like(activity)
        before[0] = self._last_activity if self._last_activity >= 0 else ACT["lying"]  # a first second starts no run
        before[1:] = activity[:-1]
        is_unknown = activity == unknown
        starts = np.flatnonzero(is_unknown & (before != unknown))  # where a run of unknown seconds begins
        ups = np.flatnonzero((activity == standing) & (before == unknown))
        sitting = activity == ACT["sitting"]
        new: list[Event] = []
        a = 0
        for u in ups.tolist():
            for run in self._sitting.update(sitting[a:u], flex[a:u], secs[a:u]):
                new.extend(self._sitting_event(run))
            run_unknown = self._unknown_run(starts, u, secs, flex)
            self._sitting.add_earlier(run_unknown.start, run_unknown.last, run_unknown.peak, run_unknown.low,
                                      run_unknown.total, run_unknown.n)
            self._sitting_inferred_s += run_unknown.n
            a = u
        for run in self._sitting.update(sitting[a:], flex[a:], secs[a:]):
            new.extend(self._sitting_event(run))
        self._unknown = self._unknown_run(starts, activity.size, secs, flex) if is_unknown[-1] else None
        self._last_activity = int(activity[-1])
        return new

    def _unknown_run(self, starts: np.ndarray, end: int, secs: np.ndarray, flex: np.ndarray) -> _UnknownRun:
        """The run of unknown seconds that ends at the block's second end - 1 (it is unknown); starts: where runs
        of unknown seconds begin in the block. Without one before end, the run began in an earlier block."""
        j = int(np.searchsorted(starts, end)) - 1
        if j < 0:
            assert self._unknown is not None
            return self._unknown.extend(secs[:end], flex[:end]) if end else self._unknown
        k = int(starts[j])
        seg = flex[k:end].astype(np.float64, copy=False)
        return _UnknownRun(int(secs[k]), int(secs[end - 1]), float(seg.max()), float(seg.min()), float(seg.sum()),
                           seg.size)

    def _sitting_event(self, run: Run) -> list[Event]:
        st = self.settings
        self._bouts.append((run.start, run.end))
        if run.end - run.start > st.sitting_bout_max_s:
            figures: dict[str, Any] = {"duration_s": float(run.end - run.start),
                                       "alert_at_s": float(run.start + st.sitting_bout_max_s)}
            if run.inferred_seconds:  # the posture of those seconds was inferred from the stand-up that ended them
                figures["inferred"] = True
                figures["inferred_s"] = float(run.inferred_seconds)
            return [Event("prolonged_sitting", float(run.start), float(run.end), figures)]
        return []

    def _slouch_event(self, run: Run) -> list[Event]:
        self._slouch_s += run.end - run.start
        if run.end - run.start > self.settings.slouch_delay_s:
            return [Event("slouch", float(run.start), float(run.end),
                          {"duration_s": float(run.end - run.start), "peak_flexion_deg": run.peak,
                           "mean_flexion_deg": run.mean})]
        return []

    def _close_runs(self, final: bool) -> None:
        for run in self._sitting.flush():
            self._events.extend(self._sitting_event(run))
        for run in self._slouch.flush():
            self._events.extend(self._slouch_event(run))
        for run in self._extension.flush():
            if run.true_seconds < EXTENSION_MIN_S:
                continue
            self._events.append(Event("excessive_extension", float(run.start), float(run.end),
                                      {"peak_extension_deg": run.peak, "limit_deg": self._ext_limit_open,
                                       "time_above_s": float(run.true_seconds)}))
        self._events.extend(self._stretch.flush())

    def _summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for ev in self._events:
            kinds[ev.kind] = kinds.get(ev.kind, 0) + 1
        return {
            "duration_s": float(self._seconds),
            "activity_s": {name: float(self._activity_s[i]) for i, name in enumerate(ACTIVITIES)},
            "sitting_bouts": len(self._bouts),
            "longest_sitting_bout_s": float(max((e - s for s, e in self._bouts), default=0)),
            "sitting_inferred_s": float(self._sitting_inferred_s),
            "slouch_s": float(sum(ev.figures["duration_s"] for ev in self._events if ev.kind == "slouch")),
            "twists": self._twists,
            "twists_per_day_max": self.settings.twists_per_day_max,
            "stretches": [ev.figures["id"] for ev in sorted(self._events, key=_event_order) if ev.kind == "stretch"],
            "events": kinds,
            "calibration": (self.calibration or Calibration()).source,
            "barometer_s": float(self._baro_seconds),
            # samples left out: their quaternion is no orientation (usable()), or their time is out of order
            "unusable_s": round((self._unusable_blocks * self.block + self._out_of_order) / self.rate_hz, 3),
            "calibrations": [{"from_s": float(k), **cal.to_dict()}
                             for k, cal in (self._calibrations or [(0, Calibration())])],
            "settings": self.settings.to_dict(),
            "settings_changes": list(self._settings_changes),
        }


def _event_order(ev: Event) -> tuple[float, str]:
    return (ev.start_s, ev.kind)


@dataclass
class Analysis:
    settings: Settings
    calibration: Calibration
    events: list[Event]
    timeline: np.ndarray
    summary: dict[str, Any]

    def to_json(self, timeline: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"summary": self.summary, "events": [e.to_json() for e in self.events]}
        if timeline:
            tl = self.timeline
            out["timeline"] = [
                {"t_s": float(r["t_s"]), "activity": ACTIVITIES[int(r["activity"])],
                 "flexion_deg": round(float(r["flexion_deg"]), 2), "lateral_deg": round(float(r["lateral_deg"]), 2),
                 "rotation_deg": round(float(r["rotation_deg"]), 2),
                 "inclination_deg": round(float(r["inclination_deg"]), 2)}
                for r in tl
            ]
        return out


def spacing_rate(t_s: np.ndarray) -> float | None:
    """Nominal sample rate (Hz) from the median spacing of times t_s (s), in whole mHz; None when it cannot tell.

    Rounded because the times are sums of a frame's start and its samples' offsets in float64: at a device
    uptime of hours their spacing reads 99.99999999998 Hz or 100.0000000001 Hz by where the recording starts,
    and a live session (its first batch) and its recording (the first 10,000 samples) must take the same rate:
    it sets the analysis blocks and the filters' design (block_size).
    """
    if t_s.size < 2:
        return None
    dt = float(np.median(np.diff(t_s)))
    return round(1.0 / dt, 3) if dt > 0 else None


def rate_of(samples: np.ndarray) -> float:
    """Nominal sample rate (Hz) from the median sample spacing (spacing_rate); 100 Hz when it cannot tell."""
    return spacing_rate(samples["t_s"][: 10_000]) or 100.0


def filter_designs(analysis_rate_hz: float) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(b, a) of the gait band-pass (0.8-3 Hz, over |a|) and of the height filter (over the vertical
    acceleration, m/s^2 -> m) at the analysis rate (Hz).

    The band-pass is one 4th-order filter rather than two sections: at the analysis rate its poles lie well
    inside the unit circle, and lfilter takes half of sosfilt's time. For the height: the accelerometer's
    offset and scale error leave ~0.2 m/s^2 in the vertical; a 20 s high-pass removes it while leaving the
    1-3 s transitions intact. Then two leaky integrations of vertical acceleration -> height transient (m):
    a step in height D gives D(1 - t/tau)e^(-t/tau), so the first lobe has the sign of the change and the
    opposite lobe stays below 14% of it. One filter.
    """
    from scipy.signal import butter  # imported here, not at the top: see _rotation in angles.py

    dt = 1.0 / analysis_rate_hz
    lam, lam_hp = np.exp(-dt / HEIGHT_TAU_S), np.exp(-dt / 20.0)
    height = (np.convolve(np.array([1.0, -1.0]) * (1 + lam_hp) / 2, [dt * dt]),
              np.convolve([1.0, -lam_hp], np.convolve([1.0, -lam], [1.0, -lam])))
    return butter(2, [0.8, 3.0], btype="band", fs=analysis_rate_hz), height


def block_size(rate_hz: float) -> int:
    """Samples per analysis block at rate_hz (the module's docstring): rate // 25, with a margin for a rate
    a caller estimated from float times (99.99999999998 Hz is 100 Hz: blocks of 4, not 3)."""
    return max(1, int(rate_hz / ANALYSIS_RATE_HZ + 1e-6))


def analyze(samples: np.ndarray, settings: Settings | None = None, calibration: Calibration | None = None,
            rate_hz: float | None = None, changes: Sequence[tuple[float, Calibration | Settings]] = ()) -> Analysis:
    """Whole-recording analysis (the same code path as streaming, in one chunk).

    changes: (at_s, new calibration or settings) made during the recording, at_s in s since the first sample
    (Analyzer.set_calibration, set_settings), in the order they were made. Those applying from second 0 are
    what the analysis starts with, as a live analysis started with them.
    """
    later = []
    for at_s, change in changes:
        if int(np.floor(at_s)) + 1 > 0:
            later.append((at_s, change))
        elif isinstance(change, Calibration):
            calibration = change
        else:
            settings = change
    a = Analyzer(settings, calibration, rate_hz or rate_of(samples), keep_timeline=True, keep_angles=False)
    for at_s, change in later:
        if isinstance(change, Calibration):
            a.set_calibration(change, at_s)
        else:
            a.set_settings(change, at_s)
    # Chunks bound the temporaries (streaming equals batch, so the result is the same). They are cut at
    # whole seconds, so each is analysed in one pass with nothing left waiting.
    t, n, i = samples["t_s"], samples.size, 0
    while i < n:
        j = min(n, i + BATCH_SPAN)
        cut = i + _first_from(t[i:], float(t[0]), int(np.floor(t[j] - t[0]))) if j < n else n
        if cut > i and j < n:
            a.feed(samples[i:cut], ends_second=True)
            i = cut
        else:
            a.feed(samples[i:j])
            i = j
    return a.finish()
