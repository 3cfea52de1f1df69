"""`dorsal doctor`: checks this machine for what dorsal needs, one line per check with the fix."""

from __future__ import annotations

import argparse
import grp
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# (distribution, import name): what the host needs to run
REQUIRED = (("numpy", "numpy"), ("bleak", "bleak"), ("bumble", "bumble"), ("textual", "textual"),
            ("pyserial", "serial"), ("mpremote", "mpremote"), ("platformdirs", "platformdirs"),
            ("vqf", "vqf"), ("scipy", "scipy"))
MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    fatal: bool = False  # dorsal cannot work at all without it

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.fatal else "warn")
        return f"{mark} {self.name}: {self.detail}" + ("" if self.ok or not self.fix else f" -> {self.fix}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", default=None, help="also ask the board on this serial port for its firmware version")


def check_python() -> Check:
    v = sys.version_info
    ok = (v.major, v.minor) >= MIN_PYTHON
    return Check("python", ok, f"{v.major}.{v.minor}.{v.micro}",
                 f"install Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer", fatal=True)


def check_packages() -> list[Check]:
    out = []
    for dist, module in REQUIRED:
        try:
            importlib.import_module(module)
            out.append(Check(f"package {dist}", True, importlib.metadata.version(dist)))
        except Exception as exc:  # an import can fail in many ways; each is this package's problem
            out.append(Check(f"package {dist}", False, f"not importable ({type(exc).__name__}: {exc})",
                             "pip install -e . in the dorsal checkout (make setup)", fatal=True))
    return out


def check_bluetooth(sys_class: Path = Path("/sys/class/bluetooth")) -> Check:
    if sys.platform == "darwin":
        return Check("bluetooth", True, "macOS: CoreBluetooth is used; allow Bluetooth for your terminal app in "
                     "System Settings > Privacy & Security > Bluetooth when asked")
    if sys.platform == "win32":
        return Check("bluetooth", True, "Windows: WinRT Bluetooth is used; switch Bluetooth on in Settings > "
                     "Bluetooth & devices (Windows 10 1709 or newer)")
    adapters = sorted(p.name for p in sys_class.iterdir()) if sys_class.is_dir() else []
    if not adapters:
        return Check("bluetooth", False, "no Bluetooth adapter found (BlueZ lists none in /sys/class/bluetooth)",
                     "plug in a Bluetooth 4.0+ USB adapter, or use USB serial (dorsal watch --serial); "
                     "dorsal demo needs no adapter")
    ctl = shutil.which("bluetoothctl")
    if ctl is None:
        return Check("bluetooth", False, f"adapter {', '.join(adapters)} but no BlueZ tools",
                     "install BlueZ (Debian/Ubuntu: sudo apt install bluez) and start it: sudo systemctl start bluetooth")
    try:
        r = subprocess.run([ctl, "show"], capture_output=True, text=True, timeout=5)
        text = r.stdout
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    if "Powered: yes" in text:
        return Check("bluetooth", True, f"adapter {', '.join(adapters)}, powered (BlueZ)")
    if not text.strip():
        return Check("bluetooth", False, f"adapter {', '.join(adapters)} but the BlueZ service does not answer",
                     "sudo systemctl start bluetooth")
    return Check("bluetooth", False, f"adapter {', '.join(adapters)} is off", "bluetoothctl power on")


def _serial_ports() -> list[str]:
    from serial.tools import list_ports

    return sorted(p.device for p in list_ports.comports())


def check_serial(ports: list[str] | None = None) -> Check:
    ports = _serial_ports() if ports is None else ports
    if not ports:
        return Check("serial", True, "no serial ports (fine without a board on USB; plug one in to flash it)")
    blocked = [p for p in ports if not os.access(p, os.R_OK | os.W_OK)]
    if not blocked:
        return Check("serial", True, f"{', '.join(ports)} usable")
    group = ""
    try:
        group = grp.getgrgid(os.stat(blocked[0]).st_gid).gr_name
    except (KeyError, OSError):
        group = "dialout"
    return Check("serial", False, f"no permission for {', '.join(blocked)}",
                 f"sudo usermod -aG {group} $USER, then log out and back in")


def check_board(port: str | None) -> Check:
    from dorsal.flashing import expected_firmware_version, find_port

    want = ".".join(map(str, expected_firmware_version()))
    if port is None:
        try:
            port = find_port()
        except Exception:
            return Check("board", True, f"none connected (this host expects firmware {want})")
    import serial

    from dorsal.protocol import wire

    try:
        ser = serial.serial_for_url(port, timeout=0.1)
    except (OSError, serial.SerialException) as exc:
        return Check("board", False, f"cannot open {port} ({exc})", "close other programs using it")
    try:
        import time

        deframer = wire.Deframer()
        deadline = time.monotonic() + 3
        next_ask = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_ask:
                ser.write(wire.frame(wire.encode_command(wire.CMD_IDENTIFY, 1)))
                next_ask = time.monotonic() + 0.5
            for msg in deframer.feed(ser.read(4096)):
                if wire.message_type(msg) == wire.MSG_RESPONSE:
                    command, _tag, status, payload = wire.decode_response(msg)
                    if command == wire.CMD_IDENTIFY and status == 0:
                        got = ".".join(map(str, wire.decode_info(payload)["firmware"]))
                        if got == want:
                            return Check("board", True, f"{port}: firmware {got}, as this host expects")
                        return Check("board", False, f"{port}: firmware {got}, this host expects {want}",
                                     f"dorsal flash --port {port}")
    finally:
        ser.close()
    return Check("board", False, f"{port}: no answer to IDENTIFY (firmware not installed or not running)",
                 f"dorsal flash --port {port}")


def run(args: argparse.Namespace) -> int:
    checks = [check_python(), *check_packages(), check_bluetooth(), check_serial(), check_board(args.port)]
    for c in checks:
        print(c.line(), flush=True)
    return 1 if any(c.fatal and not c.ok for c in checks) else 0
