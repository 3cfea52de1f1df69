"""Device restarts: a board that resets mid-session (watchdog, brown-out, the reset button) begins its
``seq`` and its clock again near 0. Its new boot is made to continue the session, live and in a recording,
by one rule:

- Detection: a live data frame (backlog frames are re-sent old samples and never count) whose first
  decoded ``seq`` is more than ``RESTART_BELOW_SAMPLES`` below the previous live sample's starts a new
  boot. A frame holds at most 255 samples, so a re-sent or duplicated live frame is never one.
- Mapping: every sample of the new boot (live and backlog) gets ``seq += seq_shift`` and
  ``t_s += t_shift_s``: its first frame received lands at the latest mapped time before plus the host's gap
  between receiving the last data frame before and this one (at least one sample period). The samples the
  new boot took before that frame (its seq counts from 0 at boot, while it waits for the host's start)
  follow on the highest mapped seq received before (+1), as many as fit in that gap: the link fetches them
  from the device's backlog like any gap. Later restarts chain the same way.

The live link (links/base.py) maps each frame before its merge buffer and notes every restart in its
recording (``Restart.note``, protocol/SPEC.md §8); ``map_recording`` maps a recording's samples in file
order the same way, with the noted shifts when they match (so `dorsal analyze` gives what the live session
gave) and from the recorded receive times when there is no note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dorsal.decode import SOURCE_LIVE

#: a live frame whose first seq is more than this below the previous live sample's starts a new boot (a
#: frame holds at most 255 samples, so a duplicated live frame never does)
RESTART_BELOW_SAMPLES = 255


@dataclass(frozen=True)
class Restart:
    """One restart of the device: its new boot's first sample as decoded, and the shifts it takes."""

    device_seq: int
    device_t_s: float
    seq_shift: int
    t_shift_s: float
    #: whether the shifts are the live link's (from its note); False: computed from the receive times
    noted: bool = True

    @property
    def t_s(self) -> float:
        """The mapped time of the new boot's first sample."""
        return self.device_t_s + self.t_shift_s

    def note(self) -> dict[str, Any]:
        """The recording note of this restart (protocol/SPEC.md §8)."""
        return {"device_restart": {"device_seq": self.device_seq, "device_t_s": self.device_t_s,
                                   "seq_shift": self.seq_shift, "t_shift_s": self.t_shift_s}}


def _shifts(first_seq: int, first_t_s: float, max_seq: int, max_t_s: float, gap_s: float,
            period_s: float) -> tuple[int, float]:
    """(seq_shift, t_shift_s) of a new boot whose first frame received starts at first_seq, first_t_s.

    The firmware counts its seq from 0 at boot and keeps every sample in its backlog, streamed or not, so the
    new boot's samples before its first frame (taken while it waited for the host's start) are fetched from
    its backlog like any gap: they follow on first, as many of them as fit in the host's gap between the two
    boots' frames (all of them in practice)."""
    pre = max(0, min(first_seq, int(max(gap_s, 0.0) / period_s))) if period_s > 0 else 0
    seq_shift = max_seq + 1 + pre - first_seq
    return seq_shift, max_t_s + max(gap_s - pre * period_s, period_s) + pre * period_s - first_t_s


