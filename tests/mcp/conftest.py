"""Helpers for the MCP suite's tests: run the real suite in a subprocess pytest, read its records."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from ..support.reports import read_records, toml_value

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "suites" / "mcp_tools"
DEMO_TOOLS = ROOT / "examples" / "demo_platform" / "src" / "autoheal_demo" / "mcp_server" / "tools"
PYTHON = sys.executable


@dataclass
class SuiteRun:
    result: Any
    report_dir: Path
    seconds: float

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.report_dir)

    def run_json(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "run.json").read_text())


def write_config(path: Path, mcp: dict[str, Any], tables: dict[str, dict[str, Any]] | None = None) -> Path:
    """A standalone ``[tool.autoheal]`` file (values written as TOML through their JSON spelling)."""
    lines = ["[tool.autoheal]", "[tool.autoheal.mcp]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in mcp.items()]
    for name, table in (tables or {}).items():
        lines.append(f"[tool.autoheal.mcp.{name}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def run_suite(pytester: pytest.Pytester):
    """Run the real MCP suite against a configuration; returns a :class:`SuiteRun`."""

    def _run(config: Path, *args: str, level: str = "smoke", timeout: float = 240) -> SuiteRun:
        report_dir = pytester.path / f"reports-{time.monotonic_ns()}"
        started = time.monotonic()
        result = pytester.runpytest_subprocess(
            str(SUITE),
            f"--rootdir={ROOT}",
            f"--autoheal-config={config}",
            f"--autoheal-dir={report_dir}",
            f"--autoheal-level={level}",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *args,
            timeout=timeout,
        )
        return SuiteRun(result, report_dir, time.monotonic() - started)

    return _run


def server_script(path: Path, body: str) -> list[str]:
    """A small server program written for one test; returns the command that starts it."""
    path.write_text(textwrap.dedent(body))
    return [PYTHON, str(path)]


def leftover_processes(marker: str) -> list[str]:
    """Live processes whose command line mentions ``marker`` (there must be none after a run)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if marker in cmd and proc.info["status"] != psutil.STATUS_ZOMBIE and proc.pid != os.getpid():
                found.append(f"{proc.pid}: {cmd}")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found
