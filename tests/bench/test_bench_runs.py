"""Every benchmark runs at a small scale and reports the agreed shape.

Speed is never asserted here (DESIGN.md): `dorsal bench` reports ratios
against baselines measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dorsal import bench

DORSAL = str(Path(sys.executable).with_name("dorsal"))


@pytest.mark.parametrize("name", bench.names())
def test_benchmark_runs_and_reports_samples_per_second(name: str) -> None:
    # the dashboard's memory run feeds simulated hours through the app: its smallest scale is enough here
    result = bench.load(name).run(scale=0.002 if name == "dashboard" else 0.01)
    assert result["samples_per_s"] > 0
    if "baseline_samples_per_s" in result:
        assert result["baseline_samples_per_s"] > 0
    if name == "core":  # the floors it reports its speed against
        assert result["read_floor_samples_per_s"] > 0 and result["numpy_floor_samples_per_s"] > 0
        assert result["numpy_floor_ratio"] > 0


def test_bench_json_is_one_object_with_an_entry_per_benchmark() -> None:
    out = subprocess.run([DORSAL, "bench", "--json", "--only", "decode", "--scale", "0.01"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"decode"}
    assert doc["decode"]["samples_per_s"] > 0 and doc["decode"]["baseline_samples_per_s"] > 0
