# dorsal wire protocol: the single source of truth for the format.
#
# This one file runs unchanged on MicroPython (the firmware) and on CPython
# (the host). protocol/SPEC.md describes the same bytes in tables; the golden
# vectors in protocol/golden.json pin them. Rules for this file:
# - MicroPython subset only: no typing, dataclasses, enum, f-strings, bytes.hex,
#   int.from_bytes(signed=...); struct formats without spaces.
# - Public constants are plain `NAME = const(n)` (private `_NAME` ones are
#   removed from the module namespace by MicroPython's compiler).
# - Nothing here allocates per sample when the firmware uses the *_into
#   functions with its own preallocated buffers.

import struct

try:
    from micropython import const
except ImportError:  # CPython

    def const(value):
        return value


try:
    from binascii import crc32 as _crc32
except ImportError:  # a port built without binascii.crc32
    _crc32 = None

PROTOCOL_VERSION = const(1)
# Oldest protocol version this module can still decode (see SPEC.md, "Versioning").
PROTOCOL_VERSION_MIN = const(1)

# ---------------------------------------------------------------- GATT layout
SERVICE_UUID = "6f9d0001-3c1b-4b8e-9d6a-5e2f1a7c4d30"
DATA_CHAR_UUID = "6f9d0002-3c1b-4b8e-9d6a-5e2f1a7c4d30"  # notify: data messages
CONTROL_CHAR_UUID = "6f9d0003-3c1b-4b8e-9d6a-5e2f1a7c4d30"  # write with response: commands
RESPONSE_CHAR_UUID = "6f9d0004-3c1b-4b8e-9d6a-5e2f1a7c4d30"  # notify + read: responses
INFO_CHAR_UUID = "6f9d0005-3c1b-4b8e-9d6a-5e2f1a7c4d30"  # read: device info payload
BATTERY_SERVICE_UUID16 = const(0x180F)
BATTERY_LEVEL_UUID16 = const(0x2A19)
NAME_PREFIX = "dorsal-"

# ---------------------------------------------------------------- message types
MSG_DATA = const(0x01)  # live samples
MSG_DATA_BACKLOG = const(0x02)  # samples re-sent from the device's ring buffer
MSG_PRESSURE = const(0x03)  # barometer channel
MSG_BATTERY = const(0x04)
MSG_EVENT = const(0x05)  # something the device decided or noticed
MSG_COMMAND = const(0x10)  # host -> device
MSG_RESPONSE = const(0x11)  # device -> host

# ---------------------------------------------------------------- sample channels
# Header shared by every sample channel (data, backlog, pressure):
# version, type, seq (index of the first sample, counts samples), t0_ms (device
# clock of the first sample, wraps at 2**32), period_us, count, record_size.
HEADER_FORMAT = "<BBIIHBB"
HEADER_SIZE = const(14)

# One sample record: (name, struct code, unit of one LSB). The host builds its
# numpy dtype from this table; nothing else describes the layout.
RECORD_FIELDS = (
    ("qw", "h", "1/16384"),  # orientation, sensor to Earth (z up), Q14
    ("qx", "h", "1/16384"),
    ("qy", "h", "1/16384"),
    ("qz", "h", "1/16384"),
    ("ax", "h", "mg"),  # specific force, sensor frame, 1 mg per LSB
    ("ay", "h", "mg"),
    ("az", "h", "mg"),
    ("gx", "h", "dps/16"),  # angular rate, sensor frame, 1/16 deg/s per LSB
    ("gy", "h", "dps/16"),
    ("gz", "h", "dps/16"),
    ("status", "H", "flags"),
)
RECORD_FORMAT = "<hhhhhhhhhhH"
RECORD_SIZE = const(22)
QUAT_ONE = const(16384)
ACC_LSB_PER_G = const(1000)
GYRO_LSB_PER_DPS = const(16)
STANDARD_GRAVITY_MPS2 = 9.80665

PRESSURE_FORMAT = "<I"  # 1/64 Pa per LSB (the BMP390's finest step is 0.016 Pa)
PRESSURE_SIZE = const(4)
PRESSURE_LSB_PER_PA = const(64)

