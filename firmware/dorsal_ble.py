# BLE peripheral: the protocol's GATT service plus the Battery Service.
#
# The BLE object is injected (bluetooth.BLE() on a board; a stand-in in
# tests), and only MicroPython's documented `bluetooth` API is used. Data
# frames go out as notifications, cut into the protocol's segments for the
# negotiated MTU, at a throttled pace: a token bucket of NOTIFY_PER_S, a
# backoff when the stack refuses (NimBLE raises ENOMEM/EAGAIN when the link
# cannot keep up), and on btstack (Pico W), which queues silently on the heap
# until MemoryError, a stricter self-imposed cap. What cannot be sent waits
# in a short queue; older frames are dropped from it (counted) because the
# host fills any gap from the backlog.

import struct

import dorsal_protocol as wire

try:
    import bluetooth

    _UUID = bluetooth.UUID
except ImportError:  # the BLE object brings its module's UUID
    bluetooth = None
    _UUID = None

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_MTU_EXCHANGED = 21

_FLAG_READ = 0x0002
_FLAG_WRITE = 0x0008
_FLAG_NOTIFY = 0x0010

_ENOMEM = 12
_EAGAIN = 11

NOTIFY_PER_S = {"nimble": 20, "btstack": 12}
QUEUE_FRAMES = 8
ADV_INTERVAL_US = 100000
BACKOFF_MIN_MS = 50
BACKOFF_MAX_MS = 1000


def _uuid128_le(text):
    # "6f9d0001-..." -> 16 bytes, little-endian as in advertising data
    h = text.replace("-", "")
    b = bytes(int(h[i : i + 2], 16) for i in range(0, 32, 2))
    return bytes(reversed(b))


def advertising_payload():
    # flags (LE general discoverable, no BR/EDR) + complete list of 128-bit UUIDs: 21 of 31 bytes
    return b"\x02\x01\x06" + bytes((17, 0x07)) + _uuid128_le(wire.SERVICE_UUID)


def scan_response_payload(name):
    n = name if isinstance(name, bytes) else name.encode()
    return bytes((len(n) + 1, 0x09)) + n


