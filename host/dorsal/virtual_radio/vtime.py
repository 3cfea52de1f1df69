"""Virtual time for the virtual radio: an asyncio event loop whose clock jumps to the next timer when idle.

``VirtualTimeLoop.time()`` returns virtual seconds. Whenever nothing is ready to run, the loop does not
sleep until its next timer: it polls its file descriptors without waiting and, when none is ready,
moves its clock forward by the time it would have slept. Everything paced by the loop's timers
(``asyncio.sleep``, ``call_later``/``call_at``, ``wait_for`` timeouts, Bumble, the bleak backend on the
radio, the timed link model, the wearable's ``LoopClock``) then runs as fast as the CPU allows, in the
same order of events as in real time: a 2-hour session with the firmware on the radio takes minutes.

Code on this loop must read time from the loop (``loop.time()``), not ``time.monotonic()``. CPU work
takes no virtual time; a blocking sleep can be made to take it with ``advance``.

Waiting with no timer at all (``select`` without a timeout: only I/O or another thread can wake the
loop) waits in real time, as a real loop would; nothing moves the virtual clock then.

    result = vtime.run(main())            # like asyncio.run, on virtual time
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class _VirtualSelector(selectors.BaseSelector):
    """A real selector that never waits for a timeout: it advances the loop's virtual clock instead."""

    def __init__(self, real: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._real = real
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:
            return self._real.select(None)  # no timer: only I/O or another thread can wake us
        self._loop.advance(timeout)  # the loop then runs the timers due by now
        return []

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on virtual time (see the module notes); ``time()`` starts at ``start_s``."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._virtual_s = float(start_s)
        super().__init__(_VirtualSelector(selectors.DefaultSelector(), self))

    def time(self) -> float:
        return self._virtual_s

    def advance(self, seconds: float) -> None:
        """Move the clock forward (a blocking sleep on virtual time: nothing else runs meanwhile)."""
        if seconds < 0:
            raise ValueError(f"virtual time cannot go back ({seconds} s)")
        self._virtual_s += seconds


def is_virtual(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` runs on virtual time."""
    return isinstance(loop, VirtualTimeLoop)


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """``asyncio.run(main)`` on a fresh ``VirtualTimeLoop``."""
    with asyncio.Runner(debug=debug, loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)
