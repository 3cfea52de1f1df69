"""The `dorsal` command. The command table is data: {name: (module, summary)}.

Each command lives in ``dorsal.commands.<module>`` and provides
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only
when their command runs (``main`` adds the arguments of the named command
alone), so ``dorsal --help`` stays fast and a command does not pay for the
others' imports (``analyze`` imports the core and scipy.signal: about 1.5 s
of CPU on each start of ``dorsal simulate`` before this).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable

from dorsal import __version__
from dorsal.errors import DorsalError

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "the dashboard on the virtual wearable (no hardware needed)"),
    "watch": ("watch", "the dashboard (or --headless statistics) on a real or virtual source"),
    "scan": ("scan", "nearby wearables: name, address, RSSI, battery"),
    "calibrate": ("calibrate", "capture the neutral posture"),
    "simulate": ("simulate", "write a recording of a simulated scenario"),
    "analyze": ("analyze", "posture summary and events of a recording or IMU CSV"),
    "fuse": ("fuse", "orientation from raw IMU CSV (device or best filter)"),
    "report": ("report", "days and weeks from the history store"),
    "flash": ("flash", "install the firmware on a board running MicroPython"),
    "sim-board": ("sim_board", "start a virtual board and print its serial port"),
    "bench": ("bench", "speed benchmarks against baselines measured in the same run"),
    "doctor": ("doctor", "check this machine for what dorsal needs"),
}


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """Every command in the table; with ``commands``, only those get their arguments (and their modules)."""
    wanted = set(COMMANDS if commands is None else commands)
    parser = argparse.ArgumentParser(
        prog="dorsal",
        description="dorsal: an open wearable posture monitor.",
    )
    parser.add_argument("--version", action="version", version=f"dorsal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary)
        p.set_defaults(_module=module)
        if name in wanted:
            _command_module(module).add_arguments(p)
    return parser


def _command_module(module: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"dorsal.commands.{module}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # the top level has only flags (-h, --version): the first other word names the command
    named = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([named] if named in COMMANDS else [])
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(_command_module(args._module).run(args) or 0)
    except DorsalError as exc:
        print(f"dorsal {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
