# The simulator's "micropython" engine: simdrive inside the MicroPython unix
# port. The host writes chunks on stdin, each a u32 row count followed by
# that many float32 rows (ax ay az gx gy gz [pressure]); a count of
# 0xFFFFFFFF ends the run. After each chunk the device's messages come back
# on stdout as a u32 byte count and then messages, each behind a u16 length
# and the u32 device time (ms) it left at. The first reply, before any chunk,
# holds the first sample's device time and the sample period.
#
#   MICROPYPATH=firmware/rig:firmware:protocol micropython firmware/rig/sim_app.py \
#       CHIP RATE_HZ BOARD BARO(0|1) FIRST_SAMPLE_MS
import struct
import sys

import simdrive


def read_exact(f, n):
    b = f.read(n)
    if b is None:
        b = b""
    while len(b) < n:
        more = f.read(n - len(b))
        if not more:
            return None
        b += more
    return b


def send(out, msgs):
    total = 0
    for t, m in msgs:
        total += 6 + len(m)
    out.write(struct.pack("<I", total))
    for t, m in msgs:
        out.write(struct.pack("<HI", len(m), t))
        out.write(m)
    out.flush()


def main(argv):
    chip = argv[1]
    rate = int(argv[2])
    board = argv[3]
    baro = argv[4] == "1"
    first_ms = int(argv[5])
    cols = 7 if baro else 6
    fmt = "<" + "f" * cols
    size = 4 * cols
    gc_module = None
    if sys.implementation.name == "cpython":
        # CPython frees the app's garbage by reference counting; its full collections would dominate
        class gc_module:  # noqa: N801
            @staticmethod
            def collect():
                pass

    drive = simdrive.make(chip, rate, board, baro, "dorsal_config.json", first_ms, gc_module)
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    send(out, [(0, struct.pack("<iI", drive.first_sample_ms(), drive.period_us()))])
    while True:
        head = read_exact(inp, 4)
        if head is None:
            break
        n = struct.unpack("<I", head)[0]
        if n == 0xFFFFFFFF:
            send(out, drive.finish())
            break
        data = read_exact(inp, n * size)
        rows = []
        press = [] if baro else None
        for i in range(n):
            v = struct.unpack_from(fmt, data, i * size)
            rows.append(v[:6])
            if baro:
                press.append(v[6])
        drive.source.add(rows, press)
        send(out, drive.advance())


main(sys.argv)
