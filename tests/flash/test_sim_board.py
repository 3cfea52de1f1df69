"""`dorsal sim-board`: real mpremote drives the real MicroPython unix port through a pty like a board."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import serial

from dorsal.simboard import VirtualBoard

from .conftest import BIN, mpremote


def _read_until(ser: serial.Serial, ending: bytes, timeout_s: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout_s
    while not data.endswith(ending) and ending not in data and time.monotonic() < deadline:
        data += ser.read(ser.in_waiting or 1)
    return data


def test_mpremote_exec_runs_code_on_the_virtual_board(board: VirtualBoard) -> None:
    r = mpremote(board.port, "exec", "print(1+1)")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2\n"


def test_the_board_imports_the_rig_machine_and_names_its_profile(board: VirtualBoard) -> None:
    code = "import machine, os; print(hasattr(machine, 'I2C'), os.getenv('DORSAL_SIM_BOARD'))"
    r = mpremote(board.port, "exec", code)
    assert r.stdout.split() == ["True", "virtual"], r.stdout + r.stderr


def test_mpremote_fs_cp_and_ls_use_the_board_folder(board: VirtualBoard, tmp_path: Path) -> None:
    src = tmp_path / "notes.txt"
    src.write_bytes(bytes(range(256)) * 8)  # every byte value, 2 KB: more than one write chunk
    assert mpremote(board.port, "fs", "cp", str(src), ":notes.txt").returncode == 0
    assert (board.folder / "notes.txt").read_bytes() == src.read_bytes()
    r = mpremote(board.port, "fs", "ls")
    assert "notes.txt" in r.stdout, r.stdout + r.stderr
    back = tmp_path / "back.txt"
    assert mpremote(board.port, "fs", "cp", ":notes.txt", str(back)).returncode == 0
    assert back.read_bytes() == src.read_bytes()


def test_soft_reset_from_the_repl_runs_main_py_from_the_board_folder(board: VirtualBoard) -> None:
    (board.folder / "main.py").write_text("import os\nprint('main.py ran in', os.getcwd())\n")
    with serial.serial_for_url(board.port, timeout=0.1) as ser:
        ser.write(b"\r\x03\r\x02")  # interrupt, friendly REPL
        _read_until(ser, b"for more information.\r\n>>> ")
        time.sleep(0.3)
        ser.read(ser.in_waiting)
        ser.write(b"\x04")  # Ctrl-D: soft reset
        out = _read_until(ser, b"for more information.\r\n>>> ")
    assert b"MPY: soft reboot" in out
    assert f"main.py ran in {board.folder}".encode() in out
    assert board.resets == 1


def test_mpremote_soft_reset_stays_in_the_raw_repl_without_main_py(board: VirtualBoard) -> None:
    # as on a board: Ctrl-D in the raw REPL reboots but runs boot.py only
    assert mpremote(board.port, "exec", "pass").returncode == 0  # powered on (before the files exist)
    resets = board.resets
    (board.folder / "boot.py").write_text("open('booted', 'a').write('b')\n")
    (board.folder / "main.py").write_text("open('main_ran', 'w').write('m')\n")
    r = mpremote(board.port, "soft-reset", "exec", "print(open('booted').read())")
    assert r.returncode == 0, r.stderr
    # written after power-on, boot.py ran at each of mpremote's soft resets
    assert set(r.stdout.strip()) == {"b"} and board.resets - resets == len(r.stdout.strip())
    assert not (board.folder / "main_ran").exists()


def test_ctrl_c_interrupts_a_program_that_never_reads_its_input(board: VirtualBoard) -> None:
    with serial.serial_for_url(board.port, timeout=0.1) as ser:
        ser.write(b"\r\x03\r\x01")
        _read_until(ser, b"raw REPL; CTRL-B to exit\r\n>")
        ser.write(b"while True:\n    pass\n\x04")
        assert _read_until(ser, b"OK", 5).endswith(b"OK")
        time.sleep(0.3)
        ser.write(b"\x03")
        out = _read_until(ser, b"\x04>", 5)
    assert b"KeyboardInterrupt" in out
    assert board.resets == 0  # interrupted, not restarted


def test_machine_reset_restarts_the_board_and_runs_main_py(board: VirtualBoard) -> None:
    (board.folder / "main.py").write_text("open('main_ran', 'a').write('m')\n")
    mpremote(board.port, "exec", "import machine; machine.reset()", timeout=15)
    deadline = time.monotonic() + 10
    while not (board.folder / "main_ran").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    # main.py ran after the reset (a second run can follow when mpremote's closing bytes reach the new
    # REPL under load, as they could on a board that comes back quickly)
    ran = (board.folder / "main_ran").read_text()
    assert ran and set(ran) == {"m"}


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_dorsal_sim_board_prints_its_port_and_stops_on_ctrl_c(tmp_path: Path, sigint: str) -> None:
    # "ignored": started from a shell's background job (as `make test &` does), which leaves SIGINT ignored
    folder = tmp_path / "fs"
    inherit = signal.SIG_IGN if sigint == "ignored" else signal.SIG_DFL
    proc = subprocess.Popen([str(BIN / "dorsal"), "sim-board", "--dir", str(folder)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, inherit))
    try:
        port = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert os.path.exists(port), port
        r = mpremote(port, "exec", "open('hello.txt', 'w').write('hi')")
        assert r.returncode == 0, r.stderr
        assert (folder / "hello.txt").read_text() == "hi"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=15)  # its own stop allows 5 s for the relay thread, 5 s for the interpreter
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"sim-board did not stop within 15 s of Ctrl-C: {proc.communicate()[1]}") from None
    assert rc == 0
    assert not os.path.exists(port)
