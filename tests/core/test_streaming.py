"""Streaming equals batch: any chunking yields the same timeline and events."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dorsal.core import Analyzer, analyze, pipeline


def run_chunked(samples: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, list[dict]]:
    a = Analyzer(rate_hz=100.0, keep_timeline=True)
    pos, i = 0, 0
    while pos < samples.size:
        n = sizes[i % len(sizes)]
        a.feed(samples[pos : pos + n])
        pos += n
        i += 1
    result = a.finish()
    return result.timeline, [e.to_json() for e in result.events]


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_fixed_chunkings_equal_the_whole(recording: np.ndarray, size: int) -> None:
    samples = recording if size > 1 else recording[:6000]
    whole = analyze(samples, rate_hz=100.0)
    timeline, events = run_chunked(samples, [size])
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.data_too_large])
@given(st.lists(st.integers(1, 5000), min_size=1, max_size=20))
def test_random_chunkings_equal_the_whole(recording: np.ndarray, sizes: list[int]) -> None:
    whole = analyze(recording, rate_hz=100.0)
    timeline, events = run_chunked(recording, sizes)
    assert np.array_equal(timeline, whole.timeline)
    assert events == [e.to_json() for e in whole.events]


def test_a_large_feed_analysed_in_pieces_gives_every_angle_and_the_same_result(recording: np.ndarray,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed of many BATCH_CHUNK pieces (Analyzer._analyse: the per-sample stages piece by piece, the per-second
    ones at once) returns the angles of all its analysis samples, as small feeds do, and the same analysis."""
    small = Analyzer(rate_hz=100.0, keep_timeline=True)
    parts = [small.feed(recording[i : i + 1000]) for i in range(0, recording.size, 1000)]
    monkeypatch.setattr(pipeline, "BATCH_CHUNK", 2000)
    big = Analyzer(rate_hz=100.0, keep_timeline=True)
    update = big.feed(recording)
    for name in ("t_s", "flexion_deg", "lateral_deg", "rotation_deg", "inclination_deg"):
        assert np.array_equal(getattr(update, name), np.concatenate([getattr(u, name) for u in parts]))
    assert np.array_equal(update.timeline, np.concatenate([u.timeline for u in parts]))
    assert update.live == small.live
    whole, cut = small.finish(), big.finish()
    assert np.array_equal(cut.timeline, whole.timeline) and cut.summary == whole.summary
    assert [e.to_json() for e in cut.events] == [e.to_json() for e in whole.events]


def test_times_that_are_not_finite_by_the_cuts_of_the_pieces_change_nothing(recording: np.ndarray,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A time that is not finite (and that feed()'s probe of every 64th sample passes over) by where
    Analyzer._pieces would cut may mislead its bisection: no cut is made there, so the seconds stay whole."""
    samples = recording.copy()
    rng = np.random.default_rng(1)
    for k in range(1, samples.size // 1000):
        at = k * 1000 + int(rng.integers(-30, 130))
        samples["t_s"][at + (at % 64 == 0)] = np.nan
    monkeypatch.setattr(pipeline, "BATCH_SPAN", samples.size)  # one feed
    whole = analyze(samples, rate_hz=100.0)  # one piece
    monkeypatch.setattr(pipeline, "BATCH_CHUNK", 1000)
    cut = analyze(samples, rate_hz=100.0)
    assert np.array_equal(cut.timeline, whole.timeline) and cut.summary == whole.summary
    assert [e.to_json() for e in cut.events] == [e.to_json() for e in whole.events]


def test_live_memory_stays_flat(recording: np.ndarray) -> None:
    """Without keep_timeline the analyzer holds no per-sample or per-second history."""
    a = Analyzer(rate_hz=100.0)
    sizes = []
    for rep in range(4):
        chunk = recording.copy()
        chunk["t_s"] += rep * (recording["t_s"][-1] - recording["t_s"][0] + 0.01)
        for i in range(0, chunk.size, 500):
            a.feed(chunk[i : i + 500])
        sizes.append(a._pending.size + len(a._timeline) + a._stretch._rows.size)
    assert max(sizes) <= 4000  # bounded by one second of samples plus one open stretch episode


def test_a_strided_input_gives_what_a_contiguous_one_gives(recording: np.ndarray) -> None:
    """The blocks are read from a contiguous copy of a strided input: the same analysis."""
    big = np.zeros(recording.size * 2, recording.dtype)
    big[::2] = recording
    assert not big[::2].flags.c_contiguous
    assert analyze(big[::2]).to_json(timeline=True) == analyze(recording).to_json(timeline=True)
