# TEMPORARY ENGINE, run by the real MicroPython interpreter (unix port) while the firmware
# rig is not available: encodes simulated samples into wire frames with the protocol module
# exactly as a device would send them over USB (0x00 + COBS(message + CRC32) + 0x00 on
# stdout). It is replaced by the firmware's own app (fusion, FIFO) once firmware/rig exists.
#
# argv: rate_hz records_per_frame has_pressure boot_ms
# stdin: float32 little-endian rows: qw qx qy qz ax ay az gx gy gz saturated [pressure_pa]
import sys
import struct

import dorsal_protocol as wire

_PRESSURE_DECIMATION = 4
_PRESSURE_PER_FRAME = 25


def main():
    rate_hz = float(sys.argv[1])
    per_frame = int(sys.argv[2])
    has_p = int(sys.argv[3])
    boot_ms = int(sys.argv[4])
    ncol = 12 if has_p else 11
    fmt = "<" + "f" * ncol
    size = struct.calcsize(fmt)
    period_us = int(1000000.0 / rate_hz + 0.5)
    p_period_us = int(1000000.0 * _PRESSURE_DECIMATION / rate_hz + 0.5)
    acc_per = wire.ACC_LSB_PER_G / wire.STANDARD_GRAVITY_MPS2
    gyr_per = wire.GYRO_LSB_PER_DPS * 57.29577951308232
    base = wire.ST_GYRO_BIAS_VALID
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    buf = bytearray(wire.HEADER_SIZE + per_frame * wire.RECORD_SIZE)
    count = 0
    seq = 0
    pvals = []
    pseq = 0
    p_last = -1
    i = 0
    while True:
        row = inp.read(size)
        while row and len(row) < size:
            more = inp.read(size - len(row))
            if not more:
                break
            row += more
        if not row or len(row) < size:
            break
        v = struct.unpack(fmt, row)
        sat = int(v[10])
        status = base
        if sat & 1:
            status |= wire.ST_ACC_SATURATED
        if sat & 2:
            status |= wire.ST_GYRO_SATURATED
        wire.pack_record_into(buf, wire.HEADER_SIZE + count * wire.RECORD_SIZE,
                              wire.to_fixed(v[0], wire.QUAT_ONE), wire.to_fixed(v[1], wire.QUAT_ONE),
                              wire.to_fixed(v[2], wire.QUAT_ONE), wire.to_fixed(v[3], wire.QUAT_ONE),
                              wire.to_fixed(v[4], acc_per), wire.to_fixed(v[5], acc_per),
                              wire.to_fixed(v[6], acc_per), wire.to_fixed(v[7], gyr_per),
                              wire.to_fixed(v[8], gyr_per), wire.to_fixed(v[9], gyr_per), status)
        if count == 0:
            first_i = i
        count += 1
        if count == per_frame:
            _send_data(out, buf, seq, first_i, count, rate_hz, boot_ms, period_us)
            seq += count
            count = 0
        if has_p and i % _PRESSURE_DECIMATION == 0:
            if not pvals:
                p_first = i
            pvals.append(int(v[11] * wire.PRESSURE_LSB_PER_PA + 0.5))
            p_last = i
            if len(pvals) == _PRESSURE_PER_FRAME:
                _send_pressure(out, pseq, p_first, pvals, rate_hz, boot_ms, p_period_us)
                pseq += len(pvals)
                pvals = []
        i += 1
    # the end of the run: what is left, in the order the samples completed it
    if pvals and count and p_last < i - 1:
        _send_pressure(out, pseq, p_first, pvals, rate_hz, boot_ms, p_period_us)
        pvals = []
    if count:
        _send_data(out, buf, seq, first_i, count, rate_hz, boot_ms, period_us)
    if pvals:
        _send_pressure(out, pseq, p_first, pvals, rate_hz, boot_ms, p_period_us)


def _t0_ms(i, rate_hz, boot_ms):
    return (int(i * 1000.0 / rate_hz + 0.5) + boot_ms) & 0xFFFFFFFF


def _send_data(out, buf, seq, first_i, count, rate_hz, boot_ms, period_us):
    wire.pack_header_into(buf, 0, wire.MSG_DATA, seq, _t0_ms(first_i, rate_hz, boot_ms), period_us, count,
                          wire.RECORD_SIZE)
    out.write(wire.frame(bytes(buf[:wire.HEADER_SIZE + count * wire.RECORD_SIZE])))


def _send_pressure(out, pseq, first_i, values, rate_hz, boot_ms, period_us):
    out.write(wire.frame(wire.encode_pressure(pseq, _t0_ms(first_i, rate_hz, boot_ms), period_us, values)))


main()
