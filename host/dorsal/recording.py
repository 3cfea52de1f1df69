"""The recording file: a header, then the wire messages as received.

Layout (protocol/SPEC.md, "Recording file", is the normative description):

    magic  b"DORSALREC1\\n"  (11 bytes)
    u32    header length H, then H bytes of UTF-8 JSON, then u32 CRC-32 of them
    entries, each:  u16 payload length L, u8 kind, f64 receive time (s since
                    the header's ``start_unix_s``), L payload bytes,
                    u32 CRC-32 of the 11 head bytes and the payload

Append-only: the writer flushes every entry to the OS, so a crash loses at
most the entry being written; the reader stops at a truncated tail and skips
(and counts) entries whose CRC fails.

Analysis notes: the dashboard notes every calibration and settings change its
live analysis takes, so that a reader analyses the session as it was seen:

    {"analysis": "calibration", "calibration": {Calibration.to_dict()}, "device_t_s": T}
    {"analysis": "settings", "settings": {fields that differ from the defaults}, "device_t_s": T}

T is the device time (s, the samples' t_s as decoded) of the newest sample the
analysis had seen when the change was made; null when none had arrived (the
analysis starts with it). The change applies from the whole second after T,
counted from the analysis' first sample (core.Analyzer.set_calibration). A
settings note holds the whole settings, as the fields that differ from the
defaults (the other fields take the reader's own, so a re-analysis keeps
improved defaults). The analysis' start is noted too: the settings it began
with, and its calibration if it had one. ``analysis_changes`` reads them
back; ``analysis_input`` gives what `dorsal analyze` and the store's rebuild
analyse.

A device that restarted mid-session (its seq and clock began again) is read as
the live link handed it out: ``read_recording`` maps each new boot to follow on
(dorsal.boots), with the link's ``device_restart`` notes' shifts when they
match, and warns once per restart (``problems``).
"""

from __future__ import annotations

import json
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator

import numpy as np

from dorsal.boots import map_recording, restart_problem
from dorsal.decode import PRESSURE_DTYPE, SAMPLE_DTYPE, UnwrapState, decode_pressure, decode_samples, fill_pressure
from dorsal.errors import DorsalError
from dorsal.protocol import ProtocolError, wire

MAGIC = b"DORSALREC1\n"
ENTRY_HEAD = struct.Struct("<HBd")
CRC = struct.Struct("<I")

KIND_MESSAGE = 0  # a wire message (reassembled/deframed), exactly as received
KIND_NOTE = 1  # a UTF-8 JSON object: the analysis' calibration or settings change, pain report, link event

if TYPE_CHECKING:
    from dorsal.core import Calibration, Settings


class RecordingError(DorsalError):
    """The file is not a dorsal recording, or its header is damaged."""


@dataclass
class Recording:
    """Everything readable from a recording file."""

    path: Path
    header: dict[str, Any]
    #: SAMPLE_DTYPE, shape (N,), in file order; a device's restart mid-session mapped to follow on (dorsal.boots)
    samples: np.ndarray
    sample_rx_s: np.ndarray  # float64, shape (N,), receive time of each sample's frame
    messages: list[tuple[float, bytes]]  # non-sample messages (rx time, bytes)
    notes: list[tuple[float, dict[str, Any]]]
    entries: int = 0
    corrupt_entries: int = 0
    undecodable_messages: int = 0
    truncated_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    #: the barometer's readings (PRESSURE_DTYPE), already joined into samples["pressure_pa"]
    pressure: np.ndarray = field(default_factory=lambda: np.zeros(0, PRESSURE_DTYPE))

    @property
    def ok(self) -> bool:
        return not self.problems


