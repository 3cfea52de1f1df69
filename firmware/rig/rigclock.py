# Clocks for the off-device rig. The app takes its clock as an argument
# (default: the `time` module), so the rig can run it on virtual time: a
# sleep advances the clock at once, and the IMU emulator produces exactly the
# samples that elapsed. Runs under MicroPython and CPython.

try:
    import time as _time

    _ticks_us = _time.ticks_us
    _ticks_ms = _time.ticks_ms
except AttributeError:  # CPython
    import time as _time

    def _ticks_us():
        return int(_time.perf_counter() * 1e6)

    def _ticks_ms():
        return int(_time.perf_counter() * 1e3)


# Boards wrap ticks at 2**30; the rig does the same so wraparound is tested.
TICKS_PERIOD = 1 << 30
_HALF = TICKS_PERIOD // 2


def ticks_diff(a, b):
    return ((a - b + _HALF) & (TICKS_PERIOD - 1)) - _HALF


def ticks_add(a, delta):
    return (a + delta) & (TICKS_PERIOD - 1)


class VirtualClock:
    # Microseconds since an arbitrary start; `start_us` lets a test begin
    # just before the 2**30 wrap.
    def __init__(self, start_us=0):
        self.now_us = start_us
        self.start_us = start_us

    def ticks_us(self):
        return self.now_us & (TICKS_PERIOD - 1)

    def ticks_ms(self):
        return (self.now_us // 1000) & (TICKS_PERIOD - 1)

    def ticks_diff(self, a, b):
        return ticks_diff(a, b)

    def ticks_add(self, a, delta):
        return ticks_add(a, delta)

    def sleep_ms(self, ms):
        self.now_us += int(ms) * 1000

    def sleep_us(self, us):
        self.now_us += int(us)

    def elapsed_us(self):
        return self.now_us - self.start_us


class RealClock:
    # The host's monotonic clock with board-style wrapping ticks.
    def __init__(self):
        self._t0 = _ticks_us()

    def elapsed_us(self):
        return _ticks_us() - self._t0

    def ticks_us(self):
        return self.elapsed_us() & (TICKS_PERIOD - 1)

    def ticks_ms(self):
        return (self.elapsed_us() // 1000) & (TICKS_PERIOD - 1)

    def ticks_diff(self, a, b):
        return ticks_diff(a, b)

    def ticks_add(self, a, delta):
        return ticks_add(a, delta)

    def sleep_ms(self, ms):
        _time.sleep(ms / 1000)

    def sleep_us(self, us):
        _time.sleep(us / 1e6)
