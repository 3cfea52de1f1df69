# IMU drivers: the chip's own FIFO times the samples (no timer-driven reads).
#
# Every drain reads whole packets out of the FIFO and writes acceleration (mg)
# and angular rate (1/16 deg/s) straight into wire records of the frame
# being built, without allocating. An overflowed FIFO is reset (its content
# may be misaligned: the MPU-6050 drops the oldest *bytes*), and the drain
# reports it so the app can flag the data and account for the lost samples.
#
# Supported, detected by WHO_AM_I: MPU-6050 (0x68), MPU-6500 (0x70),
# ICM-42688-P (0x47), LSM6DSOX (0x6C). All at +-4 g and +-500 deg/s.

import array

try:
    import micropython
except ImportError:  # CPython

    class micropython:  # noqa: N801
        @staticmethod
        def viper(f):
            return f

    def ptr16(obj):
        return memoryview(obj).cast("B").cast("H")

    def ptr8(obj):
        return memoryview(obj).cast("B")


class I2CFault(Exception):
    # The bus failed (errno in args[0]); the app recovers by setting the chip up again.
    pass


# conversion to wire units: value * MUL >> 16
_MUL_ACC_8192 = 8000  # 8192 LSB/g -> mg: 1000/8192 * 65536
_MUL_GYRO_65_5 = 16009  # 65.5 LSB/(deg/s) -> 1/16 deg/s: 16/65.5 * 65536
_MUL_ACC_LSM_4G = 7995  # 0.122 mg/LSB
_MUL_GYRO_LSM_500 = 18350  # 17.5 mdps/LSB -> 16 * 0.0175 * 65536

# layout of the converter's config (array('h'))
_C_STRIDE = 0
_C_BIG = 1
_C_ACC = 2
_C_GYRO = 3
_C_MUL_A = 4
_C_MUL_G = 5


@micropython.viper
def _convert(cfg, raw, out, start_n: int) -> int:
    # raw packets -> records. start_n packs the first record's halfword index
    # (high bits) and the packet count (low 8 bits), to stay within viper's
    # four arguments.
    c = ptr16(cfg)
    r = ptr8(raw)
    o = ptr16(out)
    n = start_n & 0xFF
    at = start_n >> 8
    stride = int(c[0])
    big = int(c[1])
    acc = int(c[2])
    gyr = int(c[3])
    mul_a = int(c[4])
    mul_g = int(c[5])
    j = 0
    while j < n:
        b = j * stride
        k = 0
        while k < 6:
            if k < 3:
                q = b + acc + 2 * k
                mul = mul_a
            else:
                q = b + gyr + 2 * (k - 3)
                mul = mul_g
            if big:
                v = (int(r[q]) << 8) | int(r[q + 1])
            else:
                v = (int(r[q + 1]) << 8) | int(r[q])
            v = v - ((v & 0x8000) << 1)
            v = (v * mul) >> 16
            o[at + 4 + k] = v & 0xFFFF
            k += 1
        o[at + 10] = 0
        at += 11
        j += 1
    return n


if not hasattr(micropython, "heap_lock"):  # CPython (the host's simulator): the same conversion with struct
    import struct as _struct

    def _convert(cfg, raw, out, start_n):  # noqa: F811
        n = start_n & 0xFF
        at = start_n >> 8
        stride, acc, gyr, mul_a, mul_g = cfg[0], cfg[2], cfg[3], cfg[4], cfg[5]
        fmt = ">hhh" if cfg[1] else "<hhh"
        for j in range(n):
            b = j * stride
            ax, ay, az = _struct.unpack_from(fmt, raw, b + acc)
            gx, gy, gz = _struct.unpack_from(fmt, raw, b + gyr)
            _struct.pack_into("<hhhhhhH", out, 2 * (at + 4), (ax * mul_a) >> 16, (ay * mul_a) >> 16,
                              (az * mul_a) >> 16, (gx * mul_g) >> 16, (gy * mul_g) >> 16, (gz * mul_g) >> 16, 0)
            at += 11
        return n


@micropython.viper
def _untag(raw, words: int, pairs) -> int:
    # LSM6DSOX: the FIFO holds tagged 7-byte words (tag, 6 data bytes) with
    # gyro (tag 1) and accel (tag 2) interleaved. Pack complete accel+gyro
    # pairs as 12-byte packets (accel first) at the start of `pairs`.
    r = ptr8(raw)
    o = ptr8(pairs)
    have_a = 0
    have_g = 0
    n = 0
    i = 0
    while i < words:
        b = i * 7
        tag = int(r[b]) >> 3
        if tag == 2 or tag == 1:
            if tag == 2:
                dst = n * 12
                have_a = 1
            else:
                dst = n * 12 + 6
                have_g = 1
            k = 0
            while k < 6:
                o[dst + k] = r[b + 1 + k]
                k += 1
            if have_a and have_g:
                n += 1
                have_a = 0
                have_g = 0
        i += 1
    return n


