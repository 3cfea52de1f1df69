"""Shared by the firmware tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def frozen_heap() -> Iterator[None]:
    """The app collects garbage once per main loop, as on a board, and these tests keep that real
    gc.collect(). In a test worker a full collection walks everything pytest, numpy and the worker's earlier
    test files made (0.1-0.2 s each, most of a 20-s streaming test's CPU time): what exists before this
    file's tests is frozen, so each collection walks what the firmware and the tests made since (as
    looprun.run_in_fresh_loop does for the virtual radio)."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
