# The virtual wearable's heart: the firmware app on the rig, fed by the
# body-motion simulator chunk by chunk. The simulator hands over rows of
# physical samples (the IMU's specific force and angular rate, and the
# pressure); the register-level emulators turn them into chip registers and
# FIFO bytes; the firmware's own app drains, fuses and frames them on virtual
# time. The same code runs in-process under CPython (the simulator's
# "cpython" engine) and inside the MicroPython unix port (sim_app.py, the
# "micropython" engine), so both give the same messages.
#
# The app is driven as its main loop drives it on a board (a drain every
# DRAIN_MS, housekeeping every fourth loop), except that the clock only moves
# on while the next drain's samples have been handed over.

import rigclock
import rigstate

import dorsal_app
import machine


class ChunkSource:
    # IMU samples handed over by the simulator: rows (ax, ay, az, gx, gy, gz)
    # in m/s^2 and rad/s, plus the pressure in Pa when there is a barometer.
    def __init__(self):
        self.rows = []
        self.pressures = []
        self.i = 0
        self.taken = 0  # samples the chip has produced so far
        self.pressure_hist = []

    def add(self, rows, pressures=None):
        if self.i:
            self.rows = self.rows[self.i:]
            self.pressures = self.pressures[self.i:]
            self.i = 0
        self.rows.extend(rows)
        if pressures is not None:
            self.pressures.extend(pressures)

    def available(self):
        return len(self.rows) - self.i

    def next(self):
        i = self.i
        if i >= len(self.rows):
            raise IndexError("the chip ran ahead of the simulated samples")
        r = self.rows[i]
        if self.pressures:
            h = self.pressure_hist
            h.append(self.pressures[i])
            if len(h) > 64:
                del h[:32]
        self.i = i + 1
        self.taken += 1
        return r


class Drive:
    def __init__(self, chip, rate_hz, board, baro, config_path, start_us=0, gc_module=None):
        self.clock = rigclock.VirtualClock(start_us)
        self.source = ChunkSource()
        rigstate.setup(chip, self.source, self.clock, baro=baro)
        self.chip = rigstate.imu()
        with open(config_path, "w") as f:
            f.write('{"schema": 1, "rate_hz": %d, "board": "%s"}' % (rate_hz, board))
        if gc_module is not None:
            dorsal_app.gc = gc_module
        self.app = dorsal_app.App(machine, self.clock, board=board, config_path=config_path)
        self.out = []
        self.app.sinks.append(self._sink)
        self.loops = 0

    def _sink(self, msg):
        # (device ms when it left, message)
        self.out.append((self.clock.ticks_ms(), bytes(msg)))

    def first_sample_ms(self):
        a = self.app
        return a.t0_ms + a.t0_rem_us // 1000

    def period_us(self):
        return self.app.period_us

    def _due(self, elapsed_us):
        # samples the chip will have produced by elapsed_us
        self.chip._catch_up()
        t = self.chip._t_us
        p = self.chip._p
        if t is None or elapsed_us < t:
            return self.source.taken
        return self.source.taken + (elapsed_us - t) // p + 1

    def _loop(self):
        self.app.step()
        self.loops += 1
        if self.loops % 4 == 0:
            self.app.housekeeping()

    def advance(self):
        # run drains while the samples they need are there; returns the messages sent
        step_us = dorsal_app.DRAIN_MS * 1000
        limit = self.source.taken + self.source.available()
        while self._due(self.clock.elapsed_us() + step_us) <= limit:
            self.clock.sleep_us(step_us)
            self._loop()
        out = self.out
        self.out = []
        return out

    def finish(self):
        # the last samples: drain at the moment the last one is in, then send
        # what is pending (a partial frame, events)
        out = self.advance()
        if self.source.available():
            t = self.chip._t_us + (self.source.available() - 1) * self.chip._p
            self.clock.sleep_us(t - self.clock.elapsed_us())
            self._loop()
        a = self.app
        if a.count:
            a._finish_frame()
        if a.baro is not None and a.pcount:
            a._finish_pressure()
        a.flush_events()
        out.extend(self.out)
        self.out = []
        return out



def make(chip, rate_hz, board, baro, config_path, first_sample_ms, gc_module=None):
    # A Drive whose first sample carries the device time first_sample_ms (a
    # board that has been up a while): a probe run finds how long start-up takes.
    probe = Drive(chip, rate_hz, board, baro, config_path, 0, gc_module)
    start_us = (first_sample_ms - probe.first_sample_ms()) * 1000
    if start_us < 0:
        start_us = 0
    return Drive(chip, rate_hz, board, baro, config_path, start_us, gc_module)
