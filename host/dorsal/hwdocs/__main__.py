"""``python -m dorsal.hwdocs [OUT_DIR]``: rewrite hardware/ (or write into OUT_DIR)."""

from __future__ import annotations

import sys
from pathlib import Path

from dorsal.hwdocs.generate import generate
from dorsal.paths import HARDWARE_DIR


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HARDWARE_DIR
    for path in generate(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
