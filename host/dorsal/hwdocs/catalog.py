"""What to buy: per-board facts the firmware does not need, and the other parts.

Prices are rough single-unit street prices in US dollars (2025) to compare
options, not quotes; part numbers are the vendors' own (check the vendor's
page before ordering). Electrical figures cite the datasheet they come from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoardFacts:
    """A supported board as a buyer and a wirer sees it."""

    part_number: str
    price_usd: float
    where: str
    size_mm: tuple[float, float, float]  # length, width, height with components (for the enclosure)
    charger: str  # how a LiPo is charged on (or next to) this board
    power_pins: tuple[tuple[str, str, str], ...]  # (board pin, connect to, note)
    pick_when: str
    #: Current of the board alone with MicroPython running and BLE connected, mA (estimate: see power.md).
    active_ma: float
    notes: tuple[str, ...] = ()


BOARDS: dict[str, BoardFacts] = {
    "xiao-esp32c3": BoardFacts(
        part_number="Seeed Studio 113991054",
        price_usd=5.0,
        where="Seeed Studio, Digi-Key, Mouser",
        size_mm=(21.0, 17.8, 3.5),
        charger="on board: solder the LiPo to the BAT+ / BAT- pads on the underside",
        power_pins=(
            ("3V3", "IMU VCC/VIN, BMP390 VIN, motor (+), button not needed", "300 mA max from the on-board regulator"),
            ("GND", "IMU GND, BMP390 GND, NPN emitter, divider bottom", ""),
            ("BAT+ pad (underside)", "slide switch -> LiPo (+); divider top", "charged over USB-C by the board"),
            ("BAT- pad (underside)", "LiPo (-)", ""),
        ),
        pick_when="the default: smallest, cheapest, charger on board, BLE 5",
        active_ma=35.0,
        notes=(
            "D9 (GPIO9) is the BOOT button and a strapping pin: holding it while the board powers up enters "
            "the ROM bootloader. Hold it after the reset to enter dorsal's safe mode.",
            "D0 (GPIO2) is a strapping pin that must be high at reset; the battery divider holds it at half "
            "the battery voltage, which reads high.",
        ),
    ),
    "xiao-esp32s3": BoardFacts(
        part_number="Seeed Studio 113991114 (plain) or 113991115 (Sense)",
        price_usd=7.5,
        where="Seeed Studio, Digi-Key, Mouser",
        size_mm=(21.0, 17.8, 3.5),
        charger="on board: solder the LiPo to the BAT+ / BAT- pads on the underside",
        power_pins=(
            ("3V3", "IMU VCC/VIN, BMP390 VIN, motor (+)", ""),
            ("GND", "IMU GND, BMP390 GND, NPN emitter, divider bottom", ""),
            ("BAT+ pad (underside)", "slide switch -> LiPo (+); divider top", "charged over USB-C by the board"),
            ("BAT- pad (underside)", "LiPo (-)", ""),
        ),
        pick_when="a longer backlog: 8 MB PSRAM keeps 10 minutes of samples through a disconnect",
        active_ma=50.0,
        notes=(
            "The BOOT button (GPIO0) is on the board, not on a pad: hold it after the reset for safe mode.",
        ),
    ),
    "esp32-s3-devkitc-1": BoardFacts(
        part_number="Espressif ESP32-S3-DevKitC-1-N8R8",
        price_usd=15.0,
        where="Digi-Key, Mouser, Espressif's store",
        size_mm=(69.0, 25.5, 10.0),
        charger="none: add a LiPo charger with protection (e.g. a TP4056 module with DW01) feeding the 5V pin",
        power_pins=(
            ("3V3", "IMU VCC/VIN, BMP390 VIN, motor (+)", ""),
            ("GND", "IMU GND, BMP390 GND, NPN emitter, divider bottom, charger OUT-", ""),
            ("5V", "charger OUT+ through the slide switch", "the board's LDO runs in dropout below ~3.6 V"),
        ),
        pick_when="bench work and debugging (breadboard-friendly, two USB ports); too big to wear all day",
        active_ma=55.0,
    ),
    "pico-w": BoardFacts(
        part_number="Raspberry Pi SC0918 (Pico W) or SC0919 (Pico WH, with headers)",
        price_usd=6.0,
        where="Raspberry Pi approved resellers (The Pi Hut, Pimoroni, Adafruit, Digi-Key)",
        size_mm=(51.0, 21.0, 4.0),
        charger="none: a Pimoroni LiPo SHIM for Pico (PIM557) under the board charges and switches the LiPo",
        power_pins=(
            ("3V3(OUT) (pin 36)", "IMU VCC/VIN, BMP390 VIN, motor (+)", ""),
            ("GND (pin 38)", "IMU GND, BMP390 GND, NPN emitter, divider bottom", ""),
            ("VSYS (pin 39)", "LiPo SHIM output (or LiPo through a Schottky diode)", "1.8-5.5 V input"),
        ),
        pick_when="you already have one; BLE through btstack needs more care with memory",
        active_ma=45.0,
        notes=(
            "ADC3 (VSYS/3) is unusable while the radio is on: measure the battery on GP26/ADC0 with the divider.",
            "The safe-mode button is BOOTSEL (rp2.bootsel_button()); nothing to wire.",
        ),
    ),
}


@dataclass(frozen=True)
class Part:
    """One line of the bill of materials beyond the board."""

    group: str
    name: str
    part_number: str
    qty: str
    price_usd: float
    where: str
    alternatives: str
    why: str


PARTS: tuple[Part, ...] = (
    Part("IMU (pick one)", "ICM-42688-P breakout (I2C)", "TDK InvenSense ICM-42688-P on a 3.3 V breakout",
         "1", 8.0, "AliExpress, Tindie, Mouser (bare chip)", "any ICM-42688-P board with SDA/SCL/INT broken out",
         "recommended: lowest noise and gyro drift of the supported chips, 2 KB FIFO"),
    Part("IMU (pick one)", "LSM6DSOX breakout", "Adafruit 4438 (STEMMA QT / Qwiic)", "1", 12.0,
         "Adafruit, Digi-Key", "other LSM6DSOX boards at I2C address 0x6A or 0x6B",
         "9 KB FIFO, low current (0.55 mA in high-performance mode, ST datasheet DS12814)"),
    Part("IMU (pick one)", "MPU-6500 breakout", "generic 'MPU-6500 6DOF' module", "1", 3.0,
         "AliExpress, Amazon", "MPU-9250 boards (the 6-axis part is an MPU-6500)",
         "cheap; 4 KB FIFO"),
    Part("IMU (pick one)", "MPU-6050 breakout", "GY-521", "1", 2.5, "AliExpress, Amazon, local shops",
         "MPU-6500", "cheapest and everywhere, but end of life and often a clone; 1 KB FIFO (0.85 s at 100 Hz)"),
    Part("Optional", "BMP390 barometer breakout", "Adafruit 4816 (STEMMA QT / Qwiic)", "1", 10.5,
         "Adafruit, Digi-Key", "BMP388 breakouts", "height changes (sit/stand) for the host; shares the I2C bus"),
    Part("Vibration", "coin vibration motor 10 mm, 3 V", "Adafruit 1201 (Vibrating Mini Motor Disc)", "1", 2.0,
         "Adafruit, AliExpress ('1027 coin motor')", "any 8-10 mm 3 V ERM coin motor under 100 mA",
         "the slouch reminder on the body; draws 60-90 mA while on"),
    Part("Vibration", "NPN transistor", "BC337-40 (TO-92) or MMBT2222A (SOT-23)", "1", 0.1,
         "Digi-Key, Mouser, LCSC", "logic-level N-MOSFET AO3400A with a 100 Ohm gate resistor and a 100 kOhm "
         "pull-down (not a 2N7000: its threshold is too close to 3.3 V)",
         "a GPIO gives ~20 mA at most; the motor needs up to 90 mA"),
    Part("Vibration", "flyback diode", "1N4148 (DO-35) or 1N4148W (SOD-123)", "1", 0.05,
         "Digi-Key, Mouser, LCSC", "any small signal or Schottky diode (BAT54)",
         "across the motor, cathode to 3V3: clamps the motor's voltage spike when the transistor turns off"),
    Part("Vibration", "base resistor 1 kOhm", "1 kOhm 1/4 W or 0603", "1", 0.02, "any", "680 Ohm to 2.2 kOhm",
         "(3.3 - 0.7) V / 1 kOhm = 2.6 mA base current: saturates the NPN for a 90 mA motor"),
    Part("Power", "LiPo cell 3.7 V, 250-500 mAh, with protection circuit", "e.g. 402535 (300 mAh) or 502535 "
         "(400 mAh)", "1", 5.0, "Adafruit (1578: 500 mAh), Pimoroni, AliExpress",
         "a smaller cell for a lighter clip (see power.md for the hours)",
         "a protected cell cuts off before a deep discharge, whatever the board does"),
    Part("Power", "slide switch SPDT", "C&K OS102011MA1QN1 or SS12D00G3", "1", 0.5, "Digi-Key, Mouser, LCSC",
         "a Pimoroni LiPo SHIM has its own power button (Pico W)",
         "in the LiPo (+) lead: off really means off (the battery does not charge while off)"),
    Part("Power", "resistors 100 kOhm", "100 kOhm 1 % 1/4 W or 0603", "2", 0.04, "any",
         "2 x 200 kOhm (half the drain, noisier reading)",
         "battery divider BAT+ -> 100k -> ADC pin -> 100k -> GND: the pin sees half the battery voltage, "
         "21 uA drain at 4.2 V"),
    Part("Power", "capacitor 100 nF", "100 nF ceramic", "1", 0.02, "any", "",
         "from the ADC pin to GND: feeds the ADC's sampling capacitor from the high-impedance divider"),
    Part("Wiring", "silicone wire 28-30 AWG, 4 colours", "", "1 m", 2.0, "any",
         "a 4-pin JST-SH (Qwiic/STEMMA QT) cable for breakouts that have the socket",
         "flexible leads survive bending on the back"),
    Part("Mounting", "elastic strap or clip", "chest strap of a heart-rate monitor, or a garment clip", "1", 6.0,
         "sports shops, Amazon", "a tight-fitting undershirt with a small pocket",
         "holds the sensor firmly between the shoulder blades (see placement.md)"),
    Part("Mounting", "medical adhesive tape, double-coated", "3M 1522", "a few patches", 4.0,
         "medical suppliers, Amazon", "kinesiology tape over the enclosure",
         "for a day of wear without a strap; skin-friendly, but stop if the skin reddens"),
    Part("Enclosure", "3D-printed case and clip", "hardware/enclosure/dorsal_case.scad", "1", 1.0,
         "print it yourself (PETG or PLA, 0.2 mm layers)", "a small project box with a belt clip",
         "keeps the IMU rigidly aligned with the board"),
)
