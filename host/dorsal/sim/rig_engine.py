"""Bridge to the firmware rig (firmware/rig): the firmware's own code produces the frames.

The body-motion simulator's samples go, chunk by chunk, into the rig's register-level IMU (and
barometer) emulators; the firmware's app drains, fuses and frames them on virtual time
(firmware/rig/simdrive.py). Two engines run that same code:

* ``cpython``: in this process, with the firmware's modules loaded apart from ``sys.modules`` so
  several virtual wearables (and the firmware tests) never share the rig's state;
* ``micropython``: inside the real MicroPython unix port (firmware/rig/sim_app.py), over pipes.

Both get the samples as float32 (the stream format of a board's FIFO reader) and give the same
messages.
"""

from __future__ import annotations

import importlib
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import types
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from dorsal.paths import FIRMWARE_DIR, PROTOCOL_DIR

RIG_DIR = FIRMWARE_DIR / "rig"
_SEARCH = [RIG_DIR, FIRMWARE_DIR, PROTOCOL_DIR]
_LOCK = threading.Lock()
T = TypeVar("T")
#: CPython frees the app's garbage by reference counting; a full gc.collect() at the loop's fixed point
#: would cost more than the rest of the simulated device (the firmware tests keep the real one).
_GC_STAND_IN = types.SimpleNamespace(collect=lambda: None)


def _module_names() -> set[str]:
    return {p.stem for d in _SEARCH for p in d.glob("*.py")}


def with_firmware(build: Callable[[dict[str, types.ModuleType]], T]) -> T:
    """Run ``build(modules)`` with the rig, the firmware and the protocol imported as a private set.

    They import each other by plain names (``import machine``, ``import dorsal_imu``), also lazily
    while the app starts, as on a board; so they sit in ``sys.modules`` only while ``build`` runs and
    are taken out again, and whatever was there before is put back. What ``build`` made keeps its
    own modules.
    """
    names = _module_names()
    with _LOCK:
        saved = {n: sys.modules.pop(n) for n in list(sys.modules) if n in names}
        old_path = list(sys.path)
        sys.path[:0] = [str(d) for d in _SEARCH]
        try:
            importlib.invalidate_caches()
            return build({"simdrive": importlib.import_module("simdrive")})
        finally:
            for n in names:
                sys.modules.pop(n, None)
            sys.modules.update(saved)
            sys.path[:] = old_path


def _rows(chunk: Any, has_p: bool) -> tuple[list[tuple[float, ...]], list[float] | None]:
    six = np.hstack([chunk.acc_mps2, chunk.gyr_rps]).astype(np.float32).astype(np.float64)
    rows = [tuple(r) for r in six.tolist()]
    press = chunk.pressure_pa.astype(np.float32).astype(np.float64).tolist() if has_p else None
    return rows, press


class _Backend:
    def __init__(self, wearable: Any):
        self.stream = wearable.stream
        self.has_p = self.stream.baro is not None
        self.rate = int(round(self.stream.rate_hz))
        self.imu = wearable.imu
        self.board = wearable.board

    def _check(self, first_ms: int, period_us: int) -> None:
        from dorsal.sim.engine import BOOT_OFFSET_MS

        want = int(round(1e6 / self.stream.rate_hz))
        if period_us != want:
            raise RuntimeError(f"the firmware runs the {self.imu} at a {period_us} us period, the simulated chip at "
                               f"{want} us: choose a rate the chip offers")
        if first_ms != BOOT_OFFSET_MS:
            raise RuntimeError(f"the firmware's first sample came at {first_ms} ms, not {BOOT_OFFSET_MS} ms")

    def _messages(self, sent: list[tuple[int, bytes]]) -> list[Any]:
        from dorsal.sim.engine import BOOT_OFFSET_MS, WireMessage

        return [WireMessage((t_ms - BOOT_OFFSET_MS) / 1000.0, m) for t_ms, m in sent]


class CPythonRig(_Backend):
    """The firmware app in this process (engine ``cpython``)."""

    def __init__(self, wearable: Any):
        from dorsal.sim.engine import BOOT_OFFSET_MS

        super().__init__(wearable)
        self.tmp = tempfile.TemporaryDirectory(prefix="dorsal-rig-")
        config = str(Path(self.tmp.name) / "dorsal_config.json")
        self.drive = with_firmware(lambda m: m["simdrive"].make(self.imu, self.rate, self.board, self.has_p, config,
                                                                BOOT_OFFSET_MS, _GC_STAND_IN))
        self._check(self.drive.first_sample_ms(), self.drive.period_us())

    def encode(self, chunk: Any) -> list[Any]:
        rows, press = _rows(chunk, self.has_p)
        self.drive.source.add(rows, press)
        sent = self.drive.finish() if self.stream.done else self.drive.advance()
        return self._messages(sent)

    def close(self) -> None:
        self.tmp.cleanup()


