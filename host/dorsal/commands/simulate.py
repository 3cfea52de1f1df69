"""`dorsal simulate`: write a recording (and its ground truth) of a simulated scenario."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from dorsal.errors import DorsalError

#: Recordings of simulated runs start at a fixed wall-clock time so that the
#: same seed gives the same bytes (2026-01-05 08:00 UTC, a Monday morning).
SIM_START_UNIX_S = 1767600000.0
CHUNK_S = 60.0


def parse_duration(text: str) -> float:
    """'90', '90s', '15m', '8h', '1h30m' -> seconds."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|m|s|ms)", t)
    if not parts or "".join(a + b for a, b in parts) != t.replace(" ", ""):
        raise DorsalError(f"cannot read the duration {text!r}: use e.g. 30s, 15m, 8h or 1h30m", exit_code=2)
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3}
    return sum(float(a) * scale[b] for a, b in parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from dorsal.sim.imu import CHIPS

    parser.add_argument("--scenario", help="scenario name (see --list)")
    parser.add_argument("--duration", help="simulated time, e.g. 30s, 15m, 8h (default: the scenario's own)")
    parser.add_argument("--out", type=Path, help="recording file to write")
    parser.add_argument("--truth", type=Path, help="also write the ground truth (analyze --json --timeline shape)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same output)")
    parser.add_argument("--imu", default="mpu6050", choices=sorted(CHIPS), help="IMU chip to model")
    parser.add_argument("--rate", type=float, default=100.0, help="sample rate in Hz (the chip's nearest ODR)")
    parser.add_argument("--engine", default="cpython", choices=("cpython", "micropython", "encoder"),
                        help="cpython: firmware in-process; micropython: firmware in the real interpreter; "
                             "encoder: the simulated truth encoded without the firmware (fast)")
    parser.add_argument("--no-barometer", action="store_true", help="model a board without the BMP390")
    parser.add_argument("--start-still", type=float, metavar="SECONDS",
                        help="the wearer stands still this long at the start, to calibrate (default: 3-6 s drawn)")
    parser.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is no TTY")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")


def run(args: argparse.Namespace) -> int:
    from dorsal.sim.scenarios import SCENARIOS

    if args.list:
        width = max(len(n) for n in SCENARIOS)
        for name, sc in SCENARIOS.items():
            print(f"{name:<{width}}  {sc.description}")
        return 0
    if not args.scenario:
        raise DorsalError("say which scenario to simulate: --scenario NAME (see --list)", exit_code=2)
    if args.scenario not in SCENARIOS:
        raise DorsalError(f"unknown scenario {args.scenario!r}; `dorsal simulate --list` shows them", exit_code=2)
    if args.out is None:
        raise DorsalError("say where to write the recording: --out FILE", exit_code=2)
    # The wire's period_us is a u16 (protocol/SPEC.md): a channel needs >= 15.3 Hz, and the barometer
    # runs at a quarter of the IMU rate.
    min_rate = 4 * 1e6 / 0xFFFF
    if not (min_rate <= args.rate <= 1000.0):
        raise DorsalError(f"--rate must be between {min_rate:.0f} and 1000 Hz (the barometer channel runs at a "
                          "quarter of it, and a channel's period must fit the protocol's 16-bit microseconds)",
                          exit_code=2)
    duration_s = parse_duration(args.duration) if args.duration else SCENARIOS[args.scenario].default_duration_s
    if duration_s <= 0:
        raise DorsalError("--duration must be positive", exit_code=2)
    for path in (args.out, args.truth):
        if path is not None and not path.parent.exists():
            raise DorsalError(f"folder {path.parent} does not exist", exit_code=2)
    if args.start_still is not None and not 0 <= args.start_still < duration_s:
        raise DorsalError("--start-still must be at least 0 and shorter than the run", exit_code=2)
    report = simulate(args.scenario, duration_s, args.out, args.truth, args.seed, args.imu, args.rate, args.engine,
                      barometer=not args.no_barometer, start_still_s=args.start_still,
                      progress=args.progress or sys.stderr.isatty())
    print(json.dumps(report, sort_keys=True))
    return 0


def simulate(scenario: str, duration_s: float, out: Path, truth: Path | None = None, seed: int = 0,
             imu: str = "mpu6050", rate_hz: float = 100.0, engine: str = "cpython", barometer: bool = True,
             progress: bool = False, start_still_s: float | None = None) -> dict[str, object]:
    """Write the recording (and truth); returns figures about the run."""
    from dorsal.recording import RecordingWriter
    from dorsal.sim.engine import VirtualWearable
    from dorsal.sim.progress import Progress
    from dorsal.sim.truth import truth_json

    wall0 = time.perf_counter()
    try:
        # pipelined: the firmware runs in a child interpreter while this process simulates the next chunk
        vw = VirtualWearable(scenario, seed, rate_hz, imu, duration_s, engine=engine, barometer=barometer,
                             pipelined=True, start_still_s=start_still_s)
    except RuntimeError as exc:
        raise DorsalError(str(exc)) from None
    stream = vw.stream
    header = {
        "format": 1, "start_unix_s": SIM_START_UNIX_S, "source": "sim", "device": vw.info,
        "simulator": {"scenario": scenario, "seed": seed, "imu": imu, "rate_hz": stream.rate_hz,
                      "requested_rate_hz": rate_hz, "duration_s": duration_s, "engine": vw.engine_used,
                      "barometer": barometer,
                      "mounting_deg": {"in_plane": round(stream.mounting.in_plane_deg, 3),
                                       "tilt": round(stream.mounting.tilt_deg, 3),
                                       "side": round(stream.mounting.side_deg, 3)}},
    }
    if start_still_s is not None:
        header["simulator"]["start_still_s"] = start_still_s  # type: ignore[index]
    bar = Progress(duration_s, progress)
    frames = 0
    try:
        with RecordingWriter(out, header) as writer:
            while not vw.done:
                for m in vw.next_messages(CHUNK_S):
                    writer.write_message(m.payload, SIM_START_UNIX_S + m.t_s)
                    frames += 1
                bar.update(stream.index / stream.rate_hz)
    except OSError as exc:
        raise DorsalError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        vw.close()
        bar.close(stream.index / stream.rate_hz)
    if truth is not None:
        doc = truth_json(stream.plan, stream.total_samples / stream.rate_hz,
                         extra={"source": "truth", "scenario": scenario, "seed": seed})
        truth.write_text(json.dumps(doc) + "\n")
    wall = time.perf_counter() - wall0
    return {"scenario": scenario, "engine": vw.engine_used, "samples": stream.total_samples, "messages": frames,
            "simulated_s": round(stream.total_samples / stream.rate_hz, 3), "wall_s": round(wall, 3),
            "speed_x_real_time": round(stream.total_samples / stream.rate_hz / wall, 1) if wall > 0 else None}
