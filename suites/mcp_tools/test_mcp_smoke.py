"""smoke: the server starts and completes the handshake; every tool file in tools_dir is served;
every tool module imports on its own; every input schema is valid JSON Schema."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.arguments import schema_problem
from pytest_autoheal.components.mcp_tools.checks import root_cause
from pytest_autoheal.components.mcp_tools.loading import import_tool_module
from pytest_autoheal.errors import TargetFailure

pytestmark = [pytest.mark.component("mcp_tools"), pytest.mark.level("smoke")]


@pytest.mark.target("server")
def test_server_starts_and_completes_handshake(mcp, autoheal_record):
    autoheal_record.extras["server"] = mcp.target.name
    if mcp.problem is not None:
        raise mcp.problem
    conn = mcp.session.conn
    if conn.garbage:
        summary = f"MCP server wrote {len(conn.garbage)} non-JSON-RPC line(s) to stdout: {conn.garbage[0][:120]!r}"
        raise TargetFailure(
            summary, error_type="ProtocolError", stderr=conn.startup_stderr(), extras={"stdout_garbage": conn.garbage[:10]}, hint="contract"
        )
    assert conn.init is not None and conn.init.server_info.name


@pytest.mark.target("server")
def test_server_lists_tools(mcp, autoheal_record):
    if not mcp.started:
        pytest.skip("the server did not start; test_server_starts_and_completes_handshake records why")
    autoheal_record.metrics["tools"] = len(mcp.tools)
    if not mcp.tools:
        raise TargetFailure(
            "MCP server listed 0 tools",
            error_type="NoTools",
            stderr=mcp.session.conn.startup_stderr(),
            extras={"server": mcp.target.name},
            hint="contract",
        )
    names = [t.name for t in mcp.tools]
    assert len(names) == len(set(names)), f"tools/list repeats names: {sorted({n for n in names if names.count(n) > 1})}"


def test_tool_file_is_served(mcp, tool_file, tool_target, autoheal_record):
    if mcp.problem is not None:
        raise mcp.problem
    autoheal_record.extras.update(file=str(tool_file.path))
    if mcp.tool(tool_file.name) is None:
        stderr = mcp.session.conn.startup_stderr()
        raise TargetFailure.from_output(
            f"tool file {tool_file.id} is not served: the server lists no tool {tool_file.name!r} ({len(mcp.tools)} tools listed)",
            root_cause(stderr, about=tool_file.path.name),
            default_type="ToolNotServed",
            stderr=stderr,
            extras={"file": str(tool_file.path), "tool": tool_file.name, "category": tool_file.category},
        )


def test_tool_module_imports(mcp, tool_file, tool_target):
    import_tool_module(mcp.target, tool_file)


def test_input_schema_is_valid(served_tool, tool_target):
    problem = schema_problem(served_tool.input_schema)
    if problem:
        raise TargetFailure(
            f"tool {served_tool.name}: {problem}",
            error_type="InvalidInputSchema",
            extras={"tool": served_tool.name, "schema": served_tool.input_schema},
            hint="contract",
        )