# Record status bits.
ST_FIFO_OVERFLOW = const(0x0001)  # the IMU FIFO overflowed just before this sample
ST_FUSION_SETTLING = const(0x0002)  # orientation not converged yet
ST_GYRO_BIAS_VALID = const(0x0004)  # a rest-based gyro bias estimate is applied
ST_ACC_REJECTED = const(0x0008)  # accelerometer ignored by fusion (walking, impact)
ST_AT_REST = const(0x0010)
ST_ACC_SATURATED = const(0x0020)
ST_GYRO_SATURATED = const(0x0040)
ST_CALIBRATED = const(0x0080)  # the device holds a neutral posture

MAX_RECORDS = const(32)  # cap per frame so one lost frame never costs much
SEGMENT_FINAL = const(0x80)
ATT_OVERHEAD = const(3)

# ---------------------------------------------------------------- other messages
BATTERY_FORMAT = "<BBIHBB"  # version, type, t_ms, voltage_mv, percent, flags
BATTERY_SIZE = const(10)
BAT_CHARGING = const(0x01)
BAT_USB_POWER = const(0x02)

EVENT_FORMAT = "<BBIBh"  # version, type, t_ms, event id, value
EVENT_SIZE = const(9)
EVT_BOOT = const(1)  # value: reset cause
EVT_SLOUCH_BUZZ = const(2)  # value: flexion in 0.1 deg that triggered the buzz
EVT_BUTTON = const(3)  # value: press duration in 0.1 s
EVT_FIFO_OVERFLOW = const(4)  # value: samples lost (estimate)
EVT_BACKLOG_OVERRUN = const(5)  # value: 0
EVT_SAFE_MODE = const(6)  # value: reason
EVT_I2C_ERROR = const(7)  # value: errno

# ---------------------------------------------------------------- commands
COMMAND_FORMAT = "<BBBB"  # version, MSG_COMMAND, command, tag; then the payload
COMMAND_SIZE = const(4)
RESPONSE_FORMAT = "<BBBBB"  # version, MSG_RESPONSE, command, tag, status; then payload
RESPONSE_SIZE = const(5)

CMD_IDENTIFY = const(0x01)  # -> device info payload
CMD_START = const(0x02)
CMD_STOP = const(0x03)
CMD_SET_RATE = const(0x04)  # <H rate_hz -> <HH rate_hz, period_us
CMD_CAPTURE_NEUTRAL = const(0x05)  # -> <hhhh neutral quaternion (Q14)
CMD_BUZZ = const(0x06)  # <BB pattern, repeat
CMD_SET_ALERT = const(0x07)  # <hHB threshold (0.1 deg), delay_s, enabled
CMD_BACKLOG = const(0x08)  # <II from_seq, to_seq -> <III first_available, from, count
CMD_SET_TIME = const(0x09)  # <IH unix_s, ms -> <I device t_ms at that moment
CMD_REBOOT = const(0x0A)  # <B mode (0 normal, 1 safe mode)
CMD_STATUS = const(0x0B)  # -> STATUS_FORMAT

COMMAND_PAYLOADS = {
    CMD_IDENTIFY: "",
    CMD_START: "",
    CMD_STOP: "",
    CMD_SET_RATE: "<H",
    CMD_CAPTURE_NEUTRAL: "",
    CMD_BUZZ: "<BB",
    CMD_SET_ALERT: "<hHB",
    CMD_BACKLOG: "<II",
    CMD_SET_TIME: "<IH",
    CMD_REBOOT: "<B",
    CMD_STATUS: "",
}
BACKLOG_TO_NOW = const(0xFFFFFFFF)
STATUS_FORMAT = "<IIIHBB"  # next_seq, backlog_first_seq, uptime_ms, rate_hz, battery %, flags
STAT_STREAMING = const(0x01)
STAT_HOST = const(0x02)
STAT_SAFE_MODE = const(0x04)
STAT_CALIBRATED = const(0x08)

OK = const(0)
ERR_UNKNOWN_COMMAND = const(1)
ERR_BAD_LENGTH = const(2)
ERR_BAD_VALUE = const(3)
ERR_BUSY = const(4)
ERR_UNAVAILABLE = const(5)
ERR_VERSION = const(6)
ERR_INTERNAL = const(7)
ERROR_NAMES = {
    OK: "ok",
    ERR_UNKNOWN_COMMAND: "unknown command",
    ERR_BAD_LENGTH: "bad payload length",
    ERR_BAD_VALUE: "value out of range",
    ERR_BUSY: "busy",
    ERR_UNAVAILABLE: "not available",
    ERR_VERSION: "unsupported protocol version",
    ERR_INTERNAL: "internal error",
}

