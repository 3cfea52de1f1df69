"""`dorsal fuse --imu-csv FILE [--filter device|best] [--out FILE]`: orientation per input sample."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from dorsal.core.fusion import fuse, load_imu_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--imu-csv", metavar="FILE", required=True,
                        help="t_s, ax_mps2, ay_mps2, az_mps2, gx_rps, gy_rps, gz_rps (any rate)")
    parser.add_argument("--filter", choices=["best", "device"], default="best",
                        help="best: vqf offline on the host (on ~100 Hz blocks); device: the firmware's own filter")
    parser.add_argument("--out", metavar="FILE", help="CSV to write (default: standard output)")


def run(args: argparse.Namespace) -> int:
    imu = load_imu_csv(args.imu_csv)
    for p in imu.problems:
        print(f"dorsal fuse: warning: {p} (fusing what is readable)", file=sys.stderr)
    t = imu.t_s
    q = fuse(t, imu.acc_mps2, imu.gyr_rps, args.filter)
    table = np.column_stack([t, q])
    out = open(args.out, "w") if args.out else sys.stdout
    try:
        out.write("t_s,qw,qx,qy,qz\n")
        np.savetxt(out, table, fmt=["%.6f", "%.7f", "%.7f", "%.7f", "%.7f"], delimiter=",")
    finally:
        if args.out:
            out.close()
    return 0
