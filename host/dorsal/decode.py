"""Vectorized decoding of sample messages into numpy structured arrays.

The record and header layouts are generated from the protocol module's
tables (``RECORD_FIELDS``, ``HEADER_FORMAT``); nothing here restates them.
Many frames are decoded in one call: runs of equal-length frames are viewed
as a 2-D byte array, so there is no per-sample (and, inside a run, no
per-frame) Python work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dorsal.protocol import ProtocolError, wire

_STRUCT_TO_NUMPY = {"b": "i1", "B": "u1", "h": "<i2", "H": "<u2", "i": "<i4", "I": "<u4", "q": "<i8", "Q": "<u8"}


def dtype_from_struct(fmt: str, names: list[str]) -> np.dtype:
    """A packed numpy dtype with the layout of a little-endian struct format."""
    if not fmt.startswith("<"):
        raise ValueError("only little-endian struct formats map to a packed dtype")
    codes = fmt[1:]
    if len(codes) != len(names):
        raise ValueError("one name per struct field")
    return np.dtype([(n, _STRUCT_TO_NUMPY[c]) for n, c in zip(names, codes)])


#: One frame header, as on the wire.
HEADER_DTYPE = dtype_from_struct(
    wire.HEADER_FORMAT, ["version", "type", "seq", "t0_ms", "period_us", "count", "record_size"]
)
#: One sample record, as on the wire (int16 fixed point).
RECORD_DTYPE = dtype_from_struct(wire.RECORD_FORMAT, [f[0] for f in wire.RECORD_FIELDS])
assert HEADER_DTYPE.itemsize == wire.HEADER_SIZE and RECORD_DTYPE.itemsize == wire.RECORD_SIZE

SOURCE_LIVE = 0
SOURCE_BACKLOG = 1

#: One decoded sample in SI units. ``seq`` is the device's sample index and
#: ``t_s`` its clock, both unwrapped; quaternion rotates sensor to Earth (z up).
#: ``pressure_pa`` is the barometer's latest reading at the sample's time (its own channel, joined
#: by fill_pressure), 0 where the wearable has no barometer or no reading covers the sample. It sits
#: in what was the record's alignment padding, so a sample is still 64 bytes.
SAMPLE_DTYPE = np.dtype(
    [
        ("seq", "<i8"),
        ("t_s", "<f8"),
        ("qw", "<f4"),
        ("qx", "<f4"),
        ("qy", "<f4"),
        ("qz", "<f4"),
        ("ax_mps2", "<f4"),
        ("ay_mps2", "<f4"),
        ("az_mps2", "<f4"),
        ("gx_rps", "<f4"),
        ("gy_rps", "<f4"),
        ("gz_rps", "<f4"),
        ("status", "<u2"),
        ("source", "u1"),
        ("pressure_pa", "<f4"),
    ],
    align=True,  # aligned fields keep the ufuncs on their fast paths
)

_SCALES = {
    "qw": 1.0 / wire.QUAT_ONE,
    "qx": 1.0 / wire.QUAT_ONE,
    "qy": 1.0 / wire.QUAT_ONE,
    "qz": 1.0 / wire.QUAT_ONE,
    "ax": wire.STANDARD_GRAVITY_MPS2 / wire.ACC_LSB_PER_G,
    "ay": wire.STANDARD_GRAVITY_MPS2 / wire.ACC_LSB_PER_G,
    "az": wire.STANDARD_GRAVITY_MPS2 / wire.ACC_LSB_PER_G,
    "gx": np.pi / 180.0 / wire.GYRO_LSB_PER_DPS,
    "gy": np.pi / 180.0 / wire.GYRO_LSB_PER_DPS,
    "gz": np.pi / 180.0 / wire.GYRO_LSB_PER_DPS,
}
_OUT_NAMES = {
    "qw": "qw",
    "qx": "qx",
    "qy": "qy",
    "qz": "qz",
    "ax": "ax_mps2",
    "ay": "ay_mps2",
    "az": "az_mps2",
    "gx": "gx_rps",
    "gy": "gy_rps",
    "gz": "gz_rps",
}
_SAMPLE_TYPES = (wire.MSG_DATA, wire.MSG_DATA_BACKLOG)


@dataclass
class UnwrapState:
    """Carried between calls so that u32 counters unwrap across chunks."""

    last_seq: int | None = None
    last_t0_ms: int | None = None


def _unwrap_u32(raw: np.ndarray, last: int | None) -> np.ndarray:
    """Unwrap a u32 counter to int64; each step is taken as a signed 32-bit difference."""
    raw = raw.astype(np.int64)
    out = np.empty_like(raw)
    if raw.size == 0:
        return out
    ref = int(raw[0]) if last is None else last
    out[0] = ref + ((int(raw[0]) - ref + 2**31) % 2**32 - 2**31)
    steps = (np.diff(raw) + 2**31) % 2**32 - 2**31
    np.cumsum(steps, out=out[1:])
    out[1:] += out[0]
    return out


def _runs(arr: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Split frame offsets into runs of equal stride and equal shape.

    Returns (first index, number of frames, count, record_size) per run.
    """
    counts = arr[offsets + 12]
    sizes = arr[offsets + 13]
    n = offsets.size
    if n == 0:
        return []
    lengths = wire.HEADER_SIZE + counts.astype(np.int64) * sizes
    step = np.diff(offsets)
    # A run: equal shape and an equal step between starts that is at least one frame long (back to
    # back in a buffer, or a fixed-size entry apart in a recording).
    same = np.ones(n, dtype=bool)
    same[0] = False
    if n > 1:
        same[1:] = (counts[1:] == counts[:-1]) & (sizes[1:] == sizes[:-1]) & (step >= lengths[:-1])
    if n > 2:
        same[2:] &= step[1:] == step[:-1]
    starts = np.flatnonzero(~same)
    ends = np.concatenate([starts[1:], [n]])
    return [(int(s), int(e - s), int(counts[s]), int(sizes[s])) for s, e in zip(starts, ends)]


