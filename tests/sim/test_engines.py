"""The virtual wearable runs the firmware itself: in-process under CPython and inside the real MicroPython
interpreter, with the same messages; the frames carry the firmware's fusion of the simulated body."""

from __future__ import annotations

import numpy as np
import pytest

from dorsal.fusion_eval import tilt_error_deg
from dorsal.protocol import wire
from dorsal.sim.engine import VirtualWearable


def _run(engine: str, chunk_s: float, **kw) -> tuple[VirtualWearable, list]:  # noqa: ANN003
    vw = VirtualWearable("seated-twist", seed=2, duration_s=40, engine=engine, **kw)
    out = []
    while not vw.done:
        out += vw.next_messages(chunk_s)
    return vw, out


def test_cpython_and_micropython_engines_give_the_same_messages(micropython: str) -> None:
    # different chunkings on purpose: the firmware's loop, not the chunk size, decides what is sent
    (vc, a), (vm, b) = _run("cpython", 7.3), _run("micropython", 3.1)
    assert (vc.engine_used, vm.engine_used) == ("cpython", "micropython")
    assert len(a) == len(b) > 400
    assert all(x.payload == y.payload and x.t_s == y.t_s for x, y in zip(a, b))
    kinds = {m.payload[1] for m in a}
    assert {wire.MSG_DATA, wire.MSG_PRESSURE, wire.MSG_BATTERY} <= kinds


def test_the_pipelined_child_process_gives_the_same_messages() -> None:
    # what `dorsal simulate` uses: the firmware in a child CPython working while the next chunk is simulated
    (_, a), (vp, b) = _run("cpython", 7.3), _run("cpython", 2.9, pipelined=True)
    assert len(a) == len(b) > 400 and vp.engine_used == "cpython"
    assert [(x.payload, x.t_s) for x in a] == [(y.payload, y.t_s) for y in b]


@pytest.mark.parametrize("imu", ["mpu6050", "icm42688p", "lsm6dsox"])
def test_the_firmware_frames_every_simulated_sample_with_its_own_fusion(imu: str) -> None:
    vw, msgs = _run("cpython", 1.0, imu=imu)
    data = [m.payload for m in msgs if m.payload[1] == wire.MSG_DATA]
    heads = [wire.decode_header(p) for p in data]
    assert heads[0][2] == 0 and all(b[2] == a[2] + a[5] for a, b in zip(heads, heads[1:]))
    assert sum(h[5] for h in heads) == vw.stream.total_samples
    assert heads[0][4] == round(1e6 / vw.stream.rate_hz)
    rec = np.concatenate([np.frombuffer(p[wire.HEADER_SIZE:], "<i2").reshape(-1, 11) for p in data])
    # the quaternion is the firmware's estimate, not the truth: close to the simulated body's tilt once the
    # gyro bias is learnt, but not identical
    again = VirtualWearable("seated-twist", seed=2, duration_s=40, engine="encoder", imu=imu)
    truth = []
    while not again.done:
        truth += [m.payload for m in again.next_messages(5.0) if m.payload[1] == wire.MSG_DATA]
    enc = np.concatenate([np.frombuffer(p[wire.HEADER_SIZE:], "<i2").reshape(-1, 11) for p in truth])
    err = tilt_error_deg(rec[:, :4] / 16384.0, enc[:, :4] / 16384.0)
    bias_ok = np.flatnonzero(rec[:, 10].astype(np.uint16) & wire.ST_GYRO_BIAS_VALID)
    assert bias_ok.size and bias_ok[0] < 1500
    late = err[bias_ok[0] + 300 :]
    assert np.percentile(late, 95) < 4.0 and 0 < np.median(late), (np.percentile(late, 95), np.median(late))
    # the accelerometer and gyro fields are the chip's quantised readings of the same samples, converted by
    # the firmware: within a wire LSB or two of the truth's own rounding (the gyro until the firmware starts
    # taking its bias estimate off)
    assert np.abs(rec[:, 4:7].astype(int) - enc[:, 4:7]).max() <= 2
    assert np.abs(rec[: bias_ok[0], 7:10].astype(int) - enc[: bias_ok[0], 7:10]).max() <= 2
