"""Each tool module imported on its own, in its own process, as the server would import it.

A small fork server per worker imports the configured ``import_preload`` modules once (the
heavy shared dependencies, such as the MCP SDK) and forks a fresh child for every tool module,
so each import is isolated from the others without paying the interpreter start-up each time.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from ...errors import TargetFailure
from ...runner import child_env
from .discovery import ToolFile
from .target import McpTarget

_FORK_SERVER = r"""
import importlib, importlib.util, json, os, sys, tempfile
for name in sys.argv[1:]:
    importlib.import_module(name)
out = sys.stdout
for line in sys.stdin:
    root, name, path = json.loads(line)
    err = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        os.dup2(err.fileno(), 2)
        code = 0
        try:
            if root:
                sys.path.insert(0, root)
                importlib.import_module(name)
            else:
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    err.seek(0)
    text = err.read()[-16000:].decode("utf-8", "backslashreplace")
    out.write(json.dumps({"code": os.waitstatus_to_exitcode(status), "stderr": text}) + "\n")
    out.flush()
"""


def module_name(path: Path) -> tuple[str, str]:
    """``(sys.path root, dotted name)`` for a file inside packages, else ``("", a unique name)``."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return "", f"autoheal_tool_{path.parent.name}_{path.stem}"
    return str(folder), ".".join(parts)


class _Importer:
    def __init__(self, target: McpTarget) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [target.python, "-c", _FORK_SERVER, *target.cfg.import_preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(target.env, inherit=False),
            cwd=target.cwd,
            start_new_session=True,
            text=True,
        )

    def check(self, root: str, name: str, path: Path) -> dict[str, Any]:
        with self.lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            line = ""
            try:
                self.proc.stdin.write(json.dumps([root, name, str(path)]) + "\n")
                self.proc.stdin.flush()
                # One request in flight at a time, so nothing is left in the reader's buffer to miss.
                ready, _, _ = select.select([self.proc.stdout], [], [], self.target.cfg.import_timeout)
                if ready:
                    line = self.proc.stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                self.stop()
        if not line:
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            return {"code": None, "stderr": stderr, "dead": True}
        return json.loads(line)

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(2)
                return
            except subprocess.TimeoutExpired:
                continue


_IMPORTERS: dict[str, _Importer] = {}


def _importer(target: McpTarget) -> _Importer:
    key = f"{target.python}|{target.cwd}|{target.cfg.import_preload}"
    importer = _IMPORTERS.get(key)
    if importer is None or importer.proc.poll() is not None:
        importer = _IMPORTERS[key] = _Importer(target)
    return importer


@atexit.register
def stop_importers() -> None:
    while _IMPORTERS:
        _IMPORTERS.popitem()[1].stop()


def import_tool_module(target: McpTarget, tool_file: ToolFile) -> None:
    """Raise :class:`TargetFailure` when the module does not import on its own."""
    root, name = module_name(tool_file.path)
    answer = _importer(target).check(root, name, tool_file.path)
    if answer["code"] == 0:
        return
    stderr = answer.get("stderr") or ""
    extras = {"file": str(tool_file.path), "module": name, "exit_code": answer["code"], "python": target.python}
    if answer.get("dead"):
        summary = f"importing {tool_file.id} did not finish within {target.cfg.import_timeout:g}s or killed the importer"
        raise TargetFailure(summary, error_type="ImportTimeout", stderr=stderr, extras=extras, hint="timeout")
    summary = f"tool module {tool_file.id} does not import"
    raise TargetFailure.from_output(summary, stderr, default_type="ImportError", stderr=stderr, extras=extras)
