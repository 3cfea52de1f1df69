"""The firmware's board profiles (firmware/dorsal_boards.py) read under CPython.

The profiles are plain data that the firmware itself imports on the board;
the host loads the same file, so a pin changes in exactly one place and the
wiring tables, diagrams and bill of materials follow it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from dorsal.paths import FIRMWARE_DIR

#: The profiles' module on the board and in firmware/.
BOARDS_MODULE = "dorsal_boards"


@dataclass(frozen=True)
class PinUse:
    """One GPIO a profile uses: what for, and what it connects to."""

    gpio: int
    label: str  # silkscreen name on the board, or "GPIO<n>" when the profile has none
    role: str  # key in the profile: "sda", "scl", "imu_int", "motor", "button", "battery"
    function: str
    connects_to: str


@dataclass(frozen=True)
class BoardProfile:
    """A board profile as the firmware sees it (the dict), with typed accessors."""

    name: str
    title: str
    chip: str
    url: str
    raw: dict[str, Any]

    @property
    def usb_ids(self) -> tuple[int, int]:
        vid, pid = self.raw["usb"]
        return int(vid), int(pid)

    @property
    def i2c_freq_hz(self) -> int:
        return int(self.raw["i2c"]["freq_hz"])

    @property
    def button_is_bootsel(self) -> bool:
        return self.raw["button"] == "bootsel"

    @property
    def battery_divider(self) -> float:
        return float(self.raw["battery"]["divider"])

    def pin_uses(self) -> list[PinUse]:
        """Every GPIO the profile names, in wiring order (bus first, then outputs and inputs)."""
        p = self.raw
        labels: dict[int, str] = p.get("labels", {})

        def use(gpio: int, role: str, function: str, connects_to: str) -> PinUse:
            return PinUse(gpio, labels.get(gpio, f"GPIO{gpio}"), role, function, connects_to)

        uses = [
            use(p["i2c"]["sda"], "sda", f"I2C{p['i2c']['id']} SDA ({p['i2c']['freq_hz'] // 1000} kHz)",
                "IMU SDA (and BMP390 SDA)"),
            use(p["i2c"]["scl"], "scl", f"I2C{p['i2c']['id']} SCL", "IMU SCL (and BMP390 SCL)"),
            use(p["imu_int"], "imu_int", "IMU interrupt (optional: the firmware polls the FIFO)",
                "IMU INT"),
            use(p["motor"], "motor", "vibration motor (PWM)", "1 kOhm base resistor -> NPN base"),
        ]
        if p["button"] != "bootsel":
            uses.append(use(p["button"], "button", "push button (active low, internal pull-up)",
                            "the board's BOOT button (an external button to GND is optional)"))
        uses.append(use(p["battery"]["pin"], "battery", "battery voltage (ADC)",
                        "middle of the 100k/100k divider from BAT+ to GND"))
        return uses


def load_module(firmware_dir: Path = FIRMWARE_DIR) -> ModuleType:
    """Import firmware/dorsal_boards.py as a fresh module (it is plain data, no MicroPython needed)."""
    path = firmware_dir / f"{BOARDS_MODULE}.py"
    spec = importlib.util.spec_from_file_location(f"_dorsal_firmware_{BOARDS_MODULE}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_profiles(firmware_dir: Path = FIRMWARE_DIR, include_virtual: bool = False) -> list[BoardProfile]:
    """The boards a user can build, sorted by name (plus the virtual one when asked)."""
    module = load_module(firmware_dir)
    names = list(module.board_names())
    if include_virtual and "virtual" in module.BOARDS:
        names.append("virtual")
    return [BoardProfile(n, module.BOARDS[n]["title"], module.BOARDS[n]["chip"], module.BOARDS[n]["url"],
                         module.BOARDS[n]) for n in names]
