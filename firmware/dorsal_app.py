# The wearable's application: drain the IMU FIFO, fuse, batch records into
# wire frames, keep a backlog, send to whoever listens (USB serial, BLE, or a
# list in tests), answer commands, and buzz on a long slouch when no host is
# there. Everything on the sample path reuses preallocated buffers; garbage
# is collected at a fixed point of the loop.

import gc
import struct

import dorsal_boards
import dorsal_config
import dorsal_fusion
import dorsal_imu
import dorsal_protocol as wire

try:
    import micropython
except ImportError:  # CPython

    class micropython:  # noqa: N801
        @staticmethod
        def viper(f):
            return f

    def ptr8(obj):
        return memoryview(obj).cast("B")


FIRMWARE_VERSION = (0, 2, 0)
DRAIN_MS = 50  # FIFO drain period: well inside the smallest FIFO (MPU-6500: 0.42 s at 100 Hz)
BATTERY_EVERY_MS = 60000
HEALTHY_AFTER_MS = 30000  # then a crash no longer counts as a "quick" one
REBOOT_DELAY_MS = 300  # after answering the reboot command (the answer has to leave first)

_REC = 22
_HDR = 14
PRESSURE_PER_FRAME = 10  # 0.4 s of barometer at 25 Hz per message


@micropython.viper
def _copy(dst, dst_at: int, src, src_at_n: int) -> int:
    # dst[dst_at : dst_at + n] = src[src_at : src_at + n] without allocating;
    # src_at_n = src_at << 16 | n (viper takes four arguments).
    d = ptr8(dst)
    s = ptr8(src)
    n = src_at_n & 0xFFFF
    a = src_at_n >> 16
    i = 0
    while i < n:
        d[dst_at + i] = s[a + i]
        i += 1
    return n


if not hasattr(micropython, "heap_lock"):  # CPython (the host's simulator): the same copy as one slice assignment

    def _copy(dst, dst_at, src, src_at_n):  # noqa: F811
        n = src_at_n & 0xFFFF
        a = src_at_n >> 16
        dst[dst_at : dst_at + n] = src[a : a + n]
        return n


class Backlog:
    # The last `capacity` records in a ring, contiguous in sequence numbers;
    # a gap (FIFO overflow) starts it afresh, so it never serves a false run.
    def __init__(self, capacity, buf=None):
        self.capacity = capacity
        self.buf = buf if buf is not None else bytearray(capacity * _REC)
        self.first = 0
        self.next = 0
        self.overruns = 0

    def restart(self, seq):
        self.first = seq
        self.next = seq

    def append(self, frame, count, seq):
        if seq != self.next:
            self.restart(seq)
        cap = self.capacity
        for i in range(count):
            _copy(self.buf, ((seq + i) % cap) * _REC, frame, ((_HDR + i * _REC) << 16) | _REC)
        self.next = seq + count
        if self.next - self.first > cap:
            self.first = self.next - cap
            self.overruns += 1

    def copy_out(self, seq, n, frame):
        for i in range(n):
            _copy(frame, _HDR + i * _REC, self.buf, ((((seq + i) % self.capacity) * _REC) << 16) | _REC)


def battery_percent(volts):
    # LiPo open-circuit curve (typical single cell), linear between points.
    pts = ((3.30, 0), (3.60, 5), (3.70, 20), (3.75, 35), (3.80, 50), (3.85, 60), (3.95, 75), (4.05, 90), (4.20, 100))
    if volts <= pts[0][0]:
        return 0
    for i in range(1, len(pts)):
        v1, p1 = pts[i]
        if volts <= v1:
            v0, p0 = pts[i - 1]
            return int(p0 + (p1 - p0) * (volts - v0) / (v1 - v0) + 0.5)
    return 100


