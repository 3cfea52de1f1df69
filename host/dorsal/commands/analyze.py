"""`dorsal analyze FILE | --imu-csv FILE [--json] [--timeline]`: the summary and events of a recording."""

from __future__ import annotations

import argparse
import json
import sys

from dorsal.core import Calibration, Settings, analyze
from dorsal.core.pipeline import Analysis
from dorsal.errors import DorsalError
from dorsal.recording import AnalysisInput, analysis_input, read_recording


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("file", nargs="?", help="a recording (dorsal watch --record, dorsal simulate --out)")
    src.add_argument("--imu-csv", metavar="FILE", help="raw IMU CSV (t_s, ax_mps2.., gx_rps..), fused on the host")
    parser.add_argument("--json", action="store_true", help="one JSON object (DESIGN.md shape)")
    parser.add_argument("--timeline", action="store_true", help="include the per-second timeline")
    parser.add_argument("--filter", choices=["best", "device"], default="best", help="fusion for --imu-csv")


def run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    inp = None
    if args.imu_csv:
        from dorsal.core.fusion import fuse_csv_to_samples

        samples = fuse_csv_to_samples(args.imu_csv, args.filter, problems)
    else:
        rec = read_recording(args.file)
        inp = analysis_input(rec)
        problems = rec.problems + inp.problems
        samples = inp.samples
    for p in problems:
        print(f"dorsal analyze: warning: {p} (analysing what is readable)", file=sys.stderr)
    if samples.size == 0:
        raise DorsalError("no samples to analyse in the input")
    result = analyze_input(inp) if inp is not None else analyze(samples, Settings())
    if args.json:
        doc = result.to_json(timeline=args.timeline)
        if problems:
            doc["summary"]["problems"] = problems
        print(json.dumps(doc))
    else:
        print(human(result))
    return 0


def analyze_input(inp: AnalysisInput, settings: Settings | None = None, rate_hz: float | None = None) -> Analysis:
    """A recording's analysis: its header's calibration, and the calibration and settings changes its live
    analysis took (its notes) at the same seconds. rate_hz: the nominal rate (default: from the samples)."""
    settings = settings or Settings()
    calibration = Calibration.from_dict(inp.calibration) if inp.calibration is not None else None
    return analyze(inp.samples, settings, calibration, rate_hz, changes=inp.scheduled(settings))


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def human(result: Analysis) -> str:
    s = result.summary
    baro = f"barometer {_hms(s['barometer_s'])}" if s.get("barometer_s") else "no barometer"
    cals = s.get("calibrations") or []
    # recalibrated during the session: each neutral with the time it applied from
    if len(cals) > 1:
        # an estimate taken again from standing still says so: "estimated (standing) from 12m31s"
        used = "calibrations: " + ", ".join(
            f"{c['source']}{' (' + c['estimated_while'] + ')' if 'estimated_while' in c else ''} from {_hms(c['from_s'])}"
            for c in cals)
    else:
        used = f"calibration: {s['calibration']}"
    lines = [f"Analysed {_hms(s['duration_s'])} ({used}, {baro})"]
    acts = ", ".join(f"{k} {_hms(v)}" for k, v in s["activity_s"].items() if v)
    lines.append(f"  activity: {acts}")
    inferred = (f"; {_hms(s['sitting_inferred_s'])} of them read unknown until the stand-up that ended them"
                if s.get("sitting_inferred_s") else "")
    lines.append(f"  sitting bouts: {s['sitting_bouts']}, longest {_hms(s['longest_sitting_bout_s'])}{inferred}")
    lines.append(f"  slouched: {_hms(s['slouch_s'])}")
    lines.append(f"  twists: {s['twists']} (heuristic daily limit {s['twists_per_day_max']})")
    lines.append(f"  stretches: {', '.join(s['stretches']) or 'none'}")
    if s.get("unusable_s"):
        lines.append(f"  left out: {s['unusable_s']:.2f} s of samples that cannot be used (a value not finite, "
                     "or no orientation)")
    if result.events:
        lines.append("Events:")
        for e in result.events:
            extra = ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in e.figures.items())
            lines.append(f"  {_hms(e.start_s):>8} - {_hms(e.end_s):>8}  {e.kind:20s} {extra}")
    return "\n".join(lines)
