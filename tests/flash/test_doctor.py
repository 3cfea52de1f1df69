"""`dorsal doctor`: one line per check with its fix; exit 0 unless something is fatal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dorsal.commands.doctor import check_bluetooth, check_serial
from dorsal.flashing import expected_firmware_version
from dorsal.simboard import VirtualBoard

from .conftest import dorsal


def test_doctor_reports_each_check_and_exits_0_on_this_machine() -> None:
    r = dorsal("doctor", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("ok   python: 3.")
    assert any(line.startswith("ok   package mpremote: 1.29.0") for line in lines)
    bt = [line for line in lines if " bluetooth: " in line]
    assert len(bt) == 1
    if not Path("/sys/class/bluetooth").is_dir() or not any(Path("/sys/class/bluetooth").iterdir()):
        assert bt[0].startswith("warn bluetooth: no Bluetooth adapter found") and "->" in bt[0]


def test_no_adapter_says_what_to_do(tmp_path: Path) -> None:
    c = check_bluetooth(tmp_path / "no-such-dir")
    assert not c.ok and not c.fatal
    assert "no Bluetooth adapter" in c.line() and "dorsal watch --serial" in c.line()


def test_a_port_without_permission_names_the_group_to_join(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may open any port, so a permission problem cannot be made here")
    port = tmp_path / "ttyUSB9"
    port.write_text("")
    port.chmod(0)
    c = check_serial([str(port)])
    assert not c.ok and "usermod -aG" in c.line()


def test_a_flashed_board_reports_the_firmware_version_the_host_expects(board: VirtualBoard) -> None:
    want = ".".join(map(str, expected_firmware_version()))
    r = dorsal("doctor", "--port", board.port, timeout=60)
    assert f"warn board: {board.port}: no answer to IDENTIFY" in r.stdout and f"dorsal flash --port {board.port}" in r.stdout
    assert dorsal("flash", "--port", board.port).returncode == 0
    r = dorsal("doctor", "--port", board.port, timeout=60)
    assert f"ok   board: {board.port}: firmware {want}, as this host expects" in r.stdout, r.stdout
