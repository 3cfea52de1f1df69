"""The recording file: append-only, a damaged tail or entry loses only itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dorsal.recording import RecordingError, RecordingWriter, read_recording
from dorsal.protocol import wire


def write(path: Path, n_frames: int = 20) -> list[bytes]:
    msgs = []
    with RecordingWriter(path, {"device": {"name": "dorsal-test"}, "start_unix_s": 1000.0}) as w:
        w.write_note({"event": "calibration", "neutral": [1, 0, 0, 0]}, rx_unix_s=1000.0)
        for k in range(n_frames):
            recs = [(wire.QUAT_ONE, 0, 0, 0, 0, 0, 1000, k, i, 0, 0) for i in range(10)]
            m = wire.encode_data(k * 10, k * 100, 10000, recs)
            msgs.append(m)
            w.write_message(m, rx_unix_s=1000.0 + k * 0.1)
        w.write_message(wire.encode_battery(2000, 3900, 77), rx_unix_s=1002.5)
    return msgs


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "r.dorsal"
    write(path)
    rec = read_recording(path)
    assert rec.ok and rec.header["device"]["name"] == "dorsal-test"
    assert list(rec.samples["seq"]) == list(range(200))
    assert np.allclose(rec.sample_rx_s[::10], np.arange(20) * 0.1)
    assert rec.notes[0][1]["event"] == "calibration"
    assert wire.decode_battery(rec.messages[0][1])[2] == 77


def test_truncation_at_every_byte_of_the_tail_loses_only_the_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "r.dorsal"
    write(path, n_frames=3)
    data = path.read_bytes()
    full = read_recording(path)
    battery_entry = 11 + len(wire.encode_battery(0, 0, 0)) + 4
    last_frame_end = len(data) - battery_entry
    frame_entry = 11 + wire.HEADER_SIZE + 10 * wire.RECORD_SIZE + 4
    for cut in range(last_frame_end - frame_entry + 1, len(data)):
        path.write_bytes(data[:cut])
        rec = read_recording(path)
        expected = 30 if cut >= last_frame_end else 20
        assert rec.samples.size == expected, cut
        assert np.array_equal(rec.samples["seq"], full.samples["seq"][:expected])
        at_boundary = cut == last_frame_end
        assert (rec.truncated_bytes == 0) == at_boundary and rec.ok == at_boundary


def test_a_damaged_entry_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.dorsal"
    msgs = write(path, n_frames=5)
    data = bytearray(path.read_bytes())
    pos = data.find(msgs[2])
    data[pos + 20] ^= 0xFF
    path.write_bytes(bytes(data))
    rec = read_recording(path)
    assert rec.corrupt_entries == 1
    assert list(rec.samples["seq"]) == list(range(20)) + list(range(30, 50))


@pytest.mark.parametrize("content", [b"", b"not a recording", b"DORSALREC1\n\x05\x00"])
def test_not_a_recording_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.dorsal"
    path.write_bytes(content)
    with pytest.raises(RecordingError):
        read_recording(path)


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot read"):
        read_recording(tmp_path / "nope.dorsal")
