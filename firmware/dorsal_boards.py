# Board profiles as data: one dict per supported board.
#
# The firmware reads the profile named in its config (or the one whose
# `machine` string matches os.uname().machine); the host generates the wiring
# tables, diagrams and bill of materials in hardware/ from this same file, so a
# pin changes in exactly one place. Pins are GPIO numbers of the chip; `None`
# means the board has no such connection. `label` is the name printed on the
# board (what a user sees when wiring).
#
# Keys of a profile:
#   name, title, chip, machine (substring of os.uname().machine), url
#   i2c: id, sda, scl, freq_hz  (IMU and optional barometer share this bus)
#   imu_int: pin of the IMU interrupt line (FIFO watermark), informational:
#            the firmware polls the FIFO count every drain period
#   motor: pin driving the vibration motor's transistor (PWM)
#   button: pin of the push button (active low, internal pull-up), or
#           "bootsel" for the RP2040's BOOTSEL button
#   battery: ADC pin, divider ratio (battery volts per pin volt)
#   radio: "nimble" (ESP32 ports: raises on overload) or "btstack"
#          (Pico W: queues silently on the heap)
#   ram_kb, psram: what the backlog may use
#   backlog_samples: ring buffer capacity (samples of 22 bytes)
#   labels: {gpio: silkscreen label} for the pins used above
#   usb: (vendor id, product id) the board enumerates with under MicroPython

BOARDS = {
    "xiao-esp32c3": {
        "name": "xiao-esp32c3",
        "title": "Seeed Studio XIAO ESP32C3",
        "chip": "esp32c3",
        "machine": "ESP32C3",
        "url": "https://wiki.seeedstudio.com/XIAO_ESP32C3_Getting_Started/",
        "i2c": {"id": 0, "sda": 6, "scl": 7, "freq_hz": 400000},
        "imu_int": 4,
        "motor": 3,
        "button": 9,
        "battery": {"pin": 2, "divider": 2.0},
        "radio": "nimble",
        "ram_kb": 400,
        "psram": False,
        # 61 s at 100 Hz: 135 KB, the most a C3's ~250 KB MicroPython heap can
        # spare next to NimBLE's buffers.
        "backlog_samples": 6144,
        "labels": {6: "D4/SDA", 7: "D5/SCL", 4: "D2", 3: "D1", 9: "D9/BOOT", 2: "D0/A0"},
        "usb": (0x303A, 0x1001),
    },
    "xiao-esp32s3": {
        "name": "xiao-esp32s3",
        "title": "Seeed Studio XIAO ESP32S3 (Sense or plain, 8 MB PSRAM)",
        "chip": "esp32s3",
        "machine": "ESP32S3",
        "url": "https://wiki.seeedstudio.com/xiao_esp32s3_getting_started/",
        "i2c": {"id": 0, "sda": 5, "scl": 6, "freq_hz": 400000},
        "imu_int": 3,
        "motor": 2,
        "button": 0,
        "battery": {"pin": 1, "divider": 2.0},
        "radio": "nimble",
        "ram_kb": 512,
        "psram": True,
        "backlog_samples": 60000,  # 10 min at 100 Hz in PSRAM (1.3 MB)
        "labels": {5: "D4/SDA", 6: "D5/SCL", 3: "D2", 2: "D1", 0: "BOOT", 1: "D0/A0"},
        "usb": (0x303A, 0x1001),
    },
    "esp32-s3-devkitc-1": {
        "name": "esp32-s3-devkitc-1",
        "title": "Espressif ESP32-S3-DevKitC-1 (N8R8 or N16R8, with PSRAM)",
        "chip": "esp32s3",
        "machine": "ESP32S3",
        "url": "https://docs.espressif.com/projects/esp-dev-kits/en/latest/esp32s3/esp32-s3-devkitc-1/",
        "i2c": {"id": 0, "sda": 8, "scl": 9, "freq_hz": 400000},
        "imu_int": 10,
        "motor": 11,
        "button": 0,
        "battery": {"pin": 1, "divider": 2.0},
        "radio": "nimble",
        "ram_kb": 512,
        "psram": True,
        "backlog_samples": 60000,
        "labels": {8: "GPIO8", 9: "GPIO9", 10: "GPIO10", 11: "GPIO11", 0: "BOOT", 1: "GPIO1"},
        "usb": (0x303A, 0x1001),
    },
    "pico-w": {
        "name": "pico-w",
        "title": "Raspberry Pi Pico W",
        "chip": "rp2040",
        "machine": "Pico W",
        "url": "https://www.raspberrypi.com/documentation/microcontrollers/pico-series.html",
        "i2c": {"id": 0, "sda": 4, "scl": 5, "freq_hz": 400000},
        "imu_int": 6,
        "motor": 15,
        # The VSYS sense input (ADC3) reads garbage while the radio is on
        # (it shares a pin with the wireless chip): use a divider on ADC0.
        "button": "bootsel",
        "battery": {"pin": 26, "divider": 2.0},
        "radio": "btstack",
        "ram_kb": 264,
        "psram": False,
        "backlog_samples": 4096,  # 41 s at 100 Hz (90 KB): btstack also needs heap
        "labels": {4: "GP4 (pin 6)", 5: "GP5 (pin 7)", 6: "GP6 (pin 9)", 15: "GP15 (pin 20)", 26: "GP26/ADC0 (pin 31)"},
        "usb": (0x2E8A, 0x0005),
    },
}

# Not a board a user buys: the virtual board of the off-device rig (the
# MicroPython unix port with firmware/rig on its path).
BOARDS["virtual"] = {
    "name": "virtual",
    "title": "Virtual board (MicroPython unix port with the firmware rig)",
    "chip": "unix",
    "machine": "unix",
    "url": "",
    "i2c": {"id": 0, "sda": 6, "scl": 7, "freq_hz": 400000},
    "imu_int": 4,
    "motor": 3,
    "button": 9,
    "battery": {"pin": 2, "divider": 2.0},
    "radio": "nimble",
    "ram_kb": 400,
    "psram": False,
    "backlog_samples": 6144,
    "labels": {},
    "usb": (0x303A, 0x1001),
}

DEFAULT_BOARD = "xiao-esp32c3"


def board_names():
    # The boards a user can build (the virtual one excluded), sorted: dicts
    # are not ordered on MicroPython.
    return sorted(n for n in BOARDS if n != "virtual")


def detect(machine_text):
    # The profile whose `machine` string appears in os.uname().machine, or None.
    # Several boards share a chip; the first sorted match is only a guess, so
    # flashing writes the board's name into the config explicitly.
    for name in board_names():
        if BOARDS[name]["machine"] in machine_text:
            return name
    return None


def get(name):
    if name not in BOARDS:
        raise ValueError("unknown board %s (known: %s)" % (name, ", ".join(board_names())))
    return BOARDS[name]
