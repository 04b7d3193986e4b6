"""A dispatcher's meta-tools that answer ``{"status": "error"}`` with ``isError: false`` never pass silently:
listing a category, asking a schema, a configured meta-tool the server does not have, and the meta-tools
called directly when no dispatcher is configured."""

from __future__ import annotations

from .conftest import server_script, write_config

SERVER = """
from mcp.server.mcpserver import MCPServer

REGISTRY = {"good": {"alpha": "Echo a text.", "beta": "Count a text."}, "flaky": {"gamma": "Never listed."}}
server = MCPServer("dispatcher")


def _error(message):
    return {"status": "error", "error": message}


@server.tool()
def list_cats() -> dict:
    return {"status": "success", "categories": sorted(REGISTRY)}


@server.tool()
def list_in(category: str) -> dict:
    if category not in REGISTRY:
        return _error(f"Category '{category}' not found")
    if category == "flaky":
        return _error("index of category flaky is offline")
    return {"status": "success", "tools": [{"name": n, "description": d, "annotations": {"readOnlyHint": True}} for n, d in REGISTRY[category].items()]}


@server.tool()
def schema_of(category: str, tool_name: str) -> dict:
    if tool_name == "beta":
        return _error("schema store unavailable")
    return {"status": "success", "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}


@server.tool()
def run_tool(category: str, tool_name: str, arguments: dict) -> dict:
    return {"status": "success", "result": arguments.get("text", "")}


server.run()
"""
DISPATCH = {"list_categories": "list_cats", "list_tools": "list_in", "get_schema": "schema_of", "call": "run_tool"}


def test_error_answers_of_meta_tools_fail_the_checks_that_needed_them(tmp_path, run_suite):
    command = server_script(tmp_path / "dispatcher.py", SERVER)
    cfg = write_config(tmp_path / "dispatch.toml", {"command": command, "startup_timeout": 30}, {"dispatch": DISPATCH})
    run = run_suite(cfg, "-n", "2")
    by_test = {r["test"]["nodeid"].split("::")[-1]: r for r in run.records()}
    assert set(by_test) == {"test_dispatcher_lists_tools", "test_input_schema_is_valid[good/beta]"}, run.result.stdout.str()[-3000:]
    listing = by_test["test_dispatcher_lists_tools"]
    assert listing["error"]["type"] == "DispatchError" and listing["error"]["message"] == "index of category flaky is offline"
    assert listing["error"]["extras"]["arguments"] == {"category": "flaky"}
    assert listing["classification"]["class"] == "contract"
    schema = by_test["test_input_schema_is_valid[good/beta]"]["error"]
    assert schema["type"] == "DispatchError" and schema["message"] == "schema store unavailable"
    assert schema["extras"]["arguments"] == {"category": "good", "tool_name": "beta"}
    # handshake, tools/list, 4 meta-tool schemas and good/alpha's; gamma was never listed, so it has no test.
    outcomes = run.result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"]) == (2, 2 + 4 + 1), outcomes
    assert "gamma" not in run.result.stdout.str()


def test_a_configured_meta_tool_the_server_lacks_is_a_config_record(tmp_path, run_suite):
    command = server_script(tmp_path / "dispatcher.py", SERVER)
    cfg = write_config(
        tmp_path / "dispatch.toml", {"command": command, "startup_timeout": 30}, {"dispatch": {**DISPATCH, "call": "call_tool"}}
    )
    run = run_suite(cfg, "-k", "dispatcher")
    (record,) = run.records()
    assert record["error"]["type"] == "DispatcherMissing" and record["error"]["extras"]["missing"] == ["call_tool"]
    assert record["classification"]["class"] == "config"


def test_meta_tools_called_directly_answer_errors_that_are_warnings_or_failures(tmp_path, run_suite):
    command = server_script(tmp_path / "dispatcher.py", SERVER)
    for error_answers in ("warn", "fail"):
        cfg = write_config(tmp_path / f"{error_answers}.toml", {"command": command, "call": "all", "error_answers": error_answers})
        run = run_suite(cfg, "-k", "tool_call", level="comprehensive")
        if error_answers == "warn":
            # Generated arguments name no category: {"status": "error"} with isError false is a warning, not a silent pass.
            (warning,) = run.run_json()["warnings"]
            assert warning["nodeid"].endswith("list_in]") and "not found" in warning["text"], warning
            assert run.records() == []
        else:
            (record,) = run.records()
            assert record["test"]["nodeid"].endswith("list_in]")
            assert record["error"]["type"] == "ToolErrorAnswer" and record["error"]["message"].startswith("Category '")
        assert run.result.parseoutcomes()["passed"] == (4 if error_answers == "warn" else 3)
