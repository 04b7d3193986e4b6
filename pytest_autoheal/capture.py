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
from typing import TYPE_CHECKING, Any, NoReturn

from . import store
from .inflight import read_marker

if TYPE_CHECKING:
    from .classify import Facts, Pattern
    from .errors import TargetFailure
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
    # Further distinct failures the test found, each with its record target: one record each when the test fails.
    failures: list[tuple[TargetFailure, str | None]] = field(default_factory=list)
    # What the test did to the target (tool calls, CLI invocations: see trail.py), and why it called nothing when policy said so.
    trail: list[dict[str, Any]] = field(default_factory=list)
    not_called: str | None = None

    def attach(self, name: str, path: str | Path) -> None:
        """Attach a file (a screenshot, a log) to the record of this test if it fails."""
        self.attachments[name] = str(path)

    def add_failure(self, failure: TargetFailure, *, target: str | None = None) -> None:
        """One more distinct failure of the target this test found: it gets a record of its own (target, class, fingerprint)
        when the test fails. ``target`` defaults to the failure's subject."""
        self.failures.append((failure, target or failure.subject))

    def fail(self, failures: Sequence[TargetFailure], *, found_in: str = "") -> NoReturn:
        """Fail the test once for several distinct failures: the first is raised (its record is the test's), and every
        other one is recorded on its own. ``found_in`` says where they were found (``"12 crawled pages"``) on the terminal."""
        first, *rest = failures
        for failure in rest:
            self.add_failure(failure)
        if first.subject and self.target is None:
            self.target = first.subject
        if rest:
            where = f" in {found_in}" if found_in else ""
            others = "; ".join(f.summary.splitlines()[0][:160] for f in rest[:5]) + ("; ..." if len(rest) > 5 else "")
            first.summary = f"{len(failures)} distinct failures{where} (one record each); first: {first.summary}\nalso: {others}"
        raise first


def error_from_exception(exc: BaseException, roots: Sequence[str | Path], longrepr: str = "") -> tuple[ErrorInfo, Facts]:
    """The evidence of a failure: a :class:`TargetFailure`'s fields, or a live exception's own type, message and frames.

    pytest's report of the test (``longrepr``: the suite's frames, fixture and config reprs)
    goes to ``monitor`` only, so nothing in it can decide a class or a fingerprint.
    """
    from .classify import facts_from_exception, facts_from_text
    from .errors import TargetFailure
    from .frames import exception_type_name, frames_from_exception
    from .record import ErrorInfo

    if type(exc).__name__ == "CollectError" and exc.__cause__ is not None:
        # pytest wraps import and syntax errors of a test module; the cause is the real bug.
        exc = exc.__cause__
    monitor: dict[str, str | bytes | None] = {"traceback": longrepr}
    if isinstance(exc, TargetFailure):
        # A message the monitor wrote is not evidence: classification reads what the target said instead.
        facts = facts_from_text(exc.error_type, exc.message if exc.said is None else exc.said)
        facts.hint = exc.hint
        facts.signal = exc.signal
        facts.http_status = exc.http_status
        facts.missing_module = exc.missing_module or facts.missing_module
        info = ErrorInfo(
            type=exc.error_type,
            message=exc.message,
            frames=[_rooted(f, roots) for f in exc.frames],
            traceback=exc.traceback,
            stdout=exc.stdout,
            stderr=exc.stderr,
            log=exc.log,
            extras=exc.extras,
            monitor={"summary": exc.summary, **monitor},
            subject=exc.subject,
            component=exc.component,
            exit_code=exc.exit_code,
            reason=exc.reason,
            fallback=exc.fallback,
            legacy_message=exc.legacy_message,
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
    traceback = _format(error_type, message, frames)
    return ErrorInfo(type=error_type, message=message, frames=frames, traceback=traceback, monitor=monitor), facts


def _format(error_type: str, message: str, frames: Sequence[Frame]) -> str:
    """The exception's own traceback in Python's layout, from the frames already read (no argument or local reprs)."""
    # pytest's and pluggy's frames that called the test are not the failure's: start at the first in-app frame.
    first = next((i for i, f in enumerate(frames) if f.in_app), 0)
    lines = ["Traceback (most recent call last):"]
    for f in frames[first:]:
        lines.append(f'  File "{f.file}", line {f.line}, in {f.function}')
        if f.source:
            lines.append(f"    {f.source}")
    lines.append(f"{error_type}: {message}" if message else error_type)
    return "\n".join(lines)


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
    record_id_salt: str = "",
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
    return build_record(test=test, error=error, run=run, facts=facts, patterns=patterns, source=source, record_id_salt=record_id_salt)


def test_failure_records(
    exc: BaseException,
    *,
    nodeid: str,
    phase: str,
    meta: TestMeta,
    state: TestState | None,
    captured: Mapping[str, str],
    longrepr: str,
    run: Mapping[str, Any],
    patterns: Sequence[Pattern],
    roots: Sequence[str | Path],
    duration: float | None,
    outcome: str,
    worker: str | None,
    reruns: int = 0,
) -> list[tuple[dict[str, Any], bool]]:
    """The records of one failed test phase: the raised failure's, then one per further distinct failure the test added.

    Each comes with whether it is ``shared`` (the target as a whole failed, e.g. it did not start):
    such a record's id comes from its fingerprint, so every test and worker that sees it writes one record.
    """
    from .errors import TargetFailure
    from .record import record_id

    error, facts = error_from_exception(exc, roots, longrepr)
    target_failure = isinstance(exc, TargetFailure)
    for stream in ("stdout", "stderr", "log"):
        text = captured.get(stream) or ""
        if target_failure:
            # The test process's own output is the monitor's, not the target's.
            if text:
                error.monitor[stream] = text
        elif getattr(error, stream) is None:
            setattr(error, stream, text)
    meta = dataclasses.replace(meta)
    if state is not None:
        meta.target = state.target or meta.target
        meta.category = state.category or meta.category
        error.extras = {**state.extras, **error.extras}
        if state.trail:
            error.extras["trail"] = list(state.trail)
        if state.attachments:
            error.extras["attachments"] = dict(state.attachments)
    common: dict[str, Any] = dict(phase=phase, run=run, patterns=patterns, duration=duration, outcome=outcome, worker=worker, reruns=reruns)
    record = make_test_record(nodeid=nodeid, meta=meta, error=error, facts=facts, **common)
    shared = bool(getattr(exc, "shared", False))
    if shared:
        record["id"] = record_id(str(run.get("id", "")), "shared", phase, record["fingerprint"]["hash"])
    out = [(record, shared)]
    for failure, target in state.failures if state is not None else []:
        extra_error, extra_facts = error_from_exception(failure, roots)
        extra_error.monitor = {"summary": failure.summary, "raised": error.monitor.get("summary") or error.type}
        extra_meta = dataclasses.replace(meta, target=target or meta.target)
        extra = make_test_record(nodeid=nodeid, meta=extra_meta, error=extra_error, facts=extra_facts, **common)
        # Stable across reruns of the test, distinct per failure.
        extra["id"] = record_id(str(run.get("id", "")), nodeid, phase, f"{extra_meta.target}|{extra['fingerprint']['hash']}")
        if extra["id"] != record["id"] and all(extra["id"] != r["id"] for r, _ in out):
            out.append((extra, False))
    return out


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
