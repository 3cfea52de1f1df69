"""Shared by the core's tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dorsal.recording import read_recording

DORSAL = str(Path(sys.executable).with_name("dorsal"))


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """Four minutes of the simulator's unsafe-frequent-twists scenario (seed 5, with its barometer): sitting,
    slouching and twisting, for the streaming tests."""
    out = tmp_path_factory.mktemp("sim") / "twists.dorsal"
    subprocess.run([DORSAL, "simulate", "--scenario", "unsafe-frequent-twists", "--duration", "240s", "--out",
                    str(out), "--seed", "5"], check=True, capture_output=True, timeout=300)
    return read_recording(out).samples


@pytest.fixture(scope="session")
def long_sitting(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dict]:
    """The simulator's unsafe-long-sitting scenario (seed 3, encoder engine, ~10 s to make): one sitting bout of
    ~8060 s begun at the start, then standing to 9000 s. Returns the samples in sequence order and the truth."""
    import json

    tmp = tmp_path_factory.mktemp("long")
    out, truth = tmp / "long.dorsal", tmp / "long.json"
    subprocess.run([DORSAL, "simulate", "--scenario", "unsafe-long-sitting", "--engine", "encoder", "--out", str(out),
                    "--truth", str(truth), "--seed", "3"], check=True, capture_output=True, timeout=300)
    samples = read_recording(out).samples
    return samples[np.argsort(samples["seq"], kind="stable")], json.loads(truth.read_text())
