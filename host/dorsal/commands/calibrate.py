"""`dorsal calibrate`: capture the neutral posture for a wearable and store it.

Interactive by default (the dashboard's guided calibration screen); with
--headless it takes the first still moment of the source, prints the result
as JSON and stores it. Sources: --sim [SCENARIO] (the demo's virtual wearable),
--replay FILE, or --ble/--serial through dorsal.links.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from dorsal.errors import DorsalError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--sim", nargs="?", const="calm", metavar="SCENARIO", help="the virtual wearable (default calm)")
    src.add_argument("--replay", metavar="FILE", help="a recording")
    src.add_argument("--ble", nargs="?", const="", metavar="NAME|ADDR", help="a wearable over Bluetooth LE")
    src.add_argument("--serial", nargs="?", const="", metavar="PORT", help="a wearable on a serial port")
    parser.add_argument("--device", help="store the calibration under this device name (default: the source's)")
    parser.add_argument("--headless", action="store_true", help="no screen: take the first still moment")
    parser.add_argument("--speed", type=float, default=1.0, help="replay/simulation speed (default 1)")
    parser.add_argument("--no-store", action="store_true", help="print only, do not store")


def open_source(args: argparse.Namespace) -> tuple[Any, str]:
    from dorsal.dashboard.feed import RecordingLink
    from dorsal.dashboard.script import ScriptLink

    if args.replay:
        link = RecordingLink(args.replay, speed=args.speed)
        return link, link.device
    if args.ble is not None or args.serial is not None:
        try:
            from dorsal.links import open_link
        except ImportError as exc:
            raise DorsalError(f"--ble/--serial need the links package (dorsal.links), not installed here: {exc}") \
                from None
        link = open_link(args)
        return link, str(args.ble or args.serial or "wearable")
    link = ScriptLink(args.sim or "calm", speed=args.speed, loop=False)
    return link, link.device


async def calibrate_headless(link: Any) -> dict[str, Any]:
    from dorsal.dashboard.calibration import CalibrationFlow
    from dorsal.dashboard.feed import FeedBatch

    flow = CalibrationFlow()
    try:
        async for raw in link.batches():
            flow.feed(FeedBatch.of(raw).samples)
            if flow.step != "still":
                flow.finish()
                break
    finally:
        await link.close()
    result = flow.result()
    if result is None:
        raise DorsalError("no still moment found in the source: sit or stand tall and hold still for 3 s")
    return result.to_dict()


def run(args: argparse.Namespace) -> int:
    link, device = open_source(args)
    device = args.device or device
    if args.headless:
        calibration = asyncio.run(calibrate_headless(link))
        if not args.no_store:
            from dorsal.store.store import Store

            with Store() as store:
                store.save_calibration(device, calibration)
        print(json.dumps({"device": device, **calibration}))
        return 0
    from dorsal.dashboard.app import make_app

    app = make_app(link, simulated=args.sim is not None, use_store=not args.no_store, device=device,
                   calibrate_only=True)
    app.run()
    return int(app.return_code or 0)
