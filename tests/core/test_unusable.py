"""Samples whose quaternion is no orientation (NaN, zeros) are left out as if they had not arrived, and an
acceleration that is not finite is an accelerometer fault: one such second no longer poisons the filters and the
heading for the rest of the session."""

from __future__ import annotations

import json

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chunking import feed_chunked
from dorsal.core import Analysis, analyze
from dorsal.core.pipeline import usable
from dorsal.recording import read_recording

DORSAL = str(Path(sys.executable).with_name("dorsal"))


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """300 s of the simulator's seated-twist scenario (a stretch with twists from 28 s) and of sit-stand (sitting
    and standing by turns), seed 3."""
    tmp = tmp_path_factory.mktemp("unusable")
    out = {}
    for scenario in ("seated-twist", "sit-stand"):
        path = tmp / f"{scenario}.dorsal"
        subprocess.run([DORSAL, "simulate", "--scenario", scenario, "--duration", "300s", "--out", str(path),
                        "--seed", "3"], check=True, capture_output=True, timeout=300)
        out[scenario] = read_recording(path).samples
    return out


def damaged(samples: np.ndarray) -> tuple[np.ndarray, float]:
    """samples with a second of NaN orientation (12 s in), half a second of zero quaternions (18 s), one NaN
    acceleration (20 s) and one infinite gyro reading (22 s); and the time left out (s): whole analysis blocks
    of 4 samples, counted from the first sample, whose orientation (their last sample's) is none: 25 of the NaN
    second and the 12 that the zeros reach the last sample of. The acceleration's second is an accelerometer
    fault instead, and the gyro reading only makes its second's gyro activity infinite."""
    s = samples.copy()
    s["qw"][1200:1300] = np.nan
    for f in ("qw", "qx", "qy", "qz"):
        s[f][1800:1850] = 0.0
    s["ax_mps2"][2001] = np.nan
    s["gz_rps"][2203] = np.inf
    return s, (25 + 12) * 4 / 100.0


def kinds(result: Analysis) -> dict[str, int]:
    return {k: v for k, v in result.summary["events"].items()}


def strict_json(result: Analysis) -> dict:
    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(json.dumps(result.to_json(timeline=True)), parse_constant=refuse)


@pytest.mark.parametrize("scenario", ["seated-twist", "sit-stand"])
def test_unusable_samples_are_left_out_and_the_rest_is_analysed(recordings: dict[str, np.ndarray],
                                                                scenario: str) -> None:
    """Before, the NaN second made every later axial rotation NaN (no twist, no stretch was found after it) and
    the height filter's state NaN (sit-stand: 28 s of sitting instead of 147), and the JSON held NaN."""
    clean_samples = recordings[scenario]
    bad, left_out = damaged(clean_samples)
    assert (~usable(bad)).sum() == 100 + 50
    clean, got = analyze(clean_samples, rate_hz=100.0), analyze(bad, rate_hz=100.0)
    assert clean.summary["unusable_s"] == 0.0 and got.summary["unusable_s"] == pytest.approx(left_out)
    for f in ("flexion_deg", "lateral_deg", "rotation_deg", "inclination_deg"):
        assert np.isfinite(got.timeline[f]).all()
    strict_json(got)  # no NaN in the output
    # the one whole second left out has no row; the analysis of the others is the clean one's
    assert got.timeline.size == clean.timeline.size - 1 and 12 not in got.timeline["t_s"]
    same = np.isin(clean.timeline["t_s"], got.timeline["t_s"])
    assert (clean.timeline["activity"][same] == got.timeline["activity"]).mean() >= 0.99
    assert np.abs(clean.timeline["rotation_deg"][same] - got.timeline["rotation_deg"]).max() < 5.0
    assert kinds(got) == kinds(clean) and len(set(clean.timeline["activity"])) >= 3
    for a, b in zip(clean.events, got.events):
        assert a.kind == b.kind and abs(a.start_s - b.start_s) <= 1 and abs(a.end_s - b.end_s) <= 1
    if scenario == "seated-twist":
        assert {"stretch", "twist"} <= set(kinds(got))


@pytest.mark.parametrize("sizes", [[7], [1000], [333, 4, 2500, 61]])
def test_left_out_samples_give_the_same_analysis_in_any_chunking(recordings: dict[str, np.ndarray],
                                                                 sizes: list[int]) -> None:
    bad, _ = damaged(recordings["seated-twist"])
    bad = bad if sizes != [7] else bad[:6000]
    whole, fed = analyze(bad, rate_hz=100.0), feed_chunked(bad, sizes)
    assert np.array_equal(fed.timeline, whole.timeline)
    assert [e.to_json() for e in fed.events] == [e.to_json() for e in whole.events]
    assert fed.summary["unusable_s"] == whole.summary["unusable_s"] > 0


