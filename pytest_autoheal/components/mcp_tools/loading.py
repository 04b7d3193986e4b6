"""Each tool module imported on its own, in its own process, as the server would import it.

A small fork server per worker imports the configured ``import_preload`` modules once, and
(``import_preload_packages``) the parent packages of the tool modules the first time they are
needed, then forks a fresh child for every tool module: each import is isolated from the others
and pays only for its own module. The fork server answers on a pipe of its own, never on stdout,
so nothing a module prints can shift an answer; each child's stdout and stderr go to files of
their own, are kept bounded, and come back with that module's answer, also when it hung (its
stack is dumped before it is killed) or crashed.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import linecache
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import TargetFailure
from ...frames import Frame, is_in_app, module_from_path, parse_python_traceback
from ...runner import child_env
from .discovery import ToolFile
from .target import McpTarget

# Files whose presence marks a project's root: a package never climbs into one.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
OUTPUT_HEAD = 2_000
OUTPUT_TAIL = 14_000
_GRACE = 10.0

_FORK_SERVER = r"""
import faulthandler, importlib, importlib.util, json, os, select, signal, sys, tempfile, time, traceback
sys.dont_write_bytecode = True
answers = os.fdopen(int(sys.argv[1]), "w", buffering=1)
settings = json.loads(sys.argv[2])
HEAD, TAIL = settings["head"], settings["tail"]
attempted = {}


def bounded(fh):
    size = fh.seek(0, 2)
    fh.seek(0)
    if size <= HEAD + TAIL:
        data = fh.read()
    else:
        head = fh.read(HEAD)
        fh.seek(size - TAIL)
        data = head + b"\n[... %d bytes cut ...]\n" % (size - HEAD - TAIL) + fh.read()
    return data.decode("utf-8", "backslashreplace"), size


class Alarm(BaseException):
    pass


def on_alarm(signum, frame):
    raise Alarm()


signal.signal(signal.SIGALRM, on_alarm)


