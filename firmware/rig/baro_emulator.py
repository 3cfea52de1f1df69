# Register-level emulator of the Bosch BMP390 barometer (BST-BMP390-DS002),
# for the off-device rig: chip id, trimming coefficients in NVM, power modes,
# output data rate, the 512-byte FIFO with its frame headers, FIFO flush and
# soft reset, the FIFO-full flag, and raw ADC values that the datasheet's
# compensation turns back into the pressure the source asked for.
# Runs under MicroPython (the unix port) and CPython.

import struct

# One plausible set of trimming coefficients (every chip has its own, written
# at the factory): 25 degC reads about 8.45 M counts and 101325 Pa about
# 6.55 M counts, 0.0125 Pa per count, as on real parts.
NVM = (27504, 19036, -7, 30000, -6500, 35, 0, 1500, 23200, 3, -6, 16500, 11, -60)
NVM_FORMAT = "<HHbhhbbHHbbhbb"

FIFO_BYTES = 512


class ConstantPressure:
    # A barometer lying on a desk.
    def __init__(self, pa=101325.0, celsius=25.0):
        self.pa = pa
        self.celsius = celsius

    def pressure_pa(self, t_us):
        return self.pa


class SourcePressure:
    # The pressure column of the IMU's sample stream (the body-motion
    # simulator writes it, noise included): the IMU emulator is brought up to
    # the barometer's sample time first, so both chips see the same moment.
    def __init__(self, imu, fallback_pa=101325.0):
        self.imu = imu
        self.fallback_pa = fallback_pa
        self.celsius = 30.0  # worn against the back

    def pressure_pa(self, t_us):
        imu = self.imu
        imu._catch_up(t_us)
        hist = getattr(imu.source, "pressure_hist", None)
        if not hist:
            return self.fallback_pa
        # the IMU may already be past t_us (it was drained first): take the
        # row of the last IMU sample at or before t_us
        p = imu._p
        back = 0
        if imu._t_us is not None and p > 0:
            last_us = imu._t_us - p
            if last_us > t_us:
                back = (last_us - t_us + p - 1) // p
        return hist[-1 - back] if back < len(hist) else hist[0]


class Calibration:
    # The datasheet's compensation (section 9, floating point), and its inverse.
    def __init__(self, nvm=NVM):
        c = nvm
        self.t1 = c[0] * 256.0
        self.t2 = c[1] / 2.0 ** 30
        self.t3 = c[2] / 2.0 ** 48
        self.p1 = (c[3] - 16384) / 2.0 ** 20
        self.p2 = (c[4] - 16384) / 2.0 ** 29
        self.p3 = c[5] / 2.0 ** 32
        self.p4 = c[6] / 2.0 ** 37
        self.p5 = c[7] * 8.0
        self.p6 = c[8] / 64.0
        self.p7 = c[9] / 256.0
        self.p8 = c[10] / 32768.0
        self.p9 = c[11] / 2.0 ** 48
        self.p10 = c[12] / 2.0 ** 48
        self.p11 = c[13] / 2.0 ** 65
        self._last_c = None
        self._last_rt = 0
        self._last_rp = 6.5e6

    def t_lin(self, raw):
        d = raw - self.t1
        return d * self.t2 + d * d * self.t3

    def pressure(self, raw, t):
        out1 = self.p5 + self.p6 * t + self.p7 * t * t + self.p8 * t * t * t
        out2 = raw * (self.p1 + self.p2 * t + self.p3 * t * t + self.p4 * t * t * t)
        return out1 + out2 + raw * raw * (self.p9 + self.p10 * t) + raw * raw * raw * self.p11

    def raw_temperature(self, celsius):
        if celsius == self._last_c:
            return self._last_rt
        self._last_c = celsius
        raw = self.t1 + celsius / self.t2
        for _ in range(4):  # Newton on the (almost linear) polynomial
            d = raw - self.t1
            raw -= (self.t_lin(raw) - celsius) / (self.t2 + 2 * d * self.t3)
        self._last_rt = _u24(raw)
        return self._last_rt

    def raw_pressure(self, pa, t):
        raw = self._last_rp  # Newton from the last answer: pressure moves little between samples
        for _ in range(8):
            f = self.pressure(raw, t) - pa
            slope = (self.p1 + self.p2 * t + self.p3 * t * t + self.p4 * t * t * t
                     + 2 * raw * (self.p9 + self.p10 * t) + 3 * raw * raw * self.p11)
            raw -= f / slope
            if -1e-4 < f < 1e-4:
                break
        self._last_rp = raw
        return _u24(raw)


def _u24(v):
    n = int(v + 0.5)
    return 0 if n < 0 else (0xFFFFFF if n > 0xFFFFFF else n)


