"""The cli suite against the demo platform's CLI (three variants), run by a real pytest."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import DEMO_SRC, CliProject, demo_variants

DEMO = (
    "[tool.autoheal.cli]\n"
    + demo_variants()
    + 'examples = [{ name = "stats", args = ["stats", "-"], stdin = "hello world\\n", stdout = "words=2" }]\n'
    + 'error_reporting = { args = ["selftest", "raise"], error_type = "RuntimeError" }\n'
)


def test_smoke_is_green_on_the_demo_cli(cli_project: CliProject):
    cli_project.configure(DEMO)
    result = cli_project.run("--autoheal-level=smoke", "--component=cli", "-rA")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "*PASSED*test_variant_answers_help[[]python -m autoheal_demo[]]*",
            "*PASSED*test_variant_answers_version[[]autoheal-demo-script[]]*",
        ]
    )
    assert cli_project.records() == []


def test_comprehensive_discovers_nested_subcommands_and_is_green(cli_project: CliProject):
    cli_project.configure(DEMO)
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-rA", "-n", "2")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("error", 0) == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(
        [
            "*PASSED*test_subcommand_answers_help[[]autoheal-demo::data json validate[]]*",
            "*PASSED*test_subcommand_invalid_option_gives_usage_error[[]autoheal-demo-script::selftest raise[]]*",
            "*PASSED*test_uncaught_error_is_recorded_by_error_handler[[]python -m autoheal_demo[]]*",
        ]
    )
    # 9 subcommand paths per variant: stats, hash, data, data json, its 2 actions, data csv, selftest, selftest raise.
    assert result.stdout.str().count("test_subcommand_answers_help[") == 27
    assert cli_project.records() == []


def test_break_switch_crash_is_a_record_of_the_real_exception(cli_project: CliProject, monkeypatch: pytest.MonkeyPatch):
    cli_project.configure(DEMO)
    monkeypatch.setenv("AUTOHEAL_DEMO_BREAK", "1")
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-k", "example or version or error_handler")
    result.assert_outcomes(failed=3, passed=6)
    records = cli_project.records()
    assert len(records) == 3
    for record in records:
        error = record["error"]
        assert record["test"]["component"] == "cli" and record["test"]["level"] == "comprehensive"
        assert error["type"] == "ZeroDivisionError" and error["message"] == "division by zero"
        assert [f["function"] for f in error["frames"]] == ["main", "cmd_stats", "text_stats", "mean"]
        assert error["frames"][-1]["source"] == "return sum(values) / len(values)"
        assert error["extras"]["exit_code"] == 1 and error["extras"]["signal"] is None
        assert error["extras"]["argv"][-2:] == ["stats", "-"]
        assert "ZeroDivisionError: division by zero" in error["stderr_tail"]
        assert record["classification"]["class"] == "runtime_exception"
        assert "mean" in record["classification"]["root_cause"]
    # One bug, three ways to start the CLI: one fingerprint.
    assert len({r["fingerprint"]["hash"] for r in records}) == 1
    assert {r["test"]["target"] for r in records} == {
        "autoheal-demo stats -",
        "python -m autoheal_demo stats -",
        "autoheal-demo-script stats -",
    }


def test_error_reporting_check_fails_for_a_cli_without_the_handler(cli_project: CliProject):
    plain = cli_project.script(
        "plain-cli", "import sys\nif '--help' in sys.argv:\n    print('usage: plain-cli')\nelse:\n    raise ValueError('boom')\n"
    )
    cli_project.configure(
        f'[tool.autoheal.cli]\nvariants = [{{ command = ["{plain}"], name = "plain" }}]\nerror_reporting = {{ args = ["go"] }}\n'
    )
    result = cli_project.run("--component=cli", "-k", "error_handler")
    result.assert_outcomes(failed=1)
    record = cli_project.records()[0]
    assert record["error"]["type"] == "MissingErrorReport"
    assert "install_cli_error_handler()" in record["error"]["message"]
    assert record["classification"]["class"] == "assertion"
    assert "ValueError: boom" in record["error"]["stderr_tail"]


def test_runtime_reporter_and_suite_give_the_crash_one_fingerprint(cli_project: CliProject, monkeypatch: pytest.MonkeyPatch):
    runtime_dir = cli_project.pytester.path / "runtime-reports"
    cli_project.configure(
        '[tool.autoheal.cli]\nvariants = [{ module = "autoheal_demo" }]\n'
        'examples = [{ name = "stats", args = ["stats", "-"], stdin = "hello world\\n", '
        f'env = {{ ERROR_REPORTING_ENABLED = "1", AUTOHEAL_REPORT_DIR = "{runtime_dir}", AUTOHEAL_IN_APP = "{DEMO_SRC}" }} }}]\n'
    )
    monkeypatch.setenv("AUTOHEAL_DEMO_BREAK", "1")
    result = cli_project.run("--component=cli", "-k", "example")
    result.assert_outcomes(failed=1)
    (suite_record,) = cli_project.records()
    (runtime_path,) = (runtime_dir / "records").glob("*.json")
    runtime_record = json.loads(runtime_path.read_text("utf-8"))
    assert runtime_record["source"] == "reporter" and suite_record["source"] == "pytest"
    assert runtime_record["error"]["type"] == suite_record["error"]["type"] == "ZeroDivisionError"
    assert [f["function"] for f in suite_record["error"]["frames"]] == ["main", "cmd_stats", "text_stats", "mean"]
    assert runtime_record["fingerprint"]["values"]["frames"] == suite_record["fingerprint"]["values"]["frames"]
    assert runtime_record["fingerprint"]["hash"] == suite_record["fingerprint"]["hash"]
