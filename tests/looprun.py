"""Running one test's coroutine in a fresh event loop (the virtual radio binds to the loop it was made in)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any


def run_in_fresh_loop(make: Callable[[], Awaitable[Any]], timeout_s: float) -> Any:
    """Run a coroutine in a fresh event loop, with a timeout.

    The firmware app collects garbage once per loop (a few ms on a board's small heap). In this process a
    full collection walks everything pytest and numpy allocated (20-40 ms, blocking the radio's event
    loop, whoever triggers it): what exists before the test is frozen, so collections only see new garbage.
    """

    async def bounded() -> Any:
        return await asyncio.wait_for(make(), timeout_s)

    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(bounded())
    finally:
        gc.unfreeze()