BUZZ_SHORT = const(0)
BUZZ_DOUBLE = const(1)
BUZZ_LONG = const(2)

# Device info (IDENTIFY response and the INFO characteristic):
# protocol version, firmware major/minor/patch, capabilities, rate_hz,
# backlog capacity (samples), record size; then board, imu and name as
# length-prefixed UTF-8 strings.
INFO_FORMAT = "<BBBBHHIB"
INFO_SIZE = const(13)
CAP_BAROMETER = const(0x0001)
CAP_VIBRATION = const(0x0002)
CAP_BATTERY = const(0x0004)
CAP_BACKLOG = const(0x0008)
CAP_BUTTON = const(0x0010)
CAP_DEVICE_ALERT = const(0x0020)

# ---------------------------------------------------------------- serial framing
FRAME_DELIMITER = const(0x00)
CRC_SIZE = const(4)
# Longest message the serial decoder accepts before it gives up on a frame.
MAX_MESSAGE_SIZE = const(HEADER_SIZE + MAX_RECORDS * RECORD_SIZE + 64)


class ProtocolError(ValueError):
    # The only exception type this module raises for bad bytes.
    pass


# ================================================================ helpers


def crc32(data, crc=0):
    # CRC-32 (IEEE 802.3, as zlib/binascii); the table fallback is for ports
    # built without binascii.crc32.
    if _crc32 is not None:
        return _crc32(data, crc) & 0xFFFFFFFF
    table = _crc_table()
    crc = crc ^ 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_table = None


def _crc_table():
    global _table
    if _table is None:
        import array

        t = array.array("I", [0] * 256)
        for i in range(256):
            c = i
            for _ in range(8):
                c = (0xEDB88320 ^ (c >> 1)) if (c & 1) else (c >> 1)
            t[i] = c
        _table = t
    return _table


def to_fixed(value, lsb_per_unit, lo=-32768, hi=32767):
    # Round half away from zero and clamp; the same on both interpreters
    # (MicroPython's round() differs from CPython's).
    x = value * lsb_per_unit
    n = int(x + 0.5) if x >= 0 else -int(-x + 0.5)
    if n < lo:
        return lo
    if n > hi:
        return hi
    return n


def records_per_frame(mtu):
    # Records that fit in one BLE notification (one segment) at this ATT MTU;
    # at least 1: below that the message is carried in several segments.
    n = (mtu - ATT_OVERHEAD - 1 - HEADER_SIZE) // RECORD_SIZE
    if n < 1:
        return 1
    if n > MAX_RECORDS:
        return MAX_RECORDS
    return n


def message_type(msg):
    if len(msg) < 2:
        raise ProtocolError("message shorter than 2 bytes")
    if msg[0] < PROTOCOL_VERSION_MIN or msg[0] > PROTOCOL_VERSION:
        raise ProtocolError("unsupported protocol version %d" % msg[0])
    return msg[1]


# ================================================================ sample channels


def pack_header_into(buf, offset, msg_type, seq, t0_ms, period_us, count, record_size):
    struct.pack_into(
        HEADER_FORMAT,
        buf,
        offset,
        PROTOCOL_VERSION,
        msg_type,
        seq & 0xFFFFFFFF,
        t0_ms & 0xFFFFFFFF,
        period_us,
        count,
        record_size,
    )


def pack_record_into(buf, offset, qw, qx, qy, qz, ax, ay, az, gx, gy, gz, status):
    struct.pack_into(RECORD_FORMAT, buf, offset, qw, qx, qy, qz, ax, ay, az, gx, gy, gz, status)


def encode_data(seq, t0_ms, period_us, records, msg_type=MSG_DATA):
    # records: sequence of 11-tuples in RECORD_FIELDS order (raw integers).
    n = len(records)
    if n < 1 or n > 255:
        raise ProtocolError("a data frame holds 1..255 records, not %d" % n)
    buf = bytearray(HEADER_SIZE + n * RECORD_SIZE)
    pack_header_into(buf, 0, msg_type, seq, t0_ms, period_us, n, RECORD_SIZE)
    off = HEADER_SIZE
    for r in records:
        if len(r) != 11:
            raise ProtocolError("a record has 11 fields")
        pack_record_into(buf, off, *r)
        off += RECORD_SIZE
    return bytes(buf)