class RecordingWriter:
    """Appends entries to a recording; every entry reaches the OS before the call returns."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any], fsync_every_s: float = 1.0):
        self.path = Path(path)
        header = dict(header)
        header.setdefault("start_unix_s", time.time())
        header.setdefault("format", 1)
        self.header = header
        self.start_unix_s = float(header["start_unix_s"])
        self._fsync_every_s = fsync_every_s
        self._last_sync = time.monotonic()
        self._file: BinaryIO = open(self.path, "wb")
        blob = json.dumps(header, sort_keys=True).encode()
        self._file.write(MAGIC + CRC.pack(len(blob)) + blob + CRC.pack(zlib.crc32(blob)))
        self._file.flush()

    def _append(self, kind: int, payload: bytes, rx_unix_s: float | None) -> None:
        if len(payload) > 0xFFFF:
            raise ValueError("entry payload longer than 65535 bytes")
        t = (time.time() if rx_unix_s is None else rx_unix_s) - self.start_unix_s
        head = ENTRY_HEAD.pack(len(payload), kind, t)
        self._file.write(head + payload + CRC.pack(zlib.crc32(payload, zlib.crc32(head))))
        self._file.flush()
        now = time.monotonic()
        if now - self._last_sync >= self._fsync_every_s:
            os.fsync(self._file.fileno())
            self._last_sync = now

    def write_message(self, message: bytes, rx_unix_s: float | None = None) -> None:
        self._append(KIND_MESSAGE, bytes(message), rx_unix_s)

    def write_note(self, note: dict[str, Any], rx_unix_s: float | None = None) -> None:
        self._append(KIND_NOTE, json.dumps(note, sort_keys=True).encode(), rx_unix_s)

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_header(data: bytes, path: Path) -> tuple[dict[str, Any], int]:
    if not data.startswith(MAGIC):
        raise RecordingError(f"{path}: not a dorsal recording (bad magic)")
    pos = len(MAGIC)
    if len(data) < pos + 4:
        raise RecordingError(f"{path}: recording header truncated")
    (hlen,) = CRC.unpack_from(data, pos)
    pos += 4
    if len(data) < pos + hlen + 4:
        raise RecordingError(f"{path}: recording header truncated")
    blob = data[pos : pos + hlen]
    if CRC.unpack_from(data, pos + hlen)[0] != zlib.crc32(blob):
        raise RecordingError(f"{path}: recording header damaged (CRC mismatch)")
    try:
        header = json.loads(blob)
    except ValueError as exc:
        raise RecordingError(f"{path}: recording header is not JSON ({exc})") from None
    return header, pos + hlen + 4


def iter_entries(data: bytes, pos: int, rec: Recording | None = None) -> Iterator[tuple[int, float, int, int]]:
    """Yields (kind, rx_s, payload offset, payload length) for each intact entry."""
    n = len(data)
    head_size = ENTRY_HEAD.size
    while pos < n:
        if pos + head_size > n:
            if rec is not None:
                rec.truncated_bytes = n - pos
            return
        length, kind, t = ENTRY_HEAD.unpack_from(data, pos)
        end = pos + head_size + length + 4
        if end > n:
            if rec is not None:
                rec.truncated_bytes = n - pos
            return
        crc = zlib.crc32(data[pos : pos + head_size + length])
        if CRC.unpack_from(data, end - 4)[0] != crc:
            if rec is not None:
                rec.corrupt_entries += 1
            pos = end
            continue
        yield kind, t, pos + head_size, length
        pos = end


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read everything that is intact; problems are listed, not raised.

    Raises RecordingError only when nothing can be read (missing file, bad
    magic, damaged header).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{p}: cannot read ({exc.strerror})") from None
    header, pos = _read_header(data, p)
    rec = Recording(p, header, np.zeros(0, SAMPLE_DTYPE), np.zeros(0), [], [])
    offsets: list[int] = []
    lengths: list[int] = []
    rx: list[float] = []
    frame_entries: list[int] = []  # the entry number of each data frame, and of each other message
    message_entries: list[int] = []
    for kind, t, off, length in iter_entries(data, pos, rec):
        rec.entries += 1
        if kind == KIND_NOTE:
            try:
                rec.notes.append((t, json.loads(data[off : off + length])))
            except ValueError:
                rec.corrupt_entries += 1
            continue
        if kind != KIND_MESSAGE or length < 2:
            rec.undecodable_messages += 1
            continue
        mtype = data[off + 1]
        if mtype in (wire.MSG_DATA, wire.MSG_DATA_BACKLOG):
            ok = length >= wire.HEADER_SIZE and data[off + 12] > 0
            if not ok or length != wire.HEADER_SIZE + data[off + 12] * data[off + 13]:
                rec.undecodable_messages += 1
                continue
            offsets.append(off)
            lengths.append(length)
            rx.append(t)
            frame_entries.append(rec.entries)
        else:
            rec.messages.append((t, data[off : off + length]))
            message_entries.append(rec.entries)
    if offsets:
        # The data frames side by side: other messages (pressure, battery) no longer cut the runs of
        # equal frames that the decoder views as one 2-D array.
        data = b"".join([data[o : o + n] for o, n in zip(offsets, lengths)])
        off_arr = np.concatenate([[0], np.cumsum(lengths[:-1], dtype=np.int64)])
        offsets = off_arr.tolist()
        rx_arr = np.asarray(rx)
        entry_arr = np.asarray(frame_entries, dtype=np.int64)
        try:
            rec.samples = decode_samples(data, off_arr, UnwrapState())
        except ProtocolError:
            # Some header is bad: keep the frames that decode on their own.
            good = np.array([_frame_ok(data, o) for o in offsets], dtype=bool)
            rec.undecodable_messages += int((~good).sum())
            off_arr, rx_arr, entry_arr = off_arr[good], rx_arr[good], entry_arr[good]
            rec.samples = decode_samples(data, off_arr, UnwrapState())
        raw = np.frombuffer(data, np.uint8)
        counts = raw[off_arr + 12].astype(np.int64)
        rec.sample_rx_s = np.repeat(rx_arr, counts)
        period_s = np.repeat((raw[off_arr + 10].astype(np.int64) | raw[off_arr + 11].astype(np.int64) << 8) * 1e-6,
                             counts)
        restarts, starts = map_recording(rec.samples, rec.sample_rx_s, period_s, rec.notes)
        if restarts:
            # the entry each new boot starts at: the messages after it (the barometer's) are of that boot
            boot_entries = np.repeat(entry_arr, counts)[starts]
            _join_pressure(rec, message_entries, boot_entries, np.array([r.t_shift_s for r in restarts]))
            origin = float(rec.samples["t_s"].min())
            rec.problems += [restart_problem(r, origin) for r in restarts]
        else:
            _join_pressure(rec)
    else:
        _join_pressure(rec)
    if rec.truncated_bytes:
        rec.problems.append(f"truncated tail: the last {rec.truncated_bytes} bytes are an incomplete entry")
    if rec.corrupt_entries:
        rec.problems.append(f"{rec.corrupt_entries} damaged entries skipped (CRC mismatch)")
    if rec.undecodable_messages:
        rec.problems.append(f"{rec.undecodable_messages} messages could not be decoded")
    return rec


def _join_pressure(rec: Recording, entries: list[int] | None = None, boot_entries: np.ndarray | None = None,
                   t_shifts: np.ndarray | None = None) -> None:
    """The barometer's channel, when the recording has one, into the samples' pressure_pa.

    After a device's restart (boot_entries: the entry number each new boot starts at, t_shifts: its time
    shift), a message takes the shift of the boot it came in (entries: each message's entry number)."""
    idx = [i for i, (_, m) in enumerate(rec.messages) if len(m) >= 2 and m[1] == wire.MSG_PRESSURE]
    if not idx:
        return
    press = [rec.messages[i][1] for i in idx]
    try:
        rec.pressure = decode_pressure(press)
    except ProtocolError:
        ok = [_pressure_ok(m) for m in press]
        rec.undecodable_messages += ok.count(False)
        idx = [i for i, g in zip(idx, ok) if g]
        press = [m for m, g in zip(press, ok) if g]
        rec.pressure = decode_pressure(press)
    if entries is not None and boot_entries is not None and t_shifts is not None and press:
        boot = np.searchsorted(boot_entries, np.asarray([entries[i] for i in idx]), side="right")
        shift = np.concatenate([[0.0], t_shifts])[boot]
        rec.pressure["t_s"] += np.repeat(shift, [m[12] for m in press])
    fill_pressure(rec.samples, rec.pressure)


def _pressure_ok(message: bytes) -> bool:
    try:
        decode_pressure([message])
    except ProtocolError:
        return False
    return True


def _frame_ok(data: bytes, off: int) -> bool:
    length = wire.HEADER_SIZE + data[off + 12] * data[off + 13]
    try:
        wire.decode_header(data[off : off + length])
    except ProtocolError:
        return False
    return True


# ------------------------------------------------------------------ analysis notes


def calibration_note(calibration: Calibration, device_t_s: float | None) -> dict[str, Any]:
    """The note of a calibration the analysis takes (see the module's docstring)."""
    return {"analysis": "calibration", "calibration": calibration.to_dict(), "device_t_s": device_t_s}


def settings_note(settings: Settings, device_t_s: float | None) -> dict[str, Any]:
    """The note of the settings the analysis takes: the fields that differ from the defaults."""
    from dorsal.core import Settings

    defaults = Settings().to_dict()
    return {"analysis": "settings", "settings": {k: v for k, v in settings.to_dict().items() if defaults[k] != v},
            "device_t_s": device_t_s}


@dataclass(frozen=True)
class AnalysisChange:
    """A calibration or settings change the live analysis took (an analysis note, read back)."""

    #: device time of the newest sample the analysis had seen; None: before the first (from the start)
    device_t_s: float | None
    calibration: Calibration | None = None
    #: the settings fields that differ from the defaults (None: not a settings change)
    settings: dict[str, Any] | None = None

    def at_s(self, origin_s: float) -> float:
        """The time as Analyzer.set_calibration/set_settings take it: s since the analysis' first sample
        (origin_s, its device time); -1 (from the start) before any sample."""
        return -1.0 if self.device_t_s is None else self.device_t_s - origin_s

    def settings_on(self, base: Settings) -> Settings:
        """The settings noted: base (the reader's own) with the noted fields."""
        from dorsal.core import Settings

        return Settings.from_dict({**base.to_dict(), **(self.settings or {})})


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _analysis_change(note: dict[str, Any]) -> AnalysisChange | None:
    """An analysis note's change, or None when the note is damaged or of an unknown shape."""
    from dorsal.core import Calibration, Settings

    t = note.get("device_t_s")
    if t is not None and not _finite(t):
        return None
    t = None if t is None else float(t)
    kind = note.get("analysis")
    try:
        if kind == "calibration":
            d = note.get("calibration")
            neutral = d.get("neutral") if isinstance(d, dict) else None
            fwd = d.get("forward_axis_sensor") if isinstance(d, dict) else None
            if (not isinstance(neutral, list) or len(neutral) != 4 or not all(map(_finite, neutral))
                    or not 0.5 < float(np.linalg.norm(neutral)) < 1.5
                    or (fwd is not None and (not isinstance(fwd, list) or len(fwd) != 3
                                             or not all(map(_finite, fwd)) or not any(fwd)))):
                return None
            return AnalysisChange(t, calibration=Calibration.from_dict(d))  # type: ignore[arg-type]
        if kind == "settings":
            fields = note.get("settings")
            if not isinstance(fields, dict):
                return None
            Settings.from_dict({**Settings().to_dict(), **fields})  # the fields are known and of their types
            return AnalysisChange(t, settings=dict(fields))
    except (DorsalError, TypeError, ValueError):
        return None
    return None


def analysis_changes(notes: list[tuple[float, dict[str, Any]]]) -> tuple[list[AnalysisChange], list[str]]:
    """The analysis' changes held in a recording's notes, in the order they were made (those before any
    sample first), and the problems: one line when some analysis notes are damaged or of an unknown shape
    (they are skipped). Other notes (link events, pain reports) are not the analysis': they are passed over."""
    changes: list[AnalysisChange] = []
    skipped = 0
    for _, note in notes:
        if not isinstance(note, dict) or "analysis" not in note:
            continue
        change = _analysis_change(note)
        if change is None:
            skipped += 1
        else:
            changes.append(change)
    changes.sort(key=lambda c: -np.inf if c.device_t_s is None else c.device_t_s)  # stable: made in this order
    problems = [f"{skipped} analysis note{'s' if skipped > 1 else ''} skipped (damaged or of an unknown shape): "
                "the calibration or settings change they held is not applied"] if skipped else []
    return changes, problems


@dataclass
class AnalysisInput:
    """What a recording's analysis takes (`dorsal analyze`, the store's rebuild)."""

    #: the samples in the analysis' order: by seq, the first copy of each (as the live link handed them out)
    samples: np.ndarray
    #: the header's calibration (as stored), or None
    calibration: dict[str, Any] | None
    changes: list[AnalysisChange]
    problems: list[str]

    def scheduled(self, settings: Settings) -> list[tuple[float, Calibration | Settings]]:
        """The changes as core.analyze takes them: (s since the first sample, the calibration or the settings,
        these on the analysis' own settings)."""
        if self.samples.size == 0:
            return []
        origin = float(self.samples["t_s"][0])
        return [(c.at_s(origin), c.calibration if c.calibration is not None else c.settings_on(settings))
                for c in self.changes]


def analysis_input(rec: Recording) -> AnalysisInput:
    """The samples, the header's calibration and the analysis' changes of a recording.

    The samples are sorted by seq and each kept once: the live link's merge buffer handed them out so, so
    the analysis' first sample (the origin the changes' times are counted from) is the live analysis' one.
    """
    cal = rec.header.get("calibration")
    changes, problems = analysis_changes(rec.notes)
    return AnalysisInput(by_seq(rec.samples), cal if isinstance(cal, dict) and "neutral" in cal else None, changes,
                         problems)


def by_seq(samples: np.ndarray) -> np.ndarray:
    """A recording's samples as a live link's merge buffer hands them out: by seq, the first copy of each (the
    file holds frames as received: re-sent backlog after the live frames that followed its gap, duplicates)."""
    _, first = np.unique(samples["seq"], return_index=True)
    return samples[first]