class BMP390:
    who = 0x60
    fifo_reg = 0x14

    def __init__(self, clock, source=None, addr=0x77):
        self.clock = clock
        self.source = source if source is not None else ConstantPressure()
        self.addr = addr
        self.cal = Calibration()
        self.fail_next = 0
        self.samples_made = 0
        self.samples_lost = 0
        self._power_on()

    def _power_on(self):
        self.regs = bytearray(128)
        self.regs[0x00] = self.who
        self.regs[0x01] = 0x01  # REV_ID
        self.regs[0x1C] = 0x02  # OSR reset value
        self.regs[0x1D] = 0x00  # 200 Hz
        self.regs[0x17] = 0x02  # FIFO_CONFIG_1 reset value (stop on full, FIFO off)
        self.regs[0x18] = 0x02
        nvm = struct.pack(NVM_FORMAT, *NVM)
        self.regs[0x31:0x31 + len(nvm)] = nvm
        self.fifo = bytearray()
        self.full_flag = False
        self._t_us = None
        self._p = 0  # sample period in us (period_us(), kept after each register write)

    # ---- timing
    def period_us(self):
        pwr = self.regs[0x1B]
        if (pwr >> 4) & 0x03 != 0x03 or not pwr & 0x03:
            return 0  # sleep (or forced) mode, or nothing enabled
        return 5000 << (self.regs[0x1D] & 0x1F)

    def _catch_up(self):
        p = self._p
        now = self.clock.elapsed_us()
        if p <= 0:
            self._t_us = None
            return
        if self._t_us is None:
            self._t_us = now + p
            return
        while self._t_us <= now:
            self._produce(self._t_us)
            self._t_us += p

    def _produce(self, t_us):
        pa = self.source.pressure_pa(t_us)
        celsius = getattr(self.source, "celsius", 25.0)
        rt = self.cal.raw_temperature(celsius)
        rp = self.cal.raw_pressure(pa, self.cal.t_lin(rt))
        self.samples_made += 1
        pwr = self.regs[0x1B]
        tb = bytes((rt & 0xFF, (rt >> 8) & 0xFF, rt >> 16))
        pb = bytes((rp & 0xFF, (rp >> 8) & 0xFF, rp >> 16))
        self.regs[0x04:0x07] = pb
        self.regs[0x07:0x0A] = tb
        cfg = self.regs[0x17]
        if not cfg & 0x01:
            return  # FIFO off
        press = cfg & 0x08 and pwr & 0x01
        temp = cfg & 0x10 and pwr & 0x02
        if press and temp:
            frame = b"\x94" + tb + pb
        elif press:
            frame = b"\x84" + pb
        elif temp:
            frame = b"\x90" + tb
        else:
            return
        if len(self.fifo) + len(frame) > FIFO_BYTES:
            self.full_flag = True
            if cfg & 0x02:
                self.samples_lost += 1
                return  # stop on full: the new frame is dropped
            while len(self.fifo) + len(frame) > FIFO_BYTES:
                self.fifo = self.fifo[_frame_len(self.fifo[0]):]  # the oldest frame goes
                self.samples_lost += 1
        self.fifo += frame

    # ---- bus
    def write(self, reg, data):
        self._catch_up()
        for i in range(len(data)):
            self.write_reg(reg + i, data[i])
        self._p = self.period_us()

    def read(self, reg, n):
        self._catch_up()
        if reg == self.fifo_reg:
            out = bytes(self.fifo[:n])
            self.fifo = self.fifo[n:]
            if len(out) < n:  # reading an empty FIFO gives an empty frame, 0x8000
                out += (b"\x80\x00" * n)[: n - len(out)]
            return out
        return bytes(self.read_reg(reg + i) for i in range(n))

    def write_reg(self, reg, value):
        if reg == 0x7E:
            if value == 0xB6:
                self._power_on()
            elif value == 0xB0:
                self.fifo = bytearray()
            return
        changed = self.regs[reg] != value
        self.regs[reg] = value
        if reg in (0x17, 0x18) and changed and value and self.regs[0x17] & 0x01:
            self.fifo += b"\x44\x00"  # a configuration change frame
        if reg == 0x1B:
            self._t_us = None  # a mode change restarts the measurement cycle

    def read_reg(self, reg):
        if reg == 0x11:  # INT_STATUS clears on read
            v = 0x02 if self.full_flag else 0
            self.full_flag = False
            return v
        if reg == 0x12:
            return len(self.fifo) & 0xFF
        if reg == 0x13:
            return (len(self.fifo) >> 8) & 0x01
        return self.regs[reg]


def _frame_len(header):
    if header == 0x94:
        return 7
    if header in (0x84, 0x90, 0xA0):
        return 4
    return 2
