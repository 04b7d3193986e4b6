"""The js_sdk parts on their own: config validation, module detection, TAP from real node runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_autoheal.components.js_sdk.checks import module_kind, run_node_tests
from pytest_autoheal.components.js_sdk.config import JsSdkConfig
from pytest_autoheal.components.js_sdk.tap import parse_tap


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "give the SDK's files as globs"),
        ({"files": ["a.js"], "base_url": "ftp://x"}, "must start with http:// or https://"),
        ({"files": ["a.js"], "page": "tools"}, "must start with '/'"),
        ({"files": ["a.js"], "client": {"calls": [{"method": "list tools"}]}}, "must be a JavaScript identifier"),
        ({"files": ["a.js"], "client": {"global_name": "window.Sdk"}}, "must be a JavaScript identifier"),
        ({"files": ["a.js"], "tests_glob": ["x"]}, "Extra inputs are not permitted"),
    ],
)
def test_bad_js_sdk_config_is_refused_with_the_reason(data: dict, says: str) -> None:
    with pytest.raises(ValidationError, match=says.replace("(", r"\(")):
        JsSdkConfig.model_validate(data)


def test_module_kind_follows_extension_package_type_and_syntax(tmp_path: Path) -> None:
    cfg = JsSdkConfig(files=["**/*"])
    files = {
        "a.mjs": "export const a = 1;\n",
        "b.cjs": "module.exports = 1;\n",
        "c.js": "// export const not_code = 1;\nwindow.C = 1;\n",
        "d.js": "import x from './a.mjs';\n",
        "e.js": "module.exports = { e: 1 };\n",
        "pkg/f.js": "window.F = 1;\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "pkg" / "package.json").write_text('{"type": "module"}')
    kinds = {name: module_kind(tmp_path / name, cfg) for name in files}
    assert kinds == {"a.mjs": "module", "b.cjs": "commonjs", "c.js": "script", "d.js": "module", "e.js": "commonjs", "pkg/f.js": "module"}
    assert module_kind(tmp_path / "c.js", JsSdkConfig(files=["x"], module_type="module")) == "module"


def test_tap_of_a_real_node_run_gives_one_result_per_leaf_test(tmp_path: Path, node: str) -> None:
    test_file = tmp_path / "t.test.cjs"
    test_file.write_text(
        "const { describe, it, test } = require('node:test');\n"
        "const assert = require('node:assert/strict');\n"
        "describe('client', () => {\n"
        "  it('lists', () => {});\n"
        "  describe('calls # with hash', () => {\n"
        "    it('fails', () => { assert.equal(1, 2); });\n"
        "    it.skip('skipped', () => {});\n"
        "  });\n"
        "});\n"
        "test('throws', () => { throw new TypeError(\"bad 'thing'\"); });\n"
        "test('todo', { todo: true }, () => { throw new Error('later'); });\n"
        "test('slow', { timeout: 50 }, () => new Promise((r) => setTimeout(r, 2000)));\n"
    )
    run = run_node_tests([test_file], node=node, timeout=60)
    by_name = {t.full_name: t for t in run.tests}
    assert list(by_name) == [
        "client > lists",
        "client > calls # with hash > fails",
        "client > calls # with hash > skipped",
        "throws",
        "todo",
        "slow",
    ]
    fails = by_name["client > calls # with hash > fails"]
    assert (fails.failed, fails.error_type) == (True, "AssertionError")
    assert "1 !== 2" in fails.message
    assert fails.location.endswith("t.test.cjs:6:5")
    assert "t.test.cjs:6" in fails.stack
    assert by_name["client > calls # with hash > skipped"].skipped
    assert (by_name["throws"].error_type, by_name["throws"].message) == ("TypeError", "bad 'thing'")
    assert by_name["todo"].todo and not by_name["todo"].failed
    assert by_name["slow"].failed
    assert [t.full_name for t in run.failures] == ["client > calls # with hash > fails", "throws", "slow"]
    assert by_name["slow"].error_type == "TimeoutError"
    assert int(run.summary["fail"]) + int(run.summary["cancelled"]) == 3


def test_tap_without_results_is_empty() -> None:
    assert parse_tap("TAP version 13\n# tests 0\n") == ([], {"tests": "0"})
