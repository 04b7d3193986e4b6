"""Which tools the suites may call, per the MCP specification's annotation defaults.

A tool is read-only only when it says ``readOnlyHint: true``; otherwise ``destructiveHint``
defaults to true, so a tool without annotations is presumed destructive. ``call`` chooses how
far to go (``read_only``, ``non_destructive``, ``all``); ``skip`` and ``allow`` globs over tool
names and ``category/tool`` ids decide before it (``skip_tools`` and ``allow_destructive`` are
their older names).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from .config import McpConfig
from .discovery import ServedTool

TABLE = "[tool.autoheal.mcp]"


def matching(tool: ServedTool, patterns: Iterable[str]) -> str | None:
    """The first glob that matches the tool's name or its ``category/tool`` id."""
    return next((p for p in patterns if fnmatchcase(tool.name, p) or fnmatchcase(tool.id, p)), None)


def annotations_text(tool: ServedTool) -> str:
    if tool.read_only is None and tool.destructive is None:
        return "no readOnlyHint or destructiveHint annotation"
    hints = [f"readOnlyHint: {_flag(tool.read_only)}", f"destructiveHint: {_flag(tool.destructive)}"]
    return ", ".join(hints)


def _flag(value: bool | None) -> str:
    return "unset" if value is None else str(value).lower()


def allowed_by_annotations(tool: ServedTool, call: str) -> bool:
    if call == "all" or tool.read_only is True:
        return True
    return call == "non_destructive" and tool.destructive is False


def not_called_reason(tool: ServedTool, cfg: McpConfig) -> str | None:
    """Why the suites must not call ``tool`` (naming its annotations and the setting that would allow it), or None."""
    if tool.name in cfg.skip_tools:
        return f"{tool.name} is listed in {TABLE} skip_tools"
    pattern = matching(tool, [*cfg.skip, *cfg.skip_tools])
    if pattern is not None:
        return f"{tool.id} matches {pattern!r} in {TABLE} skip"
    if matching(tool, [*cfg.allow, *cfg.allow_destructive]) is not None or allowed_by_annotations(tool, cfg.call):
        return None
    if tool.read_only is None and tool.destructive is None:
        what = "not annotated read-only (it has no annotations, and the MCP spec presumes such a tool destructive)"
    elif tool.destructive is not False:
        what = "annotated destructiveHint" if tool.destructive else "not annotated read-only (destructiveHint defaults to true)"
    else:
        what = "not annotated read-only"
    wider = "non_destructive" if tool.destructive is False else "all"
    return (
        f"{tool.name} is {what}; add it to {TABLE} allow (globs of tool or category/tool; allow_destructive also works) to call it, "
        f'or set call = "{wider}" [annotations: {annotations_text(tool)}; policy: call = "{cfg.call}"]'
    )
