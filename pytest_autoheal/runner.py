"""The one subprocess runner: no shell, explicit environment, bounded output, group kill.

Every process pytest-autoheal starts (CLIs, node, servers) goes through :func:`run` or
:func:`start`, so a hang, a flood of output or a crash is handled the same way everywhere.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Output kept per stream: the head and the tail, so a 100 MB flood costs 2 MB of memory.
KEEP_HEAD = 256 * 1024
KEEP_TAIL = 1024 * 1024
_KILL_GRACE = 2.0


@dataclass
class RunResult:
    argv: list[str]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    duration: float
    timed_out: bool = False
    stdout_size: int = 0
    stderr_size: int = 0
    peak_rss_kb: int | None = None

    @property
    def signal_name(self) -> str | None:
        """``SIGSEGV`` etc. when the process was ended by a signal (and not by our timeout)."""
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def text(self, stream: str = "stdout") -> str:
        data = self.stdout if stream == "stdout" else self.stderr
        return data.decode("utf-8", errors="backslashreplace")

    def describe(self) -> str:
        if self.timed_out:
            return f"timed out after {self.duration:.1f}s"
        if self.signal_name:
            return f"killed by {self.signal_name}"
        return f"exit code {self.returncode}"


class _Collector:
    """Reads a pipe to the end, keeping a bounded head and tail."""

    def __init__(self, pipe: object) -> None:
        self.pipe = pipe
        self.head = bytearray()
        self.tail = bytearray()
        self.size = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        fd = self.pipe.fileno()  # type: ignore[attr-defined]
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.size += len(chunk)
            room = KEEP_HEAD - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > KEEP_TAIL * 2:
                    del self.tail[: len(self.tail) - KEEP_TAIL]

    def value(self) -> bytes:
        self.thread.join(timeout=5)
        tail = bytes(self.tail[-KEEP_TAIL:])
        cut = self.size - len(self.head) - len(tail)
        if cut > 0:
            return bytes(self.head) + f"\n[... {cut} bytes not kept ...]\n".encode() + tail
        return bytes(self.head) + tail


# What a monitored target gets from our environment: enough to find programs and print text, never a credential.
PASS_ENV = frozenset(
    ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "COLUMNS", "LINES", "NO_COLOR", "USER", "LOGNAME", "SHELL", "PYTHONIOENCODING", "PYTHONUTF8")
)
PASS_ENV_PREFIXES = ("LC_", "AUTOHEAL_")


def passed_env() -> dict[str, str]:
    """The allow-listed part of our environment (secret-named variables never, even when allow-listed)."""
    from .redact import is_secret_name

    return {k: v for k, v in os.environ.items() if (k in PASS_ENV or k.startswith(PASS_ENV_PREFIXES)) and not is_secret_name(k)}


def child_env(env: Mapping[str, str] | None = None, *, inherit: bool = True) -> dict[str, str]:
    """The environment a child gets: ours (``inherit``) or its allow-listed part, plus the given variables."""
    base = dict(os.environ) if inherit else passed_env()
    base.update(env or {})
    base.setdefault("PYTHONIOENCODING", "utf-8")
    return base


@dataclass(frozen=True)
class Sandbox:
    """A fresh temporary directory a target runs in, with its own HOME, TMPDIR and XDG directories under it."""

    root: Path

    def env(self) -> dict[str, str]:
        r = self.root
        return {
            "HOME": str(r / "home"),
            "TMPDIR": str(r / "tmp"),
            "TMP": str(r / "tmp"),
            "TEMP": str(r / "tmp"),
            "XDG_CONFIG_HOME": str(r / "home" / ".config"),
            "XDG_CACHE_HOME": str(r / "home" / ".cache"),
            "XDG_DATA_HOME": str(r / "home" / ".local" / "share"),
            "XDG_STATE_HOME": str(r / "home" / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(r / "run"),
        }

    def place(self, cwd: str | Path | None, env: Mapping[str, str] | None = None) -> tuple[Path, dict[str, str]]:
        """The working directory and environment of a target: the sandbox's unless the configuration sets them."""
        return (Path(cwd) if cwd else self.root), {**self.env(), **(env or {})}


def anchored(args: Sequence[str], base_dir: Path) -> list[str]:
    """A target's arguments with relative paths of files beside the configuration made absolute.

    The target starts in its sandbox, where ``server.py`` or ``app/main.py`` would name nothing; an
    argument that names an existing file relative to the configuration's folder means that file.
    """
    out = []
    for arg in args:
        path = Path(arg)
        plain = not arg.startswith("-") and "://" not in arg and "{" not in arg
        if plain and (os.sep in arg or path.suffix in _SCRIPT_SUFFIXES) and not path.is_absolute() and (base_dir / path).is_file():
            arg = str((base_dir / path).resolve())
        out.append(arg)
    return out


