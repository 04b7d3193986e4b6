"""Servers that misbehave: each gives one precise record, and the run ends cleanly with no process left."""

from __future__ import annotations

import pytest

from tests.support.raw_mcp import raw_server

from .conftest import leftover_processes, server_script, write_config

HANG = """
import sys
for line in sys.stdin:
    pass
"""
GARBAGE = """
import sys
print("starting the frobnicator on port 8080", flush=True)
for line in sys.stdin:
    print("received something", flush=True)
"""
NO_TOOLS = """
from mcp.server.mcpserver import MCPServer
MCPServer("empty").run()
"""
EXITS_MID_RUN = """
import os
from mcp.server.mcpserver import MCPServer
server = MCPServer("fragile")

@server.tool()
def shutdown_now(reason: str = "") -> str:
    os._exit(3)

server.run()
"""
CRASHES_AT_START = """
import json
raise SystemExit("config file /etc/frobnicator.conf is missing")
"""


def _run_bad(tmp_path, run_suite, body, *args, level="smoke", **mcp):
    script = tmp_path / "bad_server_under_test.py"
    cfg = write_config(tmp_path / "bad.toml", {"command": server_script(script, body), "startup_timeout": 3, "call_timeout": 5, **mcp})
    run = run_suite(cfg, *args, level=level, timeout=120)
    assert leftover_processes(str(script)) == []
    return run


@pytest.mark.parametrize(
    ("body", "error_type", "words", "klass"),
    [
        (HANG, "HandshakeTimeout", "did not answer initialize within 3s", "timeout"),
        (GARBAGE, "ProtocolError", "non-JSON-RPC text to stdout", "contract"),
        (CRASHES_AT_START, "ServerExited", "exited with code 1 before completing the handshake", None),
    ],
    ids=["hangs-in-handshake", "garbage-on-stdout", "exits-at-start"],
)
def test_server_that_never_completes_the_handshake_gives_one_record(tmp_path, run_suite, body, error_type, words, klass):
    run = _run_bad(tmp_path, run_suite, body)
    run.result.assert_outcomes(failed=1, skipped=run.result.parseoutcomes().get("skipped", 0))
    (record,) = run.records()
    assert record["test"]["nodeid"].endswith("test_server_starts_and_completes_handshake")
    assert record["error"]["type"] == error_type
    assert words in record["error"]["message"]
    if klass:
        assert record["classification"]["class"] == klass
    if body is GARBAGE:
        assert record["error"]["extras"]["stdout_garbage"][0] == "starting the frobnicator on port 8080"
    if body is CRASHES_AT_START:
        assert "frobnicator.conf is missing" in record["error"]["stderr_tail"]


def test_command_that_does_not_exist_gives_one_record(tmp_path, run_suite):
    cfg = write_config(tmp_path / "missing.toml", {"command": [str(tmp_path / "no-such-server")], "startup_timeout": 3})
    run = run_suite(cfg)
    run.result.assert_outcomes(failed=1, skipped=run.result.parseoutcomes().get("skipped", 0))
    (record,) = run.records()
    assert "could not be started" in record["error"]["message"] or "cannot start" in record["error"]["message"]
    assert record["error"]["extras"]["argv"] == [str(tmp_path / "no-such-server")]


def test_server_listing_no_tools_gives_one_record(tmp_path, run_suite):
    run = _run_bad(tmp_path, run_suite, NO_TOOLS, startup_timeout=30)
    run.result.assert_outcomes(failed=1, passed=1, skipped=run.result.parseoutcomes().get("skipped", 0))
    (record,) = run.records()
    assert record["error"]["type"] == "NoTools" and record["error"]["message"] == "MCP server listed 0 tools"


