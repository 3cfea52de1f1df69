"""The core's fast paths against plain references: the block reader and the heading unwrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dorsal.core.angles import AngleState, _rotation
from dorsal.core.pipeline import _PIECE, read_blocks, second_extremes
from dorsal.decode import SAMPLE_DTYPE

FLOATS = ("qw", "qx", "qy", "qz", "ax_mps2", "ay_mps2", "az_mps2", "gx_rps", "gy_rps", "gz_rps")


def random_records(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.zeros(n, SAMPLE_DTYPE)
    s["seq"] = np.arange(n)
    s["t_s"] = np.cumsum(rng.uniform(0.005, 0.015, n))
    for f in FLOATS:
        s[f] = rng.normal(0.0, 10.0, n).astype(np.float32)
    s["status"] = rng.integers(0, 1 << 16, n)
    s["source"] = rng.integers(0, 256, n)
    s["pressure_pa"] = rng.uniform(90_000, 110_000, n).astype(np.float32)
    return s


def plain_blocks(s: np.ndarray, first: int, n_blocks: int, d: int, carry: np.ndarray) -> dict[str, np.ndarray]:
    """Record by record: each block's float32 acceleration sum in record order (carry first), divided by d,
    and its last record's other fields."""
    out = {k: [] for k in ("t_s", "status", "pressure_pa", *FLOATS)}
    for b in range(n_blocks):
        end = first + b * d
        start = 0 if b == 0 else end - d + 1
        for f in FLOATS:
            if f in ("ax_mps2", "ay_mps2", "az_mps2"):
                lane = "xyz".index(f[1])
                terms = [np.float32(v) for v in carry[lane]] if b == 0 else []
                terms += [s[f][i] for i in range(start, end + 1)]
                total = terms[0]
                for v in terms[1:]:
                    total = np.float32(total + v)
                out[f].append(np.float32(total * np.float32(1.0 / d)) if d > 1 else total)
            else:
                out[f].append(s[f][end])
        out["t_s"].append(s["t_s"][end])
        out["status"].append(s["status"][end])
        out["pressure_pa"].append(s["pressure_pa"][end])
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("n", [1, 9, 2 * _PIECE + 37])
def test_blocks_equal_a_record_by_record_reading(d: int, n: int) -> None:
    s = random_records(n, seed=d * 1000 + n)
    carry = np.random.default_rng(n).normal(0, 10, (3, (d - 1) // 2)).astype(np.float32)
    first = min(n - 1, d - 1 - carry.shape[1])
    n_blocks = (n - first + d - 1) // d
    blk = read_blocks(s, first, n_blocks, d, carry)
    want = plain_blocks(s, first, n_blocks, d, carry)
    for i, f in enumerate(FLOATS):
        assert np.array_equal(blk.floats[i], want[f]), f
    assert np.array_equal(blk.t_s, want["t_s"])
    assert np.array_equal(blk.status, want["status"])
    assert np.array_equal(blk.pressure_pa, want["pressure_pa"])


def headings(n: int, seed: int) -> np.ndarray:
    """A heading (rad, as read in (-pi, pi]) that wanders both ways and turns around some 20 times."""
    rng = np.random.default_rng(seed)
    turning = np.cumsum(rng.normal(0.05, 0.3, n))
    return np.angle(np.exp(1j * turning)).astype(np.float32)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 700), min_size=1, max_size=12))
def test_the_heading_unwrap_is_continuous_and_chunk_invariant(seed: int, sizes: list[int]) -> None:
    h = headings(3000, seed)
    whole_state = AngleState()
    whole = _rotation(h, 25.0, 60.0, whole_state)
    state, parts, pos, i = AngleState(), [], 0, 0
    while pos < h.size:
        n = sizes[i % len(sizes)]
        parts.append(_rotation(h[pos : pos + n], 25.0, 60.0, state))
        pos, i = pos + n, i + 1
    assert np.array_equal(np.concatenate(parts), whole)
    assert (state.turns, state.last_heading_rad) == (whole_state.turns, whole_state.last_heading_rad)
    # the unwrapped heading: the reading plus whole turns, and no step of a turn between samples
    assert state.last_heading_rad == pytest.approx(float(h[-1]) + 2 * np.pi * state.turns)
    plain = np.unwrap(h.astype(np.float64))
    assert state.last_heading_rad == pytest.approx(plain[-1], abs=1e-9)
    assert abs(state.turns) >= 10


@pytest.mark.parametrize("d", [2, 3, 4, 8])
def test_a_block_cut_by_a_chunk_boundary_sums_as_in_the_whole(d: int) -> None:
    """The carried records are added first and one by one: ((a0 + a1) + a2) + a3, not (a0 + a1) + (a2 + a3)."""
    s = random_records(40 * d, seed=d)
    whole = read_blocks(s, d - 1, 40, d, np.zeros((3, 0), np.float32)).floats
    for cut in range(1, 3 * d):
        n_first = (cut - (d - 1) + d - 1) // d if cut > d - 1 else 0  # blocks ending in the first chunk
        tail = n_first * d
        parts = []
        if n_first:
            parts.append(read_blocks(s[:cut], d - 1, n_first, d, np.zeros((3, 0), np.float32)).floats)
        carry = np.stack([s[f][tail:cut] for f in ("ax_mps2", "ay_mps2", "az_mps2")]).astype(np.float32)
        rest = s[cut:]
        first = d - 1 - carry.shape[1]
        parts.append(read_blocks(rest, first, (rest.size - first + d - 1) // d, d, carry).floats)
        assert np.array_equal(np.concatenate(parts, axis=1), whole), cut


@pytest.mark.parametrize("width", [1, 5, 25, 26])
def test_the_equal_width_extremes_equal_the_per_second_ones(width: int) -> None:
    """A chunk whose seconds all have one width takes their lowest and highest through one transposed copy;
    a chunk with one uneven second takes reduceat's: the same values, so chunking cannot change them."""
    rng = np.random.default_rng(width)
    v = np.round(rng.normal(0, 3, 40 * width)).astype(np.float32)  # many ties and zeros
    starts = np.arange(0, v.size, width)
    lo, hi = second_extremes(v, starts, width)
    assert np.array_equal(lo, np.minimum.reduceat(v, starts)) and np.array_equal(hi, np.maximum.reduceat(v, starts))
    uneven = np.append(starts, v.size - 1)  # the last second split in two: the reduceat path
    lo2, hi2 = second_extremes(v, uneven, 0)
    assert np.array_equal(lo2[:-2], lo[:-1]) and np.array_equal(hi2[:-2], hi[:-1])
