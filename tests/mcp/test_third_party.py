"""Servers nobody here wrote, configured only through config, each in its own venv or npm prefix."""

from __future__ import annotations

import pytest

from tests.support.thirdparty import npm_prefix, python_venv

from .conftest import write_config


@pytest.fixture(scope="session")
def time_server_bin():
    return python_venv("mcp-server-time", ["mcp-server-time"])


@pytest.fixture(scope="session")
def everything_bin():
    return npm_prefix("server-everything", ["@modelcontextprotocol/server-everything"])


def test_mcp_server_time_has_no_false_failures_at_smoke_and_comprehensive(tmp_path, run_suite, time_server_bin):
    cfg = write_config(
        tmp_path / "time.toml",
        {
            "command": [str(time_server_bin / "mcp-server-time"), "--local-timezone", "UTC"],
            "categories": {"get_current_time": "time", "convert_time": "time"},
            "startup_timeout": 30,
        },
        {"examples": {"convert_time": {"source_timezone": "Europe/Paris", "time": "14:30", "target_timezone": "Asia/Tokyo"}}},
    )
    run = run_suite(cfg, "-rs", level="comprehensive")
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, run.result.stdout.str()[-3000:]
    assert run.records() == []
    # handshake, list, 2 schemas, 2 calls
    assert outcomes["passed"] == 6
    metrics = run.run_json()["metrics"]
    assert any("get_current_time" in n for n in metrics)
    # No tools_dir: the file checks are one named skip each, not pytest's "got empty parameter set".
    run.result.stdout.fnmatch_lines(["*no tools_dir configured*nothing to import or to find served*"])
    assert "empty parameter set" not in run.result.stdout.str()


def test_server_everything_has_no_false_failures_at_smoke_and_comprehensive(tmp_path, run_suite, everything_bin):
    cfg = write_config(
        tmp_path / "everything.toml",
        {
            "command": [str(everything_bin / "mcp-server-everything")],
            "category_from": ["map", "prefix"],
            "prefix_separator": "-",
            "startup_timeout": 30,
            "call_timeout": 20,
            # It fetches a URL from the internet, which these tests must never contact.
            "skip_tools": ["gzip-file-as-resource"],
        },
        {"examples": {"trigger-long-running-operation": {"duration": 1, "steps": 2}}},
    )
    run = run_suite(cfg, "-rs", level="comprehensive")
    outcomes = run.result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, run.result.stdout.str()[-3000:]
    assert run.records() == []
    assert outcomes["passed"] >= 2 + 2 * 10
    run.result.stdout.fnmatch_lines(["*gzip-file-as-resource is listed in [[]tool.autoheal.mcp[]] skip_tools*"])
