"""``autoheal report DIR [DIR ...] [--out FILE]``: one health report from shards and runs."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .. import store
from ..capture import recover_inflight
from . import model, render
from .history import History, HistoryWarning, history_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", metavar="DIR", type=Path, help="report directories (shards, workers, earlier runs) to merge")
    parser.add_argument("--out", type=Path, default=None, help="where to write the HTML report (default: DIR/health.html of the first DIR)")
    parser.add_argument("--title", default="Platform health", help="the report's title")
    parser.add_argument(
        "--history", type=Path, default=None, help="history database to add these runs to and draw trends from (default: read each DIR's)"
    )
    parser.add_argument("--max-runs", type=int, default=200, help="runs the history keeps (default: 200)")


def main(args: argparse.Namespace) -> int:
    missing = [str(d) for d in args.dirs if not d.is_dir()]
    if missing:
        print(
            f"autoheal report: no such directory: {', '.join(missing)}; pass report directories such as autoheal-reports", file=sys.stderr
        )
        return 2
    for d in args.dirs:
        recover_inflight(d)
    inputs = model.load_inputs(args.dirs)
    if not inputs.runs and not inputs.records:
        print(
            f"autoheal report: {', '.join(map(str, args.dirs))} hold no run.json and no failure records; run pytest first",
            file=sys.stderr,
        )
        return 2
    out = args.out or args.dirs[0] / store.HEALTH_FILE
    notes: list[str] = []
    runs: dict[str, dict] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HistoryWarning)
        if args.history is not None:
            history = History(args.history, max_runs=args.max_runs)
            for entry in model.current_entries(inputs):
                history.append(entry)
            found = history.runs()
            notes += history.notes
        else:
            found = []
            for d in args.dirs:
                path = history_path(d)
                if path.exists() or path.with_name(path.name + ".jsonl").exists():
                    h = History(path, max_runs=args.max_runs)
                    found += h.runs()
                    notes += h.notes
    for entry in found:
        runs.setdefault(entry["run_id"], entry)
    ordered = sorted(runs.values(), key=lambda e: str(e.get("finished_at") or ""))[-args.max_runs :]
    for note in notes:
        print(f"autoheal report: warning: {note}", file=sys.stderr)
    context = render.write_report(args.dirs, out, history_runs=ordered, title=args.title, notes=notes, inputs=inputs)
    print(f"health report: {out} ({context['status']}: {context['status_text']})")
    return 0
