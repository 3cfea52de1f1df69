# Register-level emulators of the IMUs the firmware supports, for the
# off-device rig. They model what the datasheets say the chips do: WHO_AM_I,
# the configuration registers the driver writes (output data rate, full
# scale, FIFO enable and mode), a FIFO of the chip's size and packet format,
# and its overflow behaviour; sample values come from a source of physical
# samples (specific force in m/s^2 and angular rate in rad/s, sensor frame)
# and are scaled, quantised and saturated like the chip's output.
# Runs under MicroPython (the unix port) and CPython.

import struct

G_MPS2 = 9.80665
RAD_TO_DEG = 57.29577951308232


class StillSource:
    # A device lying still, tilted so gravity reads `up` (m/s^2) on its axes.
    def __init__(self, up=(0.0, 0.0, G_MPS2), gyro_rps=(0.0, 0.0, 0.0)):
        self.sample = (up[0], up[1], up[2], gyro_rps[0], gyro_rps[1], gyro_rps[2])

    def next(self):
        return self.sample


class ListSource:
    # Samples from a list of 6-tuples, then the last one forever.
    def __init__(self, rows):
        self.rows = rows
        self.i = 0

    def next(self):
        r = self.rows[self.i] if self.i < len(self.rows) else self.rows[-1]
        self.i += 1
        return r


class StreamSource:
    # Float32 little-endian rows (ax, ay, az, gx, gy, gz[, pressure]) from a
    # file or pipe: the simulator's IMU stream format. At the end, the last
    # sample repeats (the device keeps lying where it was).
    def __init__(self, stream, columns=6):
        self.f = stream
        self.size = 4 * columns
        self.fmt = "<" + "f" * columns
        self.last = (0.0, 0.0, G_MPS2, 0.0, 0.0, 0.0)
        self.ended = False
        self.pressure_pa = None
        self.pressure_hist = []  # the last pressures, newest last (the barometer looks back)

    def next(self):
        if not self.ended:
            b = self.f.read(self.size)
            if b and len(b) == self.size:
                v = struct.unpack(self.fmt, b)
                self.last = v[:6]
                if len(v) > 6:
                    self.pressure_pa = v[6]
                    self.pressure_hist.append(v[6])
                    if len(self.pressure_hist) > 256:
                        self.pressure_hist = self.pressure_hist[-128:]
            else:
                self.ended = True
        return self.last


def _clip16(v):
    n = int(v + 0.5) if v >= 0 else -int(-v + 0.5)
    if n > 32767:
        return 32767
    if n < -32768:
        return -32768
    return n


class _Chip:
    who_reg = 0x75
    who = 0
    fifo_size = 1024

    def __init__(self, clock, source, addr):
        self.clock = clock
        self.source = source
        self.addr = addr
        self.regs = bytearray(256)
        self.regs[self.who_reg] = self.who
        self.fifo = bytearray()
        self.overflowed = False
        self.samples_made = 0
        self.samples_lost = 0
        self.fail_next = 0  # I2C transactions to fail (fault injection)
        self._t_us = None  # when the next sample is due
        self._p = 0  # the sample period in us, 0 while not sampling (kept from period_us())
        self.acc_lsb_per_g = 8192.0
        self.gyro_lsb_per_dps = 65.5

    # ---- timing
    def period_us(self):
        return 0  # 0: not sampling

    def _catch_up(self, until_us=None):
        # produce every sample due by now (or by until_us, which is not later than now)
        p = self._p
        now = self.clock.elapsed_us() if until_us is None else until_us
        if p <= 0:
            self._t_us = None
            return
        if self._t_us is None:
            self._t_us = now + p
            return
        while self._t_us <= now:
            self._produce()
            self._t_us += p

    def _produce(self):
        s = self.source.next()
        ax = _clip16(s[0] / G_MPS2 * self.acc_lsb_per_g)
        ay = _clip16(s[1] / G_MPS2 * self.acc_lsb_per_g)
        az = _clip16(s[2] / G_MPS2 * self.acc_lsb_per_g)
        k = RAD_TO_DEG * self.gyro_lsb_per_dps
        gx = _clip16(s[3] * k)
        gy = _clip16(s[4] * k)
        gz = _clip16(s[5] * k)
        self.samples_made += 1
        self.push(ax, ay, az, gx, gy, gz)

    # ---- bus
    def write(self, reg, data):
        self._catch_up()
        for i in range(len(data)):
            self.write_reg(reg + i, data[i])
        self._p = self.period_us()  # only a register write changes the output data rate

    def read(self, reg, n):
        self._catch_up()
        if reg == self.fifo_reg:
            return self.pop(n)
        return bytes(self.read_reg(reg + i) for i in range(n))

    def write_reg(self, reg, value):
        self.regs[reg] = value

    def read_reg(self, reg):
        return self.regs[reg]

    def pop(self, n):
        out = bytes(self.fifo[:n])
        self.fifo = self.fifo[n:]
        # reading an empty FIFO returns the last value again (here: 0xFF)
        return out + b"\xff" * (n - len(out))


