"""Targets that do not start: classed from what they did (their exit, the refused connection, their HTTP answer,
the missing program), recorded once however many tests needed them, with their own words on the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_autoheal import http
from pytest_autoheal.runner import start

from .conftest import Quarry


def test_a_missing_program_is_config_for_every_component(quarry: Quarry) -> None:
    missing = quarry.home / "bin" / "not-installed"
    config = quarry.config(
        cli={"variants": [{"command": [str(missing)], "name": "quarry-missing"}]},
        mcp={"command": [str(missing), "--stdio"], "startup_timeout": 10},
        dashboard=quarry.dashboard(command=[str(missing), "--port", "{port}"]),
        js_sdk=quarry.js_sdk(node=str(missing)),
    )
    run = quarry.run(config, "--autoheal-level=smoke", "-n", "2")
    records = {r["test"]["component"]: r for r in run.suite_records()}
    assert len(run.suite_records()) == 4, [(r["test"]["nodeid"], r["error"]["message"]) for r in run.suite_records()]
    assert sorted(records) == ["cli", "dashboard", "js_sdk", "mcp_tools"]
    for component, record in records.items():
        assert record["classification"]["class"] == "config", (component, record["classification"])
        assert str(missing) in record["error"]["message"] or component == "cli"
    assert "is not installed or not on PATH" in records["cli"]["error"]["message"]
    out = run.result.stdout.str()
    assert out.count(f"the program '{missing}' was not found") >= 3


def test_a_dashboard_and_a_server_that_exit_at_start_are_classed_from_their_exit(quarry: Quarry) -> None:
    config = quarry.config(
        mcp={**quarry.mcp(command=[sys.executable, "-m", "quarry.mcp_server", "--exit-at-start"]), "tools_dir": None},
        dashboard=quarry.dashboard(env={**quarry.env(), "QUARRY_REFUSE_ROOT": "1"}),
        js_sdk=quarry.js_sdk(),
    )
    run = quarry.run(config, "--autoheal-level=smoke,browser", "--component=dashboard,js_sdk,mcp_tools", "-n", "2")
    records = run.suite_records()
    # The dashboard is needed by the dashboard and js_sdk tests of both workers: one bug, one record.
    assert sorted(r["fingerprint"]["values"]["component"] for r in records) == ["dashboard", "mcp_tools"], [
        (r["test"]["nodeid"], r["error"]["message"]) for r in records
    ]
    dashboard = next(r for r in records if r["fingerprint"]["values"]["component"] == "dashboard")
    assert dashboard["classification"]["class"] == "crash"
    assert dashboard["error"]["message"] == "exited with code 1: Running as root is not recommended. Use --allow-root"
    assert dashboard["classification"]["evidence"] == ["the process exited with code 1 without a traceback"]
    server = next(r for r in records if r["fingerprint"]["values"]["component"] == "mcp_tools")
    assert server["classification"]["class"] == "crash"
    assert server["error"]["message"] == "MCP server exited with code 1 before completing the handshake"
    # The monitor's fixture and config reprs are kept apart and decided nothing.
    assert "ready_timeout" not in dashboard["error"]["traceback"] and "ready_timeout" in dashboard["monitor"]["traceback"]
    out = run.result.stdout.str()
    assert "the dashboard exited with code 1: Running as root is not recommended. Use --allow-root" in out
    assert "cannot open the pit index /var/lib/quarry/index.db: no such file" in out


@pytest.fixture
def not_mcp(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server that is not an MCP server: it answers POST with 501."""
    port = http.free_port()
    with start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], log_path=tmp_path / "not-mcp.log") as service:
        ready = http.wait_until_ready(f"http://127.0.0.1:{port}/", timeout=30, alive=service.alive)
        assert ready.ok
        yield f"http://127.0.0.1:{port}/mcp"


def test_an_mcp_url_nobody_listens_on_is_network_with_the_url(quarry: Quarry) -> None:
    url = f"http://127.0.0.1:{http.free_port()}/mcp"
    run = quarry.run(quarry.config(mcp={"url": url, "startup_timeout": 10}), "--autoheal-level=smoke")
    (record,) = run.suite_records()
    assert record["classification"]["class"] == "network"
    assert record["error"]["message"] == f"POST {url} failed: connection refused"
    assert "TaskGroup" not in record["error"]["message"]
    assert f"MCP server at {url} could not be reached: connection refused" in run.result.stdout.str()


def test_an_mcp_url_that_is_not_an_mcp_server_is_its_http_status(quarry: Quarry, not_mcp: str) -> None:
    run = quarry.run(quarry.config(mcp={"url": not_mcp, "startup_timeout": 10}), "--autoheal-level=smoke")
    (record,) = run.suite_records()
    assert record["classification"]["class"] == "http_error"
    assert record["error"]["message"] == "POST /mcp answered 501" and record["classification"]["evidence"] == ["HTTP status 501"]
    assert "Unsupported method ('POST')" in run.result.stdout.str()