def decode_header(msg):
    # -> (version, type, seq, t0_ms, period_us, count, record_size); checks length.
    if len(msg) < HEADER_SIZE:
        raise ProtocolError("sample message shorter than its header")
    h = struct.unpack_from(HEADER_FORMAT, msg, 0)
    if h[0] < PROTOCOL_VERSION_MIN or h[0] > PROTOCOL_VERSION:
        raise ProtocolError("unsupported protocol version %d" % h[0])
    if h[1] == MSG_PRESSURE:
        need = PRESSURE_SIZE
    elif h[1] == MSG_DATA or h[1] == MSG_DATA_BACKLOG:
        need = RECORD_SIZE
    else:
        raise ProtocolError("not a sample message (type 0x%02x)" % h[1])
    if h[6] < need:
        raise ProtocolError("record size %d below %d" % (h[6], need))
    if h[5] < 1:
        raise ProtocolError("sample message with no records")
    if h[4] == 0:
        raise ProtocolError("sample period of 0")
    if len(msg) != HEADER_SIZE + h[5] * h[6]:
        raise ProtocolError("sample message length %d does not match its header" % len(msg))
    return h


def decode_data(msg):
    # -> (header, [record tuples]); records longer than RECORD_SIZE (a newer
    # device) are read by their known prefix.
    h = decode_header(msg)
    if h[1] == MSG_PRESSURE:
        raise ProtocolError("pressure message given to decode_data")
    out = []
    off = HEADER_SIZE
    for _ in range(h[5]):
        out.append(struct.unpack_from(RECORD_FORMAT, msg, off))
        off += h[6]
    return h, out


def encode_pressure(seq, t0_ms, period_us, values):
    n = len(values)
    if n < 1 or n > 255:
        raise ProtocolError("a pressure frame holds 1..255 values")
    buf = bytearray(HEADER_SIZE + n * PRESSURE_SIZE)
    pack_header_into(buf, 0, MSG_PRESSURE, seq, t0_ms, period_us, n, PRESSURE_SIZE)
    for i in range(n):
        struct.pack_into(PRESSURE_FORMAT, buf, HEADER_SIZE + i * PRESSURE_SIZE, values[i])
    return bytes(buf)


def decode_pressure(msg):
    h = decode_header(msg)
    if h[1] != MSG_PRESSURE:
        raise ProtocolError("not a pressure message")
    vals = []
    for i in range(h[5]):
        vals.append(struct.unpack_from(PRESSURE_FORMAT, msg, HEADER_SIZE + i * h[6])[0])
    return h, vals


# ================================================================ battery, events


def encode_battery(t_ms, voltage_mv, percent, flags=0):
    return struct.pack(
        BATTERY_FORMAT, PROTOCOL_VERSION, MSG_BATTERY, t_ms & 0xFFFFFFFF, voltage_mv, percent, flags
    )


def decode_battery(msg):
    # -> (t_ms, voltage_mv, percent, flags)
    if len(msg) < BATTERY_SIZE or message_type(msg) != MSG_BATTERY:
        raise ProtocolError("not a battery message")
    v = struct.unpack_from(BATTERY_FORMAT, msg, 0)
    if v[4] > 100:
        raise ProtocolError("battery percent above 100")
    return v[2], v[3], v[4], v[5]


def encode_event(t_ms, event_id, value=0):
    return struct.pack(EVENT_FORMAT, PROTOCOL_VERSION, MSG_EVENT, t_ms & 0xFFFFFFFF, event_id, value)


def decode_event(msg):
    # -> (t_ms, event_id, value)
    if len(msg) < EVENT_SIZE or message_type(msg) != MSG_EVENT:
        raise ProtocolError("not an event message")
    v = struct.unpack_from(EVENT_FORMAT, msg, 0)
    return v[2], v[3], v[4]


# ================================================================ commands


def encode_command(command, tag, args=()):
    fmt = COMMAND_PAYLOADS.get(command)
    if fmt is None:
        raise ProtocolError("unknown command 0x%02x" % command)
    head = struct.pack(COMMAND_FORMAT, PROTOCOL_VERSION, MSG_COMMAND, command, tag & 0xFF)
    if not fmt:
        if args:
            raise ProtocolError("command 0x%02x takes no arguments" % command)
        return head
    if len(args) != len(fmt) - 1:
        # struct on MicroPython zero-fills missing arguments silently: check here.
        raise ProtocolError("command 0x%02x takes %d arguments" % (command, len(fmt) - 1))
    return head + struct.pack(fmt, *args)