def preload(name, timeout):
    # In this process, once: output to a file of its own, bounded in time; a failure leaves no trace in sys.modules.
    if name in attempted:
        return attempted[name]
    answers.write(json.dumps({"preloading": name}) + "\n")
    before = set(sys.modules)
    out = tempfile.TemporaryFile()
    saved = os.dup(1), os.dup(2)
    sys.stdout.flush(); sys.stderr.flush()
    os.dup2(out.fileno(), 1); os.dup2(out.fileno(), 2)
    error = None
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        importlib.import_module(name)
    except Alarm:
        error = "did not finish within %gs" % timeout
    except BaseException as exc:
        error = "%s: %s" % (type(exc).__name__, exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(saved[0], 1); os.dup2(saved[1], 2)
        os.close(saved[0]); os.close(saved[1])
    if error is not None:
        for added in set(sys.modules) - before:
            sys.modules.pop(added, None)
    attempted[name] = {"error": error, "output": bounded(out)[0]}
    return attempted[name]


def wait(pid, timeout):
    deadline = time.monotonic() + timeout
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if fd is not None:
                select.select([fd], [], [], left)
            else:
                time.sleep(min(left, 0.005))
    finally:
        if fd is not None:
            os.close(fd)


for name in settings["preload"]:
    preload(name, settings["timeout"])
answers.write(json.dumps({"ready": True, "preload": attempted}) + "\n")

for line in sys.stdin:
    request = json.loads(line)
    root, name, path, timeout = request["root"], request["name"], request["path"], request["timeout"]
    if root and root not in sys.path:
        sys.path.insert(0, root)
    preloaded = {}
    for parent in request["parents"]:
        preloaded[parent] = preload(parent, timeout)
        if preloaded[parent]["error"] is not None:
            break
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush(); sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        answers.close()
        faulthandler.enable(file=sys.stderr, all_threads=True)
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
        code = 0
        try:
            if root:
                importlib.import_module(name)
            else:
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        except BaseException:
            traceback.print_exc()
            code = 1
        try:
            sys.stdout.flush(); sys.stderr.flush()
        finally:
            os._exit(code)
    status = wait(pid, timeout)
    timed_out = status is None
    if timed_out:
        # The child's stack where it hangs goes to its stderr before it is killed.
        os.kill(pid, signal.SIGUSR1)
        last, settle = -1, time.monotonic() + 2.0
        while time.monotonic() < settle:
            time.sleep(0.05)
            size = os.fstat(err.fileno()).st_size
            if size == last and size > 0:
                break
            last = size
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = wait(pid, 30.0) or 0
    code = os.waitstatus_to_exitcode(status)
    try:
        os.killpg(pid, signal.SIGKILL)  # what the module started at import goes with it
    except (ProcessLookupError, PermissionError):
        pass
    stdout, stdout_bytes = bounded(out)
    stderr, stderr_bytes = bounded(err)
    answers.write(json.dumps({
        "code": None if timed_out else code, "timed_out": timed_out, "seconds": round(time.monotonic() - started, 3),
        "stdout": stdout, "stderr": stderr, "stdout_bytes": stdout_bytes, "stderr_bytes": stderr_bytes, "parents": preloaded,
    }) + "\n")
"""


def _is_package_dir(folder: Path) -> bool:
    return (folder / "__init__.py").is_file()


def _is_project_root(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in PROJECT_MARKERS)


def module_name(path: Path, import_root: Path | None = None, boundary: Path | None = None) -> tuple[str, str]:
    """``(sys.path root, dotted name)`` of a tool file, else ``("", a unique name)`` for a file outside packages.

    With ``import_root`` the name is the file's path below it. Without, the name climbs the
    folders holding an ``__init__.py`` but never above ``boundary`` (the folder of the
    configuration) nor out of a project's root folder, which may hold an ``__init__.py`` of its
    own without being a package anyone imports.
    """
    path = path.resolve()
    if import_root is not None:
        root = import_root.resolve()
        relative = path.with_suffix("").relative_to(root)
        return str(root), ".".join(relative.parts)
    parts = [path.stem]
    folder = path.parent
    stop = boundary.resolve() if boundary is not None else None
    while _is_package_dir(folder) and folder != stop and not _is_project_root(folder) and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return "", f"autoheal_tool_{path.parent.name}_{path.stem}"
    return str(folder), ".".join(parts)


@dataclass
class ImportResult:
    """One module's import in its own process: how it ended and what it printed."""

    file: ToolFile
    name: str
    root: str
    code: int | None
    timed_out: bool = False
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    parents: dict[str, Any] = field(default_factory=dict)
    # Modules of import_preload that did not import in the fork server (each child then imports them itself).
    preload_errors: dict[str, str] = field(default_factory=dict)
    failure: TargetFailure | None = None

    @property
    def ok(self) -> bool:
        return self.code == 0 and not self.timed_out


class _Importer:
    """The fork server of one worker, spoken to over stdin (requests) and a pipe of its own (answers)."""

    def __init__(self, target: McpTarget, banned: frozenset[str] = frozenset()) -> None:
        self.target = target
        self.banned = banned
        self.lock = threading.Lock()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the fork server writing to it
        read_fd, write_fd = os.pipe()
        settings = {
            "preload": list(target.cfg.import_preload),
            "timeout": target.cfg.import_timeout,
            "head": OUTPUT_HEAD,
            "tail": OUTPUT_TAIL,
        }
        try:
            self.proc = subprocess.Popen(
                [target.python, "-c", _FORK_SERVER, str(write_fd), json.dumps(settings)],
                stdin=subprocess.PIPE,
                stdout=self.log,
                stderr=self.log,
                pass_fds=(write_fd,),
                env=child_env({**target.env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}, inherit=False),
                cwd=target.cwd,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        # Read with os.read and a buffer of our own: select() cannot see lines a file object has buffered.
        self.answers_fd = read_fd
        self.pending = b""
        self.preload: dict[str, Any] = {}
        self.current_preload: str | None = None
        ready = self._read(len(settings["preload"]) * target.cfg.import_timeout + 60)
        if ready is None or not ready.get("ready"):
            output = self.output()
            self.stop()
            raise RuntimeError(f"the importer ({target.python}) did not start: {output[-2000:] or 'no output'}")
        self.preload = ready.get("preload") or {}

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next answer (progress notes are kept aside), or None when the server died or stalled."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" not in self.pending:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.answers_fd], [], [], left)[0]:
                    return None
                chunk = os.read(self.answers_fd, 1 << 20)
                if not chunk:
                    return None
                self.pending += chunk
            line, _, self.pending = self.pending.partition(b"\n")
            answer = json.loads(line)
            if "preloading" in answer:
                self.current_preload = answer["preloading"]
                # Each preload is bounded by the import timeout on its own.
                deadline = max(deadline, time.monotonic() + self.target.cfg.import_timeout + _GRACE)
                continue
            return answer

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-8000:].decode("utf-8", "backslashreplace")

    def check(self, root: str, name: str, path: Path, parents: list[str]) -> dict[str, Any] | None:
        """The child's answer, or None when the fork server itself died or stalled (it is stopped)."""
        with self.lock:
            assert self.proc.stdin is not None
            self.current_preload = None
            request = {"root": root, "name": name, "path": str(path), "timeout": self.target.cfg.import_timeout}
            request["parents"] = [p for p in parents if p not in self.banned]
            try:
                self.proc.stdin.write((json.dumps(request) + "\n").encode())
                self.proc.stdin.flush()
                answer = self._read(self.target.cfg.import_timeout + _GRACE)
            except (BrokenPipeError, OSError, ValueError):
                answer = None
            if answer is None:
                self.stop()
            return answer

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(2)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(OSError):
            os.close(self.answers_fd)


