"""The device's fusion: accuracy on BROAD, the same numbers under MicroPython's viper and CPython, no
allocation per sample, 32-bit arithmetic, and agreement with its float reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dorsal import devicefilter, fusion_eval
from fwrig import MICROPYPATH, cpython_paths


@pytest.fixture(scope="module")
def fast_rotation(shared_data: Path) -> fusion_eval.Trial:
    return next(t for t in fusion_eval.trials(shared_data / "broad") if t.name.startswith("06"))


@pytest.mark.slow
def test_tilt_accuracy_on_broad_meets_the_target(shared_data: Path) -> None:
    s = fusion_eval.score("device", devicefilter.fuse_device, shared_data / "broad")
    assert len(s.per_trial_deg) == 13
    assert s.mean_deg <= 1.0, s.per_trial_deg
    assert s.worst_deg <= 2.5, s.per_trial_deg


def test_viper_under_micropython_is_bit_exact_with_cpython(micropython: str, tmp_path: Path,
                                                           fast_rotation: fusion_eval.Trial) -> None:
    rec = devicefilter.to_records(fast_rotation.acc_mps2[:6000], fast_rotation.gyr_rps[:6000])
    (tmp_path / "in.bin").write_bytes(rec.astype("<i2").tobytes())
    script = tmp_path / "run.py"
    script.write_text(
        "import dorsal_fusion as f\n"
        "buf = bytearray(open('in.bin', 'rb').read())\n"
        f"st = f.new_state({fast_rotation.rate_hz!r})\n"
        "n = len(buf) // 22\n"
        "i = 0\n"
        "while i < n:\n"
        "    k = min(32, n - i)\n"
        "    f.fuse(st, buf, i * 11, k)\n"
        "    i += k\n"
        "open('out.bin', 'wb').write(buf)\n")
    r = subprocess.run([micropython, str(script)], cwd=tmp_path, env=dict(os.environ, MICROPYPATH=MICROPYPATH),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    mp = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype="<i2").reshape(-1, 11)
    cp = devicefilter.fuse_records(rec, fast_rotation.rate_hz)
    assert np.array_equal(mp, cp)
    assert np.abs(cp[:, :4]).max() > 8000  # it did rotate


def test_fusion_allocates_nothing_per_sample(micropython: str, tmp_path: Path) -> None:
    script = tmp_path / "alloc.py"
    script.write_text(
        "import micropython, struct, dorsal_fusion as f\n"
        "st = f.new_state(100)\n"
        "buf = bytearray(22 * 32)\n"
        "for i in range(32):\n"
        "    struct.pack_into('<hhhhhhhhhhH', buf, 22 * i, 0, 0, 0, 0, 300, -200, 950, 160, -40, 8, 0)\n"
        "f.fuse(st, buf, 0, 32)\n"
        "def run():\n"
        "    for k in range(200):\n"
        "        f.fuse(st, buf, 0, 32)\n"
        "micropython.heap_lock()\n"
        "try:\n"
        "    run()\n"
        "    micropython.heap_unlock()\n"
        "    print('ok')\n"
        "except MemoryError:\n"
        "    micropython.heap_unlock()\n"
        "    print('allocated')\n")
    r = subprocess.run([micropython, str(script)], env=dict(os.environ, MICROPYPATH=MICROPYPATH),
                       capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr


def test_every_intermediate_fits_in_32_bits(fast_rotation: fusion_eval.Trial) -> None:
    """On a 32-bit board viper integers wrap at 2**31: trace every local of the fused loop on hard motion."""
    fusion = devicefilter.fusion_module()
    i0 = int(np.argmax(np.linalg.norm(fast_rotation.gyr_rps, axis=1)))  # the fastest moment
    sl = slice(max(0, i0 - 1500), i0 + 1500)
    rec = devicefilter.to_records(fast_rotation.acc_mps2[sl], fast_rotation.gyr_rps[sl])
    # saturated extremes too: full-scale rates and 4 g
    rec[-50:, 4:10] = [[32767, -32768, 32767, 32767, -32768, 32767]]
    biggest = [0]

    def tracer(frame, event, arg):  # noqa: ANN001, ANN202
        if frame.f_code is fusion.fuse.__code__:
            for v in frame.f_locals.values():
                if isinstance(v, int) and abs(v) > biggest[0]:
                    biggest[0] = abs(v)
            return tracer
        return None

    state = fusion.new_state(fast_rotation.rate_hz)
    buf = bytearray(rec.astype("<i2").tobytes())
    sys.settrace(tracer)
    try:
        fusion.fuse(state, buf, 0, rec.shape[0])
    finally:
        sys.settrace(None)
    assert 2**29 < biggest[0] < 2**31, biggest[0]


def test_fixed_point_agrees_with_the_float_reference(fast_rotation: fusion_eval.Trial) -> None:
    cpython_paths()
    import fusion_float

    n = 8000
    rec = devicefilter.to_records(fast_rotation.acc_mps2[:n], fast_rotation.gyr_rps[:n])
    fixed = devicefilter.fuse_records(rec, fast_rotation.rate_hz)[:, :4] / 16384.0
    ref = fusion_float.FloatFusion(fast_rotation.rate_hz)
    floats = np.array([ref.update(*(r[4:7] / 1000.0), *(r[7:10] / 16.0)) for r in rec.astype(float)])
    diff = fusion_eval.tilt_error_deg(fixed, floats)
    # stated tolerance: 0.1 deg (fixed-point rounding, Q14 output)
    assert diff.max() < 0.1, diff.max()
