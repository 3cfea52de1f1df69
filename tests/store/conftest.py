"""Fixtures of the store tests; the helpers live in store_fixtures.py (importable by the tests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from store_fixtures import MORNING, desk_day  # noqa: E402


@pytest.fixture
def morning() -> dict[str, Any]:
    return desk_day(**MORNING)  # type: ignore[arg-type]
