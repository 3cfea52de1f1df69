"""The firmware's BLE peripheral with an injected BLE object (the rig's recording stand-in of MicroPython's
`bluetooth` module): advertising, GATT layout, commands, throttled notifications, refusals, reconnect and
backfill. The same code on a real Bluetooth stack (Bumble) is exercised by the link tests."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from dorsal.protocol import wire
from fwrig import cpython_paths


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    cpython_paths()
    monkeypatch.chdir(tmp_path)
    import bluetooth
    import dorsal_app
    import imu_emulator
    import machine
    import rigclock
    import rigstate

    clock = rigclock.VirtualClock()
    rigstate.setup("icm42688p", imu_emulator.StillSource(), clock)
    ble = bluetooth.BLE()
    app = dorsal_app.App(machine, clock, board="virtual", ble=ble)
    return app, ble


def received(ble, handle: int, kinds: tuple[int, ...] = (wire.MSG_DATA, wire.MSG_DATA_BACKLOG)) -> list[bytes]:  # noqa: ANN001
    """Sample messages the central got on a characteristic, segments reassembled."""
    r = wire.Reassembler()
    out = []
    for _, h, data in ble.notified:
        if h == handle:
            m = r.feed(data)
            if m is not None and m[1] in kinds:
                out.append(m)
    return out


def command(ble, app, cmd: int, tag: int, args=()) -> tuple:  # noqa: ANN001
    ble.central_write(0, app.ble.h_control, wire.encode_command(cmd, tag, args))
    app.ble.poll()
    resp = [wire.decode_response(v) for _, h, v in ble.notified if h == app.ble.h_response]
    return resp[-1]


def test_advertises_the_service_and_the_name(rig) -> None:  # noqa: ANN001
    app, ble = rig
    interval, adv, resp = ble.advertising
    assert len(adv) <= 31 and len(resp) <= 31
    uuid_le = bytes(reversed(bytes.fromhex(wire.SERVICE_UUID.replace("-", ""))))
    assert adv[3:5] == bytes((17, 0x07)) and adv[5:21] == uuid_le
    assert resp[1] == 0x09 and resp[2:].decode() == "dorsal-5e1a"
    kinds = {ble.handles[h][1].value for h in ble.handles}
    assert {wire.DATA_CHAR_UUID, wire.CONTROL_CHAR_UUID, wire.RESPONSE_CHAR_UUID, wire.INFO_CHAR_UUID,
            wire.BATTERY_LEVEL_UUID16} <= kinds
    assert wire.decode_info(ble.gatts_read(app.ble.h_info))["imu"] == "icm42688p"


def test_streams_throttled_frames_sized_to_the_mtu(rig) -> None:  # noqa: ANN001
    app, ble = rig
    ble.central_connect(0, mtu=247)
    assert command(ble, app, wire.CMD_START, 1)[2] == wire.OK
    t0 = app.clock.elapsed_us()
    app.run(duration_ms=20000)
    seconds = (app.clock.elapsed_us() - t0) / 1e6
    data = [n for n in ble.notified if n[1] == app.ble.h_data]
    assert len(data) / seconds <= 20.5  # about 10-20 notifications per second
    assert all(len(d) <= 247 - 3 for _, _, d in data)
    frames = [wire.decode_header(m) for m in received(ble, app.ble.h_data)]
    seqs = [f[2] for f in frames]
    assert seqs == sorted(seqs) and all(b[2] == a[2] + a[5] for a, b in zip(frames, frames[1:]))
    assert sum(f[5] for f in frames) >= 0.95 * 100 * seconds


def test_small_mtu_uses_segments(rig) -> None:  # noqa: ANN001
    app, ble = rig
    ble.central_connect(0, mtu=23)
    command(ble, app, wire.CMD_START, 1)
    app.run(duration_ms=3000)
    assert all(len(d) <= 20 for _, h, d in ble.notified if h == app.ble.h_data)
    assert received(ble, app.ble.h_data), "frames reassemble from 20-byte notifications"


def test_refusals_back_off_and_nothing_is_lost(rig) -> None:  # noqa: ANN001
    app, ble = rig
    ble.central_connect(0, mtu=247)
    command(ble, app, wire.CMD_START, 1)
    app.run(duration_ms=2000)
    ble.refuse = 6  # the stack is full six times in a row
    app.run(duration_ms=8000)
    assert app.ble.refused == 6
    frames = [wire.decode_header(m) for m in received(ble, app.ble.h_data)]
    missing = [(a[2] + a[5], b[2]) for a, b in zip(frames, frames[1:]) if b[2] != a[2] + a[5]]
    # a burst of refusals may cost queued frames, but never silently: what is missing is in the backlog
    for lo, hi in missing:
        first, n = struct.unpack("<III", command(ble, app, wire.CMD_BACKLOG, 5, (lo, hi))[3])[1:]
        assert (first, n) == (lo, hi - lo)
    # every sample missing live is one the peripheral counted as dropped from its queue
    assert sum(hi - lo for lo, hi in missing) == app.ble.dropped_frames * app.per_frame


def test_reconnect_and_backfill_every_sample_exactly_once(rig) -> None:  # noqa: ANN001
    app, ble = rig
    ble.central_connect(0, mtu=247)
    command(ble, app, wire.CMD_START, 1)
    app.run(duration_ms=3000)
    got = {}
    for m in received(ble, app.ble.h_data):
        h = wire.decode_header(m)
        for i in range(h[5]):
            got[h[2] + i] = m[wire.HEADER_SIZE + i * 22 : wire.HEADER_SIZE + (i + 1) * 22]
    ble.central_disconnect(0)
    assert ble.advertising is not None  # advertising again
    app.run(duration_ms=4000)  # walked away: samples keep going into the backlog
    ble.notified.clear()
    ble.central_connect(0, mtu=247)
    command(ble, app, wire.CMD_START, 2)
    resume = max(got) + 1
    assert command(ble, app, wire.CMD_BACKLOG, 3, (resume, wire.BACKLOG_TO_NOW))[2] == wire.OK
    app.run(duration_ms=6000)
    for m in received(ble, app.ble.h_data):
        h = wire.decode_header(m)
        for i in range(h[5]):
            rec = m[wire.HEADER_SIZE + i * 22 : wire.HEADER_SIZE + (i + 1) * 22]
            assert got.setdefault(h[2] + i, rec) == rec  # a sample sent twice is the same sample
    seqs = sorted(got)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), "no gap after the backfill"
    assert len(seqs) >= 0.95 * 100 * 13


def test_btstack_memory_error_is_survived(rig) -> None:  # noqa: ANN001
    app, ble = rig
    app.ble.radio = "btstack"
    ble.central_connect(0, mtu=247)
    command(ble, app, wire.CMD_START, 1)
    ble.memory_errors = 2
    app.run(duration_ms=5000)
    assert app.ble.refused == 2 and app.ble.sent > 0
    data = [n for n in ble.notified if n[1] == app.ble.h_data]
    assert len(data) / 5.0 <= 12.5
