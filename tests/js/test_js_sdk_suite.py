"""suites/js_sdk run through pytester on real SDK files, real node, the real demo dashboard and real Chromium."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_autoheal.components.dashboard.browser import browser_unavailable
from pytest_autoheal.record import validation_errors

from ..support.reports import read_records

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "suites" / "js_sdk"
DEMO_SDK = ROOT / "examples" / "demo_platform" / "src" / "autoheal_demo" / "dashboard" / "static" / "sdk" / "demo-sdk.js"
DASHBOARD = f'[dashboard]\ncommand = ["{Path(sys.executable).parent / "autoheal-demo-dashboard"}", "--port", "{{port}}"]\nready_path = "/api/status"\n'


def run_suite(pytester: pytest.Pytester, config: str, *args: str, timeout: float = 240) -> tuple[Any, list[dict[str, Any]]]:
    cfg = pytester.path / "autoheal.toml"
    cfg.write_text(config)
    (pytester.path / "pytest.ini").write_text("[pytest]\n")
    report = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        str(SUITE),
        f"--autoheal-config={cfg}",
        f"--autoheal-dir={report}",
        f"--rootdir={pytester.path}",
        f"-c={pytester.path / 'pytest.ini'}",
        "-p",
        "no:cacheprovider",
        "-rs",
        *args,
        timeout=timeout,
    )
    return result, read_records(report)


@pytest.fixture
def browser() -> str:
    reason = browser_unavailable("playwright")
    if reason:
        pytest.skip(reason)
    return "playwright"


def test_the_demo_sdk_is_green_at_every_level(pytester: pytest.Pytester, node: str, browser: str) -> None:
    result = pytester.runpytest_subprocess(
        str(SUITE),
        f"--autoheal-config={ROOT / 'pyproject.toml'}",
        f"--autoheal-dir={pytester.path / 'reports'}",
        f"--rootdir={ROOT}",
        "--autoheal-level=all",
        "-p",
        "no:cacheprovider",
        timeout=240,
    )
    result.assert_outcomes(passed=10)
    assert list((pytester.path / "reports" / "records").glob("*.json")) == []


def test_the_demo_browser_level_passes_with_selenium_too(pytester: pytest.Pytester, node: str) -> None:
    reason = browser_unavailable("selenium")
    if reason:
        pytest.skip(reason)
    result = pytester.runpytest_subprocess(
        str(SUITE),
        f"--autoheal-config={ROOT / 'pyproject.toml'}",
        f"--autoheal-dir={pytester.path / 'reports'}",
        f"--rootdir={ROOT}",
        "--autoheal-level=browser",
        "--autoheal-browser=selenium",
        "-p",
        "no:cacheprovider",
        timeout=240,
    )
    result.assert_outcomes(passed=4)
    assert list((pytester.path / "reports" / "records").glob("*.json")) == []


def test_a_parse_error_is_a_syntax_record_with_file_line_and_column(pytester: pytest.Pytester, node: str) -> None:
    sdk = pytester.path / "sdk"
    sdk.mkdir()
    (sdk / "client.js").write_text("(function () { window.Sdk = { ok: true }; })();\n")
    (sdk / "esm.js").write_text("import { x } from './dep.mjs';\nexport const y = x + 1;\n")
    (sdk / "broken.mjs").write_text("export function list() {\n  return [1, 2,, ;\n}\n")
    (sdk / "broken-script.js").write_text("function f() {\n  if (x) {\n    return 1;\n\n")
    result, records = run_suite(pytester, '[js_sdk]\nfiles = ["sdk/**/*.js", "sdk/*.mjs"]\n', "--autoheal-level=smoke")
    result.assert_outcomes(passed=2, failed=2)
    by_target = {r["test"]["target"]: r for r in records}
    assert sorted(by_target) == ["sdk/broken-script.js", "sdk/broken.mjs"]
    module = by_target["sdk/broken.mjs"]
    assert module["classification"]["class"] == "syntax"
    assert module["error"]["type"] == "SyntaxError"
    assert "sdk/broken.mjs:2:" in module["error"]["message"]
    extras = module["error"]["extras"]
    assert (extras["file"], extras["line"], extras["module_type"]) == ("sdk/broken.mjs", 2, "module")
    assert extras["column"] >= 1
    assert module["test"]["component"] == "js_sdk" and module["test"]["level"] == "smoke"
    script = by_target["sdk/broken-script.js"]
    assert script["classification"]["class"] == "syntax"
    assert script["error"]["extras"]["module_type"] == "script"
    assert all(validation_errors(r) == [] for r in records)


def test_each_failing_sdk_node_test_is_its_own_record(pytester: pytest.Pytester, node: str) -> None:
    (pytester.path / "sdk").mkdir()
    shutil.copy(DEMO_SDK, pytester.path / "sdk" / "demo-sdk.js")
    tests = pytester.path / "js-tests"
    tests.mkdir()
    (tests / "sdk.test.cjs").write_text(
        "const { test, describe, it } = require('node:test');\n"
        "const assert = require('node:assert/strict');\n"
        "const sdk = require('../sdk/demo-sdk.js');\n"
        "test('exports createClient', () => assert.equal(typeof sdk.createClient, 'function'));\n"
        "test('version is 9', () => assert.equal(sdk.VERSION, '9.0.0'));\n"
        "describe('client', () => {\n"
        "  it('needs fetch', () => { sdk.createClient({ baseUrl: 'http://x', fetch: null }).missing(); });\n"
        "});\n"
    )
    config = '[js_sdk]\nfiles = ["sdk/*.js"]\ntests = ["js-tests/*.test.cjs"]\n'
    result, records = run_suite(pytester, config, "--autoheal-level=comprehensive", "-k", "own_tests")
    result.assert_outcomes(failed=1, deselected=4)
    by_target = {r["test"]["target"]: r for r in records}
    assert sorted(by_target) == ["client > needs fetch", "version is 9"]
    version = by_target["version is 9"]
    assert version["error"]["type"] == "AssertionError"
    assert version["classification"]["class"] == "assertion"
    assert "js-tests/sdk.test.cjs" in version["error"]["extras"]["location"]
    client = by_target["client > needs fetch"]
    assert client["error"]["type"] == "TypeError"
    assert version["fingerprint"]["hash"] != client["fingerprint"]["hash"]
    assert all(r["test"]["component"] == "js_sdk" and validation_errors(r) == [] for r in records)


def test_client_calls_from_node_against_the_live_dashboard(pytester: pytest.Pytester, node: str) -> None:
    config = (
        DASHBOARD + "[js_sdk]\n"
        f'files = ["{DEMO_SDK}"]\n'
        "[js_sdk.client]\n"
        f'module = "{DEMO_SDK}"\n'
        "calls = [\n"
        '  { method = "listTools", expect = "array" },\n'
        '  { method = "callTool", args = ["sha256", { text = "abc" }], expect = "string",'
        ' equals = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },\n'
        '  { method = "callTool", args = ["no_such_tool", {}] },\n'
        '  { method = "status", expect = "array" },\n'
        "]\n"
    )
    result, records = run_suite(pytester, config, "--autoheal-level=comprehensive", "-k", "from_node")
    result.assert_outcomes(passed=2, failed=2)
    by_method = {r["error"]["extras"]["method"] + ":" + json.dumps(r["error"]["extras"]["arguments"]): r for r in records}
    missing = by_method['callTool:["no_such_tool", {}]']
    assert missing["error"]["type"] == "DemoSdkError"
    assert missing["classification"]["class"] == "http_error"
    assert "unknown tool" in missing["error"]["message"]
    assert "demo-sdk" in {f["module"].rsplit(".", 1)[-1] for f in missing["error"]["frames"]} or missing["error"]["traceback"]
    status = by_method["status:[]"]
    assert status["classification"]["class"] == "contract"
    assert "returned object, expected array" in status["error"]["message"]


def test_browser_level_names_a_page_without_the_sdk_or_the_reporter(pytester: pytest.Pytester, node: str, browser: str) -> None:
    config = (
        DASHBOARD + "[js_sdk]\n"
        f'files = ["{DEMO_SDK}"]\n'
        'page = "/no-such-page"\n'
        "check_error_reporter = true\n"
        "[js_sdk.client]\n"
        f'module = "{DEMO_SDK}"\n'
        'global_name = "DemoSdk"\n'
        'calls = [{ method = "listTools", expect = "array" }]\n'
    )
    result, records = run_suite(pytester, config, "--autoheal-level=browser")
    result.assert_outcomes(failed=2)
    types = sorted(r["error"]["type"] for r in records)
    assert types == ["ReferenceError", "ReporterMissing"]
    reference = next(r for r in records if r["error"]["type"] == "ReferenceError")
    assert "window.DemoSdk is not defined" in reference["error"]["message"]
    assert reference["error"]["extras"]["url"].endswith("/no-such-page")


def test_without_node_the_suite_skips_with_the_reason_and_the_fix(pytester: pytest.Pytester) -> None:
    (pytester.path / "a.js").write_text("var a = 1;\n")
    result, records = run_suite(pytester, '[js_sdk]\nfiles = ["a.js"]\nnode = "no-such-node-here"\n', "--autoheal-level=smoke")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*node is not installed or not on PATH; install Node.js 18 or later*"])
    assert records == []


def test_a_js_sdk_table_without_files_is_one_config_error(pytester: pytest.Pytester) -> None:
    result, _ = run_suite(pytester, '[js_sdk]\ntests = ["t.test.js"]\n', "--autoheal-level=smoke")
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert "js_sdk" in output and "files" in output
    assert "Traceback" not in output


def test_globs_that_match_nothing_fail_as_a_config_record(pytester: pytest.Pytester, node: str) -> None:
    result, records = run_suite(pytester, '[js_sdk]\nfiles = ["static/sdk/**/*.js"]\n', "--autoheal-level=smoke")
    result.assert_outcomes(failed=1)
    (record,) = records
    assert record["classification"]["class"] == "config"
    assert "no SDK file matches" in record["error"]["message"] and "static/sdk/**/*.js" in record["error"]["message"]
