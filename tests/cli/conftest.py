"""A throwaway project holding only a configuration written by the test, run by a real pytest with the bundled cli suite."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..support.reports import read_records

ROOT = Path(__file__).resolve().parents[2]
DEMO_SRC = ROOT / "examples" / "demo_platform" / "src"
DEMO_SCRIPT = DEMO_SRC / "autoheal_demo" / "cli" / "script.py"


@dataclass
class CliProject:
    pytester: pytest.Pytester

    @property
    def report_dir(self) -> Path:
        return self.pytester.path / "reports"

    def configure(self, toml: str) -> None:
        self.pytester.makefile(".toml", pyproject=f'[tool.autoheal]\nin_app = ["{DEMO_SRC}"]\n\n{toml}')

    def run(self, *args: str, timeout: float = 240) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", "--autoheal-dir", str(self.report_dir), *args, timeout=timeout)

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.report_dir)

    def record_for(self, fragment: str) -> dict[str, Any]:
        found = [r for r in self.records() if fragment in r["test"]["nodeid"]]
        assert len(found) == 1, (fragment, [r["test"]["nodeid"] for r in self.records()])
        return found[0]

    def script(self, name: str, body: str) -> Path:
        path = self.pytester.path / "bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(0o755)
        return path


@pytest.fixture
def cli_project(pytester: pytest.Pytester) -> CliProject:
    # Nothing of the suite is copied: a level or component brings in the cli suite the plugin ships.
    return CliProject(pytester)


def demo_variants() -> str:
    return (
        "variants = [\n"
        '    { distribution = "autoheal-demo", scripts = ["autoheal-demo"] },\n'
        '    { module = "autoheal_demo" },\n'
        f'    {{ script = "{DEMO_SCRIPT}", name = "autoheal-demo-script" }},\n'
        "]\n"
    )
