"""Schema-driven arguments and category resolution, checked against real JSON Schema validation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from pytest_autoheal.components.mcp_tools.arguments import CannotGenerate, minimal_arguments, schema_problem
from pytest_autoheal.components.mcp_tools.checks import looks_like_crash, root_cause
from pytest_autoheal.components.mcp_tools.config import McpConfig
from pytest_autoheal.components.mcp_tools.discovery import category_of

SCHEMAS = [
    {"type": "object", "properties": {"text": {"type": "string", "minLength": 3}}, "required": ["text"]},
    {"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 5, "multipleOf": 4}}, "required": ["n"]},
    {"type": "object", "properties": {"when": {"type": "string", "format": "date"}, "tz": {"type": "string"}}, "required": ["when"]},
    {
        "type": "object",
        "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "minItems": 2}},
        "required": ["pair"],
    },
    {"type": "object", "properties": {"v": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 2}]}}, "required": ["v"]},
    {
        "type": "object",
        "$defs": {"P": {"type": "object", "properties": {"x": {"enum": ["a", "b"]}}, "required": ["x"]}},
        "properties": {"p": {"$ref": "#/$defs/P"}},
        "required": ["p"],
    },
    {"type": "object", "properties": {"mode": {"const": "fast"}, "extra": {"type": "boolean"}}, "required": ["mode"]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_minimal_arguments_satisfy_the_schema_and_hold_only_required_keys(schema):
    args = minimal_arguments(schema)
    assert list(Draft202012Validator(schema).iter_errors(args)) == []
    assert set(args) == set(schema["required"])


def test_a_schema_no_minimal_value_satisfies_asks_for_an_example():
    with pytest.raises(CannotGenerate, match="fails the input schema"):
        minimal_arguments({"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}}, "required": ["code"]})


def test_invalid_input_schemas_are_named():
    assert "invalid JSON Schema" in schema_problem({"type": "object", "properties": {"a": {"type": "strng"}}})
    assert "must be an object" in schema_problem({"type": "array"})
    assert schema_problem({"type": "object", "properties": {}}) is None


def tool(name, meta=None):
    return SimpleNamespace(name=name, meta=meta)


def test_category_comes_from_the_first_source_that_knows_it():
    cfg = McpConfig(command="x", categories={"mapped": "from_map"})
    folders = {"in_folder": "folder_cat"}
    assert category_of(tool("mapped", {"category": "meta_cat"}), cfg, folders) == "from_map"
    assert category_of(tool("a_b", {"category": "meta_cat"}), cfg, folders) == "meta_cat"
    assert category_of(tool("a_b", {"fastmcp": {"tags": ["pdf", "docs"]}}), cfg, folders) == "docs"
    assert category_of(tool("in_folder"), cfg, folders) == "folder_cat"
    assert category_of(tool("pdf_extract"), cfg, folders) == "pdf"
    assert category_of(tool("plain"), cfg, folders) == "uncategorized"
    assert category_of(tool("get-sum"), McpConfig(command="x", category_from=["prefix"], prefix_separator="-"), {}) == "get"


def test_crash_text_and_validation_answers_are_told_apart():
    assert looks_like_crash("Error executing tool math_stddev")
    assert looks_like_crash("TypeError: Cannot read properties of undefined (reading 'x')")
    assert looks_like_crash("Error executing tool math_mean: values needs at least 1 number(s), got 0") is None


def test_root_cause_of_a_chained_server_traceback_is_the_tools_own_exception():
    stderr = (
        "INFO server: started\nERROR mcp: Tool 'f' raised an unexpected exception\nTraceback (most recent call last):\n"
        '  File "/srv/tools/f.py", line 3, in f\n    return 1 / 0\nZeroDivisionError: division by zero\n\n'
        "The above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n"
        '  File "/sdk/base.py", line 9, in run\n    raise UnexpectedToolError("x") from exc\nUnexpectedToolError: Error executing tool f\n'
        "INFO server: next request\n"
    )
    cause = root_cause(stderr)
    assert cause.startswith("Traceback") and cause.endswith("ZeroDivisionError: division by zero")


def test_config_needs_exactly_one_way_to_reach_the_server():
    with pytest.raises(ValueError, match="give either 'command'"):
        McpConfig()
    with pytest.raises(ValueError, match="only one of"):
        McpConfig(command="a", url="http://127.0.0.1:1/mcp")


def test_bad_mcp_config_is_one_message_naming_the_file_and_key(tmp_path):
    from pytest_autoheal.config import ConfigError, load_config

    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.autoheal.mcp]\ncommand = "srv"\ncall_timeout = -1\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).startswith(f"{path}: tool.autoheal.mcp.call_timeout:")
    assert "\n" not in str(info.value)