def decode_command(msg):
    # -> (command, tag, args tuple). Raises ProtocolError with .status set, so
    # the device can answer with the right error code.
    if len(msg) < COMMAND_SIZE:
        raise _status_error(ERR_BAD_LENGTH, "command shorter than its header", 0, 0)
    v = struct.unpack_from(COMMAND_FORMAT, msg, 0)
    if v[0] < PROTOCOL_VERSION_MIN or v[0] > PROTOCOL_VERSION:
        raise _status_error(ERR_VERSION, "unsupported protocol version %d" % v[0], v[2], v[3])
    if v[1] != MSG_COMMAND:
        raise _status_error(ERR_BAD_VALUE, "not a command message", v[2], v[3])
    fmt = COMMAND_PAYLOADS.get(v[2])
    if fmt is None:
        raise _status_error(ERR_UNKNOWN_COMMAND, "unknown command 0x%02x" % v[2], v[2], v[3])
    size = struct.calcsize(fmt) if fmt else 0
    if len(msg) - COMMAND_SIZE != size:
        raise _status_error(ERR_BAD_LENGTH, "command payload of wrong length", v[2], v[3])
    args = struct.unpack_from(fmt, msg, COMMAND_SIZE) if fmt else ()
    return v[2], v[3], args


def _status_error(status, text, command, tag):
    e = ProtocolError(text)
    e.status = status
    e.command = command
    e.tag = tag
    return e


def encode_response(command, tag, status, payload=b""):
    return struct.pack(RESPONSE_FORMAT, PROTOCOL_VERSION, MSG_RESPONSE, command, tag, status) + payload


def decode_response(msg):
    # -> (command, tag, status, payload bytes)
    if len(msg) < RESPONSE_SIZE or message_type(msg) != MSG_RESPONSE:
        raise ProtocolError("not a response message")
    v = struct.unpack_from(RESPONSE_FORMAT, msg, 0)
    return v[2], v[3], v[4], bytes(msg[RESPONSE_SIZE:])


def encode_info(fw_version, capabilities, rate_hz, backlog_capacity, board, imu, name):
    out = struct.pack(
        INFO_FORMAT,
        PROTOCOL_VERSION,
        fw_version[0],
        fw_version[1],
        fw_version[2],
        capabilities,
        rate_hz,
        backlog_capacity,
        RECORD_SIZE,
    )
    for s in (board, imu, name):
        b = s.encode() if isinstance(s, str) else bytes(s)
        if len(b) > 255:
            raise ProtocolError("info string longer than 255 bytes")
        out += bytes((len(b),)) + b
    return out


def decode_info(payload):
    # -> dict with protocol, firmware (tuple), capabilities, rate_hz,
    # backlog_capacity, record_size, board, imu, name
    if len(payload) < INFO_SIZE:
        raise ProtocolError("device info shorter than %d bytes" % INFO_SIZE)
    v = struct.unpack_from(INFO_FORMAT, payload, 0)
    off = INFO_SIZE
    strings = []
    for _ in range(3):
        if off >= len(payload):
            raise ProtocolError("device info truncated")
        n = payload[off]
        if off + 1 + n > len(payload):
            raise ProtocolError("device info truncated")
        try:
            strings.append(bytes(payload[off + 1 : off + 1 + n]).decode())
        except UnicodeError:
            raise ProtocolError("device info string is not UTF-8")
        off += 1 + n
    return {
        "protocol": v[0],
        "firmware": (v[1], v[2], v[3]),
        "capabilities": v[4],
        "rate_hz": v[5],
        "backlog_capacity": v[6],
        "record_size": v[7],
        "board": strings[0],
        "imu": strings[1],
        "name": strings[2],
    }


# ================================================================ BLE segments
# Every notification on the data characteristic is one segment: a prefix byte
# (bit 7: last segment of the message; bits 0-6: segment index) and up to
# MTU-4 bytes of the message. At MTU >= 41 a data frame is one segment.


