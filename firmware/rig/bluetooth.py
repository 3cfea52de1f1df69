# Stand-in for MicroPython's `bluetooth` module on the off-device rig: the
# documented API, every call recorded, and a central simulated by the test
# (connect, MTU exchange, writes, disconnect). gatts_notify can be made to
# refuse like NimBLE (OSError ENOMEM) or to fail like btstack (MemoryError).
# A stand-in on a real Bluetooth stack (Bumble) lives on the host side.

import rigstate

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020


class UUID:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, UUID) and self.value == other.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return "UUID(%r)" % (self.value,)


class BLE:
    UUID = UUID

    def __init__(self):
        self.calls = []  # (name, args)
        self.values = {}  # handle -> bytes
        self.handles = {}  # handle -> (service uuid, characteristic uuid, flags)
        self.notified = []  # (conn, handle, bytes)
        self.advertising = None
        self.handler = None
        self._active = False
        self._config = {"mac": (0, b"\x24\x6f\x28\xd0\x5e\x1a"), "mtu": 23, "gap_name": b"MPY"}
        self.refuse = 0  # the next N notifications raise OSError(ENOMEM)
        self.memory_errors = 0  # ... or MemoryError (btstack)
        rigstate.ble = self

    def _rec(self, name, *args):
        self.calls.append((name, args))

    def active(self, on=None):
        self._rec("active", on)
        if on is None:
            return self._active
        self._active = bool(on)

    def config(self, *args, **kwargs):
        self._rec("config", args, kwargs)
        if args:
            return self._config[args[0]]
        for k in kwargs:
            self._config[k] = kwargs[k]

    def irq(self, handler):
        self._rec("irq")
        self.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self._rec("gap_advertise", interval_us)
        self.advertising = (interval_us, adv_data, resp_data) if interval_us is not None else None

    def gatts_register_services(self, services):
        self._rec("gatts_register_services")
        out = []
        h = 1
        for svc_uuid, chars in services:
            hs = []
            for c in chars:
                h += 1
                self.handles[h] = (svc_uuid, c[0], c[1])
                self.values[h] = b""
                hs.append(h)
                h += 1
            out.append(tuple(hs))
        return tuple(out)

    def gatts_set_buffer(self, handle, size, append=False):
        self._rec("gatts_set_buffer", handle, size)

    def gatts_write(self, handle, data, send_update=False):
        self.values[handle] = bytes(data)

    def gatts_read(self, handle):
        return self.values[handle]

    def gatts_notify(self, conn, handle, data=None):
        if self.refuse > 0:
            self.refuse -= 1
            raise OSError(12)
        if self.memory_errors > 0:
            self.memory_errors -= 1
            raise MemoryError()
        self.notified.append((conn, handle, bytes(data) if data is not None else self.values[handle]))

    def gap_disconnect(self, conn):
        self._rec("gap_disconnect", conn)
        self.central_disconnect(conn)
        return True

    # ---- the simulated central (tests)
    def handle_of(self, uuid_text):
        for h in self.handles:
            if self.handles[h][1].value == uuid_text:
                return h
        return None

    def central_connect(self, conn=0, mtu=247):
        self.advertising = None
        self.handler(1, (conn, 0, b"\x11\x22\x33\x44\x55\x66"))
        if mtu != 23:
            self.handler(21, (conn, mtu))

    def central_write(self, conn, handle, data):
        self.values[handle] = bytes(data)
        self.handler(3, (conn, handle))

    def central_disconnect(self, conn=0):
        self.handler(2, (conn, 0, b"\x11\x22\x33\x44\x55\x66"))
