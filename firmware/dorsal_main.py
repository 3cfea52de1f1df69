# Start-up: safe mode, watchdog, links, then the app's loop.
#
# Safe mode skips the app and leaves the REPL free (for flashing and repair)
# when: the button is held during the first SAFE_WINDOW_MS, the flag file
# `dorsal_safe_mode` exists (the host's reboot-to-safe-mode command writes
# it; it is removed on entry so the next reset runs normally), or the last
# CRASH_LIMIT starts all ended within HEALTHY_AFTER_MS (a crash loop). The
# watchdog starts only after that window, so a bad build can always be
# reached, and it is fed only while the sampler drains the FIFO.

import os
import sys

import dorsal_boards
import dorsal_config

SAFE_FLAG = "dorsal_safe_mode"
CRASH_FILE = "dorsal_crashes"
CRASH_LIMIT = 3
SAFE_WINDOW_MS = 2000
WDT_TIMEOUT_MS = 8000  # under the RP2040's 8388 ms limit
REPL_WDT_MS = 24 * 3600 * 1000  # after Ctrl-C: the REPL session's watchdog (where the port allows it)


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _read_int(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or "0")
    except (OSError, ValueError):
        return 0


def _watchdog_for_repl(machine):
    # The app's watchdog keeps running at the REPL (and through soft resets).
    # On the ESP32 a new WDT only reconfigures the task watchdog, so the REPL
    # gets a day; the RP2040's tops out at 8.4 s and cannot be stopped.
    try:
        machine.WDT(timeout=REPL_WDT_MS)
        return True
    except (ValueError, OSError):
        return False


def _write_int(path, value):
    with open(path + ".tmp", "w") as f:
        f.write(str(value))
    os.rename(path + ".tmp", path)


def button_held(machine, board, clock):
    # True if the button stays pressed through the safe-mode window
    b = board["button"]
    if b == "bootsel":
        try:
            import rp2

            read = rp2.bootsel_button
        except ImportError:
            return False
    else:
        pin = machine.Pin(b, machine.Pin.IN, machine.Pin.PULL_UP)

        def read():
            return pin.value() == 0

    t0 = clock.ticks_ms()
    while clock.ticks_diff(clock.ticks_ms(), t0) < SAFE_WINDOW_MS:
        if not read():
            return False
        clock.sleep_ms(50)
    return True


def safe_mode_reason(machine, board, clock):
    # -> reason text, or None to run the app (the crash counter is updated)
    if _exists(SAFE_FLAG):
        os.remove(SAFE_FLAG)
        return "requested (flag file)"
    crashes = _read_int(CRASH_FILE) + 1
    _write_int(CRASH_FILE, crashes)
    if crashes > CRASH_LIMIT:
        _write_int(CRASH_FILE, 0)
        return "%d quick restarts in a row" % (crashes - 1)
    if button_held(machine, board, clock):
        return "button held at start"
    return None


def main(clock=None, machine=None, ble=None, duration_ms=None, stdin=None, stdout=None):
    import time

    if machine is None:
        import machine
    if clock is None:
        clock = time
    cfg, problem = dorsal_config.load()
    name = cfg.get("board")
    if name is None:
        try:
            name = dorsal_boards.detect(os.uname().machine)
        except AttributeError:
            name = None
    board = dorsal_boards.get(name or dorsal_boards.DEFAULT_BOARD)
    reason = safe_mode_reason(machine, board, clock)
    if reason is not None:
        print("dorsal: safe mode (%s); the app is not running. Reset to leave." % reason)
        return "safe"
    # The radio before the backlog: NimBLE takes its memory from the RAM the
    # MicroPython heap also grows into, and an ESP32-C3 has been seen to
    # crash when BLE started after large arrays (micropython#14293).
    if ble is None and board.get("radio"):
        try:
            import bluetooth

            ble = bluetooth.BLE()
            ble.active(True)
        except (ImportError, OSError) as e:
            print("dorsal: no Bluetooth (%s); USB serial only" % e)
            ble = None
    # the backlog's ring next, in one piece, before the app's code is loaded
    import gc

    gc.collect()
    ring = bytearray(board["backlog_samples"] * 22)
    import dorsal_app
    import dorsal_usb

    backlog = dorsal_app.Backlog(board["backlog_samples"], ring)
    app = dorsal_app.App(machine, clock, board=board["name"], ble=ble, backlog=backlog)
    if problem:
        print("dorsal:", problem)
    usb = dorsal_usb.UsbLink(app, stdin, stdout)
    wdt = machine.WDT(timeout=WDT_TIMEOUT_MS)
    start = clock.ticks_ms()
    healthy = False
    try:
        while duration_ms is None or clock.ticks_diff(clock.ticks_ms(), start) < duration_ms:
            app.run(duration_ms=1000, links=(usb,), wdt=wdt)
            if not healthy and clock.ticks_diff(clock.ticks_ms(), start) >= 30000:
                _write_int(CRASH_FILE, 0)
                healthy = True
    except KeyboardInterrupt:
        _write_int(CRASH_FILE, 0)
        if _watchdog_for_repl(machine):
            print("dorsal: stopped (Ctrl-C); the REPL is yours")
        else:
            print("dorsal: stopped (Ctrl-C); this board's watchdog cannot be stopped and restarts it in %d s: "
                  "hold the button while it resets for safe mode" % (WDT_TIMEOUT_MS // 1000))
        return "interrupted"
    return "done"


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
