# USB serial link: framed messages on stdout once a host asks on stdin.
#
# The host sends commands as frames (0x00, COBS(message + CRC-32), 0x00). The
# firmware reads stdin itself, with the REPL's Ctrl-C handling switched off
# so that a 0x03 inside a frame is data; a 0x03 outside a frame interrupts
# the app exactly as the REPL would, so Ctrl-C and mpremote still get in.

import sys

import dorsal_protocol as wire

try:
    import select

    _POLLIN = select.POLLIN
except ImportError:  # a port without select: input is not polled
    select = None

try:
    import micropython

    _kbd_intr = micropython.kbd_intr
except (ImportError, AttributeError):

    def _kbd_intr(c):
        return None


_MAX_FRAME = 2 * wire.MAX_MESSAGE_SIZE


class UsbLink:
    def __init__(self, app, stdin=None, stdout=None):
        self.app = app
        self.stdin = stdin if stdin is not None else sys.stdin
        out = stdout if stdout is not None else sys.stdout
        self.out = getattr(out, "buffer", out)
        self.poller = None
        if select is not None:
            self.poller = select.poll()
            self.poller.register(self.stdin, _POLLIN)
        self.inbuf = bytearray()
        self.in_frame = False
        self.frames_in = 0
        self.bad_frames = 0
        self.streaming = False
        app.sinks.append(self._data)

    def _data(self, msg):
        if self.streaming:
            self.write(msg)

    def write(self, msg):
        self.out.write(wire.frame(bytes(msg)))
        if hasattr(self.out, "flush"):
            self.out.flush()

    def _read_byte(self):
        b = self.stdin.buffer.read(1) if hasattr(self.stdin, "buffer") else self.stdin.read(1)
        if not b:
            return -1
        return b[0] if not isinstance(b, str) else ord(b)

    def poll(self):
        # Read what is waiting; handle complete frames. Returns False at end of input.
        if self.poller is None:
            return True
        _kbd_intr(-1)
        try:
            while self.poller.poll(0):
                c = self._read_byte()
                if c < 0:
                    return False
                self.feed_byte(c)
        finally:
            _kbd_intr(3)
        return True

    def feed_byte(self, c):
        if c == 0:
            if self.in_frame and self.inbuf:
                # every frame has its own two delimiters: after one ends we are
                # outside again, where a 0x03 is Ctrl-C
                body = bytes(self.inbuf)
                self.inbuf = bytearray()
                self.in_frame = False
                self._frame(body)
            else:
                self.in_frame = True
            return
        if not self.in_frame:
            if c == 3:
                raise KeyboardInterrupt()
            return  # text between frames: ignored, as on the host
        self.inbuf.append(c)
        if len(self.inbuf) > _MAX_FRAME:
            self.inbuf = bytearray()
            self.in_frame = False
            self.bad_frames += 1

    def _frame(self, body):
        try:
            msg = wire.unframe(body)
        except wire.ProtocolError:
            self.bad_frames += 1
            return
        self.frames_in += 1
        resp = self.app.handle(msg, self.write)
        if msg[2] == wire.CMD_START:
            self.streaming = True
        elif msg[2] == wire.CMD_STOP:
            self.streaming = False
        if resp is not None:
            self.write(resp)