def test_a_session_that_begins_with_unusable_samples_starts_at_the_first_usable_one(
        recordings: dict[str, np.ndarray]) -> None:
    """The first 3 s are zeros (a logger that wrote empty records first): the neutral is estimated from the
    usable seconds, and the analysis from 3 s on is the clean one's."""
    samples = recordings["seated-twist"]
    bad = samples.copy()
    for f in ("qw", "qx", "qy", "qz", "ax_mps2", "ay_mps2", "az_mps2"):
        bad[f][:300] = 0.0
    clean, got = analyze(samples, rate_hz=100.0), analyze(bad, rate_hz=100.0)
    assert got.summary["unusable_s"] == 3.0
    assert got.timeline["t_s"][0] == 3.0
    assert np.isfinite(got.timeline["flexion_deg"]).all()
    assert got.calibration.source == clean.calibration.source == "estimated"
    assert kinds(got) == kinds(clean)


def test_a_clock_that_goes_back_is_left_out_until_it_passes_the_newest_time(recordings: dict[str, np.ndarray]) -> None:
    """Samples whose time is not after every earlier one's (here a device clock that began again at 1 s after
    150 s, as a restart's would if nothing upstream joined the two boots) are left out and counted, fed whole
    or in chunks; before, the analysis stopped with an IndexError."""
    samples = recordings["sit-stand"]
    bad = samples.copy()
    bad["t_s"][15000:] -= bad["t_s"][15000] - bad["t_s"][0] - 1.0
    clean, whole = analyze(samples[:15000], rate_hz=100.0), analyze(bad, rate_hz=100.0)
    behind = int((bad["t_s"][15000:] <= bad["t_s"][:15000].max()).sum())  # till the clock passes the newest time
    assert behind >= 14800 and whole.summary["unusable_s"] == pytest.approx(behind / 100.0)
    before = whole.timeline[whole.timeline["t_s"] < 150]
    assert np.array_equal(before, clean.timeline[: before.size]) and before.size >= 149  # as without the rest
    for sizes in ([1000], [97, 3000]):
        fed = feed_chunked(bad, sizes)
        assert np.array_equal(fed.timeline, whole.timeline)
        assert fed.summary["unusable_s"] == whole.summary["unusable_s"]


@pytest.mark.parametrize("sizes", [[100], [1], [37, 250]])
def test_a_nan_time_or_one_sample_back_in_time_is_left_out(recordings: dict[str, np.ndarray], sizes: list[int]) -> None:
    """A NaN time (at a chunk's last sample it stopped a live feed with a ValueError) and one sample 5 s back
    in time: the analysis goes on, the rows are the clean ones' but for the seconds of those samples. How much
    is left out depends on the chunking here (at most the rest of the second the early time landed in: a
    chunk's times are read sparsely, and a second is analysed once)."""
    samples = recordings["sit-stand"][:9000]
    bad = samples.copy()
    bad["t_s"][2999] = np.nan
    bad["t_s"][6001] -= 5.0
    clean, fed = analyze(samples, rate_hz=100.0), feed_chunked(bad, sizes)
    assert 0.0 < fed.summary["unusable_s"] <= 1.0
    assert np.isfinite(fed.timeline["flexion_deg"]).all()
    same = np.isin(clean.timeline["t_s"], fed.timeline["t_s"])
    assert same.sum() >= clean.timeline.size - 2
    assert (clean.timeline["activity"][same] == fed.timeline["activity"]).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.data_too_large])
@given(st.lists(st.tuples(st.sampled_from(["nan_q", "zero_q", "huge_q", "nan_acc", "inf_acc", "inf_gyro",
                                           "nan_t", "t_back", "t_repeat"]),
                          st.integers(0, 5999), st.integers(1, 300)), min_size=1, max_size=6),
       st.lists(st.integers(1, 2500), min_size=1, max_size=4))
def test_any_damage_in_any_chunking_gives_an_analysis_and_no_nan(recordings: dict[str, np.ndarray],
                                                                damage: list[tuple[str, int, int]],
                                                                sizes: list[int]) -> None:
    """Random damage of every kind, fed in random chunks: no exception, every angle finite, strict JSON."""
    s = recordings["seated-twist"][:6000].copy()
    for kind, at, n in damage:
        part = slice(at, at + n)
        if kind.endswith("_q"):
            value = {"nan_q": np.nan, "zero_q": 0.0, "huge_q": 1e30}[kind]
            for f in ("qw", "qx", "qy", "qz"):
                s[f][part] = value
        elif kind.endswith("_acc"):
            s["ay_mps2"][part] = np.nan if kind == "nan_acc" else np.inf
        elif kind == "inf_gyro":
            s["gx_rps"][part] = -np.inf
        elif kind == "nan_t":
            s["t_s"][part] = np.nan
        elif kind == "t_back":
            s["t_s"][part] -= 7.5
        else:
            s["t_s"][part] = s["t_s"][at]
    got = feed_chunked(s, sizes)
    for f in ("flexion_deg", "lateral_deg", "rotation_deg", "inclination_deg"):
        assert np.isfinite(got.timeline[f]).all()
    assert np.all(np.diff(got.timeline["t_s"]) > 0)
    strict_json(got)