class App:
    def __init__(self, machine, clock, board=None, config_path=dorsal_config.PATH, ble=None, mtu=247, backlog=None):
        self.machine = machine
        self.clock = clock
        self.config_path = config_path
        self.config, self.config_problem = dorsal_config.load(config_path)
        name = board or self.config.get("board") or dorsal_boards.DEFAULT_BOARD
        self.board = dorsal_boards.get(name)
        b = self.board
        # the backlog is the one big block: best taken before the app's modules
        # are imported, while the heap is still in one piece (dorsal_main does)
        if backlog is None:
            gc.collect()
            backlog = Backlog(b["backlog_samples"])
        self.backlog = backlog
        self.i2c = machine.I2C(b["i2c"]["id"], scl=machine.Pin(b["i2c"]["scl"]), sda=machine.Pin(b["i2c"]["sda"]),
                               freq=b["i2c"]["freq_hz"])
        self.imu = dorsal_imu.detect(self.i2c, clock)
        if self.imu is None:
            raise OSError("no supported IMU on the I2C bus (MPU-6050/6500, ICM-42688-P, LSM6DSOX)")
        self.baro = None  # optional: its driver is loaded only when one answers on the bus
        if _baro_on_bus(self.i2c):
            import dorsal_baro

            self.baro = dorsal_baro.detect(self.i2c, clock)
        if self.baro is not None:
            self.pframe = bytearray(_HDR + PRESSURE_PER_FRAME * 4)
            self.pframe_views = [memoryview(self.pframe)[: _HDR + k * 4] for k in range(PRESSURE_PER_FRAME + 1)]
            self.pseq = 0
            self.baro_gaps = 0
            self._start_baro()
        self.motor = machine.PWM(machine.Pin(b["motor"]), freq=200, duty_u16=0)
        self.adc = machine.ADC(machine.Pin(b["battery"]["pin"]))
        self.sinks = []  # callables taking one wire message (memoryview)
        self.events = []  # (t_ms, event id, value) not sent yet
        self.host_ms = None  # when a host last talked to us
        self.streaming = False
        self.fifo_overflows = 0
        self.samples_lost = 0
        self.i2c_errors = 0
        self.boot_ms = clock.ticks_ms()
        self.per_frame = wire.records_per_frame(mtu)
        self.frame = bytearray(_HDR + wire.MAX_RECORDS * _REC)
        self.frame_views = [memoryview(self.frame)[: _HDR + k * _REC] for k in range(self.per_frame + 1)]
        self.out = bytearray(_HDR + wire.MAX_RECORDS * _REC)
        self.out_views = [memoryview(self.out)[: _HDR + k * _REC] for k in range(self.per_frame + 1)]
        self.slouch_since_ms = None
        self.buzzed = False
        self.buzz_plan = []
        self.buzz_next_ms = 0
        self.reboot_at_ms = None
        self.last_battery_ms = None
        self.start_sampling(self.config.get("rate_hz", 100))
        self.ble = None
        if ble is not None:
            import dorsal_ble

            self.ble = dorsal_ble.Peripheral(ble, self, radio=b["radio"])

    # ------------------------------------------------------------ sampling
    def start_sampling(self, rate_hz):
        self.rate_hz = self.imu.setup(rate_hz, wire.MAX_RECORDS)
        self.period_us = self.imu.period_us
        self.fusion = dorsal_fusion.new_state(self.rate_hz)
        self.seq = getattr(self, "seq", 0)  # sequence number of the frame's first record
        self.count = 0
        self.mark_overflow = False
        self._retime()

    def _retime(self):
        # the next sample is due one period after now; frame times follow by counting
        self.t0_ms = self.clock.ticks_ms()
        self.t0_rem_us = self.period_us
        self.last_drain_ms = self.t0_ms

    def step(self):
        # Drain the FIFO once; returns the number of samples taken.
        try:
            avail, over = self.imu.available()
            if over:
                self._overflow()
                return 0
            got = 0
            while avail > 0:
                room = self.per_frame - self.count
                n = avail if avail < room else room
                at = (_HDR // 2) + self.count * 11
                k = self.imu.drain_into(self.frame, at, n)
                dorsal_fusion.fuse(self.fusion, self.frame, at, k)
                if self.mark_overflow and k:
                    st = _HDR + self.count * _REC + 20
                    self.frame[st] |= wire.ST_FIFO_OVERFLOW
                    self.mark_overflow = False
                self._apply_calibrated_bit(self.count, k)
                self.count += k
                got += k
                avail -= n
                if self.count >= self.per_frame:
                    self._finish_frame()
            self.last_drain_ms = self.clock.ticks_ms()
            if self.baro is not None:
                self._step_baro()
            return got
        except dorsal_imu.I2CFault as e:
            # a glitch on the bus: note it, set the chip up again, count the gap
            self.i2c_errors += 1
            self.events.append((self.clock.ticks_ms(), wire.EVT_I2C_ERROR, e.args[0] if e.args else 0))
            self._restart_after_gap()
            return 0

    # ------------------------------------------------------------ barometer
    def _start_baro(self):
        self.baro.setup()
        self.pcount = 0
        self.p_t0_ms = self.clock.ticks_ms()
        self.p_rem_us = self.baro.period_us  # the first sample is due one period after set-up

    def _step_baro(self):
        # Drain the barometer's FIFO into pressure messages (their own seq).
        b = self.baro
        try:
            nbytes, full = b.available()
            n = 0 if full else b.drain(nbytes)
        except OSError as e:
            full = True
            self.i2c_errors += 1
            self.events.append((self.clock.ticks_ms(), wire.EVT_I2C_ERROR, e.args[0] if e.args else 0))
        if full:
            self._baro_gap()
            return
        vals = b.values
        for i in range(n):
            struct.pack_into("<I", self.pframe, _HDR + 4 * self.pcount, vals[i])
            self.pcount += 1
            if self.pcount >= PRESSURE_PER_FRAME:
                self._finish_pressure()

    def _baro_gap(self):
        # the FIFO overwrote frames (or the bus failed): skip seq past the
        # samples that are gone, as for the IMU, and start again
        if self.pcount:
            self._finish_pressure()
        now = self.clock.ticks_ms()
        expected_ms = self.p_t0_ms + self.p_rem_us // 1000
        lost = self.clock.ticks_diff(now, expected_ms) * 1000 // self.baro.period_us + 1
        self.pseq += lost if lost > 0 else 0
        self.baro_gaps += 1
        try:
            self._start_baro()
        except OSError:
            self.i2c_errors += 1

    def _finish_pressure(self):
        n = self.pcount
        period = self.baro.period_us
        t0 = (self.p_t0_ms + (self.p_rem_us // 1000)) & 0xFFFFFFFF
        wire.pack_header_into(self.pframe, 0, wire.MSG_PRESSURE, self.pseq, t0, period, n, wire.PRESSURE_SIZE)
        self.send(self.pframe_views[n])
        self.pseq += n
        total = self.p_rem_us + n * period
        self.p_t0_ms = (self.p_t0_ms + total // 1000) & 0x3FFFFFFF
        self.p_rem_us = total % 1000
        self.pcount = 0

    def _apply_calibrated_bit(self, first, n):
        if self.config.get("neutral_q14") is None:
            return
        for i in range(first, first + n):
            self.frame[_HDR + i * _REC + 21] |= wire.ST_CALIBRATED >> 8
            self.frame[_HDR + i * _REC + 20] |= wire.ST_CALIBRATED & 0xFF

    def _overflow(self):
        self.fifo_overflows += 1
        self._restart_after_gap()

    def _restart_after_gap(self):
        # Samples between the last drained one and now are gone: advance seq by
        # their number so the host sees the gap, and start timing afresh.
        if self.count:
            self._finish_frame()
        now = self.clock.ticks_ms()
        expected_ms = self.t0_ms + self.t0_rem_us // 1000
        lost = self.clock.ticks_diff(now, expected_ms) * 1000 // self.period_us + 1
        if lost < 0:
            lost = 0
        self.samples_lost += lost
        self.seq += lost
        self.events.append((now, wire.EVT_FIFO_OVERFLOW, lost if lost < 32767 else 32767))
        try:
            self.imu.setup(self.rate_hz, wire.MAX_RECORDS)
        except dorsal_imu.I2CFault:
            self.i2c_errors += 1
        self._retime()
        self.mark_overflow = True

    def _finish_frame(self):
        n = self.count
        # the first record was due t0_rem_us after t0_ms (the chip's clock, by counting)
        t0 = (self.t0_ms + (self.t0_rem_us // 1000)) & 0xFFFFFFFF
        wire.pack_header_into(self.frame, 0, wire.MSG_DATA, self.seq, t0, self.period_us, n, _REC)
        msg = self.frame_views[n]
        self.backlog.append(self.frame, n, self.seq)
        self.last_q = struct.unpack_from("<hhhh", self.frame, _HDR + (n - 1) * _REC)
        self.send(msg)
        self.seq += n
        total = self.t0_rem_us + n * self.period_us
        self.t0_ms = (self.t0_ms + total // 1000) & 0x3FFFFFFF
        self.t0_rem_us = total % 1000
        self.count = 0

    def send(self, msg):
        for s in self.sinks:
            s(msg)
        if self.ble is not None:
            self.ble.send_data(msg)

    # ------------------------------------------------------------ backlog
    def backlog_range(self, first, last):
        # the part of [first, last) the ring still holds
        first = max(first, self.backlog.first)
        last = min(last, self.backlog.next)
        return first, max(first, last)

    def backlog_message(self, seq, last):
        # one MSG_DATA_BACKLOG frame from seq (at most up to last) -> (bytes, records)
        if seq < self.backlog.first:
            return None, 0  # overwritten meanwhile
        n = min(self.per_frame, last - seq, self.backlog.next - seq)
        if n <= 0:
            return None, 0
        self.backlog.copy_out(seq, n, self.out)
        # the time of a backlog record follows from the live frame timing
        back_us = (self.seq - seq) * self.period_us - self.t0_rem_us
        t0 = (self.t0_ms - back_us // 1000) & 0xFFFFFFFF
        wire.pack_header_into(self.out, 0, wire.MSG_DATA_BACKLOG, seq, t0, self.period_us, n, _REC)
        return bytes(self.out_views[n]), n

    # ------------------------------------------------------------ commands
    def info(self):
        caps = wire.CAP_BACKLOG | wire.CAP_BATTERY | wire.CAP_VIBRATION | wire.CAP_BUTTON | wire.CAP_DEVICE_ALERT
        if self.baro is not None:
            caps |= wire.CAP_BAROMETER
        return wire.encode_info(FIRMWARE_VERSION, caps, self.rate_hz, self.backlog.capacity, self.board["name"],
                                self.imu.name, self.name())

    def name(self):
        uid = self.machine.unique_id()
        return wire.NAME_PREFIX + "%02x%02x" % (uid[-2], uid[-1])

    def handle(self, msg, sink, backlog=None):
        # One command message -> its response (bytes). For the backlog command
        # the response and the frames go to sink (or, with `backlog`, the range
        # is handed to that transport to send at its own pace) and None returns.
        self.host_ms = self.clock.ticks_ms()
        try:
            cmd, tag, args = wire.decode_command(msg)
        except wire.ProtocolError as e:
            return wire.encode_response(getattr(e, "command", 0), getattr(e, "tag", 0),
                                        getattr(e, "status", wire.ERR_BAD_LENGTH))
        ok = wire.OK
        if cmd == wire.CMD_IDENTIFY:
            return wire.encode_response(cmd, tag, ok, self.info())
        if cmd == wire.CMD_START:
            self.streaming = True
            return wire.encode_response(cmd, tag, ok)
        if cmd == wire.CMD_STOP:
            self.streaming = False
            return wire.encode_response(cmd, tag, ok)
        if cmd == wire.CMD_SET_RATE:
            if not 10 <= args[0] <= 1000:
                return wire.encode_response(cmd, tag, wire.ERR_BAD_VALUE)
            if self.count:
                self._finish_frame()
            self.start_sampling(args[0])
            self.config["rate_hz"] = self.rate_hz
            dorsal_config.save(self.config, self.config_path)
            return wire.encode_response(cmd, tag, ok, struct.pack("<HH", self.rate_hz, self.period_us))
        if cmd == wire.CMD_CAPTURE_NEUTRAL:
            q = dorsal_fusion.quaternion(self.fusion)
            q14 = [wire.to_fixed(v, wire.QUAT_ONE) for v in q]
            self.config["neutral_q14"] = q14
            dorsal_config.save(self.config, self.config_path)
            return wire.encode_response(cmd, tag, ok, struct.pack("<hhhh", q14[0], q14[1], q14[2], q14[3]))
        if cmd == wire.CMD_BUZZ:
            self.buzz(args[0], args[1])
            return wire.encode_response(cmd, tag, ok)
        if cmd == wire.CMD_SET_ALERT:
            if not 0 <= args[0] <= 900:
                return wire.encode_response(cmd, tag, wire.ERR_BAD_VALUE)
            self.config["alert_deg10"] = args[0]
            self.config["alert_delay_s"] = args[1]
            self.config["alert_enabled"] = 1 if args[2] else 0
            dorsal_config.save(self.config, self.config_path)
            return wire.encode_response(cmd, tag, ok)
        if cmd == wire.CMD_BACKLOG:
            last = self.seq if args[1] == wire.BACKLOG_TO_NOW else args[1]
            first, last = self.backlog_range(args[0], last)
            sink(wire.encode_response(cmd, tag, ok, struct.pack("<III", self.backlog.first, first, last - first)))
            if backlog is not None:
                backlog(first, last)
                return None
            seq = first
            while seq < last:
                m, n = self.backlog_message(seq, last)
                if m is None:
                    break
                sink(m)
                seq += n
            return None
        if cmd == wire.CMD_SET_TIME:
            return wire.encode_response(cmd, tag, ok, struct.pack("<I", self.clock.ticks_ms() & 0xFFFFFFFF))
        if cmd == wire.CMD_STATUS:
            flags = (wire.STAT_STREAMING if self.streaming else 0) | wire.STAT_HOST
            if self.config.get("neutral_q14") is not None:
                flags |= wire.STAT_CALIBRATED
            up = self.clock.ticks_diff(self.clock.ticks_ms(), self.boot_ms) & 0xFFFFFFFF
            return wire.encode_response(cmd, tag, ok, struct.pack(wire.STATUS_FORMAT, self.seq & 0xFFFFFFFF,
                                                                  self.backlog.first & 0xFFFFFFFF, up, self.rate_hz,
                                                                  self.battery()[1], flags))
        if cmd == wire.CMD_REBOOT:
            if args[0] == 1:
                with open("dorsal_safe_mode", "w") as f:
                    f.write("requested by the host\n")
            # the response goes out first; the main loop resets a little later
            self.reboot_at_ms = self.clock.ticks_add(self.clock.ticks_ms(), REBOOT_DELAY_MS)
            return wire.encode_response(cmd, tag, ok)
        return wire.encode_response(cmd, tag, wire.ERR_UNKNOWN_COMMAND)

    # ------------------------------------------------------------ body
    def buzz(self, pattern, repeat):
        # Starts a vibration pattern; the main loop plays it (_buzz_tick), so
        # sampling goes on meanwhile (a blocking 3.5 s pattern would overflow
        # every supported IMU's FIFO).
        pulses = {wire.BUZZ_SHORT: (150,), wire.BUZZ_DOUBLE: (120, 120), wire.BUZZ_LONG: (600,)}.get(pattern, (150,))
        plan = []
        for _ in range(max(1, min(repeat, 5))):
            for ms in pulses:
                plan.append((40000, ms))
                plan.append((0, 100))
        self.buzz_plan = plan
        self.buzz_next_ms = self.clock.ticks_ms()
        self._buzz_tick()

    def _buzz_tick(self):
        # the next edges of the pattern that are due; returns ms to the next one (or None)
        if not self.buzz_plan:
            return None
        now = self.clock.ticks_ms()
        while self.buzz_plan and self.clock.ticks_diff(now, self.buzz_next_ms) >= 0:
            duty, ms = self.buzz_plan.pop(0)
            self.motor.duty_u16(duty)
            self.buzz_next_ms = self.clock.ticks_add(self.buzz_next_ms, ms)
        if not self.buzz_plan:
            return None
        return self.clock.ticks_diff(self.buzz_next_ms, now)

    def host_present(self):
        if self.ble is not None and self.ble.connected():
            return True
        if self.host_ms is None:
            return False
        return self.clock.ticks_diff(self.clock.ticks_ms(), self.host_ms) < 5000

    def check_slouch(self):
        # Device-side alert, used when no host listens: the change of the
        # vertical from the captured neutral, any direction (the device does
        # not know the body's axes), past the threshold for the delay.
        nq = self.config.get("neutral_q14")
        if nq is None or not self.config.get("alert_enabled") or not hasattr(self, "last_q"):
            self.slouch_since_ms = None
            return False
        if self.host_present():
            self.slouch_since_ms = None
            self.buzzed = False
            return False
        cos_now = _up_cos_q28(self.last_q, nq)
        deg10 = self.config.get("alert_deg10", 250)
        past = cos_now < _cos_q28(deg10)
        now = self.clock.ticks_ms()
        if not past:
            self.slouch_since_ms = None
            self.buzzed = False
            return False
        if self.slouch_since_ms is None:
            self.slouch_since_ms = now
        held_ms = self.clock.ticks_diff(now, self.slouch_since_ms)
        if not self.buzzed and held_ms >= self.config.get("alert_delay_s", 60) * 1000:
            self.buzzed = True
            self.events.append((now, wire.EVT_SLOUCH_BUZZ, deg10))
            self.buzz(wire.BUZZ_DOUBLE, 1)
            return True
        return False

    def battery(self):
        b = self.board["battery"]
        volts = self.adc.read_u16() * 3.3 / 65535 * b["divider"]
        return int(volts * 1000), battery_percent(volts)

    def flush_events(self):
        while self.events:
            t, e, v = self.events.pop(0)
            self.send(wire.encode_event(t & 0xFFFFFFFF, e, v))

    def housekeeping(self):
        # once per loop: the fixed point where garbage is collected
        self.check_slouch()
        now = self.clock.ticks_ms()
        if self.last_battery_ms is None or self.clock.ticks_diff(now, self.last_battery_ms) >= BATTERY_EVERY_MS:
            self.last_battery_ms = now
            mv, pct = self.battery()
            self.send(wire.encode_battery(now & 0xFFFFFFFF, mv, pct))
            if self.ble is not None:
                self.ble.battery(pct)
        self.flush_events()
        gc.collect()

    def sampler_alive(self):
        return self.clock.ticks_diff(self.clock.ticks_ms(), self.last_drain_ms) < 2000

    def run(self, duration_ms=None, links=(), wdt=None):
        # The main loop: drain every DRAIN_MS, poll the links, feed the
        # watchdog only while the sampler is alive.
        start = self.clock.ticks_ms()
        loops = 0
        while duration_ms is None or self.clock.ticks_diff(self.clock.ticks_ms(), start) < duration_ms:
            t = self.clock.ticks_ms()
            self.step()
            for link in links:
                link.poll()
            if self.ble is not None:
                self.ble.poll()
            loops += 1
            if loops % 4 == 0:
                self.housekeeping()
            if wdt is not None and self.sampler_alive():
                wdt.feed()
            if self.reboot_at_ms is not None and self.clock.ticks_diff(self.clock.ticks_ms(), self.reboot_at_ms) >= 0:
                self.machine.reset()  # into safe mode when the host asked for it (flag file)
            edge = self._buzz_tick()
            spent = self.clock.ticks_diff(self.clock.ticks_ms(), t)
            wait = DRAIN_MS - spent
            if edge is not None and edge < wait:
                wait = edge  # the motor's next edge comes first
            if wait > 0:
                self.clock.sleep_ms(wait)


def _baro_on_bus(i2c):
    try:
        found = i2c.scan()
    except OSError:
        return False
    return 0x76 in found or 0x77 in found


_COS = {}


def _cos_q28(deg10):
    # cos(threshold) in Q28, computed once per threshold
    c = _COS.get(deg10)
    if c is None:
        import math

        c = int(math.cos(deg10 * math.pi / 1800) * (1 << 28))
        _COS[deg10] = c
    return c


def _up_cos_q28(q, n):
    # cosine between the vertical seen by orientation q and by neutral n (Q14
    # quaternions) in the sensor frame, Q28, integers only
    ux = 2 * (q[1] * q[3] - q[0] * q[2])
    uy = 2 * (q[2] * q[3] + q[0] * q[1])
    uz = (1 << 28) - 2 * (q[1] * q[1] + q[2] * q[2])
    vx = 2 * (n[1] * n[3] - n[0] * n[2])
    vy = 2 * (n[2] * n[3] + n[0] * n[1])
    vz = (1 << 28) - 2 * (n[1] * n[1] + n[2] * n[2])
    return ((ux >> 14) * (vx >> 14) + (uy >> 14) * (vy >> 14) + (uz >> 14) * (vz >> 14))