_IMPORTERS: dict[str, _Importer] = {}
_BANNED: dict[str, set[str]] = {}
_RESULTS: dict[tuple[str, str], ImportResult] = {}


def _key(target: McpTarget) -> str:
    return f"{target.python}|{target.cwd}|{target.cfg.import_preload}|{sorted(target.env.items())}"


def _importer(target: McpTarget) -> _Importer:
    key = _key(target)
    importer = _IMPORTERS.get(key)
    if importer is None or importer.proc.poll() is not None:
        importer = _IMPORTERS[key] = _Importer(target, frozenset(_BANNED.get(key, ())))
    return importer


@atexit.register
def stop_importers() -> None:
    while _IMPORTERS:
        _IMPORTERS.popitem()[1].stop()


def tool_module(target: McpTarget, path: Path) -> tuple[str, str]:
    """``(sys.path root, dotted name)`` of a tool file of this target (see :func:`module_name`)."""
    boundary = target.base_dir if target.base_dir and _is_under(path, target.base_dir) else None
    return module_name(path, target.import_root, boundary)


def _parents(name: str, root: str, target: McpTarget) -> list[str]:
    if not root or not target.cfg.import_preload_packages:
        return []
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_module(target: McpTarget, tool_file: ToolFile) -> ImportResult:
    """Import ``tool_file`` on its own (once per worker; the answer is kept) and judge the outcome."""
    cache_key = (_key(target), str(tool_file.path))
    done = _RESULTS.get(cache_key)
    if done is not None:
        return done
    if target.import_root is not None and not _is_under(tool_file.path, target.import_root):
        summary = f"{tool_file.path} is not inside import_root {target.import_root}; fix [tool.autoheal.mcp] import_root or tools_dir"
        raise TargetFailure(summary, error_type="ConfigError", message=summary, hint="config", subject="import root")
    root, name = tool_module(target, tool_file.path)
    parents = _parents(name, root, target)
    key = _key(target)
    answer = None
    for _ in range(3):
        importer = _importer(target)
        answer = importer.check(root, name, tool_file.path, parents)
        if answer is not None:
            break
        # The fork server died or stalled; a parent it was preloading is imported by each child from now on.
        stalled = importer.current_preload
        if stalled is None:
            break
        _BANNED.setdefault(key, set()).add(stalled)
    if answer is None:
        raise RuntimeError(f"the importer stopped answering while importing {tool_file.id}: {_importer_output(key)}")
    result = ImportResult(
        file=tool_file,
        name=name,
        root=root,
        code=answer["code"],
        timed_out=answer["timed_out"],
        seconds=answer["seconds"],
        stdout=answer["stdout"],
        stderr=answer["stderr"],
        stdout_bytes=answer["stdout_bytes"],
        stderr_bytes=answer["stderr_bytes"],
        parents=answer.get("parents") or {},
        preload_errors={k: v["error"] for k, v in importer.preload.items() if v.get("error")},
    )
    if not result.ok:
        result.failure = import_failure(target, result)
    _RESULTS[cache_key] = result
    return result


def _importer_output(key: str) -> str:
    importer = _IMPORTERS.get(key)
    return importer.output()[-2000:] if importer is not None else "no output"


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def import_tool_module(target: McpTarget, tool_file: ToolFile) -> ImportResult:
    """Raise :class:`TargetFailure` when the module does not import on its own."""
    result = import_module(target, tool_file)
    if result.failure is not None:
        raise result.failure
    return result


