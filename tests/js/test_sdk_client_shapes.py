"""An SDK whose client is made as ``new MCPClient(baseUrl)`` (the seed's), against a real Flask API:
the way the client is made is configuration (positional arguments, or an expression)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable

from ..dashboard.flask_site import SDK
from ..support.reports import toml_value
from .test_js_sdk_suite import run_suite

FLASK_SITE = Path(__file__).resolve().parents[1] / "dashboard" / "flask_site.py"
CALLS = [
    {"method": "listTools", "expect": "array"},
    {"method": "executeTool", "args": ["dataset_info", {"limit": 1}], "expect": "object"},
]


def config(sdk: Path, **client) -> str:
    dashboard = (
        f"[dashboard]\ncommand = {toml_value([sys.executable, str(FLASK_SITE), '--port', '{port}', '--cdn', 'http://cdn.localhost:9'])}\n"
    )
    dashboard += 'ready_path = "/api/mcp/tools"\n'
    table = {"module": str(sdk), "calls": CALLS, **client}
    lines = "\n".join(f"{k} = {toml_value(v)}" for k, v in table.items())
    return dashboard + f'[js_sdk]\nfiles = ["{sdk}"]\npage = "/tools"\n[js_sdk.client]\n{lines}\n'


@pytest.fixture
def sdk(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "mcp-sdk.js"
    path.write_text(SDK)
    return path


def test_a_constructor_taking_the_url_fails_when_given_an_options_object(pytester: pytest.Pytester, node: str, sdk: Path) -> None:
    result, records = run_suite(pytester, config(sdk, factory="MCPClient", new=True), "--autoheal-level=comprehensive", "-k", "from_node")
    result.assert_outcomes(failed=2)
    assert {r["error"]["type"] for r in records} == {"TypeError"}
    assert all("baseUrl.replace is not a function" in r["error"]["message"] for r in records)


@pytest.mark.parametrize(
    "client",
    [
        {"factory": "MCPClient", "new": True, "args": ["{base_url}"]},
        {"expression": "new MCPClient({base_url})"},
        {"expression": "MCPClient.connect({base_url})"},
    ],
    ids=["positional-args", "constructor-expression", "async-factory-expression"],
)
def test_the_client_is_made_as_configured_and_works_from_node(pytester: pytest.Pytester, node: str, sdk: Path, client: dict) -> None:
    result, records = run_suite(pytester, config(sdk, **client), "--autoheal-level=comprehensive", "-k", "from_node")
    result.assert_outcomes(passed=2)
    assert records == []


def test_an_expression_makes_the_client_in_the_page_from_the_pages_globals(pytester: pytest.Pytester, node: str, sdk: Path) -> None:
    reason = browser_unavailable("playwright")
    if reason:
        pytest.skip(reason)
    result, records = run_suite(
        pytester, config(sdk, expression="new MCPClient({base_url})"), "--autoheal-level=browser", "-k", "in_the_page"
    )
    result.assert_outcomes(passed=2)
    assert records == []


def test_an_expression_without_the_url_is_a_config_error(pytester: pytest.Pytester, sdk: Path) -> None:
    result, _ = run_suite(pytester, config(sdk, expression="new MCPClient()"), "--autoheal-level=smoke")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0 and "{base_url}" in output and "Traceback" not in output
