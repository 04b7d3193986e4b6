"""stress: concurrent calls over several sessions to the configured stress tools of a category that the
call policy allows; error rate, p50/p95/max latency and server RSS growth go in the run; budgets fail the test."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.checks import arguments_for, call_tool
from pytest_autoheal.components.mcp_tools.discovery import ensure_schema
from pytest_autoheal.components.mcp_tools.policy import matching, not_called_reason
from pytest_autoheal.components.mcp_tools.stress import run_stress
from pytest_autoheal.errors import TargetFailure

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
    calls = [(t, args, source) for t in tools for args, source in arguments_for(t, cfg.examples)]
    result = run_stress(mcp.target, [(t, args) for t, args, _ in calls])
    autoheal_record.metrics.update(result.metrics())
    over = result.over_budget(cfg.stress)
    if result.error_rate > cfg.stress.max_error_rate:
        # Calls in flight together share the server's stderr: each distinct failing call is made once more, alone,
        # so its record holds that call's own evidence (the same bug the comprehensive call finds, the same fingerprint).
        sources = {(t.name, json.dumps(args, sort_keys=True)): source for t, args, source in calls}
        session, _ = mcp.live_session()
        failures: dict[tuple[str, str], TargetFailure] = {}
        for tool, args, detail in result.failed:
            key = (tool.name, json.dumps(args, sort_keys=True))
            if key in failures:
                continue
            alone = call_tool(session, tool, args, sources.get(key, "example")).failure
            failures[key] = alone or TargetFailure(
                f"tool {tool.name} failed under load but not when called alone: {detail}",
                error_type="LoadFailure",
                message=detail,
                extras={"tool": tool.name, "arguments": args, "stress": result.metrics()},
                subject=tool.name,
            )
        autoheal_record.fail(list(failures.values()), found_in=f"{stress_category} under load ({'; '.join(over)})")
    assert not over, f"{stress_category}: over budget: {'; '.join(over)}"
