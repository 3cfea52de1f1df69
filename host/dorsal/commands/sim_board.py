"""`dorsal sim-board`: a virtual board (the MicroPython unix port behind a pty); prints its port."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

from dorsal.errors import DorsalError
from dorsal.simboard import VirtualBoard


def board_names() -> list[str]:
    from dorsal.flashing import boards_module

    return sorted(boards_module().BOARDS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=None,
                        help="the board's filesystem folder (default: a fresh temporary folder)")
    parser.add_argument("--board", default="virtual",
                        help="the board profile it stands in for (firmware/dorsal_boards.py; default: virtual)")
    parser.add_argument("--imu-chip", default=None,
                        help="emulated IMU chip (default: $DORSAL_IMU_CHIP, else mpu6050)")
    parser.add_argument("--imu-stream", type=Path, default=None,
                        help="IMU samples: float32 rows ax ay az gx gy gz, as `dorsal simulate` writes them "
                             "(default: $DORSAL_IMU_STREAM, else lying still)")
    parser.add_argument("--heapsize", default=None, help="interpreter heap, e.g. 256K (default: the port's)")


def run(args: argparse.Namespace) -> int:
    if args.board not in board_names():
        raise DorsalError(f"unknown board {args.board!r} (known: {', '.join(board_names())})")
    env: dict[str, str] = {}
    if args.imu_chip:
        env["DORSAL_IMU_CHIP"] = args.imu_chip
    if args.imu_stream:
        if not args.imu_stream.is_file():
            raise DorsalError(f"no such IMU stream file: {args.imu_stream}")
        env["DORSAL_IMU_STREAM"] = str(args.imu_stream.resolve())
    temp = None
    folder = args.dir
    if folder is None:
        temp = tempfile.TemporaryDirectory(prefix="dorsal-board-")
        folder = Path(temp.name)
    # Ctrl-C stops the board even when the command was started from a shell's background job, which
    # leaves SIGINT ignored (Python then installs no KeyboardInterrupt handler); SIGTERM stops it too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    board = VirtualBoard(folder, board=args.board, env=env, heapsize=args.heapsize)
    port = board.start()
    try:
        print(port, flush=True)
        print(f"virtual board {args.board!r}, filesystem {folder}; Ctrl-C stops it", file=sys.stderr, flush=True)
        board.wait()
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
        if temp is not None:
            temp.cleanup()
    return 0