def test_server_that_exits_mid_run_gives_one_record_with_its_exit_code(tmp_path, run_suite):
    run = _run_bad(tmp_path, run_suite, EXITS_MID_RUN, level="comprehensive", startup_timeout=30, call="all")
    assert run.result.parseoutcomes()["failed"] == 1
    (record,) = run.records()
    assert record["error"]["type"] == "ServerExited"
    assert record["error"]["message"] == "MCP server exited with code 3 during tools/call shutdown_now"
    assert record["error"]["extras"]["exit_code"] == 3 and record["error"]["extras"]["tool"] == "shutdown_now"
    assert record["test"]["target"] == "shutdown_now"


PAGED = """
from mcp.server.mcpserver import MCPServer
from mcp.types import ListToolsResult


class PagedServer(MCPServer):
    async def _handle_list_tools(self, ctx, params):
        tools = await self.list_tools()
        start = int(params.cursor) if params is not None and params.cursor else 0
        more = start + 3 < len(tools)
        return ListToolsResult(tools=tools[start : start + 3], next_cursor=str(start + 3) if more else None)


def make(i):
    def tool(text: str) -> str:
        return text + str(i)

    return tool


server = PagedServer("paged")
for i in range(8):
    server.add_tool(make(i), name=f"page{i % 2}_tool_{i}")
server.run()
"""


def test_tools_are_discovered_across_every_page_of_tools_list(tmp_path, run_suite):
    run = _run_bad(tmp_path, run_suite, PAGED, "--collect-only", "-q", startup_timeout=30)
    ids = [line for line in run.result.outlines if "test_input_schema_is_valid[" in line]
    assert sorted(i.split("[")[1] for i in ids) == sorted(f"page{i % 2}/page{i % 2}_tool_{i}]" for i in range(8))


RAW_SERVER = raw_server(
    """
SCHEMA = {"type": "object", "properties": {}}
TOOLS = [
    {"name": "fine", "inputSchema": SCHEMA},
    {"name": "bad_output", "inputSchema": SCHEMA, "outputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}},
    {"name": "crash_text", "inputSchema": SCHEMA},
    {"name": "protocol_error", "inputSchema": SCHEMA},
    {"name": "slow", "inputSchema": SCHEMA},
]
CRASH = 'Traceback (most recent call last):\\n  File "/srv/handlers.py", line 12, in lookup\\n    return USERS[name]\\nKeyError: \\'ada\\''
""",
    """
if name == "fine":
    send({"id": rid, "result": {"content": [{"type": "text", "text": "ok"}]}})
elif name == "bad_output":
    send({"id": rid, "result": {"content": [{"type": "text", "text": "{}"}], "structuredContent": {"n": "seven"}}})
elif name == "crash_text":
    send({"id": rid, "result": {"content": [{"type": "text", "text": CRASH}], "isError": True}})
elif name == "protocol_error":
    send({"id": rid, "error": {"code": -32603, "message": "internal error: database handle closed"}})
""",
)


def test_each_kind_of_bad_tool_answer_is_one_precise_record(tmp_path, run_suite):
    run = _run_bad(tmp_path, run_suite, RAW_SERVER, level="comprehensive", call_timeout=2, call="all")
    outcomes = run.result.parseoutcomes()
    assert outcomes["failed"] == 4, run.result.stdout.str()[-3000:]
    by_tool = {r["test"]["target"]: r for r in run.records()}
    assert set(by_tool) == {"bad_output", "crash_text", "protocol_error", "slow"}
    assert by_tool["bad_output"]["error"]["type"] == "OutputSchemaViolation"
    assert by_tool["bad_output"]["classification"]["class"] == "contract"
    assert by_tool["crash_text"]["error"]["type"] == "KeyError" and by_tool["crash_text"]["error"]["message"] == "'ada'"
    assert by_tool["protocol_error"]["error"]["type"] == "MCPError"
    assert "database handle closed" in by_tool["protocol_error"]["error"]["message"]
    assert by_tool["slow"]["error"]["type"] == "ToolTimeout" and by_tool["slow"]["classification"]["class"] == "timeout"
    for record in by_tool.values():
        assert record["error"]["extras"]["arguments"] == {} and record["error"]["extras"]["argument_source"] == "generated"
