"""The trail: what the suites did to the target, one entry per tool call and per CLI invocation.

A suite points :func:`recording` at the running test's list; the call sites (the MCP call path,
the CLI runner) add to it through :func:`tool_call` and :func:`invocation`. Calls made outside any
test (CLI subcommand discovery at collection) go to :data:`OUTSIDE_TESTS`. Arguments pass the
redactor before they are kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# One test keeps at most this many entries (a stress test makes hundreds of calls); the rest are counted.
MAX_ENTRIES = 400
ANSWER_CHARS = 160
DROPPED = "dropped"

OUTSIDE_TESTS: list[dict[str, Any]] = []
_current: list[dict[str, Any]] = OUTSIDE_TESTS
_lock = threading.Lock()


@contextmanager
def recording(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Send what is done until the block ends to ``entries`` (calls from other threads too)."""
    global _current
    previous, _current = _current, entries
    try:
        yield entries
    finally:
        _current = previous


def add(entry: dict[str, Any]) -> None:
    entries = _current
    with _lock:
        if len(entries) < MAX_ENTRIES - 1:
            entries.append(entry)
        elif len(entries) == MAX_ENTRIES - 1:
            entries.append({DROPPED: 1})
        else:
            entries[-1][DROPPED] += 1


def summary(text: str, limit: int = ANSWER_CHARS) -> str:
    """A short one-line summary of an answer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def tool_call(
    tool: str, arguments: Any, *, seconds: float, is_error: bool | None = None, answer: str = "", error: str | None = None
) -> None:
    """Keep one tool call: its redacted arguments, whether the answer was an error, a short summary, the duration."""
    from .redact import redact_arguments

    entry: dict[str, Any] = {"tool": tool, "arguments": redact_arguments(arguments), "ms": round(seconds * 1000, 1)}
    if error is not None:
        entry["error"] = summary(error)
    else:
        entry["is_error"] = bool(is_error)
        entry["answer"] = summary(answer)
    add(entry)


def invocation(argv: Sequence[str], *, exit_code: int | None, seconds: float, timed_out: bool = False) -> None:
    """Keep one CLI invocation: its redacted argv, exit code (None when it did not exit by itself) and duration."""
    from .redact import redact_arguments

    entry: dict[str, Any] = {"argv": redact_arguments(list(argv)), "exit_code": exit_code, "ms": round(seconds * 1000, 1)}
    if timed_out:
        entry["timed_out"] = True
    add(entry)
