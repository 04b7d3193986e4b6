"""Runtime error reporters for Python code and CLIs: the platform reports its own errors.

They write the same failure record as the pytest plugin (``build_record(source="reporter")``)
into a report directory, so ``autoheal heal`` files them like test failures. They never call
GitHub and never raise into the code that uses them.

Environment: ``ERROR_REPORTING_ENABLED`` (off unless true), ``AUTOHEAL_REPORT_DIR`` (default
``autoheal-reports``), ``ERROR_MIN_REPORT_INTERVAL`` (seconds, default 3600),
``ERROR_MAX_REPORTS_PER_SESSION`` (default 10), ``AUTOHEAL_IN_APP`` (extra source roots,
``os.pathsep``-separated) and ``AUTOHEAL_RUN_ID``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
import threading
import time
import traceback as _traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import store
from ..classify import Facts, facts_from_exception, facts_from_text
from ..context import new_local_run_id, run_context
from ..frames import Frame, default_roots, exception_type_name, frames_from_exception, parse_python_traceback
from ..record import ErrorInfo, TestInfo, build_record, decode_output, note_occurrence, truncate, write_record

log = logging.getLogger("pytest_autoheal.reporters")

DEFAULT_REPORT_DIR = "autoheal-reports"
STATE_DIR = ".reporter"
_TRUE = ("1", "true", "yes", "on")
# Context keys that describe the test part of a record; everything else goes to error.extras.
_TARGET_KEYS = ("target", "tool", "command", "page", "url", "file")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


class ErrorReporter:
    """Turns errors raised at runtime into failure records in a report directory.

    Deduplicated by fingerprint within ``min_report_interval`` seconds (a repeat bumps the
    occurrence count of the record already written), capped at ``max_reports_per_session``
    new records per reporter, safe across threads and across processes sharing one directory.
    """

    def __init__(
        self,
        enabled: bool | None = None,
        repo: str | None = None,
        github_token: str | None = None,
        min_report_interval: int | None = None,
        *,
        report_dir: str | os.PathLike[str] | None = None,
        max_reports_per_session: int | None = None,
        component: str | None = None,
        roots: Sequence[str | os.PathLike[str]] | None = None,
    ) -> None:
        self.enabled = _env_flag("ERROR_REPORTING_ENABLED") if enabled is None else bool(enabled)
        self.repo = repo or os.environ.get("GITHUB_REPOSITORY") or None
        # Kept only so callers written for the seed still work: records never hold it and nothing here calls GitHub.
        self._github_token = github_token
        self.min_report_interval = _env_int("ERROR_MIN_REPORT_INTERVAL", 3600) if min_report_interval is None else int(min_report_interval)
        self.max_reports_per_session = (
            _env_int("ERROR_MAX_REPORTS_PER_SESSION", 10) if max_reports_per_session is None else int(max_reports_per_session)
        )
        self.report_dir = Path(report_dir or os.environ.get("AUTOHEAL_REPORT_DIR") or DEFAULT_REPORT_DIR).resolve()
        self.component = component if component in ("cli", "mcp_tools", "js_sdk", "dashboard") else None
        extra_roots = [p for p in os.environ.get("AUTOHEAL_IN_APP", "").split(os.pathsep) if p]
        self.roots = [str(r) for r in roots] if roots is not None else default_roots() + extra_roots
        self.reports_written = 0
        self._lock = threading.Lock()
        self._run: dict[str, Any] | None = None

    @property
    def run(self) -> dict[str, Any]:
        if self._run is None:
            if os.environ.get("GITHUB_RUN_ID"):
                self._run = run_context()
            else:
                # Outside CI the run is this process; the git state of whatever directory a CLI runs in is not ours to report.
                self._run = {
                    "id": os.environ.get("AUTOHEAL_RUN_ID") or new_local_run_id(),
                    "url": None,
                    "workflow": None,
                    "job": None,
                    "sha": None,
                    "ref": None,
                    "repository": self.repo,
                    "attempt": None,
                    "ci": _env_flag("CI"),
                    "host": os.uname().nodename,
                }
        return self._run

    def report_exception(self, exc: BaseException, context: Mapping[str, Any] | None = None) -> Path | None:
        """Record ``exc``; returns the record's path, or None when disabled, deduplicated or capped."""
        return self.report_error(error=exc, context=context)

    def report_error(
        self,
        error: BaseException | str | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        error_type: str | None = None,
        message: str | None = None,
        traceback: str | None = None,
        logs: str | bytes | None = None,
        source: str = "reporter",
    ) -> Path | None:
        """Record an error given as an exception, or as a type, message and optional traceback text."""
        if not self.enabled:
            return None
        try:
            record = self.build(error, context, error_type=error_type, message=message, traceback=traceback, logs=logs, source=source)
            return self.submit(record)
        except Exception as exc:  # never into the caller
            log.warning("pytest-autoheal could not record an error: %r", exc)
            return None

    def build(
        self,
        error: BaseException | str | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        error_type: str | None = None,
        message: str | None = None,
        traceback: str | None = None,
        logs: str | bytes | None = None,
        source: str = "reporter",
        launcher_frames: bool = True,
    ) -> dict[str, Any]:
        """The failure record for an error, without writing it."""
        ctx = dict(context or {})
        facts: Facts
        frames: list[Frame]
        if isinstance(error, BaseException):
            etype = error_type or exception_type_name(error)
            facts = facts_from_exception(error)
            facts.type = etype
            frames = frames_from_exception(error, self.roots)
            msg = message if message is not None else facts.message
            tb_text = traceback or "".join(_traceback.format_exception(type(error), error, error.__traceback__))
        else:
            msg = message if message is not None else decode_output(error) if error is not None else ""
            parsed = parse_python_traceback(traceback, self.roots) if traceback else None
            etype = error_type or (parsed.type if parsed else "Error")
            frames = parsed.frames if parsed else []
            if parsed and not msg:
                msg = parsed.message
            tb_text = traceback or ""
            facts = facts_from_text(etype, msg)
        if not launcher_frames:
            from ..components.cli.checks import without_launcher

            frames = without_launcher(frames)
        component = ctx.pop("component", None) or self.component
        if component not in ("cli", "mcp_tools", "js_sdk", "dashboard"):
            if component is not None:
                ctx["component"] = component
            component = None
        target = next((str(ctx[k]) for k in _TARGET_KEYS if ctx.get(k) not in (None, "")), None)
        category = ctx.get("category")
        where = target or component or _caller_module(frames) or "python"
        test = TestInfo(
            nodeid=f"reporter::{component or 'python'}::{where}",
            phase="runtime",
            component=component,
            category=str(category) if category is not None else None,
            target=target,
            outcome="reported",
        )
        info = ErrorInfo(type=etype, message=msg, frames=frames, traceback=tb_text, log=logs, extras=_extras(ctx))
        record = build_record(test=test, error=info, run=self.run, facts=facts, source=source)
        # One record per fingerprint and reporting window: the id must not repeat across windows.
        record["id"] = _record_id(record, self.run)
        return record

    def submit(self, record: dict[str, Any]) -> Path | None:
        """Write ``record`` unless its fingerprint was reported within the interval (then count it)."""
        fp = record["fingerprint"]["hash"]
        with self._lock, self._dir_lock():
            state_path = self.report_dir / STATE_DIR / f"{fp}.json"
            now = time.time()
            state = _read_state(state_path)
            if state and now - float(state.get("reported_at", 0)) < self.min_report_interval:
                existing = store.record_path(self.report_dir, str(state.get("record_id")))
                with contextlib.suppress(OSError, ValueError):
                    previous = store.read_json(existing)
                    write_record(self.report_dir, note_occurrence(previous))
                return None
            if self.reports_written >= self.max_reports_per_session:
                log.info("pytest-autoheal: %s new error records this session, not recording more", self.reports_written)
                return None
            path = write_record(self.report_dir, record)
            store.write_json(state_path, {"fingerprint": fp, "record_id": record["id"], "reported_at": now})
            self.reports_written += 1
            return path

    @contextlib.contextmanager
    def _dir_lock(self) -> Iterator[None]:
        lock_path = self.report_dir / STATE_DIR / "lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class CLIErrorReporter(ErrorReporter):
    """An :class:`ErrorReporter` for command-line tools: records carry the command, its arguments and log output."""

    def __init__(self, enabled: bool | None = None, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("component", "cli")
        super().__init__(enabled, *args, **kwargs)

    def format_cli_error(
        self,
        error: BaseException | str,
        command: str | None = None,
        args: Sequence[str] | None = None,
        logs: str | bytes | None = None,
    ) -> dict[str, Any]:
        """The failure record for a CLI error (command, argv, exit code and log tail in ``error.extras``)."""
        command = command or Path(sys.argv[0] or "python").name
        argv = [str(a) for a in (args if args is not None else sys.argv[1:])]
        context = {"component": "cli", "command": command, "argv": [command, *argv]}
        return self.build(error, context, logs=truncate(logs) if logs is not None else None, launcher_frames=False)

    def report_cli_error(
        self,
        error: BaseException | str,
        command: str | None = None,
        args: Sequence[str] | None = None,
        logs: str | bytes | None = None,
    ) -> Path | None:
        """Record a CLI error; returns the record's path, or None when disabled, deduplicated or capped."""
        if not self.enabled:
            return None
        try:
            return self.submit(self.format_cli_error(error, command, args, logs))
        except Exception as exc:
            log.warning("pytest-autoheal could not record a CLI error: %r", exc)
            return None


def install_cli_error_handler(
    reporter: CLIErrorReporter | None = None,
    *,
    command: str | None = None,
) -> CLIErrorReporter:
    """Record uncaught exceptions of this process, then let the previous ``sys.excepthook`` run.

    The exit status stays what Python makes it (1); ``KeyboardInterrupt`` is not recorded.
    Installing twice keeps one handler.
    """
    current = sys.excepthook
    if getattr(current, "_autoheal_reporter", None) is not None:
        return current._autoheal_reporter  # type: ignore[attr-defined]
    reporter = reporter or CLIErrorReporter()

    def handler(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(exc_type, KeyboardInterrupt):
            if exc.__traceback__ is None and tb is not None:
                exc = exc.with_traceback(tb)
            reporter.report_cli_error(exc, command=command, args=sys.argv[1:])
        current(exc_type, exc, tb)

    handler._autoheal_reporter = reporter  # type: ignore[attr-defined]
    sys.excepthook = handler
    return reporter


def _extras(ctx: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else repr(v) for k, v in ctx.items()}


def _caller_module(frames: Sequence[Any]) -> str | None:
    in_app = [f for f in frames if f.in_app] or list(frames)
    return in_app[-1].module if in_app else None


def _record_id(record: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    import hashlib

    seed = f"{run.get('id')}\0{record['fingerprint']['hash']}\0{record['created_at']}\0{os.getpid()}\0{threading.get_ident()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


__all__ = ["CLIErrorReporter", "ErrorReporter", "install_cli_error_handler"]
