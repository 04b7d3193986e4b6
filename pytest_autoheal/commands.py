"""The ``autoheal`` command: heal, analyze, init, report.

Each subcommand lives in the module of its stage, which provides ``add_arguments(parser)``
and ``main(args) -> int``; they are imported only when chosen, so ``autoheal --help`` is quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = {
    "heal": ("pytest_autoheal.heal.command", "file or update deduplicated issues and draft PRs from failure records"),
    "analyze": ("pytest_autoheal.analyze", "turn a raw CI log into failure records"),
    "init": ("pytest_autoheal.scaffold", "write [tool.autoheal] and GitHub Actions workflows into a repository"),
    "report": ("pytest_autoheal.report.command", "render the HTML health report from one or more report directories"),
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autoheal", description="pytest-autoheal: failure records, health report, heal.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(p)
            p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except KeyboardInterrupt:
        print("autoheal: interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from . import __version__

    return f"autoheal {__version__}"


if __name__ == "__main__":
    sys.exit(main())
