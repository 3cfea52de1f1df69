"""`dorsal scan`: nearby wearables (name, address, RSSI, battery)."""

from __future__ import annotations

import argparse
import asyncio
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=5.0, help="how long to listen, in seconds (default 5)")
    parser.add_argument("--no-battery", action="store_true",
                        help="do not connect to each wearable to read its battery level")
    parser.add_argument("--json", action="store_true", help="one JSON object per wearable")


def run(args: argparse.Namespace) -> int:
    from dorsal.links.ble import scan

    found = asyncio.run(scan(args.timeout, read_battery=not args.no_battery))
    if args.json:
        for f in found:
            print(json.dumps({"name": f.name, "address": f.address, "rssi_dbm": f.rssi_dbm,
                              "battery_percent": f.battery_percent}))
        return 0 if found else 1
    if not found:
        print("no wearable found: is it switched on, charged and close by?")
        return 1
    print(f"{'name':<16} {'address':<20} {'RSSI':>8} {'battery':>8}")
    for f in found:
        rssi = f"{f.rssi_dbm} dBm" if f.rssi_dbm is not None else "—"
        battery = f"{f.battery_percent} %" if f.battery_percent is not None else "—"
        print(f"{f.name or '?':<16} {f.address:<20} {rssi:>8} {battery:>8}")
    return 0
