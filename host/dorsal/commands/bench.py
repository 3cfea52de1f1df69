"""`dorsal bench [--json] [--only NAME] [--scale X]`: benchmarks with same-run baselines."""

from __future__ import annotations

import argparse
import json

from dorsal import bench
from dorsal.errors import DorsalError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--scale", type=float, default=1.0, help="workload scale (default 1.0)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks")


def run(args: argparse.Namespace) -> int:
    available = bench.names()
    if args.list:
        for name in available:
            print(f"{name:20s} {bench.load(name).DESCRIPTION}")
        return 0
    chosen = args.only or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        raise DorsalError(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(available)}", 2)
    results = {}
    for name in chosen:
        if not args.json:
            print(f"{name}: {bench.load(name).DESCRIPTION} ...", flush=True)
        results[name] = bench.load(name).run(args.scale)
        if not args.json:
            r = results[name]
            line = f"  {r['samples_per_s']:,.0f} samples/s"
            if "baseline_samples_per_s" in r:
                line += f"  (baseline {r['baseline_samples_per_s']:,.0f}/s, {r['samples_per_s'] / r['baseline_samples_per_s']:.1f}x)"
            print(line)
            for k, v in r.items():
                if k not in ("samples_per_s", "baseline_samples_per_s"):
                    print(f"  {k}: {v}")
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    return 0
