"""Start the dashboard from its configured command (or reach it at its URL) and wait until it answers."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import http
from ...errors import TargetFailure, last_words, missing_program
from ...runner import Service, anchored, sandbox, start
from .config import DashboardConfig


@dataclass
class Dashboard:
    """A running (or reachable) dashboard: its base URL and, when we started it, its process and log."""

    base_url: str
    service: Service | None = None
    argv: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/") if path not in ("", "/") else self.base_url.rstrip("/") + "/"

    def alive(self) -> bool:
        return self.service is None or self.service.alive()

    def log_size(self) -> int:
        try:
            return self.service.log_path.stat().st_size if self.service else 0
        except OSError:
            return 0

    def log_since(self, offset: int, limit: int = 16_000, *, wait_for: str | None = None, wait: float = 1.0) -> str:
        """What the server logged after ``offset`` (for a failing request: its traceback).

        Servers often log an error after sending the 500, so ``wait_for`` waits up to ``wait`` seconds for that text.
        """
        if self.service is None:
            return ""
        deadline = time.monotonic() + wait
        text = self._read_from(offset, limit)
        while wait_for and wait_for not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = self._read_from(offset, limit)
        return text

    def _read_from(self, offset: int, limit: int) -> str:
        if self.service is None:
            return ""
        try:
            with open(self.service.log_path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", errors="backslashreplace")

    def log_tail(self, limit: int = 8_000) -> str:
        return self.service.log_tail(limit) if self.service else ""

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


def resolve_program(name: str, base_dir: Path) -> str:
    """A command's program: a path relative to the config file, on PATH, or next to this Python."""
    if os.sep in name or name.startswith("."):
        path = Path(name).expanduser()
        return str(path if path.is_absolute() else (base_dir / path))
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    return found or name


# Runs before the dashboard's own program (exec keeps the pid): the kernel sends SIGTERM to it
# when the process that started it dies, even by SIGKILL or os._exit, where atexit never runs.
_STOP_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('the process that started the dashboard is gone')\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def stop_with_parent(argv: list[str]) -> list[str]:
    """``argv`` wrapped so the kernel stops it when this process dies (Linux; elsewhere unchanged)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-I", "-c", _STOP_WITH_PARENT, str(os.getpid()), *argv]


def start_dashboard(
    cfg: DashboardConfig,
    *,
    base_dir: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    roots: Sequence[str | Path] = (),
) -> Dashboard:
    """Start (or reach) the dashboard and wait until ``ready_path`` answers; raises TargetFailure if it does not."""
    port = http.free_port(cfg.host) if cfg.command else None
    fill = (lambda s: s.replace("{port}", str(port))) if port is not None else (lambda s: s)
    base_url = fill(cfg.base_url) if cfg.base_url else f"http://{cfg.host}:{port}"
    dashboard = Dashboard(base_url=base_url.rstrip("/"))
    ready_url = dashboard.url(cfg.ready_path)
    if cfg.command:
        argv = [fill(a) for a in cfg.argv()]
        argv[0] = resolve_program(argv[0], base_dir)
        if not cfg.cwd:
            argv[1:] = anchored(argv[1:], base_dir)
        dashboard.argv = argv
        # The dashboard runs in a sandbox (its own cwd, HOME, TMPDIR, XDG dirs) unless the config places it.
        cwd, child_env = sandbox("dashboard").place((base_dir / cfg.cwd) if cfg.cwd else None, {k: fill(v) for k, v in cfg.env.items()})
        child_env |= dict(env or {})
        if not (os.sep in argv[0] and os.access(argv[0], os.X_OK)) and shutil.which(argv[0], path=child_env.get("PATH")) is None:
            key = "[tool.autoheal.dashboard] command"
            raise missing_program("the dashboard did not start", argv[0], key, extras={"argv": argv}, **START)
        if not Path(cwd).is_dir():
            raise missing_program("the dashboard did not start", str(cwd), "[tool.autoheal.dashboard] cwd", extras={"argv": argv}, **START)
        try:
            dashboard.service = start(stop_with_parent(argv), log_path=log_path, env=child_env, inherit_env=False, cwd=cwd)
        except OSError as exc:
            raise TargetFailure(
                f"the dashboard command could not start: {exc}; check [tool.autoheal.dashboard] command",
                error_type=type(exc).__name__,
                message=str(exc),
                extras={"argv": argv},
                **START,
            ) from None
        # Stopped even when the session ends abnormally (Ctrl-C, an internal error).
        atexit.register(dashboard.stop)
    last = http.wait_until_ready(
        ready_url, timeout=cfg.ready_timeout, alive=dashboard.alive, accept=lambda r: r.status is not None and r.status < 400
    )
    if last.status is not None and last.status < 400:
        return dashboard
    # Whether it ended on its own, read before we stop it.
    code = dashboard.service.proc.poll() if dashboard.service else None
    log = dashboard.log_tail()
    dashboard.stop()
    extras = {"argv": dashboard.argv, "url": ready_url, "http_status": last.status, "exit_code": code}
    if code is not None:
        failure = TargetFailure.from_exit(
            "the dashboard", log, code=code, roots=roots, default_type="DashboardExited", log=log, extras=extras, **START
        )
        failure.summary += f" (before GET {ready_url} answered)"
        raise failure
    said = last_words(log)
    tail = f"; it last logged: {said}" if said else ""
    if last.status is not None:
        summary = f"the dashboard did not become ready: GET {ready_url} answered {last.status} after {cfg.ready_timeout:g}s{tail}"
        raise TargetFailure(
            summary,
            error_type="HTTPError",
            message=f"GET {cfg.ready_path} answered {last.status}",
            log=log,
            extras=extras,
            http_status=last.status if last.status >= 400 else None,
            **START,
        )
    timed_out = last.error_type == "TimeoutError"
    summary = f"the dashboard did not become ready within {cfg.ready_timeout:g}s: GET {ready_url} failed: {last.error}{tail}"
    raise TargetFailure(
        summary,
        error_type="TimeoutError" if timed_out else (last.error_type or "ConnectError"),
        message=f"GET {ready_url} failed: {last.error}",
        log=log,
        extras=extras,
        hint="timeout" if timed_out else "network",
        reason=f"GET {ready_url} " + ("got no answer in time" if timed_out else f"failed: {last.error}"),
        **START,
    )


# A dashboard that does not start fails every test that needs it: one bug, recorded once, whichever component's test saw it.
START: dict[str, Any] = {"subject": "start-up", "component": "dashboard", "shared": True}
