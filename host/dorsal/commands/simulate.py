"""`dorsal simulate`: not built yet (virtual wearable (issue 4))."""

from __future__ import annotations

import argparse

from dorsal.commands._pending import accept_anything, pending


def add_arguments(parser: argparse.ArgumentParser) -> None:
    accept_anything(parser)


def run(args: argparse.Namespace) -> int:
    raise pending("virtual wearable (issue 4)")
