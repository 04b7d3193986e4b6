"""stress: concurrent calls over several sessions to the configured stress tools of a category that the
call policy allows; error rate, p50/p95/max latency and server RSS growth go in the run; budgets fail the test."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.checks import arguments_for
from pytest_autoheal.components.mcp_tools.discovery import ensure_schema
from pytest_autoheal.components.mcp_tools.policy import matching, not_called_reason
from pytest_autoheal.components.mcp_tools.stress import run_stress

pytestmark = [pytest.mark.component("mcp_tools"), pytest.mark.level("stress")]


def test_concurrent_calls(mcp, stress_category, tool_target, autoheal_record):
    cfg = mcp.target.cfg
    listed = [t for t in mcp.tools if t.category == stress_category and matching(t, cfg.stress.tools)]
    refused = {t.name: r for t in listed if (r := not_called_reason(t, cfg))}
    tools = [t for t in listed if t.name not in refused]
    if refused:
        # Left out of the load by the call policy: named in run.json, and each reason in the record if the test fails.
        autoheal_record.metrics["not_called"] = ", ".join(sorted(refused))
        autoheal_record.extras["not_called"] = refused
    if not tools:
        autoheal_record.not_called = "; ".join(refused.values())
        pytest.skip(autoheal_record.not_called)
    for tool in tools:
        if tool.dispatch is not None:
            ensure_schema(mcp.live_session()[0], tool, cfg.call_timeout)
    work = [(t, args) for t in tools for args, _ in arguments_for(t, cfg.examples)]
    result = run_stress(mcp.target, work)
    autoheal_record.metrics.update(result.metrics())
    over = result.over_budget(cfg.stress)
    assert not over, f"{stress_category}: over budget: {'; '.join(over)}"
