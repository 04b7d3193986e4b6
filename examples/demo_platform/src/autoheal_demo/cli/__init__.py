"""The demo platform's command line: text statistics, hashing, JSON and CSV checks.

Run as ``autoheal-demo``, ``python -m autoheal_demo`` or ``python path/to/autoheal_demo/cli/script.py``.
``AUTOHEAL_DEMO_BREAK=1`` switches on a real bug in ``stats`` (an unguarded mean).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, TextIO

PROG = "autoheal-demo"
HASHES = ("sha256", "sha1", "md5", "blake2b")


def _version() -> str:
    try:
        return metadata.version("autoheal-demo")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _broken() -> bool:
    return os.environ.get("AUTOHEAL_DEMO_BREAK", "").strip().lower() in ("1", "true", "yes", "on")


def _open_text(path: str) -> TextIO:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def mean(values: Sequence[float]) -> float:
    if not values and not _broken():
        return 0.0
    return sum(values) / len(values)


def text_stats(text: str) -> dict[str, Any]:
    words = text.split()
    lines = text.splitlines()
    # The regression behind the break switch: only numeric words are averaged, so prose divides by zero.
    measured = [w for w in words if any(c.isdigit() for c in w)] if _broken() else words
    return {
        "lines": len(lines),
        "words": len(words),
        "chars": len(text),
        "mean_word_length": round(mean([len(w) for w in measured]), 3),
        "longest_line": max((len(x) for x in lines), default=0),
    }


def cmd_stats(args: argparse.Namespace) -> int:
    results = {}
    for path in args.files:
        with _open_text(path) as fh:
            results[path] = text_stats(fh.read())
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    else:
        for path, stats in results.items():
            print(f"{path}: " + " ".join(f"{k}={v}" for k, v in stats.items()))
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    for path in args.files:
        digest = hashlib.new(args.algorithm, _read_bytes(path)).hexdigest()
        print(f"{digest}  {path}")
    return 0


def cmd_json_validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        with _open_text(path) as fh:
            text = fh.read()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            print(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=sys.stderr)
            status = 1
            continue
        missing = [k for k in args.require if not (isinstance(value, dict) and k in value)]
        if missing:
            print(f"{path}: missing required key(s): {', '.join(missing)}", file=sys.stderr)
            status = 1
            continue
        kind = type(value).__name__
        size = len(value) if isinstance(value, (dict, list)) else 1
        print(f"{path}: valid JSON ({kind}, {size} item{'s' if size != 1 else ''})")
    return status


def cmd_json_format(args: argparse.Namespace) -> int:
    with _open_text(args.file) as fh:
        try:
            value = json.load(fh)
        except json.JSONDecodeError as exc:
            print(f"{args.file}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=sys.stderr)
            return 1
    print(json.dumps(value, indent=args.indent, sort_keys=args.sort_keys, ensure_ascii=False))
    return 0


def csv_summary(text: str, delimiter: str = ",") -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return {"rows": 0, "columns": []}
    header, body = rows[0], rows[1:]
    columns = []
    for i, name in enumerate(header):
        cells = [r[i] for r in body if i < len(r) and r[i].strip()]
        numbers = []
        for cell in cells:
            try:
                numbers.append(float(cell))
            except ValueError:
                break
        else:
            if numbers:
                columns.append({"name": name, "type": "number", "min": min(numbers), "max": max(numbers), "mean": round(mean(numbers), 6)})
                continue
        columns.append({"name": name, "type": "text", "distinct": len(set(cells)), "empty": len(body) - len(cells)})
    return {"rows": len(body), "columns": columns}


def cmd_csv_summary(args: argparse.Namespace) -> int:
    with _open_text(args.file) as fh:
        summary = csv_summary(fh.read(), args.delimiter)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"rows: {summary['rows']}")
    for col in summary["columns"]:
        details = ", ".join(f"{k}={v}" for k, v in col.items() if k not in ("name", "type"))
        print(f"  {col['name']} ({col['type']}): {details}")
    return 0


def cmd_selftest_raise(args: argparse.Namespace) -> int:
    raise RuntimeError(f"deliberate error from '{PROG} selftest raise' to check error reporting ({args.note})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Small data tools of the autoheal demo platform.")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="{stats,hash,data,selftest}", required=True)

    p = sub.add_parser("stats", help="count lines, words and characters of text files ('-' for stdin)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("hash", help="print the digest of files ('-' for stdin)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-a", "--algorithm", choices=HASHES, default="sha256")
    p.set_defaults(func=cmd_hash)

    data = sub.add_parser("data", help="check and summarise data files")
    data_sub = data.add_subparsers(dest="kind", required=True)
    js = data_sub.add_parser("json", help="JSON documents")
    js_sub = js.add_subparsers(dest="action", required=True)
    p = js_sub.add_parser("validate", help="check that files are valid JSON")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--require", action="append", default=[], metavar="KEY", help="a top-level key that must be present")
    p.set_defaults(func=cmd_json_validate)
    p = js_sub.add_parser("format", help="pretty-print a JSON file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--indent", type=int, default=2)
    p.add_argument("--sort-keys", action="store_true")
    p.set_defaults(func=cmd_json_format)
    p = data_sub.add_parser("csv", help="summarise the columns of a CSV file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-d", "--delimiter", default=",")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_csv_summary)

    st = sub.add_parser("selftest", help="checks of the platform's own plumbing")
    st_sub = st.add_subparsers(dest="check", required=True)
    p = st_sub.add_parser("raise", help="raise an uncaught error on purpose (checks error reporting)")
    p.add_argument("--note", default="no note")
    p.set_defaults(func=cmd_selftest_raise)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pytest_autoheal import install_cli_error_handler

    install_cli_error_handler(command=PROG)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
