"""The call policy on a server of our own with one tool per annotation combination: each tool logs its
calls to a file, so the test sees exactly which tools comprehensive and stress called."""

from __future__ import annotations

import pytest

from .conftest import server_script, write_config

ANNOTATED = """
import os
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("annotated")


def logging_tool(name):
    def tool(text: str = "") -> str:
        with open(os.environ["CALL_LOG"], "a") as fh:
            fh.write(name + "\\n")
        return "ok " + name

    return tool


COMBINATIONS = {
    "none_tool": None,
    "ro_true": ToolAnnotations(read_only_hint=True),
    "ro_false": ToolAnnotations(read_only_hint=False),
    "destructive_false": ToolAnnotations(destructive_hint=False),
    "destructive_true": ToolAnnotations(destructive_hint=True),
    "destructive_ro": ToolAnnotations(destructive_hint=True, read_only_hint=True),
}
for name, annotations in COMBINATIONS.items():
    server.add_tool(logging_tool(name), name=name, annotations=annotations, meta={"category": "ann"})
server.run()
"""
TOOLS = {"none_tool", "ro_true", "ro_false", "destructive_false", "destructive_true", "destructive_ro"}

POLICIES = {
    "default": ({}, {"ro_true", "destructive_ro"}),
    "non_destructive": ({"call": "non_destructive"}, {"ro_true", "destructive_ro", "destructive_false"}),
    "all": ({"call": "all"}, TOOLS),
    "allow-globs": ({"allow": ["ann/none_*", "destructive_t*"]}, {"ro_true", "destructive_ro", "none_tool", "destructive_true"}),
    "skip-globs": ({"call": "all", "skip": ["destructive_*"], "skip_tools": ["ro_t*"]}, {"none_tool", "ro_false"}),
    "allow_destructive": ({"allow_destructive": ["destructive_tr*"]}, {"ro_true", "destructive_ro", "destructive_true"}),
}


@pytest.mark.parametrize("policy", list(POLICIES))
def test_exactly_the_tools_the_policy_allows_are_called_at_comprehensive_and_stress(tmp_path, run_suite, policy):
    settings, expected = POLICIES[policy]
    log = tmp_path / "calls.log"
    cfg = write_config(
        tmp_path / "annotated.toml",
        {"command": server_script(tmp_path / "annotated_server.py", ANNOTATED), "env": {"CALL_LOG": str(log)}, "startup_timeout": 30}
        | settings,
        {"stress": {"tools": ["*"], "calls": 12, "sessions": 1, "concurrency": 4, "max_p95_ms": 60000, "max_rss_growth_mb": 4096}},
    )
    run = run_suite(cfg, "-rs", level="comprehensive,stress")
    assert run.result.parseoutcomes().get("failed", 0) == 0, run.result.stdout.str()[-3000:]
    assert set(log.read_text().split()) == expected

    data = run.run_json()
    calls = {t["target"]: t for t in data["tests"] if "test_tool_call[" in t["nodeid"]}
    assert {name for name, t in calls.items() if t["outcome"] == "passed"} == expected
    for name in TOOLS - expected:
        reason = calls[name]["not_called"]
        assert calls[name]["outcome"] == "skipped" and name in reason
        if "skip" in settings:
            assert "[tool.autoheal.mcp] skip" in reason
        else:
            assert "[annotations: " in reason and "allow" in reason and "call = " in reason
    (stress,) = [t for t in data["tests"] if "test_concurrent_calls" in t["nodeid"]]
    assert stress["outcome"] == "passed" and {e["tool"] for e in stress["trail"]} == expected
    assert data["metrics"][stress["nodeid"]]["calls"] == 12
    assert data["metrics"][stress["nodeid"]].get("not_called", "") == ", ".join(sorted(TOOLS - expected))
    assert data["by_category"]["ann"].get("not_called_policy", 0) == len(TOOLS - expected)
    assert data["by_category"]["ann"]["passed"] == len(expected) + 1 + len(TOOLS)  # the calls, the stress test, the schemas
    html = (run.report_dir / "health.html").read_text()
    if TOOLS - expected:
        assert f"{len(TOOLS - expected)} not called (policy)" in html


def test_no_annotations_reason_names_the_spec_default_and_the_settings(tmp_path, run_suite):
    cfg = write_config(
        tmp_path / "annotated.toml",
        {"command": server_script(tmp_path / "annotated_server.py", ANNOTATED), "env": {"CALL_LOG": str(tmp_path / "c.log")}},
    )
    run = run_suite(cfg, "-rs", "-k", "none_tool or ro_false or destructive_false", level="comprehensive")
    reasons = {t["target"]: t["not_called"] for t in run.run_json()["tests"] if t.get("not_called")}
    assert reasons["none_tool"] == (
        "none_tool is not annotated read-only (it has no annotations, and the MCP spec presumes such a tool destructive); "
        "add it to [tool.autoheal.mcp] allow (globs of tool or category/tool; allow_destructive also works) to call it, "
        'or set call = "all" [annotations: no readOnlyHint or destructiveHint annotation; policy: call = "read_only"]'
    )
    assert "destructiveHint defaults to true" in reasons["ro_false"] and 'call = "all"' in reasons["ro_false"]
    assert "destructiveHint: false" in reasons["destructive_false"] and 'set call = "non_destructive"' in reasons["destructive_false"]
    assert not (tmp_path / "c.log").exists()


def test_policy_table_follows_the_spec_defaults():
    from pytest_autoheal.components.mcp_tools.config import McpConfig
    from pytest_autoheal.components.mcp_tools.discovery import ServedTool
    from pytest_autoheal.components.mcp_tools.policy import not_called_reason

    hints = {
        "none_tool": (None, None),
        "ro_true": (True, None),
        "ro_false": (False, None),
        "destructive_false": (None, False),
        "destructive_true": (None, True),
        "destructive_ro": (True, True),
    }
    tools = [ServedTool(name, "ann", {"type": "object"}, read_only=ro, destructive=d) for name, (ro, d) in hints.items()]
    for policy, (settings, expected) in POLICIES.items():
        cfg = McpConfig(command=["srv"], **settings)
        assert {t.name for t in tools if not_called_reason(t, cfg) is None} == expected, policy