class _Driver:
    name = "?"
    fifo_bytes = 0
    packet = 12

    def __init__(self, i2c, addr, clock):
        self.i2c = i2c
        self.clock = clock
        self.addr = addr
        self.rate_hz = 0
        self.period_us = 0
        self._one = bytearray(1)
        self._two = bytearray(2)
        self._cfg = array.array("h", [0] * 6)
        self._raw = None
        self._views = None
        self.overflows = 0

    def _w(self, reg, value):
        self._one[0] = value
        try:
            self.i2c.writeto_mem(self.addr, reg, self._one)
        except OSError as e:
            raise I2CFault(e.args[0] if e.args else 0)

    def _r(self, reg):
        try:
            self.i2c.readfrom_mem_into(self.addr, reg, self._one)
        except OSError as e:
            raise I2CFault(e.args[0] if e.args else 0)
        return self._one[0]

    def _r16(self, reg):
        try:
            self.i2c.readfrom_mem_into(self.addr, reg, self._two)
        except OSError as e:
            raise I2CFault(e.args[0] if e.args else 0)
        return (self._two[0] << 8) | self._two[1]

    def _read_into(self, reg, view):
        try:
            self.i2c.readfrom_mem_into(self.addr, reg, view)
        except OSError as e:
            raise I2CFault(e.args[0] if e.args else 0)

    def _buffers(self, max_packets, stride, big, acc, gyr, mul_a, mul_g):
        self._raw = bytearray(max_packets * self.packet)
        mv = memoryview(self._raw)
        # one view per possible read length, made once: slicing allocates
        self._views = [mv[: k * self.packet] for k in range(max_packets + 1)]
        c = self._cfg
        c[_C_STRIDE] = stride
        c[_C_BIG] = big
        c[_C_ACC] = acc
        c[_C_GYRO] = gyr
        c[_C_MUL_A] = mul_a
        c[_C_MUL_G] = mul_g
        self.max_packets = max_packets