class Boots:
    """The rule for a live stream: ``map`` each data frame as it arrives, before the merge buffer."""

    def __init__(self) -> None:
        self.seq_shift = 0
        self.t_shift_s = 0.0
        self.restarts: list[Restart] = []
        #: the mapped seq of the current boot's first sample (None: still the first boot)
        self.boot_start_seq: int | None = None
        self._last_live_seq: int | None = None  # decoded, this boot's
        self._max_seq: int | None = None  # mapped, of everything received
        self._max_t_s = -math.inf
        self._last_rx_s: float | None = None

    def map(self, samples: np.ndarray, rx_s: float, period_s: float) -> Restart | None:
        """Map one decoded data frame (SAMPLE_DTYPE, consecutive seq) in place; rx_s is when it arrived
        (the link's clock), period_s its sample period. Returns the Restart when it starts a new boot."""
        if samples.size == 0:
            return None
        restart = None
        live = int(samples["source"][0]) == SOURCE_LIVE
        first = int(samples["seq"][0])
        if (live and self._last_live_seq is not None and self._max_seq is not None
                and first < self._last_live_seq - RESTART_BELOW_SAMPLES):
            t0 = float(samples["t_s"][0])
            gap = rx_s - self._last_rx_s if self._last_rx_s is not None else 0.0
            self.seq_shift, self.t_shift_s = _shifts(first, t0, self._max_seq, self._max_t_s, gap, period_s)
            restart = Restart(first, t0, self.seq_shift, self.t_shift_s)
            self.restarts.append(restart)
            self.boot_start_seq = self._max_seq + 1  # mapped: the first of the new boot's samples fetched
        if live:
            self._last_live_seq = int(samples["seq"][-1])
        if self.seq_shift or self.t_shift_s:
            samples["seq"] += self.seq_shift
            samples["t_s"] += self.t_shift_s
        top = int(samples["seq"].max())
        self._max_seq = top if self._max_seq is None else max(self._max_seq, top)
        self._max_t_s = max(self._max_t_s, float(samples["t_s"].max()))
        self._last_rx_s = rx_s
        return restart

    def to_device(self, seq: int) -> int | None:
        """A mapped seq of the current boot as the device counts it; None for one from before its restart
        (the device's backlog went with the restart)."""
        if self.boot_start_seq is not None and seq < self.boot_start_seq:
            return None
        return seq - self.seq_shift


def _noted(notes: list[tuple[float, dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for _, note in notes:
        d = note.get("device_restart") if isinstance(note, dict) else None
        if isinstance(d, dict):
            out.append(d)
    return out


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _noted_shifts(d: dict[str, Any] | None, first_seq: int, max_seq: int) -> tuple[int, float] | None:
    """A note's shifts when it is of this restart (its device_seq) and they continue the session."""
    if d is None or not _int(d.get("device_seq")) or not _int(d.get("seq_shift")):
        return None
    t = d.get("t_shift_s")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        return None
    if d["device_seq"] != first_seq or first_seq + d["seq_shift"] <= max_seq:
        return None
    return int(d["seq_shift"]), float(t)


def map_recording(samples: np.ndarray, rx_s: np.ndarray, period_s: np.ndarray,
                  notes: list[tuple[float, dict[str, Any]]]) -> tuple[list[Restart], np.ndarray]:
    """Map a recording's samples (SAMPLE_DTYPE, decoded, in file order) in place, as the live link did.

    rx_s, period_s — per sample: its frame's receive time and sample period. The k-th restart takes the
    k-th ``device_restart`` note's shifts when its device_seq is this restart's; otherwise they are computed
    from the receive times. Returns the restarts and, per restart, the index of its first sample.
    """
    live = np.flatnonzero(samples["source"] == SOURCE_LIVE)
    seq = samples["seq"][live]
    starts = live[1:][seq[1:] < seq[:-1] - RESTART_BELOW_SAMPLES]
    if starts.size == 0:
        return [], starts
    noted = _noted(notes)
    restarts: list[Restart] = []
    max_seq = int(samples["seq"][: starts[0]].max())
    max_t = float(samples["t_s"][: starts[0]].max())
    ends = [*starts[1:].tolist(), samples.size]
    for k, (i, end) in enumerate(zip(starts.tolist(), ends)):
        first, t0 = int(samples["seq"][i]), float(samples["t_s"][i])
        shifts = _noted_shifts(noted[k] if k < len(noted) else None, first, max_seq)
        if shifts is None:
            gap = float(rx_s[i] - rx_s[i - 1])
            seq_shift, t_shift = _shifts(first, t0, max_seq, max_t, gap, float(period_s[i]))
        else:
            seq_shift, t_shift = shifts
        restarts.append(Restart(first, t0, seq_shift, t_shift, noted=shifts is not None))
        part = samples[i:end]
        part["seq"] += seq_shift
        part["t_s"] += t_shift
        max_seq = max(max_seq, int(part["seq"].max()))
        max_t = max(max_t, float(part["t_s"].max()))
    return restarts, starts


def session_time(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def restart_problem(restart: Restart, origin_s: float) -> str:
    """The warning line of a restart in a recording; origin_s: the mapped time of the session's first sample."""
    how = "as the live link noted" if restart.noted else "placed by the receive times (no note of the live link)"
    return (f"the device restarted at {session_time(restart.t_s - origin_s)} (its seq and clock began again): "
            f"its samples after it follow on, {how}")
