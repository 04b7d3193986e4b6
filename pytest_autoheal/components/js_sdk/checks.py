"""The js_sdk checks: files parse, the SDK's own node tests pass, its client works against the live API.

Each check returns ``None`` or a :class:`TargetFailure` describing the SDK's failure (its file,
line and column; its test; its call), so records fingerprint the SDK's bug, not the suite line.
"""

from __future__ import annotations

import glob
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import TargetFailure
from ...frames import Frame, module_from_path
from ...reporters.receiver import js_frames
from ...runner import RunResult, run
from .config import ClientCall, ClientConfig, JsSdkConfig
from .tap import NodeTest, parse_tap

NODE_MISSING = (
    "node is not installed or not on PATH; install Node.js 18 or later (e.g. apt-get install -y nodejs), or set [tool.autoheal.js_sdk] node"
)
_MODULE_SYNTAX = re.compile(
    r"^\s*(import\s*[\w{*'\"]|export\s+(default\b|const\b|let\b|var\b|function\b|class\b|async\b|\{|\*))", re.MULTILINE
)
_NODE_ERROR_HEAD = re.compile(r"^(?P<file>.+?):(?P<line>\d+)$")
_JS_ERROR_LINE = re.compile(r"^(?P<type>[A-Za-z_$][\w$.]*(?:Error|Exception)): (?P<message>.*)$", re.MULTILINE)


def node_program(cfg: JsSdkConfig) -> str | None:
    """The node executable, or None when it is not installed."""
    return shutil.which(cfg.node)


def discover_files(cfg: JsSdkConfig, base_dir: Path) -> list[Path]:
    """The SDK files the configured globs match (minus ``exclude``), sorted, without node_modules."""
    return _glob(cfg.files, cfg.exclude, base_dir)


def discover_tests(cfg: JsSdkConfig, base_dir: Path) -> list[Path]:
    return _glob(cfg.tests, [], base_dir)


def _glob(patterns: Sequence[str], exclude: Sequence[str], base_dir: Path) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        found.update(Path(p).resolve() for p in glob.glob(full, recursive=True) if Path(p).is_file())
    for pattern in exclude:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        found.difference_update(Path(p).resolve() for p in glob.glob(full, recursive=True))
    return sorted(p for p in found if "node_modules" not in p.parts)


def module_kind(path: Path, cfg: JsSdkConfig) -> str:
    """``module``, ``commonjs`` or ``script``: how node (and a browser) will parse ``path``."""
    if path.suffix == ".mjs":
        return "module"
    if path.suffix == ".cjs":
        return "commonjs"
    if cfg.module_type != "auto":
        return cfg.module_type
    package_type = _package_type(path.parent)
    if package_type == "module":
        return "module"
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return "script"
    if _MODULE_SYNTAX.search(_strip_comments(text)):
        return "module"
    return "commonjs" if package_type == "commonjs" or re.search(r"\brequire\(|module\.exports\b", text) else "script"


def _package_type(folder: Path) -> str | None:
    for parent in [folder, *folder.parents]:
        manifest = parent / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text("utf-8"))
            except (OSError, ValueError):
                return None
            return data.get("type") if isinstance(data, dict) else None
    return None


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.DOTALL)


def parse_failure(path: Path, *, cfg: JsSdkConfig, node: str, base_dir: Path, roots: Sequence[str | Path] = ()) -> TargetFailure | None:
    """None when ``path`` parses; else a ``syntax`` failure naming file:line:column."""
    kind = module_kind(path, cfg)
    if kind == "module":
        argv = [node, "--input-type=module", "--check"]
        result = run(argv, timeout=cfg.parse_timeout, input=path.read_bytes())
    else:
        argv = [node, "--check", str(path)]
        result = run(argv, timeout=cfg.parse_timeout)
    if result.ok:
        return None
    stderr = result.text("stderr")
    rel = _relative(path, base_dir)
    if result.timed_out:
        return TargetFailure(
            f"node --check {rel} {result.describe()}", error_type="TimeoutError", stderr=stderr, extras={"file": rel, "argv": argv}
        )
    line, column, source = _syntax_position(stderr)
    found = _JS_ERROR_LINE.search(stderr)
    error_type = found.group("type") if found else "SyntaxError"
    message = found.group("message") if found else (stderr.strip().splitlines() or ["node --check failed"])[-1]
    where = f"{rel}:{line}:{column}" if line else rel
    frame = Frame(module=module_from_path(str(path), roots), function="<module>", file=rel, line=line, source=source, in_app=True)
    return TargetFailure(
        f"{where}: {error_type}: {message}",
        error_type=error_type,
        message=f"{message} ({where})",
        frames=[frame],
        stderr=stderr,
        hint="syntax",
        extras={"file": rel, "line": line, "column": column, "module_type": kind, "argv": [*argv[:-1], rel] if kind != "module" else argv},
    )