_MISSING = re.compile(r"No module named '([\w.]+)'")
_NO_NAME = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_DUMP_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>.+?)\s*$')


def import_failure(target: McpTarget, result: ImportResult) -> TargetFailure:
    """What went wrong, grouped by its cause: the line an import failed or hung at, or the module missing."""
    tool = result.file
    extras: dict[str, Any] = {
        "file": str(tool.path),
        "module": result.name,
        "import_root": result.root or None,
        "exit_code": result.code,
        "python": target.python,
        "seconds": result.seconds,
        "stdout_bytes": result.stdout_bytes,
        "stderr_bytes": result.stderr_bytes,
    }
    failed_parent = next(((p, v) for p, v in result.parents.items() if v.get("error")), None)
    if failed_parent:
        extras["parent_package"] = {"name": failed_parent[0], "error": failed_parent[1]["error"]}
    if result.preload_errors:
        extras["import_preload_errors"] = result.preload_errors
    streams = {"stdout": result.stdout, "stderr": result.stderr}
    if result.timed_out:
        frames = hang_frames(result.stderr)
        where = f" at {frames[-1].module}:{frames[-1].line} ({frames[-1].source})" if frames else ""
        summary = f"importing {tool.id} did not finish within {target.cfg.import_timeout:g}s{where}"
        return TargetFailure(
            summary,
            error_type="ImportTimeout",
            frames=cause_frames(frames),
            traceback=result.stderr,
            extras=extras,
            hint="timeout",
            **streams,
        )
    if result.code is not None and result.code < 0:
        try:
            name = signal.Signals(-result.code).name
        except ValueError:
            name = f"signal {-result.code}"
        frames = hang_frames(result.stderr)
        summary = f"importing {tool.id} killed the process with {name}"
        return TargetFailure(
            summary, error_type=name, frames=cause_frames(frames), traceback=result.stderr, signal=name, extras=extras, **streams
        )
    parsed = parse_python_traceback(result.stderr)
    if parsed is None:
        summary = f"tool module {tool.id} does not import (exit code {result.code}, no traceback)"
        return TargetFailure(summary, error_type="ImportError", message=summary, extras=extras, **streams)
    missing = _MISSING.search(parsed.message) if parsed.type.endswith("ModuleNotFoundError") else None
    if missing and result.root and (result.name == missing.group(1) or result.name.startswith(missing.group(1) + ".")):
        summary = (
            f"{tool.id} cannot be imported as {result.name} from {result.root}: there is no package {missing.group(1)!r} there; "
            "set [tool.autoheal.mcp] import_root to the folder the platform's packages are imported from"
        )
        return TargetFailure(summary, error_type="ImportRootError", message=summary, extras=extras, hint="config", subject="import root")
    # A missing module, or a name a module lacks, is one cause whichever tool modules import it: the message tells causes apart.
    by_message = bool(missing or (parsed.type.endswith("ImportError") and _NO_NAME.search(parsed.message)))
    summary = f"tool module {tool.id} does not import: {parsed.type}: {parsed.message}"
    return TargetFailure(
        summary,
        error_type=parsed.type,
        message=parsed.message,
        frames=[] if by_message else cause_frames(parsed.frames),
        traceback=parsed.text,
        extras=extras,
        subject="tool modules" if by_message else None,
        **streams,
    )


def cause_frames(frames: list[Frame]) -> list[Frame]:
    """The innermost in-app frame: where an import failed or hung, whichever module was being imported."""
    app = [f for f in frames if f.in_app]
    return app[-1:]


def hang_frames(text: str) -> list[Frame]:
    """Frames (outermost first) of the thread that was importing, from a faulthandler dump."""
    sections: list[list[Frame]] = []
    for line in text.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x", "Fatal Python error", "Stack (most recent call first)")):
            sections.append([])
            continue
        m = _DUMP_FRAME.match(line)
        if m and sections:
            file, number = m.group("file"), int(m.group("line"))
            sections[-1].append(
                Frame(
                    module=module_from_path(file),
                    function=m.group("func"),
                    file=file,
                    line=number,
                    source=linecache.getline(file, number).strip() if not file.startswith("<") else "",
                    in_app=is_in_app(file),
                )
            )
    importing = [s for s in sections if any("importlib" in f.file for f in s)] or sections
    return list(reversed(importing[0])) if importing else []