def decode_samples(
    buf: bytes | bytearray | memoryview | np.ndarray,
    offsets: np.ndarray,
    state: UnwrapState | None = None,
) -> np.ndarray:
    """Decode the sample messages that start at ``offsets`` in ``buf``.

    buf — the bytes holding the messages, any layout between them.
    offsets — int64 array, shape (F,), byte offset of each data message.
    state — unwrapping state carried between calls (updated in place).

    Returns a SAMPLE_DTYPE array, shape (sum of record counts,). Every header
    is validated; a bad one raises ProtocolError naming the frame.
    """
    arr = np.frombuffer(buf, dtype=np.uint8) if not isinstance(buf, np.ndarray) else buf
    offsets = np.asarray(offsets, dtype=np.int64)
    if offsets.size == 0:
        return np.zeros(0, dtype=SAMPLE_DTYPE)
    if offsets.min() < 0 or offsets.max() + wire.HEADER_SIZE > arr.size:
        raise ProtocolError("frame offset outside the buffer")
    runs = _runs(arr, offsets)
    total = sum(nframes * count for _, nframes, count, _ in runs)
    out = np.empty(total, dtype=SAMPLE_DTYPE)
    # qw..gz are ten adjacent float32 fields: one (N, 10) view takes them all.
    first_field = SAMPLE_DTYPE.fields["qw"][1] // 4
    out_f32 = out.view(np.float32).reshape(total, SAMPLE_DTYPE.itemsize // 4)
    scales = np.array([_SCALES[f[0]] for f in wire.RECORD_FIELDS[:10]], dtype=np.float32)
    state = state if state is not None else UnwrapState()
    pos = 0
    for first, nframes, count, size in runs:
        start = int(offsets[first])
        length = wire.HEADER_SIZE + count * size
        step = int(offsets[first + 1] - offsets[first]) if nframes > 1 else length
        if start + (nframes - 1) * step + length > arr.size:
            raise ProtocolError(f"frame {first} at byte {start} runs past the end of the buffer")
        block = np.lib.stride_tricks.as_strided(arr[start:], shape=(nframes, length), strides=(step, 1),
                                                writeable=False)
        heads = np.ascontiguousarray(block[:, : wire.HEADER_SIZE]).view(HEADER_DTYPE).ravel()
        _check_headers(heads, first, offsets)
        n = nframes * count
        if size % 2 == 0 and start % 2 == 0 and step % 2 == 0:
            raw = block[:, wire.HEADER_SIZE :].view("<i2").reshape(nframes, count, size // 2)
        else:  # odd record size from a newer device: copy into an aligned layout
            body = np.ascontiguousarray(block[:, wire.HEADER_SIZE :]).reshape(n, size)[:, : wire.RECORD_SIZE]
            raw = np.ascontiguousarray(body).view("<i2").reshape(nframes, count, wire.RECORD_SIZE // 2)
        target = out_f32[pos : pos + n, first_field : first_field + 10].reshape(nframes, count, 10)
        np.multiply(raw[:, :, :10], scales, out=target, casting="unsafe")
        out["status"][pos : pos + n] = raw[:, :, 10].view("<u2").reshape(n)

        seq = _unwrap_u32(heads["seq"], state.last_seq)
        t0 = _unwrap_u32(heads["t0_ms"], state.last_t0_ms)
        state.last_seq, state.last_t0_ms = int(seq[-1]), int(t0[-1])
        index = np.arange(count)
        out["seq"][pos : pos + n] = (seq[:, None] + index).reshape(n)
        period_s = heads["period_us"].astype(np.float64) * 1e-6
        out["t_s"][pos : pos + n] = (t0[:, None] * 1e-3 + index * period_s[:, None]).reshape(n)
        out["source"][pos : pos + n] = np.repeat(heads["type"] == wire.MSG_DATA_BACKLOG, count)
        out["pressure_pa"][pos : pos + n] = 0.0
        pos += n
    return out


#: One barometer reading on the device's clock (unwrapped like the samples' t_s).
PRESSURE_DTYPE = np.dtype([("t_s", "<f8"), ("pressure_pa", "<f8")])
#: A reading older than this no longer stands for the pressure at a sample (the barometer's channel
#: runs at ~25 Hz in messages of about a second; a longer gap is a lost message or a stopped chip).
PRESSURE_HOLD_S = 2.0
_TICKS_WRAP_S = 2.0**32 / 1000.0


def decode_pressure(messages: list[bytes], state: UnwrapState | None = None) -> np.ndarray:
    """The readings of pressure messages (PRESSURE_DTYPE, time order as received).

    Messages that are not valid pressure messages raise ProtocolError naming the message. The
    device clock is unwrapped across the messages (state carries it between calls).
    """
    if not messages:
        return np.zeros(0, PRESSURE_DTYPE)
    heads = np.empty(len(messages), HEADER_DTYPE)
    for i, m in enumerate(messages):
        if len(m) < wire.HEADER_SIZE:
            raise ProtocolError(f"pressure message {i} is shorter than its header")
        heads[i] = np.frombuffer(m, HEADER_DTYPE, count=1)[0]
    bad = ((heads["version"] < wire.PROTOCOL_VERSION_MIN) | (heads["version"] > wire.PROTOCOL_VERSION)
           | (heads["type"] != wire.MSG_PRESSURE) | (heads["count"] < 1)
           | (heads["record_size"] < wire.PRESSURE_SIZE) | (heads["period_us"] == 0))
    lengths = np.fromiter((len(m) for m in messages), np.int64, len(messages))
    bad |= lengths != wire.HEADER_SIZE + heads["count"].astype(np.int64) * heads["record_size"]
    if bad.any():
        raise ProtocolError(f"message {int(np.argmax(bad))} is not a valid pressure message")
    state = state if state is not None else UnwrapState()
    t0 = _unwrap_u32(heads["t0_ms"], state.last_t0_ms)
    state.last_t0_ms = int(t0[-1])
    counts = heads["count"].astype(np.int64)
    out = np.empty(int(counts.sum()), PRESSURE_DTYPE)
    pos = 0
    for m, h, start in zip(messages, heads, t0):
        n, size = int(h["count"]), int(h["record_size"])
        raw = np.frombuffer(m, np.uint8, n * size, wire.HEADER_SIZE).reshape(n, size)[:, : wire.PRESSURE_SIZE]
        out["pressure_pa"][pos : pos + n] = np.ascontiguousarray(raw).view("<u4").ravel() / wire.PRESSURE_LSB_PER_PA
        out["t_s"][pos : pos + n] = start * 1e-3 + np.arange(n) * (int(h["period_us"]) * 1e-6)
        pos += n
    return out


def fill_pressure(samples: np.ndarray, readings: np.ndarray) -> None:
    """Set samples' pressure_pa to the latest reading at or before each sample's time, in place; 0
    where none lies within PRESSURE_HOLD_S before it.

    The barometer's clock is the device's, unwrapped on its own: it is moved by whole wraps of the
    device's 32-bit millisecond clock to lie beside the samples.
    """
    if samples.size == 0:
        return
    if readings.size == 0:
        samples["pressure_pa"] = 0.0
        return
    order = np.argsort(readings["t_s"], kind="stable")
    t, p = readings["t_s"][order], readings["pressure_pa"][order]
    t = t + _TICKS_WRAP_S * np.round((samples["t_s"][0] - t[0]) / _TICKS_WRAP_S)
    i = np.searchsorted(t, samples["t_s"], side="right") - 1
    ok = i >= 0
    ok[ok] = samples["t_s"][ok] - t[i[ok]] <= PRESSURE_HOLD_S
    samples["pressure_pa"] = np.where(ok, p[np.maximum(i, 0)], 0.0)


#: Seconds of readings a live join keeps: samples recovered from the device's backlog after a short
#: disconnect find their readings too (the backlog's own pressure messages come back with them).
PRESSURE_KEEP_S = 120.0


class PressureJoin:
    """The barometer's channel joined into a live stream's samples, as they are handed out.

    A sample takes the latest reading received by then, at or before its time: pressure messages come
    about once a second, so live a sample's reading can be up to a message older than in the analysis of
    the recording (which joins by time); the height steps the core reads span seconds.
    """

    def __init__(self) -> None:
        self._state = UnwrapState()
        self.readings = np.zeros(0, PRESSURE_DTYPE)

    def add(self, message: bytes, t_shift_s: float = 0.0) -> None:
        """One pressure message (ProtocolError when it is not a valid one); t_shift_s: the shift of the device's
        current boot (dorsal.boots), as its samples take."""
        new = decode_pressure([message], self._state)
        new["t_s"] += t_shift_s
        r = np.concatenate([self.readings, new])
        self.readings = r[r["t_s"] >= r["t_s"].max() - PRESSURE_KEEP_S]

    def fill(self, samples: np.ndarray) -> None:
        if self.readings.size:
            fill_pressure(samples, self.readings)


def pressure_messages(messages: list[bytes]) -> list[bytes]:
    """The pressure messages among non-sample messages (other kinds are left alone)."""
    return [m for m in messages if len(m) >= 2 and m[1] == wire.MSG_PRESSURE]


def _check_headers(heads: np.ndarray, first: int, offsets: np.ndarray) -> None:
    bad = (
        (heads["version"] < wire.PROTOCOL_VERSION_MIN)
        | (heads["version"] > wire.PROTOCOL_VERSION)
        | ((heads["type"] != wire.MSG_DATA) & (heads["type"] != wire.MSG_DATA_BACKLOG))
        | (heads["count"] < 1)
        | (heads["record_size"] < wire.RECORD_SIZE)
        | (heads["period_us"] == 0)
    )
    if bad.any():
        i = first + int(np.argmax(bad))
        raise ProtocolError(f"frame {i} at byte {int(offsets[i])} is not a valid data frame")


def message_offsets(buf: bytes | bytearray | memoryview) -> np.ndarray:
    """Offsets of the messages in a buffer of back-to-back sample messages.

    Runs of equal-length frames are found with vectorized checks, so the
    Python work is per run, not per frame. Raises ProtocolError when the
    buffer does not parse as sample messages to its end.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    n = arr.size
    found: list[np.ndarray] = []
    pos = 0
    while pos < n:
        if pos + wire.HEADER_SIZE > n:
            raise ProtocolError(f"truncated header at byte {pos}")
        length = wire.HEADER_SIZE + int(arr[pos + 12]) * int(arr[pos + 13])
        if arr[pos + 12] == 0 or length <= wire.HEADER_SIZE:
            raise ProtocolError(f"empty frame at byte {pos}")
        k = (n - pos) // length
        if k == 0:
            raise ProtocolError(f"truncated frame at byte {pos}")
        cand = pos + length * np.arange(k, dtype=np.int64)
        ok = (arr[cand + 12] == arr[pos + 12]) & (arr[cand + 13] == arr[pos + 13]) & (arr[cand] == arr[pos])
        m = k if ok.all() else int(np.argmin(ok))
        found.append(cand[:m])
        pos = int(cand[m - 1]) + length
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def decode_buffer(buf: bytes | bytearray | memoryview, state: UnwrapState | None = None) -> np.ndarray:
    """Decode a buffer of back-to-back data messages (SAMPLE_DTYPE array)."""
    return decode_samples(buf, message_offsets(buf), state)


@dataclass
class StreamDecoder:
    """Decodes data messages one batch at a time, keeping unwrap state."""

    state: UnwrapState = field(default_factory=UnwrapState)

    def decode(self, messages: list[bytes]) -> np.ndarray:
        if not messages:
            return np.zeros(0, dtype=SAMPLE_DTYPE)
        lengths = np.fromiter((len(m) for m in messages), dtype=np.int64, count=len(messages))
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return decode_samples(b"".join(messages), offsets, self.state)