class MPU6050(_Chip):
    # PS-MPU-6000A rev 3.4 / RM-MPU-6000A rev 4.2. When the 1024-byte FIFO is
    # full "the oldest data will be lost and new data will be written" (byte
    # by byte, so the stream loses its alignment) and INT_STATUS bit 4 is set
    # until INT_STATUS is read.
    who = 0x68
    fifo_size = 1024
    fifo_reg = 0x74

    def __init__(self, clock, source, addr=0x68):
        _Chip.__init__(self, clock, source, addr)
        self.regs[0x6B] = 0x40  # asleep after power-up

    def period_us(self):
        if self.regs[0x6B] & 0x40:
            return 0
        dlpf = self.regs[0x1A] & 0x07
        base_hz = 1000 if 1 <= dlpf <= 6 else 8000
        # the accelerometer runs at 1 kHz at most; the driver always enables the DLPF
        return 1000000 * (1 + self.regs[0x19]) // base_hz

    def write_reg(self, reg, value):
        if reg == 0x6B and value & 0x80:
            self.regs = bytearray(256)
            self.regs[self.who_reg] = self.who
            self.regs[0x6B] = 0x40
            self.fifo = bytearray()
            self._t_us = None
            return
        if reg == 0x6A and value & 0x04:
            self.fifo = bytearray()
            value &= ~0x04
        if reg == 0x1B:
            self.gyro_lsb_per_dps = (131.0, 65.5, 32.8, 16.4)[(value >> 3) & 3]
        if reg == 0x1C:
            self.acc_lsb_per_g = (16384.0, 8192.0, 4096.0, 2048.0)[(value >> 3) & 3]
        self.regs[reg] = value

    def read_reg(self, reg):
        if reg == 0x3A:
            v = 0x10 if self.overflowed else 0
            self.overflowed = False
            return v | 0x01
        if reg == 0x72:
            return (len(self.fifo) >> 8) & 0xFF
        if reg == 0x73:
            return len(self.fifo) & 0xFF
        return self.regs[reg]

    def push(self, ax, ay, az, gx, gy, gz):
        if not (self.regs[0x6A] & 0x40) or (self.regs[0x23] & 0x78) != 0x78:
            return
        data = struct.pack(">hhhhhh", ax, ay, az, gx, gy, gz)
        self.fifo += data
        over = len(self.fifo) - self.fifo_size
        if over > 0:
            self.fifo = self.fifo[over:]
            self.overflowed = True
            self.samples_lost += 1


class MPU6500(MPU6050):
    # PS-MPU-6500A: the same map with a 512-byte FIFO.
    who = 0x70
    fifo_size = 512


