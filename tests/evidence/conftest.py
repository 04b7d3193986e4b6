"""The quarry platform (``platform/``, planted faults) copied into a temporary place and monitored by the real suites."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..support.reports import read_records, toml_value

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = Path(__file__).resolve().parent / "platform"
SUITES = ROOT / "suites"
PYTHON = sys.executable
# Every string the configuration lets a user choose carries these words; no class may change because of them.
POISON = "timeout Permission denied ModuleNotFoundError"
ARGPARSE = ("quarry-module", "quarry-script", "quarry-command")


@dataclass
class Quarry:
    """A copy of the platform and a configuration for it; ``run`` monitors it with the real suites."""

    pytester: pytest.Pytester
    home: Path
    tag: str = ""

    @property
    def src(self) -> Path:
        return self.home / "src"

    def name(self, base: str) -> str:
        return f"{base} {self.tag}" if self.tag else base

    def config(self, **sections: dict[str, Any]) -> Path:
        """``[tool.autoheal]`` with the given sections (each a table; nested tables as dicts of dicts)."""
        lines = ["[tool.autoheal]", f"in_app = {toml_value([str(self.src)])}"]
        for name, table in sections.items():
            lines += _table(f"tool.autoheal.{name}", table)
        path = self.home / "autoheal.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.src), "QUARRY_NOTE": self.tag or "none"}

    def cli(self) -> dict[str, Any]:
        subcommands = ["ingest", "summarize", "convert"]
        argparse_names = [self.name(n) for n in ARGPARSE]
        common = {"env": self.env(), "subcommands": subcommands, "version": True}
        return {
            "timeout": 30,
            "variants": [
                {"module": "quarry", "name": argparse_names[0], **common},
                {"script": str(self.home / "bin" / "quarry-cli.py"), "name": argparse_names[1], **common},
                {"command": [PYTHON, "-m", "quarry.cli"], "name": argparse_names[2], **common},
                # click with a default command; its subcommands listed, not discovered.
                {"module": "quarry.clicli", "name": self.name("quarry-admin"), "env": self.env(), "subcommands": ["status", "export"]},
            ],
            "examples": [
                {"name": self.name("summarize-price"), "args": ["summarize", "--column", "price"], "variants": argparse_names},
                {"name": self.name("ingest"), "args": ["ingest", self.tag or "-"], "variants": argparse_names, "stdout": "ingested 2 rows"},
                {"name": self.name("default-command"), "args": [], "variants": [self.name("quarry-admin")], "stdout": "pits open"},
                {"name": self.name("export"), "args": ["export", "--format", "csv"], "variants": [self.name("quarry-admin")]},
            ],
            "stress": {"commands": [["--help"]], "concurrency": 2, "repeat": 2},
        }

    def mcp(self, **over: Any) -> dict[str, Any]:
        return {
            "command": [PYTHON, "-m", "quarry.mcp_server"],
            "env": self.env(),
            "tools_dir": str(self.src / "quarry" / "tools"),
            "category_from": ["folder"],
            "startup_timeout": 30,
            "call_timeout": 3,
            "examples": {"text_upper": {"text": self.tag or "granite"}, "text_count": {"text": self.tag or "granite", "needle": "a"}},
            "stress": {"tools": ["text_upper", "calc_ratio"], "calls": 12, "sessions": 1, "concurrency": 4},
            **over,
        }

    def dashboard(self, **over: Any) -> dict[str, Any]:
        return {
            "command": [PYTHON, "-m", "quarry.dashboard", "--port", "{port}"],
            "env": self.env(),
            "ready_path": "/api/health",
            "ready_timeout": 30,
            "pages": ["/"],
            "api": ["/api/health", "/api/stats"],
            "console_allow": [f"^{self.tag}$"] if self.tag else [],
            "stress": {"requests": 60, "concurrency": 4, "p95_ms": 30000, "max_ms": 60000},
            **over,
        }

    def js_sdk(self, **over: Any) -> dict[str, Any]:
        # The planted fault is a page without the error reporter, so the check is asked for (unset, it runs only where one loads).
        return {"files": [str(self.src / "quarry" / "static" / "sdk" / "*.js")], "page": "/", "check_error_reporter": True, **over}

    def run(self, config: Path, *args: str, timeout: float = 600) -> Run:
        report = self.home / f"reports-{time.monotonic_ns()}"
        (self.pytester.path / "pytest.ini").write_text("[pytest]\n")
        result = self.pytester.runpytest_subprocess(
            str(SUITES),
            f"--autoheal-config={config}",
            f"--autoheal-dir={report}",
            f"--rootdir={self.pytester.path}",
            f"-c={self.pytester.path / 'pytest.ini'}",
            "-p",
            "no:cacheprovider",
            *args,
            timeout=timeout,
        )
        return Run(result, read_records(report), report)


@dataclass
class Run:
    result: Any
    records: list[dict[str, Any]]
    report: Path

    def run_json(self) -> dict[str, Any]:
        return json.loads((self.report / "run.json").read_text("utf-8"))

    def suite_records(self) -> list[dict[str, Any]]:
        """Records the suites wrote (not ones the platform's own reporters sent)."""
        return [r for r in self.records if r["source"] in ("pytest", "controller")]


def _table(name: str, table: dict[str, Any]) -> list[str]:
    table = {k: v for k, v in table.items() if v is not None}
    plain = {k: v for k, v in table.items() if not (isinstance(v, dict) and k in ("examples", "stress") and name.endswith("mcp"))}
    lines = [f"[{name}]"] + [f"{_key(k)} = {toml_value(v)}" for k, v in plain.items()]
    for key in set(table) - set(plain):
        lines += _table(f"{name}.{key}", table[key])
    return lines


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else f'"{key}"'


@pytest.fixture
def quarry(pytester: pytest.Pytester) -> Quarry:
    """A fresh copy of the quarry platform."""
    home = pytester.path / "quarry"
    shutil.copytree(PLATFORM, home, ignore=shutil.ignore_patterns("__pycache__"))
    return Quarry(pytester, home)


@pytest.fixture
def poisoned_quarry(pytester: pytest.Pytester) -> Quarry:
    """A copy in a folder whose name, like every configurable string, carries the words that used to decide classes."""
    home = pytester.path / POISON
    shutil.copytree(PLATFORM, home, ignore=shutil.ignore_patterns("__pycache__"))
    return Quarry(pytester, home, tag=POISON)