def segment_count(msg_len, mtu):
    room = mtu - ATT_OVERHEAD - 1
    if room < 1:
        raise ProtocolError("MTU %d too small" % mtu)
    return (msg_len + room - 1) // room


def segments(msg, mtu):
    room = mtu - ATT_OVERHEAD - 1
    n = segment_count(len(msg), mtu)
    if n > 128:
        raise ProtocolError("message needs more than 128 segments")
    out = []
    for i in range(n):
        prefix = i | (SEGMENT_FINAL if i == n - 1 else 0)
        out.append(bytes((prefix,)) + msg[i * room : (i + 1) * room])
    return out


class Reassembler:
    # Joins BLE segments back into messages. A missing or repeated segment
    # drops the partial message (counted in .errors).

    def __init__(self):
        self._parts = []
        self._next = 0
        self.errors = 0

    def reset(self):
        if self._parts:
            self.errors += 1
        self._parts = []
        self._next = 0

    def feed(self, segment):
        # -> the complete message, or None
        if len(segment) < 2:
            self.errors += 1
            return None
        index = segment[0] & 0x7F
        if index != self._next:
            if self._parts:
                self.errors += 1
            self._parts = []
            self._next = 0
            if index != 0:
                self.errors += 1
                return None
        self._parts.append(bytes(segment[1:]))
        self._next += 1
        if segment[0] & SEGMENT_FINAL:
            msg = b"".join(self._parts)
            self._parts = []
            self._next = 0
            return msg
        return None


# ================================================================ serial framing
# On USB serial every message travels as 0x00, COBS(message + CRC-32 LE), 0x00.
# The leading delimiter ends any REPL text printed before the frame.


def cobs_encode(data):
    out = bytearray()
    start = 0
    n = len(data)
    while True:
        end = start
        while end < n and end - start < 254 and data[end] != 0:
            end += 1
        out.append(end - start + 1)
        out.extend(data[start:end])
        if end >= n:
            break
        if data[end] == 0:
            start = end + 1
            if start == n:
                out.append(1)
                break
        else:
            start = end
    return bytes(out)


def cobs_decode(data):
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise ProtocolError("zero byte inside a COBS frame")
        end = i + code
        if end > n:
            raise ProtocolError("COBS frame truncated")
        out.extend(data[i + 1 : end])
        i = end
        if code < 255 and i < n:
            out.append(0)
    return bytes(out)


def frame(msg):
    body = bytearray(msg)
    body.extend(struct.pack("<I", crc32(msg)))
    return b"\x00" + cobs_encode(body) + b"\x00"


def unframe(chunk):
    # chunk: the bytes between two delimiters -> message; ProtocolError if noise.
    if len(chunk) < 2:
        raise ProtocolError("frame too short")
    body = cobs_decode(chunk)
    if len(body) < CRC_SIZE + 2:
        raise ProtocolError("frame too short")
    msg = body[:-CRC_SIZE]
    if struct.unpack("<I", body[-CRC_SIZE:])[0] != crc32(msg):
        raise ProtocolError("CRC mismatch")
    message_type(msg)
    return msg


class Deframer:
    # Splits a serial byte stream into messages. Noise, REPL text and corrupt
    # frames are counted (.noise_chunks, .crc_errors), never returned.

    def __init__(self, max_frame=2 * MAX_MESSAGE_SIZE):
        self._buf = b""
        self._max = max_frame
        self.crc_errors = 0
        self.noise_chunks = 0
        self.frames = 0

    def feed(self, data):
        # -> list of messages completed by these bytes
        out = []
        buf = self._buf + bytes(data)
        start = 0
        while True:
            end = buf.find(b"\x00", start)
            if end < 0:
                break
            chunk = buf[start:end]
            start = end + 1
            if not chunk:
                continue
            try:
                out.append(unframe(chunk))
                self.frames += 1
            except ProtocolError:
                # Printable text is REPL chatter; anything else was a frame.
                if _looks_like_text(chunk):
                    self.noise_chunks += 1
                else:
                    self.crc_errors += 1
        buf = buf[start:]
        if len(buf) > self._max:
            # A run without delimiters longer than any frame is noise.
            self.noise_chunks += 1
            buf = b""
        self._buf = buf
        return out


def _looks_like_text(chunk):
    for b in chunk:
        if b < 9 or (13 < b < 32) or b > 126:
            return False
    return True
