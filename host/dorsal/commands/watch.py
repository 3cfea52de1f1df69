"""`dorsal watch`: the dashboard on a real or virtual wearable, or (``--headless``) link statistics as JSON.

    dorsal watch --ble [NAME|ADDR] | --serial [PORT] | --replay FILE | --sim [SCENARIO] [--link direct|ble|serial]
                 [--record FILE] [--speed X] [--headless --duration D --json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from typing import Any

from dorsal.errors import DorsalError

_UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration_s(text: str) -> float:
    """'30s', '2h', '1.5m', '500ms' or a plain number of seconds."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|min|m|h)?\s*", text)
    if not m:
        raise DorsalError(f"cannot read the duration {text!r} (examples: 30s, 5m, 2h)")
    return float(m.group(1)) * _UNITS_S[m.group(2) or "s"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--ble", nargs="?", const="", default=None, metavar="NAME|ADDR",
                     help="a wearable over Bluetooth LE (default: the only one in range)")
    src.add_argument("--serial", nargs="?", const="", default=None, metavar="PORT",
                     help="a wearable on USB serial (default: found by its USB ids); pyserial URLs work")
    src.add_argument("--replay", default=None, metavar="FILE", help="a recording")
    src.add_argument("--sim", nargs="?", const="desk-day", default=None, metavar="SCENARIO",
                     help="the virtual wearable (default scenario: desk-day)")
    parser.add_argument("--link", choices=("direct", "ble", "serial"), default="direct",
                        help="with --sim: in-process, over the virtual radio, or over a virtual board's serial port")
    parser.add_argument("--record", default=None, metavar="FILE", help="record the wire messages to FILE")
    parser.add_argument("--speed", type=float, default=None,
                        help="replay/simulation speed (1 = real time; 0 = as fast as possible for --replay)")
    parser.add_argument("--headless", action="store_true", help="no dashboard")
    parser.add_argument("--duration", default=None, help="with --headless: how long (30s, 2h; simulated time "
                                                          "when --speed is given)")
    parser.add_argument("--json", action="store_true", help="with --headless: print the link statistics as JSON")


def _stats_json(link: Any, last: Any, device_s: float, wall_s: float) -> dict[str, Any]:
    stats = link.stats() if hasattr(link, "stats") and callable(link.stats) else None
    if stats is None or not hasattr(stats, "frames"):
        stats = getattr(last, "stats", None)
    get = (lambda k, d=None: getattr(stats, k, d)) if stats is not None else (lambda k, d=None: d)
    out = {k: get(k, 0) for k in ("frames", "samples", "samples_lost", "samples_recovered", "decode_errors")}
    out["latency_ms_p50"] = get("latency_ms_p50", None)
    out["latency_ms_p99"] = get("latency_ms_p99", None)
    for k in ("duplicates", "noise_chunks", "frames_per_s", "rate_hz", "rssi_dbm", "battery_percent", "connects",
              "disconnects", "backlog_requests", "mtu", "device_restarts"):
        if hasattr(stats, k):
            out[k] = get(k)
    out["state"] = getattr(last, "state", None)
    out["device_s"] = round(device_s, 3)
    out["wall_s"] = round(wall_s, 3)
    return out


async def _headless(link: Any, duration_s: float | None, device_time: bool) -> tuple[Any, float, float]:
    start = time.monotonic()
    first_t: float | None = None
    device_s = 0.0
    last = None
    samples = 0
    agen = link.batches()
    try:
        async for batch in agen:
            last = batch
            s = batch.samples
            if len(s):
                samples += len(s)
                if first_t is None:
                    first_t = float(s["t_s"][0])
                device_s = float(s["t_s"][-1]) - first_t
            if duration_s is not None:
                if device_time and device_s >= duration_s:
                    break
                if not device_time and time.monotonic() - start >= duration_s:
                    break
    finally:
        await agen.aclose()
        await link.close()
    if last is not None and not hasattr(last.stats, "frames"):
        last = _with_count(last, samples)
    return last, device_s, time.monotonic() - start


def _with_count(batch: Any, samples: int) -> Any:
    import dataclasses

    try:
        return dataclasses.replace(batch, stats=dataclasses.replace(batch.stats, samples=samples))
    except TypeError:
        return batch


def run(args: argparse.Namespace) -> int:
    from dorsal.links import open_link
    from dorsal.links.base import LinkError

    if args.link != "direct" and args.sim is None:
        raise DorsalError("--link chooses how --sim is reached; real wearables use --ble or --serial")
    if args.ble is None and args.serial is None and args.replay is None and args.sim is None:
        raise DorsalError("choose a source: --ble [NAME|ADDR], --serial [PORT], --replay FILE or --sim [SCENARIO]")
    duration_s = parse_duration_s(args.duration) if args.duration else None
    if not args.headless and (args.duration or args.json):
        raise DorsalError("--duration and --json go with --headless")
    link = open_link(args)
    try:
        if args.headless:
            last, device_s, wall_s = asyncio.run(_headless(link, duration_s, device_time=args.speed is not None))
            stats = _stats_json(link, last, device_s, wall_s)
            if args.json:
                print(json.dumps(stats, sort_keys=True))
            else:
                print(" ".join(f"{k}={v}" for k, v in stats.items()))
            return 0
        if args.ble is not None:
            _check_adapter()
        from dorsal.dashboard import run_dashboard

        return run_dashboard(link, **dashboard_options(args))
    except LinkError:
        raise
    except KeyboardInterrupt:
        return 130


def dashboard_options(args: argparse.Namespace) -> dict[str, Any]:
    """How the dashboard runs for a source (tests build the app with the same options)."""
    # a real wearable's session is a day of the wearer's: it goes to the history as it comes
    return {"simulated": args.sim is not None, "keep_history": args.ble is not None or args.serial is not None}


def _check_adapter() -> None:
    """Before the dashboard takes the terminal: no adapter is one line, not a screen that never fills."""
    from dorsal.links.ble import scan

    asyncio.run(scan(0.2))
