"""A long BLE session with drops, on virtual time: the firmware wearable and the host's BLE link.

The wearable (firmware app + its BLE code on the virtual radio, fed by the body-motion simulator) streams
to the host's ``BleLink`` (bleak on the radio's backend). At seeded random moments the wearable goes out
of reach for 1-60 s, the link ended alternately by the wearable and by the host. The link reconnects
with its backoff and backfills each gap from the device's backlog. At the end, what the host handed out
is compared with every data frame the firmware produced.

The link's reconnect backoff is capped at ``reconnect_cap_s`` (0.5 s, BleLink's default since these
sessions showed the loss). A
drop's gap is its time out of reach plus the reconnect, and the backlog must still hold the gap's first
sample when the backfill asks for it: with the 5-s cap a 60-s drop becomes a gap of up to ~66 s, longer
than the xiao-esp32c3's 61-s backlog, and loses the difference (``--reconnect-cap 5`` shows it).

Run on ``vtime.VirtualTimeLoop`` a 2-hour session takes minutes:

    python -m dorsal.virtual_radio.session --hours 2 --drops 20 --seed 1

prints JSON: samples, lost, recovered, duplicates, wall seconds, speed-up (tests/links/test_long_session.py
runs a shorter one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from dorsal.virtual_radio import vtime

SIDES = ("wearable", "host")
#: after the start, before the first drop: the first connect and handshake
WARMUP_S = 10.0
#: after the last drop: its reconnect and backfill, then the end
TAIL_S = 30.0
#: the firmware sends its backlog after its live data at about 100 samples/s (links/base.py); a drop
#: needs its own length again to be backfilled, plus the reconnect (backoff up to 5 s, scans of 1 s)
RECONNECT_S = 6.0
BACKFILL_SAMPLES_PER_S = 100.0


@dataclass(frozen=True)
class Drop:
    """One disconnect: at ``at_s`` (session seconds) out of reach for ``seconds``, the link ended by ``side``."""

    at_s: float
    seconds: float
    side: str


@dataclass
class DropOutcome:
    """How one drop went (session seconds): when it started, when the link was up again, when the gap was
    backfilled (the host had every sample up to the reconnect)."""

    drop: Drop
    started_s: float
    was_connected: bool
    reconnected_s: float | None = None
    backfilled_s: float | None = None

    @property
    def gap_s(self) -> float | None:
        return None if self.reconnected_s is None else self.reconnected_s - self.started_s


@dataclass
class SessionResult:
    """What the host handed out against what the firmware produced, and the link's statistics."""

    session_s: float
    produced: int  # data samples the firmware produced from the host's first sample to its last
    samples: int  # samples the host handed out
    in_order_once: bool  # seq rises by exactly 1 from each sample to the next
    matches_firmware: bool  # every field equals the firmware's sample of that seq
    missing: int
    lost: int
    recovered: int
    recovered_in_stream: int  # samples handed out that came from the backlog
    duplicates: int
    connects: int
    disconnects: int
    backlog_requests: int
    backlog_samples: int
    longest_gap_s: float | None
    drop_delay_s: float  # the most a drop started after its planned moment (waiting for a backfill)
    drops: list[DropOutcome] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def speedup(self) -> float:
        return self.session_s / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "drops"}
        out["wall_s"] = round(self.wall_s, 1)
        out["speedup"] = round(self.speedup, 1)
        out["drops"] = [{"at_s": round(o.started_s, 1), "seconds": round(o.drop.seconds, 1), "side": o.drop.side,
                         "gap_s": _round(o.gap_s), "backfill_s": _round(
                             None if o.backfilled_s is None or o.reconnected_s is None
                             else o.backfilled_s - o.reconnected_s)} for o in self.drops]
        return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def plan_drops(session_s: float, count: int, seed: int, shortest_s: float = 1.0,
               longest_s: float = 60.0) -> list[Drop]:
    """``count`` drops of ``shortest_s``-``longest_s`` at random moments of a ``session_s`` session.

    Each drop is followed by the time its reconnect and backfill need before the next one starts (a gap
    still being backfilled when the next drop comes could outgrow the backlog); the free time left over
    is spread at random. Raises ValueError when the session is too short for the drops.
    """
    rng = random.Random(seed)
    lengths = [rng.uniform(shortest_s, longest_s) for _ in range(count)]
    # the backfill runs at the backlog rate on top of the live stream: a gap of g s needs about g s
    needs = [d + RECONNECT_S + (d + RECONNECT_S) * 100.0 / BACKFILL_SAMPLES_PER_S for d in lengths]
    free = session_s - WARMUP_S - TAIL_S - sum(needs)
    if free < 0:
        raise ValueError(f"{count} drops need a session of at least {session_s - free:.0f} s")
    cuts = sorted(rng.uniform(0.0, free) for _ in range(count))
    drops = []
    at = WARMUP_S
    used = 0.0
    for i, (d, need) in enumerate(zip(lengths, needs)):
        at += cuts[i] - used
        used = cuts[i]
        drops.append(Drop(round(at, 3), round(d, 3), SIDES[i % 2]))
        at += need
    return drops


