"""A recording that spans a device's restart (its seq and clock began again) analyses both boots: the new
boot's samples follow on, with the live link's noted shifts (protocol/SPEC.md §8) or, from another writer,
placed by the receive times. Before, by_seq kept the old boot's copy of each seq and dropped the new boot's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dorsal.decode import SOURCE_BACKLOG
from dorsal.protocol import wire
from dorsal.recording import RecordingWriter, analysis_input, read_recording

REC = (wire.QUAT_ONE, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)
START = 1000.0


def frames(first: int, n: int, t0_ms: int, kind: int = wire.MSG_DATA) -> list[bytes]:
    return [wire.encode_data(first + k, t0_ms + k * 10, 10000, [REC] * 10, kind) for k in range(0, n, 10)]


def pressure(seq: int, t0_ms: int, pa: float) -> bytes:
    return wire.encode_pressure(seq, t0_ms, 40000, [int(pa * wire.PRESSURE_LSB_PER_PA)] * 25)


def write_session(path: Path, note: dict[str, Any] | None = None) -> None:
    """Boot 1: 60 s (seq 0..5999 from device time 5 s), a barometer at 100 kPa. The device resets; its
    frames come again 2.5 s after the last one: boot 2, 30 s (seq 0..2999 from device time 0.3 s), 90 kPa,
    with a duplicated live frame and 150 samples re-sent from its backlog after a gap."""
    with RecordingWriter(path, {"source": "test", "start_unix_s": START}) as w:
        rx = START
        for k, f in enumerate(frames(0, 6_000, 5_000)):
            w.write_message(f, rx_unix_s=rx)
            if k % 10 == 0:  # a second of readings (a boot's first data frame comes before its first)
                w.write_message(pressure(k // 10, 5_000 + k * 100, 100_000.0), rx_unix_s=rx)
            rx += 0.1
        rx += 2.4
        boot2 = frames(0, 3_000, 300)
        for k, f in enumerate(boot2):
            if k == 100:
                w.write_message(boot2[99], rx_unix_s=rx)  # the same live frame again
            if not 150 <= k < 165:  # these are missed: re-sent from the backlog below
                w.write_message(f, rx_unix_s=rx)
            if k % 10 == 0:
                w.write_message(pressure(k // 10, 300 + k * 100, 90_000.0), rx_unix_s=rx)
            if k == 0 and note is not None:
                w.write_note(note, rx_unix_s=rx)
            rx += 0.1
        for f in frames(1_500, 150, 300 + 15_000, wire.MSG_DATA_BACKLOG):
            w.write_message(f, rx_unix_s=rx)


def check_both_boots(samples: np.ndarray) -> None:
    assert np.array_equal(samples["seq"], np.arange(9_000))  # every sample of both boots, each once
    assert np.all(np.diff(samples["t_s"]) > 0)
    assert np.allclose(np.diff(samples["t_s"][:6_000]), 0.01) and np.allclose(np.diff(samples["t_s"][6_000:]), 0.01)
    assert int(np.count_nonzero(samples["source"] == SOURCE_BACKLOG)) == 150
    # each boot has its own barometer's readings
    assert np.all(samples["pressure_pa"][:6_000] == 100_000.0) and np.all(samples["pressure_pa"][6_000:] == 90_000.0)


# the last frame of boot 1 came in at 599.9 s, the first of boot 2 at 602.4 s (the file's receive times); the
# live link's own clock saw 4 s between them, and noted the shifts it took
NOTED = {"device_restart": {"device_seq": 0, "device_t_s": 0.3, "seq_shift": 6_000,
                            "t_shift_s": 5.0 + 59.99 + 4.0 - 0.3}}
OTHER = {"device_restart": {"device_seq": 70, "device_t_s": 1.0, "seq_shift": 6_000, "t_shift_s": 100.0}}


@pytest.mark.parametrize(("note", "gap_s", "problem"), [
    (None, 2.5, "restarted at 1m02s"),  # without a note: by the receive times
    (NOTED, 4.0, "restarted at 1m04s"),  # the live link's note gives the shifts
    (OTHER, 2.5, "restarted at 1m02s"),  # a note of another restart is not taken
], ids=["receive-times", "noted", "another-note"])
def test_the_new_boot_follows_on(tmp_path: Path, note: dict | None, gap_s: float, problem: str) -> None:
    path = tmp_path / "restart.dorsal"
    write_session(path, note)
    rec = read_recording(path)
    samples = analysis_input(rec).samples
    check_both_boots(samples)
    assert np.isclose(samples["t_s"][6_000] - samples["t_s"][5_999], gap_s)
    (line,) = rec.problems
    assert problem in line
    assert ("as the live link noted" if note is NOTED else "receive times") in line


def test_a_recording_without_a_restart_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "plain.dorsal"
    with RecordingWriter(path, {"source": "test", "start_unix_s": START}) as w:
        live = frames(0, 3_000, 0)
        for k, f in enumerate(live):
            w.write_message(f, rx_unix_s=START + k * 0.1)
            if k == 200:
                w.write_message(live[180], rx_unix_s=START + k * 0.1)  # 200 samples behind: a repeat
    rec = read_recording(path)
    assert rec.ok and np.array_equal(analysis_input(rec).samples["seq"], np.arange(3_000))
    assert np.allclose(analysis_input(rec).samples["t_s"], np.arange(3_000) * 0.01)
