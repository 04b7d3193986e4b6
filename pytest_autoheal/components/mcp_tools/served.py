"""Why a tool file is not served, from evidence about that file only.

In order: the module does not import on its own (the same failure, and fingerprint, as its
import check); a traceback in the server's stderr that names the module; log lines that name
it; else the record says the module is not served and nothing explains why. Another tool's
traceback, or a server's unrelated log line, is never borrowed.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import TargetFailure
from ...frames import parse_python_traceback
from .checks import one_traceback
from .discovery import Discovery, ToolFile
from .loading import cause_frames, import_module, tool_module

_TRACEBACK = "Traceback (most recent call last):"
EVIDENCE_LINES = 20


def _mentions(tool_file: ToolFile, dotted: str) -> re.Pattern[str]:
    path = str(tool_file.path.resolve())
    name = tool_file.name
    names = [
        re.escape(path),
        re.escape(f"{tool_file.category}/{name}.py"),
        re.escape(f"{tool_file.category}.{name}"),
        re.escape(f"{name}.py"),
    ]
    if dotted:
        names.append(re.escape(dotted))
    if re.search(r"[_\d]", name):
        names.append(re.escape(name))
    else:
        # A plain word ("search", "status") names the tool only quoted or after "tool": log prose uses such words too.
        names.append(rf"(?:(?<=['\"`])|(?<=\btool )|(?<=\bTool )){re.escape(name)}(?=['\"`\s:,;]|$)")
    return re.compile(r"(?<![\w.])(?:" + "|".join(names) + r")(?![\w])")


def server_evidence(stderr: str, tool_file: ToolFile, dotted: str) -> tuple[str | None, list[str]]:
    """The last traceback in ``stderr`` that names the module (with the log line before it), and
    the other lines that name it."""
    mention = _mentions(tool_file, dotted)
    traceback_text = None
    inside: set[int] = set()
    start = stderr.find(_TRACEBACK)
    while start >= 0:
        block = one_traceback(stderr, start)
        line_start = stderr.rfind("\n", 0, start) + 1
        before = stderr.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else 0
        logged = stderr[before:line_start]
        if mention.search(block) or mention.search(logged):
            traceback_text = (logged + block) if logged.strip() else block
        inside.update(range(start, start + len(block)))
        start = stderr.find(_TRACEBACK, start + len(block))
    lines = []
    offset = 0
    for line in stderr.splitlines(keepends=True):
        if offset not in inside and mention.search(line) and len(lines) < EVIDENCE_LINES:
            lines.append(line.rstrip())
        offset += len(line)
    return traceback_text, lines


def not_served_failure(found: Discovery, tool_file: ToolFile, published: str) -> TargetFailure:
    """The failure of a tool file the server does not publish (``published``: where we looked)."""
    target = found.target
    conn = found.session.conn if found.session is not None else None
    stderr = conn.stderr_since(0, limit=1_000_000) if conn is not None else ""
    _, dotted = tool_module(target, tool_file.path)
    traceback_text, lines = server_evidence(stderr, tool_file, dotted)
    extras: dict[str, Any] = {"file": str(tool_file.path), "tool": tool_file.name, "category": tool_file.category, "published": published}
    if lines:
        extras["server_lines"] = lines
    head = f"tool file {tool_file.id} is not served: {published} has no tool {tool_file.name!r}"
    imported = import_module(target, tool_file)
    if imported.failure is not None:
        cause = imported.failure
        if traceback_text:
            extras["server_traceback"] = traceback_text[-4000:]
        return TargetFailure(
            f"{head}; it does not import on its own: {cause.error_type}: {cause.message[:300]}",
            error_type=cause.error_type,
            message=cause.message,
            frames=cause.frames,
            traceback=cause.traceback,
            stdout=cause.stdout,
            stderr=cause.stderr,
            extras={**cause.extras, **extras},
            hint=cause.hint,
            signal=cause.signal,
            subject=cause.subject,
        )
    if traceback_text:
        parsed = parse_python_traceback(traceback_text)
        if parsed is not None:
            return TargetFailure(
                f"{head}; the server logged: {parsed.type}: {parsed.message[:300]}",
                error_type=parsed.type,
                message=parsed.message,
                frames=cause_frames(parsed.frames),
                traceback=parsed.text,
                stderr=traceback_text,
                extras=extras,
            )
    if lines:
        return TargetFailure(
            f"{head}; the server said: {lines[-1][:300]}",
            error_type="ToolNotServed",
            message=f"module not served; the server said: {lines[-1][:500]}",
            stderr="\n".join(lines),
            extras=extras,
            hint="contract",
        )
    return TargetFailure(
        f"{head}; it imports on its own and the server wrote nothing about it",
        error_type="ToolNotServed",
        message="module not served, no traceback: it imports on its own and the server's stderr does not name it",
        extras=extras,
        hint="contract",
    )
