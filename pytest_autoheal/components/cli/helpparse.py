"""Reading ``--help`` output: usage, ``--version``, and subcommands in argparse and click styles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_USAGE = re.compile(r"(?im)^\s*usage:")
_VERSION = re.compile(r"(?m)(^|[\s\[,|])--version\b")
# argparse: a subparsers action shows as "{a,b,c} ..." in the usage line and as "  {a,b,c}" in its section.
_ARGPARSE_USAGE_CHOICES = re.compile(r"\s\{([\w.,:-]+)\}\s*\.\.\.")
_ARGPARSE_SECTION_CHOICES = re.compile(r"^\s+\{([\w.,:-]+)\}\s*$")
_CLICK_SECTION = re.compile(r"^(Commands|Subcommands|Available commands)\s*:\s*$", re.IGNORECASE)
# A default command of a click group is marked with "*" (click-default-group: "serve*").
_CLICK_ENTRY = re.compile(r"^ {2,4}([A-Za-z0-9][\w.:-]*)\*?(\s{2,}|\s*$)")
# argparse: subparsers with a metavar show as "COMMAND ..." in the usage line, their names under it in the positionals.
_ARGPARSE_USAGE_METAVAR = re.compile(r"\s([A-Za-z][\w-]*)\s+\.\.\.")
_TRACEBACK = "Traceback (most recent call last):"


@dataclass
class HelpInfo:
    style: str
    has_usage: bool
    has_version: bool
    subcommands: list[str] = field(default_factory=list)
    # argparse subcommands shown under a metavar ("COMMAND ..."): the help may list only some of them, or none.
    subcommand_metavar: str | None = None
    has_options: bool = False


def parse_help(text: str, style: str = "auto") -> HelpInfo:
    """What a help text says about a command; ``style`` may force ``argparse`` or ``click`` reading."""
    argparse_names = _argparse_subcommands(text) if style in ("auto", "argparse") else []
    click_names = _click_subcommands(text) if style in ("auto", "click") and not argparse_names else []
    if argparse_names:
        found_style, names = "argparse", argparse_names
    elif click_names:
        found_style, names = "click", click_names
    else:
        found_style = style if style != "auto" else ("click" if re.search(r"(?m)^Usage: ", text) else "argparse")
        names = []
    metavar = None
    if found_style == "argparse" and not any(_ARGPARSE_SECTION_CHOICES.match(line) for line in text.splitlines()):
        metavar = next((m.group(1) for m in _ARGPARSE_USAGE_METAVAR.finditer(_usage_block(text))), None)
    return HelpInfo(
        style=found_style,
        has_usage=bool(_USAGE.search(text)),
        has_version=bool(_VERSION.search(text)),
        subcommands=names,
        subcommand_metavar=metavar,
        has_options=bool(_OPTION_LINE.search(text)),
    )


_OPTION_LINE = re.compile(r"(?m)^\s+(?:-\w(?:[ ,=]|$)|--[\w-]+)")


def has_traceback(*texts: str) -> bool:
    return any(_TRACEBACK in t for t in texts)


def _argparse_subcommands(text: str) -> list[str]:
    names: list[str] = []
    for line in text.splitlines():
        m = _ARGPARSE_SECTION_CHOICES.match(line)
        if m:
            names.extend(m.group(1).split(","))
    if not names:
        usage = _usage_block(text)
        for m in _ARGPARSE_USAGE_CHOICES.finditer(usage):
            names.extend(m.group(1).split(","))
    if not names:
        for m in _ARGPARSE_USAGE_METAVAR.finditer(_usage_block(text)):
            names.extend(_metavar_entries(text, m.group(1)))
    return list(dict.fromkeys(n for n in names if n))


def _metavar_entries(text: str, metavar: str) -> list[str]:
    """The names listed, indented further, under ``metavar``'s line in the positional arguments."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^(\s+){re.escape(metavar)}(\s|$)", line)
        if not m:
            continue
        indent, names = len(m.group(1)), []
        for nxt in lines[i + 1 :]:
            if not nxt.strip():
                break
            depth = len(nxt) - len(nxt.lstrip())
            if depth <= indent:
                break
            entry = re.match(r"^\s+([A-Za-z0-9][\w.:-]*)(\s{2,}|\s*$)", nxt)
            if entry and depth == min(len(x) - len(x.lstrip()) for x in lines[i + 1 : i + 2]):
                names.append(entry.group(1))
        return names
    return []


def _usage_block(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _USAGE.match(line):
            block = [line]
            for nxt in lines[i + 1 :]:
                if not nxt.strip():
                    break
                block.append(nxt)
            return " ".join(block)
    return ""


def _click_subcommands(text: str) -> list[str]:
    names: list[str] = []
    in_section = False
    for line in text.splitlines():
        if _CLICK_SECTION.match(line.strip()) and not line.startswith(" "):
            in_section = True
            continue
        if not in_section:
            continue
        if line and not line.startswith(" "):
            in_section = False
            continue
        m = _CLICK_ENTRY.match(line)
        if m:
            names.append(m.group(1))
    return list(dict.fromkeys(names))
