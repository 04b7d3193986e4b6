"""Exceptions the suites raise so a record describes the target's failure, not the suite's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .frames import Frame, parse_python_traceback

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def strip_ansi(text: str) -> str:
    """Text without terminal colour and cursor codes (a server's coloured log lines)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


class TargetFailure(Exception):
    """A failure of the monitored target (a CLI, a tool, a page), seen from outside.

    The record's error type, message, frames and class come from these fields, so the same
    bug in a tool fingerprints the same whichever suite line noticed it.
    """

    def __init__(
        self,
        summary: str,
        *,
        error_type: str,
        message: str = "",
        frames: Sequence[Frame] = (),
        traceback: str = "",
        stdout: str | bytes | None = None,
        stderr: str | bytes | None = None,
        log: str | bytes | None = None,
        extras: dict[str, Any] | None = None,
        hint: str | None = None,
        signal: str | None = None,
        http_status: int | None = None,
        missing_module: str | None = None,
        subject: str | None = None,
    ) -> None:
        summary = strip_ansi(summary)
        super().__init__(summary)
        self.summary = summary
        self.error_type = error_type
        self.message = strip_ansi(message) if message else summary
        self.frames = list(frames)
        self.traceback = traceback
        self.stdout = stdout
        self.stderr = stderr
        self.log = log
        self.extras = dict(extras or {})
        self.hint = hint
        self.signal = signal
        self.http_status = http_status
        self.missing_module = missing_module
        # What failed, named the same however it was observed (a missing module many tools import):
        # the fingerprint's target.
        self.subject = subject

    @classmethod
    def from_output(
        cls,
        summary: str,
        text: str,
        *,
        roots: Sequence[str | Path] = (),
        default_type: str = "ProcessError",
        **kwargs: Any,
    ) -> TargetFailure:
        """Build from process output, taking type, message and frames from its Python traceback."""
        parsed = parse_python_traceback(strip_ansi(text), roots)
        if parsed is None:
            return cls(summary, error_type=default_type, **kwargs)
        kwargs.setdefault("message", parsed.message)
        return cls(summary, error_type=parsed.type, frames=parsed.frames, traceback=parsed.text, **kwargs)

    def __str__(self) -> str:
        return self.summary


class ConfigUnavailable(Exception):
    """The configuration names no target for a suite; the suite skips with this reason."""
