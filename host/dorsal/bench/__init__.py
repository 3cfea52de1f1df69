"""Benchmarks behind `dorsal bench`: one module per benchmark in this package.

Each module (name not starting with "_") defines ``DESCRIPTION`` and
``run(scale: float = 1.0) -> dict``. The dict holds at least
``samples_per_s`` and, where a baseline exists, ``baseline_samples_per_s``
measured in the same run (so results are ratios, not absolute promises).
``scale`` shrinks the workload (tests run every benchmark at a small scale to
check it works; they never assert on speed).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from typing import Any


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> Any:
    return importlib.import_module(f"{__name__}.{name}")


def best_rate(fn: Callable[[], int], repeats: int = 3) -> float:
    """Items per second of ``fn`` (which returns its item count): the best of ``repeats`` runs."""
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        dt = time.perf_counter() - t0
        best = max(best, n / dt if dt > 0 else float("inf"))
    return best
