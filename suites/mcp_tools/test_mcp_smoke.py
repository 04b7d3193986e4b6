"""smoke: the server starts and completes the handshake; a dispatcher lists the tools behind it;
every tool file in tools_dir is served; every tool module imports on its own; every input schema
is valid JSON Schema. A server that did not start is one record: the tests that need it skip."""

from __future__ import annotations

import pytest

pytest.importorskip("mcp", reason="the MCP client is not installed; install it with: pip install 'pytest-autoheal[mcp]'")

from pytest_autoheal.components.mcp_tools.arguments import schema_problem
from pytest_autoheal.components.mcp_tools.discovery import ensure_schema
from pytest_autoheal.components.mcp_tools.loading import import_tool_module
from pytest_autoheal.components.mcp_tools.served import not_served_failure
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
    _server_down(mcp)
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


def _server_down(mcp) -> None:
    if mcp.problem is not None:
        pytest.skip(f"the MCP server did not start ({mcp.problem.summary[:200]}); test_server_starts_and_completes_handshake records why")


@pytest.mark.target("dispatch")
def test_dispatcher_lists_tools(mcp, autoheal_record):
    if mcp.target.cfg.dispatch is None:
        pytest.skip("no dispatcher configured: [tool.autoheal.mcp.dispatch] describes meta-tools that front the tools")
    _server_down(mcp)
    missing = sorted(mcp.meta_tools - {t.name for t in mcp.tools})
    if missing:
        raise TargetFailure(
            f"the server does not list the configured dispatcher tool(s) {', '.join(missing)}",
            error_type="DispatcherMissing",
            extras={"missing": missing, "listed": sorted(t.name for t in mcp.tools if t.dispatch is None)},
            hint="config",
        )
    autoheal_record.metrics["dispatched_tools"] = sum(1 for t in mcp.tools if t.dispatch is not None)
    if mcp.dispatch_problems:
        first = mcp.dispatch_problems[0]
        first.extras["problems"] = [p.summary for p in mcp.dispatch_problems[:50]]
        raise first


def test_tool_file_is_served(mcp, tool_file, tool_target, autoheal_record):
    if not mcp.target.cfg.check_served:
        pytest.skip("the served check is off: [tool.autoheal.mcp] check_served = false")
    _server_down(mcp)
    autoheal_record.extras.update(file=str(tool_file.path))
    if mcp.serving(tool_file) is None:
        published = "the dispatcher's tool lists" if mcp.target.cfg.dispatch else "tools/list"
        raise not_served_failure(mcp, tool_file, published)


def test_tool_module_imports(mcp, tool_file, tool_target, autoheal_record):
    result = import_tool_module(mcp.target, tool_file)
    autoheal_record.metrics["import_ms"] = round(result.seconds * 1000, 1)


def test_input_schema_is_valid(mcp, served_tool, tool_target):
    schema = served_tool.input_schema
    if served_tool.dispatch is not None:
        session, _ = mcp.live_session()
        schema = ensure_schema(session, served_tool, mcp.target.cfg.call_timeout)
    problem = schema_problem(schema)
    if problem:
        raise TargetFailure(
            f"tool {served_tool.name}: {problem}",
            error_type="InvalidInputSchema",
            extras={"tool": served_tool.name, "schema": schema},
            hint="contract",
        )
