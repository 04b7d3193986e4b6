"""The quarry CLI (argparse). Subcommands are declared with a metavar, so --help shows no {a,b} list."""

from __future__ import annotations

import argparse
import sys

from quarry.stats import ROWS, column_total


def build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quarry", description="Work with quarry records.")
    parser.add_argument("--version", action="version", version="quarry 0.3.1")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    ingest = sub.add_parser("ingest", help="read records")
    ingest.add_argument("path", nargs="?", default="-")
    summarize = sub.add_parser("summarize", help="total a column")
    summarize.add_argument("--column", default="tons")
    convert = sub.add_parser("convert", help="convert records")
    convert.add_argument("--to", default="json")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command == "convert":
        # The planted quirk: `convert` answers a bad option with exit 1, not argparse's usage error (exit 2).
        sys.stderr.write(f"convert: unknown option {unknown[0]}\n")
        raise SystemExit(1)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "summarize":
        print(f"{args.column}: {column_total(ROWS, args.column)}")
    elif args.command == "ingest":
        print(f"ingested {len(ROWS)} rows from {args.path}")
    else:
        print(f"converted {len(ROWS)} rows to {args.to}")


if __name__ == "__main__":
    main()
