"""`dorsal flash` end to end against the virtual board: real mpremote, real mpy-cross, real MicroPython."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import serial
from serial.tools import list_ports

from dorsal.flashing import DeviceInfo, FlashError, check_micropython, expected_firmware_version
from dorsal.protocol import wire
from dorsal.simboard import VirtualBoard

from .conftest import dorsal

VERSION = ".".join(map(str, expected_firmware_version()))


def _flash(board: VirtualBoard, *extra: str):  # type: ignore[no-untyped-def]
    return dorsal("flash", "--port", board.port, *extra)


def test_flash_installs_the_firmware_which_answers_identify_and_streams(board: VirtualBoard) -> None:
    r = _flash(board)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok: firmware {VERSION} answers" in r.stdout
    names = {p.name for p in board.folder.iterdir()}
    assert {"main.py", "boot.py", "dorsal_main.mpy", "dorsal_protocol.mpy", "dorsal_config.json"} <= names
    assert not any(n.endswith(".py") and n not in ("main.py", "boot.py") for n in names)  # all precompiled
    assert json.loads((board.folder / "dorsal_config.json").read_text())["board"] == "virtual"
    # the firmware is running from the board's own filesystem: it streams samples on request
    with serial.serial_for_url(board.port, timeout=0.1) as ser:
        ser.write(wire.frame(wire.encode_command(wire.CMD_START, 7)))
        deframer = wire.Deframer()
        data = []
        deadline = time.monotonic() + 10
        while len(data) < 3 and time.monotonic() < deadline:
            data += [m for m in deframer.feed(ser.read(4096)) if wire.message_type(m) == wire.MSG_DATA]
    assert len(data) >= 3
    assert wire.decode_header(data[0])[4] > 0  # samples in the frame


def test_a_second_flash_copies_nothing_and_keeps_the_calibration(board: VirtualBoard) -> None:
    assert _flash(board).returncode == 0
    cfg_path = board.folder / "dorsal_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["neutral_q14"] = [16000, 120, -3000, 40]
    cfg["alert_deg10"] = 180
    cfg_path.write_text(json.dumps(cfg))
    r = _flash(board)
    assert r.returncode == 0, r.stdout + r.stderr
    # the running firmware (and its watchdog) is left for safe mode before mpremote breaks in
    assert "restarting the board in safe mode" in r.stdout
    assert "copy " not in r.stdout
    assert f"unchanged: {len(list(board.folder.glob('*.*py')))} files" in r.stdout
    assert "calibration kept" in r.stdout
    after = json.loads(cfg_path.read_text())
    assert after["neutral_q14"] == [16000, 120, -3000, 40] and after["alert_deg10"] == 180


def test_a_changed_file_is_the_only_one_copied(board: VirtualBoard) -> None:
    assert _flash(board).returncode == 0
    (board.folder / "dorsal_usb.mpy").write_bytes(b"M\x06stale")
    r = _flash(board)
    assert r.returncode == 0, r.stdout + r.stderr
    copied = [line for line in r.stdout.splitlines() if line.startswith("copy ")]
    assert len(copied) == 1 and copied[0].startswith("copy dorsal_usb.mpy")


def test_dry_run_lists_the_work_and_changes_nothing(board: VirtualBoard) -> None:
    r = _flash(board, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "would copy dorsal_main.mpy" in r.stdout and "would write dorsal_config.json" in r.stdout
    assert not (board.folder / "dorsal_main.mpy").exists()
    assert not (board.folder / "dorsal_config.json").exists()


def test_a_board_that_starts_in_safe_mode_is_one_clear_error(board: VirtualBoard) -> None:
    (board.folder / "dorsal_safe_mode").write_text("")  # the flag the firmware's safe-mode request writes
    r = _flash(board)
    assert r.returncode == 1
    assert "the board started in safe mode (requested (flag file))" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_full_filesystem_is_one_clear_error(board: VirtualBoard) -> None:
    # a file on the board that cannot grow: writing to /dev/full fails with ENOSPC, as a full flash does
    if not os.path.exists("/dev/full"):
        pytest.skip("needs Linux's /dev/full to make a write fail with ENOSPC")
    (board.folder / "dorsal_usb.mpy").symlink_to("/dev/full")
    r = _flash(board)
    assert r.returncode == 1
    assert "the board's filesystem is full (writing dorsal_usb.mpy)" in r.stderr
    assert "Traceback" not in r.stderr


def test_micropython_older_than_1_24_is_refused_with_the_fix() -> None:
    # the unix port here is 1.29: an old board's answer is built by hand (the check is all that differs)
    old = DeviceInfo("/dev/ttyACM0", (1, 23, 0), 0x0A06, "ESP32C3 module", None)
    with pytest.raises(FlashError, match=r"runs MicroPython 1\.23\.0; dorsal needs 1\.24\.0 or newer"):
        check_micropython(old)
    check_micropython(DeviceInfo("/dev/ttyACM0", (1, 24, 0), 0x0A06, "ESP32C3 module", None))


def test_no_board_is_one_clear_error() -> None:
    known = {(0x303A, 0x1001), (0x2E8A, 0x0005)}
    if any((p.vid, p.pid) in known for p in list_ports.comports()):
        pytest.skip("a real board is plugged in")
    r = dorsal("flash")
    assert r.returncode == 1
    assert r.stderr.startswith("dorsal flash: no board found") and len(r.stderr.strip().splitlines()) == 1


def test_micropython_install_for_esp32_names_chip_and_offset(tmp_path: Path) -> None:
    image = tmp_path / "ESP32_GENERIC_C3.bin"
    image.write_bytes(b"\xe9" + bytes(1023))
    for board, chip in (("xiao-esp32c3", "esp32c3"), ("xiao-esp32s3", "esp32s3")):
        r = dorsal("flash", "--micropython", str(image), "--board", board, "--dry-run")
        assert r.returncode == 0, r.stderr
        assert f"esptool --chip {chip} erase-flash" in r.stdout
        assert f"esptool --chip {chip} write-flash 0x0 {image}" in r.stdout


def test_micropython_install_without_a_board_fails_with_one_message(tmp_path: Path) -> None:
    image = tmp_path / "ESP32_GENERIC_C3.bin"
    image.write_bytes(b"\xe9" + bytes(1023))
    missing = tmp_path / "ttyACM9"  # no such port: esptool itself reports it
    r = dorsal("flash", "--micropython", str(image), "--board", "xiao-esp32c3", "--port", str(missing))
    assert r.returncode == 1
    assert r.stderr.startswith("dorsal flash: esptool could not reach the ESP32C3")
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_micropython_install_on_pico_w_explains_uf2(tmp_path: Path) -> None:
    image = tmp_path / "RPI_PICO_W.uf2"
    image.write_bytes(b"UF2\n" + bytes(508))
    r = dorsal("flash", "--micropython", str(image))
    assert r.returncode == 0, r.stderr
    assert "BOOTSEL" in r.stdout and "RPI-RP2" in r.stdout and str(image) in r.stdout


def test_flash_then_watch_serial_records_and_analyze_reads_it(board: VirtualBoard, tmp_path: Path) -> None:
    """The issue's acceptance path: virtual board -> dorsal flash -> the firmware boots from the board's own
    filesystem -> dorsal watch --serial records -> dorsal analyze reads the recording."""
    assert _flash(board).returncode == 0
    rec = tmp_path / "serial.dorsal"
    w = dorsal("watch", "--serial", board.port, "--record", str(rec), "--headless", "--duration", "6s", "--json")
    assert w.returncode == 0, w.stdout + w.stderr
    stats = json.loads(w.stdout.strip().splitlines()[-1])
    assert stats["samples"] >= 300 and stats["samples_lost"] == 0, stats
    a = dorsal("analyze", str(rec), "--json")
    assert a.returncode == 0, a.stderr
    doc = json.loads(a.stdout)
    assert doc["summary"]["duration_s"] >= 3, doc["summary"]
