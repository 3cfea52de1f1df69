"""The optional barometer channel: BMP390 driver on its register-level emulator, pressure messages with their
own sequence, FIFO overflow, and single precision as on the boards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dorsal.protocol import wire
from fwrig import cpython_paths, data_frames, run_app_micropython


def wave_pa(t_s: np.ndarray) -> np.ndarray:
    # a slow pressure wave of +-40 Pa (3 m of height) on top of sea level, so a value shows its own moment
    return 101325.0 + 40.0 * np.sin(2 * np.pi * t_s / 8.0)


def pressure_series(msgs: list[bytes]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """(device time s, Pa, headers) of every pressure sample, in order."""
    t, pa, heads = [], [], []
    for m in msgs:
        if m[1] != wire.MSG_PRESSURE:
            continue
        h, vals = wire.decode_pressure(m)
        heads.append(h)
        for i, v in enumerate(vals):
            t.append((h[3] + i * h[4] / 1000) / 1000)
            pa.append(v / wire.PRESSURE_LSB_PER_PA)
    return np.array(t), np.array(pa), heads


def test_pressure_streams_inside_micropython_next_to_the_imu(micropython: str, tmp_path: Path) -> None:
    rate, seconds = 100, 20
    t = np.arange(int(rate * (seconds + 2))) / rate
    rows = np.zeros((t.size, 7), dtype="<f4")
    rows[:, 2] = 9.80665
    rows[:, 6] = wave_pa(t)
    rows.tofile(tmp_path / "imu.f32")
    ident = wire.frame(wire.encode_command(wire.CMD_IDENTIFY, 3)) + wire.frame(wire.encode_command(wire.CMD_START, 4))
    msgs = run_app_micropython(micropython, tmp_path, "icm42688p", rate, seconds, str(tmp_path / "imu.f32"),
                               commands=ident, extra=("virtual", "baro"))
    info = wire.decode_info(next(wire.decode_response(m)[3] for m in msgs if m[1] == wire.MSG_RESPONSE))
    assert info["capabilities"] & wire.CAP_BAROMETER
    ts, pa, heads = pressure_series(msgs)
    # its own channel: 25 Hz, seq continuous from 0, about seconds * 25 samples
    assert all(h[4] == 40000 and h[6] == wire.PRESSURE_SIZE for h in heads)
    seqs = [h[2] for h in heads]
    assert seqs[0] == 0 and all(b[2] == a[2] + a[5] for a, b in zip(heads, heads[1:]))
    assert seconds * 25 - 12 <= pa.size <= seconds * 25
    # each value is the pressure of its own moment: the stream row of the IMU sample at the same device
    # time (or its neighbour, device times being whole ms); compensation and the 1/64 Pa step add < 0.02 Pa
    frames = data_frames(msgs)
    assert sum(h[5] for h, _ in frames) >= seconds * rate - 10  # the IMU channel is untouched
    imu_t = np.concatenate([(h[3] + np.arange(h[5]) * h[4] / 1000) / 1000 for h, _ in frames])
    imu_seq = np.concatenate([h[2] + np.arange(h[5]) for h, _ in frames])
    k = np.floor(np.interp(ts, imu_t, imu_seq) + 1e-6).astype(int)
    err = np.min([np.abs(pa - wave_pa((k + d) / rate)) for d in (-1, 0, 1)], axis=0)
    assert err.max() < 0.02, err.max()
    assert np.abs(pa - wave_pa(k / rate)).mean() < 0.1  # mostly the very row


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    cpython_paths()
    monkeypatch.chdir(tmp_path)
    import baro_emulator
    import imu_emulator
    import rigclock
    import rigstate

    clock = rigclock.VirtualClock()
    rigstate.setup("mpu6500", imu_emulator.StillSource(), clock, baro=baro_emulator.ConstantPressure(95000.0))
    return clock


def make_app(clock):  # noqa: ANN001, ANN201
    import dorsal_app
    import machine

    a = dorsal_app.App(machine, clock, board="virtual")
    sent: list[bytes] = []
    a.sinks.append(lambda m: sent.append(bytes(m)))
    a.sent = sent
    return a


def test_barometer_fifo_overflow_skips_seq_and_recovers(rig) -> None:  # noqa: ANN001
    import rigstate

    app = make_app(rig)
    app.run(duration_ms=2000)
    app.clock.sleep_ms(4000)  # a stall past the 512-byte FIFO (73 frames, 2.9 s at 25 Hz)
    app.run(duration_ms=3000)
    _, pa, heads = pressure_series(app.sent)
    gaps = [(a[2] + a[5], b[2]) for a, b in zip(heads, heads[1:]) if a[2] + a[5] != b[2]]
    assert len(gaps) == 1 and app.baro_gaps == 1, gaps
    lost = gaps[0][1] - gaps[0][0]
    assert 90 <= lost <= 110, lost  # the 4 s stall at 25 Hz, named exactly in seq
    assert rigstate.baro().samples_lost > 0
    # every value that arrived is right (95000 Pa), none is a misaligned frame
    assert np.all(np.abs(pa - 95000.0) < 1 / 64)
    # the device times still follow the sample clock after the gap
    t_gap = next(b for a, b in zip(heads, heads[1:]) if b[2] == gaps[0][1])
    t_before = next(a for a, b in zip(heads, heads[1:]) if b[2] == gaps[0][1])
    assert abs((t_gap[3] - t_before[3]) - (t_gap[2] - t_before[2]) * 40) <= 45


def test_no_barometer_no_pressure_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpython_paths()
    monkeypatch.chdir(tmp_path)
    import imu_emulator
    import rigclock
    import rigstate

    clock = rigclock.VirtualClock()
    rigstate.setup("mpu6050", imu_emulator.StillSource(), clock)
    app = make_app(clock)
    app.run(duration_ms=2000)
    assert app.baro is None and not any(m[1] == wire.MSG_PRESSURE for m in app.sent)
    info = wire.decode_info(wire.decode_response(app.handle(wire.encode_command(wire.CMD_IDENTIFY, 1), None))[3])
    assert not info["capabilities"] & wire.CAP_BAROMETER and len(data_frames(app.sent)) > 10


def test_compensation_in_single_precision_as_on_the_boards(rig) -> None:  # noqa: ANN001
    # ESP32 and RP2040 ports of MicroPython compute in float32: the same driver code, fed float32
    # coefficients and raw counts, stays within 0.1 Pa (under 1 cm of height) of double precision
    import baro_emulator
    import dorsal_baro

    app = make_app(rig)
    b = app.baro
    assert isinstance(b, dorsal_baro.Barometer) and b.name == "BMP390"
    cal = baro_emulator.Calibration()
    f32 = dorsal_baro.Barometer.__new__(dorsal_baro.Barometer)
    for k in ("t1", "t2", "t3", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11"):
        setattr(f32, k, np.float32(getattr(b, k)))
    worst = 0.0
    for celsius in (5.0, 25.0, 40.0):
        rt = cal.raw_temperature(celsius)
        for pa in (30000.0, 80000.0, 101325.0, 125000.0):  # the chip's range is 300-1250 hPa
            rp = cal.raw_pressure(pa, cal.t_lin(rt))
            b.temperature_c(rt)
            exact = b.pressure_pa(rp)
            assert abs(exact - pa) < 0.01  # the emulator's inverse and the driver agree
            f32.temperature_c(np.float32(rt))
            worst = max(worst, abs(float(f32.pressure_pa(np.float32(rp))) - exact))
    assert worst < 0.1, worst
