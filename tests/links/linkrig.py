"""Helpers for the link tests (conftest.py puts this folder on the path): a fresh event loop per test."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

TEST_TIMEOUT_S = 60


def run(make: Callable[[], Awaitable[Any]], timeout_s: float = TEST_TIMEOUT_S) -> Any:
    """Run a coroutine in a fresh event loop, with a timeout.

    What exists before the test is frozen for the garbage collector: a full collection over pytest's and
    numpy's objects blocks the radio's event loop for tens of milliseconds.
    """

    async def bounded() -> Any:
        return await asyncio.wait_for(make(), timeout_s)

    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(bounded())
    finally:
        gc.unfreeze()