class ICM42688P(_Chip):
    # DS-000347: 2 KB FIFO of 16-byte packets (header 0x68, accel BE, gyro BE,
    # temperature, timestamp). In stream mode a full FIFO drops the oldest
    # packet; INT_STATUS (0x2D) bit 1 reports FIFO full, cleared on read.
    who = 0x47
    fifo_size = 2048
    fifo_reg = 0x30
    _ODR_US = {6: 1000, 15: 2000, 7: 5000, 8: 10000, 9: 20000, 10: 40000, 11: 80000}

    def __init__(self, clock, source, addr=0x68):
        _Chip.__init__(self, clock, source, addr)
        self.regs[0x4F] = 0x06
        self.regs[0x50] = 0x06
        self.ts = 0

    def period_us(self):
        if (self.regs[0x4E] & 0x0F) != 0x0F:
            return 0
        return self._ODR_US.get(self.regs[0x4F] & 0x0F, 0)

    def write_reg(self, reg, value):
        if reg == 0x11 and value & 0x01:
            self.regs = bytearray(256)
            self.regs[self.who_reg] = self.who
            self.regs[0x4F] = 0x06
            self.regs[0x50] = 0x06
            self.fifo = bytearray()
            self._t_us = None
            return
        if reg == 0x4B and value & 0x02:
            self.fifo = bytearray()
            value &= ~0x02
        if reg == 0x4F:
            self.gyro_lsb_per_dps = 32768.0 / (2000.0, 1000.0, 500.0, 250.0, 125.0, 62.5, 31.25, 15.625)[value >> 5]
        if reg == 0x50:
            self.acc_lsb_per_g = 32768.0 / (16.0, 8.0, 4.0, 2.0)[(value >> 5) & 3]
        self.regs[reg] = value

    def read_reg(self, reg):
        if reg == 0x2D:
            v = 0x02 if self.overflowed else 0
            self.overflowed = False
            return v
        if reg == 0x2E:
            return (len(self.fifo) >> 8) & 0xFF
        if reg == 0x2F:
            return len(self.fifo) & 0xFF
        return self.regs[reg]

    def push(self, ax, ay, az, gx, gy, gz):
        if (self.regs[0x16] & 0xC0) == 0 or (self.regs[0x5F] & 0x03) != 0x03:
            return
        self.ts = (self.ts + 1) & 0xFFFF
        self.fifo += struct.pack(">BhhhhhhbH", 0x68, ax, ay, az, gx, gy, gz, 25, self.ts)
        if len(self.fifo) > self.fifo_size:
            self.fifo = self.fifo[16:]
            self.overflowed = True
            self.samples_lost += 1


class LSM6DSOX(_Chip):
    # DS12814: FIFO of tagged words (tag byte: sensor in bits 7..3, then 6
    # data bytes, little-endian); 9 KB = 1536 words. In continuous mode a full
    # FIFO overwrites the oldest word and sets FIFO_OVR_IA (0x3B bit 6).
    who = 0x6C
    who_reg = 0x0F
    fifo_size = 1536 * 7
    fifo_reg = 0x78
    _ODR_US = {1: 80000, 2: 38462, 3: 19231, 4: 9615, 5: 4808, 6: 2404, 7: 1200}

    def __init__(self, clock, source, addr=0x6A):
        _Chip.__init__(self, clock, source, addr)
        self.acc_lsb_per_g = 1000.0 / 0.061
        self.gyro_lsb_per_dps = 1000.0 / 8.75

    def period_us(self):
        return self._ODR_US.get(self.regs[0x10] >> 4, 0)

    def write_reg(self, reg, value):
        if reg == 0x12 and value & 0x01:
            self.regs = bytearray(256)
            self.regs[self.who_reg] = self.who
            self.fifo = bytearray()
            self._t_us = None
            return
        if reg == 0x0A and (value & 0x07) == 0:
            self.fifo = bytearray()
            self.overflowed = False
        if reg == 0x10:
            self.acc_lsb_per_g = 1000.0 / (0.061, 0.488, 0.122, 0.244)[(value >> 2) & 3]
        if reg == 0x11:
            fs = (value >> 2) & 3
            self.gyro_lsb_per_dps = 1000.0 / (8.75, 17.5, 35.0, 70.0)[fs]
        self.regs[reg] = value

    def read_reg(self, reg):
        words = len(self.fifo) // 7
        if reg == 0x3A:
            return words & 0xFF
        if reg == 0x3B:
            return ((words >> 8) & 0x03) | (0x40 if self.overflowed else 0)
        return self.regs[reg]

    def push(self, ax, ay, az, gx, gy, gz):
        if (self.regs[0x0A] & 0x07) != 0x06:
            return
        self.fifo += struct.pack("<Bhhh", 0x01 << 3, gx, gy, gz)
        self.fifo += struct.pack("<Bhhh", 0x02 << 3, ax, ay, az)
        while len(self.fifo) > self.fifo_size:
            self.fifo = self.fifo[7:]
            self.overflowed = True
            self.samples_lost += 1


CHIPS = {"mpu6050": MPU6050, "mpu6500": MPU6500, "icm42688p": ICM42688P, "lsm6dsox": LSM6DSOX}


def make(chip, clock, source):
    if chip not in CHIPS:
        raise ValueError("unknown chip %s" % chip)
    return CHIPS[chip](clock, source)
