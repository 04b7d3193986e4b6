"""The cli suite against CLIs nobody here wrote, each in its own venv, configured only through TOML."""

from __future__ import annotations

import pytest

from tests.cli.conftest import CliProject
from tests.support.thirdparty import python_venv


@pytest.fixture(scope="session")
def black_bin():
    return python_venv("black", ["black"])


@pytest.fixture(scope="session")
def httpie_bin():
    return python_venv("httpie", ["httpie"])


def test_black_and_httpie_pass_smoke_and_comprehensive_without_false_failures(cli_project: CliProject, black_bin, httpie_bin):
    cli_project.configure(
        "[tool.autoheal.cli]\n"
        "variants = [\n"
        f'    {{ distribution = "black", python = "{black_bin / "python"}", scripts = ["black"] }},\n'
        # httpie documents exit status 1 for usage errors.
        f'    {{ distribution = "httpie", python = "{httpie_bin / "python"}", scripts = ["http"], usage_exit_codes = [1, 2] }},\n'
        "]\n"
        "examples = [\n"
        '    { args = ["--check", "-"], stdin = "x = 1\\n", variants = ["black"], stderr = "would be left unchanged|unchanged" },\n'
        '    { args = ["--code", "x=[1,2]"], variants = ["black"], stdout = "^x = \\\\[1, 2\\\\]$" },\n'
        '    { args = ["--offline", "--print=H", "GET", "http://127.0.0.1:9/x"], variants = ["http"], stdout = "^GET /x HTTP/1.1" },\n'
        "]\n"
    )
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-rA")
    # Neither CLI has subcommands, neither installs the error handler, and nothing is run bare: those checks say so and skip.
    result.assert_outcomes(passed=9, skipped=4)
    result.stdout.fnmatch_lines(["*SKIPPED*no subcommands discovered*", "*SKIPPED*no [[]tool.autoheal.cli.error_reporting[]] invocation*"])
    result.stdout.fnmatch_lines(["*SKIPPED*no subcommand is run without arguments*run_bare*"])
    result.stdout.fnmatch_lines(
        [
            "*PASSED*test_variant_answers_version[[]black[]]*",
            "*PASSED*test_variant_answers_version[[]http[]]*",
            "*PASSED*test_invalid_option_gives_usage_error[[]http[]]*",
            "*PASSED*test_example_runs_as_configured[[]http::--offline --print=H GET http://127.0.0.1:9/x[]]*",
        ]
    )
    assert cli_project.records() == []


def test_httpie_with_the_default_usage_exit_code_is_a_precise_usage_record(cli_project: CliProject, httpie_bin):
    cli_project.configure(
        f'[tool.autoheal.cli]\nvariants = [{{ distribution = "httpie", python = "{httpie_bin / "python"}", scripts = ["http"] }}]\n'
    )
    result = cli_project.run("--autoheal-level=comprehensive", "--component=cli", "-k", "invalid_option")
    result.assert_outcomes(failed=1, skipped=1)
    record = cli_project.records()[0]
    assert record["error"]["type"] == "CliCheckFailed"
    assert "expected a usage error (exit [2])" in record["error"]["message"]
    assert record["error"]["extras"]["exit_code"] == 1
    assert "the following arguments are required: URL" in record["error"]["stderr_tail"]
