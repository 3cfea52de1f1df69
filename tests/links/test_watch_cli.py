"""`dorsal watch` and `dorsal scan` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from dorsal.recording import ENTRY_HEAD, read_recording

BIN = Path(sys.executable).parent / "dorsal"
KEYS = {"frames", "samples", "samples_lost", "samples_recovered", "latency_ms_p50", "latency_ms_p99", "decode_errors"}


def dorsal(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=timeout)


def _has_bluetooth_adapter() -> bool:
    return Path("/sys/class/bluetooth").is_dir() and any(Path("/sys/class/bluetooth").iterdir())


def test_scan_without_an_adapter_says_so_in_one_line_and_fails() -> None:
    if _has_bluetooth_adapter():
        import pytest

        pytest.skip("this machine has a Bluetooth adapter: the no-adapter message cannot be shown")
    for args in (("scan",), ("watch", "--ble", "--headless", "--duration", "1s", "--json")):
        r = dorsal(*args)
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "no Bluetooth adapter" in lines[0] and "Traceback" not in r.stderr


def test_watch_sim_over_the_virtual_radio_prints_link_statistics_and_records_a_replayable_file(
        tmp_path: Path) -> None:
    rec = tmp_path / "session.dorsal"
    r = dorsal("watch", "--sim", "desk-day", "--link", "ble", "--record", str(rec), "--headless", "--duration", "6s",
               "--json")
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert KEYS <= set(stats)
    # real time: on a loaded machine the radio and the simulated wearable take a while to start
    assert stats["samples"] >= 50 and stats["frames"] >= 5 and stats["samples_lost"] == 0, stats
    assert stats["decode_errors"] == 0 and stats["mtu"] == 247 and stats["latency_ms_p99"] is not None
    recording = read_recording(rec)
    assert recording.ok and recording.header["source"] == "ble"
    assert recording.header["device"]["imu"] == "icm42688p"
    seqs = np.unique(recording.samples["seq"])
    assert seqs.size >= stats["samples"]  # everything handed out was recorded
    replay = dorsal("watch", "--replay", str(rec), "--speed", "0", "--headless", "--json")
    assert replay.returncode == 0, replay.stderr
    again = json.loads(replay.stdout)
    assert again["samples"] == seqs.size and again["state"] == "ended" and again["samples_lost"] == 0


def test_replay_duration_counts_recorded_time_when_a_speed_is_given(tmp_path: Path) -> None:
    rec = tmp_path / "s.dorsal"
    r = dorsal("watch", "--sim", "--link", "serial", "--record", str(rec), "--headless", "--duration", "3s", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["samples"] >= 150
    part = json.loads(dorsal("watch", "--replay", str(rec), "--speed", "4", "--headless", "--duration", "1s",
                             "--json").stdout)
    assert 1.0 <= part["device_s"] <= 1.2 and 100 <= part["samples"] <= 125


def test_a_killed_watch_leaves_a_recording_that_loses_at_most_the_last_partial_entry(tmp_path: Path) -> None:
    rec = tmp_path / "killed.dorsal"
    p = subprocess.Popen([str(BIN), "watch", "--sim", "--link", "ble", "--record", str(rec), "--headless",
                          "--duration", "60s"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.monotonic() + 40
    while (not rec.exists() or rec.stat().st_size < 3000) and time.monotonic() < end:
        time.sleep(0.1)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    recording = read_recording(rec)
    assert recording.samples.size >= 50
    assert recording.corrupt_entries == 0
    largest_entry = ENTRY_HEAD.size + 14 + 32 * 22 + 4
    assert recording.truncated_bytes < largest_entry
    seq = recording.samples["seq"]
    assert np.all(np.diff(seq) == 1)


def test_watch_without_a_source_or_with_a_bad_replay_file_is_one_clear_line(tmp_path: Path) -> None:
    r = dorsal("watch", "--headless")
    assert r.returncode != 0 and "choose a source" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "not-a-recording"
    bad.write_bytes(b"hello")
    r = dorsal("watch", "--replay", str(bad), "--headless", "--json")
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
