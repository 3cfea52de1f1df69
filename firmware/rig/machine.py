# Stand-in for MicroPython's `machine` module on the off-device rig: I2C with
# the register-level IMU emulators behind it, Pin, ADC, PWM, WDT, reset
# causes. Put firmware/rig on MICROPYPATH (or sys.path) before the firmware.

import rigstate

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_EIO = 5


def reset_cause():
    return rigstate.reset_cause


def unique_id():
    return b"\x24\x6f\x28\xd0\x5e\x1a"


def freq(hz=None):
    return 160000000


def idle():
    return None


def soft_reset():
    raise SystemExit(0)


def reset():
    raise SystemExit(0)


class I2C:
    def __init__(self, id=0, scl=None, sda=None, freq=400000):
        rigstate.ensure()
        self.id = id
        self.freq = freq

    def _fault(self):
        if rigstate.i2c_fail > 0:
            rigstate.i2c_fail -= 1
            raise OSError(_EIO)

    def scan(self):
        self._fault()
        return sorted(rigstate.devices)

    def _dev(self, addr):
        d = rigstate.devices.get(addr)
        if d is None:
            raise OSError(19)  # ENODEV: no acknowledge
        return d

    def readfrom_mem_into(self, addr, reg, buf):
        self._fault()
        data = self._dev(addr).read(reg, len(buf))
        buf[:] = data

    def readfrom_mem(self, addr, reg, n):
        self._fault()
        return self._dev(addr).read(reg, n)

    def writeto_mem(self, addr, reg, buf):
        self._fault()
        self._dev(addr).write(reg, buf)


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.mode = mode
        self._out = 0
        if value is not None:
            self._out = value

    def value(self, v=None):
        if v is None:
            if self.mode == Pin.OUT:
                return self._out
            return rigstate.pins.get(self.id, 1)
        self._out = 1 if v else 0
        return None

    def on(self):
        self._out = 1

    def off(self):
        self._out = 0

    def irq(self, handler=None, trigger=0):
        return None


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin.id if isinstance(pin, Pin) else pin

    def read_u16(self):
        v = rigstate.adc_volts.get(self.pin, 0.0)
        n = int(v / 3.3 * 65535)
        return 65535 if n > 65535 else n

    def read_uv(self):
        return int(rigstate.adc_volts.get(self.pin, 0.0) * 1000000)


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin.id if isinstance(pin, Pin) else pin
        self._freq = freq
        self._duty = 0
        self.duty_u16(duty_u16)

    def freq(self, hz=None):
        if hz is None:
            return self._freq
        self._freq = hz

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        if d != self._duty:
            rigstate.pwm_log.append((rigstate.clock.elapsed_us() if rigstate.clock else 0, self.pin, d))
        self._duty = d

    def deinit(self):
        self.duty_u16(0)


class _Watchdog:
    # The one watchdog of the board; a feed later than the timeout means the
    # board would have reset (recorded in `expired`).
    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.expired = 0
        self.feeds = 0
        self._last_us = rigstate.clock.elapsed_us()

    def feed(self):
        now = rigstate.clock.elapsed_us()
        if now - self._last_us > self.timeout_ms * 1000:
            self.expired += 1
        self._last_us = now
        self.feeds += 1


class WDT:
    # Like the boards': cannot be stopped. A second WDT() sets the one
    # watchdog's timeout again (ESP32: the task watchdog is reconfigured;
    # RP2040: at most rigstate.wdt_max_ms, 8388).
    def __init__(self, id=0, timeout=5000):
        if rigstate.wdt_max_ms is not None and timeout > rigstate.wdt_max_ms:
            raise ValueError("timeout exceeds %d" % rigstate.wdt_max_ms)
        if rigstate.wdt is None:
            rigstate.wdt = _Watchdog(timeout)
        else:
            rigstate.wdt.feed()
            rigstate.wdt.timeout_ms = timeout
        self._w = rigstate.wdt

    def feed(self):
        self._w.feed()