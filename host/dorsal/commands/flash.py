"""`dorsal flash`: install the firmware on a board running MicroPython, or MicroPython itself."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from dorsal.errors import DorsalError
from dorsal.flashing import boards_module, flash

#: Where esptool writes a MicroPython image (Espressif's and micropython.org's instructions):
#: 0x0 on ESP32-C3 and ESP32-S3, 0x1000 on the original ESP32.
ESPTOOL_OFFSETS = {"esp32c3": 0x0, "esp32s3": 0x0, "esp32": 0x1000}
DOWNLOADS = "https://micropython.org/download/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", default=None, help="serial port of the board (default: found by USB id)")
    parser.add_argument("--board", default=None, help="board profile (firmware/dorsal_boards.py); default: detected")
    parser.add_argument("--dry-run", action="store_true", help="list what would be done, change nothing")
    parser.add_argument("--micropython", type=Path, metavar="FILE", default=None,
                        help=f"install MicroPython itself from FILE (.bin for ESP32 boards via esptool, "
                             f".uf2 for the Pico W), downloaded from {DOWNLOADS}")


def esptool_commands(chip: str, image: Path, port: str | None) -> list[list[str]]:
    base = [sys.executable, "-m", "esptool", "--chip", chip] + (["--port", port] if port else [])
    return [base + ["erase-flash"], base + ["write-flash", hex(ESPTOOL_OFFSETS[chip]), str(image)]]


def install_micropython(image: Path, board_name: str | None, port: str | None, dry_run: bool) -> int:
    boards = boards_module()
    if board_name is None:
        if image.suffix.lower() == ".uf2":
            board_name = "pico-w"
        else:
            raise DorsalError(f"which board? name it with --board ({', '.join(boards.board_names())})")
    if board_name not in boards.BOARDS or board_name == "virtual":
        raise DorsalError(f"unknown board {board_name!r} (known: {', '.join(boards.board_names())})")
    chip = boards.BOARDS[board_name]["chip"]
    if not image.is_file():
        raise DorsalError(f"no such firmware image: {image} (download one from {DOWNLOADS})")
    if chip == "rp2040":
        if image.suffix.lower() != ".uf2":
            raise DorsalError(f"the Pico W takes a .uf2 image, not {image.name} ({DOWNLOADS}RPI_PICO_W/)")
        print("The Pico W installs MicroPython by drag and drop; no tool is needed:")
        print("  1. Unplug it, hold its BOOTSEL button, plug it in, release the button.")
        print("  2. A USB drive named RPI-RP2 appears.")
        print(f"  3. Copy {image} onto that drive. The board restarts into MicroPython by itself.")
        print("  4. Then: dorsal flash --board pico-w")
        return 0
    if chip not in ESPTOOL_OFFSETS:
        raise DorsalError(f"no installer known for chip {chip}")
    if image.suffix.lower() != ".bin":
        raise DorsalError(f"ESP32 boards take a .bin image, not {image.name} ({DOWNLOADS})")
    commands = esptool_commands(chip, image, port)
    for cmd in commands:
        print("$ " + shlex.join(["esptool"] + cmd[3:]), flush=True)
        if dry_run:
            continue
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            lines = [ln for ln in (r.stdout + r.stderr).strip().splitlines() if ln.strip()]
            said = lines[-1] if lines else f"exit code {r.returncode}"
            raise DorsalError(f"esptool could not reach the {chip.upper()} ({said}). Connect the board with a data "
                              "cable; if it still fails, hold BOOT, press and release RESET, release BOOT "
                              "(download mode), then run this again" + ("" if port else " (or name the port with --port)"))
        print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "done", flush=True)
    if not dry_run:
        print(f"MicroPython is installed. Press RESET, then: dorsal flash --board {board_name}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.micropython is not None:
        return install_micropython(args.micropython, args.board, args.port, args.dry_run)

    def say(line: str) -> None:
        print(line, flush=True)

    return flash(args.port, args.board, args.dry_run, say)
