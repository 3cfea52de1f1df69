# What the rig's stand-ins share: the clock, the emulated I2C devices and the
# board's other inputs and outputs, plus fault injection. A test (or the
# rig's runner) calls setup() before the app starts; without it the stand-ins
# fall back to real time and a still MPU-6050, or to the IMU stream named by
# the DORSAL_IMU_STREAM environment variable (a virtual board's main.py).

import os

import baro_emulator
import imu_emulator
import rigclock

clock = None
devices = {}  # I2C address -> emulated chip
adc_volts = {}  # pin -> volts at the pin
pins = {}  # pin -> input level (buttons: 1 released, 0 pressed)
pwm_log = []  # (elapsed_us, pin, duty_u16) whenever a PWM duty changes
wdt = None  # the started watchdog (there is only one, as on a board)
wdt_max_ms = None  # longest watchdog timeout the modelled port allows (RP2040: 8388), None: no limit
i2c_fail = 0  # the next N I2C transactions raise OSError(EIO)
reset_cause = 1  # machine.PWRON_RESET
ble = None  # the bluetooth stand-in's BLE object, once created


def setup(chip="mpu6050", source=None, clock_=None, battery_v=3.9, baro=False):
    # baro: False (no barometer), True (a BMP390 reading the pressure column
    # of the IMU's source), or a pressure source of baro_emulator
    global clock, devices, adc_volts, pins, pwm_log, wdt, i2c_fail, wdt_max_ms
    clock = clock_ if clock_ is not None else rigclock.VirtualClock()
    src = source if source is not None else imu_emulator.StillSource()
    dev = imu_emulator.make(chip, clock, src)
    devices = {dev.addr: dev}
    if baro:
        psrc = baro_emulator.SourcePressure(dev) if baro is True else baro
        b = baro_emulator.BMP390(clock, psrc)
        devices[b.addr] = b
    adc_volts = {}
    pins = {}
    pwm_log = []
    wdt = None
    wdt_max_ms = None
    i2c_fail = 0
    set_battery(battery_v)
    return dev


def set_battery(volts, divider=2.0):
    for p in (1, 2, 26):
        adc_volts[p] = volts / divider


def ensure():
    # Defaults for a virtual board started without a test around it.
    if clock is not None:
        return
    path = None
    try:
        path = os.getenv("DORSAL_IMU_STREAM")
    except AttributeError:
        path = None
    source = None
    if path:
        source = imu_emulator.StreamSource(open(path, "rb"))
    chip = None
    try:
        chip = os.getenv("DORSAL_IMU_CHIP")
    except AttributeError:
        chip = None
    baro = False
    try:
        baro = os.getenv("DORSAL_BARO") == "1"
    except AttributeError:
        baro = False
    setup(chip or "mpu6050", source, rigclock.RealClock(), baro=baro)


def imu():
    ensure()
    for a in devices:
        if a != 0x77:
            return devices[a]
    return None


def baro():
    ensure()
    return devices.get(0x77)
