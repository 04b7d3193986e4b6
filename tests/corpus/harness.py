"""Running the corpus programs: temporary trees, loopback servers, byte-for-byte capture, the Actions log form.

Shared by ``generate.py`` (which writes the corpus) and ``benchmarks/bench_accuracy.py`` (which runs the
fingerprint programs again with the runtime reporters on, for the API path).
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
NODE = shutil.which("node") or "node"
# pytest as a user's project runs it: no plugin of ours, no cache files in the case tree.
PYTEST = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:autoheal", "-p", "no:randomly"]


@dataclass
class Program:
    """A small program tree and the command that runs it (``{python}``, ``{node}``, ``{port}``... are filled in)."""

    files: dict[str, str]
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stream: str = "both"  # "both" (as a terminal shows them), "stderr", or a file the program writes ("file:NAME")
    shell: bool = False  # run through bash -c, so bash reports a death by signal as a shell does
    timeout: float = 60.0


@dataclass
class Captured:
    output: bytes
    returncode: int
    argv: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            body = f'{{"error": "status {code}"}}'.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
        elif path == "/html":
            body = b"<!doctype html><html><body><h1>Maintenance</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        elif path == "/orders":
            body = b'{"items": [{"sku": "A1", "qty": "two"}], "total": null}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        elif path == "/slow":
            time.sleep(8)
            body = b"{}"
            self.send_response(200)
        else:
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def services() -> Iterator[dict[str, str]]:
    """Loopback peers the programs talk to: an HTTP server, a closed port, a port that accepts and never answers."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(50)
    try:
        yield {
            "port": str(server.server_port),
            "closed_port": str(_free_port()),
            "silent_port": str(silent.getsockname()[1]),
        }
    finally:
        server.shutdown()
        silent.close()


def materialise(root: Path, files: Mapping[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        if rel.endswith((".sh",)) or rel.startswith("bin/"):
            path.chmod(0o755)


def fill(value: str, values: Mapping[str, str]) -> str:
    for key, sub in values.items():
        value = value.replace("{" + key + "}", sub)
    return value


def run_program(program: Program, root: Path, values: Mapping[str, str], extra_env: Mapping[str, str] | None = None) -> Captured:
    """Run ``program`` in ``root`` and capture its output exactly as it came (no decoding, no edits)."""
    values = {"python": PYTHON, "node": NODE, "root": str(root), **values}
    argv = [fill(a, values) for a in program.argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PYTEST_", "AUTOHEAL_", "ERROR_REPORTING"))}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1", "COLUMNS": "100", "LANG": "C.UTF-8", "HOME": str(root)})
    env.pop("FORCE_COLOR", None)
    # Every program may reach the loopback peers (PORT answers HTTP, CLOSED_PORT refuses, SILENT_PORT never answers).
    env.update({k.upper(): v for k, v in values.items() if k.endswith("port")})
    env.update({k: fill(v, values) for k, v in program.env.items()})
    env.update(extra_env or {})
    if program.shell:
        argv = ["bash", "-c", " ".join(_quote(a) for a in argv) + "; exit $?"]
    stderr = subprocess.STDOUT if program.stream == "both" else subprocess.PIPE
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=program.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    if program.stream == "stderr":
        out = err
    elif program.stream.startswith("file:"):
        target = root / program.stream[5:]
        out = target.read_bytes() if target.is_file() else b""
    return Captured(out, proc.returncode, argv)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)  # programs that drop to an unprivileged user still reach their files
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def exit_status(returncode: int) -> int:
    """The step's exit code as the runner's bash reports it: 128 + N for a death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def actions_log(output: bytes, *, command: str, returncode: int, form: str, start: int = 0, job: str = "test") -> bytes:
    """Wrap real captured output in GitHub Actions' job-log format (the transformation the corpus documents).

    Every line gets the runner's ISO timestamp (7 fractional digits, ``Z``); the step is a ``##[group]Run
    <command>`` block with the shell and env lines the runner prints, then the output unchanged, then the
    runner's ``##[error]Process completed with exit code N.`` (N as bash reports it, 128 + signal for a
    signal). ``form`` is ``job`` (a full job log: set-up and checkout steps before it, post steps after),
    ``step`` (the failing step alone, as in a run archive's per-step file) or ``gh`` (what
    ``gh run view --log-failed`` prints: ``job<TAB>step<TAB>`` before each timestamped line, no checkout line).
    """
    text = output.decode("utf-8", errors="surrogateescape")
    lines: list[tuple[str, str]] = []
    step_name = f"Run {command.splitlines()[0]}"[:80]
    if form == "job":
        lines += [
            ("Set up job", "Current runner version: '2.330.0'"),
            ("Set up job", "##[group]Operating System"),
            ("Set up job", "Ubuntu"),
            ("Set up job", "24.04.3"),
            ("Set up job", "LTS"),
            ("Set up job", "##[endgroup]"),
            ("Set up job", "##[group]Runner Image"),
            ("Set up job", "Image: ubuntu-24.04"),
            ("Set up job", "##[endgroup]"),
            ("Run actions/checkout@v4", "##[group]Run actions/checkout@v4"),
            ("Run actions/checkout@v4", "with:"),
            ("Run actions/checkout@v4", "  repository: acme/shop"),
            ("Run actions/checkout@v4", "##[endgroup]"),
            ("Run actions/checkout@v4", "Syncing repository: acme/shop"),
            ("Run actions/checkout@v4", "##[group]Getting Git version info"),
            ("Run actions/checkout@v4", "Working directory is '/home/runner/work/shop/shop'"),
            ("Run actions/checkout@v4", "[command]/usr/bin/git version"),
            ("Run actions/checkout@v4", "git version 2.51.0"),
            ("Run actions/checkout@v4", "##[endgroup]"),
        ]
    lines += [(step_name, f"##[group]{step_name}")]
    lines += [(step_name, ln) for ln in command.splitlines()]
    lines += [(step_name, "shell: /usr/bin/bash -e {0}"), (step_name, "env:"), (step_name, "  pythonLocation: /opt/hostedtoolcache/Python/3.11.14/x64")]
    lines += [(step_name, "##[endgroup]")]
    body = text.split("\n")
    if body and body[-1] == "":
        body.pop()
    lines += [(step_name, ln) for ln in body]
    lines += [(step_name, f"##[error]Process completed with exit code {exit_status(returncode)}.")]
    if form == "job":
        lines += [("Post Run actions/checkout@v4", "Post job cleanup."), ("Complete job", "Cleaning up orphan processes")]
    out = []
    for n, (step, ln) in enumerate(lines):
        stamp = f"2026-11-30T10:{(start + n // 600) % 60:02d}:{(n // 10) % 60:02d}.{(n * 7919) % 10_000_000:07d}Z"
        if form == "gh":
            out.append(f"{job}\t{step}\t{stamp} {ln}")
        elif form == "step" and step != step_name:
            continue
        else:
            out.append(f"{stamp} {ln}")
    prefix = "\ufeff" if form != "gh" else ""
    return (prefix + "\n".join(out) + "\n").encode("utf-8", errors="surrogateescape")