_SCRIPT_SUFFIXES = {".py", ".js", ".mjs", ".cjs", ".ts", ".sh", ".toml", ".json", ".yaml", ".yml", ".ini", ".cfg", ".db", ".sqlite"}

_SANDBOXES: dict[str, Sandbox] = {}


def sandbox(label: str) -> Sandbox:
    """This process's sandbox for ``label`` (made on first use, removed at exit)."""
    box = _SANDBOXES.get(label)
    if box is not None and box.root.is_dir():
        return box
    import re
    import tempfile

    root = Path(tempfile.mkdtemp(prefix=f"autoheal-{re.sub(r'[^A-Za-z0-9_.-]+', '-', label)[:40]}-"))
    box = Sandbox(root)
    for path in {Path(p) for k, p in box.env().items() if k != "TMP" and k != "TEMP"}:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not _SANDBOXES:
        import atexit

        atexit.register(remove_sandboxes)
    _SANDBOXES[label] = box
    return box


def remove_sandboxes() -> None:
    """Remove this process's sandboxes (at the end of the session; at exit for processes that never get there)."""
    import shutil

    while _SANDBOXES:
        shutil.rmtree(_SANDBOXES.popitem()[1].root, ignore_errors=True)


def _high_water_kb(pid: int) -> int:
    """The child's own peak RSS so far (its ``ru_maxrss`` would include our RSS, inherited at fork and exec)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=_KILL_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    cwd: str | Path | None = None,
    input: bytes | None = None,
    trail: bool = False,
) -> RunResult:
    """Run ``argv`` to completion or until ``timeout``; never raises for the child's behaviour.

    With ``trail``, the invocation is kept in the running test's trail (see :mod:`pytest_autoheal.trail`).
    """
    args = [os.fspath(a) for a in argv]
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(env, inherit=inherit_env),
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        failed = RunResult(args, 127, b"", f"cannot start {args[0]}: {exc}".encode(), time.monotonic() - started)
        if trail:
            _keep(failed)
        return failed
    # First sample before anything else: Popen returns after exec, and a very short child is gone (memory and
    # all) by the time the reader threads have started on a loaded machine.
    rss: int | None = _high_water_kb(proc.pid) or None
    out, err = _Collector(proc.stdout), _Collector(proc.stderr)
    if input is not None and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(input)
            proc.stdin.close()
    timed_out = False
    deadline = started + timeout
    while True:
        # Sampled before reaping, while the child still has its memory.
        rss = max(rss or 0, _high_water_kb(proc.pid)) or rss
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss also counts what the child inherited from us, at most our own peak: above that it is the child's own,
            # exact even when the child ended between two samples (a loaded machine may not sample a short child at all).
            if usage.ru_maxrss > _high_water_kb(os.getpid()):
                rss = max(rss or 0, usage.ru_maxrss)
            break
        if time.monotonic() >= deadline:
            timed_out = True
            _kill_group(proc)
            break
        time.sleep(0.005 if time.monotonic() - started < 1 else 0.02)
    # Grandchildren may keep the pipes open; end the whole group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    stdout, stderr = out.value(), err.value()
    result = RunResult(
        argv=args,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration=time.monotonic() - started,
        timed_out=timed_out,
        stdout_size=out.size,
        stderr_size=err.size,
        peak_rss_kb=rss,
    )
    if trail:
        _keep(result)
    return result


def _keep(result: RunResult) -> None:
    from . import trail

    code = None if result.timed_out else result.returncode
    trail.invocation(result.argv, exit_code=code, seconds=result.duration, timed_out=result.timed_out)


@dataclass
class Service:
    """A long-running child (a server) whose output goes to a log file; always stopped."""

    argv: list[str]
    proc: subprocess.Popen[bytes]
    log_path: Path
    _closed: bool = field(default=False, repr=False)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, limit: int = 16_000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", errors="backslashreplace")

    def stop(self) -> int | None:
        if not self._closed:
            self._closed = True
            if self.proc.poll() is None:
                _kill_group(self.proc)
        return self.proc.returncode

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    log_path: str | Path,
    env: Mapping[str, str] | None = None,
    inherit_env: bool = True,
    cwd: str | Path | None = None,
) -> Service:
    """Start a server in its own process group, stdout and stderr to ``log_path``."""
    args = [os.fspath(a) for a in argv]
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_env(env, inherit=inherit_env),
            cwd=cwd,
            start_new_session=True,
        )
    return Service(args, proc, log_path)