class Peripheral:
    def __init__(self, ble, app, radio="nimble", uuid=None):
        self.ble = ble
        self.app = app
        self.clock = app.clock
        self.radio = radio
        U = uuid or _UUID or type(ble).UUID
        ble.active(True)
        try:
            ble.config(mtu=247)
        except (OSError, ValueError):
            pass
        mac = ble.config("mac")[1]
        self.name = wire.NAME_PREFIX + "%02x%02x" % (mac[-2], mac[-1])
        try:
            ble.config(gap_name=self.name)
        except (OSError, ValueError):
            pass
        ble.irq(self._irq)
        dorsal = (
            U(wire.SERVICE_UUID),
            (
                (U(wire.DATA_CHAR_UUID), _FLAG_NOTIFY),
                (U(wire.CONTROL_CHAR_UUID), _FLAG_WRITE),
                (U(wire.RESPONSE_CHAR_UUID), _FLAG_READ | _FLAG_NOTIFY),
                (U(wire.INFO_CHAR_UUID), _FLAG_READ),
            ),
        )
        battery = (U(wire.BATTERY_SERVICE_UUID16), ((U(wire.BATTERY_LEVEL_UUID16), _FLAG_READ | _FLAG_NOTIFY),))
        ((self.h_data, self.h_control, self.h_response, self.h_info), (self.h_battery,)) = \
            ble.gatts_register_services((dorsal, battery))
        ble.gatts_set_buffer(self.h_control, 64)
        ble.gatts_set_buffer(self.h_response, 256)
        ble.gatts_set_buffer(self.h_info, 128)
        ble.gatts_write(self.h_info, app.info())
        self.conn = None
        self.mtu = 23
        self.streaming = False
        self.queue = []  # segments waiting to be notified, oldest first
        self.queue_frames = 0
        self.inbox = []  # commands written by the host, handled in poll()
        self.backlog_next = 0
        self.backlog_last = 0
        self.tokens = 0.0
        self.last_ms = self.clock.ticks_ms()
        self.hold_until_ms = None
        self.backoff_ms = BACKOFF_MIN_MS
        self.sent = 0
        self.refused = 0
        self.dropped_frames = 0
        self.advertise()

    def advertise(self):
        self.ble.gap_advertise(ADV_INTERVAL_US, adv_data=advertising_payload(),
                               resp_data=scan_response_payload(self.name))

    def connected(self):
        return self.conn is not None

    # ---------------------------------------------------------------- events
    def _irq(self, event, data):
        # Runs in the stack's callback context: record, do the work in poll().
        if event == _IRQ_CENTRAL_CONNECT:
            self.conn = data[0]
            self.mtu = 23
            self.streaming = False
            self.queue = []
            self.queue_frames = 0
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self.conn = None
            self.streaming = False
            self.queue = []
            self.queue_frames = 0
            self.backlog_next = self.backlog_last = 0
            self.advertise()
        elif event == _IRQ_GATTS_WRITE:
            if data[1] == self.h_control:
                self.inbox.append(bytes(self.ble.gatts_read(self.h_control)))
        elif event == _IRQ_MTU_EXCHANGED:
            self.mtu = data[1]

    # ---------------------------------------------------------------- sending
    def send_data(self, msg):
        # A live frame from the app: queue it if a host is streaming.
        if self.conn is None or not self.streaming:
            return
        if self.queue_frames >= QUEUE_FRAMES:
            self._drop_oldest_frame()
        self._enqueue(bytes(msg))

    def _enqueue(self, msg):
        for seg in wire.segments(msg, self.mtu):
            self.queue.append(seg)
        self.queue_frames += 1

    def _drop_oldest_frame(self):
        # drop segments up to and including the first final one
        while self.queue:
            seg = self.queue.pop(0)
            if seg[0] & wire.SEGMENT_FINAL:
                break
        self.queue_frames -= 1
        self.dropped_frames += 1

    def _respond(self, msg):
        # responses: on the response characteristic (readable too)
        if self.conn is None:
            return
        self.ble.gatts_write(self.h_response, msg)
        try:
            self.ble.gatts_notify(self.conn, self.h_response, msg)
        except (OSError, MemoryError):
            self.refused += 1

    def _backlog(self, first, last):
        self.backlog_next = first
        self.backlog_last = last

    def poll(self):
        while self.inbox:
            msg = self.inbox.pop(0)
            resp = self.app.handle(msg, self._respond, self._backlog)
            if len(msg) > 2 and msg[2] == wire.CMD_START:
                self.streaming = True
            elif len(msg) > 2 and msg[2] == wire.CMD_STOP:
                self.streaming = False
            if resp is not None:
                self._respond(resp)
        if self.conn is None:
            return
        now = self.clock.ticks_ms()
        rate = NOTIFY_PER_S.get(self.radio, 20)
        self.tokens += self.clock.ticks_diff(now, self.last_ms) * rate / 1000.0
        if self.tokens > rate / 5.0:
            self.tokens = rate / 5.0  # bursts of at most 200 ms worth
        self.last_ms = now
        if self.hold_until_ms is not None:
            if self.clock.ticks_diff(now, self.hold_until_ms) < 0:
                return
            self.hold_until_ms = None
        # backlog frames go out when the live queue is empty
        if not self.queue and self.backlog_next < self.backlog_last:
            m, n = self.app.backlog_message(self.backlog_next, self.backlog_last)
            if m is None:
                self.backlog_next = self.backlog_last
            else:
                self._enqueue(m)
                self.backlog_next += n
        while self.queue and self.tokens >= 1.0:
            seg = self.queue[0]
            try:
                self.ble.gatts_notify(self.conn, self.h_data, seg)
            except OSError as e:
                code = e.args[0] if e.args else 0
                if code in (_ENOMEM, _EAGAIN):
                    # the stack is full: wait, longer each time it happens again
                    self.refused += 1
                    self.hold_until_ms = self.clock.ticks_add(now, self.backoff_ms)
                    self.backoff_ms = min(BACKOFF_MAX_MS, self.backoff_ms * 2)
                    return
                raise
            except MemoryError:
                self.refused += 1
                self.hold_until_ms = self.clock.ticks_add(now, BACKOFF_MAX_MS)
                return
            self.queue.pop(0)
            if seg[0] & wire.SEGMENT_FINAL:
                self.queue_frames -= 1
            self.tokens -= 1.0
            self.sent += 1
            self.backoff_ms = BACKOFF_MIN_MS

    def battery(self, percent):
        self.ble.gatts_write(self.h_battery, struct.pack("<B", percent))
        if self.conn is not None:
            try:
                self.ble.gatts_notify(self.conn, self.h_battery)
            except (OSError, MemoryError):
                self.refused += 1
