"""comprehensive: every tool the call policy allows is called (config examples, else minimal arguments
from its input schema) under a timeout; protocol errors, crash evidence and output-schema violations
fail the test; a tool the policy does not allow is a skip that says why and what would allow it."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.arguments import CannotGenerate
from pytest_autoheal.components.mcp_tools.checks import arguments_for, call_tool
from pytest_autoheal.components.mcp_tools.discovery import ensure_schema
from pytest_autoheal.components.mcp_tools.policy import not_called_reason

pytestmark = [pytest.mark.component("mcp_tools"), pytest.mark.level("comprehensive")]


def test_tool_call(mcp, served_tool, tool_target, autoheal_record):
    cfg = mcp.target.cfg
    if served_tool.name in mcp.meta_tools and served_tool.dispatch is None:
        pytest.skip(f"{served_tool.name} is a dispatcher meta-tool: the tools behind it are called through it")
    reason = not_called_reason(served_tool, cfg)
    if reason:
        autoheal_record.not_called = reason
        pytest.skip(reason)
    session, restarted = mcp.live_session()
    if served_tool.dispatch is not None:
        ensure_schema(session, served_tool, cfg.call_timeout)
    try:
        calls = arguments_for(served_tool, cfg.examples)
    except CannotGenerate as exc:
        pytest.skip(f"{served_tool.name}: {exc}; add an example in [tool.autoheal.mcp.examples]")
    if restarted:
        autoheal_record.extras["server_restarted"] = True
    for arguments, source in calls:
        outcome = call_tool(session, served_tool, arguments, source)
        autoheal_record.metrics.setdefault("call_ms", []).append(round(outcome.seconds * 1000, 2))
        if outcome.failure is not None:
            raise outcome.failure
        if outcome.validation_answer is not None:
            autoheal_record.metrics["validation_answer"] = outcome.validation_answer
        if outcome.error_answer is not None:
            autoheal_record.metrics["error_answer"] = outcome.error_answer
