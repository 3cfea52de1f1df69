# Optional barometer: Bosch BMP390 (or BMP388, same registers), a channel of
# its own. Like the IMU, the chip's FIFO times the samples: normal mode at
# 25 Hz, pressure + temperature frames, drained with the IMU's FIFO.
#
# Compensation follows the datasheet's floating-point formulas (BMP390
# datasheet, section 9) in Horner form: about 25 float operations per sample,
# each a boxed float in MicroPython (`dorsal bench --only firmware` counts the
# bytes). At 25 Hz that is a fraction of what a float orientation filter at
# 100 Hz leaves, collected at the loop's fixed point; it keeps the 0.016 Pa
# resolution, and the fixed-point IMU path stays allocation-free.

import array
import struct

ADDRESSES = (0x77, 0x76)  # SDO high (most breakouts) or low
CHIP_IDS = {0x60: "BMP390", 0x50: "BMP388"}

_CHIP_ID = 0x00
_INT_STATUS = 0x11  # bit 1: FIFO full (clears on read)
_FIFO_LENGTH = 0x12  # 9-bit byte count, little-endian
_FIFO_DATA = 0x14
_FIFO_CONFIG_1 = 0x17
_FIFO_CONFIG_2 = 0x18
_PWR_CTRL = 0x1B
_OSR = 0x1C
_ODR = 0x1D
_CONFIG = 0x1F
_CALIB = 0x31  # 21 bytes of trimming coefficients
_CMD = 0x7E

_CMD_FIFO_FLUSH = 0xB0
_CMD_SOFTRESET = 0xB6
FIFO_BYTES = 512

_FRAME_PRESS_TEMP = 0x94  # header + 3 bytes temperature + 3 bytes pressure
_FRAME_PRESS = 0x84
_FRAME_TEMP = 0x90
_FRAME_TIME = 0xA0  # header + 3 bytes sensor time
_FRAME_CONFIG = 0x44  # header + 1 byte (a configuration change)
_FRAME_ERROR = 0x48
_FRAME_EMPTY = 0x80

ODR_SEL = 3  # 200 Hz / 2^3 = 25 Hz
RATE_HZ = 200 >> ODR_SEL
PERIOD_US = 5000 << ODR_SEL


class Barometer:
    name = "BMP390"

    def __init__(self, i2c, addr, clock, chip_id=0x60):
        self.i2c = i2c
        self.addr = addr
        self.clock = clock
        self.name = CHIP_IDS.get(chip_id, "BMP390")
        self.rate_hz = RATE_HZ
        self.period_us = PERIOD_US
        self.buf = bytearray(FIFO_BYTES)
        self.mv = memoryview(self.buf)
        self.values = array.array("I", bytes(4 * (FIFO_BYTES // 7 + 1)))
        self.two = bytearray(2)
        self.one = bytearray(1)
        self.t_lin = 25.0
        self._calibration()

    def _w(self, reg, value):
        self.one[0] = value
        self.i2c.writeto_mem(self.addr, reg, self.one)

    def _calibration(self):
        c = struct.unpack("<HHbhhbbHHbbhbb", self.i2c.readfrom_mem(self.addr, _CALIB, 21))
        self.t1 = c[0] * 256.0  # / 2^-8
        self.t2 = c[1] / 1073741824.0  # / 2^30
        self.t3 = c[2] / 281474976710656.0  # / 2^48
        self.p1 = (c[3] - 16384) / 1048576.0  # / 2^20
        self.p2 = (c[4] - 16384) / 536870912.0  # / 2^29
        self.p3 = c[5] / 4294967296.0  # / 2^32
        self.p4 = c[6] / 137438953472.0  # / 2^37
        self.p5 = c[7] * 8.0  # / 2^-3
        self.p6 = c[8] / 64.0
        self.p7 = c[9] / 256.0
        self.p8 = c[10] / 32768.0
        self.p9 = c[11] / 281474976710656.0
        self.p10 = c[12] / 281474976710656.0
        self.p11 = c[13] / 36893488147419103232.0  # / 2^65

    def setup(self):
        self._w(_CMD, _CMD_SOFTRESET)
        self.clock.sleep_ms(3)
        self._w(_OSR, 0x03)  # pressure x8, temperature x1: 0.016 Pa resolution, ~20 ms per sample
        self._w(_CONFIG, 0x04)  # IIR coefficient 3: breathing stays, jitter goes
        self._w(_ODR, ODR_SEL)
        self._w(_FIFO_CONFIG_2, 0x08)  # FIFO holds filtered data, no subsampling
        self._w(_FIFO_CONFIG_1, 0x19)  # FIFO on, pressure + temperature, overwrite the oldest when full
        self._w(_PWR_CTRL, 0x33)  # pressure + temperature, normal mode
        self.reset_fifo()
        self.i2c.readfrom_mem_into(self.addr, _INT_STATUS, self.one)  # clear a stale full flag

    def reset_fifo(self):
        self._w(_CMD, _CMD_FIFO_FLUSH)

    def available(self):
        # (bytes in the FIFO, whether it filled up and overwrote old frames)
        self.i2c.readfrom_mem_into(self.addr, _INT_STATUS, self.one)
        full = self.one[0] & 0x02
        self.i2c.readfrom_mem_into(self.addr, _FIFO_LENGTH, self.two)
        return self.two[0] | ((self.two[1] & 0x01) << 8), full

    def temperature_c(self, raw):
        d = raw - self.t1
        self.t_lin = d * self.t2 + d * d * self.t3
        return self.t_lin

    def pressure_pa(self, raw):
        # the datasheet's polynomial in Horner form: fewer boxed floats
        t = self.t_lin
        return (self.p5 + t * (self.p6 + t * (self.p7 + t * self.p8))
                + raw * (self.p1 + t * (self.p2 + t * (self.p3 + t * self.p4))
                         + raw * (self.p9 + self.p10 * t + raw * self.p11)))

    def drain(self, nbytes):
        # Read nbytes of FIFO (whole frames, as FIFO_LENGTH counts them) and
        # put the pressures (u32, 1/64 Pa) into self.values; returns how many.
        if nbytes > FIFO_BYTES:
            nbytes = FIFO_BYTES
        if nbytes <= 0:
            return 0
        self.i2c.readfrom_mem_into(self.addr, _FIFO_DATA, self.mv[:nbytes])  # one small view per drain
        b = self.buf
        vals = self.values
        i = 0
        n = 0
        while i < nbytes:
            h = b[i]
            if h == _FRAME_PRESS_TEMP and i + 7 <= nbytes:
                self.temperature_c(b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16))
                pa = self.pressure_pa(b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16))
                v = int(pa * 64 + 0.5)
                vals[n] = v if v > 0 else 0
                n += 1
                i += 7
            elif h == _FRAME_TEMP or h == _FRAME_TIME or h == _FRAME_PRESS:
                i += 4
            elif h == _FRAME_CONFIG or h == _FRAME_ERROR:
                i += 2
            else:  # an empty frame: nothing more
                break
        return n


def detect(i2c, clock):
    # The barometer on the bus, or None (it is optional).
    try:
        present = i2c.scan()
    except OSError:
        return None
    for addr in ADDRESSES:
        if addr not in present:
            continue
        try:
            chip = i2c.readfrom_mem(addr, _CHIP_ID, 1)[0]
        except OSError:
            continue
        if chip in CHIP_IDS:
            return Barometer(i2c, addr, clock, chip)
    return None
