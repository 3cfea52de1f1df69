"""`dorsal report`: days and weeks from the history store, as terminal charts, SVG, CSV or JSON.

Also keeps the store: --import FILE (a recording), --rebuild (re-analyse every
recording), --delete-day DATE, --delete-all, --export FILE (.json or .csv).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

from dorsal.errors import DorsalError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--day", metavar="DATE", help="the day to show (YYYY-MM-DD, 'today', 'yesterday'; default today)")
    which.add_argument("--week", action="store_true", help="the seven days ending on --end (default today), with the trend")
    parser.add_argument("--end", metavar="DATE", help="with --week: the last day of the week (default today)")
    parser.add_argument("--svg", metavar="FILE", help="also write the picture as SVG to FILE")
    parser.add_argument("--csv", metavar="FILE", help="also write one row per day to FILE (CSV)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object instead of charts")
    parser.add_argument("--store", metavar="FILE", help="history database (default: under $DORSAL_HOME or the user data folder)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colours in the charts")
    keep = parser.add_argument_group("keeping the history")
    keep.add_argument("--import", dest="import_files", metavar="FILE", nargs="+",
                      help="add recordings as sessions (analysed now) before reporting")
    keep.add_argument("--start", metavar="TIME", help="with --import: when the recording started (ISO date-time; "
                      "default: from the recording)")
    keep.add_argument("--rebuild", action="store_true", help="re-analyse every stored recording (progress on stderr)")
    keep.add_argument("--delete-day", metavar="DATE", help="forget one day (figures, events, pain reports)")
    keep.add_argument("--delete-all", action="store_true", help="forget everything in the history store")
    keep.add_argument("--yes", action="store_true", help="confirm --delete-all without asking")
    keep.add_argument("--export", metavar="FILE", help="write the whole history to FILE (.json, or .csv one row per day)")


def parse_day(text: str | None) -> str:
    if text is None or text == "today":
        return dt.date.today().isoformat()
    if text == "yesterday":
        return (dt.date.today() - dt.timedelta(days=1)).isoformat()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise DorsalError(f"not a date: {text!r} (use YYYY-MM-DD, 'today' or 'yesterday')", 2) from None


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    from dorsal.report.build import DAY_CSV_COLUMNS, build_report, day_csv_row
    from dorsal.report.svg import render_svg
    from dorsal.report.terminal import render
    from dorsal.store import Store
    from dorsal.store.rebuild import ProgressBar, import_recording, rebuild

    with Store(args.store) as store:
        maintenance = False
        if args.delete_all:
            maintenance = True
            if not args.yes:
                if not sys.stdin.isatty():
                    raise DorsalError("--delete-all needs --yes when not run from a terminal; nothing was deleted", 2)
                if input(f"Forget everything in {store.path}? Type 'yes': ").strip() != "yes":
                    print("nothing was deleted")
                    return 1
            store.delete_all()
            print(f"history deleted ({store.path}); recording files were left in place", file=sys.stderr)
        if args.delete_day:
            maintenance = True
            day = parse_day(args.delete_day)
            store.delete_day(day)
            print(f"{day} deleted from the history", file=sys.stderr)
        if args.import_files:
            maintenance = True
            start = None
            if args.start:
                try:
                    start = dt.datetime.fromisoformat(args.start).timestamp()
                except ValueError:
                    raise DorsalError(f"not a date-time: {args.start!r}", 2) from None
            for path in args.import_files:
                sid = import_recording(store, path, start_unix_s=start)
                print(f"imported {path} as session {sid[:8]}", file=sys.stderr)
        if args.rebuild:
            maintenance = True
            result = rebuild(store, progress=ProgressBar() if sys.stderr.isatty() else None)
            print(f"rebuilt {result.sessions} sessions ({result.recordings} recordings, {result.samples} samples, "
                  f"{len(result.days)} days) in {result.seconds:.1f} s", file=sys.stderr)
            for p in result.problems:
                print(f"  {p}", file=sys.stderr)
        if args.export:
            maintenance = True
            target = Path(args.export)
            if target.suffix.lower() == ".csv":
                store.export_csv(target)
            else:
                store.export_json(target)
            print(f"history written to {target}", file=sys.stderr)
        asked_report = args.day or args.week or args.svg or args.csv or args.json
        if maintenance and not asked_report:
            return 0
        if args.week:
            report = build_report(store, "week", parse_day(args.end))
        else:
            report = build_report(store, "day", parse_day(args.day))
    if args.svg:
        Path(args.svg).write_text(render_svg(report), encoding="utf-8")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(DAY_CSV_COLUMNS)
            for d in report.days:
                w.writerow(day_csv_row(d))
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        sys.stdout.write(render(report, color=_use_color(args.color)))
    return 0