class _Collector:
    """Reads the link's batches in a task, as the dashboard does."""

    def __init__(self, link: Any) -> None:
        self.link = link
        self.parts: list[np.ndarray] = []
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for batch in self.link.batches():
            self.parts.append(batch.samples)

    def handed_out(self) -> np.ndarray:
        return np.concatenate(self.parts + self.link._out)


async def _until(check: Any, timeout_s: float, what: str, step_s: float = 0.05) -> None:
    end = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > end:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(step_s)


async def _drop(wearable: Any, link: Any, drop: Drop, start_s: float) -> DropOutcome:
    loop = asyncio.get_running_loop()
    outcome = DropOutcome(drop, loop.time() - start_s, was_connected=link.connected)
    if drop.side == "wearable":
        await wearable.out_of_reach(drop.seconds, "wearable")
    else:
        wearable.in_reach = False
        wearable._real_advertise(None)
        client = link.client
        if client is not None:
            with contextlib.suppress(Exception):
                await client.disconnect()
        await asyncio.sleep(drop.seconds)
        await wearable.back_in_reach()
    await _until(lambda: link.connected and link.state == "streaming", 120.0, "the reconnect")
    outcome.reconnected_s = loop.time() - start_s
    # the next drop waits for this backfill: two gaps at once could outgrow the backlog together
    seq = wearable.app.seq
    await _until(lambda: (link.merge.next_seq or 0) >= seq, 300.0, "the backfill", step_s=0.25)
    outcome.backfilled_s = loop.time() - start_s
    return outcome


