from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.commands import main as autoheal_main
from pytest_autoheal.record import ErrorInfo, TestInfo, build_record, write_record
from tests.support.github_api import GithubApi

REPO = "acme/platform"
TOKEN = "heal-test-token-0123456789"

FAST_CONFIG = """
[tool.autoheal.heal]
repo = "{repo}"
min_report_interval = {interval}
max_reports_per_session = {cap}
writes_per_minute = 100000
writes_per_hour = 100000
retry_backoff = 0.05
max_retry_wait = 5
timeout = {timeout}
assign_copilot = {assign}
"""


def make_records(report_dir: Path, *, fingerprints: int, records: int, run_id: str = "1001", flaky: bool = False, **run: Any) -> list[dict]:
    """``records`` records spread over ``fingerprints`` distinct bugs, written as the plugin writes them."""
    out = []
    for i in range(records):
        k = i % fingerprints
        record = build_record(
            test=TestInfo(
                nodeid=f"suites/mcp_tools/test_tools.py::test_call[tool_{k}-{i}]",
                component="mcp_tools",
                category=f"cat_{k % 5}",
                target=f"tool_{k}",
                level="comprehensive",
                outcome="flaky" if flaky else "failed",
            ),
            error=ErrorInfo(type="ToolError", message=f"tool_{k} failed: upstream returned an empty result"),
            run={"id": run_id, "workflow": "MCP Tools Monitoring", "url": f"http://github.test/{REPO}/actions/runs/{run_id}", **run},
        )
        record["flaky"] = flaky
        write_record(report_dir, record)
        out.append(record)
    return out


@pytest.fixture
def github_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[GithubApi]:
    api = GithubApi(token=TOKEN).start()
    api.add_repo(REPO)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", api.url)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    yield api
    api.stop()


@pytest.fixture
def heal_config(tmp_path: Path):
    def write(*, interval: int = 0, cap: int = 10, timeout: float = 10, assign: bool = False, extra: str = "") -> Path:
        path = tmp_path / "heal.toml"
        text = FAST_CONFIG.format(repo=REPO, interval=interval, cap=cap, timeout=timeout, assign=str(assign).lower())
        path.write_text(text + extra)
        return path

    return write


def run_heal(*args: str | os.PathLike[str]) -> int:
    return autoheal_main(["heal", *map(str, args)])
