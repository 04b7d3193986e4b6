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


# How much of what a target printed last goes on a terminal line.
LAST_LINES = 3
LAST_WIDTH = 300


class TargetFailure(Exception):
    """A failure of the monitored target (a CLI, a tool, a page), seen from outside.

    The record's error type, message, frames and class come from these fields (the target's
    evidence), never from the suite's own traceback, so the same bug in a tool fingerprints
    the same whichever suite line noticed it. ``summary`` is the terminal line: it quotes
    what the target said.

    ``subject`` names what failed the same way however it was observed (a subcommand and its
    arguments without the variant's program, a page path, a tool): it is the fingerprint's
    target. ``component`` overrides the test's component when the bug is another component's
    (a dashboard that does not start, seen by the js_sdk suite). ``shared`` marks a failure of
    the target as a whole (it did not start): every test that needs it sees the same
    exception, and the run records it once. ``exit_code`` is the target process's exit code
    when it ended; with nothing more precise known, the class comes from it.
    ``reason`` is the evidence sentence behind ``hint``. When the message is the monitor's own
    sentence (an expectation the target's answer broke), ``said`` is what the target said (its
    last lines), which classification reads instead, and ``fallback`` the class when that decides
    nothing.
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
        reason: str | None = None,
        signal: str | None = None,
        http_status: int | None = None,
        missing_module: str | None = None,
        exit_code: int | None = None,
        subject: str | None = None,
        component: str | None = None,
        shared: bool = False,
        said: str | None = None,
        fallback: str | None = None,
        legacy_message: str | None = None,
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
        self.reason = reason
        self.signal = signal
        self.http_status = http_status
        self.missing_module = missing_module
        self.exit_code = exit_code
        self.subject = subject
        self.component = component
        self.shared = shared
        self.said = said
        self.fallback = fallback
        # The message autoheal-v1 gave this failure, where it differs: heal still finds issues filed under v1.
        self.legacy_message = legacy_message

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

    @classmethod
    def from_exit(
        cls,
        what: str,
        output: str,
        *,
        code: int | None,
        signal: str | None = None,
        roots: Sequence[str | Path] = (),
        default_type: str = "ProcessExited",
        **kwargs: Any,
    ) -> TargetFailure:
        """A target process that ended: classed from its traceback, else its signal, else its exit code and last words.

        ``what`` says which process and when (``"the dashboard exited before ... answered"``
        reads ``"the dashboard"``, ``"before ... answered"`` is the caller's summary prefix).
        """
        if signal is None and code is not None and code < 0:
            # A negative return code is the signal that ended the process (subprocess and anyio say so).
            signal, code = signal_name(-code), None
        words = last_words(output)
        ended = f"was killed by {signal}" if signal else f"exited with code {code}"
        parsed = parse_python_traceback(output, roots)
        if parsed is not None:
            said = f"{parsed.type}: {' '.join(parsed.message.split())[:LAST_WIDTH]}".rstrip(": ")
            kwargs.setdefault("message", parsed.message)
            return cls(
                f"{what} {ended}: {said}",
                error_type=parsed.type,
                frames=parsed.frames,
                traceback=parsed.text,
                signal=signal,
                exit_code=code,
                **kwargs,
            )
        message = f"{ended}: {words}" if words else f"{ended} and printed nothing"
        kwargs.setdefault("message", message)
        return cls(
            f"{what} {ended}: {words}" if words else f"{what} {ended} and printed nothing",
            error_type=signal or default_type,
            signal=signal,
            exit_code=code,
            **kwargs,
        )

    def __str__(self) -> str:
        return self.summary


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11: how a process's ending by a signal is named in records."""
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def last_words(text: str | bytes | None, lines: int = LAST_LINES, width: int = LAST_WIDTH) -> str:
    """The last non-empty lines a target printed, joined on one line: what a terminal line quotes."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="backslashreplace")
    kept = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()][-lines:]
    said = " | ".join(kept)
    return said if len(said) <= width else "..." + said[-(width - 3) :]


def missing_program(what: str, program: str, setting: str, *, message: str | None = None, **kwargs: Any) -> TargetFailure:
    """A configured program or path that does not exist: a ``config`` failure naming the setting to fix."""
    summary = f"{what}: the program {program!r} was not found; check {setting} or install it"
    return TargetFailure(
        summary,
        error_type="FileNotFoundError",
        message=message or f"program not found: {program}",
        hint="config",
        reason=f"the configured program {program!r} does not exist",
        **kwargs,
    )


class ConfigUnavailable(Exception):
    """The configuration names no target for a suite; the suite skips with this reason."""
