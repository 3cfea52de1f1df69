"""For commands of the stable CLI whose implementation has not landed yet."""

from __future__ import annotations

import argparse

from dorsal.errors import NotBuiltYet


def pending(area: str) -> NotBuiltYet:
    return NotBuiltYet(f"not built yet: this command comes with the {area} work; nothing was done")


def accept_anything(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