class ProcessRig(_Backend):
    """The firmware app in a child interpreter (firmware/rig/sim_app.py over pipes).

    With MicroPython's unix port this is the ``micropython`` engine. With ``pipelined`` the child works on
    one chunk while this process makes the next (a reader thread collects its replies), so a long
    ``dorsal simulate`` uses both cores; ``next_messages`` then returns what the device has sent so far,
    the same messages in the same order, grouped differently.
    """

    def __init__(self, wearable: Any, exe: str, pipelined: bool = False):
        from dorsal.sim.engine import BOOT_OFFSET_MS

        super().__init__(wearable)
        self.pipelined = pipelined
        self.tmp = tempfile.TemporaryDirectory(prefix="dorsal-rig-proc-")
        search = os.pathsep.join(str(d) for d in _SEARCH)
        env = dict(os.environ, MICROPYPATH=search, PYTHONPATH=search)
        self.proc = subprocess.Popen(
            [exe, str(RIG_DIR / "sim_app.py"), self.imu, str(self.rate), self.board, "1" if self.has_p else "0",
             str(BOOT_OFFSET_MS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.tmp.name, env=env)
        first = self._reply()
        first_ms, period_us = struct.unpack("<iI", first[0][1])
        self._check(first_ms, period_us)
        self.sent_chunks = 0
        self.replies: queue.Queue[list[tuple[int, bytes]] | BaseException] = queue.Queue()
        self.reader: threading.Thread | None = None
        if pipelined:
            self.reader = threading.Thread(target=self._read_all, daemon=True)
            self.reader.start()

    def _read(self, n: int) -> bytes:
        assert self.proc.stdout is not None
        b = self.proc.stdout.read(n)
        if len(b) < n:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            raise RuntimeError(f"the firmware in the child interpreter stopped (exit {self.proc.wait()}): "
                               f"{err[-800:]}")
        return b

    def _reply(self) -> list[tuple[int, bytes]]:
        total = struct.unpack("<I", self._read(4))[0]
        blob = self._read(total) if total else b""
        out, pos = [], 0
        while pos < total:
            n, t_ms = struct.unpack_from("<HI", blob, pos)
            out.append((t_ms, blob[pos + 6 : pos + 6 + n]))
            pos += 6 + n
        return out

    def _read_all(self) -> None:
        try:
            while True:
                self.replies.put(self._reply())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.replies.put(exc)

    def _take(self, block: bool) -> list[tuple[int, bytes]]:
        item = self.replies.get(block=block)
        if isinstance(item, BaseException):
            raise item
        return item

    def encode(self, chunk: Any) -> list[Any]:
        assert self.proc.stdin is not None
        cols = [chunk.acc_mps2, chunk.gyr_rps] + ([chunk.pressure_pa[:, None]] if self.has_p else [])
        rows = np.ascontiguousarray(np.hstack(cols), dtype="<f4")
        done = self.stream.done
        self.proc.stdin.write(struct.pack("<I", rows.shape[0]) + rows.tobytes())
        self.sent_chunks += 1
        if done:
            self.proc.stdin.write(struct.pack("<I", 0xFFFFFFFF))
            self.sent_chunks += 1  # the finish has a reply of its own
        self.proc.stdin.flush()
        sent: list[tuple[int, bytes]] = []
        if not self.pipelined:
            for _ in range(2 if done else 1):
                sent += self._reply()
            self.sent_chunks -= 2 if done else 1
        else:
            while self.sent_chunks and (done or not self.replies.empty()):
                sent += self._take(block=True)
                self.sent_chunks -= 1
        if done:
            self.close()
        return self._messages(sent)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.proc.stdin and not self.proc.stdin.closed:
                    self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.tmp.cleanup()


def make_backend(wearable: Any, engine: str, pipelined: bool = False) -> Any:
    """``cpython``: in this process, or (``pipelined``) in a child CPython working beside this one;
    ``micropython``: in the unix port."""
    if engine == "cpython":
        return ProcessRig(wearable, sys.executable, pipelined=True) if pipelined else CPythonRig(wearable)
    if engine == "micropython":
        from dorsal.sim.micropython_engine import micropython_binary

        return ProcessRig(wearable, micropython_binary(), pipelined=pipelined)
    raise ValueError(f"unknown rig engine {engine!r}")
