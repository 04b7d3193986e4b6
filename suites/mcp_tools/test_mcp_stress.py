"""stress: concurrent calls over several sessions to the configured safe tools of a category;
error rate, p50/p95/max latency and server RSS growth go in the run; budgets fail the test."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.checks import arguments_for, safety
from pytest_autoheal.components.mcp_tools.discovery import ensure_schema
from pytest_autoheal.components.mcp_tools.stress import run_stress

pytestmark = [pytest.mark.component("mcp_tools"), pytest.mark.level("stress")]


def test_concurrent_calls(mcp, stress_category, tool_target, autoheal_record):
    cfg = mcp.target.cfg
    tools = [t for t in mcp.tools if t.category == stress_category and t.name in cfg.stress.tools]
    unsafe = [r for t in tools if (r := safety(t, cfg.allow_destructive, cfg.skip_tools))]
    assert not unsafe, f"stress tools must be safe to call: {'; '.join(unsafe)}"
    for tool in tools:
        if tool.dispatch is not None:
            ensure_schema(mcp.live_session()[0], tool, cfg.call_timeout)
    work = [(t, args) for t in tools for args, _ in arguments_for(t, cfg.examples)]
    result = run_stress(mcp.target, work)
    autoheal_record.metrics.update(result.metrics())
    over = result.over_budget(cfg.stress)
    assert not over, f"{stress_category}: over budget: {'; '.join(over)}"
