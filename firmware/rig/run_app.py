# Runs the firmware app on the rig: emulated IMU fed from an IMU stream file
# (float32 rows ax ay az gx gy gz [pressure], the simulator's format), on
# virtual time, with the USB link on stdin/stdout. Used by the tests and the
# simulator's MicroPython engine:
#
#   MICROPYPATH=firmware/rig:firmware:protocol micropython firmware/rig/run_app.py \
#       CHIP RATE_HZ DURATION_S STREAM_FILE [BOARD [baro]]
#
# With "baro" the stream has a seventh column (pressure, Pa) and a BMP390 sits
# on the bus beside the IMU.
# The host starts the stream with the start command on stdin, as with a board.
import sys

import rigclock
import rigstate
import imu_emulator


def main(argv):
    chip = argv[1]
    rate = int(argv[2])
    duration_s = float(argv[3])
    path = argv[4]
    board = argv[5] if len(argv) > 5 else "virtual"
    baro = len(argv) > 6 and argv[6] == "baro"
    clock = rigclock.VirtualClock()
    columns = 7 if baro else 6
    source = imu_emulator.StreamSource(open(path, "rb"), columns) if path != "-" else imu_emulator.StillSource()
    rigstate.setup(chip, source, clock, baro=baro)
    import machine
    import dorsal_app
    import dorsal_config
    import dorsal_usb

    cfg, _ = dorsal_config.load()
    if cfg.get("rate_hz") != rate or cfg.get("board") != board:
        cfg["rate_hz"] = rate
        cfg["board"] = board
        dorsal_config.save(cfg)
    app = dorsal_app.App(machine, clock, board=board)
    usb = dorsal_usb.UsbLink(app)
    app.run(duration_ms=int(duration_s * 1000), links=(usb,))
    if app.count:
        app._finish_frame()
    app.flush_events()


main(sys.argv)
