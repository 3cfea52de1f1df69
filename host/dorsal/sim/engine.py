"""The virtual wearable: SensorStream samples turned into the device's wire messages.

Engines:

* ``cpython`` (in-process): the firmware's own app on the firmware rig's
  register-level IMU and barometer emulators and virtual clock
  (firmware/rig, host/dorsal/sim/rig_engine.py).
* ``micropython``: the same firmware inside the real MicroPython unix port.
* ``encoder``: no firmware: the simulated samples encoded with the wire
  protocol itself (true orientation as the quaternion, the chip's quantised
  accel and gyro). Fast and exact, for tests of the host that need the
  truth's own orientation; it does not exercise the firmware (no fusion, no FIFO).

``VirtualWearable.next_messages(duration_s)`` returns ``WireMessage`` items in
device order; ``info`` is the device-info dict a real device reports.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from dorsal.protocol import wire
from dorsal.sim.stream import SensorChunk, SensorStream

ENGINES = ("cpython", "micropython", "encoder")
FIRMWARE_VERSION = (0, 1, 0)
#: Device clock at the first sample: a board has been up a few seconds by then.
BOOT_OFFSET_MS = 2345
PRESSURE_DECIMATION = 4  # barometer at a quarter of the IMU rate (25 Hz at 100 Hz)
PRESSURE_PER_FRAME = 25  # one pressure message a second at 100 Hz
DEFAULT_MTU = 247


@dataclass(frozen=True)
class WireMessage:
    """One message as the device sends it, with the device time (s since the run's start) it left."""

    t_s: float
    payload: bytes


@dataclass
class EncoderState:
    seq: int = 0
    pressure_seq: int = 0


def _fixed(x: np.ndarray, lsb_per_unit: float) -> np.ndarray:
    """wire.to_fixed, vectorized: round half away from zero, clamp to int16."""
    v = np.asarray(x, dtype=np.float64) * lsb_per_unit
    n = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(n, -32768, 32767).astype("<i2")


def _ms(t_s: float) -> int:
    """Milliseconds rounded half up, as the device (and wire.to_fixed) round."""
    return int(np.floor(t_s * 1000.0 + 0.5))


RECORD_DTYPE = np.dtype([(name, "<i2" if code == "h" else "<u2") for name, code, _ in wire.RECORD_FIELDS])
assert RECORD_DTYPE.itemsize == wire.RECORD_SIZE


class FrameEncoder:
    """The ``encoder`` engine: wire frames from simulated samples without the firmware (vectorized)."""

    def __init__(self, stream: SensorStream, records_per_frame: int):
        self.stream = stream
        self.records_per_frame = records_per_frame
        self.period_us = int(round(1e6 / stream.rate_hz))
        self.state = EncoderState()
        self._pending_raw = bytearray()
        self._pending_t: list[float] = []
        self._pending_p: list[tuple[float, int]] = []

    def encode(self, chunk: SensorChunk) -> list[WireMessage]:
        """Frames for a chunk; records of an unfinished frame wait for the next chunk (or ``flush``)."""
        n = chunk.t_s.size
        if n:
            self._pending_raw += self._records(chunk).tobytes()
            self._pending_t.extend(chunk.t_s.tolist())
            if chunk.pressure_pa is not None:
                start = self.stream.index - n
                keep = (start + np.arange(n)) % PRESSURE_DECIMATION == 0
                values = np.round(chunk.pressure_pa[keep] * wire.PRESSURE_LSB_PER_PA).astype(np.int64)
                self._pending_p.extend(zip(chunk.t_s[keep].tolist(), values.tolist()))
        out = self._frames(final=self.stream.done)
        out.sort(key=lambda m: (m.t_s, m.payload[1]))
        return out

    def _records(self, chunk: SensorChunk) -> np.ndarray:
        n = chunk.t_s.size
        rec = np.zeros(n, RECORD_DTYPE)
        q = chunk.truth.quat_sensor_earth
        for i, name in enumerate(("qw", "qx", "qy", "qz")):
            rec[name] = _fixed(q[:, i], wire.QUAT_ONE)
        acc_per = wire.ACC_LSB_PER_G / wire.STANDARD_GRAVITY_MPS2
        gyr_per = wire.GYRO_LSB_PER_DPS * 180.0 / np.pi
        for i, axis in enumerate("xyz"):
            rec["a" + axis] = _fixed(chunk.acc_mps2[:, i], acc_per)
            rec["g" + axis] = _fixed(chunk.gyr_rps[:, i], gyr_per)
        status = np.full(n, wire.ST_GYRO_BIAS_VALID, dtype=np.uint16)
        status |= np.where(chunk.saturated & 1, wire.ST_ACC_SATURATED, 0).astype(np.uint16)
        status |= np.where(chunk.saturated & 2, wire.ST_GYRO_SATURATED, 0).astype(np.uint16)
        rec["status"] = status
        return rec

    def _frames(self, final: bool) -> list[WireMessage]:
        out: list[WireMessage] = []
        head = struct.Struct(wire.HEADER_FORMAT)
        k = self.records_per_frame
        period_s = 1.0 / self.stream.rate_hz
        size = wire.RECORD_SIZE
        avail = len(self._pending_t)
        pos = 0
        while avail - pos >= k or (final and pos < avail):
            take = min(k, avail - pos)
            seq = self.state.seq
            t0_ms = (_ms(self._pending_t[pos]) + BOOT_OFFSET_MS) & 0xFFFFFFFF
            msg = head.pack(wire.PROTOCOL_VERSION, wire.MSG_DATA, seq & 0xFFFFFFFF, t0_ms, self.period_us, take,
                            size) + bytes(self._pending_raw[pos * size : (pos + take) * size])
            out.append(WireMessage(float(self._pending_t[pos + take - 1] + period_s), msg))
            self.state.seq += take
            pos += take
        del self._pending_raw[: pos * size]
        del self._pending_t[:pos]
        per = PRESSURE_PER_FRAME
        dec_s = PRESSURE_DECIMATION / self.stream.rate_hz
        period_us = int(round(1e6 * dec_s))
        pp = 0
        while len(self._pending_p) - pp >= per or (final and pp < len(self._pending_p)):
            part = self._pending_p[pp : pp + per]
            t0_ms = (_ms(part[0][0]) + BOOT_OFFSET_MS) & 0xFFFFFFFF
            msg = wire.encode_pressure(self.state.pressure_seq, t0_ms, period_us, [v for _, v in part])
            # sent with the data frame completed by the same sample, so chunking cannot reorder them
            out.append(WireMessage(float(part[-1][0] + 1.0 / self.stream.rate_hz), msg))
            self.state.pressure_seq += len(part)
            pp += len(part)
        del self._pending_p[:pp]
        return out


class VirtualWearable:
    """A simulated person wearing a device: ``next_messages(duration_s)`` until ``done``.

    ``engine="cpython"`` (the default) and ``"micropython"`` run the firmware's own app on the firmware
    rig; ``engine="encoder"`` encodes the simulated truth without the firmware.
    """

    def __init__(self, scenario: str, seed: int = 0, rate_hz: float = 100.0, imu: str = "mpu6050",
                 duration_s: float | None = None, engine: str = "cpython", mtu: int = DEFAULT_MTU,
                 barometer: bool = True, board: str = "xiao-esp32c3", pipelined: bool = False,
                 start_still_s: float | None = None):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        self.stream = SensorStream(scenario, seed, rate_hz, imu, duration_s, barometer=barometer,
                                   start_still_s=start_still_s)
        self.imu = imu
        self.board = board
        self.records_per_frame = wire.records_per_frame(mtu)
        self.engine_used = engine
        self._backend: Any
        if engine == "encoder":
            self._backend = FrameEncoder(self.stream, self.records_per_frame)
        else:
            from dorsal.sim import rig_engine

            if mtu != DEFAULT_MTU:
                raise ValueError("the firmware engines run at the firmware's MTU (247)")
            self._backend = rig_engine.make_backend(self, engine, pipelined)

    @property
    def done(self) -> bool:
        return self.stream.done

    @property
    def rate_hz(self) -> float:
        return self.stream.rate_hz

    @property
    def info(self) -> dict[str, Any]:
        caps = wire.CAP_BACKLOG | wire.CAP_BATTERY
        if self.stream.baro is not None:
            caps |= wire.CAP_BAROMETER
        payload = wire.encode_info(FIRMWARE_VERSION, caps, int(round(self.rate_hz)), 0, self.board, self.imu,
                                   "dorsal-sim")
        return dict(wire.decode_info(payload))

    def next_messages(self, duration_s: float) -> list[WireMessage]:
        chunk = self.stream.next_chunk(duration_s)
        return self._backend.encode(chunk)

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if close is not None:
            close()
