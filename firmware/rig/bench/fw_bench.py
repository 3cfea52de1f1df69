# Firmware benchmark, run by the MicroPython unix port (dorsal bench runs it):
# the per-sample path of the device (FIFO packets -> wire records -> fusion ->
# frame header) against the float reference filter packing the same records
# (the baseline: what a straightforward MicroPython filter costs). Prints one
# JSON line.
import gc
import json
import struct
import sys
import time

import micropython

import dorsal_fusion
import dorsal_imu
import dorsal_protocol as wire
import fusion_float

N = 10  # records per frame (MTU 247)
FRAMES = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


class _Cfg:
    pass


def setup():
    # a driver's converter set up for an MPU-6050 (12-byte big-endian packets)
    drv = dorsal_imu.MPU6050(None, 0x68, time)
    drv._buffers(N, 12, 1, 0, 6, dorsal_imu._MUL_ACC_8192, dorsal_imu._MUL_GYRO_65_5)
    raw = drv._raw
    for i in range(N):
        struct.pack_into(">hhhhhh", raw, 12 * i, 120 + i, -340, 8000, 300 - 7 * i, -120, 44)
    return drv


def fixed_path(drv, state, frame, frames):
    cfg = drv._cfg
    raw = drv._raw
    for k in range(frames):
        dorsal_imu._convert(cfg, raw, frame, (7 << 8) | N)
        dorsal_fusion.fuse(state, frame, 7, N)
        wire.pack_header_into(frame, 0, 1, k * N, k * 100, 10000, N, 22)


def float_path(ff, frame, frames):
    for k in range(frames):
        for i in range(N):
            q = ff.update(0.12, -0.34, 0.98, 0.3, -0.12, 0.04)
            wire.pack_record_into(frame, 14 + 22 * i, int(q[0] * 16384), int(q[1] * 16384), int(q[2] * 16384),
                                  int(q[3] * 16384), 120, -340, 980, 5, -2, 1, 0)
        wire.pack_header_into(frame, 0, 1, k * N, k * 100, 10000, N, 22)


def baro_path(samples):
    # the optional barometer's per-sample work: datasheet float compensation
    # of one FIFO frame (25 Hz, a channel of its own), with the rig's chip
    import baro_emulator
    import dorsal_baro
    import rigclock
    import rigstate

    import machine

    clock = rigclock.VirtualClock()
    rigstate.setup("mpu6050", None, clock, baro=baro_emulator.ConstantPressure())
    b = dorsal_baro.detect(machine.I2C(0), clock)
    cal = baro_emulator.Calibration()
    rt = cal.raw_temperature(30.0)
    rp = cal.raw_pressure(101325.0, cal.t_lin(rt))
    vals = b.values
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    for i in range(100):
        b.temperature_c(rt)
        vals[0] = int(b.pressure_pa(rp + i) * 64 + 0.5)
    alloc = (gc.mem_alloc() - a0) / 100
    gc.enable()
    gc.collect()
    t0 = time.ticks_us()
    for i in range(samples):
        b.temperature_c(rt)
        vals[0] = int(b.pressure_pa(rp + i) * 64 + 0.5)
    return time.ticks_diff(time.ticks_us(), t0) / samples, alloc


def main():
    drv = setup()
    state = dorsal_fusion.new_state(100)
    frame = bytearray(14 + 22 * N)
    fixed_path(drv, state, frame, 10)
    # allocation: the heap is locked; any allocation raises
    micropython.heap_lock()
    try:
        fixed_path(drv, state, frame, 200)
        locked_ok = True
    except MemoryError:
        locked_ok = False
    micropython.heap_unlock()
    gc.collect()
    t0 = time.ticks_us()
    fixed_path(drv, state, frame, FRAMES)
    fixed_us = time.ticks_diff(time.ticks_us(), t0) / (FRAMES * N)

    ff = fusion_float.FloatFusion(100)
    base_frames = max(20, FRAMES // 50)
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    float_path(ff, frame, 20)
    float_alloc = (gc.mem_alloc() - a0) / (20 * N)
    gc.enable()
    gc.collect()
    t0 = time.ticks_us()
    float_path(ff, frame, base_frames)
    float_us = time.ticks_diff(time.ticks_us(), t0) / (base_frames * N)
    baro_us, baro_alloc = baro_path(max(200, FRAMES))
    print(json.dumps({"fixed_us_per_sample": fixed_us, "float_us_per_sample": float_us,
                      "baro_us_per_sample": baro_us, "baro_alloc_bytes_per_sample": baro_alloc,
                      "fixed_alloc_bytes_per_sample": 0 if locked_ok else -1,
                      "float_alloc_bytes_per_sample": float_alloc}))


main()