async def run_session(session_s: float, drops: Sequence[Drop], board: str = "xiao-esp32c3",
                      scenario: str = "desk-day", seed: int = 0, interval_ms: float = 30.0,
                      reconnect_cap_s: float = 0.5) -> SessionResult:
    """Run a session of ``session_s`` (on the running loop's clock) with ``drops``; compare at the end."""
    from dorsal.decode import SOURCE_BACKLOG, StreamDecoder
    from dorsal.links.base import backoff_delays
    from dorsal.links.ble import BleLink
    from dorsal.protocol import wire
    from dorsal.virtual_radio import LinkModel, Radio
    from dorsal.virtual_radio.wearable import SimulatedPerson, make_wearable

    loop = asyncio.get_running_loop()
    radio = Radio(LinkModel(interval_ms=interval_ms))
    wearable = await make_wearable(radio, SimulatedPerson(scenario, seed), board=board)
    produced: list[bytes] = []
    wearable.app.sinks.append(lambda m: produced.append(bytes(m)) if m[1] == wire.MSG_DATA else None)
    link = BleLink(scanner_backend=radio.scanner_backend(), client_backend=radio.client_backend(), scan_timeout_s=1.0,
                   delays=lambda: backoff_delays(0.2, reconnect_cap_s))
    start_s = loop.time()
    collector = _Collector(link)
    outcomes: list[DropOutcome] = []
    try:
        for drop in sorted(drops, key=lambda d: d.at_s):
            await asyncio.sleep(max(0.0, start_s + drop.at_s - loop.time()))
            outcomes.append(await _drop(wearable, link, drop, start_s))
        await asyncio.sleep(max(0.0, start_s + session_s - loop.time()))
        end_seq = wearable.app.seq
        await _until(lambda: (link.merge.next_seq or 0) >= end_seq, 300.0, "the last backfill")
        got = collector.handed_out()
        stats = link.stats()
    finally:
        await link.close()
        await asyncio.gather(collector.task, return_exceptions=True)
        await wearable.stop()

    ref = StreamDecoder().decode(produced)
    seq = got["seq"]
    at = int(np.searchsorted(ref["seq"], seq[0]))
    upto = int(np.searchsorted(ref["seq"], seq[-1], side="right"))
    in_order_once = bool(np.all(np.diff(seq) == 1))
    matches = in_order_once and upto - at == got.size and all(
        np.array_equal(got[f], ref[f][at:upto], equal_nan=True) for f in got.dtype.names if f != "source")
    gaps = [o.gap_s for o in outcomes if o.gap_s is not None]
    late = [o.started_s - o.drop.at_s for o in outcomes]
    return SessionResult(
        session_s=session_s, produced=upto - at, samples=int(got.size), in_order_once=in_order_once,
        matches_firmware=matches, missing=int(np.setdiff1d(ref["seq"][at:upto], seq).size),
        lost=stats.samples_lost, recovered=stats.samples_recovered,
        recovered_in_stream=int(np.count_nonzero(got["source"] == SOURCE_BACKLOG)), duplicates=stats.duplicates,
        connects=stats.connects, disconnects=stats.disconnects, backlog_requests=stats.backlog_requests,
        backlog_samples=int(wearable.app.backlog.capacity), longest_gap_s=max(gaps) if gaps else None,
        drop_delay_s=max(late, default=0.0), drops=outcomes)


def run(session_s: float, drops: Sequence[Drop], **kw: Any) -> SessionResult:
    """``run_session`` on a fresh virtual-time loop; ``wall_s`` is the real time it took."""
    wall = time.perf_counter()
    result = vtime.run(run_session(session_s, drops, **kw))
    result.wall_s = time.perf_counter() - wall
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dorsal.virtual_radio.session", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=2.0, help="session length in hours (virtual time)")
    parser.add_argument("--drops", type=int, default=20, help="number of disconnects")
    parser.add_argument("--seed", type=int, default=1, help="seed of the drop plan and of the simulated wearer")
    parser.add_argument("--shortest", type=float, default=1.0, help="shortest drop in s")
    parser.add_argument("--longest", type=float, default=60.0, help="longest drop in s")
    parser.add_argument("--board", default="xiao-esp32c3", help="board profile (its backlog size)")
    parser.add_argument("--scenario", default="desk-day", help="the simulated wearer's scenario")
    parser.add_argument("--interval-ms", type=float, default=30.0, help="BLE connection interval")
    parser.add_argument("--reconnect-cap", type=float, default=0.5, help="longest reconnect backoff in s")
    args = parser.parse_args(argv)
    session_s = args.hours * 3600.0
    try:
        drops = plan_drops(session_s, args.drops, args.seed, args.shortest, args.longest)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = run(session_s, drops, board=args.board, scenario=args.scenario, seed=args.seed,
                 interval_ms=args.interval_ms, reconnect_cap_s=args.reconnect_cap)
    print(json.dumps(result.summary(), indent=2))
    return 0 if result.matches_firmware and result.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
