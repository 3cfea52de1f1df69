"""The numpy decoder: many frames per call, counters unwrapped across calls."""

from __future__ import annotations

import numpy as np
import pytest

from dorsal.decode import SOURCE_BACKLOG, SOURCE_LIVE, StreamDecoder, decode_buffer, decode_samples
from dorsal.protocol import ProtocolError, wire

UPRIGHT = (wire.QUAT_ONE, 0, 0, 0, 0, 0, 1000, 0, 0, 0, 0)


def frames(n: int, count: int, seq0: int = 0, t0_ms: int = 0, period_us: int = 10000) -> list[bytes]:
    out = []
    for k in range(n):
        recs = [(wire.QUAT_ONE, 0, 0, 0, k, i, 1000, 0, 0, 0, 0) for i in range(count)]
        out.append(wire.encode_data(seq0 + k * count, t0_ms + k * count * period_us // 1000, period_us, recs))
    return out


def test_mixed_frame_sizes_decode_in_order() -> None:
    msgs = frames(5, 10) + frames(3, 1, seq0=50, t0_ms=500) + frames(4, 7, seq0=53, t0_ms=530)
    s = decode_buffer(b"".join(msgs))
    assert s.size == 50 + 3 + 28
    assert list(s["seq"]) == list(range(81))
    assert np.allclose(np.diff(s["t_s"]), 0.01)


def test_sequence_and_clock_unwrap_across_chunks() -> None:
    dec = StreamDecoder()
    a = dec.decode(frames(2, 10, seq0=2**32 - 15, t0_ms=2**32 - 150))
    b = dec.decode(frames(2, 10, seq0=5, t0_ms=50))
    seq = np.concatenate([a["seq"], b["seq"]])
    assert list(seq) == list(range(2**32 - 15, 2**32 + 25))
    t = np.concatenate([a["t_s"], b["t_s"]])
    assert np.allclose(np.diff(t), 0.01)


def test_backlog_frames_are_marked() -> None:
    live = wire.encode_data(100, 1000, 10000, [UPRIGHT] * 3)
    old = wire.encode_data(40, 400, 10000, [UPRIGHT] * 3, wire.MSG_DATA_BACKLOG)
    s = StreamDecoder().decode([live, old])
    assert list(s["source"]) == [SOURCE_LIVE] * 3 + [SOURCE_BACKLOG] * 3
    assert list(s["seq"]) == [100, 101, 102, 40, 41, 42]


def test_a_newer_device_with_longer_records_is_read_by_the_known_prefix() -> None:
    # Versioning rule (SPEC.md): fields are only ever appended to a record.
    size = wire.RECORD_SIZE + 3
    buf = bytearray(wire.HEADER_SIZE + 2 * size)
    wire.pack_header_into(buf, 0, wire.MSG_DATA, 7, 70, 10000, 2, size)
    wire.pack_record_into(buf, wire.HEADER_SIZE, *UPRIGHT)
    wire.pack_record_into(buf, wire.HEADER_SIZE + size, 0, wire.QUAT_ONE, 0, 0, 1, 2, 3, 4, 5, 6, 7)
    s = decode_samples(bytes(buf), np.array([0]))
    assert list(s["seq"]) == [7, 8]
    assert s["qx"][1] == 1.0 and s["status"][1] == 7


def test_a_bad_header_is_named() -> None:
    good = wire.encode_data(0, 0, 10000, [UPRIGHT])
    bad = bytearray(good)
    bad[1] = wire.MSG_BATTERY
    with pytest.raises(ProtocolError, match="frame 1"):
        decode_samples(good + bytes(bad), np.array([0, len(good)]))


def test_a_truncated_buffer_is_an_error_not_garbage() -> None:
    buf = b"".join(frames(3, 10))
    with pytest.raises(ProtocolError):
        decode_buffer(buf[:-5])