class MPU6050(_Driver):
    # InvenSense PS-MPU-6000A / RM-MPU-6000A: FIFO 1024 bytes, count at 0x72,
    # data 0x74, overflow = INT_STATUS (0x3A) bit 4, FIFO reset USER_CTRL bit 2.
    name = "mpu6050"
    fifo_bytes = 1024
    packet = 12

    def setup(self, rate_hz, max_packets):
        self._w(0x6B, 0x80)  # device reset
        self.clock.sleep_ms(100)
        self._w(0x6B, 0x01)  # wake, PLL on the X gyro
        self._w(0x1A, 0x03)  # DLPF 44 Hz: internal rate 1 kHz
        div = int(1000 // rate_hz) - 1
        if div < 0:
            div = 0
        if div > 255:
            div = 255
        self._w(0x19, div)
        self._w(0x1B, 0x08)  # +-500 deg/s
        self._w(0x1C, 0x08)  # +-4 g
        self._w(0x38, 0x10)  # FIFO overflow interrupt enabled (status bit)
        self.rate_hz = 1000 // (1 + div)
        self.period_us = 1000 * (1 + div)
        self._buffers(max_packets, 12, 1, 0, 6, _MUL_ACC_8192, _MUL_GYRO_65_5)
        self.reset_fifo()
        return self.rate_hz

    def reset_fifo(self):
        self._w(0x23, 0x00)
        self._w(0x6A, 0x04)  # FIFO reset
        self._r(0x3A)  # clears the overflow flag
        self._w(0x6A, 0x40)  # FIFO enabled
        self._w(0x23, 0x78)  # accel + gyro xyz into the FIFO

    def available(self):
        # (packets waiting, overflowed)
        if self._r(0x3A) & 0x10:
            return 0, True
        return self._r16(0x72) // 12, False

    def drain_into(self, out, at, n):
        self._read_into(0x74, self._views[n])
        return _convert(self._cfg, self._raw, out, (at << 8) | n)


class MPU6500(MPU6050):
    # TDK PS-MPU-6500A: same map, 512-byte FIFO, accel DLPF in ACCEL_CONFIG2.
    name = "mpu6500"
    fifo_bytes = 512

    def setup(self, rate_hz, max_packets):
        r = MPU6050.setup(self, rate_hz, max_packets)
        self._w(0x1D, 0x03)  # accel DLPF 44.8 Hz
        self.reset_fifo()
        return r


class ICM42688P(_Driver):
    # TDK DS-000347: FIFO 2 KB of 16-byte packets (header, accel BE, gyro BE,
    # temp, timestamp); count (bytes, big-endian) at 0x2E, data 0x30,
    # INT_STATUS 0x2D bit 1 FIFO full; flush SIGNAL_PATH_RESET bit 1.
    name = "icm42688p"
    fifo_bytes = 2048
    packet = 16
    _ODR = ((1000, 6), (500, 15), (200, 7), (100, 8), (50, 9), (25, 10))

    def setup(self, rate_hz, max_packets):
        self._w(0x11, 0x01)  # soft reset
        self.clock.sleep_ms(2)
        code = 8
        self.rate_hz = 100
        for hz, c in self._ODR:
            if hz <= rate_hz:
                code = c
                self.rate_hz = hz
                break
        self.period_us = 1000000 // self.rate_hz
        self._w(0x4F, 0x40 | code)  # gyro +-500 deg/s
        self._w(0x50, 0x40 | code)  # accel +-4 g
        self._w(0x16, 0x40)  # FIFO stream mode
        self._w(0x5F, 0x03)  # accel + gyro packets
        self._w(0x4E, 0x0F)  # accel and gyro low-noise mode
        self._buffers(max_packets, 16, 1, 1, 7, _MUL_ACC_8192, _MUL_GYRO_65_5)
        self.reset_fifo()
        return self.rate_hz

    def reset_fifo(self):
        self._w(0x4B, 0x02)
        self._r(0x2D)

    def available(self):
        if self._r(0x2D) & 0x02:
            return 0, True
        return self._r16(0x2E) // 16, False

    def drain_into(self, out, at, n):
        self._read_into(0x30, self._views[n])
        return _convert(self._cfg, self._raw, out, (at << 8) | n)


class LSM6DSOX(_Driver):
    # ST DS12814: 9 KB FIFO of tagged words (tag + 6 bytes LE); unread words
    # in FIFO_STATUS1/2 (0x3A/0x3B, overflow = 0x3B bit 6); data at 0x78.
    name = "lsm6dsox"
    fifo_bytes = 9216
    packet = 7
    _ODR = ((833, 7), (416, 6), (208, 5), (104, 4), (52, 3), (26, 2), (12, 1))

    def setup(self, rate_hz, max_packets):
        self._w(0x12, 0x01)  # software reset
        self.clock.sleep_ms(2)
        self._w(0x12, 0x44)  # BDU, auto-increment
        code = 4
        self.rate_hz = 104
        for hz, c in self._ODR:
            if hz <= rate_hz * 1.05:
                code = c
                self.rate_hz = hz
                break
        self.period_us = 1000000 // self.rate_hz
        self._w(0x10, (code << 4) | 0x08)  # accel, +-4 g
        self._w(0x11, (code << 4) | 0x04)  # gyro, +-500 deg/s
        self._w(0x09, (code << 4) | code)  # batch both at the ODR
        # two tagged words per sample
        self._buffers(2 * max_packets, 12, 0, 0, 6, _MUL_ACC_LSM_4G, _MUL_GYRO_LSM_500)
        self._pairs = bytearray(12 * max_packets)
        self.max_packets = max_packets
        self.reset_fifo()
        return self.rate_hz

    def reset_fifo(self):
        self._w(0x0A, 0x00)  # bypass: empties the FIFO
        self._w(0x0A, 0x06)  # continuous

    def available(self):
        s2 = self._r(0x3B)
        if s2 & 0x40:
            return 0, True
        words = self._r(0x3A) | ((s2 & 0x03) << 8)
        return words // 2, False

    def drain_into(self, out, at, n):
        self._read_into(0x78, self._views[2 * n])
        got = _untag(self._raw, 2 * n, self._pairs)
        return _convert(self._cfg, self._pairs, out, (at << 8) | got)


_WHO = (
    ((0x68, 0x69), 0x75, 0x68, MPU6050),
    ((0x68, 0x69), 0x75, 0x70, MPU6500),
    ((0x68, 0x69), 0x75, 0x47, ICM42688P),
    ((0x6A, 0x6B), 0x0F, 0x6C, LSM6DSOX),
)


def detect(i2c, clock):
    # The driver of the first supported chip found on the bus, or None.
    present = i2c.scan()
    buf = bytearray(1)
    for addrs, reg, who, cls in _WHO:
        for a in addrs:
            if a in present:
                try:
                    i2c.readfrom_mem_into(a, reg, buf)
                except OSError:
                    continue
                if buf[0] == who:
                    return cls(i2c, a, clock)
    return None
