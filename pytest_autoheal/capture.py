"""Capture: pytest objects in, failure records out (on the process that ran the test).

Nothing after this stage looks at pytest internals: it reads the records written here.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import store
from .inflight import read_marker

if TYPE_CHECKING:
    from .classify import Facts, Pattern
    from .frames import Frame
    from .record import ErrorInfo

# The analysis modules (classify, frames, record) load on the first failure, not at start-up.


@dataclass
class TestMeta:
    """What the markers of a test say about it (and the fixture, set at run time)."""

    level: str | None = None
    component: str | None = None
    category: str | None = None
    target: str | None = None


@dataclass
class TestState:
    """Per-test data a test (or a suite) adds through the ``autoheal_record`` fixture."""

    extras: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    category: str | None = None
    # What the test did to the target (tool calls, CLI invocations: see trail.py), and why it called nothing when policy said so.
    trail: list[dict[str, Any]] = field(default_factory=list)
    not_called: str | None = None

    def attach(self, name: str, path: str | Path) -> None:
        """Attach a file (a screenshot, a log) to the record of this test if it fails."""
        self.attachments[name] = str(path)


def error_from_exception(exc: BaseException, roots: Sequence[str | Path], longrepr: str = "") -> tuple[ErrorInfo, Facts]:
    from .classify import facts_from_exception, facts_from_text
    from .errors import TargetFailure
    from .frames import exception_type_name, frames_from_exception
    from .record import ErrorInfo

    if type(exc).__name__ == "CollectError" and exc.__cause__ is not None:
        # pytest wraps import and syntax errors of a test module; the cause is the real bug.
        exc = exc.__cause__
    if isinstance(exc, TargetFailure):
        facts = facts_from_text(exc.error_type, exc.message)
        facts.hint = exc.hint
        facts.signal = exc.signal
        facts.http_status = exc.http_status
        facts.missing_module = exc.missing_module or facts.missing_module
        info = ErrorInfo(
            type=exc.error_type,
            message=exc.message,
            frames=[_rooted(f, roots) for f in exc.frames],
            traceback=exc.traceback or longrepr,
            stdout=exc.stdout,
            stderr=exc.stderr,
            log=exc.log,
            extras=exc.extras,
            subject=exc.subject,
        )
        return info, facts
    error_type = exception_type_name(exc)
    if error_type.startswith("_pytest."):
        error_type = type(exc).__qualname__
    facts = facts_from_exception(exc)
    facts.type = error_type
    frames = frames_from_exception(exc, roots)
    message = facts.message
    if hasattr(exc, "msg") and error_type in ("Failed", "Skipped", "Exit") and isinstance(exc.msg, str):
        message = facts.message = exc.msg
    return ErrorInfo(type=error_type, message=message, frames=frames, traceback=longrepr), facts


def _rooted(frame: Frame, roots: Sequence[str | Path]) -> Frame:
    """Name a target's frame from this run's source roots, whoever parsed it."""
    from .frames import module_from_path

    # Only files under a source root (not URLs of browser scripts, not other machines' paths).
    if not any(frame.file.startswith(str(root).rstrip("/") + "/") for root in roots):
        return frame
    return dataclasses.replace(frame, module=module_from_path(frame.file, roots))


def make_test_record(
    *,
    nodeid: str,
    phase: str,
    meta: TestMeta,
    error: ErrorInfo,
    facts: Facts,
    run: Mapping[str, Any],
    patterns: Sequence[Pattern],
    duration: float | None,
    outcome: str,
    worker: str | None,
    reruns: int = 0,
    source: str = "pytest",
) -> dict[str, Any]:
    from .record import TestInfo, build_record

    test = TestInfo(
        nodeid=nodeid,
        phase=phase,
        level=meta.level,
        component=meta.component,
        category=meta.category,
        target=meta.target,
        duration=duration,
        outcome=outcome,
        reruns=reruns,
        worker=worker,
    )
    return build_record(test=test, error=error, run=run, facts=facts, patterns=patterns, source=source)


def merge_occurrence(report_dir: Path, record: dict[str, Any], known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The same failing phase seen again (a rerun): count it on the record already written."""
    from .record import note_occurrence, write_record

    previous = known.get(record["id"])
    if previous is not None:
        merged = note_occurrence(previous)
        merged["test"]["reruns"] = record["test"]["reruns"]
        merged["test"]["duration"] = record["test"]["duration"]
        record = merged
    known[record["id"]] = record
    write_record(report_dir, record)
    return record


def record_from_marker(
    marker: Mapping[str, Any],
    *,
    reason: str,
    patterns: Sequence[Pattern],
    output: str = "",
    source: str = "controller",
) -> dict[str, Any]:
    """A record for a test whose process died while running it."""
    from .classify import facts_from_text
    from .record import ErrorInfo

    meta = TestMeta(**{k: marker.get(k) for k in ("level", "component", "category", "target")})
    timeout = marker.get("timeout")
    method = marker.get("timeout_method")
    started = marker.get("started")
    elapsed = (time.time() - float(started)) if isinstance(started, (int, float)) else None
    facts = facts_from_text("ProcessCrash", reason, output)
    evidence_note = ""
    if timeout and method == "thread" and (elapsed is None or elapsed >= float(timeout) * 0.9):
        facts.hint = "timeout"
        evidence_note = f" The test ran under pytest-timeout's thread method with a {timeout}s limit, which ends the process."
        error_type = "Timeout"
    else:
        facts.signal = marker.get("signal") or "process exit"
        error_type = "ProcessCrash"
    message = reason + evidence_note
    facts.message = message
    error = ErrorInfo(type=error_type, message=message, traceback=output, stderr=output, extras={"inflight": dict(marker)})
    return make_test_record(
        nodeid=str(marker["nodeid"]),
        phase=str(marker.get("phase") or "call"),
        meta=meta,
        error=error,
        facts=facts,
        run=marker.get("run") or {"id": "unknown"},
        patterns=patterns,
        duration=elapsed,
        outcome="crashed",
        worker=marker.get("worker"),
        source=source,
    )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_inflight(report_dir: Path | str, patterns: Sequence[Pattern] | None = None) -> list[dict[str, Any]]:
    """Turn markers left by processes that died mid-test into records (idempotent)."""
    folder = Path(report_dir) / store.INFLIGHT
    recovered: list[dict[str, Any]] = []
    if not folder.is_dir():
        return recovered
    from .classify import builtin_patterns
    from .record import write_record

    patterns = builtin_patterns() if patterns is None else patterns
    for path in sorted(folder.glob("*.json")):
        marker = read_marker(path)
        pid = marker.get("pid") if marker else None
        if marker is None:
            # Blank: the process never started a test (the file is padded with spaces).
            if not path.read_bytes().strip() and not _owner_alive(path):
                path.unlink(missing_ok=True)
            continue
        if isinstance(pid, int) and pid_alive(pid) and marker.get("host") == os.uname().nodename:
            continue
        record = record_from_marker(
            marker,
            reason=f"the test process (pid {pid}) ended while running this test, before its result was reported",
            patterns=patterns,
        )
        if not store.record_path(report_dir, record["id"]).exists():
            write_record(report_dir, record)
            recovered.append(record)
        path.unlink(missing_ok=True)
    return recovered


def _owner_alive(path: Path) -> bool:
    return time.time() - path.stat().st_mtime < 5