def _syntax_position(stderr: str) -> tuple[int | None, int | None, str]:
    """(line, column, source line) from node's ``file:LINE`` / source / ``^`` caret header."""
    lines = stderr.splitlines()
    for i, text in enumerate(lines):
        m = _NODE_ERROR_HEAD.match(text.strip())
        if m and i + 2 < len(lines) and "^" in lines[i + 2]:
            return int(m.group("line")), lines[i + 2].index("^") + 1, lines[i + 1].strip()
    return None, None, ""


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return path.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass
class NodeTestRun:
    """One ``node --test`` run: its results per test and the process."""

    tests: list[NodeTest]
    summary: dict[str, str]
    result: RunResult
    argv: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[NodeTest]:
        return [t for t in self.tests if t.failed]


def run_node_tests(
    files: Sequence[Path],
    *,
    node: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> NodeTestRun:
    """Run ``node --test`` on ``files`` with the TAP reporter and read one result per test."""
    argv = [node, "--test", "--test-reporter=tap", *[str(f) for f in files]]
    result = run(argv, timeout=timeout, env=env, cwd=cwd)
    tests, summary = parse_tap(result.text("stdout"))
    return NodeTestRun(tests=tests, summary=summary, result=result, argv=argv)


def node_test_failure(test: NodeTest, run_: NodeTestRun, *, roots: Sequence[str | Path] = ()) -> TargetFailure:
    """The failure of one SDK test, with its assertion and the SDK frames of its stack."""
    location = test.location
    where = f" ({location})" if location else ""
    return TargetFailure(
        f"SDK test failed: {test.full_name}{where}: {test.error_type}: {' '.join(test.message.split())[:300]}",
        subject=test.full_name,
        error_type=test.error_type,
        message=test.message,
        frames=js_frames(test.stack, roots),
        traceback=test.stack,
        stderr=run_.result.stderr,
        extras={"test": test.full_name, "location": location, "details": test.details, "argv": run_.argv},
    )


def node_run_failure(run_: NodeTestRun) -> TargetFailure | None:
    """The run itself went wrong (timed out, crashed, printed no result) although no test failed."""
    if run_.result.timed_out:
        return TargetFailure(
            f"node --test {run_.result.describe()}", error_type="TimeoutError", stdout=run_.result.stdout, stderr=run_.result.stderr
        )
    if not run_.result.ok and not run_.failures:
        return TargetFailure.from_exit(
            "node --test (no test reported failing)",
            run_.result.text("stderr"),
            code=None if run_.result.signal_name else run_.result.returncode,
            signal=run_.result.signal_name,
            default_type="NodeTestError",
            stdout=run_.result.stdout,
            stderr=run_.result.stderr,
            extras={"argv": run_.argv, "summary": run_.summary},
        )
    if not run_.tests:
        return TargetFailure("node --test ran no test", error_type="NodeTestError", stdout=run_.result.stdout, extras={"argv": run_.argv})
    return None


def client_check_source() -> str:
    """The client check shared by node and the browser: ``autohealClientCheck(sdk, spec)``."""
    return resources.files("pytest_autoheal").joinpath("components/js_sdk/static/client-check.js").read_text("utf-8")


def client_spec(client: ClientConfig, base_url: str, calls: Sequence[ClientCall]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "factory": client.factory,
        "construct": client.new,
        "options": {**client.options, client.base_url_option: base_url},
        "calls": [{"method": c.method, "args": c.args} for c in calls],
        "timeoutMs": int(client.timeout * 1000),
    }
    if client.args is not None:
        spec["args"] = [_with_base_url(a, base_url) for a in client.args]
    if client.expression is not None:
        spec["expression"] = client.expression.replace("{base_url}", json.dumps(base_url))
    return spec


def _with_base_url(value: Any, base_url: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base_url}", base_url)
    if isinstance(value, list):
        return [_with_base_url(v, base_url) for v in value]
    if isinstance(value, dict):
        return {k: _with_base_url(v, base_url) for k, v in value.items()}
    return value


def run_client_from_node(
    client: ClientConfig, *, module: Path, base_url: str, calls: Sequence[ClientCall], node: str
) -> tuple[list[dict[str, Any]], RunResult]:
    """Load the SDK in node, make a client for ``base_url`` and make ``calls``; one result per call."""
    driver = resources.files("pytest_autoheal").joinpath("components/js_sdk/static/drive-client.mjs")
    spec = client_spec(client, base_url, calls)
    spec["module"] = str(module)
    spec["globalName"] = client.global_name
    result = run([node, str(driver)], timeout=client.timeout * (len(calls) + 1) + 10, input=json.dumps(spec).encode())
    return _results(result.text("stdout")), result


def _results(stdout: str) -> list[dict[str, Any]]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("AUTOHEAL-RESULTS "):
            data = json.loads(line.removeprefix("AUTOHEAL-RESULTS "))
            return data if isinstance(data, list) else [data]
    return []


def browser_client_script(client: ClientConfig, base_url: str, calls: Sequence[ClientCall]) -> str:
    """A function for the page: run the client check on ``window[global_name]`` (on ``window`` when an
    expression makes the client and no global is named)."""
    spec = json.dumps(client_spec(client, base_url, calls))
    name = json.dumps(client.global_name or "window")
    lookup = f"window[{name}]" if client.global_name else "window"
    missing = "{name: 'ReferenceError', message: 'window.' + NAME + ' is not defined: the page did not load the SDK', stack: ''}"
    return (
        "async () => {\n" + client_check_source() + "\n"
        f"const spec = {spec};\nconst sdk = {lookup};\n"
        f"if (!sdk) return spec.calls.map(() => ({{ok: false, error: {missing.replace('NAME', name)}}}));\n"
        "return await globalThis.autohealClientCheck(sdk, spec);\n}"
    )


def call_failure(
    call: ClientCall, outcome: Mapping[str, Any] | None, *, where: str, roots: Sequence[str | Path] = (), **extras: Any
) -> TargetFailure | None:
    """None when ``call`` worked and returned what the config expects."""
    label = f"{call.method}({', '.join(json.dumps(a)[:60] for a in call.args)})"
    base_extras = {"method": call.method, "arguments": call.args, **extras}
    if not outcome:
        return TargetFailure(f"{where}: the client call {label} gave no result", error_type="NoResult", extras=base_extras)
    if not outcome.get("ok"):
        error = outcome.get("error") or {}
        etype = str(error.get("name") or "Error")
        etype = etype if re.match(r"^[A-Za-z_$][\w$.]*$", etype) else "Error"
        message = str(error.get("message") or "call failed")
        status = error.get("status") if isinstance(error.get("status"), int) else None
        return TargetFailure(
            f"{where}: {label} raised {etype}: {message[:300]}",
            error_type=etype,
            message=message,
            frames=js_frames(str(error.get("stack") or ""), roots),
            traceback=str(error.get("stack") or ""),
            http_status=status if status and status >= 400 else None,
            extras={**base_extras, "error": error},
        )
    got_type, value = outcome.get("type"), outcome.get("value")
    if call.expect != "any" and got_type != call.expect:
        return TargetFailure(
            f"{where}: {label} returned {got_type}, expected {call.expect}",
            error_type="ContractError",
            message=f"{label} returned {got_type}, expected {call.expect}",
            hint="contract",
            extras={**base_extras, "result": value},
        )
    if call.equals is not None and value != call.equals:
        return TargetFailure(
            f"{where}: {label} returned {json.dumps(value)[:200]}, expected {json.dumps(call.equals)[:200]}",
            error_type="ContractError",
            message=f"{label} returned an unexpected value",
            hint="contract",
            extras={**base_extras, "result": value, "expected": call.equals},
        )
    return None


_PROBE = """async () => {
  const reporter = window.autohealErrorReporter;
  const scripts = Array.from(document.scripts).map((s) => s.src).filter((src) => /error-reporter/i.test(src));
  if (!reporter) return {installed: false, scripts: scripts};
  const before = reporter.stats.sent;
  // A page script of its own, so the errors are the page's (a driver's injected code may be muted).
  const script = document.createElement('script');
  script.textContent = "setTimeout(function () { throw new Error('autoheal probe error ' + " + JSON.stringify(MARKER) + "); }, 0);"
    + "Promise.reject(new Error('autoheal probe rejection ' + " + JSON.stringify(MARKER) + "));";
  document.body.appendChild(script);
  const until = Date.now() + WAIT_MS;
  while (reporter.stats.sent < before + 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return {installed: true, sent: reporter.stats.sent - before, stats: reporter.stats, endpoint: reporter.endpoint};
}"""


def error_reporter_probe(marker: str, wait_ms: int = 5000) -> str:
    """A function for the page: raise one uncaught error and one unhandled rejection, wait for the reporter."""
    return _PROBE.replace("MARKER", json.dumps(marker)).replace("WAIT_MS", str(int(wait_ms)))
